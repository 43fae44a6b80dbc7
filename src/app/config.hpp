#pragma once
// Everything a node is told at start. Defaults here; a TOML file overrides them; environment
// variables override the file; command-line flags override everything.

#include "app/config_monorail.hpp"
#include "auth/access_policy.hpp"
#include "auth/jwt_verifier.hpp"
#include "backend/backend_settings.hpp"
#include "bus/bus.hpp"
#include "bus/bus_settings.hpp"
#include "pubsub/topic.hpp"
#include "session/dialect_options.hpp"
#include "session/session_env.hpp"
#include "transport/sockjs_registry.hpp"
#include "transport/upgrade_credentials.hpp"
#include "util/limits.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace herald {

struct endpoint_config {
    // Exact ("/pushwss"), with parameters ("/api/{token}") or a prefix ("/live/*", "/*"): see
    // transport/endpoint_match.hpp.
    std::string path;
    dialect_id dialect = 0;           // index in the dialect registry; 0 is Myxi
    endpoint_credentials credentials; // required before the upgrade, when set
    dialect_options options;          // the table's other keys, as the dialect accepted them
    std::string sockjs_prefix;        // also served over SockJS under it; empty: not
};

struct config {
    std::string bind = "0.0.0.0";
    std::uint16_t port = 5005;
    unsigned threads = 0;                       // 0: one per core
    std::optional<std::uint16_t> node_id;       // unset: random at start
    std::string api_key;                        // empty: the HTTP publish API answers 403
    std::chrono::milliseconds shutdown_time{0}; // closes spread over this long; 0: at once
    std::string log_level = "info";
    herald::limits limits;
    std::vector<endpoint_config> endpoints{{"/pushwss", 0}};
    sockjs_settings sockjs; // [sockjs]
    // Declared exchanges. Empty: every exchange is public (zero set-up); "*" sets the policy of
    // every exchange not named.
    std::map<std::string, exchange_access, std::less<>> exchanges;
    jwt_settings jwt;
    // The bus: its broker URLs (none: the memory bus) and every declared exchange's broker
    // settings. bus_url_set: a URL came from [bus] url, --bus or HERALD_BUS_URL, so the seeds'
    // variables (RABBITMQ_URL, REDIS_URL, PL_REDIS_URL) are not read.
    bus_settings bus;
    bool bus_url_set = false;
    // [backend]: where the application back end is, and what it decides and answers.
    backend_settings backend;
    backend_rules delegated;
    lifecycle_rules lifecycle; // [lifecycle]: off unless the section is there
    piped_rules piped;         // set by validate() when Piped's RabbitMQ topology is used
    // [addressing] prefix: names the exchanges of events addressed to sessions
    // (protocol/addressing.hpp), so clusters that share a broker stay apart.
    std::string addressing_prefix = "herald";
    // [mailboxes]: the bounds of each identity's mailbox (the memory bus's file is in `bus`).
    mailbox_settings mailbox_bounds;
    // MonoRail's document stores, resources and watchable exchanges.
    monorail_config monorail;
    bool demo_clock = false; // publish demo/clock every second
};

// A problem with the configuration, worded as the one line printed at start.
struct config_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Reads a TOML file over `into`. Unknown keys and wrong types are config_errors naming the key.
void apply_toml_file(config& into, const std::string& path);
// Applies HERALD_PORT / MYXI_PORT / MIXI_PORT / PORT, MYXI_BIND_ADDRESS, HERALD_API_KEY and
// HERALD_BUS_URL.
void apply_environment(config& into);
// The bus URLs of `value`: "memory", one URL, or several separated by commas or spaces.
std::vector<std::string> bus_urls(std::string_view value);
// After flags: when no bus URL was set, the seeds' own variables RABBITMQ_URL (Myxi), then
// REDIS_URL and PL_REDIS_URL (Plezi).
void apply_seed_bus_environment(config& into);
// Checks what each setting alone cannot: e.g. threads against the shard limit.
void validate(config& c);

} // namespace herald
