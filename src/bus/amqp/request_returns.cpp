#include "bus/amqp/request_returns.hpp"

namespace herald {

void request_returns::sent(std::uint64_t publish_id, std::string correlation_id,
                           std::string queue) {
    waiting_.emplace_hint(waiting_.end(), publish_id,
                          entry{std::move(correlation_id), outcome{std::move(queue), false}});
}

void request_returns::returned(std::string_view correlation_id, std::string_view queue) {
    // A walk, not an index: returns come only when a back-end queue is missing, and what waits
    // here is what the broker has not confirmed yet, which it does at once for these.
    for (auto& [id, e] : waiting_) {
        if (!e.result.returned && e.correlation_id == correlation_id && e.result.queue == queue) {
            e.result.returned = true;
            return;
        }
    }
}

std::optional<request_returns::outcome> request_returns::confirmed(std::uint64_t publish_id) {
    const auto it = waiting_.find(publish_id);
    if (it == waiting_.end()) {
        return std::nullopt;
    }
    auto result = std::move(it->second.result);
    waiting_.erase(it);
    return result;
}

} // namespace herald
