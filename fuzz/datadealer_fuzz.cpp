// libFuzzer: a DataDealer client's message, and the same bytes as a back end's broker message.
// Whatever they are, each parses or is refused (a herald:acknowledge's ids too), and everything
// rendered from them is JSON.
#include "dialects/datadealer/datadealer_protocol.hpp"
#include "must_be_json.hpp"
#include "protocol/mail_ids.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace dd = herald::datadealer;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    if (const auto m = dd::parse_client_message(text)) {
        must_be_json(dd::event(m->ev, m->pl));
        must_be_json(dd::event(m->ev, m->pl, m->ev));
        if (const auto ids = herald::mail_ids::read_member(m->pl)) {
            must_be_json(dd::acknowledged(*ids, {ids->front()}));
        }
        if (const auto token = dd::token_of(m->pl)) {
            must_be_json(dd::kick_message(*token));
        }
    } else {
        must_be_json(dd::error("invalid_message", m.error()));
    }
    if (const auto said = dd::from_broker(text)) {
        must_be_json(*said);
        (void)dd::kick_sender(*said);
    }
    (void)dd::kick_sender(text);
    return 0;
}
