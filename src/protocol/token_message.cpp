#include "protocol/token_message.hpp"

#include "protocol/json_text.hpp"

#include <simdjson.h>

namespace herald {

boost::system::result<token_message, std::string_view> parse_token_message(std::string_view body) {
    thread_local simdjson::dom::parser parser;
    simdjson::dom::object object;
    if (parser.parse(body.data(), body.size()).get(object) != simdjson::SUCCESS) {
        return std::string_view("not a JSON object");
    }
    token_message out;
    bool has_token = false;
    for (auto [key, value] : object) {
        if (key == "token") {
            std::string_view token;
            if (value.get(token) != simdjson::SUCCESS || token.empty()) {
                return std::string_view("\"token\" is not a non-empty string");
            }
            out.token = std::string(token);
            has_token = true;
            continue;
        }
        if (!out.members.empty()) {
            out.members += ',';
        }
        json_text::append_string(out.members, key);
        out.members += ':';
        out.members += simdjson::minify(value);
    }
    if (!has_token) {
        return std::string_view("no \"token\"");
    }
    return out;
}

} // namespace herald
