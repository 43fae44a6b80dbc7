#include "transport/ws_session.hpp"

#include "app/node_context.hpp"
#include "shard/shard.hpp"

#include <boost/asio/post.hpp>

#include <cerrno>
#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/uio.h>

namespace herald {
namespace {

// How long a closing session waits for the client's close frame or for its own bytes to
// leave; after that the socket is simply closed.
constexpr auto close_grace = std::chrono::seconds(2);
constexpr std::size_t max_iovecs = 64;

const shared_frame& ping_frame() {
    static const shared_frame frame =
        std::make_shared<const std::string>(ws::make_frame(ws::opcode::ping, {}));
    return frame;
}

} // namespace

ws_session::ws_session(shard& owner, tcp::socket socket, std::size_t endpoint_index, dialect kind)
    : shard_(owner)
    , socket_(std::move(socket))
    , last_heard_(owner.now())
    , id_(owner.node().session_ids.make(owner.index(), owner.next_session_number()))
    , endpoint_index_(static_cast<std::uint16_t>(endpoint_index))
    , dialect_(kind) {
    shard_.attach(*this);
    shard_.metrics().sessions_by_endpoint[endpoint_index_].add();
}

ws_session::~ws_session() {
    finish();
}

std::string ws_session::id_text() const {
    return fmt::format("{:016x}", id_);
}

const limits& ws_session::limit() const {
    return shard_.node().settings.limit;
}

void ws_session::start(std::string handshake_response, std::string_view early) {
    queue(std::make_shared<const std::string>(std::move(handshake_response)));
    on_open();
    if (!early.empty()) {
        tail_.assign(early);
        consume({});
    }
    if (state_ != state::finished) {
        wait_readable();
    }
}

// ---- Reading

void ws_session::wait_readable() {
    socket_.async_wait(tcp::socket::wait_read,
                       [self = shared_from_this()](error_code ec) { self->on_readable(ec); });
}

void ws_session::on_readable(error_code ec) {
    if (ec || state_ == state::finished) {
        return; // closed under us: nothing more to do
    }
    auto buffer = shard_.read_buffer();
    // A few reads per wake-up at most, so one busy client cannot starve its shard.
    for (int round = 0; round < 4; ++round) {
        const ssize_t n =
            ::recv(socket_.native_handle(), buffer.data(), buffer.size(), MSG_DONTWAIT);
        if (n > 0) {
            last_heard_ = shard_.now();
            ping_sent_ = false;
            if (state_ == state::draining) {
                continue; // after our close frame, the client's bytes only matter as EOF
            }
            consume(buffer.first(static_cast<std::size_t>(n)));
            if (state_ == state::finished) {
                return;
            }
            if (static_cast<std::size_t>(n) < buffer.size()) {
                break;
            }
            continue;
        }
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            finish(); // EOF or reset: the network ended the session
            return;
        }
        if (errno != EINTR) {
            break;
        }
    }
    wait_readable();
}

void ws_session::consume(std::span<char> fresh) {
    // Decode from the shard buffer directly unless an incomplete frame is waiting in tail_.
    std::span<char> input = fresh;
    if (!tail_.empty()) {
        tail_.append(fresh.data(), fresh.size());
        input = {tail_.data(), tail_.size()};
    }
    const auto outcome = reader_.read(input, limit().max_message_bytes,
                                      [this](const ws::message& m) { return handle(m); });
    if (outcome.failure) {
        auto& errors = shard_.metrics().protocol_errors;
        switch (*outcome.failure) {
        case ws::close_code::message_too_big:
            errors[static_cast<std::size_t>(protocol_error::message_too_big)].add();
            break;
        case ws::close_code::invalid_payload:
            errors[static_cast<std::size_t>(protocol_error::invalid_utf8)].add();
            break;
        default:
            errors[static_cast<std::size_t>(protocol_error::frame_error)].add();
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

bool ws_session::handle(const ws::message& m) {
    using kind = ws::message::kind;
    switch (m.type) {
    case kind::text:
    case kind::binary: // Myxi treats binary frames as text
        if (state_ == state::open) {
            on_text(m.payload);
        }
        return state_ == state::open;
    case kind::ping:
        queue(std::make_shared<const std::string>(ws::make_frame(ws::opcode::pong, m.payload)));
        return true;
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

// ---- Writing

void ws_session::deliver(const event_frames& frames) {
    queue(frames[static_cast<std::size_t>(dialect_)]);
}

void ws_session::send_text(std::string_view json) {
    queue(std::make_shared<const std::string>(ws::make_frame(ws::opcode::text, json)));
}

void ws_session::queue(shared_frame frame) {
    if (state_ != state::open || slow_consumer_) {
        return;
    }
    if (outbox_bytes_ + frame->size() > limit().max_outbox_bytes) {
        // The hub may be walking this topic's subscribers right now, and closing unsubscribes:
        // close on the next turn of the loop, dropping what comes until then.
        slow_consumer_ = true;
        boost::asio::post(socket_.get_executor(),
                          [self = shared_from_this()] { self->close_slow_consumer(); });
        return;
    }
    outbox_bytes_ += frame->size();
    outbox_.push_back(std::move(frame));
    request_flush();
}

void ws_session::request_flush() {
    if (!flush_requested_ && !waiting_writable_ && state_ != state::finished) {
        flush_requested_ = true;
        shard_.request_flush(shared_from_this());
    }
}

void ws_session::flush() {
    flush_requested_ = false;
    if (state_ == state::finished || waiting_writable_) {
        return;
    }
    while (outbox_head_ < outbox_.size()) {
        iovec iov[max_iovecs];
        std::size_t count = 0;
        for (std::size_t i = outbox_head_; i < outbox_.size() && count < max_iovecs; ++i) {
            const std::size_t skip = i == outbox_head_ ? head_offset_ : 0;
            iov[count++] = {const_cast<char*>(outbox_[i]->data() + skip),
                            outbox_[i]->size() - skip};
        }
        msghdr msg{};
        msg.msg_iov = iov;
        msg.msg_iovlen = count;
        const ssize_t sent = ::sendmsg(socket_.native_handle(), &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (sent < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                wait_writable();
                return;
            }
            finish();
            return;
        }
        shard_.metrics().bytes_out.add(static_cast<std::uint64_t>(sent));
        outbox_bytes_ -= static_cast<std::size_t>(sent);
        std::size_t left = static_cast<std::size_t>(sent);
        while (left > 0) {
            const std::size_t rest = outbox_[outbox_head_]->size() - head_offset_;
            if (left < rest) {
                head_offset_ += left;
                break;
            }
            left -= rest;
            outbox_[outbox_head_++].reset();
            head_offset_ = 0;
        }
    }
    outbox_.clear();
    outbox_head_ = 0;
    if (state_ == state::closing) {
        on_close_frame_sent();
    }
}

void ws_session::wait_writable() {
    waiting_writable_ = true;
    socket_.async_wait(tcp::socket::wait_write, [self = shared_from_this()](error_code ec) {
        self->waiting_writable_ = false;
        if (!ec) {
            self->flush();
        }
    });
}

// ---- Ending

void ws_session::close(ws::close_code code, std::string_view reason) {
    if (state_ != state::open) {
        return;
    }
    state_ = state::closing;
    on_end();
    deadline_ = shard_.now() + close_grace;
    auto frame = std::make_shared<const std::string>(ws::make_close_frame(code, reason));
    outbox_bytes_ += frame->size();
    outbox_.push_back(std::move(frame));
    request_flush();
}

void ws_session::close_slow_consumer() {
    if (state_ != state::open) {
        return; // the connection ended while the close was queued
    }
    shard_.metrics().slow_consumer_closes.add();
    // Drop what the client will never read; a frame already half-sent must be finished, or
    // the close frame behind it would be garbage.
    const std::size_t keep = outbox_head_ + (head_offset_ > 0 ? 1 : 0);
    outbox_.resize(std::min(outbox_.size(), keep));
    outbox_bytes_ = head_offset_ > 0 ? outbox_[outbox_head_]->size() - head_offset_ : 0;
    close(ws::close_code::slow_consumer);
}

void ws_session::on_close_frame_sent() {
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

void ws_session::finish() {
    if (state_ == state::finished) {
        return;
    }
    if (state_ == state::open) {
        on_end();
    }
    state_ = state::finished;
    error_code ignored;
    socket_.close(ignored); // aborts pending waits; their handlers drop the last references
    outbox_.clear();
    outbox_head_ = head_offset_ = outbox_bytes_ = 0;
    std::string().swap(tail_);
    shard_.metrics().sessions_by_endpoint[endpoint_index_].sub();
    shard_.metrics().connections.sub();
    unlink();
}

void ws_session::on_tick(steady_time now) {
    switch (state_) {
    case state::open:
        if (shutdown_pending_ && now >= deadline_) {
            close(ws::close_code::going_away);
        } else if (now - last_heard_ >= limit().idle_timeout) {
            shard_.metrics()
                .protocol_errors[static_cast<std::size_t>(protocol_error::idle_timeout)]
                .add();
            close(ws::close_code::idle_timeout);
        } else {
            if (!ping_sent_ && now - last_heard_ >= limit().ping_interval) {
                ping_sent_ = true;
                queue(ping_frame());
            }
            on_open_tick();
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

void ws_session::on_shutdown(steady_time close_at) {
    if (state_ != state::open) {
        return;
    }
    on_shutdown_notice();
    if (close_at <= shard_.now()) {
        close(ws::close_code::going_away);
    } else {
        shutdown_pending_ = true;
        deadline_ = close_at;
    }
}

} // namespace herald
