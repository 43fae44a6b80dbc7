// libFuzzer: a message a Piped back end writes to a node's in-queue. Whatever it is, it parses
// to a token and members that make a JSON object again, or to a reason.
#include "protocol/token_message.hpp"

#include <cstdint>
#include <cstdlib>
#include <simdjson.h>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view body(reinterpret_cast<const char*>(data), size);
    const auto message = herald::parse_token_message(body);
    if (!message) {
        if (message.error().empty()) {
            std::abort(); // a refusal always says why
        }
        return 0;
    }
    simdjson::dom::parser parser;
    if (message->token.empty() ||
        parser.parse("{" + message->members + "}").error() != simdjson::SUCCESS) {
        std::abort();
    }
    return 0;
}
