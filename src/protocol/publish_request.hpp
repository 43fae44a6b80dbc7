#pragma once
// The body of POST /api/publish: one event object or an array of them.

#include <boost/system/result.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace herald {

struct published_event {
    std::string exchange;
    std::string routing_key;
    std::string body; // {"event":E,"payload":P}, with P's bytes exactly as sent
};

struct publish_error {
    std::string error;  // "invalid_json" or "invalid_field"
    std::string detail; // names the field: "[1].routing_key must be a string or a number"
};

boost::system::result<std::vector<published_event>, publish_error>
parse_publish_request(std::string_view body);

} // namespace herald
