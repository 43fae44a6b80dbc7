#include "protocol/backend_message.hpp"

#include "protocol/json_text.hpp"

#include <charconv>
#include <fmt/format.h>
#include <simdjson.h>

namespace herald {
namespace {

using simdjson::dom::element;
using simdjson::dom::object;

using answer_result = boost::system::result<backend_answer, std::string>;

// Why a part of the answer breaks the contract; spelled out because a std::optional<std::string>
// result would take a bare string as its value.
struct broken {
    std::string why;
    template <class T> operator boost::system::result<T, std::string>() && {
        return boost::system::result<T, std::string>(boost::system::in_place_error, std::move(why));
    }
};

// A string member, when present; an error text when present but not a string.
boost::system::result<std::optional<std::string>, std::string> string_member(object o,
                                                                             std::string_view key) {
    element value;
    if (o[key].get(value) != simdjson::SUCCESS || value.is_null()) {
        return std::optional<std::string>{};
    }
    std::string_view text;
    if (value.get(text) != simdjson::SUCCESS) {
        return broken{fmt::format("\"{}\" must be a string", key)};
    }
    if (text.find('\0') != std::string_view::npos) {
        return broken{fmt::format("\"{}\" must not contain NUL", key)};
    }
    return std::optional<std::string>(std::string(text));
}

// A routing key may be a number, as clients send it (Myxi's to_s).
boost::system::result<std::optional<std::string>, std::string> routing_key_member(object o) {
    element value;
    if (o["routing_key"].get(value) == simdjson::SUCCESS && value.is_number()) {
        return std::optional<std::string>(simdjson::minify(value));
    }
    return string_member(o, "routing_key");
}

boost::system::result<std::vector<std::string>, std::string> grants_member(object o) {
    std::vector<std::string> grants;
    element value;
    if (o["grants"].get(value) != simdjson::SUCCESS || value.is_null()) {
        return grants;
    }
    simdjson::dom::array list;
    if (value.get(list) != simdjson::SUCCESS) {
        return broken{std::string("\"grants\" must be an array of strings")};
    }
    for (element each : list) {
        std::string_view text;
        if (each.get(text) != simdjson::SUCCESS || text.find('\0') != std::string_view::npos) {
            return broken{std::string("\"grants\" must be an array of strings")};
        }
        if (grants.size() == max_backend_grants) {
            return broken{fmt::format("\"grants\" holds more than {}", max_backend_grants)};
        }
        grants.emplace_back(text);
    }
    return grants;
}

#define HERALD_TAKE(target, expression)                                                            \
    do {                                                                                           \
        auto taken = (expression);                                                                 \
        if (!taken) {                                                                              \
            return std::move(taken).error();                                                       \
        }                                                                                          \
        target = std::move(*taken);                                                                \
    } while (false)

boost::system::result<backend_command, std::string> parse_command(element e) {
    object o;
    if (e.get(o) != simdjson::SUCCESS) {
        return broken{std::string("each of \"commands\" must be an object")};
    }
    std::optional<std::string> name;
    HERALD_TAKE(name, string_member(o, "command"));
    if (!name) {
        return broken{std::string("a command needs \"command\"")};
    }
    backend_command c;
    using kind = backend_command::kind;
    if (*name == "subscribe" || *name == "unsubscribe") {
        c.what = *name == "subscribe" ? kind::subscribe : kind::unsubscribe;
        std::optional<std::string> exchange;
        HERALD_TAKE(exchange, string_member(o, "exchange"));
        HERALD_TAKE(c.routing_key, routing_key_member(o));
        if (!exchange || exchange->empty() || (c.what == kind::subscribe && !c.routing_key)) {
            return broken{fmt::format("\"{}\" needs \"exchange\"{}", *name,
                                      c.what == kind::subscribe ? " and \"routing_key\"" : "")};
        }
        c.exchange = std::move(*exchange);
    } else if (*name == "set_identity") {
        c.what = kind::set_identity;
        std::optional<std::string> subject;
        HERALD_TAKE(subject, string_member(o, "identity"));
        if (!subject || subject->empty()) {
            return broken{std::string("\"set_identity\" needs a non-empty \"identity\"")};
        }
        c.subject = std::move(*subject);
        HERALD_TAKE(c.grants, grants_member(o));
    } else if (*name == "register_as") {
        c.what = kind::register_as;
        std::optional<std::string> subject;
        HERALD_TAKE(subject, string_member(o, "identity"));
        if (!subject || subject->empty()) {
            return broken{std::string("\"register_as\" needs a non-empty \"identity\"")};
        }
        c.subject = std::move(*subject);
        for (auto [key, target] : {std::pair{"lifetime", &c.lifetime},
                                   std::pair{"max_connections", &c.max_connections}}) {
            element value;
            if (o[key].get(value) == simdjson::SUCCESS) {
                std::uint64_t number = 0;
                if (value.get(number) != simdjson::SUCCESS || number > 0xffffffffu) {
                    return broken{
                        fmt::format("\"register_as\": \"{}\" must be a whole number", key)};
                }
                *target = static_cast<std::uint32_t>(number);
            }
        }
        if (element value; o["acknowledge"].get(value) == simdjson::SUCCESS &&
                           value.get(c.acknowledge) != simdjson::SUCCESS) {
            return broken{std::string(R"("register_as": "acknowledge" must be true or false)")};
        }
    } else if (*name == "send") {
        c.what = kind::send;
        std::optional<std::string> event;
        HERALD_TAKE(event, string_member(o, "event"));
        if (!event || event->empty()) {
            return broken{std::string("\"send\" needs a non-empty \"event\"")};
        }
        c.event = std::move(*event);
        element payload;
        if (o["payload"].get(payload) == simdjson::SUCCESS) {
            c.payload = simdjson::minify(payload);
        }
    } else if (*name == "disconnect") {
        c.what = kind::disconnect;
        element code;
        if (o["code"].get(code) == simdjson::SUCCESS) {
            std::int64_t number = 0;
            if (code.get(number) != simdjson::SUCCESS || number < 4000 || number > 4999) {
                return broken{std::string("\"disconnect\" takes a \"code\" from 4000 to 4999")};
            }
            c.code = static_cast<std::uint16_t>(number);
        }
        std::optional<std::string> reason;
        HERALD_TAKE(reason, string_member(o, "reason"));
        // A close frame holds 123 bytes of reason; cut at a character boundary.
        if (reason) {
            std::size_t cut = std::min<std::size_t>(reason->size(), 123);
            while (cut > 0 && cut < reason->size() &&
                   (static_cast<unsigned char>((*reason)[cut]) & 0xC0) == 0x80) {
                --cut;
            }
            c.reason = reason->substr(0, cut);
        }
    } else {
        return broken{fmt::format("unknown command \"{}\"", *name)};
    }
    return c;
}

boost::system::result<backend_revocation, std::string> parse_revocation(element e) {
    object o;
    std::string_view session;
    if (e.get(o) != simdjson::SUCCESS || o["session"].get(session) != simdjson::SUCCESS) {
        return broken{std::string("each of \"revoke\" must be an object with \"session\"")};
    }
    backend_revocation r;
    const auto [end, error] =
        std::from_chars(session.data(), session.data() + session.size(), r.session, 16);
    if (error != std::errc{} || end != session.data() + session.size() || session.size() != 16) {
        return broken{std::string("\"revoke\": \"session\" must be 16 hex digits")};
    }
    std::optional<std::string> exchange;
    std::optional<std::string> routing_key;
    HERALD_TAKE(exchange, string_member(o, "exchange"));
    HERALD_TAKE(routing_key, routing_key_member(o));
    if (!exchange || !routing_key) {
        return broken{std::string("each of \"revoke\" needs \"exchange\" and \"routing_key\"")};
    }
    r.exchange = std::move(*exchange);
    r.routing_key = std::move(*routing_key);
    return r;
}

template <class Item, class Parse>
boost::system::result<std::vector<Item>, std::string> list_member(object o, std::string_view key,
                                                                  std::size_t most, Parse parse) {
    std::vector<Item> items;
    element value;
    if (o[key].get(value) != simdjson::SUCCESS || value.is_null()) {
        return items;
    }
    simdjson::dom::array list;
    if (value.get(list) != simdjson::SUCCESS) {
        return broken{fmt::format("\"{}\" must be an array", key)};
    }
    for (element each : list) {
        if (items.size() == most) {
            return broken{fmt::format("\"{}\" holds more than {}", key, most)};
        }
        auto item = parse(each);
        if (!item) {
            return std::move(item).error();
        }
        items.push_back(std::move(*item));
    }
    return items;
}

} // namespace

std::string_view to_string(backend_status s) {
    switch (s) {
    case backend_status::answered:
        return "answered";
    case backend_status::timeout:
        return "timeout";
    case backend_status::unavailable:
        return "unavailable";
    case backend_status::overloaded:
        return "overloaded";
    case backend_status::bad_answer:
        return "bad_answer";
    }
    return "unknown";
}

std::string render_backend_request(const backend_envelope& e, std::string_view members) {
    std::string out = R"({"kind":)";
    json_text::append_string(out, e.kind);
    out += fmt::format(R"(,"node":{})", e.node);
    if (e.session != 0) {
        out += fmt::format(R"(,"session":"{:016x}")", e.session);
    }
    out += R"(,"endpoint":)";
    json_text::append_string(out, e.endpoint);
    out += R"(,"dialect":)";
    json_text::append_string(out, e.dialect);
    out += R"(,"remote_address":)";
    json_text::append_string(out, e.remote_address);
    out += R"(,"identity":)";
    out += e.identity_json;
    out += members;
    out += '}';
    return out;
}

std::string render_identity(std::string_view subject, const std::vector<std::string>& grants) {
    std::string out = R"({"subject":)";
    json_text::append_string(out, subject);
    out += R"(,"grants":[)";
    for (std::size_t i = 0; i < grants.size(); ++i) {
        if (i > 0) {
            out += ',';
        }
        json_text::append_string(out, grants[i]);
    }
    out += "]}";
    return out;
}

answer_result parse_backend_answer(std::string_view json) {
    simdjson::dom::parser parser;
    element root;
    if (auto error = parser.parse(json.data(), json.size()).get(root); error) {
        return broken{fmt::format("not JSON: {}", simdjson::error_message(error))};
    }
    object o;
    if (root.get(o) != simdjson::SUCCESS) {
        return broken{std::string("not a JSON object")};
    }
    backend_answer a;
    element value;
    if (o["allow"].get(value) == simdjson::SUCCESS && !value.is_null()) {
        bool allow = false;
        if (value.get(allow) != simdjson::SUCCESS) {
            return broken{std::string("\"allow\" must be true or false")};
        }
        a.allow = allow;
    }
    HERALD_TAKE(a.identity, string_member(o, "identity"));
    HERALD_TAKE(a.grants, grants_member(o));
    HERALD_TAKE(a.reason, string_member(o, "reason"));
    HERALD_TAKE(a.error, string_member(o, "error"));
    HERALD_TAKE(a.event, string_member(o, "event"));
    if (o["payload"].get(value) == simdjson::SUCCESS) {
        a.payload = simdjson::minify(value);
    }
    HERALD_TAKE(a.commands,
                list_member<backend_command>(o, "commands", max_backend_commands, parse_command));
    HERALD_TAKE(a.revoke, list_member<backend_revocation>(o, "revoke", max_backend_revocations,
                                                          parse_revocation));
    if (a.identity && a.identity->empty()) {
        return broken{std::string("\"identity\" must not be empty")};
    }
    return a;
}

#undef HERALD_TAKE

} // namespace herald
