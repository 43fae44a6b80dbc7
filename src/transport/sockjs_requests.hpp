#pragma once
// The HTTP side of SockJS (docs/protocol.md#sockjs): which requests are SockJS ones, the
// answers that need no session (greeting, info, OPTIONS, errors), and the session requests
// (xhr, xhr_send, xhr_streaming, eventsource), served on the shard that owns the session.

#include "protocol/http_request_reader.hpp"
#include "protocol/sockjs.hpp"
#include "transport/http_api.hpp"
#include "util/net.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace herald {

class shard;
struct transport_context;

struct sockjs_target {
    std::size_t endpoint;
    sockjs::route route;
};

// The SockJS route of `path` (query removed) under an endpoint's prefix; nullopt for a path
// that is no SockJS one.
std::optional<sockjs_target> find_sockjs_target(const transport_context& node,
                                                std::string_view path);

// The answer when it needs no session and no upgrade: the greeting, info, OPTIONS (CORS
// preflight), a wrong method, an unknown transport. nullopt: serve the route as a session
// request or a WebSocket.
std::optional<http_response> sockjs_plain_answer(const sockjs_target& target,
                                                 const http_request& request);

// CORS headers for a response to `request`: its Origin (or *), with credentials allowed.
std::string sockjs_cors_headers(const http_request& request);

// Serves a session request, taking the socket. When the session lives on another shard the
// socket and a copy of the request go there first. `remote` is the client's address.
void serve_sockjs_session(shard& here, tcp::socket socket, transport_context& node,
                          const sockjs_target& target, const http_request& request,
                          std::string remote);

} // namespace herald
