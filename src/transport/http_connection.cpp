#include "transport/http_connection.hpp"

#include "shard/shard.hpp"
#include "transport/endpoint_match.hpp"
#include "transport/handshake.hpp"
#include "transport/transport_context.hpp"
#include "transport/ws_connection.hpp"
#include "util/log.hpp"

#include <boost/asio/write.hpp>

#include <fmt/format.h>

namespace herald {

namespace http = boost::beast::http;

namespace {

http_request_limits reader_limits(const limits& l) {
    http_request_limits out;
    out.max_body_bytes = l.max_http_body_bytes;
    return out;
}

} // namespace

http_connection::http_connection(shard& owner, tcp::socket socket, transport_context& node)
    : tcp_connection(owner, std::move(socket))
    , node_(node)
    , reader_(reader_limits(node.limit))
    , deadline_(owner.fresh_now() + node.limit.handshake_timeout) {
    shard_.attach(*this);
    shard_.metrics().connections.add();
}

http_connection::~http_connection() {
    finish();
}

void http_connection::start() {
    wait_readable();
}

void http_connection::on_received(std::span<char> bytes) {
    act(reader_.feed({bytes.data(), bytes.size()}));
}

void http_connection::act(http_request_reader::status status) {
    switch (status) {
    case http_request_reader::status::need_more:
        return; // tcp_connection reads on
    case http_request_reader::status::rejected: {
        const auto& r = reader_.rejection();
        respond(json_error(r.status, r.error, r.detail), false);
        return;
    }
    case http_request_reader::status::complete:
        on_request();
        return;
    }
}

void http_connection::on_request() {
    const auto& request = reader_.request();
    std::string_view path = request.target();
    path = path.substr(0, path.find('?'));
    if (request.find(http::field::upgrade) != request.end() && try_upgrade(path)) {
        return;
    }
    const bool keep_alive = request.keep_alive() && keep_alive_;
    // An answer that waits for the bus comes back on this shard; meanwhile nothing is read, and
    // the deadline of a response applies (a bus answers within its publish timeout).
    auto later = [self = shared_from_this(), executor = socket_.get_executor(),
                  keep_alive](http_response response) {
        net::post(executor, [self, keep_alive, response = std::move(response)] {
            auto& me = static_cast<http_connection&>(*self);
            me.respond(response, keep_alive && me.keep_alive_); // unless shutdown began since
        });
    };
    std::optional<http_response> response;
    try {
        response = handle_http(node_, request, later);
    } catch (const std::exception& e) {
        // A handler that throws (out of memory, a bug) ends this request, not the node.
        shard_.metrics().handler_failures.add();
        log::error("HTTP {} {} failed: {}", request.method_string(), path, e.what());
        respond(json_error(500, "internal_error", "the request could not be handled"), false);
        return;
    }
    if (response) {
        respond(*response, keep_alive);
    } else {
        writing_ = true; // busy: no reading until the answer is written
        deadline_ = shard_.fresh_now() + node_.limit.handshake_timeout;
    }
}

bool http_connection::try_upgrade(std::string_view path) {
    const auto match = match_endpoint(node_.endpoint_paths, path);
    const auto& request = reader_.request();
    if (!match) {
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
    if (node_.draining.load()) {
        respond(json_error(503, "draining", "the node is shutting down"), false);
        return true;
    }

    // What the dialect may read of the request; views into it, valid while start() runs.
    upgrade_request context;
    const std::string_view target = request.target();
    context.path = path;
    if (const auto q = target.find('?'); q != std::string_view::npos) {
        context.query = target.substr(q + 1);
    }
    context.path_params = match->params;
    for (const auto& field : request) {
        context.headers.emplace_back(field.name_string(), field.value());
    }
    error_code ignored;
    const auto peer = socket_.remote_endpoint(ignored);
    const std::string remote = ignored ? std::string() : peer.address().to_string();
    context.remote_address = remote;

    auto response = switching_protocols_response(request[http::field::sec_websocket_key]);
    auto session = std::make_shared<ws_connection>(shard_, std::move(socket_), node_, match->index);
    const std::string early = reader_.take_buffered();
    session->start(std::move(response), early, context);
    finish();
    return true;
}

void http_connection::respond(const http_response& response, bool keep_alive) {
    if (finished_) {
        return; // an answer from the bus after the connection timed out or the node stopped
    }
    keep_alive_ = keep_alive;
    response_ = serialize(response, keep_alive);
    writing_ = true;
    // A client that does not read its answers (pipelining and never reading, say) keeps the
    // connection only this long.
    deadline_ = shard_.fresh_now() + node_.limit.handshake_timeout;
    net::async_write(socket_, net::buffer(response_),
                     [self = shared_from_this()](error_code ec, std::size_t written) {
                         static_cast<http_connection&>(*self).on_written(ec, written);
                     });
}

void http_connection::on_written(error_code ec, std::size_t written) {
    writing_ = false;
    shard_.metrics().bytes_out.add(written);
    if (ec || !keep_alive_ || finished_) {
        finish();
        return;
    }
    std::string().swap(response_);
    deadline_ = shard_.fresh_now() + node_.limit.handshake_timeout;
    reader_.next_request();
    const auto status = reader_.resume();
    if (status == http_request_reader::status::need_more) {
        wait_readable();
        return;
    }
    act(status);
}

void http_connection::finish() {
    if (finished_) {
        return;
    }
    finished_ = true;
    if (socket_.is_open()) {
        error_code ignored;
        socket_.shutdown(tcp::socket::shutdown_both, ignored);
    }
    close_socket();
    shard_.metrics().connections.sub();
    unlink();
}

void http_connection::on_tick(steady_time now) {
    if (now < deadline_) {
        return;
    }
    if (!writing_ && reader_.started()) {
        shard_.metrics()
            .protocol_errors[static_cast<std::size_t>(protocol_error::handshake_timeout)]
            .add();
    }
    finish();
}

void http_connection::on_shutdown(steady_time) {
    keep_alive_ = false;
    if (!writing_) {
        finish();
    }
}

} // namespace herald
