// libFuzzer: a Piped client's message. Whatever it is, it parses to a method call or to an
// error text, and everything rendered from either (a herald:acknowledge's answer too) is JSON.
#include "dialects/piped/piped_protocol.hpp"
#include "must_be_json.hpp"
#include "protocol/mail_ids.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto call = herald::piped::parse_method(text);
    if (!call) {
        must_be_json(herald::piped::error(call.error()));
        return 0;
    }
    must_be_json(herald::piped::result(*call, call->payload));
    must_be_json("{\"kind\":\"method\"" + herald::piped::request_members(*call, "token") + "}");
    if (call->payload) { // as herald:acknowledge reads it
        if (const auto ids = herald::mail_ids::read_member(*call->payload)) {
            must_be_json("{" + herald::mail_ids::acknowledged_members(*ids, {ids->front()}) + "}");
        }
    }
    return 0;
}
