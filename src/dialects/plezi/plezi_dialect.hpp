#pragma once

#include "session/dialect.hpp"

namespace herald {

// Plezi (boazsegev/plezi 0.12 – 0.14) and its PleziClient: raw messages to the back end, or
// JSON auto-dispatch with acks ({"event":E,"_EID_":…}); the back end writes to a session by
// addressing it (unicast, broadcast, identity). docs/protocol.md#the-plezi-dialect.
class plezi_dialect final : public dialect {
public:
    std::string_view name() const override { return "plezi"; }
    std::span<const std::string_view> action_names() const override;
    std::optional<std::string> option_problem(const dialect_option& o) const override;
    std::unique_ptr<dialect_session> open(session_port& port, const session_env& env,
                                          const upgrade_request& request) const override;
    shared_frame render(const event_view& e) const override;

    // Plezi 0.12's Redis scaling (docs/protocol.md#plezi-012s-redis-scaling): each endpoint's
    // redis_channel_name, and the node's own channel, herald-<node as 4 hex digits>.
    std::span<const own_exchange> own_exchanges() const override;
    std::string_view foreign_exchange() const override;
    std::vector<std::string> foreign_channels(std::span<const endpoint_view> endpoints,
                                              std::uint16_t node) const override;
    std::vector<addressing::send_request> read_foreign(std::string_view channel,
                                                       std::string_view body,
                                                       std::span<const endpoint_view> endpoints,
                                                       std::uint16_t node) const override;
};

} // namespace herald
