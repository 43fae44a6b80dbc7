#include "dialects/monorail/monorail_dialect.hpp"

#include "dialects/monorail/monorail_protocol.hpp"
#include "dialects/monorail/monorail_session.hpp"
#include "protocol/json_text.hpp"

#include <array>

namespace herald {
namespace {

// In the order of monorail::action_label.
constexpr std::array<std::string_view, 8> action_labels = {"init",  "query", "all",     "get",
                                                           "watch", "stop",  "unknown", "invalid"};

// A node with MonoRail endpoints but no resources declared still answers: unknown_resource.
const resource_catalog no_resources;

} // namespace

std::span<const std::string_view> monorail_dialect::action_names() const {
    return action_labels;
}

std::optional<std::string> monorail_dialect::option_problem(const dialect_option& o) const {
    return o.key + ": unknown key (a MonoRail endpoint takes none; its resources are declared "
                   "in [[resources]] and [monorail])";
}

void monorail_dialect::configure(const node_settings& node) {
    resources_ = node.resources;
}

std::unique_ptr<dialect_session> monorail_dialect::open(session_port& port, const session_env& env,
                                                        const upgrade_request& request) const {
    return std::make_unique<monorail_session>(port, env, request,
                                              resources_ ? *resources_ : no_resources);
}

shared_frame monorail_dialect::render(const event_view& e) const {
    const resource_catalog& resources = resources_ ? *resources_ : no_resources;
    std::string text;
    if (e.exchange == resources.waterline_exchange) {
        // A database change, for the resource whose identity it carries: RackHD's body
        // {"event","record"}, or a Herald event (the publish API) whose payload is the record.
        // A change of an identity no resource has can only reach an mq watch of the exchange.
        const resource* changed = resources.by_identity(monorail::identity_of(e.routing_key));
        auto record = e.event.empty() ? monorail::record_of(e.payload)
                                      : std::optional<std::string>(e.payload);
        auto said = changed && record ? monorail::change(changed->name, e.routing_key, *record)
                                      : std::nullopt;
        text = said ? std::move(*said) : monorail::mq_item(e.routing_key, e.payload);
    } else if (e.event.empty() || resources.watchable(e.exchange)) {
        // A message of a watched exchange; one published through Herald's API has a name, and
        // its payload is the message.
        text = monorail::mq_item(e.routing_key, e.payload);
    } else {
        // An event addressed to sessions (the spec's broadcast): its name is the handler.
        text = R"({"handler":)";
        json_text::append_string(text, e.event);
        text += R"(,"data":)";
        text += e.payload;
        text += '}';
    }
    return std::make_shared<const std::string>(ws::make_frame(ws::opcode::text, text));
}

} // namespace herald
