// libFuzzer: a Plezi auto-dispatch client's message, and the same bytes as an event's payload.
// Whatever they are, the message parses to an event or to a refusal, and everything rendered
// from either is JSON; a payload renders to JSON unless it is a string (written as it is) that
// is not kept mail.
#include "dialects/plezi/plezi_protocol.hpp"
#include "must_be_json.hpp"

#include <cstdint>
#include <cstdlib>
#include <simdjson.h>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace herald::plezi;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto e = parse_event(text);
    if (!e) {
        must_be_json(error(400, describe(e.error())));
    } else {
        if (e->eid) {
            if (e->eid->size() > max_eid_bytes) {
                std::abort();
            }
            must_be_json(ack(*e->eid));
        }
        must_be_json(error(404, "not found", e->message));
        must_be_json(application_event(e->name, e->message));
        must_be_json(application_event(e->name, e->message, e->name));
        if (!e->mail.empty()) {
            must_be_json(acknowledged(e->mail, {e->mail.back()}));
        }
    }
    thread_local simdjson::dom::parser parser;
    simdjson::dom::element value;
    if (parser.parse(text.data(), text.size()).get(value) == simdjson::SUCCESS &&
        !value.is_string()) {
        must_be_json(application_event("e", text));
    }
    if (parser.parse(text.data(), text.size()).get(value) == simdjson::SUCCESS) {
        must_be_json(application_event("e", text, "17")); // kept mail: JSON, strings too
    }
    (void)written(text);
    return 0;
}
