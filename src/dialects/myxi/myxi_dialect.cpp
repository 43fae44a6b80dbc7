#include "dialects/myxi/myxi_dialect.hpp"

#include "dialects/myxi/myxi_protocol.hpp"
#include "dialects/myxi/myxi_session.hpp"

#include <array>

namespace herald {
namespace {

// In the order of myxi::action_kind, so a kind is its own label index.
constexpr std::array<std::string_view, 8> action_labels = {
    "Subscribe",    "Unsubscribe",    "ListSubscriptions", "Ping",
    "Authenticate", "Deauthenticate", "Acknowledge",       "other"};
static_assert(action_labels.size() == static_cast<std::size_t>(myxi::action_kind::other) + 1);

} // namespace

std::span<const std::string_view> myxi_dialect::action_names() const {
    return action_labels;
}

std::unique_ptr<dialect_session> myxi_dialect::open(session_port& port, const session_env& env,
                                                    const upgrade_request& request) const {
    return std::make_unique<myxi_session>(port, env, request.who);
}

shared_frame myxi_dialect::render(const event_view& e) const {
    return std::make_shared<const std::string>(
        ws::make_frame(ws::opcode::text, myxi::application_event(e.event, e.payload, e.extra,
                                                                 e.exchange, e.routing_key)));
}

} // namespace herald
