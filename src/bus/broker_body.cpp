#include "bus/broker_body.hpp"

#include "protocol/json_text.hpp"

namespace herald {

std::string broker_body(const bus_event& event) {
    if (event.event.empty()) {
        return event.payload;
    }
    std::string body;
    body.reserve(32 + event.event.size() + event.payload.size() + event.extra.size());
    body += R"({"event":)";
    json_text::append_string(body, event.event);
    body += R"(,"payload":)";
    body += event.payload.empty() ? std::string_view("{}") : event.payload; // as if absent
    if (!event.extra.empty()) {
        body += ',';
        body += event.extra;
    }
    body += '}';
    return body;
}

} // namespace herald
