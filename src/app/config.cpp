#include "app/config.hpp"

#include "app/config_backend.hpp"
#include "app/config_piped.hpp"
#include "app/config_sockjs.hpp"
#include "app/toml_values.hpp"
#include "bus/redis/channel_template.hpp"
#include "dialects/registry.hpp"
#include "protocol/addressing.hpp"
#include "transport/endpoint_match.hpp"

#include <boost/asio/ip/address.hpp>

#include <cstdlib>
#include <fmt/format.h>
#include <fstream>
#include <sstream>
#include <thread>
#include <toml++/toml.h>

namespace herald {
namespace {

std::chrono::seconds seconds(const toml::node& node, std::string_view key) {
    return std::chrono::seconds(integer(node, key, 1, 24 * 3600));
}

exchange_access parse_access(std::string_view value, std::string_view key) {
    if (value == "public") {
        return exchange_access::open;
    }
    if (value == "authenticated") {
        return exchange_access::authenticated;
    }
    if (value == "jwt") {
        return exchange_access::jwt;
    }
    if (value == "backend") {
        return exchange_access::backend;
    }
    if (value == "closed") {
        return exchange_access::closed;
    }
    fail(key, "must be \"public\", \"authenticated\", \"jwt\", \"backend\" or \"closed\"");
}

std::string read_file(const std::string& path, std::string_view key) {
    std::ifstream in(path);
    if (!in) {
        fail(key, fmt::format("cannot read {}", path));
    }
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

void apply_limits(limits& l, const toml::table& t) {
    for (auto&& [k, v] : t) {
        const std::string key = fmt::format("limits.{}", k.str());
        if (k == "max_message_bytes") {
            l.max_message_bytes = integer(v, key, 125, 64 << 20);
        } else if (k == "max_subscriptions_per_session") {
            l.max_subscriptions_per_session = integer(v, key, 1, 1 << 20);
        } else if (k == "max_identities_per_session") {
            l.max_identities_per_session = integer(v, key, 1, 1024);
        } else if (k == "max_subscription_bytes_per_session") {
            l.max_subscription_bytes_per_session = integer(v, key, 256, 64 << 20);
        } else if (k == "max_outbox_bytes") {
            l.max_outbox_bytes = integer(v, key, 1024, std::int64_t{1} << 32);
        } else if (k == "handshake_timeout_seconds") {
            l.handshake_timeout = seconds(v, key);
        } else if (k == "ping_interval_seconds") {
            l.ping_interval = seconds(v, key);
        } else if (k == "idle_timeout_seconds") {
            l.idle_timeout = seconds(v, key);
        } else if (k == "max_http_body_bytes") {
            l.max_http_body_bytes = integer(v, key, 1024, 256 << 20);
        } else {
            fail(key, "unknown key");
        }
    }
}

// An endpoint path is matched against the request path (query removed): see
// transport/endpoint_match.hpp. It must not be one the HTTP API answers.
void check_endpoint_path(std::string_view path, const std::string& key) {
    if (auto problem = endpoint_path_problem(path)) {
        fail(key, *problem);
    }
    for (std::string_view taken : {"/", "/healthz", "/readyz", "/metrics", "/api/publish"}) {
        if (path == taken) {
            fail(key, fmt::format("{} is an HTTP API path", path));
        }
    }
}

void apply_endpoints(config& c, const toml::node& node) {
    if (!node.is_array_of_tables()) {
        fail("endpoints", "must be an array of tables: [[endpoints]]");
    }
    c.endpoints.clear();
    std::size_t index = 0;
    for (const auto& each : *node.as_array()) {
        const auto& t = *each.as_table();
        endpoint_config e;
        for (auto&& [k, v] : t) {
            const std::string key = fmt::format("endpoints[{}].{}", index, k.str());
            if (k == "path") {
                e.path = text(v, key);
                check_endpoint_path(e.path, key);
            } else if (k == "dialect") {
                const auto found = find_dialect(text(v, key));
                if (!found) {
                    fail(key, fmt::format("must be one of {}", dialect_names()));
                }
                e.dialect = *found;
            } else if (k == "credentials") {
                const bool by_backend = e.credentials.by_backend;
                auto parsed = parse_credentials_source(text(v, key));
                if (!parsed) {
                    fail(key, parsed.error());
                }
                e.credentials = std::move(*parsed);
                e.credentials.by_backend = by_backend;
            } else if (k == "verify") {
                const auto how = text(v, key);
                if (how != "jwt" && how != "backend") {
                    fail(key, "must be \"jwt\" or \"backend\"");
                }
                e.credentials.by_backend = how == "backend";
            } else if (k == "sockjs") {
                e.sockjs_prefix = sockjs_prefix_of(v, key);
            } else {
                e.options.push_back({std::string(k.str()), setting_value(v, key)});
            }
        }
        if (e.path.empty()) {
            fail(fmt::format("endpoints[{}].path", index), "is required");
        }
        // After the loop: the table's keys come in any order, "dialect" among them.
        for (const auto& o : e.options) {
            if (auto problem = dialects()[e.dialect]->option_problem(o)) {
                fail(fmt::format("endpoints[{}].{}", index, o.key), *problem);
            }
        }
        c.endpoints.push_back(std::move(e));
        ++index;
    }
}

exchange_kind parse_kind(std::string_view value, std::string_view key) {
    if (value == "direct") {
        return exchange_kind::direct;
    }
    if (value == "topic") {
        return exchange_kind::topic;
    }
    if (value == "fanout") {
        return exchange_kind::fanout;
    }
    fail(key, "must be \"direct\", \"topic\" or \"fanout\"");
}

void apply_exchanges(config& c, const toml::table& t) {
    for (auto&& [name, v] : t) {
        const std::string prefix = fmt::format("exchanges.{}", name.str());
        const auto& settings = table(v, prefix);
        exchange_access access = exchange_access::open;
        exchange_settings broker;
        broker.name = std::string(name.str());
        for (auto&& [k, value] : settings) {
            const std::string key = fmt::format("{}.{}", prefix, k.str());
            if (k == "access") {
                access = parse_access(text(value, key), key);
            } else if (k == "type") {
                broker.kind = parse_kind(text(value, key), key);
            } else if (k == "durable") {
                broker.durable = boolean(value, key);
            } else if (k == "auto_delete") {
                broker.auto_delete = boolean(value, key);
            } else if (k == "declare") {
                broker.declare = boolean(value, key);
            } else if (k == "channel") {
                broker.channel = text(value, key);
                if (auto parsed = redis_channel_template::parse(broker.channel); !parsed) {
                    fail(key, parsed.error());
                }
            } else {
                fail(key, "unknown key");
            }
        }
        c.exchanges[broker.name] = access;
        std::erase_if(c.bus.exchanges, [&](const auto& e) { return e.name == broker.name; });
        c.bus.exchanges.push_back(std::move(broker));
    }
}

void apply_bus(config& c, const toml::table& t) {
    auto milliseconds = [](const toml::node& node, std::string_view key) {
        return std::chrono::milliseconds(integer(node, key, 1, 3600 * 1000));
    };
    for (auto&& [k, v] : t) {
        const std::string key = fmt::format("bus.{}", k.str());
        if (k == "url") {
            if (v.is_array()) {
                c.bus.urls.clear();
                for (const auto& each : *v.as_array()) {
                    c.bus.urls.push_back(text(each, key));
                }
            } else {
                c.bus.urls = bus_urls(text(v, key));
            }
            c.bus_url_set = true;
        } else if (k == "max_queue_length") {
            c.bus.max_queue_length = static_cast<std::size_t>(integer(v, key, 1, 1 << 30));
        } else if (k == "heartbeat_seconds") {
            c.bus.heartbeat = std::chrono::seconds(integer(v, key, 0, 3600));
        } else if (k == "connect_timeout_ms") {
            c.bus.connect_timeout = milliseconds(v, key);
        } else if (k == "publish_timeout_ms") {
            c.bus.publish_timeout = milliseconds(v, key);
        } else if (k == "min_backoff_ms") {
            c.bus.min_backoff = milliseconds(v, key);
        } else if (k == "max_backoff_ms") {
            c.bus.max_backoff = milliseconds(v, key);
        } else {
            fail(key, "unknown key");
        }
    }
}

void apply_auth(config& c, const toml::table& t) {
    for (auto&& [k, v] : t) {
        const std::string key = fmt::format("auth.{}", k.str());
        if (k == "jwt_secret") {
            c.jwt.hs256_secret = text(v, key);
        } else if (k == "jwt_public_key" || k == "jwt_public_key_file") {
            if (!c.jwt.public_key_pem.empty()) {
                fail(key, "set jwt_public_key or jwt_public_key_file, not both");
            }
            c.jwt.public_key_pem =
                k == "jwt_public_key" ? text(v, key) : read_file(text(v, key), key);
        } else if (k == "jwt_leeway_seconds") {
            c.jwt.leeway = std::chrono::seconds(integer(v, key, 0, 3600));
        } else {
            fail(key, "unknown key");
        }
    }
}

} // namespace

void apply_toml_file(config& c, const std::string& path) {
    toml::table root;
    try {
        root = toml::parse_file(path);
    } catch (const toml::parse_error& e) {
        throw config_error(fmt::format("config: {}:{}:{}: {}", path, e.source().begin.line,
                                       e.source().begin.column, e.description()));
    }
    // First: the file's other keys override what the preset sets.
    if (const auto* preset = root.get("preset")) {
        apply_preset(c, *preset);
    }
    for (auto&& [k, v] : root) {
        const std::string_view key = k.str();
        if (key == "preset") {
            continue;
        } else if (key == "stores") {
            apply_stores(c, table(v, key));
        } else if (key == "resources") {
            apply_resources(c, v);
        } else if (key == "monorail") {
            apply_monorail(c, table(v, key));
        } else if (key == "port") {
            c.port = static_cast<std::uint16_t>(integer(v, key, 0, 65535));
        } else if (key == "bind") {
            c.bind = text(v, key);
        } else if (key == "threads") {
            c.threads = static_cast<unsigned>(integer(v, key, 0, 64));
        } else if (key == "node_id") {
            c.node_id = static_cast<std::uint16_t>(integer(v, key, 0, 65535));
        } else if (key == "api_key") {
            c.api_key = text(v, key);
        } else if (key == "shutdown_time") {
            c.shutdown_time = std::chrono::milliseconds(
                static_cast<std::int64_t>(number(v, key, 0, 3600) * 1000));
        } else if (key == "log_level") {
            c.log_level = text(v, key);
        } else if (key == "limits") {
            apply_limits(c.limits, table(v, key));
        } else if (key == "endpoints") {
            apply_endpoints(c, v);
        } else if (key == "sockjs") {
            apply_sockjs(c, table(v, key));
        } else if (key == "exchanges") {
            apply_exchanges(c, table(v, key));
        } else if (key == "auth") {
            apply_auth(c, table(v, key));
        } else if (key == "bus") {
            apply_bus(c, table(v, key));
        } else if (key == "backend") {
            apply_backend(c, table(v, key));
        } else if (key == "lifecycle") {
            apply_lifecycle(c, table(v, key));
        } else if (key == "mailboxes") {
            for (auto&& [mk, mv] : table(v, key)) {
                const std::string mkey = fmt::format("mailboxes.{}", mk.str());
                if (mk == "file") {
                    c.bus.mailbox_file = text(mv, mkey);
                    if (c.bus.mailbox_file.empty()) {
                        fail(mkey, "must be a file's path");
                    }
                } else if (mk == "max_messages") {
                    c.mailbox_bounds.max_messages = integer(mv, mkey, 1, 1'000'000);
                } else if (mk == "max_bytes") {
                    c.mailbox_bounds.max_bytes = integer(mv, mkey, 1024, 1ll << 30);
                } else {
                    fail(mkey, "unknown key");
                }
            }
        } else if (key == "addressing") {
            for (auto&& [ak, av] : table(v, key)) {
                const std::string akey = fmt::format("addressing.{}", ak.str());
                if (ak == "prefix") {
                    c.addressing_prefix = text(av, akey);
                    c.bus.mailbox_prefix = c.addressing_prefix;
                    if (c.addressing_prefix.empty() || c.addressing_prefix.size() > 200 ||
                        c.addressing_prefix.find('\0') != std::string::npos) {
                        fail(akey, "must be a name of 1 to 200 bytes");
                    }
                } else {
                    fail(akey, "unknown key");
                }
            }
        } else if (key == "demo") {
            for (auto&& [dk, dv] : table(v, key)) {
                const std::string dkey = fmt::format("demo.{}", dk.str());
                if (dk == "clock") {
                    c.demo_clock = boolean(dv, dkey);
                } else {
                    fail(dkey, "unknown key");
                }
            }
        } else {
            fail(key, "unknown key");
        }
    }
}

void apply_environment(config& c) {
    // MIXI_PORT is the spelling of Myxi's README; its code reads MYXI_PORT. Both work.
    for (const char* name : {"HERALD_PORT", "MYXI_PORT", "MIXI_PORT", "PORT"}) {
        if (const char* value = std::getenv(name); value && *value) {
            char* end = nullptr;
            const long port = std::strtol(value, &end, 10);
            if (*end != '\0' || port < 0 || port > 65535) {
                throw config_error(fmt::format("environment: {}: must be a port number", name));
            }
            c.port = static_cast<std::uint16_t>(port);
            break;
        }
    }
    if (const char* value = std::getenv("MYXI_BIND_ADDRESS"); value && *value) {
        c.bind = value;
    }
    if (const char* value = std::getenv("HERALD_API_KEY"); value && *value) {
        c.api_key = value;
    }
    if (const char* value = std::getenv("HERALD_BUS_URL"); value && *value) {
        c.bus.urls = bus_urls(value);
        c.bus_url_set = true;
    }
}

std::vector<std::string> bus_urls(std::string_view value) {
    std::vector<std::string> urls;
    std::size_t start = 0;
    while (start < value.size()) {
        const auto end = value.find_first_of(", ", start);
        const auto url = value.substr(start, end == std::string_view::npos ? end : end - start);
        if (!url.empty() && url != "memory") {
            urls.emplace_back(url);
        }
        if (end == std::string_view::npos) {
            break;
        }
        start = end + 1;
    }
    return urls;
}

void apply_seed_bus_environment(config& c) {
    if (c.bus_url_set) {
        return;
    }
    for (const char* name : {"RABBITMQ_URL", "REDIS_URL", "PL_REDIS_URL"}) {
        if (const char* value = std::getenv(name); value && *value) {
            c.bus.urls = bus_urls(value);
            return;
        }
    }
    if (auto piped = piped_bus_url_from_environment()) {
        c.bus.urls = {*piped};
    }
}

void validate(config& c) {
    if (c.threads == 0) {
        c.threads = std::max(1u, std::min(64u, std::thread::hardware_concurrency()));
    }
    if (c.threads > 64) {
        throw config_error("config: threads: must be at most 64");
    }
    validate_sockjs(c);
    for (std::size_t i = 0; i < c.endpoints.size(); ++i) {
        for (std::size_t j = 0; j < i; ++j) {
            if (c.endpoints[i].path == c.endpoints[j].path) {
                throw config_error(
                    fmt::format("config: endpoints[{}].path: {} is already an endpoint", i,
                                c.endpoints[i].path));
            }
        }
    }
    boost::system::error_code bad_address;
    boost::asio::ip::make_address(c.bind, bad_address);
    if (bad_address) {
        throw config_error(fmt::format(
            "config: bind: \"{}\" is not an IP address (bind, --bind or MYXI_BIND_ADDRESS)",
            c.bind));
    }
    if (c.limits.ping_interval >= c.limits.idle_timeout) {
        throw config_error(
            "config: limits.ping_interval_seconds: must be shorter than idle_timeout_seconds");
    }
    for (std::size_t i = 0; i < c.endpoints.size(); ++i) {
        const auto& e = c.endpoints[i];
        if (e.credentials.from == endpoint_credentials::source::path &&
            e.path.find("{" + e.credentials.name + "}") == std::string::npos) {
            throw config_error(fmt::format(
                "config: endpoints[{}].credentials: the path {} has no {{{}}} parameter", i, e.path,
                e.credentials.name));
        }
        if (e.credentials.by_backend && c.backend.url.empty() && c.backend.queue.empty()) {
            throw config_error(fmt::format(
                "config: endpoints[{}].verify: \"backend\" needs [backend] url or queue", i));
        }
    }
    // A broker must know an exchange before anything is published to it: Herald's own are
    // declared unless [exchanges] declares them.
    auto declare_own = [&c](std::string_view name, exchange_kind kind) -> exchange_settings& {
        const auto it = std::find_if(c.bus.exchanges.begin(), c.bus.exchanges.end(),
                                     [&](const auto& e) { return e.name == name; });
        if (it != c.bus.exchanges.end()) {
            return *it;
        }
        exchange_settings own;
        own.name = std::string(name);
        own.kind = kind;
        return c.bus.exchanges.emplace_back(std::move(own));
    };
    if (c.lifecycle.to == lifecycle_rules::target::bus) {
        // Topic, so a consumer can bind "#" or one event's name.
        declare_own(c.lifecycle.exchange, exchange_kind::topic);
    }
    for (const auto& e : c.endpoints) {
        for (const auto& own : dialects()[e.dialect]->own_exchanges()) {
            auto& settings = declare_own(own.name, exchange_kind::direct);
            // The design's channels, unless [exchanges] gave this exchange a channel of its own.
            if (!own.redis_channel.empty() && settings.channel == exchange_settings{}.channel) {
                settings.channel = std::string(own.redis_channel);
            }
            // The format is the design's, whatever [exchanges] says of the exchange.
            settings.raw = own.raw;
        }
    }
    validate_monorail(c);
    // Events addressed to sessions (docs/backend.md#addressing): routing keys are names.
    const addressing::exchange_names addressing_exchanges(c.addressing_prefix);
    for (auto name : addressing_exchanges.all()) {
        declare_own(name, exchange_kind::direct);
    }
    apply_piped_topology(c);
    if (!c.backend.url.empty() && !c.backend.queue.empty()) {
        throw config_error("config: backend.queue: set url (HTTP) or queue (the broker), not both");
    }
    if (!c.backend.queue.empty() && c.bus.urls.empty()) {
        throw config_error("config: backend.queue: the back end over the broker needs a RabbitMQ "
                           "or Redis bus ([bus] url); the memory bus carries no requests");
    }
    if (c.backend.url.empty() && c.backend.queue.empty()) {
        // Without a back end these would refuse every client: say so at start instead.
        for (const auto& [name, access] : c.exchanges) {
            if (access == exchange_access::backend) {
                throw config_error(fmt::format(
                    "config: exchanges.{}.access: \"backend\" needs [backend] url or queue", name));
            }
        }
        if (c.delegated.authenticate) {
            throw config_error("config: backend.authenticate: needs [backend] url or queue");
        }
        if (!c.delegated.actions.empty()) {
            throw config_error("config: backend.actions: needs [backend] url or queue");
        }
        if (c.lifecycle.to == lifecycle_rules::target::backend) {
            throw config_error("config: lifecycle.to: \"backend\" needs [backend] url or queue");
        }
    }
}

} // namespace herald
