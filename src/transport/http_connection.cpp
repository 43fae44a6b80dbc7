#include "transport/http_connection.hpp"

#include "protocol/json_text.hpp"
#include "session/backend_outcome.hpp"
#include "shard/shard.hpp"
#include "transport/endpoint_match.hpp"
#include "transport/handshake.hpp"
#include "transport/sockjs_requests.hpp"
#include "transport/transport_context.hpp"
#include "transport/upgrade_context.hpp"
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
    if (auto sockjs = find_sockjs_target(node_, path)) {
        serve_sockjs(*sockjs);
        return;
    }
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
    if (!match) {
        // Not the demo page or any other HTTP answer: a WebSocket client at the wrong path
        // should see why it failed.
        respond(
            json_error(404, "not_an_endpoint", fmt::format("no WebSocket endpoint at {}", path)),
            false);
        return true;
    }
    if (!handshake_acceptable()) {
        return true;
    }

    const auto& credentials = node_.endpoints[match->index].credentials;
    if (!credentials.required() && !credentials.by_backend) {
        open_session(path, *match, nullptr);
        return true;
    }
    // Credentials first: a refused client never gets a WebSocket.
    const std::string remote = remote_address();
    const upgrade_request context = upgrade_context(path, *match, remote);
    auto token = find_credential(credentials, context);
    if (!credentials.required()) {
        // The back end decides every upgrade, with no token (Plezi's pre_connect).
        ask_backend_to_connect(match->index, context, std::nullopt);
        return true;
    }
    if (!token) {
        respond(
            json_error(401, "credentials_required",
                       fmt::format("this endpoint needs a token in {}", credentials.describe())),
            false);
        return true;
    }
    if (credentials.by_backend) {
        ask_backend_to_connect(match->index, context, std::move(*token));
        return true;
    }
    auto verified = node_.rules.jwt.verify(*token, std::chrono::system_clock::now());
    if (!verified) {
        respond(json_error(401, "invalid_credentials", to_string(verified.error())), false);
        return true;
    }
    open_session(path, *match, &*verified);
    return true;
}

// Answers a refused handshake (and a node shutting down) itself; true when the upgrade may go on.
bool http_connection::handshake_acceptable() {
    const auto& request = reader_.request();
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
        return false;
    }
    if (node_.draining.load()) {
        respond(json_error(503, "draining", "the node is shutting down"), false);
        return false;
    }
    return true;
}

void http_connection::serve_sockjs(const sockjs_target& target) {
    const auto& request = reader_.request();
    if (auto answer = sockjs_plain_answer(target, request)) {
        respond(*answer, request.keep_alive() && keep_alive_);
        return;
    }
    using sockjs::route_kind;
    const auto kind = target.route.kind;
    if (kind == route_kind::websocket || kind == route_kind::raw_websocket) {
        if (handshake_acceptable()) {
            std::string_view path = request.target();
            path = path.substr(0, path.find('?'));
            open_session(path, {target.endpoint, {}}, nullptr,
                         kind == route_kind::websocket ? ws_connection::framing::sockjs
                                                       : ws_connection::framing::plain);
        }
        return;
    }
    std::string remote = remote_address(); // before the socket moves
    serve_sockjs_session(shard_, std::move(socket_), node_, target, request, std::move(remote));
    finish();
}

upgrade_request http_connection::upgrade_context(std::string_view path, const endpoint_match& match,
                                                 const std::string& remote) const {
    // Views into the request: valid while it is not replaced by the next one.
    upgrade_request context =
        herald::upgrade_context(reader_.request(), path, node_.endpoints[match.index], remote);
    context.path_params = match.params;
    return context;
}

std::string http_connection::remote_address() const {
    error_code ignored;
    const auto peer = socket_.remote_endpoint(ignored);
    std::string remote = ignored ? std::string() : peer.address().to_string();
    if (node_.backend_limits.trust_forwarded_for) {
        // The proxy in front appends the peer it saw; the first hop is the client.
        const std::string_view forwarded = reader_.request()["X-Forwarded-For"];
        const auto hop = forwarded.substr(0, forwarded.find(','));
        const auto start = hop.find_first_not_of(" \t");
        if (start != std::string_view::npos) {
            remote = std::string(hop.substr(start, hop.find_last_not_of(" \t") + 1 - start));
        }
    }
    return remote;
}

void http_connection::open_session(std::string_view path, const endpoint_match& match,
                                   const identity* who, ws_connection::framing framing) {
    const std::string remote = remote_address();
    upgrade_request context = upgrade_context(path, match, remote);
    context.who = who;
    auto response = switching_protocols_response(reader_.request()[http::field::sec_websocket_key]);
    auto session =
        std::make_shared<ws_connection>(shard_, std::move(socket_), node_, match.index, framing);
    const std::string early = reader_.take_buffered();
    session->start(std::move(response), early, context);
    finish();
}

// The back end decides (a connect request); meanwhile nothing is read and the connection
// waits at most the back end's timeout (plus a moment for its answer to come back here).
void http_connection::ask_backend_to_connect(std::size_t endpoint_index,
                                             const upgrade_request& context,
                                             std::optional<std::string> token) {
    std::string members = R"(,"token":)";
    if (token) {
        json_text::append_string(members, *token);
    } else {
        members += "null";
    }
    members += R"(,"path":)";
    json_text::append_string(members, context.path);
    members += R"(,"query":)";
    json_text::append_string(members, context.query);
    std::string body = render_backend_request(
        {"connect", node_.session_ids.node_id(), 0, node_.endpoint_paths[endpoint_index],
         node_.endpoints[endpoint_index].speaks->name(), context.remote_address},
        members);
    writing_ = true; // busy: no reading until the answer
    deadline_ = shard_.fresh_now() + node_.backend_limits.timeout + std::chrono::seconds(1);
    node_.application->ask(
        "connect", std::move(body),
        // A strong reference: nothing else holds the connection while it waits.
        [self = shared_from_this(), executor = socket_.get_executor()](backend_reply reply) {
            net::post(executor, [self, reply = std::move(reply)]() mutable {
                static_cast<http_connection&>(*self).on_connect_answer(std::move(reply));
            });
        });
}

void http_connection::on_connect_answer(backend_reply reply) {
    writing_ = false;
    if (finished_) {
        return; // timed out, or the node is stopping
    }
    auto outcome = read_backend_reply(std::move(reply), "connect");
    switch (outcome.what) {
    case backend_outcome::kind::timeout:
        respond(json_error(504, "backend_timeout", "the back end did not answer in time"), false);
        return;
    case backend_outcome::kind::failed:
        respond(json_error(502, "backend_error", outcome.detail), false);
        return;
    case backend_outcome::kind::answered:
        break;
    }
    auto& answer = outcome.answer;
    std::string_view path = reader_.request().target();
    path = path.substr(0, path.find('?'));
    // Without credentials the back end only decides (Plezi's pre_connect): allow: true opens
    // the session, as that identity when it names one.
    const auto match = match_endpoint(node_.endpoint_paths, path);
    const bool decide_only = match && !node_.endpoints[match->index].credentials.required();
    if (decide_only && answer.allow == true && !answer.identity) {
        open_session(path, *match, nullptr);
        return;
    }
    if (answer.allow == false || !answer.identity) {
        respond(json_error(403, "refused",
                           answer.reason.value_or(answer.allow == false
                                                      ? "refused by the back end"
                                                      : "the back end named no identity")),
                false);
        return;
    }
    const identity who{*answer.identity, std::move(answer.grants), {}};
    open_session(path, *match, &who);
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
