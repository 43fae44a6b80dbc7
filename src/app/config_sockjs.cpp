#include "app/config_sockjs.hpp"

#include "app/toml_values.hpp"
#include "transport/endpoint_match.hpp"

#include <fmt/format.h>

namespace herald {

void apply_sockjs(config& into, const toml::table& t) {
    auto& s = into.sockjs;
    for (auto&& [k, v] : t) {
        const std::string key = fmt::format("sockjs.{}", k.str());
        if (k == "heartbeat_seconds") {
            s.heartbeat = std::chrono::seconds(integer(v, key, 1, 3600));
        } else if (k == "disconnect_delay_seconds") {
            s.disconnect_delay = std::chrono::seconds(integer(v, key, 1, 3600));
        } else if (k == "response_limit_bytes") {
            s.response_limit = integer(v, key, 4096, std::int64_t{1} << 30);
        } else if (k == "max_sessions") {
            s.max_sessions = integer(v, key, 1, 10'000'000);
        } else {
            fail(key, "unknown key");
        }
    }
}

std::string sockjs_prefix_of(const toml::node& value, const std::string& key) {
    if (value.is_boolean()) {
        return boolean(value, key) ? "/__sockjs__" : "";
    }
    std::string prefix = text(value, key);
    // The same rules as an exact endpoint path: the SockJS paths go below it.
    if (prefix.find_first_of("{}*") != std::string::npos || prefix.ends_with('/')) {
        fail(key, "must be true, false or a path such as \"/__sockjs__\" (no parameters, no "
                  "trailing /)");
    }
    if (auto problem = endpoint_path_problem(prefix)) {
        fail(key, *problem);
    }
    // SockJS paths are looked for first: none of the HTTP API's may lie under the prefix.
    for (std::string_view api : {"/healthz", "/readyz", "/metrics", "/index.html", "/api/publish",
                                 "/api/send", "/api/notify"}) {
        if (api == prefix || api.starts_with(prefix + "/")) {
            fail(key, fmt::format("{} would hide the HTTP API path {}", prefix, api));
        }
    }
    return prefix;
}

void validate_sockjs(const config& c) {
    for (std::size_t i = 0; i < c.endpoints.size(); ++i) {
        const auto& prefix = c.endpoints[i].sockjs_prefix;
        if (prefix.empty()) {
            continue;
        }
        if (c.endpoints[i].credentials.required() || c.endpoints[i].credentials.by_backend) {
            throw config_error(fmt::format(
                "config: endpoints[{}].sockjs: an endpoint with credentials or verify = "
                "\"backend\" cannot be served over SockJS yet (its sessions would skip the check)",
                i));
        }
        if (c.endpoints[i].path.find('{') != std::string::npos) {
            throw config_error(fmt::format(
                "config: endpoints[{}].sockjs: the SockJS paths carry no {{parameters}} of the "
                "endpoint's path {}",
                i, c.endpoints[i].path));
        }
        for (std::size_t j = 0; j < c.endpoints.size(); ++j) {
            if (j < i && c.endpoints[j].sockjs_prefix == prefix) {
                throw config_error(fmt::format("config: endpoints[{}].sockjs: {} is already the "
                                               "SockJS prefix of endpoints[{}]",
                                               i, prefix, j));
            }
            if (const auto& other = c.endpoints[j].sockjs_prefix;
                j != i && !other.empty() && prefix.starts_with(other + "/")) {
                throw config_error(fmt::format("config: endpoints[{}].sockjs: {} lies under the "
                                               "SockJS prefix {} of endpoints[{}]",
                                               i, prefix, other, j));
            }
            const auto& path = c.endpoints[j].path;
            if (path == prefix || path.starts_with(prefix + "/")) {
                throw config_error(
                    fmt::format("config: endpoints[{}].sockjs: {} would hide the endpoint {}", i,
                                prefix, path));
            }
        }
    }
}

} // namespace herald
