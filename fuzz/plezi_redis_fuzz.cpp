// libFuzzer: a message on one of Plezi 0.12's Redis channels, Ruby YAML or JSON. Whatever it
// is, it parses to a message whose arguments are a JSON array, or to a reason; Ruby YAML turns
// into JSON or into nothing, within the size bound.
#include "dialects/plezi/plezi_redis_protocol.hpp"

#include <cstdint>
#include <cstdlib>
#include <simdjson.h>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace herald::plezi;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    thread_local simdjson::dom::parser parser;
    if (const auto json = ruby_yaml_to_json(text)) {
        if (json->size() > max_redis_message_bytes || parser.parse(*json).error()) {
            std::abort();
        }
    }
    if (const auto m = parse_redis_message(text)) {
        simdjson::dom::array args;
        if (parser.parse(m->data).get(args) != simdjson::SUCCESS || m->method.empty()) {
            std::abort();
        }
    }
    return 0;
}
