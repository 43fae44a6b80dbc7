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
    // One parser per thread (a bus thread, a test): it keeps its buffers between messages.
    thread_local simdjson::dom::parser validator;
    thread_local simdjson::ondemand::parser reader;
    const simdjson::padded_string padded(body);

    // The DOM pass validates every byte, which the on-demand pass alone would not.
    simdjson::dom::element root;
    if (validator.parse(padded).get(root) != simdjson::SUCCESS) {
        return refuse("not JSON");
    }
    if (!root.is_object()) {
        return refuse("not a JSON object");
    }

    broker_message out;
    bool has_event = false;
    bool has_payload = false;
    simdjson::ondemand::document doc;
    simdjson::ondemand::object object;
    if (reader.iterate(padded).get(doc) != simdjson::SUCCESS ||
        doc.get_object().get(object) != simdjson::SUCCESS) {
        return refuse("not a JSON object");
    }
    for (auto field : object) {
        std::string_view key;
        simdjson::ondemand::value value;
        if (field.unescaped_key().get(key) != simdjson::SUCCESS ||
            field.value().get(value) != simdjson::SUCCESS) {
            return refuse("not JSON");
        }
        if (key == "event" && !has_event) {
            std::string_view name;
            if (value.get_string().get(name) != simdjson::SUCCESS) {
                return refuse("\"event\" is not a string");
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
