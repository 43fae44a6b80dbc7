#pragma once
// The exact bytes of a JSON value inside a document simdjson has already validated: payloads
// reach clients as they were published, never re-serialized.

#include <simdjson.h>
#include <string>
#include <string_view>

namespace herald::json_raw {

// The value's JSON text without trailing whitespace; "null" if simdjson cannot delimit it.
std::string text_of(simdjson::ondemand::value value);

// Reads `text` as a JSON object, member by member in order: each byte is validated first (the
// on-demand pass alone would not), then `visit(key, value)` is called for each member, key
// unescaped, until it returns false. One parser pair per thread, kept between calls.
enum class object_read { ok, not_json, not_object };
template <class Visit> object_read for_each_member(std::string_view text, Visit&& visit) {
    thread_local simdjson::dom::parser validator;
    thread_local simdjson::ondemand::parser reader;
    const simdjson::padded_string padded(text);
    simdjson::dom::element root;
    if (validator.parse(padded).get(root) != simdjson::SUCCESS) {
        return object_read::not_json;
    }
    if (!root.is_object()) {
        return object_read::not_object;
    }
    simdjson::ondemand::document doc;
    simdjson::ondemand::object object;
    if (reader.iterate(padded).get(doc) != simdjson::SUCCESS ||
        doc.get_object().get(object) != simdjson::SUCCESS) {
        return object_read::not_object;
    }
    for (auto field : object) {
        std::string_view key;
        simdjson::ondemand::value value;
        if (field.unescaped_key().get(key) != simdjson::SUCCESS ||
            field.value().get(value) != simdjson::SUCCESS) {
            return object_read::not_json;
        }
        if (!visit(key, value)) {
            break;
        }
    }
    return object_read::ok;
}

} // namespace herald::json_raw
