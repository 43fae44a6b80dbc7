#pragma once
// What the transport needs of its node, handed down explicitly by the server: nothing here
// reaches back up into app/.

#include "auth/exchange_policies.hpp"
#include "backend/backend.hpp"
#include "backend/backend_settings.hpp"
#include "bus/bus_port.hpp"
#include "protocol/addressing.hpp"
#include "pubsub/live_sessions.hpp"
#include "pubsub/topic.hpp"
#include "session/dialect.hpp"
#include "session/session_env.hpp"
#include "shard/session_id_maker.hpp"
#include "stores/resource_catalog.hpp"
#include "transport/upgrade_credentials.hpp"
#include "util/limits.hpp"

#include <atomic>
#include <functional>
#include <string>
#include <vector>

namespace herald {

// A URL path served with one dialect.
struct endpoint {
    const dialect* speaks;
    dialect_id id;                      // the dialect's index in the registry
    std::size_t first_action_label;     // the dialect's first row of herald_actions_total
    endpoint_credentials credentials{}; // checked before the upgrade, when required
    dialect_options options{};          // the endpoint's settings for its dialect
    std::string sockjs_prefix{};        // also served over SockJS there; empty: not
};

class sockjs_registry;

// Node-wide; built before the shards start and immutable afterwards, except `draining`.
struct transport_context {
    const limits& limit;
    const session_rules& rules;
    const exchange_policies& exchanges;
    const session_id_maker& session_ids;
    bus_port& bus;
    std::vector<std::string> endpoint_paths;     // as configured: /pushwss, /live/*, /api/{token}
    std::vector<endpoint> endpoints;             // same index as endpoint_paths
    std::string api_key;                         // empty: the HTTP publish API answers 403
    std::function<std::string()> render_metrics; // any thread
    std::atomic<bool> draining{false};           // shutting down: /readyz answers 503
    backend* application = nullptr;              // the back end; null when none is configured
    backend_settings backend_limits;             // per-session bound, X-Forwarded-For trust
    live_sessions* live = nullptr;               // the ids of the node's open sessions
    addressing::exchange_names addressing;       // where events addressed to sessions travel
    sockjs_registry* sockjs = nullptr;           // set when an endpoint is served over SockJS
    const resource_catalog* resources = nullptr; // MonoRail's: /api/resources writes to them
};

} // namespace herald
