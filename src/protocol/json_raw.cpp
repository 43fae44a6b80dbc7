#include "protocol/json_raw.hpp"

namespace herald::json_raw {
namespace {

std::string_view trim_right(std::string_view s) {
    while (!s.empty() &&
           (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

} // namespace

std::string text_of(simdjson::ondemand::value value) {
    simdjson::ondemand::json_type type;
    if (value.type().get(type) != simdjson::SUCCESS) {
        return "null";
    }
    std::string_view raw;
    simdjson::error_code error = simdjson::SUCCESS;
    if (type == simdjson::ondemand::json_type::object) {
        simdjson::ondemand::object object;
        error = value.get_object().get(object);
        if (!error) {
            error = object.raw_json().get(raw);
        }
    } else if (type == simdjson::ondemand::json_type::array) {
        simdjson::ondemand::array array;
        error = value.get_array().get(array);
        if (!error) {
            error = array.raw_json().get(raw);
        }
    } else {
        raw = value.raw_json_token(); // a scalar: the token plus any whitespace after it
    }
    return error == simdjson::SUCCESS ? std::string(trim_right(raw)) : std::string("null");
}

} // namespace herald::json_raw
