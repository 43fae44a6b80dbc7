#include "transport/myxi_session.hpp"

#include "app/node_context.hpp"
#include "protocol/json_text.hpp"
#include "shard/shard.hpp"

#include <chrono>
#include <fmt/format.h>
#include <map>

namespace herald {
namespace {

action_label label_of(myxi::action_kind kind) {
    switch (kind) {
    case myxi::action_kind::subscribe:
        return action_label::subscribe;
    case myxi::action_kind::unsubscribe:
        return action_label::unsubscribe;
    case myxi::action_kind::list_subscriptions:
        return action_label::list_subscriptions;
    case myxi::action_kind::ping:
        return action_label::ping;
    case myxi::action_kind::authenticate:
        return action_label::authenticate;
    case myxi::action_kind::deauthenticate:
        return action_label::deauthenticate;
    case myxi::action_kind::other:
        return action_label::other;
    }
    return action_label::other;
}

// ,"exchange":E,"routing_key":K: the fields Myxi puts beside a subscription error.
std::string where(std::string_view exchange, std::string_view routing_key_json) {
    std::string out = R"(,"exchange":)";
    json_text::append_string(out, exchange);
    out += R"(,"routing_key":)";
    out += routing_key_json;
    return out;
}

bool has_nul(std::string_view s) {
    return s.find('\0') != std::string_view::npos;
}

} // namespace

myxi_session::myxi_session(shard& owner, tcp::socket socket, std::size_t endpoint_index)
    : ws_session(owner, std::move(socket), endpoint_index, dialect::myxi) {}

void myxi_session::on_open() {
    send_text(myxi::welcome(id_text()));
}

void myxi_session::on_shutdown_notice() {
    send_text(myxi::event("Shutdown", {}, R"({"reason":"node stopping"})"));
}

void myxi_session::on_end() {
    shard_.unsubscribe_all(*this);
}

// A token's exp holds for the whole session, not only at Authenticate: once it passes (with
// the same leeway the verifier allows), the session is anonymous again, as after Deauthenticate.
void myxi_session::on_open_tick() {
    if (!identity_ || !identity_->expires_at) {
        return;
    }
    const auto leeway = shard_.node().settings.jwt.leeway;
    if (shard_.wall_now() < *identity_->expires_at + leeway) {
        return;
    }
    identity_.reset();
    revoke_unauthorized();
    send_text(myxi::event("Deauthenticated", {}, R"({"reason":"token_expired"})"));
}

void myxi_session::on_text(std::string_view text) {
    auto& metrics = shard_.metrics();
    auto parsed = myxi::parse_action(text);
    if (!parsed) {
        const auto& failure = parsed.error();
        const bool invalid_json = failure.error == "InvalidJSON";
        metrics
            .protocol_errors[static_cast<std::size_t>(
                invalid_json ? protocol_error::invalid_json : protocol_error::invalid_payload)]
            .add();
        std::string extra;
        if (!failure.detail.empty()) {
            extra = R"(,"detail":)" + json_text::quote(failure.detail);
        }
        send_text(myxi::error(failure.tag, failure.error, extra));
        return;
    }
    const myxi::action& a = *parsed;
    bool ok = false;
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
    case myxi::action_kind::ping: {
        const auto now = std::chrono::duration_cast<std::chrono::seconds>(
            std::chrono::system_clock::now().time_since_epoch());
        send_text(myxi::event("Pong", a.tag, fmt::format(R"({{"time":{}}})", now.count())));
        ok = true;
        break;
    }
    case myxi::action_kind::authenticate:
        ok = authenticate(a);
        break;
    case myxi::action_kind::deauthenticate:
        ok = deauthenticate(a);
        break;
    case myxi::action_kind::other:
        metrics.protocol_errors[static_cast<std::size_t>(protocol_error::invalid_action)].add();
        send_text(myxi::error(a.tag, "InvalidAction"));
        break;
    }
    metrics.actions[static_cast<std::size_t>(label_of(a.kind))][ok ? 0 : 1].add();
}

bool myxi_session::subscribe(const myxi::action& a) {
    if (!a.exchange || a.routing_keys.empty()) {
        send_text(myxi::error(
            a.tag, "InvalidPayload",
            R"(,"detail":"Subscribe needs payload.exchange and payload.routing_key or payload.routing_keys")"));
        return false;
    }
    const std::string& exchange = *a.exchange;
    const auto access = access_of(shard_.node().settings, exchange);
    bool all_ok = true;
    for (const auto& key : a.routing_keys) {
        const std::string context = where(exchange, key.json);
        std::string_view error;
        if (has_nul(exchange) || has_nul(key.text)) {
            error = "InvalidPayload";
        } else if (!access) {
            error = "InvalidExchangeName";
        } else {
            switch (decide(*access, identity_.get(), exchange, key.text)) {
            case access_decision::auth_required:
                error = "AuthRequired";
                break;
            case access_decision::denied:
                error = "SubscriptionDenied";
                break;
            case access_decision::allow:
                break;
            }
        }
        if (error.empty()) {
            const std::string topic = topic_key(exchange, key.text);
            // A repeat is AlreadySubscribed even when the session is at its limit: it asks for
            // nothing new. Only a full session pays for the extra lookup.
            if (subscription_count() >=
                shard_.node().settings.limit.max_subscriptions_per_session) {
                error = shard_.subscriptions().is_subscribed(*this, topic) ? "AlreadySubscribed"
                                                                           : "TooManySubscriptions";
            } else if (shard_.subscribe(*this, topic) ==
                       hub::subscribe_outcome::already_subscribed) {
                error = "AlreadySubscribed";
            }
        }
        if (!error.empty()) {
            all_ok = false;
            send_text(myxi::error(a.tag, error, context));
            continue;
        }
        std::string subscribed = context;
        subscribed.front() = '{'; // ,"exchange":…  →  {"exchange":…}
        subscribed += '}';
        send_text(myxi::event("Subscribed", a.tag, subscribed));
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
    send_text(myxi::event("Unsubscribed", tag, payload));
}

bool myxi_session::unsubscribe(const myxi::action& a) {
    if (!a.exchange && !a.routing_keys.empty()) {
        send_text(myxi::error(a.tag, "InvalidPayload",
                              R"(,"detail":"payload.routing_key needs payload.exchange")"));
        return false;
    }
    if (a.exchange && !a.routing_keys.empty()) {
        // Like Myxi, confirm even a key that was not subscribed: the client's wish holds.
        for (const auto& key : a.routing_keys) {
            shard_.unsubscribe(*this, topic_key(*a.exchange, key.text));
            reply_unsubscribed(*a.exchange, key.json, false, a.tag);
        }
        return true;
    }
    // A whole exchange, or everything: copy the keys first, unsubscribing edits the list.
    std::vector<std::string> keys;
    for (auto key : shard_.subscriptions().topics_of(*this)) {
        if (!a.exchange || exchange_of(key) == *a.exchange) {
            keys.emplace_back(key);
        }
    }
    for (const auto& key : keys) {
        shard_.unsubscribe(*this, key);
        reply_unsubscribed(exchange_of(key), json_text::quote(routing_key_of(key)), false, a.tag);
    }
    return true;
}

bool myxi_session::list_subscriptions(const myxi::action& a) {
    std::map<std::string_view, std::vector<std::string_view>> by_exchange;
    for (auto key : shard_.subscriptions().topics_of(*this)) {
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
    send_text(myxi::event("YourSubscriptions", a.tag, payload));
    return true;
}

bool myxi_session::authenticate(const myxi::action& a) {
    if (!a.token) {
        send_text(myxi::error(a.tag, "InvalidPayload",
                              R"(,"detail":"Authenticate needs payload.token")"));
        return false;
    }
    auto verified = shard_.node().jwt.verify(*a.token, std::chrono::system_clock::now());
    if (!verified) {
        send_text(myxi::error(a.tag, "InvalidSessionToken",
                              R"(,"detail":)" + json_text::quote(to_string(verified.error()))));
        return false;
    }
    identity_ = std::make_unique<identity>(std::move(*verified));
    // A new token may grant less than the old one did.
    revoke_unauthorized();
    send_text(myxi::event("Authenticated", a.tag,
                          R"({"identity":)" + json_text::quote(identity_->subject) + "}"));
    return true;
}

bool myxi_session::deauthenticate(const myxi::action& a) {
    identity_.reset();
    revoke_unauthorized();
    send_text(myxi::event("Deauthenticated", a.tag, "{}"));
    return true;
}

void myxi_session::revoke_unauthorized() {
    std::vector<std::string> revoked;
    for (auto key : shard_.subscriptions().topics_of(*this)) {
        const auto exchange = exchange_of(key);
        const auto access = access_of(shard_.node().settings, exchange);
        if (!access || decide(*access, identity_.get(), exchange, routing_key_of(key)) !=
                           access_decision::allow) {
            revoked.emplace_back(key);
        }
    }
    for (const auto& key : revoked) {
        shard_.unsubscribe(*this, key);
        reply_unsubscribed(exchange_of(key), json_text::quote(routing_key_of(key)), true, "null");
    }
}

} // namespace herald
