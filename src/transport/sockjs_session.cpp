#include "transport/sockjs_session.hpp"

#include "protocol/sockjs.hpp"
#include "shard/shard.hpp"
#include "transport/sockjs_exchange.hpp"
#include "transport/sockjs_registry.hpp"
#include "transport/transport_context.hpp"

#include <boost/asio/post.hpp>

namespace herald {

sockjs_session::sockjs_session(shard& owner, const transport_context& node,
                               std::size_t endpoint_index, sockjs_registry& registry,
                               std::string key)
    : dialect_host(owner, node, endpoint_index)
    , registry_(registry)
    , key_(std::move(key))
    , receiver_left_(owner.fresh_now())
    , last_frame_(receiver_left_) {
    host_shard_.attach(*this);
    host_shard_.metrics().sessions_by_endpoint[endpoint_index_].add();
}

sockjs_session::~sockjs_session() {
    if (!expired_) {
        host_shard_.metrics().sessions_by_endpoint[endpoint_index_].sub();
    }
}

void sockjs_session::start(const upgrade_request& request) {
    self_ = shared_from_this();
    peer_ = request.remote_address;
    open_dialect(request);
}

// ---- Receivers

void sockjs_session::attach(sockjs_exchange& receiver) {
    if (receiver_ != nullptr) {
        receiver.end_with(sockjs::close_frame(2010, "Another connection still open"));
        return;
    }
    receiver_ = &receiver;
    pump();
}

void sockjs_session::detach(sockjs_exchange& receiver) {
    if (receiver_ != &receiver) {
        return;
    }
    receiver_ = nullptr;
    // A closed session is forgotten disconnect_delay after its close, however often the client
    // polls it for the close frame.
    if (open_) {
        receiver_left_ = host_shard_.fresh_now();
    }
    // Not expired here, even when shutting down: this runs inside the shard's walk of its
    // connections (a receiver's timeout), which must not lose the next one. The tick expires it.
}

// Hands the receiver what is due, in order: the open frame, the waiting messages, the close
// frame. A receiver that is still writing gets the next frame when it is done.
void sockjs_session::pump() {
    if (receiver_ == nullptr || !receiver_->ready()) {
        return;
    }
    last_frame_ = host_shard_.fresh_now();
    if (!open_frame_sent_) {
        open_frame_sent_ = true;
        receiver_->send(sockjs::open_frame);
    } else if (!pending_.empty()) {
        sockjs::finish_array(pending_);
        const std::string frame = std::move(pending_);
        std::string().swap(pending_);
        receiver_->send(frame);
    } else if (!close_frame_.empty()) {
        receiver_->end_with(close_frame_);
    }
}

// ---- Messages

void sockjs_session::receive(const std::vector<std::string>& messages) {
    for (const auto& m : messages) {
        if (!open_ || !dialect_running()) {
            return;
        }
        if (m.size() > node_.limit.max_message_bytes) {
            env_.count_error(protocol_error::message_too_big);
            close(ws::close_code::message_too_big);
            return;
        }
        guarded([&] { dialect_->on_message(m, false); });
    }
}

void sockjs_session::send_text(std::string_view text) {
    queue(text);
}

void sockjs_session::send_frame(const shared_frame& frame) {
    if (frame) {
        queue(sockjs::payload_of_ws_frame(*frame));
    }
}

// Messages wait in one array frame until a receiver takes them; past max_outbox_bytes waiting
// the client is not keeping up and the session closes as a slow consumer (4001).
void sockjs_session::queue(std::string_view message) {
    if (!open_) {
        return;
    }
    sockjs::append_to_array(pending_, message, sockjs_json_values());
    if (pending_.size() > node_.limit.max_outbox_bytes) {
        std::string().swap(pending_);
        host_shard_.metrics().slow_consumer_closes.add();
        close(ws::close_code::slow_consumer);
        return;
    }
    if (!flush_requested_ && receiver_ != nullptr) {
        flush_requested_ = true;
        host_shard_.request_flush(std::shared_ptr<shard_connection>(self_, this));
    }
}

// Corking: messages queued in one batch of work leave in one frame.
void sockjs_session::flush() {
    flush_requested_ = false;
    pump();
}

// ---- Ending

void sockjs_session::close(ws::close_code code, std::string_view reason) {
    if (!open_) {
        return;
    }
    open_ = false;
    receiver_left_ = host_shard_.fresh_now();
    close_frame_ = sockjs::server_close_frame(static_cast<int>(code), reason, close_reason(code));
    end_dialect(static_cast<int>(code), reason.empty() ? close_reason(code) : reason);
    pump();
}

void sockjs_session::expire() {
    if (expired_) {
        return;
    }
    if (open_) {
        open_ = false;
        end_dialect(1006, "network"); // the client stopped asking: it is gone
    }
    expired_ = true;
    host_shard_.metrics().sessions_by_endpoint[endpoint_index_].sub();
    unlink();
    registry_.forget(host_shard_, key_);
    // The last reference may be this one: nothing runs after it.
    net::post(host_shard_.context(), [self = std::move(self_)] {});
}

void sockjs_session::on_tick(steady_time now) {
    if (open_ && shutting_down_ && now >= close_at_) {
        close(ws::close_code::going_away);
    }
    if (open_ && dialect_running()) {
        guarded([&] { dialect_->on_tick(host_shard_.wall_now()); });
    }
    if (receiver_ != nullptr) {
        if (receiver_->ready() && now - last_frame_ >= registry_.settings().heartbeat) {
            last_frame_ = now;
            receiver_->send(sockjs::heartbeat_frame);
        }
    } else if (now - receiver_left_ >= registry_.settings().disconnect_delay ||
               (shutting_down_ && !open_)) {
        expire();
    }
}

void sockjs_session::on_shutdown(steady_time close_at) {
    shutting_down_ = true;
    close_at_ = close_at;
    if (open_ && dialect_running()) {
        guarded([&] { dialect_->on_shutdown(); });
    }
    if (close_at <= host_shard_.now()) {
        close(ws::close_code::going_away);
    }
}

void sockjs_session::abort() {
    receiver_ = nullptr;
    expire();
}

} // namespace herald
