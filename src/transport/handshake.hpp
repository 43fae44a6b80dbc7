#pragma once
// The WebSocket opening handshake (RFC 6455 §4.2): check the client's upgrade request and
// build the 101 response.

#include <optional>
#include <string>
#include <string_view>

namespace herald {

struct upgrade_headers {
    std::string_view method;
    std::string_view upgrade;    // Upgrade header
    std::string_view connection; // Connection header
    std::string_view key;        // Sec-WebSocket-Key
    std::string_view version;    // Sec-WebSocket-Version
};

// Why the request cannot be upgraded, or nullopt when it can.
std::optional<std::string> check_upgrade(const upgrade_headers& r);

// Sec-WebSocket-Accept for a Sec-WebSocket-Key.
std::string accept_key(std::string_view key);

std::string switching_protocols_response(std::string_view key);

// True when the comma-separated header value holds `token` (case-insensitive).
bool header_has_token(std::string_view value, std::string_view token);

} // namespace herald
