#include "dialects/piped/piped_protocol.hpp"

#include "protocol/json_text.hpp"

#include <fmt/format.h>
#include <simdjson.h>

namespace herald::piped {
namespace {

// A client's text in an error message: enough to recognise it, never the whole of a large one.
std::string excerpt(std::string_view text) {
    constexpr std::size_t most = 100;
    if (!simdjson::validate_utf8(text.data(), text.size())) {
        return "(a binary message)"; // a text frame may carry only UTF-8
    }
    if (text.size() <= most) {
        return std::string(text);
    }
    std::size_t cut = most;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) {
        --cut; // not inside a UTF-8 character
    }
    return std::string(text.substr(0, cut)) + "…";
}

// Spelled out: a method_call could be built from the bare string too.
parse_result refuse(std::string why) {
    return parse_result(boost::system::in_place_error, std::move(why));
}

void append_member(std::string& out, std::string_view name, std::string_view json) {
    out += ",\"";
    out += name;
    out += "\":";
    out += json;
}

} // namespace

parse_result parse_method(std::string_view text) {
    thread_local simdjson::dom::parser parser;
    simdjson::dom::element root;
    if (auto error = parser.parse(text.data(), text.size()).get(root); error) {
        return refuse(fmt::format("Can not parse JSON ({}): {}", simdjson::error_message(error),
                                  excerpt(text)));
    }
    simdjson::dom::object object;
    if (root.get(object) != simdjson::SUCCESS) {
        return refuse(
            fmt::format("A message must be a JSON object with a \"method\": {}", excerpt(text)));
    }
    method_call call;
    std::string_view method;
    if (object["method"].get(method) != simdjson::SUCCESS || method.empty()) {
        return refuse(R"(Method is not specified: the message needs a string "method")");
    }
    call.method = std::string(method);
    simdjson::dom::element value;
    if (object["id"].get(value) == simdjson::SUCCESS) {
        call.id = simdjson::minify(value);
    }
    if (object["payload"].get(value) == simdjson::SUCCESS) {
        call.payload = simdjson::minify(value);
    }
    return call;
}

std::string event(std::string_view name, std::optional<std::string_view> payload_json) {
    std::string out = R"({"type":"event","event":)";
    json_text::append_string(out, name);
    if (payload_json) {
        append_member(out, "payload", *payload_json);
    }
    out += '}';
    return out;
}

std::string error(std::string_view message, std::optional<std::string_view> id_json) {
    std::string out = "{";
    if (id_json) {
        out += R"("id":)";
        out += *id_json;
        out += ',';
    }
    out += R"("type":"event","event":"error","payload":{"message":)";
    json_text::append_string(out, message);
    out += "}}";
    return out;
}

std::string result(const method_call& call, std::optional<std::string_view> payload_json) {
    std::string out = "{";
    if (call.id) {
        out += R"("id":)";
        out += *call.id;
        out += ',';
    }
    out += R"("type":"result","method":)";
    json_text::append_string(out, call.method);
    if (payload_json) {
        append_member(out, "payload", *payload_json);
    }
    out += '}';
    return out;
}

std::string application_event(std::string_view name, std::string_view payload,
                              std::string_view extra) {
    std::string out = R"({"type":"event","event":)";
    json_text::append_string(out, name);
    append_member(out, "payload", payload);
    if (!extra.empty()) {
        // The other members, but those that would contradict the frame ("type") or that Piped
        // removes before delivery ("token").
        thread_local simdjson::dom::parser parser;
        const std::string object = "{" + std::string(extra) + "}";
        simdjson::dom::object members;
        if (parser.parse(object).get(members) == simdjson::SUCCESS) {
            for (auto [key, value] : members) {
                if (key != "type" && key != "token" && key != "event" && key != "payload") {
                    out += ',';
                    json_text::append_string(out, key);
                    out += ':';
                    out += simdjson::minify(value);
                }
            }
        }
    }
    out += '}';
    return out;
}

std::string request_members(const method_call& call, std::string_view token) {
    std::string out;
    if (call.id) {
        append_member(out, "id", *call.id);
    }
    out += R"(,"method":)";
    json_text::append_string(out, call.method);
    out += R"(,"token":)";
    json_text::append_string(out, token);
    if (call.payload) {
        append_member(out, "payload", *call.payload);
    }
    return out;
}

} // namespace herald::piped
