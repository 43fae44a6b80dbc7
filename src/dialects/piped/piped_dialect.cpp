#include "dialects/piped/piped_dialect.hpp"

#include "dialects/piped/piped_protocol.hpp"
#include "dialects/piped/piped_session.hpp"

#include <array>

namespace herald {
namespace {

// In the order of piped::action_label.
constexpr std::array<std::string_view, 4> action_labels = {"method", "ping", "acknowledge",
                                                           "invalid"};
constexpr std::array<own_exchange, 1> exchanges = {own_exchange{piped::events_exchange}};

} // namespace

std::span<const std::string_view> piped_dialect::action_names() const {
    return action_labels;
}

std::span<const own_exchange> piped_dialect::own_exchanges() const {
    return exchanges;
}

std::unique_ptr<dialect_session> piped_dialect::open(session_port& port, const session_env& env,
                                                     const upgrade_request& request) const {
    return std::make_unique<piped_session>(port, env, request);
}

shared_frame piped_dialect::render(const event_view& e) const {
    // Without a name: a message of Piped's own, from the node's in-queue, as its back end wrote
    // it (token removed).
    const std::string text = e.event.empty()
                                 ? "{" + std::string(e.extra) + "}"
                                 : piped::application_event(e.event, e.payload, e.extra);
    return std::make_shared<const std::string>(ws::make_frame(ws::opcode::text, text));
}

} // namespace herald
