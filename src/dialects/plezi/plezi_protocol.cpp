#include "dialects/plezi/plezi_protocol.hpp"

#include "protocol/json_text.hpp"
#include "protocol/mail_ids.hpp"

#include <algorithm>
#include <array>
#include <fmt/format.h>
#include <simdjson.h>

namespace herald::plezi {
namespace {

// Plezi 0.12's reserved names (its auto-dispatch doc): callbacks and controller helpers, which
// a client must not reach as events.
constexpr std::array<std::string_view, 26> reserved = {
    "on_open",          "on_message",  "on_close", "on_shutdown", "pre_connect", "unknown",
    "unknown_event",    "id",          "uuid",     "write",       "close",       "unicast",
    "broadcast",        "multicast",   "request",  "params",      "cookies",     "session",
    "response",         "redirect_to", "url_for",  "send_data",   "send_file",   "render",
    "requested_method", "initialize"};

// One parser per thread, made once, with the nesting bound: the parser keeps its maximum
// depth when it grows for a larger document.
simdjson::dom::parser& bounded_parser() {
    thread_local simdjson::dom::parser parser = [] {
        simdjson::dom::parser p;
        if (p.allocate(4096, max_nesting) != simdjson::SUCCESS) {
            throw std::bad_alloc();
        }
        return p;
    }();
    return parser;
}

} // namespace

std::string_view describe(refusal r) {
    switch (r) {
    case refusal::invalid_json:
        return "invalid JSON";
    case refusal::not_object:
        return "a message must be a JSON object";
    case refusal::too_deep:
        return "JSON nested deeper than 64 levels";
    case refusal::eid_too_long:
        return "_EID_ is longer than 128 bytes of JSON";
    }
    return "invalid JSON";
}

parse_result parse_event(std::string_view text) {
    simdjson::dom::element root;
    if (auto error = bounded_parser().parse(text.data(), text.size()).get(root); error) {
        return error == simdjson::DEPTH_ERROR ? refusal::too_deep : refusal::invalid_json;
    }
    simdjson::dom::object object;
    if (root.get(object) != simdjson::SUCCESS) {
        return refusal::not_object;
    }
    client_event e;
    std::string_view name;
    if (object["event"].get(name) == simdjson::SUCCESS) {
        e.name = std::string(name);
    }
    simdjson::dom::element eid;
    if (object["_EID_"].get(eid) == simdjson::SUCCESS) {
        e.eid = simdjson::minify(eid);
        if (e.eid->size() > max_eid_bytes) {
            return refusal::eid_too_long;
        }
    }
    simdjson::dom::element mail;
    if (e.name == acknowledge_event && object["mail"].get(mail) == simdjson::SUCCESS &&
        !mail_ids::read(mail, e.mail)) {
        e.mail.clear();
    }
    e.message = simdjson::minify(object);
    return e;
}

bool dispatchable(std::string_view name) {
    return !name.empty() && name.front() != '_' &&
           std::find(reserved.begin(), reserved.end(), name) == reserved.end();
}

std::string acknowledged(const std::vector<std::string>& asked,
                         const std::vector<std::string>& removed) {
    return R"({"event":"_acked_mail_",)" + mail_ids::acknowledged_members(asked, removed) + "}";
}

std::string ack(std::string_view eid_json) {
    return fmt::format(R"({{"event":"_ack_","_EID_":{}}})", eid_json);
}

std::string error(int status, std::string_view result,
                  std::optional<std::string_view> request_json) {
    std::string out = fmt::format(R"({{"event":"err","status":{},"result":)", status);
    json_text::append_string(out, result);
    if (request_json) {
        out += R"(,"request":)";
        out += *request_json;
    }
    out += '}';
    return out;
}

std::optional<std::string> written(std::string_view json) {
    thread_local simdjson::dom::parser parser;
    simdjson::dom::element value;
    if (parser.parse(json.data(), json.size()).get(value) != simdjson::SUCCESS) {
        return std::nullopt;
    }
    if (std::string_view text; value.get(text) == simdjson::SUCCESS) {
        return std::string(text);
    }
    if (value.is_object()) {
        return std::string(json);
    }
    return std::nullopt;
}

std::string application_event(std::string_view name, std::string_view payload_json,
                              std::optional<std::string_view> mail_id) {
    thread_local simdjson::dom::parser parser;
    simdjson::dom::element value;
    std::string out = R"({"event":)";
    json_text::append_string(out, name);
    if (parser.parse(payload_json.data(), payload_json.size()).get(value) != simdjson::SUCCESS) {
        out += R"(,"data":null)"; // published payloads are checked JSON; never seen
    } else if (std::string_view text; value.get(text) == simdjson::SUCCESS && !mail_id) {
        return std::string(text);
    } else if (simdjson::dom::object members; value.get(members) == simdjson::SUCCESS) {
        for (auto [key, member] : members) {
            if (key != "event" && key != mail_member) {
                out += ',';
                json_text::append_string(out, key);
                out += ':';
                out += simdjson::minify(member);
            }
        }
    } else {
        out += R"(,"data":)";
        out += simdjson::minify(value);
    }
    if (mail_id) {
        out += R"(,"_mail_":)";
        json_text::append_string(out, *mail_id);
    }
    out += '}';
    return out;
}

} // namespace herald::plezi
