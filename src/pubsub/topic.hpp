#pragma once
// A topic is the address of a stream of events: an exchange plus a routing key.

#include <array>
#include <memory>
#include <string>
#include <string_view>

namespace herald {

// The hub's key for an exchange and routing key. NUL cannot occur in either part, which the
// parsers guarantee (JSON strings may hold \u0000, so they check).
inline std::string topic_key(std::string_view exchange, std::string_view routing_key) {
    std::string key;
    key.reserve(exchange.size() + routing_key.size() + 1);
    key.append(exchange);
    key.push_back('\0');
    key.append(routing_key);
    return key;
}

inline std::string_view exchange_of(std::string_view key) {
    return key.substr(0, key.find('\0'));
}
inline std::string_view routing_key_of(std::string_view key) {
    return key.substr(key.find('\0') + 1);
}

// Bytes ready for the socket: one WebSocket frame, built once and shared by every session
// that receives it, on every shard.
using shared_frame = std::shared_ptr<const std::string>;

// The dialects Herald speaks; an event is framed once per dialect.
enum class dialect : unsigned char { myxi };
inline constexpr std::size_t dialect_count = 1;
using event_frames = std::array<shared_frame, dialect_count>;

} // namespace herald
