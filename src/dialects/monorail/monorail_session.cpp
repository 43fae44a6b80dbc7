#include "dialects/monorail/monorail_session.hpp"

#include "protocol/json_raw.hpp"
#include "protocol/json_text.hpp"
#include "session/backend_outcome.hpp"

#include <fmt/format.h>
#include <simdjson.h>

namespace herald {
namespace {

using label = monorail::action_label;
using monorail::handler;

label label_of(handler h) {
    switch (h) {
    case handler::init:
        return label::init;
    case handler::query:
        return label::query;
    case handler::all:
        return label::all;
    case handler::get:
        return label::get;
    case handler::watch:
        return label::watch;
    case handler::stop:
        return label::stop;
    case handler::error:
    case handler::unknown:
        break;
    }
    return label::unknown;
}

// A watch's string parameter, or nullopt when absent; `bad` when present but not a string.
std::optional<std::string> string_param(std::string_view params, std::string_view name, bool& bad) {
    std::optional<std::string> out;
    if (params.empty()) {
        return out;
    }
    const auto read = json_raw::for_each_member(params, [&](std::string_view key, auto& value) {
        if (key != name) {
            return true;
        }
        std::string_view s;
        if (value.get_string().get(s) == simdjson::SUCCESS) {
            out = std::string(s);
        } else {
            bad = true;
        }
        return false;
    });
    if (read != json_raw::object_read::ok) {
        bad = true;
    }
    return out;
}

// Routing keys a client may name: a routing key's bytes, at most AMQP's 255.
bool fits_routing_key(std::string_view key) {
    return !key.empty() && key.size() <= 255 && key.find('\0') == std::string_view::npos;
}

} // namespace

monorail_session::monorail_session(session_port& port, const session_env& env,
                                   const upgrade_request& request,
                                   const resource_catalog& resources)
    : port_(port)
    , env_(env)
    , core_(port, env)
    , resources_(resources)
    , path_resource_(monorail::resource_of_path(request.path)) {
    if (request.who != nullptr) {
        core_.set_identity(*request.who);
    }
}

void monorail_session::count(label what, bool ok) {
    env_.count_action(static_cast<std::size_t>(what), ok);
}

void monorail_session::refuse(std::string_view resource, std::string_view code,
                              std::string_view message) {
    port_.send_text(monorail::error(resource, code, message));
}

void monorail_session::on_message(std::string_view payload, bool binary) {
    if (binary) {
        count(label::invalid, false);
        refuse(path_resource_, "invalid_message", "messages are JSON text, not binary");
        return;
    }
    auto parsed = monorail::read_request(payload);
    if (!parsed.ok) {
        env_.count_error(protocol_error::invalid_json);
        count(label::invalid, false);
        refuse(path_resource_, parsed.why.error, parsed.why.detail);
        return;
    }
    auto& r = *parsed.ok;
    if (r.resource.empty()) {
        r.resource = path_resource_;
    }
    switch (r.kind) {
    case handler::init:
        count(label::init, true);
        port_.send_text(monorail::session(fmt::format("{:016x}", port_.session_id())));
        return;
    case handler::error:
        // A client's report of its own error: on-wss only logged it, and so does nobody here.
        count(label::unknown, true);
        return;
    case handler::unknown:
        count(label::unknown, false);
        refuse(r.resource, "unknown_handler",
               fmt::format("no handler \"{}\": init, query, all, get, watch or stop",
                           r.name.substr(0, 64)));
        return;
    default:
        break;
    }
    const resource* target = resources_.find(r.resource);
    if (target == nullptr) {
        count(label_of(r.kind), false);
        refuse(r.resource, "unknown_resource",
               fmt::format("no resource \"{}\" here", r.resource.substr(0, 64)));
        return;
    }
    if (r.kind == handler::watch || r.kind == handler::stop) {
        watch(r, *target, r.kind == handler::watch);
        return;
    }
    if (target->from == resource::source::broker) {
        count(label_of(r.kind), false);
        refuse(r.resource, "unsupported", "this resource can only be watched");
        return;
    }
    if (target->from == resource::source::backend) {
        read_from_backend(r, *target);
        return;
    }
    read_from_store(r, *target);
}

void monorail_session::read_from_store(const monorail::request& r, const resource& target) {
    auto criteria = r.kind == handler::all ? criteria_read{} : read_criteria(r.params);
    if (criteria.problem) {
        count(label_of(r.kind), false);
        refuse(r.resource, "invalid_params", *criteria.problem);
        return;
    }
    count(label_of(r.kind), true);
    const bool one = r.kind == handler::get;
    find_request request{target.collection, std::move(criteria.criteria),
                         one ? std::size_t{1} : resources_.max_list};
    port_.find_documents(*target.store, std::move(request),
                         [this, one, name = target.name, params = r.params](find_result result) {
                             switch (result.status) {
                             case store_status::ok:
                                 break;
                             case store_status::unavailable:
                                 refuse(name, "store_unavailable", result.error);
                                 return;
                             case store_status::overloaded:
                                 refuse(name, "overloaded", result.error);
                                 return;
                             case store_status::failed:
                                 refuse(name, "store_failed", result.error);
                                 return;
                             }
                             if (!one) {
                                 port_.send_text(
                                     monorail::list(name, result.documents, result.truncated));
                             } else if (result.documents.empty()) {
                                 port_.send_text(monorail::removed(name, params));
                             } else {
                                 port_.send_text(monorail::item(name, result.documents.front()));
                             }
                         });
}

void monorail_session::read_from_backend(const monorail::request& r, const resource& target) {
    std::string members = R"(,"handler":)";
    json_text::append_string(members, r.name);
    members += R"(,"resource":)";
    json_text::append_string(members, target.name);
    members += R"(,"collection":)";
    json_text::append_string(members, target.collection);
    members += R"(,"params":)";
    members += r.params.empty() ? std::string_view("{}") : std::string_view(r.params);
    count(label_of(r.kind), true);
    const bool one = r.kind == handler::get;
    port_.ask_backend(
        "monorail", core_.identity_json(), std::move(members),
        [this, one, name = target.name, params = r.params,
         limit = resources_.max_list](backend_reply reply) {
            auto outcome = read_backend_reply(std::move(reply), "monorail");
            if (outcome.what != backend_outcome::kind::answered) {
                refuse(name,
                       outcome.what == backend_outcome::kind::timeout ? "backend_timeout"
                                                                      : "backend_failed",
                       outcome.detail);
                return;
            }
            auto& answer = outcome.answer;
            if (answer.error) {
                refuse(name, "backend_failed", *answer.error);
                return;
            }
            const std::string payload = answer.payload.value_or("null");
            if (one) {
                if (payload == "null") {
                    port_.send_text(monorail::removed(name, params));
                } else {
                    port_.send_text(monorail::item(name, payload));
                }
                return;
            }
            // The list the back end gave, cut at the node's bound like a store's.
            thread_local simdjson::dom::parser parser;
            simdjson::dom::array items;
            if (parser.parse(payload).get_array().get(items) != simdjson::SUCCESS) {
                refuse(name, "backend_failed", "the back end's payload is not a list");
                return;
            }
            std::vector<std::string> texts;
            bool truncated = false;
            for (auto element : items) {
                if (texts.size() == limit) {
                    truncated = true;
                    break;
                }
                texts.push_back(simdjson::minify(element));
            }
            port_.send_text(monorail::list(name, texts, truncated));
        });
}

void monorail_session::watch(const monorail::request& r, const resource& target, bool on) {
    const auto what = on ? label::watch : label::stop;
    std::string exchange;
    std::string routing_key;
    bool bad = false;
    if (target.from == resource::source::broker) {
        // {"exchange":…,"routingKey":…}: on-wss subscribed to whatever was named in its list.
        auto named = string_param(r.params, "exchange", bad);
        auto key = string_param(r.params, "routingKey", bad);
        if (bad || !named) {
            count(what, false);
            refuse(r.resource, "invalid_params",
                   "watching this resource needs params {\"exchange\":…,\"routingKey\":…} "
                   "(strings)");
            return;
        }
        if (!resources_.watchable(*named)) {
            count(what, false);
            refuse(r.resource, "exchange_not_allowed",
                   fmt::format("Invalid Exchange Specified for Subscription ({})",
                               named->substr(0, 64)));
            return;
        }
        exchange = std::move(*named);
        routing_key = key.value_or("#");
    } else {
        // A resource's changes: every one of its identity, or one document's (params.id).
        auto id = string_param(r.params, "id", bad);
        if (bad || (id && (id->empty() || id->find_first_of(".*#") != std::string::npos))) {
            count(what, false);
            refuse(r.resource, "invalid_params",
                   "params.id must be a non-empty string without '.', '*' or '#'");
            return;
        }
        exchange = resources_.waterline_exchange;
        routing_key = target.identity + (id ? ".*." + *id : ".#");
    }
    if (!fits_routing_key(routing_key)) {
        count(what, false);
        refuse(r.resource, "invalid_params", "the routing key must be 1 to 255 bytes, no NUL");
        return;
    }
    if (!on) {
        // No reply, as on-wss: stopping what is not watched is harmless.
        count(what, core_.unsubscribe(exchange, routing_key));
        return;
    }
    // The node's own allow list decided; the exchange's access policy is not asked again.
    switch (core_.subscribe(exchange, routing_key, true)) {
    case session_core::subscribe_result::subscribed:
    case session_core::subscribe_result::already_subscribed:
        count(what, true);
        return;
    case session_core::subscribe_result::too_many:
    case session_core::subscribe_result::too_large:
        count(what, false);
        refuse(r.resource, "too_many_watches",
               "this connection watches as much as limits.max_subscriptions_per_session allows");
        return;
    default:
        count(what, false);
        refuse(r.resource, "invalid_params", "this watch cannot be subscribed");
        return;
    }
}

} // namespace herald
