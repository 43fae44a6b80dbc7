#include "transport/http_connection.hpp"

#include "app/endpoint_match.hpp"
#include "app/node_context.hpp"
#include "shard/shard.hpp"
#include "transport/handshake.hpp"
#include "transport/myxi_session.hpp"

#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>

#include <cerrno>
#include <fmt/format.h>
#include <sys/socket.h>

namespace herald {

namespace http = boost::beast::http;

namespace {
constexpr std::size_t max_header_bytes = 16 * 1024;
}

http_connection::http_connection(shard& owner, tcp::socket socket)
    : shard_(owner)
    , socket_(std::move(socket))
    , deadline_(owner.now() + owner.node().settings.limit.handshake_timeout) {
    shard_.attach(*this);
    shard_.metrics().connections.add();
}

http_connection::~http_connection() {
    finish();
}

void http_connection::start() {
    new_parser();
    wait_readable();
}

void http_connection::new_parser() {
    parser_.emplace();
    parser_->header_limit(max_header_bytes);
    parser_->body_limit(shard_.node().settings.limit.max_http_body_bytes);
    parser_->eager(true);
}

void http_connection::wait_readable() {
    socket_.async_wait(tcp::socket::wait_read,
                       [self = shared_from_this()](error_code ec) { self->on_readable(ec); });
}

void http_connection::on_readable(error_code ec) {
    if (ec || finished_) {
        return;
    }
    auto buffer = shard_.read_buffer();
    const ssize_t n = ::recv(socket_.native_handle(), buffer.data(), buffer.size(), MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        finish();
        return;
    }
    if (n > 0) {
        received_.append(buffer.data(), static_cast<std::size_t>(n));
    }
    parse();
}

void http_connection::parse() {
    while (!parser_->is_done()) {
        if (received_.empty()) {
            wait_readable();
            return;
        }
        error_code ec;
        const auto used = parser_->put(net::buffer(received_), ec);
        received_.erase(0, used);
        if (ec == http::error::need_more) {
            wait_readable();
            return;
        }
        if (ec) {
            const bool too_big = ec == http::error::body_limit;
            const bool header_too_big = ec == http::error::header_limit;
            respond(too_big ? json_error(413, "body_too_large",
                                         "the body is over limits.max_http_body_bytes")
                    : header_too_big
                        ? json_error(431, "headers_too_large", "request headers are over 16 KiB")
                        : json_error(400, "bad_request", ec.message()),
                    false);
            return;
        }
    }
    on_request();
}

void http_connection::on_request() {
    const auto& request = parser_->get();
    std::string_view path = request.target();
    path = path.substr(0, path.find('?'));
    if (request.find(http::field::upgrade) != request.end() && try_upgrade(path)) {
        return;
    }
    respond(handle_http(shard_, request), request.keep_alive() && keep_alive_);
}

bool http_connection::try_upgrade(std::string_view path) {
    const auto index = match_endpoint(shard_.node().settings.endpoints, path);
    const auto& request = parser_->get();
    if (!index) {
        // Not the demo page or any other HTTP answer: a WebSocket client at the wrong path
        // should see why it failed.
        respond(
            json_error(404, "not_an_endpoint", fmt::format("no WebSocket endpoint at {}", path)),
            false);
        return true;
    }
    const auto problem = check_upgrade(
        {request.method_string(), request[http::field::upgrade], request[http::field::connection],
         request[http::field::sec_websocket_key], request[http::field::sec_websocket_version]});
    if (problem) {
        shard_.metrics()
            .protocol_errors[static_cast<std::size_t>(protocol_error::bad_handshake)]
            .add();
        auto response = json_error(400, "bad_handshake", *problem);
        response.extra_headers = "Sec-WebSocket-Version: 13\r\n";
        respond(response, false);
        return true;
    }
    if (shard_.node().draining.load()) {
        respond(json_error(503, "draining", "the node is shutting down"), false);
        return true;
    }
    auto response = switching_protocols_response(request[http::field::sec_websocket_key]);
    auto session = std::make_shared<myxi_session>(shard_, std::move(socket_), *index);
    // The session counts the connection from now on.
    shard_.metrics().connections.add();
    const std::string early = std::move(received_);
    finish();
    session->start(std::move(response), early);
    return true;
}

void http_connection::respond(const http_response& response, bool keep_alive) {
    keep_alive_ = keep_alive;
    response_ = serialize(response, keep_alive);
    writing_ = true;
    net::async_write(socket_, net::buffer(response_),
                     [self = shared_from_this()](error_code ec, std::size_t written) {
                         self->writing_ = false;
                         self->shard_.metrics().bytes_out.add(written);
                         if (ec || !self->keep_alive_ || self->finished_) {
                             self->finish();
                             return;
                         }
                         std::string().swap(self->response_);
                         self->deadline_ = self->shard_.now() +
                                           self->shard_.node().settings.limit.handshake_timeout;
                         self->new_parser();
                         self->parse();
                     });
}

void http_connection::finish() {
    if (finished_) {
        return;
    }
    finished_ = true;
    if (socket_.is_open()) {
        error_code ignored;
        socket_.shutdown(tcp::socket::shutdown_both, ignored);
        socket_.close(ignored);
    }
    shard_.metrics().connections.sub();
    unlink();
}

void http_connection::on_tick(steady_time now) {
    if (!writing_ && now >= deadline_) {
        if (!received_.empty() || parser_->got_some()) {
            shard_.metrics()
                .protocol_errors[static_cast<std::size_t>(protocol_error::handshake_timeout)]
                .add();
        }
        finish();
    }
}

void http_connection::on_shutdown(steady_time) {
    keep_alive_ = false;
    if (!writing_) {
        finish();
    }
}

} // namespace herald
