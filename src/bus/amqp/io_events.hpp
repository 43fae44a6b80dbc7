#pragma once
// What the bus's I/O thread reports to the bus thread.

#include "bus/bus.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace herald {

// A message taken from the node's queue: an event, an answer to a request, or why its body is
// not an event; or mail from a watched mailbox queue.
struct delivery {
    std::uint64_t delivery_tag = 0;
    bus_event event;       // exchange and routing key always set: from basic.deliver
    std::string malformed; // not empty: the body is not an event, and this is why
    // An answer (it came through the default exchange with a correlation_id property): the
    // property, and the body as received. The event is empty then.
    bool reply = false;
    std::string correlation_id;
    std::string body;
    // Mail (it came from the consumer of an identity's mailbox queue): the identity, and the
    // body as notify stored it in `body`. The event is empty then.
    std::string mail_for;
    // Mail consumed in acknowledge mode: on the mail channel, kept until acknowledged; its id
    // as notify gave it (the message_id property; empty when it had none).
    bool kept = false;
    std::string mail_id;
    // A word from another node about the kept mail of the identity `mail_for` (it came
    // through the mail-control exchange), in `body`.
    bool mail_control = false;
};

// The broker's answer to the publish (or request) `id`: empty when it took it.
struct publish_result {
    std::uint64_t id = 0;
    std::string error;
};

// The I/O thread calls these on itself; the implementation (amqp_bus) hands each to the bus
// thread. `generation` numbers the connections: 1, 2, … on each successful connect.
class io_events {
public:
    // Ready: connected, both channels open, the node's queue declared and consumed, and no
    // exchange refused. `queue` is the node's queue on this connection.
    virtual void readiness(std::uint64_t generation, bool ready, std::string reason,
                           std::string queue) = 0;
    virtual void deliveries(std::uint64_t generation, std::vector<delivery> batch) = 0;
    virtual void publish_results(std::vector<publish_result> results) = 0;

protected:
    ~io_events() = default;
};

} // namespace herald
