#pragma once
// What a bus is told at start: where its brokers are and how each exchange is declared there.
// Built from the configuration by the server; a bus factory captures it.

#include "pubsub/routing_pattern.hpp"

#include <chrono>
#include <cstddef>
#include <optional>
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
    // Carries another design's own messages (DataDealer's {"action",…}, Plezi 0.12's YAML):
    // each body is delivered as it came, in `payload`, with no event name, instead of being read
    // as an event (dialect.hpp: own_exchange, foreign_exchange).
    bool raw = false;
};

// Piped's own RabbitMQ objects for this node (pulyavin/piped: src/rabbit.js), so that an
// unmodified Piped back end works: it consumes queue_out (fed by exchange_out) for the node's
// methods, and answers to exchange_in; events for a token go to mass, a fanout exchange bound
// to every node's exchange_in. All durable, as Piped declares them.
struct piped_topology {
    std::string exchange_in;  // exchange-in-{nodeId}, fanout
    std::string exchange_out; // exchange-out-{nodeId}, fanout
    std::string queue_in;     // queue-in-{nodeId}: what this node consumes
    std::string queue_out;    // queue-out-{nodeId}: what the back end consumes
    std::string mass;         // exchange-mass, fanout
    // The exchange on which messages of queue_in reach the node's sessions, keyed by token.
    std::string token_exchange;
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
    std::optional<piped_topology> piped;             // RabbitMQ: set up Piped's objects
    // The memory bus: where identities' mailboxes are kept ([mailboxes] file).
    std::string mailbox_file = "herald-mailboxes.sqlite3";
    // Brokers: the first part of the names of the mailboxes' keys or queues ([addressing]
    // prefix), so that clusters sharing a broker keep theirs apart.
    std::string mailbox_prefix = "herald";

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
