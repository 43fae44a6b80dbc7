#include "transport/sockjs_exchange.hpp"

#include "shard/shard.hpp"
#include "transport/sockjs_session.hpp"

#include <boost/asio/write.hpp>

#include <fmt/format.h>
#include <utility>

namespace herald {
namespace {

// What sockjs-client needs before it reads a stream: browsers hold back the first bytes of an
// XHR response, so xhr_streaming begins with 2 KiB of 'h'.
std::string stream_prelude(sockjs_exchange::kind how) {
    if (how == sockjs_exchange::kind::eventsource) {
        return "\r\n";
    }
    return std::string(2048, 'h') + "\n";
}

} // namespace

sockjs_exchange::sockjs_exchange(shard& owner, tcp::socket socket, kind how,
                                 std::string cors_headers, std::size_t response_limit,
                                 std::chrono::seconds write_timeout)
    : tcp_connection(owner, std::move(socket))
    , cors_(std::move(cors_headers))
    , response_limit_(response_limit)
    , write_timeout_(write_timeout)
    , kind_(how) {
    shard_.attach(*this);
    shard_.metrics().connections.add();
}

sockjs_exchange::~sockjs_exchange() {
    finish();
}

std::string sockjs_exchange::head(std::string_view extra) const {
    const std::string_view type = kind_ == kind::eventsource
                                      ? "text/event-stream; charset=UTF-8"
                                      : "application/javascript; charset=UTF-8";
    return fmt::format("HTTP/1.1 200 OK\r\nContent-Type: {}\r\n"
                       "Cache-Control: no-store, no-cache, no-transform, must-revalidate, "
                       "max-age=0\r\nConnection: close\r\n{}{}\r\n",
                       type, cors_, extra);
}

void sockjs_exchange::receive_from(std::shared_ptr<sockjs_session> session) {
    session_ = std::move(session);
    if (kind_ != kind::polling) {
        write(head({}) + stream_prelude(kind_));
    }
    wait_readable();
    session_->attach(*this);
}

void sockjs_exchange::answer(std::string response) {
    ending_ = true;
    write(std::move(response));
}

void sockjs_exchange::send(std::string_view frame) {
    if (!ready()) {
        return;
    }
    switch (kind_) {
    case kind::polling: {
        ending_ = true; // a poll carries one frame
        write(head(fmt::format("Content-Length: {}\r\n", frame.size() + 1)) + std::string(frame) +
              "\n");
        return;
    }
    case kind::streaming:
        sent_ += frame.size() + 1;
        write(std::string(frame) + "\n");
        break;
    case kind::eventsource:
        sent_ += frame.size() + 10;
        write(fmt::format("data: {}\r\n\r\n", frame));
        break;
    case kind::answer:
        return;
    }
    if (sent_ >= response_limit_) {
        ending_ = true; // the client opens the next stream when this one ends
    }
}

void sockjs_exchange::end_with(std::string_view frame) {
    if (finished_ || ending_) {
        return;
    }
    if (writing_) {
        // The stream is busy: the close frame waits behind the write in progress.
        last_ = kind_ == kind::eventsource ? fmt::format("data: {}\r\n\r\n", frame)
                                           : std::string(frame) + "\n";
        ending_ = true;
        return;
    }
    send(frame);
    ending_ = true;
}

void sockjs_exchange::write(std::string bytes) {
    writing_ = true;
    write_started_ = shard_.fresh_now();
    out_ = std::move(bytes);
    auto buffer = net::buffer(out_);
    net::async_write(socket_, buffer,
                     [self = shared_from_this()](error_code ec, std::size_t written) {
                         auto& me = static_cast<sockjs_exchange&>(*self);
                         me.shard_.metrics().bytes_out.add(written);
                         me.on_written(ec);
                     });
}

void sockjs_exchange::on_written(error_code ec) {
    writing_ = false;
    if (ec || finished_) {
        finish();
        return;
    }
    if (!last_.empty()) {
        write(std::exchange(last_, {}));
        return;
    }
    if (ending_) {
        error_code ignored;
        socket_.shutdown(tcp::socket::shutdown_send, ignored);
        finish();
        return;
    }
    std::string().swap(out_);
    if (session_) {
        session_->receiver_ready();
    }
}

void sockjs_exchange::on_tick(steady_time now) {
    // A client that does not read its response holds the session's receiver only this long.
    if (writing_ && now - write_started_ >= write_timeout_) {
        finish();
    }
}

void sockjs_exchange::finish() {
    if (finished_) {
        return;
    }
    finished_ = true;
    if (session_) {
        session_->detach(*this);
    }
    close_socket();
    shard_.metrics().connections.sub();
    unlink();
}

} // namespace herald
