// libFuzzer: a back end's answer, as any back end (or anyone who can reach the reply queue)
// may write it. Whatever it is, the parser returns an answer or a reason, and never a command
// that breaks its own rules.
#include "protocol/backend_message.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view body(reinterpret_cast<const char*>(data), size);
    const auto answer = herald::parse_backend_answer(body);
    if (!answer) {
        if (answer.error().empty()) {
            std::abort(); // a refusal always says why
        }
        return 0;
    }
    if (answer->commands.size() > herald::max_backend_commands ||
        answer->grants.size() > herald::max_backend_grants) {
        std::abort();
    }
    for (const auto& c : answer->commands) {
        using kind = herald::backend_command::kind;
        if ((c.what == kind::subscribe && (!c.routing_key || c.exchange.empty())) ||
            (c.what == kind::disconnect &&
             (c.code < 4000 || c.code > 4999 || c.reason.size() > 123))) {
            std::abort();
        }
    }
    return 0;
}
