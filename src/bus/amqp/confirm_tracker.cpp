#include "bus/amqp/confirm_tracker.hpp"

namespace herald {

void confirm_tracker::reset() {
    last_tag_ = 0;
    waiting_.clear();
}

void confirm_tracker::sent(std::uint64_t publish_id) {
    const auto tag = ++last_tag_;
    if (publish_id != 0) {
        waiting_.emplace_hint(waiting_.end(), tag, publish_id);
    }
}

void confirm_tracker::answered(std::uint64_t delivery_tag, bool multiple,
                               std::vector<std::uint64_t>& ids) {
    if (!multiple) {
        if (const auto it = waiting_.find(delivery_tag); it != waiting_.end()) {
            ids.push_back(it->second);
            waiting_.erase(it);
        }
        return;
    }
    const auto end = waiting_.upper_bound(delivery_tag);
    for (auto it = waiting_.begin(); it != end; ++it) {
        ids.push_back(it->second);
    }
    waiting_.erase(waiting_.begin(), end);
}

std::vector<std::uint64_t> confirm_tracker::take_all() {
    std::vector<std::uint64_t> ids;
    ids.reserve(waiting_.size());
    for (const auto& [tag, id] : waiting_) {
        ids.push_back(id);
    }
    waiting_.clear();
    return ids;
}

} // namespace herald
