#pragma once
// Events addressed to sessions rather than to topics (protocol/addressing.hpp) as they reach a
// node from its bus: every session, one endpoint's, one session by id, an identity's.

#include "bus/bus.hpp"
#include "bus/bus_port.hpp"
#include "protocol/addressing.hpp"
#include "pubsub/interest.hpp"
#include "pubsub/live_sessions.hpp"
#include "session/dialect.hpp"
#include "session/session_env.hpp"
#include "shard/session_id_maker.hpp"
#include "util/log_limiter.hpp"
#include "util/metrics.hpp"

#include <span>
#include <string>
#include <vector>

namespace herald {

class backend;
class shard;

// Renders an event once for each dialect that `wanted` names; shared by every shard.
shared_event render_for(const event_view& view, const interest::wanted& wanted);

// Resolves an addressed event to the shards and sessions it is for, and tells back ends about
// a unicast to a session this node does not have (the failed_unicast lifecycle event).
// Lives on the bus thread but for its counters, which any thread may read.
class address_router {
public:
    struct node_view {
        std::span<shard* const> shards;
        const session_id_maker& session_ids;
        const live_sessions& live;
        const addressing::exchange_names& names;
        std::span<const std::string> endpoint_paths; // index = endpoint index
        std::span<const dialect_id> endpoint_dialects;
        const lifecycle_rules& lifecycle;
        bus_port& bus;
        backend* application; // for lifecycle events posted to the back end; may be null
    };
    explicit address_router(node_view node)
        : node_(node) {}

    // Before the bus starts: every shard wants, in every dialect of its endpoints, what is
    // addressed to everyone, to each endpoint and to this node's sessions.
    void declare_interest() const;

    // On the bus thread. False for an event of an ordinary topic, which the caller fans out;
    // true when the event was addressed (delivered, or dropped and counted).
    bool route(const bus_event& event, const interest::wanted& wanted);

    // A unicast to a session that is not here: the node that owns the id says so on the
    // lifecycle channel (a back end that sent it through the HTTP API of the node was answered
    // 404 already). On the bus thread.
    void tell_failed_unicast(std::uint64_t target, std::string_view event,
                             std::string_view payload);

    // On the bus thread: mail taken from an identity's mailbox (as POST /api/notify stored
    // it) goes to every session of the identity, on every node, in order.
    void hand_out_mail(std::string_view identity, std::vector<mail>& taken);
    // Adds (or replaces) the member "mail" with a kept message's id in a message's extra members.
    static void with_mail_id(std::string& extra, std::string_view id);

    std::uint64_t failed_unicasts() const { return failed_unicasts_.value(); }
    std::uint64_t refused() const { return refused_.value(); }

private:
    void hear_registration(const bus_event& event, const std::string& identity,
                           std::uint64_t shards);

    node_view node_;
    counter failed_unicasts_;
    counter refused_; // addressed events that do not say enough (a unicast with no session…)
    log_limiter refused_log_;
};

} // namespace herald
