// The session port's services beyond bytes: the dialect session's life, requests to the
// application back end, lifecycle events, raw publishes, and the node-wide work on a session's
// subscriptions (re-checks).
#include "transport/dialect_host.hpp"

#include "protocol/json_text.hpp"
#include "shard/shard.hpp"
#include "transport/transport_context.hpp"
#include "util/log.hpp"

#include <boost/asio/post.hpp>

#include <fmt/format.h>

namespace herald {

dialect_host::dialect_host(shard& owner, const transport_context& node, std::size_t endpoint_index)
    : host_shard_(owner)
    , node_(node)
    , env_{owner.hub(),
           owner.directory(),
           owner.metrics(),
           node.rules,
           node.endpoints[endpoint_index].id,
           node.endpoints[endpoint_index].first_action_label}
    , id_(node.session_ids.make(owner.index(), owner.next_session_number()))
    , endpoint_index_(static_cast<std::uint16_t>(endpoint_index)) {}

void dialect_host::guarded(const std::function<void()>& call) {
    const char* failure = nullptr;
    try {
        call();
        return;
    } catch (const std::exception& e) {
        failure = e.what();
    } catch (...) {
        failure = "an exception that is not a std::exception";
    }
    host_shard_.metrics().handler_failures.add();
    log::error("session {:016x}: its {} handler failed and the session ends: {}", id_,
               node_.endpoints[endpoint_index_].speaks->name(), failure);
    if (is_open()) {
        close(ws::close_code::internal_error);
    }
}

void dialect_host::open_dialect(const upgrade_request& request) {
    if (node_.backend_limits.trust_forwarded_for && !request.remote_address.empty()) {
        forwarded_for_ = std::make_unique<std::string>(request.remote_address);
    }
    // Addressable from here on (by id, endpoint, and the identities the dialect gives it).
    host_shard_.directory().add(id_, endpoint_index_, env_.dialect, *this);
    if (node_.live != nullptr) {
        node_.live->add(id_);
    }
    guarded([&] {
        dialect_ = node_.endpoints[endpoint_index_].speaks->open(*this, env_, request);
        if (node_.rules.lifecycle.wants(lifecycle_event::connected)) {
            const auto* who = request.who;
            tell_lifecycle(lifecycle_event::connected,
                           who ? render_identity(who->subject, who->channels) : "null", {});
        }
        dialect_->on_open();
    });
}

void dialect_host::end_dialect(int code, std::string_view reason) {
    // No addressed event reaches a session that is ending. (Both are idempotent.)
    host_shard_.directory().remove(id_);
    if (node_.live != nullptr) {
        node_.live->remove(id_);
    }
    if (dialect_ && !dialect_ended_) {
        dialect_ended_ = true;
        if (node_.rules.lifecycle.wants(lifecycle_event::disconnected)) {
            const session_core* core = dialect_->core();
            tell_lifecycle(lifecycle_event::disconnected,
                           core ? core->identity_json() : std::string("null"),
                           fmt::format(R"(,"code":{},"reason":"{}")", code, reason));
        }
        guarded([&] { dialect_->on_end(); });
    }
}

// Why a session ended, in the words of the disconnected lifecycle event.
const char* dialect_host::close_reason(ws::close_code code) {
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

// The session may be gone by the time the answer is back on its shard: a weak reference.
template <class Answer>
std::function<void(Answer)> dialect_host::back_on_shard(std::function<void(Answer)> handler,
                                                        bool settles_pending) {
    return [weak = std::weak_ptr<dialect_host>(host_ref()), &io = host_shard_.context(),
            handler = std::move(handler), settles_pending](Answer answer) mutable {
        net::post(io, [weak = std::move(weak), handler = std::move(handler), settles_pending,
                       answer = std::move(answer)]() mutable {
            auto self = weak.lock();
            if (!self) {
                return;
            }
            if (settles_pending) {
                --self->backend_pending_;
            }
            if (self->is_open() && self->dialect_running()) {
                self->guarded([&] { handler(std::move(answer)); });
            }
        });
    };
}

void dialect_host::ask_backend(std::string_view kind, std::string_view identity_json,
                               std::string members, backend_reply_handler on_reply) {
    // Never answered within ask_backend: the dialect is in the middle of its own call.
    if (node_.application == nullptr) {
        back_on_shard(std::move(on_reply), false)(
            {backend_status::unavailable, "no back end is configured ([backend] url)"});
        return;
    }
    if (backend_pending_ >= node_.backend_limits.max_pending_per_session) {
        back_on_shard(std::move(on_reply),
                      false)({backend_status::overloaded,
                              "more than [backend] max_pending_per_session requests pending"});
        return;
    }
    ++backend_pending_;
    node_.application->ask(kind, backend_request(kind, identity_json, members),
                           back_on_shard(std::move(on_reply), true));
}

bool dialect_host::has_backend() const {
    return node_.application != nullptr;
}

std::string dialect_host::backend_request(std::string_view kind, std::string_view identity_json,
                                          std::string_view members) const {
    const auto& endpoint = node_.endpoints[endpoint_index_];
    return render_backend_request({kind, node_.session_ids.node_id(), id_,
                                   node_.endpoint_paths[endpoint_index_], endpoint.speaks->name(),
                                   remote_address(), identity_json},
                                  members);
}

void dialect_host::tell_backend(std::string_view kind, std::string_view identity_json,
                                std::string members) {
    if (node_.application == nullptr) {
        return;
    }
    // Nothing waits for the answer: it may come after the session has gone.
    node_.application->ask(kind, backend_request(kind, identity_json, members),
                           [](backend_reply) {});
}

void dialect_host::find_documents(document_store& store, find_request request,
                                  documents_handler on_result) {
    if (backend_pending_ >= node_.backend_limits.max_pending_per_session) {
        back_on_shard(std::move(on_result),
                      false)({store_status::overloaded,
                              "more than [backend] max_pending_per_session requests pending",
                              {},
                              false});
        return;
    }
    ++backend_pending_;
    store.find(std::move(request), back_on_shard(std::move(on_result), true));
}

session_core* dialect_host::core() {
    return is_open() && dialect_running() ? dialect_->core() : nullptr;
}

void dialect_host::revoke(const std::vector<topic>& subscriptions) {
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

// ---- Mail acknowledgements

void dialect_host::acknowledge_mail(std::vector<std::string> ids, acknowledged_handler done) {
    const auto held = host_shard_.directory().registered_as(id_);
    std::vector<std::string> identities(held.begin(), held.end());
    // Removed on the bus thread; the session may be gone by the time the answer is back here.
    node_.bus.acknowledge_mail(
        std::move(identities), std::move(ids),
        [weak = std::weak_ptr<dialect_host>(host_ref()), &io = host_shard_.context(),
         done = std::move(done)](std::vector<std::string> removed) mutable {
            net::post(io, [weak = std::move(weak), done = std::move(done),
                           removed = std::move(removed)]() mutable {
                if (auto self = weak.lock(); self && self->is_open() && self->dialect_running()) {
                    self->guarded([&] { done(std::move(removed)); });
                }
            });
        });
}

void dialect_host::publish_raw(std::string_view exchange, std::string_view routing_key,
                               std::string body) {
    node_.bus.publish({std::string(exchange), std::string(routing_key), {}, std::move(body), {}},
                      nullptr);
}

void dialect_host::tell_lifecycle(lifecycle_event e, std::string_view identity_json,
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

std::string dialect_host::remote_address() const {
    return forwarded_for_ ? *forwarded_for_ : peer_address();
}

bool dialect_host::sockjs_json_values() const {
    return node_.endpoints[endpoint_index_].speaks->sockjs_json_values();
}

} // namespace herald
