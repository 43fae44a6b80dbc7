#include "bus/memory_bus.hpp"

namespace herald {

void memory_bus::start(handlers callbacks) {
    callbacks_ = std::move(callbacks);
    running_ = true;
    if (!mailbox_file_.empty()) {
        mailboxes_ = std::make_unique<sqlite_mailboxes>(
            mailbox_file_, [this](std::string_view identity, std::vector<mail>& bodies) {
                if (running_ && callbacks_.on_mail) {
                    callbacks_.on_mail(identity, bodies);
                }
            });
    }
    callbacks_.on_readiness(true, {});
}

void memory_bus::stop() {
    // The callbacks are kept, not cleared: stop may be called from inside one of them, and
    // destroying a std::function while it runs is undefined. running_ silences them.
    running_ = false;
    subscriptions_.clear();
}

void memory_bus::publish(bus_event event, publish_done done) {
    if (!running_) {
        return; // after stop: no callback
    }
    // Taken as soon as it is here: nothing can lose it from now on (takes_every_event).
    if (done) {
        done({});
        if (!running_) {
            return; // stopped from inside the answer
        }
    }
    if (subscribed(event.exchange, event.routing_key)) {
        callbacks_.on_event(event);
    }
}

void memory_bus::send_request(bus_request, publish_done done) {
    if (running_ && done) {
        done(no_requests);
    }
}

void memory_bus::subscribe(std::string_view exchange, std::string_view routing_key) {
    if (!running_) {
        return;
    }
    auto it = subscriptions_.find(exchange);
    if (it == subscriptions_.end()) {
        it = subscriptions_.emplace(std::string(exchange), string_set{}).first;
    }
    if (it->second.find(routing_key) == it->second.end()) {
        it->second.emplace(routing_key);
    }
}

void memory_bus::unsubscribe(std::string_view exchange, std::string_view routing_key) {
    auto it = subscriptions_.find(exchange);
    if (it == subscriptions_.end()) {
        return;
    }
    if (auto key = it->second.find(routing_key); key != it->second.end()) {
        it->second.erase(key);
    }
    if (it->second.empty()) {
        subscriptions_.erase(it);
    }
}

bool memory_bus::subscribed(std::string_view exchange, std::string_view routing_key) const {
    auto it = subscriptions_.find(exchange);
    if (it == subscriptions_.end()) {
        return false;
    }
    if (it->second.find(routing_key) != it->second.end()) {
        return true;
    }
    const auto kind = kind_of_ ? kind_of_(exchange) : exchange_kind::direct;
    if (kind == exchange_kind::direct) {
        return false;
    }
    // Patterns: an exchange's subscriptions are few on one node; the event goes out once
    // however many match.
    for (const auto& key : it->second) {
        if (routing_key_matches(kind, key, routing_key)) {
            return true;
        }
    }
    return false;
}

std::unique_ptr<bus> make_memory_bus(boost::asio::any_io_executor) {
    return std::make_unique<memory_bus>();
}

} // namespace herald
