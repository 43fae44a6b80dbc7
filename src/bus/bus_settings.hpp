#pragma once
// What a bus is told at start: where its brokers are and how each exchange is declared there.
// Built from the configuration by the server; a bus factory captures it.

#include "pubsub/routing_pattern.hpp"

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace herald {

struct exchange_settings {
    std::string name; // "*": every exchange not named
    exchange_kind kind = exchange_kind::direct;
    // As Myxi declares its exchanges (Bunny's defaults): not durable, not auto-deleted.
    bool durable = false;
    bool auto_delete = false;
    bool declare = true; // false: someone else declares it; the node only checks it exists
    // The Redis channel of an event: {exchange} and {routing_key} are replaced.
    std::string channel = "{exchange}:{routing_key}";
};

struct bus_settings {
    // Broker URLs, tried in order: the node connects to the first that answers and fails over
    // to the next when it goes away. Empty for the memory bus.
    std::vector<std::string> urls;
    std::vector<exchange_settings> exchanges; // the declared ones, "*" among them if given
    std::size_t max_queue_length = 100000;    // RabbitMQ: the node's queue drops its oldest past it
    std::chrono::seconds heartbeat{10}; // RabbitMQ heartbeat; a dead broker is noticed by then
    std::chrono::milliseconds connect_timeout{5000};
    std::chrono::milliseconds publish_timeout{5000}; // publish answers by then, confirmed or not
    std::chrono::milliseconds min_backoff{200};      // reconnects wait this long at first,
    std::chrono::milliseconds max_backoff{10000};    // doubling up to this, with jitter

    // The named exchange, else "*", else a direct exchange of that name.
    exchange_settings exchange(std::string_view name) const {
        const exchange_settings* wildcard = nullptr;
        for (const auto& e : exchanges) {
            if (e.name == name) {
                return e;
            }
            if (e.name == "*") {
                wildcard = &e;
            }
        }
        exchange_settings out = wildcard ? *wildcard : exchange_settings{};
        out.name = std::string(name);
        return out;
    }
    exchange_kind kind_of(std::string_view name) const { return exchange(name).kind; }
};

// The URL with its password replaced by "****", for logs and /metrics.
std::string masked_url(std::string_view url);

} // namespace herald
