#pragma once
// Everything a node is told at start. Defaults here; a TOML file overrides them; environment
// variables override the file; command-line flags override everything.

#include "auth/access_policy.hpp"
#include "auth/jwt_verifier.hpp"
#include "pubsub/topic.hpp"
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
    dialect_id dialect = 0; // index in the dialect registry; 0 is Myxi
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

} // namespace herald
