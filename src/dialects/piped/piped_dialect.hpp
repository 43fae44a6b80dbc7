#pragma once

#include "session/dialect.hpp"

namespace herald {

// Piped (pulyavin/piped): clients connect to /api/{token} and call methods that the back end
// answers; events addressed to a token reach every session of that token, on every node.
// Events for a token travel on the exchange `piped::events_exchange` with the token as routing
// key, on whatever bus the node has. docs/protocol.md#the-piped-dialect.
class piped_dialect final : public dialect {
public:
    std::string_view name() const override { return "piped"; }
    std::span<const std::string_view> action_names() const override;
    std::span<const own_exchange> own_exchanges() const override;
    std::unique_ptr<dialect_session> open(session_port& port, const session_env& env,
                                          const upgrade_request& request) const override;
    shared_frame render(const event_view& e) const override;
};

} // namespace herald
