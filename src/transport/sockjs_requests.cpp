#include "transport/sockjs_requests.hpp"

#include "shard/shard.hpp"
#include "transport/sockjs_exchange.hpp"
#include "transport/sockjs_registry.hpp"
#include "transport/sockjs_session.hpp"
#include "transport/transport_context.hpp"
#include "transport/upgrade_context.hpp"
#include "util/log.hpp"

#include <boost/asio/post.hpp>

#include <fmt/format.h>
#include <random>
#include <unistd.h>

namespace herald {

namespace http = boost::beast::http;

std::optional<sockjs_target> find_sockjs_target(const transport_context& node,
                                                std::string_view path) {
    for (std::size_t i = 0; i < node.endpoints.size(); ++i) {
        const auto& prefix = node.endpoints[i].sockjs_prefix;
        if (prefix.empty()) {
            continue;
        }
        if (auto route = sockjs::route_of(prefix, path)) {
            return sockjs_target{i, *route};
        }
    }
    return std::nullopt;
}

std::string sockjs_cors_headers(const http_request& request) {
    const std::string_view origin = request[http::field::origin];
    std::string headers =
        fmt::format("Access-Control-Allow-Origin: {}\r\nAccess-Control-Allow-Credentials: true\r\n",
                    origin.empty() ? std::string_view("*") : origin);
    const std::string_view asked = request[http::field::access_control_request_headers];
    if (!asked.empty()) {
        headers += fmt::format("Access-Control-Allow-Headers: {}\r\n", asked);
    }
    return headers + "Vary: Origin\r\n";
}

namespace {

http_response text_answer(unsigned status, std::string body, const http_request& request) {
    return {status, "text/plain; charset=UTF-8", std::move(body), sockjs_cors_headers(request)};
}

// A JSON error answer a cross-origin client can read too.
http_response json_answer(unsigned status, std::string_view error, std::string_view detail,
                          const http_request& request) {
    http_response r = json_error(status, error, detail);
    r.extra_headers += sockjs_cors_headers(request);
    return r;
}

std::optional<http_response> preflight(sockjs::route_kind kind, const http_request& request) {
    const bool is_get = kind == sockjs::route_kind::info || kind == sockjs::route_kind::eventsource;
    http_response r = text_answer(204, {}, request);
    r.extra_headers += fmt::format("Access-Control-Allow-Methods: OPTIONS, {}\r\n"
                                   "Access-Control-Max-Age: 31536000\r\n",
                                   is_get ? "GET" : "POST");
    return r;
}

std::string info_body() {
    // Entropy: sockjs-client seeds nothing with it; any 32-bit number will do.
    static thread_local std::mt19937 random{std::random_device{}()};
    return fmt::format(R"({{"websocket":true,"cookie_needed":false,"origins":["*:*"],)"
                       R"("entropy":{}}})",
                       random());
}

// The method each route takes; the others get 405.
bool method_fits(sockjs::route_kind kind, http::verb method) {
    using sockjs::route_kind;
    switch (kind) {
    case route_kind::greeting:
    case route_kind::info:
    case route_kind::eventsource:
    case route_kind::websocket:
    case route_kind::raw_websocket:
        return method == http::verb::get;
    case route_kind::xhr:
    case route_kind::xhr_send:
    case route_kind::xhr_streaming:
        return method == http::verb::post;
    case route_kind::unknown_session:
        return true;
    }
    return false;
}

} // namespace

std::optional<http_response> sockjs_plain_answer(const sockjs_target& target,
                                                 const http_request& request) {
    using sockjs::route_kind;
    const auto kind = target.route.kind;
    if (kind == route_kind::unknown_session) {
        return text_answer(404, "Not found.", request);
    }
    if (request.method() == http::verb::options && kind != route_kind::websocket &&
        kind != route_kind::raw_websocket && kind != route_kind::greeting) {
        return preflight(kind, request);
    }
    if (!method_fits(kind, request.method())) {
        auto r = text_answer(405, {}, request);
        r.extra_headers += kind == route_kind::xhr || kind == route_kind::xhr_send ||
                                   kind == route_kind::xhr_streaming
                               ? "Allow: OPTIONS, POST\r\n"
                               : "Allow: GET\r\n";
        return r;
    }
    switch (kind) {
    case route_kind::greeting:
        return text_answer(200, "Welcome to SockJS!\n", request);
    case route_kind::info: {
        http_response r{200, "application/json; charset=UTF-8", info_body(),
                        sockjs_cors_headers(request)};
        return r;
    }
    case route_kind::websocket:
    case route_kind::raw_websocket:
        if (request.find(http::field::upgrade) == request.end()) {
            return text_answer(400, "Can \"Upgrade\" only to \"WebSocket\".", request);
        }
        return std::nullopt;
    default:
        return std::nullopt;
    }
}

namespace {

std::string answer_bytes(const http_response& r) {
    return serialize(r, false);
}

// On the owner's thread: the session request proper.
void serve_here(shard& owner, tcp::socket socket, transport_context& node, std::size_t endpoint,
                std::string_view session_id, sockjs::route_kind kind, const http_request& request,
                const std::string& remote) {
    auto& registry = *node.sockjs;
    const auto& settings = registry.settings();
    const auto exchange_kind =
        kind == sockjs::route_kind::xhr             ? sockjs_exchange::kind::polling
        : kind == sockjs::route_kind::xhr_streaming ? sockjs_exchange::kind::streaming
        : kind == sockjs::route_kind::eventsource   ? sockjs_exchange::kind::eventsource
                                                    : sockjs_exchange::kind::answer;
    auto exchange = std::make_shared<sockjs_exchange>(
        owner, std::move(socket), exchange_kind, sockjs_cors_headers(request),
        settings.response_limit, node.limit.idle_timeout);
    auto session = registry.find(owner, endpoint, session_id);
    if (kind == sockjs::route_kind::xhr_send) {
        if (!session) {
            exchange->answer(answer_bytes(text_answer(404, "Session not found.", request)));
            return;
        }
        std::vector<std::string> messages;
        switch (sockjs::decode_messages(request.body(), messages)) {
        case sockjs::decode_status::empty:
            exchange->answer(answer_bytes(text_answer(500, "Payload expected.", request)));
            return;
        case sockjs::decode_status::broken:
            exchange->answer(answer_bytes(text_answer(500, "Broken JSON encoding.", request)));
            return;
        case sockjs::decode_status::ok:
            break;
        }
        session->receive(messages);
        exchange->answer(answer_bytes(text_answer(204, {}, request)));
        return;
    }
    if (!session) {
        if (node.draining.load()) {
            exchange->answer(
                answer_bytes(json_answer(503, "draining", "the node is shutting down", request)));
            return;
        }
        session = registry.create(owner, endpoint, session_id, node);
        if (!session) {
            exchange->answer(answer_bytes(json_answer(
                503, "too_many_sessions", "the node has [sockjs] max_sessions", request)));
            return;
        }
        const std::string_view target = request.target();
        session->start(upgrade_context(request, target.substr(0, target.find('?')),
                                       node.endpoints[endpoint], remote));
    }
    exchange->receive_from(std::move(session));
}

// A socket descriptor between two shards: closed if it never arrives (the owner stopped first,
// and its io_context dropped the handler).
struct descriptor_in_transit {
    int fd;
    explicit descriptor_in_transit(int d)
        : fd(d) {}
    descriptor_in_transit(const descriptor_in_transit&) = delete;
    descriptor_in_transit& operator=(const descriptor_in_transit&) = delete;
    ~descriptor_in_transit() {
        if (fd >= 0) {
            ::close(fd);
        }
    }
};

} // namespace

void serve_sockjs_session(shard& here, tcp::socket socket, transport_context& node,
                          const sockjs_target& target, const http_request& request,
                          std::string remote) {
    const std::string_view id = target.route.session;
    shard& owner = node.sockjs->owner_of(id);
    if (&owner == &here) {
        serve_here(here, std::move(socket), node, target.endpoint, id, target.route.kind, request,
                   remote);
        return;
    }
    // Another shard's session: the descriptor moves to the owner's io_context, with a copy of
    // the request (its body included); nothing else of this connection goes along.
    error_code ec;
    const auto protocol = socket.local_endpoint(ec).protocol();
    const int fd = ec ? -1 : socket.release(ec);
    if (ec || fd < 0) {
        log::warn("a SockJS request could not move to its session's shard: {}", ec.message());
        return;
    }
    net::post(owner.context(),
              [&owner, &node, held = std::make_shared<descriptor_in_transit>(fd), protocol,
               endpoint = target.endpoint, id = std::string(id), kind = target.route.kind,
               request = std::make_shared<http_request>(request), remote = std::move(remote)] {
                  tcp::socket moved(owner.context());
                  error_code assign_error;
                  moved.assign(protocol, held->fd, assign_error);
                  if (assign_error) {
                      return; // the holder closes the descriptor
                  }
                  held->fd = -1; // the socket owns it now
                  serve_here(owner, std::move(moved), node, endpoint, id, kind, *request, remote);
              });
}

} // namespace herald
