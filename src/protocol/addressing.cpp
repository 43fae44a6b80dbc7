#include "protocol/addressing.hpp"

#include "protocol/json_raw.hpp"
#include "protocol/json_text.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <simdjson.h>

namespace herald::addressing {
namespace {

using simdjson::dom::element;

// An identity is a routing key: any bytes but NUL. Bounded like a subject of a token.
constexpr std::size_t max_identity_bytes = 1024;

bool usable_identity(std::string_view name) {
    return !name.empty() && name.size() <= max_identity_bytes &&
           name.find('\0') == std::string_view::npos;
}

// The ids of "skip", sorted and made unique; nullopt when one is not a session id or there
// are more than max_skip.
std::optional<std::vector<std::uint64_t>> skip_ids(const std::vector<std::string_view>& texts) {
    if (texts.size() > max_skip) {
        return std::nullopt;
    }
    std::vector<std::uint64_t> ids;
    ids.reserve(texts.size());
    for (auto text : texts) {
        auto id = parse_session_id(text);
        if (!id) {
            return std::nullopt;
        }
        ids.push_back(*id);
    }
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    return ids;
}

std::optional<std::vector<std::uint64_t>> read_skip(element value) {
    simdjson::dom::array list;
    if (value.get(list) != simdjson::SUCCESS || list.size() > max_skip) {
        return std::nullopt;
    }
    std::vector<std::string_view> texts;
    for (element each : list) {
        std::string_view text;
        if (each.get(text) != simdjson::SUCCESS) {
            return std::nullopt;
        }
        texts.push_back(text);
    }
    return skip_ids(texts);
}

std::optional<std::vector<std::uint64_t>> read_skip(simdjson::ondemand::value value) {
    simdjson::ondemand::array list;
    if (value.get_array().get(list) != simdjson::SUCCESS) {
        return std::nullopt;
    }
    std::vector<std::string_view> texts;
    for (auto each : list) {
        std::string_view text;
        if (each.get_string().get(text) != simdjson::SUCCESS || texts.size() == max_skip) {
            return std::nullopt;
        }
        texts.push_back(text);
    }
    return skip_ids(texts);
}

// The bytes of the body's "payload" as sent, so clients get exactly them; {} when absent.
// The body was validated already.
std::string payload_bytes(const simdjson::padded_string& body) {
    simdjson::ondemand::parser on_demand;
    auto doc = on_demand.iterate(body);
    simdjson::ondemand::object fields;
    simdjson::ondemand::value payload;
    if (doc.get_object().get(fields) == simdjson::SUCCESS &&
        fields.find_field_unordered("payload").get(payload) == simdjson::SUCCESS) {
        return json_raw::text_of(payload);
    }
    return "{}";
}

publish_error field_error(std::string what) {
    return {"invalid_field", std::move(what)};
}

// An API request's body: one JSON object.
boost::system::result<simdjson::dom::object, publish_error>
body_object(simdjson::dom::parser& dom, const simdjson::padded_string& padded) {
    element root;
    if (auto error = dom.parse(padded).get(root); error) {
        return publish_error{"invalid_json", simdjson::error_message(error)};
    }
    simdjson::dom::object object;
    if (root.get(object) != simdjson::SUCCESS) {
        return field_error("body must be an object");
    }
    return object;
}

boost::system::result<address, publish_error> read_to(element to,
                                                      const endpoint_filter& is_endpoint) {
    std::string_view text;
    if (to.get(text) == simdjson::SUCCESS) {
        if (text == "all") {
            return address{};
        }
        return field_error(R"(to must be "all" or an object)");
    }
    simdjson::dom::object object;
    if (to.get(object) != simdjson::SUCCESS || object.size() == 0) {
        return field_error(R"(to must be "all" or an object)");
    }
    element value;
    address out;
    if (object["session"].get(value) == simdjson::SUCCESS) {
        std::optional<std::uint64_t> id;
        if (value.get(text) == simdjson::SUCCESS) {
            id = parse_session_id(text);
        }
        if (!id) {
            return field_error("to.session must be a session id (16 hex digits)");
        }
        out.kind = kind::session;
        out.session = *id;
    } else if (object["identity"].get(value) == simdjson::SUCCESS) {
        if (value.get(text) != simdjson::SUCCESS || !usable_identity(text)) {
            return field_error(fmt::format(
                "to.identity must be a non-empty string of at most {} bytes", max_identity_bytes));
        }
        out.kind = kind::identity;
        out.name = std::string(text);
    } else if (object["endpoint"].get(value) == simdjson::SUCCESS) {
        if (value.get(text) != simdjson::SUCCESS) {
            return field_error("to.endpoint must be an endpoint's path");
        }
        if (!is_endpoint(text)) {
            return publish_error{"unknown_endpoint",
                                 fmt::format("to.endpoint \"{}\" is not an endpoint's path", text)};
        }
        out.kind = kind::endpoint;
        out.name = std::string(text);
        if (object["skip"].get(value) == simdjson::SUCCESS) {
            auto skip = read_skip(value);
            if (!skip) {
                return field_error(
                    fmt::format("to.skip must be an array of at most {} session ids", max_skip));
            }
            out.skip = std::move(*skip);
        }
    } else {
        return field_error("to must name one of session, identity or endpoint");
    }
    // One way to address, so that a typo never widens who gets the event.
    const bool has_skip = object["skip"].error() == simdjson::SUCCESS;
    if (object.size() != (out.kind == kind::endpoint && has_skip ? 2u : 1u)) {
        return field_error("to has members besides its address");
    }
    return out;
}

} // namespace

exchange_names::exchange_names(std::string_view prefix)
    : multicast(fmt::format("{}.multicast", prefix))
    , broadcast(fmt::format("{}.broadcast", prefix))
    , unicast(fmt::format("{}.unicast", prefix))
    , identity(fmt::format("{}.identity", prefix)) {}

std::string session_id_text(std::uint64_t id) {
    return fmt::format("{:016x}", id);
}

std::optional<std::uint64_t> parse_session_id(std::string_view text) {
    if (text.size() != 16) {
        return std::nullopt;
    }
    std::uint64_t id = 0;
    for (char c : text) {
        unsigned digit;
        if (c >= '0' && c <= '9') {
            digit = static_cast<unsigned>(c - '0');
        } else if (c >= 'a' && c <= 'f') {
            digit = static_cast<unsigned>(c - 'a' + 10);
        } else if (c >= 'A' && c <= 'F') {
            digit = static_cast<unsigned>(c - 'A' + 10);
        } else {
            return std::nullopt;
        }
        id = (id << 4) | digit;
    }
    return id;
}

std::string node_key(std::uint16_t node_id) {
    return fmt::format("{:04x}", node_id);
}

bus_route route_of(const address& to, const exchange_names& names) {
    switch (to.kind) {
    case kind::all:
        return {names.multicast, {}, {}};
    case kind::endpoint: {
        std::string members;
        if (!to.skip.empty()) {
            members = R"("skip":[)";
            for (std::size_t i = 0; i < to.skip.size(); ++i) {
                members += fmt::format(R"({}"{:016x}")", i == 0 ? "" : ",", to.skip[i]);
            }
            members += ']';
        }
        return {names.broadcast, to.name, std::move(members)};
    }
    case kind::session:
        return {names.unicast, node_key(static_cast<std::uint16_t>(to.session >> 48)),
                fmt::format(R"("session":"{:016x}")", to.session)};
    case kind::identity:
        return {names.identity, to.name, {}};
    }
    return {names.multicast, {}, {}};
}

std::optional<received_result> read_received(const exchange_names& names, std::string_view exchange,
                                             std::string_view routing_key, std::string_view extra) {
    received out;
    if (exchange == names.multicast) {
        out.to.kind = kind::all;
    } else if (exchange == names.broadcast) {
        out.to.kind = kind::endpoint;
        out.to.name = std::string(routing_key);
    } else if (exchange == names.unicast) {
        out.to.kind = kind::session;
    } else if (exchange == names.identity) {
        out.to.kind = kind::identity;
        out.to.name = std::string(routing_key);
    } else {
        return std::nullopt;
    }
    const bool reads_members = out.to.kind == kind::session || out.to.kind == kind::endpoint;
    if (!reads_members || extra.empty()) {
        if (out.to.kind == kind::session) {
            return received_result{std::string_view("a unicast without \"session\"")};
        }
        out.extra = std::string(extra);
        return received_result{std::move(out)};
    }
    // The members were validated when the broker message was parsed; wrap them to read them.
    // The others keep their bytes, as any event's members do.
    const simdjson::padded_string padded("{" + std::string(extra) + "}");
    simdjson::ondemand::parser parser;
    simdjson::ondemand::document doc;
    simdjson::ondemand::object object;
    if (parser.iterate(padded).get(doc) != simdjson::SUCCESS ||
        doc.get_object().get(object) != simdjson::SUCCESS) {
        return received_result{std::string_view("members that are not JSON")};
    }
    bool found_session = false;
    for (auto field : object) {
        std::string_view key;
        simdjson::ondemand::value value;
        if (field.unescaped_key().get(key) != simdjson::SUCCESS ||
            field.value().get(value) != simdjson::SUCCESS) {
            return received_result{std::string_view("members that are not JSON")};
        }
        if (out.to.kind == kind::session && key == "session") {
            std::string_view text;
            std::optional<std::uint64_t> id;
            if (value.get_string().get(text) == simdjson::SUCCESS) {
                id = parse_session_id(text);
            }
            if (!id) {
                return received_result{std::string_view("\"session\" is not a session id")};
            }
            out.to.session = *id;
            found_session = true;
            continue;
        }
        if (out.to.kind == kind::endpoint && key == "skip") {
            auto skip = read_skip(value);
            if (!skip) {
                return received_result{
                    std::string_view("\"skip\" is not an array of at most 1000 session ids")};
            }
            out.to.skip = std::move(*skip);
            continue;
        }
        if (!out.extra.empty()) {
            out.extra += ',';
        }
        json_text::append_string(out.extra, key);
        out.extra += ':';
        out.extra += json_raw::text_of(value);
    }
    if (out.to.kind == kind::session && !found_session) {
        return received_result{std::string_view("a unicast without \"session\"")};
    }
    return received_result{std::move(out)};
}

namespace {

// A request of the API with an address, an event and a payload: `read_address` fills in the
// address from the body's object, or says what is wrong with it.
template <class Request, class ReadAddress>
boost::system::result<Request, publish_error> parse_addressed(std::string_view body,
                                                              ReadAddress&& read_address) {
    const simdjson::padded_string padded(body);
    simdjson::dom::parser dom;
    auto parsed = body_object(dom, padded);
    if (!parsed) {
        return parsed.error();
    }
    Request out;
    if (auto wrong = read_address(*parsed, out)) {
        return std::move(*wrong);
    }
    std::string_view text;
    if ((*parsed)["event"].get(text) != simdjson::SUCCESS || text.empty()) {
        return field_error("event must be a non-empty string");
    }
    if (text.starts_with(reserved_event_prefix)) {
        return field_error("event names starting with \"herald:\" are Herald's own");
    }
    out.event = std::string(text);
    out.payload = payload_bytes(padded);
    return out;
}

} // namespace

boost::system::result<send_request, publish_error>
parse_send_request(std::string_view body, const endpoint_filter& is_endpoint) {
    return parse_addressed<send_request>(
        body, [&](simdjson::dom::object object, send_request& out) -> std::optional<publish_error> {
            element to;
            if (object["to"].get(to) != simdjson::SUCCESS) {
                return field_error(R"(to is required: "all" or an object)");
            }
            auto address = read_to(to, is_endpoint);
            if (!address) {
                return address.error();
            }
            out.to = std::move(*address);
            return std::nullopt;
        });
}

boost::system::result<notify_request, publish_error> parse_notify_request(std::string_view body) {
    return parse_addressed<notify_request>(
        body,
        [](simdjson::dom::object object, notify_request& out) -> std::optional<publish_error> {
            std::string_view text;
            if (object["identity"].get(text) != simdjson::SUCCESS || !usable_identity(text)) {
                return field_error(fmt::format(
                    "identity must be a non-empty string of at most {} bytes", max_identity_bytes));
            }
            out.identity = std::string(text);
            return std::nullopt;
        });
}

} // namespace herald::addressing
