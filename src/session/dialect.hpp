#pragma once
// The plug-in seam: a dialect is the language spoken on an endpoint. Each one lives in its own
// folder under src/dialects/ and is listed once in src/dialects/registry.cpp.

#include "protocol/addressing.hpp"
#include "pubsub/topic.hpp"
#include "session/dialect_options.hpp"
#include "session/session_core.hpp"
#include "session/session_env.hpp"
#include "session/session_port.hpp"
#include "session/upgrade_request.hpp"
#include "stores/resource_catalog.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace herald {

// An application event as every dialect sees it: the bus's fields, payload bytes untouched.
struct event_view {
    std::string_view exchange;
    std::string_view routing_key;
    std::string_view event;   // the event's name
    std::string_view payload; // JSON text, exactly as published
    std::string_view extra;   // the published object's other members ("\"k\":v,…") or empty
};

// One session's half that speaks the dialect. Owned by its connection, on its shard's thread.
// Every call may send through the port; none may throw on bad client input (a throw is a bug:
// the connection counts it, logs it and ends the session).
class dialect_session {
public:
    virtual ~dialect_session() = default;
    virtual void on_open() = 0;
    // One complete client message. `binary` tells a binary message from a text one.
    virtual void on_message(std::string_view payload, bool binary) = 0;
    // Each shard tick (every 250 ms) while the session is open, with the wall clock.
    virtual void on_tick(std::chrono::system_clock::time_point) {}
    // The node is stopping: say goodbye in the dialect's words; the close follows.
    virtual void on_shutdown() {}
    // The session stops taking events and messages: called once, before destruction.
    virtual void on_end() {}
    // The session's core, for node-wide work on subscriptions and identities (the back end's
    // periodic re-check); null for a dialect without one.
    virtual session_core* core() { return nullptr; }
    // Subscriptions were taken away by the node (the back end withdrew them): tell the client.
    virtual void on_revoked(const std::vector<topic>&) {}
};

// An exchange a dialect uses for itself (dialect::own_exchanges).
struct own_exchange {
    std::string_view name;
    // Redis: the channel template of its events when the design's back ends use channels of
    // their own (DataDealer: "{routing_key}", so srv_msg is srv_msg); empty: the node's.
    std::string_view redis_channel = {};
    // Its messages are in the design's own format, not Herald's events: each one received is
    // handed to the dialect whole, as the payload of an event without a name.
    bool raw = false;
};

// One of the node's endpoints of a dialect, as the dialect's foreign channels see it.
struct endpoint_view {
    std::string_view path; // as configured
    const dialect_options* options;
};

// What a dialect may read of its node beyond its endpoints' options (dialect::configure).
struct node_settings {
    const resource_catalog* resources = nullptr; // MonoRail's resources; null when none
};

// A dialect: shared by every session and thread; stateless but for what configure() gives it
// once at start, before any other thread runs, immutable afterwards.
class dialect {
public:
    virtual ~dialect() = default;
    virtual std::string_view name() const = 0;
    // Labels of herald_actions_total{dialect=name()}; a client cannot add any, so unknown actions
    // share one label of the dialect's own.
    virtual std::span<const std::string_view> action_names() const { return {}; }
    // Exchanges the dialect uses for itself (Piped: the events addressed to a token): closed to
    // clients' subscriptions unless [exchanges] declares them, and declared on the broker.
    virtual std::span<const own_exchange> own_exchanges() const { return {}; }
    // Over SockJS, each message goes in the array frame as the JSON value it is, not as a string
    // holding it: DataDealer's server (pyramid_sockjs) sent objects. Every message the dialect
    // sends must then be JSON.
    virtual bool sockjs_json_values() const { return false; }
    // Why an endpoint's option (a key of its [[endpoints]] table) is refused, worded for the
    // start-up error line; nullopt when the dialect takes it. Checked once, at start.
    virtual std::optional<std::string> option_problem(const dialect_option&) const {
        return "unknown key";
    }
    // The node's settings, once at start (dialects::configure_dialects); the node outlives
    // every call that reads them.
    virtual void configure(const node_settings&) {}
    virtual std::unique_ptr<dialect_session> open(session_port& port, const session_env& env,
                                                  const upgrade_request& request) const = 0;
    // The event as a complete WebSocket text frame for this dialect's sessions, built once per
    // event and shared; null for a dialect that takes no events. Runs on the bus thread.
    virtual shared_frame render(const event_view&) const { return nullptr; }

    // Channels of another design's own (Plezi 0.12's Redis channels) that the node listens to
    // for this dialect's endpoints: routing keys on foreign_exchange(), which must be one of
    // own_exchanges() marked raw (the bus delivers its bodies as they came). Asked once at
    // start; none by default.
    virtual std::string_view foreign_exchange() const { return {}; }
    virtual std::vector<std::string> foreign_channels(std::span<const endpoint_view>,
                                                      std::uint16_t /*node*/) const {
        return {};
    }
    // One message of those channels (`channel`: the one it came on) as sends the node's
    // addressing routes to its own sessions (never through the broker again: every node hears
    // the channel itself). Pure; none when the message is not for this node or says too
    // little. Runs on the bus thread.
    virtual std::vector<addressing::send_request> read_foreign(std::string_view /*channel*/,
                                                               std::string_view /*body*/,
                                                               std::span<const endpoint_view>,
                                                               std::uint16_t /*node*/) const {
        return {};
    }
};

} // namespace herald
