#include "protocol/broker_message.hpp"

#include "protocol/json_raw.hpp"
#include "protocol/json_text.hpp"

#include <simdjson.h>

namespace herald {
namespace {

broker_message_result refuse(std::string_view why) {
    return {boost::system::in_place_error, why};
}

} // namespace

broker_message_result parse_broker_message(std::string_view body) {
    broker_message out;
    bool has_event = false;
    bool has_payload = false;
    std::string_view refused;
    const auto read = json_raw::for_each_member(body, [&](std::string_view key, auto& value) {
        if (key == "event" && !has_event) {
            std::string_view name;
            if (value.get_string().get(name) != simdjson::SUCCESS) {
                refused = "\"event\" is not a string";
                return false;
            }
            out.event = std::string(name);
            has_event = true;
        } else if (key == "payload" && !has_payload) {
            out.payload = json_raw::text_of(value);
            has_payload = true;
        } else {
            if (!out.extra.empty()) {
                out.extra += ',';
            }
            json_text::append_string(out.extra, key);
            out.extra += ':';
            out.extra += json_raw::text_of(value);
        }
        return true;
    });
    if (read == json_raw::object_read::not_json) {
        return refuse("not JSON");
    }
    if (read == json_raw::object_read::not_object) {
        return refuse("not a JSON object");
    }
    if (!refused.empty()) {
        return refuse(refused);
    }
    if (!has_event) {
        return refuse("no \"event\"");
    }
    if (!has_payload) {
        out.payload = "{}";
    }
    return out;
}

} // namespace herald
