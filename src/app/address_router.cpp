#include "app/address_router.hpp"

#include "backend/backend.hpp"
#include "dialects/registry.hpp"
#include "protocol/addressing.hpp"
#include "protocol/broker_message.hpp"
#include "protocol/json_raw.hpp"
#include "protocol/json_text.hpp"
#include "shard/shard.hpp"
#include "util/log.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <simdjson.h>

namespace herald {

shared_event render_for(const event_view& view, const interest::wanted& wanted) {
    auto rendered = std::make_shared<rendered_event>();
    const auto all = dialects();
    for (std::size_t d = 0; d < all.size(); ++d) {
        if (wanted.shards_by_dialect[d] != 0) {
            rendered->frames[d] = all[d]->render(view);
        }
    }
    return rendered;
}

void address_router::declare_interest() const {
    const std::string own_node = addressing::node_key(node_.session_ids.node_id());
    for (unsigned s = 0; s < node_.shards.size(); ++s) {
        for (std::size_t e = 0; e < node_.endpoint_paths.size(); ++e) {
            const auto dialect = node_.endpoint_dialects[e];
            // Interest is a set per shard and dialect: asking twice is harmless.
            node_.bus.add_interest(node_.names.multicast, {}, s, dialect);
            node_.bus.add_interest(node_.names.unicast, own_node, s, dialect);
            node_.bus.add_interest(node_.names.broadcast, node_.endpoint_paths[e], s, dialect);
        }
    }
}

bool address_router::route(const bus_event& event, const interest::wanted& wanted) {
    auto received =
        addressing::read_received(node_.names, event.exchange, event.routing_key, event.extra);
    if (!received) {
        return false;
    }
    if (!*received) {
        refused_.add();
        if (refused_log_.allow()) {
            log::warn("dropped an event on exchange \"{}\": {}; {} so far", event.exchange,
                      received->error(), refused_log_.occurrences());
        }
        return true;
    }
    const auto& to = (*received)->to;
    auto address = std::make_shared<session_address>();
    std::uint64_t shards = wanted.shards();
    switch (to.kind) {
    case addressing::kind::all:
        address->to = session_address::kind::all;
        break;
    case addressing::kind::endpoint: {
        const auto it =
            std::find(node_.endpoint_paths.begin(), node_.endpoint_paths.end(), to.name);
        if (it == node_.endpoint_paths.end()) {
            return true; // another node's endpoint: nobody here
        }
        address->to = session_address::kind::endpoint;
        address->endpoint = static_cast<std::uint32_t>(it - node_.endpoint_paths.begin());
        address->skip = to.skip;
        break;
    }
    case addressing::kind::session:
        if (session_id_maker::node_of(to.session) != node_.session_ids.node_id() ||
            !node_.live.contains(to.session)) {
            tell_failed_unicast(to.session, event.event, event.payload);
            return true;
        }
        address->to = session_address::kind::session;
        address->session = to.session;
        shards &= std::uint64_t{1} << node_.session_ids.shard_of(to.session);
        break;
    case addressing::kind::identity:
        if (event.event == shard::registered_event || event.event == shard::left_event) {
            hear_registration(event, to.name, wanted.shards());
            return true;
        }
        if (event.event == addressing::mail_signal) {
            node_.bus.wake_mailbox(to.name);
            return true;
        }
        address->to = session_address::kind::identity;
        address->identity = to.name;
        break;
    }
    const event_view view{event.exchange, event.routing_key, event.event, event.payload,
                          (*received)->extra};
    const auto rendered = render_for(view, wanted);
    const std::shared_ptr<const session_address> shared = std::move(address);
    for (std::size_t i = 0; i < node_.shards.size(); ++i) {
        if (shards & (std::uint64_t{1} << i)) {
            node_.shards[i]->deliver(shared, rendered);
        }
    }
    return true;
}

// {"session":"<id>","max_connections":N} (registered) or {"session":"<id>"} (left), as the
// shards publish them; anything else on these names is dropped and counted.
void address_router::hear_registration(const bus_event& event, const std::string& identity,
                                       std::uint64_t shards) {
    simdjson::dom::parser parser;
    simdjson::dom::object object;
    std::string_view text;
    std::optional<std::uint64_t> session;
    std::uint64_t max_connections = 0;
    const bool joined = event.event == shard::registered_event;
    // Anyone who can publish to the broker can send these: read them with care.
    if (parser.parse(event.payload).get(object) == simdjson::SUCCESS) {
        if (object["session"].get(text) == simdjson::SUCCESS) {
            session = addressing::parse_session_id(text);
        }
        if (joined && (object["max_connections"].get(max_connections) != simdjson::SUCCESS ||
                       max_connections == 0 || max_connections > 1000)) {
            session.reset();
        }
    }
    if (!session) {
        refused_.add();
        return;
    }
    for (std::size_t i = 0; i < node_.shards.size(); ++i) {
        if (shards & (std::uint64_t{1} << i)) {
            node_.shards[i]->hear_registration(identity, *session,
                                               static_cast<std::uint32_t>(max_connections));
        }
    }
}

void address_router::hand_out_mail(std::string_view identity, std::vector<mail>& taken) {
    for (auto& m : taken) {
        auto message = parse_broker_message(m.body);
        if (!message) {
            refused_.add(); // Herald stored it: only a store shared with others could hold this
            continue;
        }
        if (!m.id.empty()) {
            with_mail_id(message->extra, m.id);
        }
        node_.bus.publish({node_.names.identity, std::string(identity), std::move(message->event),
                           std::move(message->payload), std::move(message->extra)},
                          nullptr);
    }
}

// Kept mail goes out with its id as the member "mail", which the client acknowledges; a
// "mail" member the notifier sent is replaced, so the client never mistakes one for an id.
void address_router::with_mail_id(std::string& extra, std::string_view id) {
    if (extra.find(R"("mail")") != std::string::npos) {
        std::string kept;
        json_raw::for_each_member("{" + extra + "}", [&](std::string_view key, auto& value) {
            if (key != "mail") {
                kept += kept.empty() ? "" : ",";
                json_text::append_string(kept, key);
                kept += ':';
                kept += json_raw::text_of(value);
            }
            return true;
        });
        extra = std::move(kept);
    }
    extra += extra.empty() ? R"("mail":)" : R"(,"mail":)";
    json_text::append_string(extra, id);
}

void address_router::tell_failed_unicast(std::uint64_t target, std::string_view event,
                                         std::string_view payload) {
    failed_unicasts_.add();
    const auto& rules = node_.lifecycle;
    if (!rules.wants(lifecycle_event::failed_unicast)) {
        return;
    }
    // The envelope of every lifecycle event, without a session: the node that owns the id.
    std::string members = fmt::format(R"("node":{},"target":"{:016x}","message":{{"event":)",
                                      node_.session_ids.node_id(), target);
    json_text::append_string(members, event);
    members += R"(,"payload":)";
    members += payload.empty() ? std::string_view("null") : payload;
    members += "}}";
    if (rules.to == lifecycle_rules::target::backend) {
        if (node_.application != nullptr) {
            node_.application->ask("lifecycle",
                                   R"({"kind":"lifecycle","event":"failed_unicast",)" + members,
                                   [](backend_reply) {}); // nobody waits: the answer is not read
        }
        return;
    }
    node_.bus.publish({rules.exchange,
                       "failed_unicast",
                       "failed_unicast",
                       R"({"event":"failed_unicast",)" + members,
                       {}},
                      nullptr);
}

} // namespace herald
