#pragma once
// RackHD's messages of database changes (on-core lib/common/model.js): published to the topic
// exchange on.waterline with routing key <identity>.<event>.<id> and body
// {"event":<event>,"record":<the document>}. Herald publishes the changes its own stores see
// (writes through the HTTP API, PostgreSQL's notifications) the same way, so a watcher cannot
// tell them from RackHD's.

#include <string>
#include <string_view>

namespace herald::waterline {

inline std::string routing_key(std::string_view identity, std::string_view event,
                               std::string_view id) {
    std::string key;
    key.reserve(identity.size() + event.size() + id.size() + 2);
    key.append(identity).append(".").append(event).append(".").append(id);
    return key;
}

// `event` is one of created, updated, destroyed (no escaping needed); `record` is JSON text.
inline std::string body(std::string_view event, std::string_view record) {
    std::string out = R"({"event":")";
    out.append(event).append(R"(","record":)").append(record).append("}");
    return out;
}

// An id that fits a routing key's last part: 1 to 200 bytes, no '.', '*', '#' or NUL.
inline bool fits_id(std::string_view id) {
    return !id.empty() && id.size() <= 200 &&
           id.find_first_of(std::string_view(".*#\0", 4)) == std::string_view::npos;
}

} // namespace herald::waterline
