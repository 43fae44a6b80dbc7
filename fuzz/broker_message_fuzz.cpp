// libFuzzer: a broker message's body, as any back end may publish it, through the parser that
// turns it into an event. What it accepts must render into a Myxi event that parses again.
#include "dialects/myxi/myxi_protocol.hpp"
#include "protocol/broker_message.hpp"

#include <cstdint>
#include <cstdlib>
#include <simdjson.h>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view body(reinterpret_cast<const char*>(data), size);
    const auto message = herald::parse_broker_message(body);
    if (!message) {
        if (message.error().empty()) {
            std::abort(); // a refusal always says why
        }
        return 0;
    }
    const auto rendered = herald::myxi::application_event(message->event, message->payload,
                                                          message->extra, "exchange", "key");
    simdjson::dom::parser parser;
    if (parser.parse(rendered).error() != simdjson::SUCCESS) {
        std::abort();
    }
    return 0;
}
