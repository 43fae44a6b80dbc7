#include "dialects/myxi/myxi_protocol.hpp"

#include "protocol/json_text.hpp"
#include "protocol/mail_ids.hpp"

#include <simdjson.h>

namespace herald::myxi {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

action_kind kind_of(std::string_view name) {
    if (name == "Subscribe") {
        return action_kind::subscribe;
    }
    if (name == "Unsubscribe") {
        return action_kind::unsubscribe;
    }
    if (name == "ListSubscriptions") {
        return action_kind::list_subscriptions;
    }
    if (name == "Ping") {
        return action_kind::ping;
    }
    if (name == "Authenticate") {
        return action_kind::authenticate;
    }
    if (name == "Deauthenticate") {
        return action_kind::deauthenticate;
    }
    if (name == "Acknowledge") {
        return action_kind::acknowledge;
    }
    return action_kind::other;
}

// Myxi matches routing keys by `to_s`: strings as they are, numbers as written.
std::optional<routing_key> to_routing_key(element value) {
    switch (value.type()) {
    case element_type::STRING:
        return routing_key{std::string(value.get_string().value_unsafe()), simdjson::minify(value)};
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE: {
        auto json = simdjson::minify(value);
        return routing_key{json, json};
    }
    default:
        return std::nullopt;
    }
}

parse_failure invalid_payload(const action& a, std::string detail) {
    return {"InvalidPayload", a.tag, std::move(detail)};
}

} // namespace

boost::system::result<action, parse_failure> parse_action(std::string_view text) {
    // One parser per thread: it keeps its buffers between messages.
    thread_local simdjson::dom::parser parser;
    element root;
    if (parser.parse(text.data(), text.size()).get(root) != simdjson::SUCCESS ||
        !root.is_object()) {
        return parse_failure{"InvalidJSON", {}, {}};
    }
    action a;
    element field;
    if (root["tag"].get(field) == simdjson::SUCCESS) {
        a.tag = simdjson::minify(field);
    }
    std::string_view name;
    if (root["action"].get(name) == simdjson::SUCCESS) {
        a.name = name;
        a.kind = kind_of(name);
    } else if (root["action"].get(field) == simdjson::SUCCESS) {
        a.name = simdjson::minify(field);
    }

    simdjson::dom::object payload;
    const bool has_payload = root["payload"].get(field) == simdjson::SUCCESS && !field.is_null();
    if (a.kind == action_kind::other) {
        // Myxi answers an unknown action InvalidAction whatever its payload holds.
        if (has_payload && field.is_object()) {
            a.payload = simdjson::minify(field);
        }
        return a;
    }
    if (has_payload) {
        if (field.get(payload) != simdjson::SUCCESS) {
            return invalid_payload(a, "payload must be an object");
        }
        a.payload = simdjson::minify(field);
    } else {
        return a;
    }

    if (payload["exchange"].get(field) == simdjson::SUCCESS && !field.is_null()) {
        std::string_view exchange;
        if (field.get(exchange) != simdjson::SUCCESS) {
            return invalid_payload(a, "payload.exchange must be a string");
        }
        a.exchange = std::string(exchange);
    }
    if (payload["routing_key"].get(field) == simdjson::SUCCESS && !field.is_null()) {
        auto key = to_routing_key(field);
        if (!key) {
            return invalid_payload(a, "payload.routing_key must be a string or a number");
        }
        a.routing_keys.push_back(std::move(*key));
    } else if (payload["routing_keys"].get(field) == simdjson::SUCCESS && !field.is_null()) {
        simdjson::dom::array keys;
        if (field.get(keys) != simdjson::SUCCESS) {
            return invalid_payload(a, "payload.routing_keys must be an array");
        }
        for (element each : keys) {
            auto key = to_routing_key(each);
            if (!key) {
                return invalid_payload(a, "payload.routing_keys must hold strings or numbers");
            }
            a.routing_keys.push_back(std::move(*key));
        }
        if (a.routing_keys.empty()) {
            // Unsubscribe would read "no keys" as "every key": never let an empty list mean that.
            return invalid_payload(a, "payload.routing_keys must not be empty");
        }
    }
    if (a.kind == action_kind::acknowledge && payload["mail"].get(field) == simdjson::SUCCESS &&
        !mail_ids::read(field, a.mail)) {
        return invalid_payload(a, std::string(acknowledge_needs));
    }
    for (const char* token_field : {"token", "session_token"}) {
        std::string_view token;
        if (payload[token_field].get(token) == simdjson::SUCCESS) {
            a.token = std::string(token);
            break;
        }
    }
    return a;
}

std::string welcome(std::string_view session_id) {
    std::string out = R"({"event":"Welcome","payload":{"id":)";
    json_text::append_string(out, session_id);
    out += "}}";
    return out;
}

std::string event(std::string_view name, std::string_view tag, std::string_view payload_json) {
    std::string out;
    out.reserve(32 + name.size() + tag.size() + payload_json.size());
    out += R"({"event":)";
    json_text::append_string(out, name);
    if (!tag.empty()) {
        out += R"(,"tag":)";
        out += tag;
    }
    out += R"(,"payload":)";
    out += payload_json;
    out += '}';
    return out;
}

std::string error(std::string_view tag, std::string_view error_code, std::string_view extra) {
    std::string payload = R"({"error":)";
    json_text::append_string(payload, error_code);
    payload += extra;
    payload += '}';
    return event("Error", tag, payload);
}

std::string acknowledged(std::string_view tag, const std::vector<std::string>& asked,
                         const std::vector<std::string>& removed) {
    return event("Acknowledged", tag, "{" + mail_ids::acknowledged_members(asked, removed) + "}");
}

std::string application_event(std::string_view name, std::string_view payload,
                              std::string_view extra, std::string_view exchange,
                              std::string_view routing_key) {
    std::string out;
    out.reserve(name.size() + payload.size() + extra.size() + exchange.size() + routing_key.size() +
                48);
    out += R"({"event":)";
    json_text::append_string(out, name);
    out += R"(,"payload":)";
    out += payload.empty() ? std::string_view("null") : payload;
    if (!extra.empty()) {
        out += ',';
        out += extra;
    }
    out += R"(,"mq":{"e":)";
    json_text::append_string(out, exchange);
    out += R"(,"rk":)";
    json_text::append_string(out, routing_key);
    out += "}}";
    return out;
}

} // namespace herald::myxi
