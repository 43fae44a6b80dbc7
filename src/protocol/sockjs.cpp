#include "protocol/sockjs.hpp"

#include "protocol/json_text.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <simdjson.h>

namespace herald::sockjs {

void append_to_array(std::string& frame, std::string_view message, bool json_value) {
    frame += frame.empty() ? "a[" : ",";
    if (json_value) {
        // Raw CR and LF in valid JSON are whitespace (inside strings they must be escaped), and
        // they would end the frame on the line-based transports: each becomes a space.
        const auto at = frame.size();
        frame += message;
        std::replace_if(
            frame.begin() + static_cast<std::ptrdiff_t>(at), frame.end(),
            [](char c) { return c == '\n' || c == '\r'; }, ' ');
    } else {
        json_text::append_string(frame, message);
    }
}

void finish_array(std::string& frame) {
    frame += ']';
}

std::string close_frame(int code, std::string_view reason) {
    std::string frame = fmt::format("c[{},", code);
    json_text::append_string(frame, reason);
    frame += ']';
    return frame;
}

std::string server_close_frame(int code, std::string_view reason, std::string_view fallback) {
    if (code == 1000 && reason.empty()) {
        return close_frame(3000, "Go away!");
    }
    return close_frame(code, reason.empty() ? fallback : reason);
}

std::string_view payload_of_ws_frame(std::string_view frame) {
    if (frame.size() < 2) {
        return {};
    }
    const auto length = static_cast<unsigned char>(frame[1]) & 0x7f;
    const std::size_t header = length < 126 ? 2 : length == 126 ? 4 : 10;
    return frame.size() < header ? std::string_view{} : frame.substr(header);
}

decode_status decode_messages(std::string_view body, std::vector<std::string>& messages) {
    messages.clear();
    if (body.empty()) {
        return decode_status::empty;
    }
    // The DOM parser validates the whole document, trailing bytes included, before any
    // message is taken.
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (parser.parse(body.data(), body.size()).get(doc)) {
        return decode_status::broken;
    }
    std::string_view one;
    if (!doc.get_string().get(one)) {
        messages.emplace_back(one);
        return decode_status::ok;
    }
    simdjson::dom::array array;
    if (doc.get_array().get(array)) {
        return decode_status::broken;
    }
    for (auto element : array) {
        std::string_view text;
        if (element.get_string().get(text)) {
            messages.clear();
            return decode_status::broken;
        }
        messages.emplace_back(text);
    }
    return decode_status::ok;
}

bool is_valid_id(std::string_view id) {
    if (id.empty() || id.size() > max_id_bytes) {
        return false;
    }
    for (const char c : id) {
        const bool fits = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                          (c >= '0' && c <= '9') || c == '-' || c == '_';
        if (!fits) {
            return false;
        }
    }
    return true;
}

namespace {

std::string_view next_segment(std::string_view& rest) {
    const auto slash = rest.find('/');
    const auto segment = rest.substr(0, slash);
    rest.remove_prefix(slash == std::string_view::npos ? rest.size() : slash + 1);
    return segment;
}

std::optional<route_kind> transport_named(std::string_view name) {
    if (name == "websocket") {
        return route_kind::websocket;
    }
    if (name == "xhr") {
        return route_kind::xhr;
    }
    if (name == "xhr_send") {
        return route_kind::xhr_send;
    }
    if (name == "xhr_streaming") {
        return route_kind::xhr_streaming;
    }
    if (name == "eventsource") {
        return route_kind::eventsource;
    }
    return std::nullopt;
}

} // namespace

std::optional<route> route_of(std::string_view prefix, std::string_view path) {
    if (!path.starts_with(prefix)) {
        return std::nullopt;
    }
    std::string_view rest = path.substr(prefix.size());
    if (rest.empty() || rest == "/") {
        return route{route_kind::greeting, {}};
    }
    if (rest.front() != '/') {
        return std::nullopt; // /__sockjs__x is another path
    }
    rest.remove_prefix(1);
    if (rest == "info") {
        return route{route_kind::info, {}};
    }
    if (rest == "websocket") {
        return route{route_kind::raw_websocket, {}};
    }
    const auto server = next_segment(rest);
    const auto session = next_segment(rest);
    const auto transport = rest;
    if (!is_valid_id(server) || !is_valid_id(session) || transport.find('/') != rest.npos) {
        return std::nullopt;
    }
    const auto kind = transport_named(transport);
    return route{kind.value_or(route_kind::unknown_session), session};
}

} // namespace herald::sockjs
