#pragma once
// The broker abstraction: the embedded memory bus, RabbitMQ and Redis. A bus moves events
// between nodes, and carries the node's requests to application back ends and their answers
// back; it knows nothing of shards, sessions or dialects.

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace herald {

// An application event as it travels through a broker. It carries the published fields, not a
// frame shaped for one dialect: each node renders its own frames, once per dialect it serves.
struct bus_event {
    std::string exchange;
    std::string routing_key;
    // The event name. Empty for a message in another design's own format: published, `payload`
    // is the whole body as it is (Piped's methods); received, `extra` holds its members (a
    // Piped message addressed to a token).
    std::string event;
    std::string payload; // JSON text, bytes exactly as published
    // The published object's other members as JSON text, e.g. "\"id\":7,\"at\":\"x\"" (no
    // surrounding braces, no leading comma), or empty: Myxi forwards extra keys of a broker
    // message to clients.
    std::string extra;

    friend bool operator==(const bus_event&, const bus_event&) = default;
};

// A request for an application back end, carried by a broker to whichever of its workers takes
// it first (competing consumers); the answer comes back to this node through on_reply.
struct bus_request {
    std::string destination;    // RabbitMQ: the queue; Redis: the stream key
    std::string correlation_id; // unique per node; comes back with the answer
    std::string body;           // the request's JSON

    friend bool operator==(const bus_request&, const bus_request&) = default;
};

// How an identity's mailbox is kept (docs/backend.md#identities-and-mailboxes): the identity
// exists until `lifetime` after it last registered or had its mail taken; its mailbox holds at
// most max_messages messages and max_bytes bytes of them.
// With `acknowledge`, mail stays in the mailbox after it is handed out, until a client
// acknowledges it by its id (docs/backend.md#acknowledgements).
struct mailbox_settings {
    std::chrono::seconds lifetime{604800};
    std::size_t max_messages = 1000;
    std::size_t max_bytes = 1024 * 1024;
    bool acknowledge = false;
};

// One message taken from a mailbox: its id (unique in the cluster) when the mailbox keeps mail
// until it is acknowledged, else empty; and its body as notify stored it.
struct mail {
    std::string id;
    std::string body;

    friend bool operator==(const mail&, const mail&) = default;
};

// What became of a notify: kept (the nodes watching the mailbox must be told: they take it
// then), kept and on its way to them (the bus pushes mail to watchers itself: RabbitMQ), no such
// identity (never registered, or its lifetime passed), the mailbox is full, or the store failed.
enum class notify_result : std::uint8_t {
    stored,
    stored_and_pushed,
    unknown_identity,
    full,
    unavailable
};

// Mailboxes of identities, where the bus keeps them (keeps_mailboxes()): the memory bus in a
// local SQLite file, brokers in the broker. Calls and callbacks on the bus thread, as all.
// - open_mailbox registers the identity (or refreshes its lifetime) and watches its mailbox:
//   what is in it now, and whatever notify stores later while it is watched, is taken and
//   handed to on_mail, in the order stored. Opening a watched mailbox again refreshes it.
//   With settings.acknowledge, taken mail stays until acknowledged, and each open_mailbox (a
//   new registration) hands out again whatever is not acknowledged yet.
// - take_mail takes what is new (a tell that mail was stored, the periodic look, a reconnect):
//   the same as open_mailbox, but in acknowledge mode nothing handed out already comes again.
// - close_mailbox stops watching; mail stored afterwards waits for the next open. In
//   acknowledge mode, what was handed out and not acknowledged is due again at the next take.
// - notify stores one message for the identity and calls `done` once: stored, or why not.
// - acknowledge removes, of the mail of `identities`, the messages with the given ids, and
//   calls `done` once with the ids it removed (an id of another identity, or one already
//   acknowledged, is not among them).
// After a reconnect the bus thread takes every watched mailbox again.
class mailboxes {
public:
    using notify_done = std::function<void(notify_result, std::string_view why)>;
    using acknowledge_done = std::function<void(std::vector<std::string> removed)>;
    virtual ~mailboxes() = default;
    virtual void open_mailbox(std::string_view identity, const mailbox_settings& settings) = 0;
    virtual void take_mail(std::string_view identity, const mailbox_settings& settings) {
        open_mailbox(identity, settings);
    }
    virtual void close_mailbox(std::string_view identity) = 0;
    virtual void notify(std::string_view identity, std::string body, notify_done done) = 0;
    virtual void acknowledge(const std::vector<std::string>& /*identities*/,
                             const std::vector<std::string>& /*ids*/, acknowledge_done done) {
        done({});
    }
};

// A connection to a broker, or the embedded memory bus.
//
// Lives on the bus thread. A bus is made by a bus_factory, given the bus thread's executor,
// before the bus thread runs, and destroyed after it has finished. Every call to a bus comes
// from the bus thread, and the bus makes every callback on it. A bus built on a blocking client
// library (rabbitmq-c) may run a thread of its own for the socket and post what it receives to
// the executor it was made with, so that the callback runs on the bus thread.
//
// The contract, checked for every bus by tests/unit/bus_contract_test.cpp (requests by
// tests/unit/bus_requests_test.cpp):
// - start begins connecting. on_readiness says ready once the bus can publish and subscribe,
//   and not ready, with a reason for /readyz, when it loses the broker (ready again after it
//   reconnects). A callback may come from inside a call: the memory bus reports ready from
//   inside start and delivers from inside publish.
// - A topic is an exchange and a routing key, always passed apart; either may hold any byte
//   but NUL (':' and '.' included), and the routing key may be empty. Subscriptions are a set:
//   subscribing twice is harmless, and one unsubscribe ends it.
// - The bus thread subscribes and unsubscribes only while the bus is ready, and each time the
//   bus reports ready it subscribes every topic some shard wants, before anything else. So a
//   bus starts each connection with no subscriptions, and must not keep those of an earlier
//   one (an exclusive queue for RabbitMQ; a Redis connection keeps none).
// - A subscribe or unsubscribe takes effect before any publish asked for after it (rabbitmq-c's
//   queue_bind returns after bind-ok; a Redis bus holds publishes until the broker confirms).
// - after_subscriptions(done) calls `done` once, on the bus thread, when every subscribe and
//   unsubscribe asked for before it is in place at the broker, so that events other nodes
//   publish from then on reach this one; or when the bus cannot tell (its publish timeout
//   passed) or never, when the connection is lost first (the next ready starts again). The
//   bus thread reports the node ready (/readyz) only then.
// - An event arrives only when its topic is subscribed, once, with every field intact, and the
//   events of one topic arrive in publish order. On a topic or fanout exchange a subscription's
//   routing key is a pattern (pubsub/routing_pattern.hpp); a bus delivers an event once even
//   when several subscribed patterns match it, and may deliver a superset (the node matches
//   again), but never less.
// - publish calls `done` exactly once, on the bus thread, within the bus's publish timeout:
//   with an empty text once the broker has taken the event (RabbitMQ: the publisher confirm;
//   Redis: PUBLISH answered), with the reason otherwise. Never after stop.
// - A message from the broker that is not an event (not a JSON object with a string "event")
//   is reported to on_malformed, not delivered. Answers to requests (below) are not events.
// - Requests (only where carries_requests() is true: RabbitMQ and Redis). send_request calls
//   `done` exactly once, on the bus thread, within the publish timeout: empty once the broker
//   took the request (RabbitMQ: the publisher confirm; Redis: XADD answered), the reason
//   otherwise; while the bus is not ready, at once (from inside the call) with the reason. A bus
//   that carries no requests fails each one at once. A taken request is not an answer: that
//   comes, if a worker sends one, to on_reply with the request's correlation id and the
//   answer's body as received, on whichever connection is current. Every answer that reaches
//   the node is handed over, also one for a correlation id the node does not know (late,
//   twice, or another node's mistake): the caller decides. An answer sent to a connection that
//   is gone is lost (RabbitMQ's reply queue dies with its connection), so a request
//   outstanding across a reconnect may never be answered; the caller's timeout covers it.
//     RabbitMQ: the request is published to the default exchange ("") with the queue as
//   routing key, with the mandatory flag and the properties reply_to (the node's own queue),
//   correlation_id and content_type application/json. A worker answers by publishing the
//   answer to the default exchange, routing key = reply_to, with the same correlation_id
//   property. A message the node's queue receives through the default exchange with a
//   correlation_id is an answer, never an event. When no queue of that name exists the broker
//   returns the request, and `done` says so: no back-end queue "<name>".
//     Redis: XADD <stream> MAXLEN ~ 100000 * correlation_id <id> reply_to <channel> request
//   <json>; workers read the stream with XREADGROUP in a consumer group of theirs. <channel> is
//   the node's reply channel, herald:reply:<16 hex digits chosen when the bus is made>, which
//   the bus subscribes on every connection before it reports ready. A worker answers with
//   PUBLISH <channel> <answer>, where the answer is a JSON object with a string member
//   "correlation_id"; a message on the reply channel without one goes to on_malformed.
// - After stop: no callback, later calls are ignored, and the bus leaves no work on the
//   executor, so the bus thread's io_context can finish.
class bus {
public:
    // An answer from a back end: the correlation id of its request, and its body as received.
    using reply_handler =
        std::function<void(std::string_view correlation_id, std::string_view body)>;

    struct handlers {
        std::function<void(const bus_event&)> on_event;
        std::function<void(bool ready, std::string reason)> on_readiness;
        // A broker message dropped because it is not an event: where it came from and why.
        std::function<void(std::string_view exchange, std::string_view why)> on_malformed;
        // An answer to a request (see send_request); may be empty when nobody asks.
        reply_handler on_reply;
        // Mail taken from a watched mailbox (open_mailbox), oldest first, as notify stored it:
        // the node hands it to the identity's sessions. Taken means gone from the store,
        // unless the mailbox keeps mail until it is acknowledged (then each has an id).
        std::function<void(std::string_view identity, std::vector<mail>& taken)> on_mail;
    };
    // Empty text: the broker took the event (or request); otherwise why it did not.
    using publish_done = std::function<void(std::string_view error)>;

    virtual ~bus() = default;

    virtual void start(handlers callbacks) = 0;
    virtual void stop() = 0;
    // `done` may be empty when nobody waits for the answer.
    virtual void publish(bus_event event, publish_done done) = 0;
    virtual void subscribe(std::string_view exchange, std::string_view routing_key) = 0;
    // True when nothing can lose an event once publish is called (the memory bus): the node
    // then answers a publisher at once instead of waiting for `done`. Any thread.
    virtual bool takes_every_event() const { return false; }
    // Events the broker dropped before this node could take them (RabbitMQ: the node's queue
    // was full); any thread, for /metrics.
    virtual std::uint64_t dropped_events() const { return 0; }
    virtual void unsubscribe(std::string_view exchange, std::string_view routing_key) = 0;
    // See the contract above. At once by default: a bus whose subscriptions are in place when
    // subscribe returns (the memory bus).
    virtual void after_subscriptions(std::function<void()> done) { done(); }

    // True when send_request can reach back ends through this bus's broker. Any thread.
    virtual bool carries_requests() const { return false; }
    // `done` exactly once on the bus thread, like publish: empty once the broker took the
    // request (RabbitMQ: publisher confirm; Redis: XADD answered), else why. While not ready: at
    // once, with the reason. `done` may be empty when nobody waits.
    virtual void send_request(bus_request /*request*/, publish_done done) {
        if (done) {
            done("this bus carries no requests to back ends");
        }
    }

    // The bus's mailboxes, or null when it keeps none (yet).
    virtual herald::mailboxes* mailboxes() { return nullptr; }
};

// Makes a bus bound to the bus thread's executor. Configuration (a broker URL) is captured by
// the factory, so the bus thread needs to know no kind of bus.
using bus_factory = std::function<std::unique_ptr<bus>(boost::asio::any_io_executor bus_executor)>;

} // namespace herald
