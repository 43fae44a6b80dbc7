#pragma once
// The body of POST /api/publish: one event object or an array of them.

#include <boost/system/result.hpp>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace herald {

struct published_event {
    std::string exchange;
    std::string routing_key;
    std::string event;
    std::string payload; // JSON text, the bytes exactly as sent; {} when absent
};

struct publish_error {
    std::string error;  // "invalid_json", "invalid_field" or "unknown_exchange"
    std::string detail; // names the field: "[1].routing_key must be a string or a number"
};

// Whether the node serves an exchange. An event for any other is refused as unknown_exchange,
// as Myxi's push_event refused an exchange it had not registered: it could reach no one.
using exchange_filter = std::function<bool(std::string_view exchange)>;

// All events or an error naming the first bad one: a batch is published whole or not at all.
boost::system::result<std::vector<published_event>, publish_error>
parse_publish_request(std::string_view body, const exchange_filter& is_declared);

} // namespace herald
