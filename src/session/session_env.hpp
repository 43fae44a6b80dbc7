#pragma once
// What a session may use besides its port: the node's rules and its shard's hub and figures.

#include "auth/exchange_policies.hpp"
#include "auth/jwt_verifier.hpp"
#include "pubsub/hub.hpp"
#include "util/limits.hpp"
#include "util/metrics.hpp"

#include <chrono>
#include <cstddef>

namespace herald {

// Node-wide, immutable after start, read from every shard.
struct session_rules {
    const exchange_policies& exchanges;
    const jwt_verifier& jwt;
    std::chrono::seconds jwt_leeway; // a token's exp holds this much longer, as at Authenticate
    const limits& limit;
};

// One session's view of its shard. Used on the shard's thread only.
struct session_env {
    hub& topics;
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
