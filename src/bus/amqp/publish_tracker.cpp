#include "bus/amqp/publish_tracker.hpp"

namespace herald {

std::uint64_t publish_tracker::add(bus::publish_done done, clock::time_point now) {
    const auto id = ++last_id_;
    waiting_.emplace_hint(waiting_.end(), id, waiting{std::move(done), now + timeout_});
    return id;
}

bus::publish_done publish_tracker::take(std::uint64_t id) {
    const auto it = waiting_.find(id);
    if (it == waiting_.end()) {
        return {};
    }
    auto done = std::move(it->second.done);
    waiting_.erase(it);
    return done;
}

std::vector<bus::publish_done> publish_tracker::take_expired(clock::time_point now) {
    std::vector<bus::publish_done> out;
    while (!waiting_.empty() && waiting_.begin()->second.deadline <= now) {
        out.push_back(std::move(waiting_.begin()->second.done));
        waiting_.erase(waiting_.begin());
    }
    return out;
}

std::optional<publish_tracker::clock::time_point> publish_tracker::next_deadline() const {
    if (waiting_.empty()) {
        return std::nullopt;
    }
    return waiting_.begin()->second.deadline;
}

} // namespace herald
