#include "dialects/piped/piped_session.hpp"

#include "protocol/mail_ids.hpp"
#include "session/backend_outcome.hpp"

namespace herald {

piped_session::piped_session(session_port& port, const session_env& env,
                             const upgrade_request& request)
    : port_(port)
    , env_(env)
    , core_(port, env)
    , token_(request.path_param("token").value_or("")) {
    if (request.who != nullptr) {
        core_.set_identity(*request.who);
    }
}

void piped_session::on_open() {
    if (token_.empty()) {
        port_.close(ws::close_code::policy_violation, "a Piped endpoint needs /{token}");
        return;
    }
    // Piped's own subscription: the token's events, from any node. Not the client's to choose,
    // so no exchange policy applies; the session's limits do.
    core_.subscribe(piped::events_exchange, token_, true);
}

void piped_session::on_message(std::string_view text, bool /*binary: read as text*/) {
    auto parsed = piped::parse_method(text);
    if (!parsed) {
        env_.count_error(protocol_error::invalid_json);
        env_.count_action(static_cast<std::size_t>(piped::action_label::invalid), false);
        send(piped::error(parsed.error()));
        return;
    }
    if (parsed->method == "ping") {
        env_.count_action(static_cast<std::size_t>(piped::action_label::ping), true);
        send(piped::event("pong", std::nullopt));
        return;
    }
    if (parsed->method == piped::acknowledge_method) {
        env_.count_action(static_cast<std::size_t>(piped::action_label::acknowledge),
                          acknowledge(std::move(*parsed)));
        return;
    }
    env_.count_action(static_cast<std::size_t>(piped::action_label::method), true);
    if (const auto& out = env_.rules.piped.methods_exchange; !out.empty()) {
        // Piped's way: the method to the node's out-exchange; its result comes back through
        // the node's in-queue, to every session of the token on this node, as Piped did.
        port_.publish_raw(out, "", "{" + piped::request_members(*parsed, token_).substr(1) + "}");
        return;
    }
    call_backend(std::move(*parsed));
}

// Kept mail of the identities the session registered as, answered as a result once the store
// has removed what it could; an error event, with the call's id, when the ids are unusable.
bool piped_session::acknowledge(piped::method_call call) {
    auto ids = call.payload ? mail_ids::read_member(*call.payload) : std::nullopt;
    if (!ids) {
        env_.count_error(protocol_error::invalid_payload);
        send(piped::error(piped::acknowledge_needs,
                          call.id ? std::optional<std::string_view>(*call.id) : std::nullopt));
        return false;
    }
    port_.acknowledge_mail(
        *ids, [this, call = std::move(call), asked = *ids](std::vector<std::string> removed) {
            send(piped::result(call, "{" + mail_ids::acknowledged_members(asked, removed) + "}"));
        });
    return true;
}

void piped_session::call_backend(piped::method_call call) {
    std::string members = piped::request_members(call, token_);
    port_.ask_backend(
        "method", core_.identity_json(), std::move(members),
        [this, call = std::move(call)](backend_reply reply) {
            auto outcome = read_backend_reply(std::move(reply), "method");
            const auto id = call.id ? std::optional<std::string_view>(*call.id) : std::nullopt;
            switch (outcome.what) {
            case backend_outcome::kind::timeout:
                send(piped::error(
                    "BackendTimeout: the back end did not answer " + call.method + " in time", id));
                return;
            case backend_outcome::kind::failed:
                send(piped::error("BackendError: " + outcome.detail, id));
                return;
            case backend_outcome::kind::answered:
                break;
            }
            const auto& answer = outcome.answer;
            send(piped::result(call, answer.payload
                                         ? std::optional<std::string_view>(*answer.payload)
                                         : std::nullopt));
            for (const auto& c : answer.commands) {
                if (c.what == backend_command::kind::send) {
                    send(piped::event(c.event, c.payload));
                } else if (c.what == backend_command::kind::disconnect) {
                    port_.close(static_cast<ws::close_code>(c.code), c.reason);
                    return;
                }
            }
        });
}

} // namespace herald
