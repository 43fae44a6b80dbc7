#include "transport/ws_connection.hpp"

#include "protocol/sockjs.hpp"
#include "shard/shard.hpp"
#include "transport/transport_context.hpp"

#include <sys/socket.h>
#include <sys/uio.h>

namespace herald {
namespace {

// How long a closing session waits for the client's close frame or for its own bytes to
// leave; after that the socket is simply closed.
constexpr auto close_grace = std::chrono::seconds(2);

const shared_frame& ping_frame() {
    static const shared_frame frame =
        std::make_shared<const std::string>(ws::make_frame(ws::opcode::ping, {}));
    return frame;
}

} // namespace

ws_connection::ws_connection(shard& owner, tcp::socket socket, const transport_context& node,
                             std::size_t endpoint_index, framing how)
    : tcp_connection(owner, std::move(socket))
    , dialect_host(owner, node, endpoint_index)
    , outbox_(node.limit.max_outbox_bytes)
    , last_heard_(owner.fresh_now())
    , framing_(how) {
    shard_.attach(*this);
    shard_.metrics().connections.add();
    shard_.metrics().sessions_by_endpoint[endpoint_index_].add();
}

ws_connection::~ws_connection() {
    finish();
}

void ws_connection::start(std::string handshake_response, std::string_view early,
                          const upgrade_request& request) {
    queue(std::make_shared<const std::string>(std::move(handshake_response)));
    if (framing_ == framing::sockjs) {
        queue(std::make_shared<const std::string>(
            ws::make_frame(ws::opcode::text, sockjs::open_frame)));
    }
    open_dialect(request);
    if (!early.empty() && state_ == state::open) {
        tail_.assign(early);
        consume({});
    }
    if (reading_wanted()) {
        wait_readable();
    }
}

std::string ws_connection::peer_address() const {
    error_code ignored;
    const auto peer = socket_.remote_endpoint(ignored);
    return ignored ? std::string() : peer.address().to_string();
}

// ---- Reading

void ws_connection::on_received(std::span<char> bytes) {
    last_heard_ = shard_.fresh_now();
    ping_sent_ = false;
    if (state_ == state::draining) {
        return; // after our close frame, the client's bytes only matter as EOF
    }
    consume(bytes);
}

void ws_connection::consume(std::span<char> fresh) {
    // Decode from the shard buffer directly unless unread input is waiting in tail_.
    std::span<char> input = fresh;
    if (!tail_.empty()) {
        tail_.append(fresh.data(), fresh.size());
        input = {tail_.data(), tail_.size()};
    }
    const auto outcome = reader_.read(input, node_.limit.max_message_bytes,
                                      [this](const ws::message& m) { return handle(m); });
    if (outcome.failure) {
        switch (*outcome.failure) {
        case ws::close_code::message_too_big:
            env_.count_error(protocol_error::message_too_big);
            break;
        case ws::close_code::invalid_payload:
            env_.count_error(protocol_error::invalid_utf8);
            break;
        default:
            env_.count_error(protocol_error::frame_error);
        }
        std::string().swap(tail_);
        close(*outcome.failure);
        return;
    }
    if (state_ != state::open) {
        std::string().swap(tail_);
        return;
    }
    const auto rest = input.subspan(outcome.consumed);
    if (rest.empty()) {
        std::string().swap(tail_); // release the memory: idle sessions hold no buffer
    } else if (tail_.empty()) {
        tail_.assign(rest.data(), rest.size());
    } else {
        tail_.erase(0, outcome.consumed);
    }
}

bool ws_connection::handle(const ws::message& m) {
    using kind = ws::message::kind;
    switch (m.type) {
    case kind::text:
    case kind::binary:
        take_message(m);
        pause_input_while_backlogged();
        return state_ == state::open && !input_paused_;
    case kind::ping:
        queue(std::make_shared<const std::string>(ws::make_frame(ws::opcode::pong, m.payload)));
        pause_input_while_backlogged();
        return !input_paused_;
    case kind::pong:
        return true;
    case kind::close:
        peer_closed_ = true;
        if (state_ == state::open) {
            // Echo the client's status (RFC 6455 §5.5.1); a close without one gets 1000.
            const auto code = m.close_status == 1005 ? ws::close_code::normal
                                                     : static_cast<ws::close_code>(m.close_status);
            close(code);
        } else if (state_ == state::draining) {
            finish();
        }
        return false;
    }
    return false;
}

void ws_connection::take_message(const ws::message& m) {
    if (state_ != state::open || !dialect_) {
        return;
    }
    const bool binary = m.type == ws::message::kind::binary;
    if (framing_ == framing::plain) {
        guarded([&] { dialect_->on_message(m.payload, binary); });
        return;
    }
    if (m.payload.empty()) {
        return; // SockJS clients may send empty frames; they carry no message
    }
    std::vector<std::string> messages;
    if (sockjs::decode_messages(m.payload, messages) != sockjs::decode_status::ok) {
        env_.count_error(protocol_error::frame_error);
        close(ws::close_code::invalid_payload, "Broken JSON encoding.");
        return;
    }
    for (const auto& one : messages) {
        if (state_ != state::open) {
            return;
        }
        guarded([&] { dialect_->on_message(one, false); });
    }
}

// A client that sends requests faster than it reads the answers would make the node hold every
// answer: once the backlog is over the limit, its further messages wait (in tail_, and in the
// kernel) until the backlog has left.
void ws_connection::pause_input_while_backlogged() {
    if (state_ == state::open && outbox_.pending_bytes() > node_.limit.max_outbox_bytes) {
        input_paused_ = true;
    }
}

void ws_connection::resume_input() {
    input_paused_ = false;
    consume({});
    if (reading_wanted()) {
        wait_readable();
    }
}

// ---- Writing

void ws_connection::send_text(std::string_view text) {
    if (framing_ == framing::sockjs) {
        std::string frame;
        sockjs::append_to_array(frame, text, sockjs_json_values());
        sockjs::finish_array(frame);
        queue(std::make_shared<const std::string>(ws::make_frame(ws::opcode::text, frame)));
        return;
    }
    queue(std::make_shared<const std::string>(ws::make_frame(ws::opcode::text, text)));
}

// SockJS carries text only: binary messages go as text there.
void ws_connection::send_binary(std::string_view bytes) {
    if (framing_ == framing::sockjs) {
        send_text(bytes);
        return;
    }
    queue(std::make_shared<const std::string>(ws::make_frame(ws::opcode::binary, bytes)));
}

void ws_connection::send_frame(const shared_frame& frame) {
    if (framing_ == framing::sockjs) {
        if (frame) {
            send_text(sockjs::payload_of_ws_frame(*frame));
        }
        return;
    }
    queue(frame);
}

void ws_connection::queue(shared_frame frame) {
    if (state_ != state::open || slow_consumer_) {
        return;
    }
    outbox_.push(std::move(frame));
    if (outbox_.is_beyond_hard_limit()) {
        // The hub may be walking this topic's subscribers right now, and closing unsubscribes:
        // the flush pass closes, dropping what comes until then.
        slow_consumer_ = true;
    }
    request_flush();
}

void ws_connection::request_flush() {
    if (!flush_requested_ && state_ != state::finished) {
        flush_requested_ = true;
        shard_.request_flush(shared_from_this());
    }
}

void ws_connection::flush() {
    flush_requested_ = false;
    if (state_ == state::finished) {
        return;
    }
    if (slow_consumer_ && state_ == state::open) {
        close_slow_consumer();
    }
    const int fd = socket_.native_handle();
    std::size_t written = 0;
    const auto status = outbox_.write(
        [fd](const iovec* iov, int count) {
            msghdr msg{};
            msg.msg_iov = const_cast<iovec*>(iov);
            msg.msg_iovlen = static_cast<std::size_t>(count);
            return ::sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
        },
        written);
    shard_.metrics().bytes_out.add(written);
    switch (status) {
    case outbox::write_status::failed:
        finish();
        return;
    case outbox::write_status::would_block:
        if (!waiting_writable_) {
            wait_writable();
        }
        break;
    case outbox::write_status::drained:
        if (state_ == state::closing) {
            on_close_frame_sent();
        }
        break;
    }
    if (input_paused_ && state_ == state::open &&
        outbox_.pending_bytes() <= node_.limit.max_outbox_bytes) {
        resume_input();
    }
}

void ws_connection::wait_writable() {
    waiting_writable_ = true;
    socket_.async_wait(tcp::socket::wait_write, [self = shared_from_this()](error_code ec) {
        auto& me = static_cast<ws_connection&>(*self);
        me.waiting_writable_ = false;
        if (!ec) {
            me.flush();
        }
    });
}

// ---- Ending

void ws_connection::close(ws::close_code code, std::string_view reason) {
    if (state_ != state::open) {
        return;
    }
    if (framing_ == framing::sockjs && !peer_closed_) {
        // SockJS clients take the code and reason from the c frame, not from the close frame.
        outbox_.push(std::make_shared<const std::string>(ws::make_frame(
            ws::opcode::text,
            sockjs::server_close_frame(static_cast<int>(code), reason, close_reason(code)))));
    }
    state_ = state::closing;
    close_code_ = code;
    end_session();
    deadline_ = shard_.fresh_now() + close_grace;
    outbox_.push(std::make_shared<const std::string>(ws::make_close_frame(code, reason)));
    request_flush();
}

void ws_connection::close_slow_consumer() {
    shard_.metrics().slow_consumer_closes.add();
    // Drop what the client will never read; a frame already half-sent must be finished, or
    // the close frame behind it would be garbage.
    outbox_.drop_unsent();
    close(ws::close_code::slow_consumer);
}

void ws_connection::on_close_frame_sent() {
    if (peer_closed_) {
        finish();
        return;
    }
    // Half-close and wait for the client's close or EOF: closing at once could reset the
    // connection and lose our close frame in the client's receive buffer.
    state_ = state::draining;
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
}

void ws_connection::end_session() {
    end_dialect(network_ended_ ? 1006 : static_cast<int>(close_code_),
                network_ended_ ? "network"
                : peer_closed_ ? "client"
                               : close_reason(close_code_));
}

void ws_connection::finish() {
    if (state_ == state::finished) {
        return;
    }
    network_ended_ = state_ == state::open; // no close handshake was started
    state_ = state::finished;
    end_session();
    close_socket(); // aborts pending waits; their handlers drop the last references
    outbox_.clear();
    std::string().swap(tail_);
    shard_.metrics().sessions_by_endpoint[endpoint_index_].sub();
    shard_.metrics().connections.sub();
    unlink();
}

void ws_connection::on_tick(steady_time now) {
    switch (state_) {
    case state::open:
        if (shutdown_pending_ && now >= deadline_) {
            close(ws::close_code::going_away);
        } else if (now - last_heard_ >= node_.limit.idle_timeout) {
            env_.count_error(protocol_error::idle_timeout);
            close(ws::close_code::idle_timeout);
        } else {
            if (!ping_sent_ && now - last_heard_ >= node_.limit.ping_interval) {
                ping_sent_ = true;
                queue(ping_frame());
            }
            // A client that reads nothing never makes its socket writable: try again here, so
            // the slow-consumer rule sees it even when no event comes.
            if (outbox_.refused_bytes() > node_.limit.max_outbox_bytes) {
                flush();
            }
            if (state_ == state::open && outbox_.tick()) {
                close_slow_consumer();
            }
            if (state_ == state::open && dialect_) {
                guarded([&] { dialect_->on_tick(shard_.wall_now()); });
            }
        }
        break;
    case state::closing:
    case state::draining:
        if (now >= deadline_) {
            finish();
        }
        break;
    case state::finished:
        break;
    }
}

void ws_connection::on_shutdown(steady_time close_at) {
    if (state_ != state::open) {
        return;
    }
    if (dialect_) {
        guarded([&] { dialect_->on_shutdown(); });
    }
    if (close_at <= shard_.now()) {
        close(ws::close_code::going_away);
    } else {
        shutdown_pending_ = true;
        deadline_ = close_at;
    }
}

} // namespace herald
