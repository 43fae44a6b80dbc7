#pragma once

#include "bus/amqp/amqp_url.hpp"
#include "bus/amqp/io_interrupt.hpp"

#include <amqp.h>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace herald {

// The connection cannot be used any more: the socket failed, the broker closed it, a
// heartbeat was missed, or a step of setting it up was refused. `reason` is for readiness.
struct connection_lost {
    std::string reason;
};

// A message's body and the property that tells an answer from an event.
struct amqp_received {
    std::string body;
    std::optional<std::string> correlation_id; // the property, when set
    std::string message_id;                    // the property, or empty
};

struct amqp_connection_options {
    std::chrono::milliseconds connect_timeout{5000}; // TCP connect, login, and every RPC
    std::chrono::seconds heartbeat{10};
};

// One rabbitmq-c connection with three channels. `data` carries the publishes (in confirm mode)
// and the consumers; `control` the declarations, bindings and purges; `mail` the consumers of
// mailboxes in acknowledge mode, whose deliveries are acknowledged one by one, when a client
// says so (on `data` the node's multiple acks would cover them). A broker refuses a
// declaration by closing the channel it came on: on `control` that costs a channel.open, on
// `data` it would cost the consumer and every publish awaiting its confirm.
//
// rabbitmq-c calls block, so this lives on the bus's I/O thread, which owns it; nothing here is
// called from elsewhere. Every failure that leaves the connection unusable throws
// connection_lost.
class amqp_connection {
public:
    static constexpr amqp_channel_t data_channel = 1;
    static constexpr amqp_channel_t control_channel = 2;
    static constexpr amqp_channel_t mail_channel = 3;

    // Connects (the TCP connect ends early when `interrupt` is raised), logs in asking for the
    // heartbeat, and opens both channels. The socket is armed in `interrupt`, so the bus thread
    // can cut it.
    amqp_connection(const amqp_endpoint& endpoint, const amqp_connection_options& options,
                    io_interrupt& interrupt);
    ~amqp_connection();
    amqp_connection(const amqp_connection&) = delete;
    amqp_connection& operator=(const amqp_connection&) = delete;

    int socket_fd() const;
    // connection.close and its answer, within the RPC timeout, when the connection still works:
    // the broker then drops the node's queue at once. Never throws.
    void close() noexcept;

    // On `control`. Empty when done; else the broker's refusal, e.g. "406 PRECONDITION_FAILED -
    // inequivalent arg 'durable' …", after which `control` is open again.
    std::string declare_exchange(std::string_view name, std::string_view type, bool passive,
                                 bool durable, bool auto_delete);
    std::string bind(std::string_view queue, std::string_view exchange,
                     std::string_view routing_key);
    std::string unbind(std::string_view queue, std::string_view exchange,
                       std::string_view routing_key);
    // A server-named, exclusive, auto-delete queue holding at most `max_length` messages, which
    // drops its oldest past that (x-overflow drop-head), dead-lettering them through the default
    // exchange to the queue `dead_letter_to` when not empty. Its name.
    std::string declare_queue(std::size_t max_length, std::string_view dead_letter_to);
    // A named, durable, shared queue (Piped's), and an exchange-to-exchange binding. Empty when
    // done, else the broker's refusal.
    std::string declare_durable_queue(std::string_view name);
    std::string bind_exchange(std::string_view destination, std::string_view source);
    // An identity's mailbox (docs/backend.md#identities-and-mailboxes): a named, durable queue
    // the broker deletes once unused for `lifetime` (x-expires), holding at most `max_messages`
    // and `max_bytes`, refusing more (x-overflow reject-publish: the publisher gets a nack).
    // Empty when done, else the broker's refusal (another registration declared it with other
    // arguments: the queue is there all the same).
    std::string declare_mailbox(std::string_view name, std::chrono::seconds lifetime,
                                std::size_t max_messages, std::size_t max_bytes);
    // queue.declare, passive: empty when the queue exists, else the broker's answer.
    std::string check_queue(std::string_view name);
    // Empties a queue; how many messages it held.
    std::uint32_t purge(std::string_view queue);

    // On `data`: confirm.select, basic.qos and basic.consume with acknowledgements.
    void consume(std::string_view queue, std::uint16_t prefetch);
    // basic.qos on `channel` (`data` or `mail`): the prefetch of each consumer made after it.
    void qos(std::uint16_t prefetch, amqp_channel_t channel = data_channel);
    // Another consumer on `channel` (`data`, after consume(), or `mail`): its deliveries carry
    // `consumer_tag`. The queue must exist: the broker would close the channel otherwise,
    // which ends the connection.
    void consume_also(std::string_view queue, std::string_view consumer_tag,
                      amqp_channel_t channel = data_channel);
    // basic.cancel on `channel`: the consumer's deliveries stop; those in flight still come.
    void cancel(std::string_view consumer_tag, amqp_channel_t channel = data_channel);
    // basic.publish, application/json, not persistent: the broker numbers it for its confirm.
    void publish(std::string_view exchange, std::string_view routing_key, std::string_view body);
    // A request to the queue `queue` through the default exchange, mandatory (the broker
    // returns it when no queue has that name), with reply_to and correlation_id; otherwise as
    // publish, and numbered with the publishes.
    // `persistent`: the broker writes it to disk (mail in a durable mailbox queue).
    void publish_request(std::string_view queue, std::string_view reply_to,
                         std::string_view correlation_id, std::string_view body,
                         bool persistent = false, std::string_view message_id = {});
    // basic.ack on `data` of every delivery up to `delivery_tag`.
    void ack(std::uint64_t delivery_tag);
    // basic.ack on `mail` of this one delivery.
    void ack_mail(std::uint64_t delivery_tag);
    // basic.reject with requeue on `channel`: the broker puts the message back in its queue.
    void requeue(std::uint64_t delivery_tag, amqp_channel_t channel = data_channel);

    // True when a frame may be read without waiting on the socket: rabbitmq-c holds received
    // bytes or frames it set aside during an RPC.
    bool has_buffered() const;
    // The next frame, reading what the socket has without waiting; nullopt when there is none.
    // Sends a heartbeat when one is due. The frame's data lives until release_buffers().
    std::optional<amqp_frame_t> next_frame();
    // The message whose basic.deliver (or basic.return) was just read.
    amqp_received read_message(amqp_channel_t channel);
    void release_buffers();
    // Answers the broker's channel.close (or connection.close, channel 0).
    void close_ok(amqp_channel_t channel);

private:
    struct state_deleter {
        void operator()(amqp_connection_state_t state) const { amqp_destroy_connection(state); }
    };

    [[noreturn]] void lost(std::string reason);
    void open_channel(amqp_channel_t channel);
    // After an RPC on `channel`: empty when it succeeded, the broker's reason when it closed the
    // channel (reopened unless it is `data`, which throws); throws when the connection is gone.
    std::string check(std::string_view what, amqp_channel_t channel);

    io_interrupt& interrupt_;
    std::unique_ptr<amqp_connection_state_t_, state_deleter> state_;
    bool usable_ = true;
};

// "406 PRECONDITION_FAILED - …" for a broker's close, the library's text for its own errors.
std::string describe(const amqp_rpc_reply_t& reply);

} // namespace herald
