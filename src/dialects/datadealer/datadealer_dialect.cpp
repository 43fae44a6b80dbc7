#include "dialects/datadealer/datadealer_dialect.hpp"

#include "dialects/datadealer/datadealer_protocol.hpp"
#include "dialects/datadealer/datadealer_session.hpp"
#include "protocol/broker_message.hpp"
#include "protocol/mail_ids.hpp"

#include <array>

namespace herald {
namespace {

// In the order of datadealer::action_label.
constexpr std::array<std::string_view, 4> action_labels = {"client_connected", "action",
                                                           "acknowledge", "invalid"};
// Back ends publish {"action","token","data"} on Redis channels named as DataDealer's.
constexpr std::array<own_exchange, 1> exchanges = {
    own_exchange{datadealer::events_exchange, "{routing_key}", true}};

} // namespace

std::span<const std::string_view> datadealer_dialect::action_names() const {
    return action_labels;
}

std::span<const own_exchange> datadealer_dialect::own_exchanges() const {
    return exchanges;
}

std::unique_ptr<dialect_session> datadealer_dialect::open(session_port& port,
                                                          const session_env& env,
                                                          const upgrade_request& request) const {
    return std::make_unique<datadealer_session>(port, env, request);
}

shared_frame datadealer_dialect::render(const event_view& e) const {
    // Without a name: a DataDealer message as its back end wrote it. With one: a Herald event
    // (the HTTP API, addressed sends), said in DataDealer's words.
    std::string text;
    if (e.event.empty()) {
        // dd_app's {"action","token","data"}; or Herald's own {"event","payload"}, which the HTTP
        // API publishes to the broker for this exchange too.
        if (auto said = datadealer::from_broker(e.payload)) {
            text = std::move(*said);
        } else if (auto event = parse_broker_message(e.payload)) {
            text = datadealer::event(event->event, event->payload);
        } else {
            return nullptr; // neither: nobody gets it
        }
    } else {
        text = datadealer::event(e.event, e.payload, mail_ids::of_extra(e.extra));
    }
    return std::make_shared<const std::string>(ws::make_frame(ws::opcode::text, text));
}

} // namespace herald
