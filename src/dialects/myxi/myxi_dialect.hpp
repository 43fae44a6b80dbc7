#pragma once

#include "session/dialect.hpp"

namespace herald {

// Myxi: actions {"action","tag","payload"} in, events {"event","tag","payload"} out; clients
// subscribe to exchanges and routing keys. docs/protocol.md has every message.
class myxi_dialect final : public dialect {
public:
    std::string_view name() const override { return "myxi"; }
    std::span<const std::string_view> action_names() const override;
    std::unique_ptr<dialect_session> open(session_port& port, const session_env& env,
                                          const upgrade_request& request) const override;
    shared_frame render(const event_view& e) const override;
};

} // namespace herald
