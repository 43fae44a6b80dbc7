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
    case result::ask_backend:
        return {};
    }
    return "InvalidPayload";
}

} // namespace

myxi_session::myxi_session(session_port& port, const session_env& env, const identity* who)
    : port_(port)
    , env_(env)
    , core_(port, env) {
    if (who != nullptr) {
        core_.set_identity(*who);
    }
}

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
    case myxi::action_kind::acknowledge:
        ok = acknowledge(a);
        break;
    case myxi::action_kind::other:
        if (env_.rules.backend.answers(a.name)) {
            forward(a);
            break;
        }
        env_.count_error(protocol_error::invalid_action);
        send(myxi::error(a.tag, "InvalidAction"));
        ok = false;
        break;
    }
    env_.count_action(static_cast<std::size_t>(a.kind), ok);
}

// Answered once the store has removed what it could: Acknowledged with the ids removed and
// those that were not (already acknowledged, another identity's, or never ours).
bool myxi_session::acknowledge(const myxi::action& a) {
    if (a.mail.empty()) {
        send(myxi::error(a.tag, "InvalidPayload",
                         R"(,"detail":)" + json_text::quote(myxi::acknowledge_needs)));
        return false;
    }
    port_.acknowledge_mail(a.mail,
                           [this, tag = a.tag, asked = a.mail](std::vector<std::string> removed) {
                               send(myxi::acknowledged(tag, asked, removed));
                           });
    return true;
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
        const auto result = core_.subscribe(*a.exchange, key.text);
        if (result == session_core::subscribe_result::ask_backend) {
            ask_subscription(a.tag, *a.exchange, key);
            continue;
        }
        all_ok = all_ok && result == session_core::subscribe_result::subscribed;
        subscribed(a.tag, *a.exchange, key.json, result);
    }
    return all_ok;
}

void myxi_session::subscribed(std::string_view tag, std::string_view exchange,
                              std::string_view key_json, session_core::subscribe_result result) {
    const std::string context = where(exchange, key_json);
    if (result != session_core::subscribe_result::subscribed) {
        std::string extra = context;
        if (result == session_core::subscribe_result::too_large) {
            extra +=
                R"(,"detail":"subscriptions are over limits.max_subscription_bytes_per_session")";
        }
        send(myxi::error(tag, error_name(result), extra));
        return;
    }
    std::string payload = context;
    payload.front() = '{'; // ,"exchange":…  →  {"exchange":…}
    payload += '}';
    send(myxi::event("Subscribed", tag, payload));
}

void myxi_session::ask_subscription(std::string tag, std::string exchange, myxi::routing_key key) {
    std::string members = R"(,"exchange":)";
    json_text::append_string(members, exchange);
    members += R"(,"routing_key":)";
    json_text::append_string(members, key.text);
    port_.ask_backend(
        "subscribe", core_.identity_json(), std::move(members),
        [this, tag = std::move(tag), exchange = std::move(exchange),
         key = std::move(key)](backend_reply reply) {
            auto outcome = read_backend_reply(std::move(reply), "subscribe");
            if (outcome.what != backend_outcome::kind::answered) {
                backend_failed(tag, outcome);
                return;
            }
            if (outcome.answer.allow != true) {
                std::string extra = where(exchange, key.json);
                if (outcome.answer.reason) {
                    extra += R"(,"detail":)" + json_text::quote(*outcome.answer.reason);
                }
                send(myxi::error(tag, "SubscriptionDenied", extra));
                return;
            }
            subscribed(tag, exchange, key.json, core_.subscribe(exchange, key.text, true));
        });
}

void myxi_session::backend_failed(std::string_view tag, const backend_outcome& outcome) {
    if (outcome.what == backend_outcome::kind::timeout) {
        send(myxi::error(tag, "BackendTimeout"));
        return;
    }
    send(myxi::error(tag, "BackendError", R"(,"detail":)" + json_text::quote(outcome.detail)));
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
    if (env_.rules.backend.authenticate) {
        authenticate_by_backend(a);
        return true;
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

void myxi_session::authenticate_by_backend(const myxi::action& a) {
    std::string members = R"(,"token":)";
    json_text::append_string(members, *a.token);
    port_.ask_backend(
        "authenticate", core_.identity_json(), std::move(members),
        [this, tag = a.tag](backend_reply reply) {
            auto outcome = read_backend_reply(std::move(reply), "authenticate");
            if (outcome.what != backend_outcome::kind::answered) {
                backend_failed(tag, outcome);
                return;
            }
            auto& answer = outcome.answer;
            if (answer.allow == false || !answer.identity) {
                const std::string why = answer.reason.value_or(
                    answer.allow == false ? "refused by the back end"
                                          : "the back end named no identity");
                send(myxi::error(tag, "InvalidSessionToken",
                                 R"(,"detail":)" + json_text::quote(why)));
                return;
            }
            reply_revoked(core_.set_identity({*answer.identity, std::move(answer.grants), {}}));
            send(myxi::event("Authenticated", tag,
                             R"({"identity":)" + json_text::quote(core_.who()->subject) + "}"));
            run(answer.commands, tag);
        });
}

// A custom action (Myxi's Action.add): the back end answers it; its answer becomes an event
// with the action's tag, and may carry commands for the session.
void myxi_session::forward(const myxi::action& a) {
    std::string members = R"(,"action":)";
    json_text::append_string(members, a.name);
    members += R"(,"tag":)" + a.tag + R"(,"payload":)" + a.payload;
    port_.ask_backend(
        "action", core_.identity_json(), std::move(members),
        [this, tag = a.tag, name = a.name](backend_reply reply) {
            auto outcome = read_backend_reply(std::move(reply), "action");
            if (outcome.what != backend_outcome::kind::answered) {
                backend_failed(tag, outcome);
                return;
            }
            const auto& answer = outcome.answer;
            if (answer.event || answer.payload) {
                send(myxi::event(answer.event.value_or(name), tag, answer.payload.value_or("{}")));
            }
            run(answer.commands, tag);
        });
}

void myxi_session::run(const std::vector<backend_command>& commands, std::string_view tag) {
    using kind = backend_command::kind;
    for (const auto& c : commands) {
        switch (c.what) {
        case kind::subscribe:
            subscribed(tag, c.exchange, json_text::quote(*c.routing_key),
                       core_.subscribe(c.exchange, *c.routing_key, true));
            break;
        case kind::unsubscribe:
            if (c.routing_key) {
                if (core_.unsubscribe(c.exchange, *c.routing_key)) {
                    reply_unsubscribed(c.exchange, json_text::quote(*c.routing_key), true, tag);
                }
            } else {
                for (const auto& t : core_.unsubscribe_each(c.exchange)) {
                    reply_unsubscribed(t.exchange, json_text::quote(t.routing_key), true, tag);
                }
            }
            break;
        case kind::set_identity:
            reply_revoked(core_.set_identity({c.subject, c.grants, {}}));
            send(myxi::event("Authenticated", tag,
                             R"({"identity":)" + json_text::quote(c.subject) + "}"));
            break;
        case kind::register_as:
            // The back end is trusted; a name over the limits is its bug, not the client's.
            if (core_.register_as(c.subject, std::chrono::seconds(c.lifetime), c.max_connections,
                                  c.acknowledge) != session_core::register_result::registered) {
                send(myxi::error(tag, "InvalidIdentity",
                                 R"(,"detail":"the back end's register_as was refused: an )"
                                 R"(identity of 1 to 1024 bytes, at most )"
                                 R"(limits.max_identities_per_session")"));
            }
            break;
        case kind::send:
            send(myxi::event(c.event, tag, c.payload));
            break;
        case kind::disconnect:
            port_.close(static_cast<ws::close_code>(c.code), c.reason);
            return; // the session has ended: nothing more reaches it
        }
    }
}

bool myxi_session::deauthenticate(const myxi::action& a) {
    reply_revoked(core_.deauthenticate());
    send(myxi::event("Deauthenticated", a.tag, "{}"));
    return true;
}

} // namespace herald
