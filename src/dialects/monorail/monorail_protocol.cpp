#include "dialects/monorail/monorail_protocol.hpp"

#include "protocol/json_raw.hpp"
#include "protocol/json_text.hpp"

#include <array>
#include <simdjson.h>
#include <utility>

namespace herald::monorail {
namespace {

constexpr std::array<std::pair<std::string_view, handler>, 7> handlers = {{
    {"init", handler::init},
    {"query", handler::query},
    {"all", handler::all},
    {"get", handler::get},
    {"watch", handler::watch},
    {"stop", handler::stop},
    {"error", handler::error},
}};

handler handler_named(std::string_view name) {
    for (const auto& [n, h] : handlers) {
        if (n == name) {
            return h;
        }
    }
    return handler::unknown;
}

// {"handler":"<h>","resource":<R>
std::string opening(std::string_view h, std::string_view resource) {
    std::string out = R"({"handler":")";
    out += h;
    out += R"(","resource":)";
    json_text::append_string(out, resource);
    return out;
}

// A routing key's or body's bytes as a JSON string: brokers carry any bytes, and a reply that
// is not UTF-8 would be an invalid text frame, so bytes that are not UTF-8 are read as Latin-1.
void append_text(std::string& out, std::string_view bytes) {
    if (simdjson::validate_utf8(bytes.data(), bytes.size())) {
        json_text::append_string(out, bytes);
        return;
    }
    std::string latin1;
    latin1.reserve(bytes.size() * 2);
    for (unsigned char c : bytes) {
        if (c < 0x80) {
            latin1 += static_cast<char>(c);
        } else {
            latin1 += static_cast<char>(0xc0 | (c >> 6));
            latin1 += static_cast<char>(0x80 | (c & 0x3f));
        }
    }
    json_text::append_string(out, latin1);
}

bool is_json(std::string_view text) {
    thread_local simdjson::dom::parser parser;
    const simdjson::padded_string padded(text);
    simdjson::dom::element ignored;
    return parser.parse(padded).get(ignored) == simdjson::SUCCESS;
}

} // namespace

read_request_result read_request(std::string_view text) {
    read_request_result out;
    request r;
    std::optional<std::string> type;
    bool has_handler = false;
    bool bad_resource = false;
    const auto read = json_raw::for_each_member(text, [&](std::string_view key, auto& value) {
        std::string_view s;
        const bool is_string = value.get_string().get(s) == simdjson::SUCCESS;
        if (key == "handler") {
            has_handler = is_string;
            if (is_string) {
                r.name = std::string(s);
                r.kind = handler_named(s);
            }
        } else if (key == "resource" || key == "type") {
            bool is_null = false;
            if (!is_string && value.is_null().get(is_null) == simdjson::SUCCESS && is_null) {
                return true; // Messenger.js drops undefined keys; null means the same
            }
            if (!is_string) {
                bad_resource = true;
            } else if (key == "resource") {
                r.resource = std::string(s);
            } else {
                type = std::string(s);
            }
        } else if (key == "params") {
            std::string params = json_raw::text_of(value);
            r.params = params == "null" ? std::string() : std::move(params);
        }
        return true;
    });
    if (read == json_raw::object_read::not_json) {
        out.why = {"invalid_json", "the message is not valid JSON"};
        return out;
    }
    if (read == json_raw::object_read::not_object) {
        out.why = {"invalid_message", "a message must be a JSON object with a \"handler\""};
        return out;
    }
    if (!has_handler) {
        out.why = {"invalid_message", "the message needs a string \"handler\""};
        return out;
    }
    if (bad_resource) {
        out.why = {"invalid_message", "\"resource\" and \"type\" must be strings"};
        return out;
    }
    if (r.resource.empty() && type) {
        r.resource = std::move(*type);
    }
    out.ok = std::move(r);
    return out;
}

std::string resource_of_path(std::string_view path) {
    path = path.substr(0, path.find_first_of("?#"));
    const auto slash = path.rfind('/');
    const auto last = slash == std::string_view::npos ? path : path.substr(slash + 1);
    // Replies name it: bytes that are not UTF-8 would make them invalid text frames.
    return simdjson::validate_utf8(last.data(), last.size()) ? std::string(last) : std::string();
}

std::string session(std::string_view id) {
    std::string out = R"({"handler":"session","id":)";
    json_text::append_string(out, id);
    out += '}';
    return out;
}

std::string list(std::string_view resource, const std::vector<std::string>& items_json,
                 bool truncated) {
    std::size_t size = 64 + resource.size();
    for (const auto& item : items_json) {
        size += item.size() + 1;
    }
    std::string out = opening("list", resource);
    out.reserve(size);
    out += R"(,"items":[)";
    for (std::size_t i = 0; i < items_json.size(); ++i) {
        if (i != 0) {
            out += ',';
        }
        out += items_json[i];
    }
    out += ']';
    if (truncated) {
        out += R"(,"truncated":true)";
    }
    out += '}';
    return out;
}

std::string item(std::string_view resource, std::string_view record_json) {
    std::string out = opening("item", resource);
    out += R"(,"id":)";
    out += record_json;
    out += R"(,"data":)";
    out += record_json;
    out += '}';
    return out;
}

std::string removed(std::string_view resource, std::string_view params_json) {
    std::string out = opening("remove", resource);
    out += R"(,"params":)";
    out += params_json.empty() ? std::string_view("{}") : params_json;
    out += '}';
    return out;
}

std::string error(std::string_view resource, std::string_view code, std::string_view message) {
    std::string out = opening("error", resource);
    out += R"(,"params":{"error":)";
    json_text::append_string(out, code);
    out += R"(,"message":)";
    json_text::append_string(out, message);
    out += "}}";
    return out;
}

std::string_view identity_of(std::string_view routing_key) {
    const auto dot = routing_key.find('.');
    return dot == std::string_view::npos ? std::string_view() : routing_key.substr(0, dot);
}

std::optional<std::string> record_of(std::string_view body) {
    std::optional<std::string> record;
    const auto read = json_raw::for_each_member(body, [&](std::string_view key, auto& value) {
        if (key == "record") {
            record = json_raw::text_of(value);
            return false;
        }
        return true;
    });
    return read == json_raw::object_read::ok ? record : std::nullopt;
}

std::optional<std::string> change(std::string_view resource, std::string_view routing_key,
                                  std::string_view record) {
    // <identity>.<event>.<id>: on-wss took the last part as the id and the one before as the
    // event, so an identity may hold dots but an id may not.
    const auto last = routing_key.rfind('.');
    if (last == std::string_view::npos || last == 0) {
        return std::nullopt;
    }
    const auto before = routing_key.rfind('.', last - 1);
    if (before == std::string_view::npos) {
        return std::nullopt;
    }
    const std::string_view event = routing_key.substr(before + 1, last - before - 1);
    const std::string_view id = routing_key.substr(last + 1);
    if (event.empty() || id.empty()) {
        return std::nullopt;
    }
    const bool destroyed = event == "destroyed";
    std::string out = opening(destroyed ? "remove" : "item", resource);
    out += R"(,"id":)";
    if (destroyed) {
        append_text(out, id);
        out += R"(,"params":{"id":)";
        append_text(out, id);
        out += '}';
    } else {
        out += '[';
        append_text(out, event);
        out += ',';
        append_text(out, id);
        out += ']';
    }
    out += R"(,"data":)";
    out += record;
    out += '}';
    return out;
}

std::string mq_item(std::string_view routing_key, std::string_view body) {
    std::string out = opening("item", "mq");
    out += R"(,"id":)";
    append_text(out, routing_key);
    out += R"(,"data":)";
    if (is_json(body)) {
        out += body;
    } else {
        append_text(out, body);
    }
    out += '}';
    return out;
}

} // namespace herald::monorail
