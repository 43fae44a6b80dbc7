// The session port's services beyond bytes: requests to the application back end, lifecycle
// events, raw publishes, and the node-wide work on a session's subscriptions (re-checks).
#include "protocol/json_text.hpp"
#include "shard/shard.hpp"
#include "transport/transport_context.hpp"
#include "transport/ws_connection.hpp"

#include <boost/asio/post.hpp>

#include <fmt/format.h>

namespace herald {

// Why a session ended, in the words of the disconnected lifecycle event.
const char* ws_connection::close_reason(ws::close_code code) {
    switch (code) {
    case ws::close_code::normal:
        return "closed";
    case ws::close_code::going_away:
        return "shutdown";
    case ws::close_code::slow_consumer:
        return "slow_consumer";
    case ws::close_code::idle_timeout:
        return "idle_timeout";
    case ws::close_code::superseded:
        return "superseded";
    case ws::close_code::internal_error:
        return "internal_error";
    default:
        break;
    }
    const auto number = static_cast<unsigned>(code);
    return number >= 4000 && number <= 4999 ? "application" : "protocol_error";
}

// ---- The back end

void ws_connection::ask_backend(std::string_view kind, std::string_view identity_json,
                                std::string members, backend_reply_handler on_reply) {
    if (node_.application == nullptr) {
        reply_later(std::move(on_reply),
                    {backend_status::unavailable, "no back end is configured ([backend] url)"});
        return;
    }
    if (backend_pending_ >= node_.backend_limits.max_pending_per_session) {
        reply_later(std::move(on_reply),
                    {backend_status::overloaded,
                     "more than [backend] max_pending_per_session requests pending"});
        return;
    }
    ++backend_pending_;
    const auto& endpoint = node_.endpoints[endpoint_index_];
    const std::string remote = remote_address();
    std::string body = render_backend_request({kind, node_.session_ids.node_id(), id_,
                                               node_.endpoint_paths[endpoint_index_],
                                               endpoint.speaks->name(), remote, identity_json},
                                              members);
    // The reply comes on the back end's thread; the session may be gone by the time it is
    // back on ours.
    node_.application->ask(kind, std::move(body),
                           [weak = weak_from_this(), &io = shard_.context(),
                            on_reply = std::move(on_reply)](backend_reply reply) mutable {
                               net::post(io,
                                         [weak = std::move(weak), on_reply = std::move(on_reply),
                                          reply = std::move(reply)]() mutable {
                                             if (auto self = weak.lock()) {
                                                 auto& me = static_cast<ws_connection&>(*self);
                                                 --me.backend_pending_;
                                                 me.take_reply(on_reply, std::move(reply));
                                             }
                                         });
                           });
}

bool ws_connection::has_backend() const {
    return node_.application != nullptr;
}

// Never within ask_backend: the dialect is in the middle of its own call.
void ws_connection::reply_later(backend_reply_handler on_reply, backend_reply reply) {
    net::post(shard_.context(), [weak = weak_from_this(), on_reply = std::move(on_reply),
                                 reply = std::move(reply)]() mutable {
        if (auto self = weak.lock()) {
            static_cast<ws_connection&>(*self).take_reply(on_reply, std::move(reply));
        }
    });
}

void ws_connection::take_reply(const backend_reply_handler& on_reply, backend_reply reply) {
    if (state_ == state::open && dialect_ && !dialect_ended_) {
        guarded([&] { on_reply(std::move(reply)); });
    }
}

session_core* ws_connection::core() {
    return state_ == state::open && dialect_ && !dialect_ended_ ? dialect_->core() : nullptr;
}

void ws_connection::revoke(const std::vector<topic>& subscriptions) {
    session_core* held = core();
    if (held == nullptr) {
        return;
    }
    std::vector<topic> dropped;
    for (const auto& t : subscriptions) {
        if (held->unsubscribe(t.exchange, t.routing_key)) {
            dropped.push_back(t);
        }
    }
    if (!dropped.empty()) {
        guarded([&] { dialect_->on_revoked(dropped); });
    }
}

void ws_connection::publish_raw(std::string_view exchange, std::string_view routing_key,
                                std::string body) {
    node_.bus.publish({std::string(exchange), std::string(routing_key), {}, std::move(body), {}},
                      nullptr);
}

void ws_connection::tell_lifecycle(lifecycle_event e, std::string_view identity_json,
                                   std::string_view members) {
    const auto& rules = node_.rules.lifecycle;
    if (!rules.wants(e)) {
        return;
    }
    const auto name = to_string(e);
    const auto& endpoint = node_.endpoints[endpoint_index_];
    const std::string remote = remote_address();
    if (rules.to == lifecycle_rules::target::backend) {
        if (node_.application != nullptr) {
            std::string fields = R"(,"event":)";
            json_text::append_string(fields, name);
            fields += members;
            node_.application->ask(
                "lifecycle",
                render_backend_request({"lifecycle", node_.session_ids.node_id(), id_,
                                        node_.endpoint_paths[endpoint_index_],
                                        endpoint.speaks->name(), remote, identity_json},
                                       fields),
                [](backend_reply) {}); // nobody waits: the answer is not read
        }
        return;
    }
    // On the bus: the envelope is the payload, the event's name its name and routing key.
    std::string payload = render_backend_request({name, node_.session_ids.node_id(), id_,
                                                  node_.endpoint_paths[endpoint_index_],
                                                  endpoint.speaks->name(), remote, identity_json},
                                                 members);
    payload.replace(1, 6, "\"event\""); // {"kind":…  →  {"event":…
    node_.bus.publish(
        {rules.exchange, std::string(name), std::string(name), std::move(payload), {}}, nullptr);
}

std::string ws_connection::remote_address() const {
    if (forwarded_for_) {
        return *forwarded_for_;
    }
    error_code ignored;
    const auto peer = socket_.remote_endpoint(ignored);
    return ignored ? std::string() : peer.address().to_string();
}

} // namespace herald
