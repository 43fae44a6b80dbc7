#include "dialects/plezi/plezi_dialect.hpp"

#include "dialects/plezi/plezi_options.hpp"
#include "dialects/plezi/plezi_protocol.hpp"
#include "dialects/plezi/plezi_redis_protocol.hpp"
#include "dialects/plezi/plezi_session.hpp"
#include "protocol/mail_ids.hpp"

#include <algorithm>
#include <array>

namespace herald {
namespace {

// In the order of plezi::action_label.
constexpr std::array<std::string_view, 5> action_labels = {"event", "message", "unknown",
                                                           "acknowledge", "invalid"};
static_assert(action_labels.size() == static_cast<std::size_t>(plezi::action_label::invalid) + 1);

// Where Plezi 0.12's Redis channels reach the node: the routing key is the channel's name.
constexpr std::string_view redis_exchange = "plezi.redis";
// Its channels are named as Plezi names them, and carry Plezi's own messages.
constexpr std::array<own_exchange, 1> exchanges = {
    own_exchange{redis_exchange, "{routing_key}", true}};

} // namespace

std::span<const std::string_view> plezi_dialect::action_names() const {
    return action_labels;
}

std::optional<std::string> plezi_dialect::option_problem(const dialect_option& o) const {
    return plezi::option_problem(o);
}

std::unique_ptr<dialect_session> plezi_dialect::open(session_port& port, const session_env& env,
                                                     const upgrade_request& request) const {
    auto settings = request.options ? plezi::read_options(*request.options) : plezi::options{};
    return std::make_unique<plezi_session>(port, env, request, settings);
}

shared_frame plezi_dialect::render(const event_view& e) const {
    return std::make_shared<const std::string>(
        ws::make_frame(ws::opcode::text,
                       plezi::application_event(e.event, e.payload, mail_ids::of_extra(e.extra))));
}

} // namespace herald

namespace herald {

std::span<const own_exchange> plezi_dialect::own_exchanges() const {
    return exchanges; // closed to clients: they would read every Plezi app's messages
}

std::string_view plezi_dialect::foreign_exchange() const {
    return redis_exchange;
}

std::vector<std::string> plezi_dialect::foreign_channels(std::span<const endpoint_view> endpoints,
                                                         std::uint16_t node) const {
    std::vector<std::string> channels;
    for (const auto& e : endpoints) {
        const auto name = plezi::read_options(*e.options).redis_channel_name;
        if (!name.empty() && std::find(channels.begin(), channels.end(), name) == channels.end()) {
            channels.push_back(name);
        }
    }
    if (!channels.empty()) {
        channels.push_back(plezi::node_channel(node));
    }
    return channels;
}

std::vector<addressing::send_request>
plezi_dialect::read_foreign(std::string_view channel, std::string_view body,
                            std::span<const endpoint_view> endpoints, std::uint16_t node) const {
    auto message = plezi::parse_redis_message(body);
    if (!message) {
        return {};
    }
    // An app's global channel reaches the endpoints of that app; the node's own channel, every
    // endpoint of any app (a Plezi back end addresses it by node, as Plezi's to_server).
    const bool own = channel == plezi::node_channel(node);
    std::vector<plezi::endpoint_controller> controllers;
    for (const auto& e : endpoints) {
        const auto options = plezi::read_options(*e.options);
        if (own ? !options.redis_channel_name.empty() : options.redis_channel_name == channel) {
            controllers.push_back({e.path, options.controller});
        }
    }
    return plezi::sends_of(*message, controllers, node);
}

} // namespace herald
