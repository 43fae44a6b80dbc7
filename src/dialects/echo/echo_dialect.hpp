#pragma once

#include "session/dialect.hpp"

namespace herald {

// Plezi's raw echo controller: every text message comes back as text and every binary message
// as binary, unchanged. No JSON, no events: it proves the dialect seam, and it is how anyone
// can run a WebSocket conformance suite against Herald's RFC 6455 layer.
class echo_dialect final : public dialect {
public:
    std::string_view name() const override { return "echo"; }
    std::unique_ptr<dialect_session> open(session_port& port, const session_env& env,
                                          const upgrade_request& request) const override;
};

} // namespace herald
