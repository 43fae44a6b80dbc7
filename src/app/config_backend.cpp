#include "app/config_backend.hpp"

#include "app/toml_values.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace herald {

void apply_backend(config& c, const toml::table& t) {
    for (auto&& [k, v] : t) {
        const std::string key = fmt::format("backend.{}", k.str());
        // A parameter, not a capture: clang 14 cannot capture a structured binding.
        auto count = [&key](const toml::node& value, std::int64_t most) {
            return static_cast<std::size_t>(integer(value, key, 1, most));
        };
        if (k == "url") {
            c.backend.url = text(v, key);
            if (!c.backend.url.starts_with("http://")) {
                fail(key, "must be an http:// URL (put TLS in a proxy in front)");
            }
        } else if (k == "queue") {
            c.backend.queue = text(v, key);
            if (c.backend.queue.empty()) {
                fail(key, "must name a queue (RabbitMQ) or stream (Redis)");
            }
        } else if (k == "timeout_ms") {
            c.backend.timeout = std::chrono::milliseconds(integer(v, key, 1, 3600 * 1000));
        } else if (k == "connections") {
            c.backend.connections = count(v, 1024);
        } else if (k == "max_pending") {
            c.backend.max_pending = count(v, 1 << 24);
        } else if (k == "max_pending_per_session") {
            c.backend.max_pending_per_session = count(v, 1024);
        } else if (k == "max_answer_bytes") {
            c.backend.max_answer_bytes = count(v, 64 << 20);
        } else if (k == "trust_forwarded_for") {
            c.backend.trust_forwarded_for = boolean(v, key);
        } else if (k == "authenticate") {
            c.delegated.authenticate = boolean(v, key);
        } else if (k == "touch_interval_seconds") {
            c.delegated.touch_interval = std::chrono::seconds(integer(v, key, 0, 86400));
        } else if (k == "actions") {
            if (!v.is_array()) {
                fail(key, "must be an array of action names");
            }
            c.delegated.actions.clear();
            for (const auto& each : *v.as_array()) {
                auto name = text(each, key);
                if (name.empty()) {
                    fail(key, "an action name must not be empty");
                }
                c.delegated.actions.push_back(std::move(name));
            }
            std::sort(c.delegated.actions.begin(), c.delegated.actions.end());
        } else {
            fail(key, "unknown key");
        }
    }
}

void apply_lifecycle(config& c, const toml::table& t) {
    auto& rules = c.lifecycle;
    rules.to = lifecycle_rules::target::bus; // the section alone turns them on
    for (auto&& [k, v] : t) {
        const std::string key = fmt::format("lifecycle.{}", k.str());
        if (k == "to") {
            const auto to = text(v, key);
            if (to == "bus") {
                rules.to = lifecycle_rules::target::bus;
            } else if (to == "backend") {
                rules.to = lifecycle_rules::target::backend;
            } else if (to == "off") {
                rules.to = lifecycle_rules::target::off;
            } else {
                fail(key, R"(must be "bus", "backend" or "off")");
            }
        } else if (k == "exchange") {
            rules.exchange = text(v, key);
            if (rules.exchange.empty() || rules.exchange == "*") {
                fail(key, "must name an exchange");
            }
        } else if (k == "events") {
            if (!v.is_array()) {
                fail(key, "must be an array of event names");
            }
            rules.events = 0;
            for (const auto& each : *v.as_array()) {
                const auto name = text(each, key);
                bool known = false;
                for (unsigned e = 0; e < lifecycle_event_count; ++e) {
                    if (name == to_string(static_cast<lifecycle_event>(e))) {
                        rules.events |= 1u << e;
                        known = true;
                    }
                }
                if (!known) {
                    fail(key, fmt::format("\"{}\" is not one of connected, authenticated, "
                                          "subscribed, unsubscribed, disconnected",
                                          name));
                }
            }
        } else {
            fail(key, "unknown key");
        }
    }
}

} // namespace herald
