#include "dialects/datadealer/datadealer_protocol.hpp"

#include "protocol/json_raw.hpp"
#include "protocol/json_text.hpp"
#include "protocol/mail_ids.hpp"

#include <simdjson.h>

namespace herald::datadealer {
namespace {

// A JSON object's string member `name_key` and the raw text of its member `value_key`
// ("null" when absent). Nullopt when `text` is not a JSON object; the name is nullopt when it
// is missing or not a string.
struct members {
    std::optional<std::string> name;
    std::optional<std::string> value;
};
std::optional<members> read_members(std::string_view text, std::string_view name_key,
                                    std::string_view value_key) {
    members out;
    const auto read = json_raw::for_each_member(text, [&](std::string_view key, auto& value) {
        if (key == name_key && !out.name) {
            std::string_view name;
            // Present but not a string: an empty name, which the callers refuse.
            out.name = value.get_string().get(name) == simdjson::SUCCESS ? std::string(name)
                                                                         : std::string();
        } else if (key == value_key && !out.value) {
            out.value = json_raw::text_of(value);
        }
        return true;
    });
    if (read != json_raw::object_read::ok) {
        return std::nullopt;
    }
    return out;
}

} // namespace

std::string user_key(std::string_view uid) {
    return "user_" + std::string(uid);
}

boost::system::result<client_message, std::string> parse_client_message(std::string_view text) {
    auto read = read_members(text, "ev", "pl");
    if (!read) {
        return {boost::system::in_place_error, "a message must be a JSON object {\"ev\",\"pl\"}"};
    }
    if (!read->name || read->name->empty()) {
        return {boost::system::in_place_error, "the message needs a non-empty string \"ev\""};
    }
    return client_message{std::move(*read->name), read->value.value_or("{}")};
}

std::optional<std::string> token_of(std::string_view pl_json) {
    auto read = read_members(pl_json, "token", "");
    if (!read || !read->name || read->name->empty()) {
        return std::nullopt;
    }
    return std::move(read->name);
}

std::string event(std::string_view ev, std::string_view pl_json,
                  std::optional<std::string_view> mail_id) {
    std::string out = R"({"ev":)";
    json_text::append_string(out, ev);
    out += R"(,"pl":)";
    out += pl_json;
    if (mail_id) {
        out += R"(,"mail":)";
        json_text::append_string(out, *mail_id);
    }
    out += '}';
    return out;
}

std::string acknowledged(const std::vector<std::string>& asked,
                         const std::vector<std::string>& removed) {
    return event(acknowledged_event, "{" + mail_ids::acknowledged_members(asked, removed) + "}");
}

std::string error(std::string_view error, std::string_view detail) {
    std::string pl = R"({"error":)";
    json_text::append_string(pl, error);
    pl += R"(,"detail":)";
    json_text::append_string(pl, detail);
    pl += '}';
    return event("error", pl);
}

std::optional<std::string> from_broker(std::string_view body) {
    auto read = read_members(body, "action", "data");
    if (!read || !read->name || read->name->empty()) {
        return std::nullopt;
    }
    return event(*read->name, read->value.value_or("null"));
}

std::string kick_message(std::string_view sender) {
    std::string out = R"({"action":"kick","token":null,"data":{"sender":)";
    json_text::append_string(out, sender);
    out += "}}";
    return out;
}

std::optional<std::string> kick_sender(std::string_view client_text) {
    // Rendered by event() above: a kick starts so. Anything else is no kick, without parsing.
    if (!client_text.starts_with(R"({"ev":"kick",)")) {
        return std::nullopt;
    }
    auto read = read_members(client_text, "ev", "pl");
    if (!read || !read->value) {
        return std::nullopt;
    }
    auto sender = read_members(*read->value, "sender", "");
    if (!sender || !sender->name) {
        return std::string(); // a kick without a sender: from no session, so for every one
    }
    return std::move(sender->name);
}

} // namespace herald::datadealer
