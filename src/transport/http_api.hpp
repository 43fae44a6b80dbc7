#pragma once
// Plain HTTP on the WebSocket port: the demo page, health, metrics, and the API that publishes
// to topics and sends to sessions.

#include "protocol/http_request_reader.hpp"

#include <functional>
#include <optional>
#include <string>

namespace herald {

struct transport_context;

struct http_response {
    unsigned status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::string extra_headers; // complete "Name: value\r\n" lines
};

// Takes an answer given later, from any thread, once.
using http_responder = std::function<void(http_response)>;

// Answers every request that is not a WebSocket upgrade: at once, or, when the answer waits
// for the bus (a publish waits for the broker's confirmation), later through `later`, and
// nullopt now. Runs on the connection's shard; may throw (the connection answers 500 then).
std::optional<http_response> handle_http(transport_context& node, const http_request& request,
                                         const http_responder& later);

// {"error":E,"detail":D} with `status`.
http_response json_error(unsigned status, std::string_view error, std::string_view detail);
http_response json_ok(unsigned status, std::string body);
http_response method_not_allowed(std::string_view allow);
// The API key (api_key) as a bearer token: nullopt when it is right, else the refusal.
std::optional<http_response> refuse_caller(const transport_context& node,
                                           const http_request& request);

// The bytes of a complete HTTP/1.1 response.
std::string serialize(const http_response& r, bool keep_alive);

} // namespace herald
