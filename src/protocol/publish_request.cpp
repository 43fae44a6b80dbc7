#include "protocol/publish_request.hpp"

#include "protocol/json_raw.hpp"

#include <fmt/format.h>
#include <simdjson.h>

namespace herald {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

publish_error field_error(std::string_view where, std::string_view what) {
    return {"invalid_field", fmt::format("{}{}", where, what)};
}

// Validates one event object of the DOM; fills everything but the payload bytes.
boost::system::result<published_event, publish_error>
check_event(element e, std::string_view where, const exchange_filter& is_declared) {
    simdjson::dom::object object;
    if (e.get(object) != simdjson::SUCCESS) {
        return field_error(where.empty() ? "body" : where, " must be an object");
    }
    published_event out;
    std::string_view text;
    element field;
    if (object["exchange"].get(text) != simdjson::SUCCESS || text.empty() ||
        text.find('\0') != std::string_view::npos) {
        return field_error(where, ".exchange must be a non-empty string");
    }
    if (!is_declared(text)) {
        return publish_error{"unknown_exchange",
                             fmt::format("{}.exchange \"{}\" is not declared", where, text)};
    }
    out.exchange = std::string(text);

    if (object["routing_key"].get(field) != simdjson::SUCCESS) {
        return field_error(where, ".routing_key is required (a string or a number)");
    }
    if (field.get(text) == simdjson::SUCCESS) {
        out.routing_key = std::string(text);
    } else if (field.is_number()) {
        out.routing_key = simdjson::minify(field); // as Myxi's to_s: 1234 → "1234"
    } else {
        return field_error(where, ".routing_key must be a string or a number");
    }
    if (out.routing_key.find('\0') != std::string::npos) {
        return field_error(where, ".routing_key must not contain NUL");
    }

    if (object["event"].get(text) != simdjson::SUCCESS || text.empty()) {
        return field_error(where, ".event must be a non-empty string");
    }
    out.event = std::string(text);
    return out;
}

} // namespace

boost::system::result<std::vector<published_event>, publish_error>
parse_publish_request(std::string_view body, const exchange_filter& is_declared) {
    const simdjson::padded_string padded(body);

    // Pass 1 (DOM): validates every byte and checks the fields.
    simdjson::dom::parser dom;
    element root;
    if (auto error = dom.parse(padded).get(root); error) {
        return publish_error{"invalid_json", simdjson::error_message(error)};
    }
    std::vector<published_event> events;
    simdjson::dom::array list;
    if (root.get(list) == simdjson::SUCCESS) {
        std::size_t i = 0;
        for (element each : list) {
            auto checked = check_event(each, fmt::format("[{}]", i++), is_declared);
            if (!checked) {
                return checked.error();
            }
            events.push_back(std::move(*checked));
        }
        if (events.empty()) {
            return publish_error{"invalid_field", "body is an empty array"};
        }
    } else {
        auto checked = check_event(root, "", is_declared);
        if (!checked) {
            return checked.error();
        }
        events.push_back(std::move(*checked));
    }

    // Pass 2 (on demand): the payloads' bytes as sent, so clients get exactly them.
    simdjson::ondemand::parser on_demand;
    auto doc = on_demand.iterate(padded);
    auto append_payload = [](simdjson::ondemand::object object, published_event& event) {
        simdjson::ondemand::value payload;
        if (object.find_field_unordered("payload").get(payload) == simdjson::SUCCESS) {
            event.payload = json_raw::text_of(payload);
        } else {
            event.payload = "{}";
        }
    };
    if (events.size() == 1 && !root.is_array()) {
        simdjson::ondemand::object object;
        if (doc.get_object().get(object) == simdjson::SUCCESS) {
            append_payload(object, events[0]);
        }
    } else {
        simdjson::ondemand::array array;
        if (doc.get_array().get(array) == simdjson::SUCCESS) {
            std::size_t i = 0;
            for (auto each : array) {
                simdjson::ondemand::object object;
                if (i < events.size() && each.get_object().get(object) == simdjson::SUCCESS) {
                    append_payload(object, events[i]);
                }
                ++i;
            }
        }
    }
    return events;
}

} // namespace herald
