#include "dialects/datadealer/datadealer_session.hpp"

#include "dialects/datadealer/datadealer_protocol.hpp"
#include "protocol/json_text.hpp"
#include "protocol/mail_ids.hpp"
#include "session/backend_outcome.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace herald {
namespace {

namespace dd = datadealer;

void count(const session_env& env, dd::action_label label, bool ok) {
    env.count_action(static_cast<std::size_t>(label), ok);
}

// A JWT has three dot-separated parts; dd_app's tokens (Django session keys) have none.
bool looks_like_jwt(std::string_view token) {
    return std::count(token.begin(), token.end(), '.') == 2;
}

} // namespace

datadealer_session::datadealer_session(session_port& port, const session_env& env,
                                       const upgrade_request& request)
    : port_(port)
    , env_(env)
    , core_(*this, env)
    , listener_id_(fmt::format("{:016x}", port.session_id())) {
    if (request.who != nullptr) {
        core_.set_identity(*request.who);
    }
    if (auto cookie = request.cookie("sessionid")) {
        sessionid_ = std::string(*cookie);
    }
}

void datadealer_session::on_message(std::string_view text, bool /*binary: read as text*/) {
    auto parsed = dd::parse_client_message(text);
    if (!parsed) {
        env_.count_error(protocol_error::invalid_json);
        count(env_, dd::action_label::invalid, false);
        refuse("invalid_message", parsed.error());
        return;
    }
    if (parsed->ev == "client_connected") {
        if (phase_ != phase::waiting) {
            count(env_, dd::action_label::client_connected, false);
            refuse(phase_ == phase::asking ? "handshake_pending" : "already_established",
                   "client_connected is sent once per session");
            return;
        }
        count(env_, dd::action_label::client_connected, true);
        connect(parsed->pl);
        return;
    }
    if (phase_ != phase::established) {
        count(env_, dd::action_label::action, false);
        refuse("not_established", "send client_connected first, and wait for established");
        return;
    }
    if (parsed->ev == dd::acknowledge_event) {
        count(env_, dd::action_label::acknowledge, acknowledge(parsed->pl));
        return;
    }
    count(env_, dd::action_label::action, true);
    forward(std::move(parsed->ev), std::move(parsed->pl));
}

// Kept mail of the identities the session registered as (docs/backend.md#acknowledgements),
// answered once the store has removed what it could; never the back end's.
bool datadealer_session::acknowledge(std::string_view pl) {
    auto ids = mail_ids::read_member(pl);
    if (!ids) {
        env_.count_error(protocol_error::invalid_payload);
        refuse("invalid_acknowledge", dd::acknowledge_needs);
        return false;
    }
    port_.acknowledge_mail(*ids, [this, asked = *ids](std::vector<std::string> removed) {
        send(dd::acknowledged(asked, removed));
    });
    return true;
}

void datadealer_session::on_tick(std::chrono::system_clock::time_point) {
    if (kicked_) {
        port_.close(ws::close_code::kicked, "kicked");
    }
}

// The uid, from the first of: credentials checked at the upgrade; the token, when it is a JWT
// and the node verifies tokens; the back end.
void datadealer_session::connect(std::string_view pl) {
    if (core_.who() != nullptr) {
        establish();
        return;
    }
    auto token = dd::token_of(pl);
    if (token && looks_like_jwt(*token) && env_.rules.jwt.enabled()) {
        if (auto verified = core_.authenticate(*token, std::chrono::system_clock::now())) {
            establish();
            return;
        }
        if (!port_.has_backend()) {
            refuse("invalid_token", "the token is not valid here");
            return;
        }
    }
    if (!port_.has_backend()) {
        refuse("no_identity",
               "no credentials at the upgrade, no valid token, and no back end to ask");
        return;
    }
    ask_backend_for_uid(token.value_or(""));
}

void datadealer_session::ask_backend_for_uid(std::string token) {
    phase_ = phase::asking;
    std::string members = R"(,"token":)";
    json_text::append_string(members, token);
    members += R"(,"sessionid":)";
    if (sessionid_) {
        json_text::append_string(members, *sessionid_);
    } else {
        members += "null";
    }
    port_.ask_backend("authenticate", "null", std::move(members), [this](backend_reply reply) {
        auto outcome = read_backend_reply(std::move(reply), "authenticate");
        phase_ = phase::waiting; // unless established below: the client may try again
        if (outcome.what == backend_outcome::kind::timeout) {
            refuse("backend_timeout", "the back end did not answer in time");
            return;
        }
        if (outcome.what == backend_outcome::kind::failed) {
            refuse("backend_error", outcome.detail);
            return;
        }
        auto& answer = outcome.answer;
        if (answer.allow == false || !answer.identity) {
            refuse("no_identity", answer.reason.value_or("the back end named no user"));
            return;
        }
        core_.set_identity({*answer.identity, std::move(answer.grants), {}});
        establish();
        run(answer.commands);
    });
}

// As dd_app's client_connected: kick the user's other sessions first, then listen to srv_msg
// and the user's channel, then say established.
void datadealer_session::establish() {
    phase_ = phase::established;
    const auto user = dd::user_key(core_.who()->subject);
    port_.publish_raw(dd::events_exchange, user, dd::kick_message(listener_id_));
    // DataDealer's own subscriptions: not the client's to choose, so no exchange policy
    // applies; the session's limits do.
    using result = session_core::subscribe_result;
    for (const auto& key : {std::string(dd::broadcast_key), user}) {
        if (const auto r = core_.subscribe(dd::events_exchange, key, true);
            r != result::subscribed && r != result::already_subscribed) {
            refuse(
                "subscription_refused",
                "the node's limits refused the subscription to " + key +
                    " (limits.max_subscriptions_per_session, max_subscription_bytes_per_session)");
            port_.close(ws::close_code::policy_violation, "subscription refused");
            return;
        }
    }
    send(dd::event("established", "{}"));
}

void datadealer_session::forward(std::string ev, std::string pl) {
    if (!port_.has_backend()) {
        refuse("no_backend", "this node has no back end for actions");
        return;
    }
    std::string members = R"(,"action":)";
    json_text::append_string(members, ev);
    members += R"(,"payload":)" + pl;
    port_.ask_backend(
        "action", core_.identity_json(), std::move(members),
        [this, ev = std::move(ev)](backend_reply reply) {
            auto outcome = read_backend_reply(std::move(reply), "action");
            if (outcome.what == backend_outcome::kind::timeout) {
                refuse("backend_timeout", "the back end did not answer " + ev + " in time");
                return;
            }
            if (outcome.what == backend_outcome::kind::failed) {
                refuse("backend_error", outcome.detail);
                return;
            }
            const auto& answer = outcome.answer;
            if (answer.event || answer.payload) {
                send(dd::event(answer.event.value_or(ev), answer.payload.value_or("{}")));
            }
            run(answer.commands);
        });
}

// The back end's commands that mean something here; the others (subscriptions, identities of
// Myxi's kind) are not DataDealer's and are left out.
void datadealer_session::run(const std::vector<backend_command>& commands) {
    using kind = backend_command::kind;
    for (const auto& c : commands) {
        switch (c.what) {
        case kind::send:
            send(dd::event(c.event, c.payload));
            break;
        case kind::register_as:
            // The back end is trusted; a name over the limits is its bug, not the client's.
            if (core_.register_as(c.subject, std::chrono::seconds(c.lifetime), c.max_connections,
                                  c.acknowledge) != session_core::register_result::registered) {
                refuse("invalid_identity", "the back end's register_as was refused");
            }
            break;
        case kind::disconnect:
            port_.close(static_cast<ws::close_code>(c.code), c.reason);
            return; // the session has ended: nothing more reaches it
        default:
            break;
        }
    }
}

void datadealer_session::refuse(std::string_view error, std::string_view detail) {
    send(dd::error(error, detail));
}

void datadealer_session::send_frame(const shared_frame& frame) {
    if (kicked_) {
        return; // closing at the next tick: nothing more for this client
    }
    const std::string_view bytes(*frame);
    if (auto sender = dd::kick_sender(bytes.substr(ws::frame_header_size_of(bytes)))) {
        if (*sender == listener_id_) {
            return; // its own kick, published as it connected
        }
        kicked_ = true;
    }
    port_.send_frame(frame);
}

} // namespace herald
