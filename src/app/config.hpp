#pragma once
// Everything a node is told at start. Defaults here; a TOML file overrides them; environment
// variables override the file; command-line flags override everything.

#include "auth/access_policy.hpp"
#include "auth/jwt_verifier.hpp"
#include "pubsub/topic.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace herald {

// Every limit Herald enforces, with its default. docs/protocol.md lists them for clients.
struct limits {
    std::size_t max_message_bytes = 64 * 1024;        // a larger client message closes with 1009
    std::size_t max_subscriptions_per_session = 1000; // beyond it: Error TooManySubscriptions
    std::size_t max_outbox_bytes = 1024 * 1024;    // unsent bytes per session; over it: close 4001
    std::chrono::seconds handshake_timeout{10};    // from TCP accept to a complete HTTP request
    std::chrono::seconds ping_interval{25};        // a ping after this long without client traffic
    std::chrono::seconds idle_timeout{60};         // close 4002 after this long without any
    std::size_t max_http_body_bytes = 1024 * 1024; // a larger request body gets 413
};

struct endpoint_config {
    std::string path; // exact URL path, e.g. "/pushwss", or a prefix: "/live/*", "/*"
    dialect kind = dialect::myxi;
};

struct config {
    std::string bind = "0.0.0.0";
    std::uint16_t port = 5005;
    unsigned threads = 0;                       // 0: one per core
    std::optional<std::uint16_t> node_id;       // unset: random at start
    std::string api_key;                        // empty: the HTTP publish API answers 403
    std::chrono::milliseconds shutdown_time{0}; // closes spread over this long; 0: at once
    std::string log_level = "info";
    limits limit;
    std::vector<endpoint_config> endpoints{{"/pushwss", dialect::myxi}};
    // Declared exchanges. Empty: every exchange is public (zero set-up); "*" sets the policy of
    // every exchange not named.
    std::map<std::string, exchange_access, std::less<>> exchanges;
    jwt_settings jwt;
    bool demo_clock = false; // publish demo/clock every second
};

// A problem with the configuration, worded as the one line printed at start.
struct config_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Reads a TOML file over `into`. Unknown keys and wrong types are config_errors naming the key.
void apply_toml_file(config& into, const std::string& path);
// Applies HERALD_PORT / MYXI_PORT / MIXI_PORT / PORT, MYXI_BIND_ADDRESS and HERALD_API_KEY.
void apply_environment(config& into);
// Checks what each setting alone cannot: e.g. threads against the shard limit.
void validate(config& c);

// The access policy of an exchange, or nullopt when it is not declared (or is "").
std::optional<exchange_access> access_of(const config& c, std::string_view exchange);

} // namespace herald
