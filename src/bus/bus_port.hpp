#pragma once
// What shards, the HTTP API and the back-end client see of the bus: publishing, interest,
// readiness, and requests to application back ends with their answers.

#include "bus/bus.hpp"
#include "pubsub/topic.hpp"

#include <string>

namespace herald {

// The node's door to its bus, callable from any thread (a shard's, the HTTP API's): the calls
// are handed to the bus thread, which owns the bus and the interest table. bus_thread
// implements it; a shard's test can fake it.
class bus_port {
public:
    // `done` (may be empty) runs on the bus thread once the bus took the event or could not;
    // at once when the bus is not ready.
    virtual void publish(bus_event event, bus::publish_done done) = 0;
    // True when an event handed to publish cannot be lost any more (the memory bus): a
    // publisher may be answered at once, without waiting for `done`.
    virtual bool takes_every_event() const = 0;
    // A shard's first subscriber of a topic in a dialect came, or its last one left. The node
    // subscribes at the broker only to topics some shard wants, and renders an event only for
    // the dialects some shard wants it in.
    virtual void add_interest(std::string exchange, std::string routing_key, unsigned shard,
                              dialect_id dialect) = 0;
    virtual void remove_interest(std::string exchange, std::string routing_key, unsigned shard,
                                 dialect_id dialect) = 0;
    // For /readyz and /metrics, not for a hot path.
    virtual bool is_ready() const = 0;
    virtual std::string not_ready_reason() const = 0; // empty when ready

    // Requests to application back ends through the broker (bus.hpp says how each broker
    // carries them and how a worker answers).
    // Any thread. `done` (may be empty) runs on the bus thread, once: empty once the broker took
    // the request, else why (at once when the bus is not ready, or carries no requests); not
    // at all when the bus thread stops first.
    virtual void send_request(bus_request request, bus::publish_done done) = 0;
    // True when the bus carries requests (RabbitMQ, Redis; not the memory bus). Any thread.
    virtual bool carries_requests() const = 0;
    // Where answers go: called on the bus thread with each answer the broker brings, also one
    // whose correlation id the caller no longer knows (it decides that the answer is late). Set
    // it once, before start; answers arriving while none is set are dropped.
    virtual void on_reply(bus::reply_handler handler) = 0;

    // Mailboxes of identities (bus.hpp, class mailboxes), for the node's registered sessions.
    // Any thread. A shard opens an identity's mailbox for each registration of one of its
    // sessions (each refreshes the identity's lifetime) and closes it when its last session of
    // the identity ends; the node watches it while any shard has it open.
    virtual void open_mailbox(std::string /*identity*/, mailbox_settings /*settings*/,
                              unsigned /*shard*/) {}
    virtual void close_mailbox(std::string /*identity*/, unsigned /*shard*/) {}
    // Mail was stored for the identity (through any node): take it now if this node watches
    // its mailbox. Any thread.
    virtual void wake_mailbox(std::string /*identity*/) {}
    // `done` runs on the bus thread, once.
    virtual void notify(std::string /*identity*/, std::string /*body*/,
                        mailboxes::notify_done done) {
        done(notify_result::unavailable, "this bus keeps no mailboxes");
    }
    // Where taken mail goes: called on the bus thread. Set it once, before start.
    using mail_handler = std::function<void(std::string_view identity, std::vector<mail>& taken)>;
    virtual void on_mail(mail_handler) {}
    // A client acknowledged mail of the identities its session is registered as (bus.hpp,
    // mailboxes::acknowledge). Any thread; `done` runs on the bus thread, once: with the ids
    // removed (none when the bus is not ready or keeps no mailboxes).
    virtual void acknowledge_mail(std::vector<std::string> /*identities*/,
                                  std::vector<std::string> /*ids*/,
                                  mailboxes::acknowledge_done done) {
        done({});
    }

protected:
    // Nobody owns a bus through its port.
    ~bus_port() = default;
};

} // namespace herald
