// libFuzzer: the Myxi action parser and the publish-request parser on arbitrary bytes.
// Whatever they accept must render into JSON that parses again.
#include "dialects/myxi/myxi_protocol.hpp"
#include "must_be_json.hpp"
#include "protocol/publish_request.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    auto action = herald::myxi::parse_action(text);
    if (action) {
        must_be_json(herald::myxi::event("Reply", action->tag, action->payload));
        for (const auto& key : action->routing_keys) {
            must_be_json("[" + key.json + "]");
        }
        // Acknowledge's ids stay within their bounds, and the reply is JSON.
        if (action->mail.size() > herald::addressing::max_acknowledged_ids) {
            std::abort();
        }
        for (const auto& id : action->mail) {
            if (id.empty() || id.size() > herald::addressing::max_mail_id_bytes) {
                std::abort();
            }
        }
        must_be_json(herald::myxi::acknowledged(action->tag, action->mail, {}));
    } else if (!action.error().tag.empty()) {
        must_be_json(herald::myxi::error(action.error().tag, action.error().error));
    }

    auto events = herald::parse_publish_request(
        text, [](std::string_view exchange) { return exchange != "undeclared"; });
    if (events) {
        for (const auto& e : *events) {
            must_be_json(e.payload);
            must_be_json(
                herald::myxi::application_event(e.event, e.payload, {}, e.exchange, e.routing_key));
        }
    }
    return 0;
}
