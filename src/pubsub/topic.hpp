#pragma once
// A topic is the address of a stream of events: an exchange plus a routing key.

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace herald {

// The hub's and the interest table's key for an exchange and routing key. NUL cannot occur in
// either part, which the parsers guarantee (JSON strings may hold \u0000, so they check). The
// key never leaves the node: a bus is always given the exchange and the routing key apart.
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

struct topic {
    std::string exchange;
    std::string routing_key;
    friend bool operator==(const topic&, const topic&) = default;
};

// Bytes ready for the socket: one WebSocket frame, built once and shared by every session
// that receives it, on every shard.
using shared_frame = std::shared_ptr<const std::string>;

// A dialect is known here only by its index in the registry (src/dialects/registry.cpp):
// pubsub routes frames per dialect without knowing what any dialect says.
using dialect_id = std::uint8_t;
inline constexpr std::size_t max_dialects = 8;

// One event, framed once for each dialect that has a subscriber for it (null for the others),
// shared by every session of every shard that receives it.
struct rendered_event {
    std::array<shared_frame, max_dialects> frames;
};
using shared_event = std::shared_ptr<const rendered_event>;

} // namespace herald
