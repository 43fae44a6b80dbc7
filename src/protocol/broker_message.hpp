#pragma once
// The body of a message a back end publishes to a broker, as Myxi's push_event writes it:
// {"event":E,"payload":P} (any other members are kept), JSON with no content type or headers.

#include <boost/system/result.hpp>

#include <string>
#include <string_view>

namespace herald {

struct broker_message {
    std::string event;
    std::string payload; // JSON text, bytes as published; "{}" when absent
    std::string extra;   // the other members as JSON text, "\"k\":v,…", in their order; or ""
};

// The message, or why it is dropped (a short constant text): not JSON, not an object, or no
// string "event".
using broker_message_result = boost::system::result<broker_message, std::string_view>;
broker_message_result parse_broker_message(std::string_view body);

} // namespace herald
