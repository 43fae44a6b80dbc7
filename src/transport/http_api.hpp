#pragma once
// Plain HTTP on the WebSocket port: the demo page, health, metrics and the publish API.

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <string>

namespace herald {

class shard;

struct http_response {
    unsigned status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::string extra_headers; // complete "Name: value\r\n" lines
};

using http_request = boost::beast::http::request<boost::beast::http::string_body>;

// Answers every request that is not a WebSocket upgrade. Runs on the connection's shard.
http_response handle_http(shard& s, const http_request& request);

// {"error":E,"detail":D} with `status`.
http_response json_error(unsigned status, std::string_view error, std::string_view detail);

// The bytes of a complete HTTP/1.1 response.
std::string serialize(const http_response& r, bool keep_alive);

} // namespace herald
