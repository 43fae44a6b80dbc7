#pragma once

#include "session/dialect.hpp"

namespace herald {

// DataDealer (datadealer/dd_app): {"ev","pl"} messages, a client_connected handshake, the
// srv_msg and user_<uid> channels, kicks. Served over WebSocket or SockJS, as any dialect.
class datadealer_dialect final : public dialect {
public:
    std::string_view name() const override { return "datadealer"; }
    std::span<const std::string_view> action_names() const override;
    std::span<const own_exchange> own_exchanges() const override;
    bool sockjs_json_values() const override { return true; }
    std::unique_ptr<dialect_session> open(session_port& port, const session_env& env,
                                          const upgrade_request& request) const override;
    shared_frame render(const event_view& e) const override;
};

} // namespace herald
