#pragma once
// What a session may use besides its port: the node's rules and its shard's hub and figures.

#include "auth/exchange_policies.hpp"
#include "auth/jwt_verifier.hpp"
#include "pubsub/directory.hpp"
#include "pubsub/hub.hpp"
#include "util/limits.hpp"
#include "util/metrics.hpp"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace herald {

// What sessions leave to the application back end ([backend] of the configuration).
struct backend_rules {
    bool authenticate = false;        // an Authenticate action asks the back end, not the JWT key
    std::vector<std::string> actions; // custom actions the back end answers; sorted
    std::chrono::seconds touch_interval{60}; // re-checks of delegated subscriptions; 0: never

    bool answers(std::string_view action) const {
        return std::binary_search(actions.begin(), actions.end(), action, std::less<>{});
    }
};

// What happens to a session that back ends may want to know (presence): published on the bus
// or posted to the back end when [lifecycle] asks for it (docs/backend.md#lifecycle-events).
enum class lifecycle_event : unsigned {
    connected,
    authenticated,
    subscribed,
    unsubscribed,
    disconnected,
    failed_unicast, // of the node, not of a session: an event for a session it does not have
};
inline constexpr std::size_t lifecycle_event_count = 6;
constexpr std::string_view to_string(lifecycle_event e) {
    constexpr std::string_view names[lifecycle_event_count] = {"connected",    "authenticated",
                                                               "subscribed",   "unsubscribed",
                                                               "disconnected", "failed_unicast"};
    return names[static_cast<unsigned>(e)];
}

struct lifecycle_rules {
    enum class target { off, bus, backend };
    target to = target::off;
    std::string exchange = "herald.lifecycle"; // target bus: routing key = the event's name
    unsigned events = (1u << lifecycle_event_count) - 1; // a bit per lifecycle_event

    bool wants(lifecycle_event e) const {
        return to != target::off && (events & (1u << static_cast<unsigned>(e))) != 0;
    }
};

// Piped's own RabbitMQ topology, when the node uses it (docs/protocol.md#the-piped-dialect):
// methods are published, in Piped's format, to the node's out-exchange instead of being asked
// of the back end; results and events come back through the node's in-queue.
struct piped_rules {
    std::string methods_exchange; // exchange-out-{nodeId}; empty: methods go to the back end
};

// Node-wide, immutable after start, read from every shard.
struct session_rules {
    const exchange_policies& exchanges;
    const jwt_verifier& jwt;
    std::chrono::seconds jwt_leeway; // a token's exp holds this much longer, as at Authenticate
    const limits& limit;
    backend_rules backend{};
    lifecycle_rules lifecycle{};
    piped_rules piped{};
};

// One session's view of its shard. Used on the shard's thread only.
struct session_env {
    hub& topics;
    directory& addresses; // the shard's sessions by id, endpoint and identity
    shard_metrics& metrics;
    const session_rules& rules;
    dialect_id dialect;
    std::size_t first_action_label; // this dialect's first row in metrics.actions

    // `action` indexes the dialect's action_names().
    void count_action(std::size_t action, bool ok) const {
        metrics.actions[first_action_label + action][ok ? 0 : 1].add();
    }
    void count_error(protocol_error e) const {
        metrics.protocol_errors[static_cast<std::size_t>(e)].add();
    }
};

} // namespace herald
