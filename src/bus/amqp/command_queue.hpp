#pragma once

#include "bus/bus.hpp"

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <variant>
#include <vector>

namespace herald {

// basic.publish with publisher confirms. `id` names the publish to the bus thread; 0 when
// nobody waits for the answer.
struct publish_command {
    std::uint64_t id = 0;
    std::string exchange;
    std::string routing_key;
    std::string body;
};

// A request to back-end workers: basic.publish to the default exchange with the queue as
// routing key, the mandatory flag, reply_to = the node's queue on the connection it goes out
// on, and correlation_id; with publisher confirms, like publish_command.
struct request_command {
    std::uint64_t id = 0;
    std::string queue;
    std::string correlation_id;
    std::string body;
    bool persistent = false; // mail for a mailbox queue, which must outlive a broker restart
    std::string message_id;  // mail: its id, the message_id property (empty: none)
};

// queue.bind (or queue.unbind) of the node's queue. `generation` is the connection the bus
// thread saw ready when it asked: a binding meant for a queue that died with its connection is
// dropped, since the bus thread binds everything again on the next ready.
struct binding_command {
    std::uint64_t generation = 0;
    bool bind = true;
    std::string exchange;
    std::string routing_key;
};

// The bus thread has handled every delivery up to this tag: basic.ack with multiple set, which
// lets the broker send the next ones (the consumer's prefetch window).
struct ack_command {
    std::uint64_t generation = 0;
    std::uint64_t delivery_tag = 0;
};

// The bus thread gave back a delivery it could not hand out (mail for a mailbox no longer
// watched), or kept mail nobody acknowledged (its last session left): basic.reject with
// requeue, before the ack that follows it. `kept`: on the mail channel (acknowledge mode).
struct requeue_command {
    std::uint64_t generation = 0;
    std::uint64_t delivery_tag = 0;
    bool kept = false;
};

// A client acknowledged kept mail: basic.ack of this one delivery on the mail channel.
struct mail_ack_command {
    std::uint64_t generation = 0;
    std::uint64_t delivery_tag = 0;
};

// A word to the other nodes watching an identity's mailbox in acknowledge mode (amqp_bus.hpp):
// published to the mail-control exchange with the identity as routing key.
struct mail_control_command {
    std::string identity;
    std::string body;
};

// An identity's mailbox queue. Watch: declare it (renewing its life) and consume it, so that
// its mail comes with the node's deliveries (with settings.acknowledge: on the mail channel,
// and the node's queue bound to the mail-control exchange for the identity); stop watching:
// cancel that consumer.
struct mailbox_command {
    std::string identity;
    std::string queue;
    mailbox_settings settings;
    bool watch = true;
};

// Answered (as publish `id`) once the I/O thread has done every command before it: the bindings
// asked for before are at the broker (amqp_bus::after_subscriptions).
struct barrier_command {
    std::uint64_t id = 0;
};

using io_command =
    std::variant<publish_command, request_command, binding_command, ack_command, requeue_command,
                 mail_ack_command, mailbox_command, mail_control_command, barrier_command>;

// What the bus thread asks of the I/O thread, in order, and the I/O thread's one place to
// sleep: wait() returns when a command comes, when the broker socket has data or when the
// interrupt descriptor turns readable. rabbitmq-c cannot wait on two descriptors, so the I/O
// thread polls here and calls rabbitmq-c only when it has something to read.
//
// Thread-safe: the bus thread pushes; the I/O thread takes and waits.
class command_queue {
public:
    command_queue();
    ~command_queue();
    command_queue(const command_queue&) = delete;
    command_queue& operator=(const command_queue&) = delete;

    void push(io_command command);
    // Every command pushed so far, oldest first.
    std::vector<io_command> take();

    // Sleeps at most `timeout`. True when `socket_fd` (ignored when negative) is readable or
    // closed; false on a command, an interrupt or the timeout.
    bool wait(int socket_fd, int interrupt_fd, std::chrono::milliseconds timeout);

private:
    std::mutex mutex_;
    std::vector<io_command> commands_; // guarded by mutex_
    int event_fd_ = -1;                // readable while commands_ may be non-empty
};

} // namespace herald
