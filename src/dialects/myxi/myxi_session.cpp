#include "dialects/myxi/myxi_session.hpp"

#include "protocol/json_text.hpp"

#include <chrono>
#include <fmt/format.h>
#include <map>

namespace herald {
namespace {

// ,"exchange":E,"routing_key":K: the fields Myxi puts beside a subscription error.
std::string where(std::string_view exchange, std::string_view routing_key_json) {
    std::string out = R"(,"exchange":)";
    json_text::append_string(out, exchange);
    out += R"(,"routing_key":)";
    out += routing_key_json;
    return out;
}

std::string_view error_name(session_core::subscribe_result r) {
    using result = session_core::subscribe_result;
    switch (r) {
    case result::subscribed:
        return {};
    case result::already_subscribed:
        return "AlreadySubscribed";
    case result::invalid_name:
        return "InvalidPayload";
    case result::unknown_exchange:
        return "InvalidExchangeName";
    case result::auth_required:
        return "AuthRequired";
    case result::denied:
        return "SubscriptionDenied";
    case result::too_many:
    case result::too_large:
        return "TooManySubscriptions";
    }
    return "InvalidPayload";
}

} // namespace

myxi_session::myxi_session(session_port& port, const session_env& env)
    : port_(port)
    , env_(env)
    , core_(port, env) {}

void myxi_session::on_open() {
    send(myxi::welcome(fmt::format("{:016x}", port_.session_id())));
}

void myxi_session::on_shutdown() {
    send(myxi::event("Shutdown", {}, R"({"reason":"node stopping"})"));
}

void myxi_session::on_tick(std::chrono::system_clock::time_point now) {
    if (auto revoked = core_.expire_identity(now)) {
        reply_revoked(*revoked);
        send(myxi::event("Deauthenticated", {}, R"({"reason":"token_expired"})"));
    }
}

void myxi_session::on_message(std::string_view text, bool /*binary: Myxi reads it as text*/) {
    auto parsed = myxi::parse_action(text);
    if (!parsed) {
        const auto& failure = parsed.error();
        const bool invalid_json = failure.error == "InvalidJSON";
        env_.count_error(invalid_json ? protocol_error::invalid_json
                                      : protocol_error::invalid_payload);
        std::string extra;
        if (!failure.detail.empty()) {
            extra = R"(,"detail":)" + json_text::quote(failure.detail);
        }
        send(myxi::error(failure.tag, failure.error, extra));
        return;
    }
    const myxi::action& a = *parsed;
    bool ok = true;
    switch (a.kind) {
    case myxi::action_kind::subscribe:
        ok = subscribe(a);
        break;
    case myxi::action_kind::unsubscribe:
        ok = unsubscribe(a);
        break;
    case myxi::action_kind::list_subscriptions:
        ok = list_subscriptions(a);
        break;
    case myxi::action_kind::ping:
        ping(a);
        break;
    case myxi::action_kind::authenticate:
        ok = authenticate(a);
        break;
    case myxi::action_kind::deauthenticate:
        ok = deauthenticate(a);
        break;
    case myxi::action_kind::other:
        env_.count_error(protocol_error::invalid_action);
        send(myxi::error(a.tag, "InvalidAction"));
        ok = false;
        break;
    }
    env_.count_action(static_cast<std::size_t>(a.kind), ok);
}

void myxi_session::ping(const myxi::action& a) {
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
        std::chrono::system_clock::now().time_since_epoch());
    send(myxi::event("Pong", a.tag, fmt::format(R"({{"time":{}}})", now.count())));
}

bool myxi_session::subscribe(const myxi::action& a) {
    if (!a.exchange || a.routing_keys.empty()) {
        send(myxi::error(
            a.tag, "InvalidPayload",
            R"(,"detail":"Subscribe needs payload.exchange and payload.routing_key or payload.routing_keys")"));
        return false;
    }
    bool all_ok = true;
    for (const auto& key : a.routing_keys) {
        const std::string context = where(*a.exchange, key.json);
        const auto result = core_.subscribe(*a.exchange, key.text);
        if (result != session_core::subscribe_result::subscribed) {
            all_ok = false;
            std::string extra = context;
            if (result == session_core::subscribe_result::too_large) {
                extra +=
                    R"(,"detail":"subscriptions are over limits.max_subscription_bytes_per_session")";
            }
            send(myxi::error(a.tag, error_name(result), extra));
            continue;
        }
        std::string subscribed = context;
        subscribed.front() = '{'; // ,"exchange":…  →  {"exchange":…}
        subscribed += '}';
        send(myxi::event("Subscribed", a.tag, subscribed));
    }
    return all_ok;
}

void myxi_session::reply_unsubscribed(std::string_view exchange, std::string_view routing_key_json,
                                      bool automatic, std::string_view tag) {
    // Myxi's clients read "exchange_name"; the document says "exchange": send both.
    std::string payload = R"({"exchange":)";
    json_text::append_string(payload, exchange);
    payload += R"(,"exchange_name":)";
    json_text::append_string(payload, exchange);
    payload += R"(,"routing_key":)";
    payload += routing_key_json;
    payload += automatic ? R"(,"auto":true})" : R"(,"auto":false})";
    send(myxi::event("Unsubscribed", tag, payload));
}

void myxi_session::reply_revoked(const std::vector<topic>& revoked) {
    for (const auto& t : revoked) {
        reply_unsubscribed(t.exchange, json_text::quote(t.routing_key), true, "null");
    }
}

bool myxi_session::unsubscribe(const myxi::action& a) {
    if (!a.exchange && !a.routing_keys.empty()) {
        send(myxi::error(a.tag, "InvalidPayload",
                         R"(,"detail":"payload.routing_key needs payload.exchange")"));
        return false;
    }
    if (a.exchange && !a.routing_keys.empty()) {
        // Like Myxi, confirm even a key that was not subscribed: the client's wish holds.
        for (const auto& key : a.routing_keys) {
            core_.unsubscribe(*a.exchange, key.text);
            reply_unsubscribed(*a.exchange, key.json, false, a.tag);
        }
        return true;
    }
    // A whole exchange, or everything.
    for (const auto& t : core_.unsubscribe_each(a.exchange)) {
        reply_unsubscribed(t.exchange, json_text::quote(t.routing_key), false, a.tag);
    }
    return true;
}

bool myxi_session::list_subscriptions(const myxi::action& a) {
    // Bounded by limits.max_subscription_bytes_per_session: what the session may hold.
    std::map<std::string_view, std::vector<std::string_view>> by_exchange;
    for (auto key : core_.topic_keys()) {
        by_exchange[exchange_of(key)].push_back(routing_key_of(key));
    }
    std::string payload = R"({"subscriptions":{)";
    bool first_exchange = true;
    for (const auto& [exchange, keys] : by_exchange) {
        if (!first_exchange) {
            payload += ',';
        }
        first_exchange = false;
        json_text::append_string(payload, exchange);
        payload += ":[";
        for (std::size_t i = 0; i < keys.size(); ++i) {
            if (i > 0) {
                payload += ',';
            }
            json_text::append_string(payload, keys[i]);
        }
        payload += ']';
    }
    payload += "}}";
    send(myxi::event("YourSubscriptions", a.tag, payload));
    return true;
}

bool myxi_session::authenticate(const myxi::action& a) {
    if (!a.token) {
        send(myxi::error(a.tag, "InvalidPayload",
                         R"(,"detail":"Authenticate needs payload.token")"));
        return false;
    }
    auto result = core_.authenticate(*a.token, std::chrono::system_clock::now());
    if (!result) {
        send(myxi::error(a.tag, "InvalidSessionToken",
                         R"(,"detail":)" + json_text::quote(to_string(result.error()))));
        return false;
    }
    reply_revoked(result->revoked);
    send(myxi::event("Authenticated", a.tag,
                     R"({"identity":)" + json_text::quote(core_.who()->subject) + "}"));
    return true;
}

bool myxi_session::deauthenticate(const myxi::action& a) {
    reply_revoked(core_.deauthenticate());
    send(myxi::event("Deauthenticated", a.tag, "{}"));
    return true;
}

} // namespace herald
