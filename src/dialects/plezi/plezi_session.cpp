#include "dialects/plezi/plezi_session.hpp"

#include "auth/base64url.hpp"
#include "protocol/json_text.hpp"
#include "session/backend_outcome.hpp"

#include <chrono>

namespace herald {

plezi_session::plezi_session(session_port& port, const session_env& env,
                             const upgrade_request& request, plezi::options settings)
    : port_(port)
    , env_(env)
    , core_(port, env)
    , settings_(settings)
    , path_(request.path)
    , query_(request.query) {
    if (request.who != nullptr) {
        core_.set_identity(*request.who);
    }
}

void plezi_session::on_open() {
    if (!port_.has_backend()) {
        return;
    }
    // Plezi's on_open could read the request's params: the path and query come along.
    std::string members = R"(,"path":)";
    json_text::append_string(members, path_);
    members += R"(,"query":)";
    json_text::append_string(members, query_);
    port_.ask_backend("on_open", core_.identity_json(), std::move(members),
                      [this](backend_reply reply) {
                          auto outcome = read_backend_reply(std::move(reply), "on_open");
                          if (outcome.what == backend_outcome::kind::answered) {
                              take_answer(outcome.answer);
                          }
                      });
}

void plezi_session::on_message(std::string_view payload, bool binary) {
    if (settings_.auto_dispatch) {
        if (binary) {
            // Plezi reads every auto-dispatch message as JSON text; bytes are no event.
            env_.count_action(static_cast<std::size_t>(plezi::action_label::invalid), false);
            port_.close(plezi::unsupported_data, "binary messages are not dispatched");
            return;
        }
        dispatch(payload);
        return;
    }
    if (!binary && raw_acknowledgement(payload)) {
        return;
    }
    raw_message(payload, binary);
}

// In raw mode nothing is parsed, but for a text that names _ack_mail_: when it is an
// {"event":"_ack_mail_",…} object, it is the acknowledgement, not a message for the back end.
bool plezi_session::raw_acknowledgement(std::string_view text) {
    if (text.find(plezi::acknowledge_event) == std::string_view::npos) {
        return false;
    }
    auto parsed = plezi::parse_event(text);
    if (!parsed || parsed->name != plezi::acknowledge_event) {
        return false;
    }
    acknowledge(*parsed);
    return true;
}

// Kept mail of the identities the session registered as (docs/backend.md#acknowledgements),
// answered once the store has removed what it could; ids that are no list get err 400.
void plezi_session::acknowledge(const plezi::client_event& e) {
    const bool usable = !e.mail.empty();
    env_.count_action(static_cast<std::size_t>(plezi::action_label::acknowledge), usable);
    if (!usable) {
        env_.count_error(protocol_error::invalid_payload);
        port_.send_text(plezi::error(400, plezi::acknowledge_needs));
        return;
    }
    port_.acknowledge_mail(e.mail, [this, asked = e.mail](std::vector<std::string> removed) {
        port_.send_text(plezi::acknowledged(asked, removed));
    });
}

void plezi_session::raw_message(std::string_view payload, bool binary) {
    env_.count_action(static_cast<std::size_t>(plezi::action_label::message), true);
    if (!port_.has_backend()) {
        if (settings_.echo) {
            binary ? port_.send_binary(payload) : port_.send_text(payload);
        }
        return;
    }
    // Text as a JSON string; bytes as base64url (no padding), which any JSON carries.
    std::string members = R"(,"data":)";
    json_text::append_string(members, binary ? base64url_encode(payload) : payload);
    if (binary) {
        members += R"(,"binary":true)";
    }
    port_.ask_backend("on_message", core_.identity_json(), std::move(members),
                      [this](backend_reply reply) {
                          auto outcome = read_backend_reply(std::move(reply), "on_message");
                          if (outcome.what == backend_outcome::kind::answered) {
                              take_answer(outcome.answer);
                          }
                      });
}

void plezi_session::dispatch(std::string_view text) {
    auto parsed = plezi::parse_event(text);
    if (!parsed) {
        env_.count_error(protocol_error::invalid_json);
        env_.count_action(static_cast<std::size_t>(plezi::action_label::invalid), false);
        if (parsed.error() == plezi::refusal::eid_too_long) {
            // A Herald bound, not a Plezi rule: the event is refused, the session stays.
            port_.send_text(plezi::error(400, plezi::describe(parsed.error())));
            return;
        }
        // As Plezi does with a message it cannot read.
        port_.close(plezi::unreadable, plezi::describe(parsed.error()));
        return;
    }
    if (parsed->eid) {
        port_.send_text(plezi::ack(*parsed->eid)); // first, as Plezi writes it
    }
    if (parsed->name == plezi::acknowledge_event) {
        acknowledge(*parsed);
        return;
    }
    if (!plezi::dispatchable(parsed->name) || !port_.has_backend()) {
        unknown(parsed->message);
        return;
    }
    env_.count_action(static_cast<std::size_t>(plezi::action_label::event), true);
    ask_event(std::move(*parsed));
}

void plezi_session::ask_event(plezi::client_event e) {
    std::string members = R"(,"event":)";
    json_text::append_string(members, e.name);
    members += R"(,"message":)";
    members += e.message;
    port_.ask_backend(
        "event", core_.identity_json(), std::move(members),
        [this, message = std::move(e.message)](backend_reply reply) {
            auto outcome = read_backend_reply(std::move(reply), "event");
            switch (outcome.what) {
            case backend_outcome::kind::timeout:
                port_.send_text(plezi::error(
                    504, "BackendTimeout: the back end did not answer in time", message));
                return;
            case backend_outcome::kind::failed:
                port_.send_text(plezi::error(502, "BackendError: " + outcome.detail, message));
                return;
            case backend_outcome::kind::answered:
                break;
            }
            if (outcome.answer.allow == false) {
                unknown(message); // the back end has no such event
                return;
            }
            take_answer(outcome.answer);
        });
}

void plezi_session::unknown(const std::string& message_json) {
    env_.count_action(static_cast<std::size_t>(plezi::action_label::unknown), false);
    if (settings_.unknown_event == plezi::options::unknown::close) {
        port_.close(plezi::unknown_event, "unknown event"); // Plezi 0.14
        return;
    }
    port_.send_text(plezi::error(404, "not found", message_json)); // Plezi 0.12
}

void plezi_session::take_answer(backend_answer& answer) {
    if (answer.payload) {
        if (auto text = plezi::written(*answer.payload)) {
            port_.send_text(*text);
        }
    }
    using kind = backend_command::kind;
    for (const auto& c : answer.commands) {
        switch (c.what) {
        case kind::subscribe:
            core_.subscribe(c.exchange, *c.routing_key, true);
            break;
        case kind::unsubscribe:
            if (c.routing_key) {
                core_.unsubscribe(c.exchange, *c.routing_key);
            } else {
                core_.unsubscribe_each(c.exchange);
            }
            break;
        case kind::set_identity:
            core_.set_identity({c.subject, c.grants, {}});
            break;
        case kind::register_as:
            // Plezi's register_as returns nothing to the client either; a refusal is the back
            // end's bug (a name over the limits), not the client's.
            core_.register_as(c.subject, std::chrono::seconds(c.lifetime), c.max_connections,
                              c.acknowledge);
            break;
        case kind::send:
            port_.send_text(plezi::application_event(c.event, c.payload));
            break;
        case kind::disconnect:
            port_.close(static_cast<ws::close_code>(c.code), c.reason);
            return; // the session has ended: nothing more reaches it
        }
    }
}

void plezi_session::tell(std::string_view kind) {
    if (port_.has_backend()) {
        port_.tell_backend(kind, core_.identity_json(), {});
    }
}

void plezi_session::on_shutdown() {
    tell("on_shutdown");
}

void plezi_session::on_end() {
    tell("on_close");
    core_.leave();
}

} // namespace herald
