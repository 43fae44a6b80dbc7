#pragma once

#include "bus/amqp/command_queue.hpp"
#include "bus/amqp/io_events.hpp"
#include "bus/amqp/io_thread.hpp"
#include "bus/amqp/kept_mail.hpp"
#include "bus/amqp/mail_control.hpp"
#include "bus/amqp/publish_tracker.hpp"
#include "bus/bus.hpp"
#include "bus/bus_settings.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>

namespace herald {

// The RabbitMQ bus. Events travel through the broker's exchanges, declared as the bus settings
// say (Myxi's way by default); each node consumes them through one queue of its own (never one
// per session), bound to exactly the (exchange, routing key) pairs it is subscribed to. A
// publish is answered once the broker confirms it. Several URLs are one cluster's nodes: the
// bus connects to the first that answers and moves to the next when it goes away.
//
// Lives on the bus thread, like every bus. rabbitmq-c blocks, so it runs on a thread of the
// bus's own (amqp_io_thread): the calls here queue commands for it, and what it learns is
// posted to the bus thread's executor, where every callback runs.
//
// The node's queue: server-named, exclusive and auto-delete, with x-max-length =
// max_queue_length and x-overflow = drop-head. The broker deletes it with the connection,
// however the node ends (SIGKILL too), so nothing is left behind to grow; and since a new
// connection has a new queue, the bus reports ready with no subscriptions, and the bus thread
// subscribes every wanted topic again. Deliveries are acknowledged once the bus thread has
// handled them, with a prefetch window: with no-ack the broker would push its whole backlog
// into the node's memory, and x-max-length would never drop anything.
//
// Requests to back ends: published to the default exchange with the queue as routing key, the
// mandatory flag, reply_to = the node's queue and correlation_id, answered once the broker
// confirms (or returns it: no back-end queue of that name). A worker answers to the default
// exchange with routing key reply_to and the same correlation_id; such a delivery (default
// exchange, correlation_id set) is an answer, handed to on_reply, never parsed as an event. The
// node's queue is named anew on each connection, so an answer sent to the queue of a
// connection that is gone is lost; its request times out at its caller. Answers count against
// the node's queue like events (max_queue_length, drop-head).
//
// Mailboxes (below, at mailboxes()): a queue per identity. In acknowledge mode the node holds
// the deliveries a client has not acknowledged (kept_mail, on the bus thread) on a channel of
// their own, and nodes tell each other what only the holder can do, through the
// "<prefix>.mail-control" exchange (mail_control.hpp).
class amqp_bus final : public bus, private io_events, private herald::mailboxes {
public:
    static constexpr std::uint16_t prefetch = amqp_io_thread::prefetch;

    amqp_bus(boost::asio::any_io_executor bus_executor, bus_settings settings);
    ~amqp_bus() override;

    void start(handlers callbacks) override;
    void stop() override;
    void publish(bus_event event, publish_done done) override;
    void subscribe(std::string_view exchange, std::string_view routing_key) override;
    void unsubscribe(std::string_view exchange, std::string_view routing_key) override;
    // A barrier through the I/O thread, which binds in order and synchronously (bind-ok).
    void after_subscriptions(std::function<void()> done) override;
    bool carries_requests() const override { return true; }
    void send_request(bus_request request, publish_done done) override;
    // Identities' mailboxes: a durable queue each, "<prefix>.mailbox.<identity>", which the
    // broker deletes once unused for the identity's lifetime (x-expires). notify is a request to
    // it (mandatory: returned when there is no such queue, so no such identity; nacked when it
    // is full), persistent, with the mail's id as message_id: "<node token>-<n>", the token 16
    // random hex digits the bus picks when made, so ids are unique among nodes and the same at
    // each delivery. A node watching the mailbox consumes its queue: mail arrives as it is
    // stored, with no signal.
    // - Without acknowledge: on the channel of the node's queue, acknowledged with its
    //   deliveries; handed out without ids.
    // - With acknowledge: on a channel of its own (the node's multiple acks never cover mail),
    //   with a prefetch of mail_prefetch per mailbox. A delivery stays unacknowledged, held in
    //   kept_mail (id, delivery tag, body) and handed out with its id, until a client
    //   acknowledges it: basic.ack of that delivery. An id this node does not hold may be held
    //   by another node watching the identity: the acknowledgement goes on to them, through the
    //   "<prefix>.mail-control" exchange (mail_control.hpp), and each acks what it holds; the
    //   answer lists it as not removed here. A registration (open_mailbox) hands out again what
    //   this node holds, and tells the other nodes to do the same. When the node stops watching
    //   (its last session of the identity left) it cancels the consumer and gives back
    //   (basic.reject, requeue) what it holds; the broker puts it back where it was in the
    //   queue. A connection that ends, or a node that dies, gives back everything its channels
    //   held: the broker requeues it (the next consumer gets it, flagged redelivered).
    herald::mailboxes* mailboxes() override { return this; }

    // Events the node's queue dropped, oldest first, because it was full; counted through a
    // drop queue the node's queue dead-letters them to. Any thread: meant for /metrics.
    std::uint64_t dropped() const { return io_.dropped(); }
    std::uint64_t dropped_events() const override { return dropped(); }
    // The node's queue on the current connection ("amq.gen-…"), empty before the first.
    const std::string& node_queue() const { return queue_; }

private:
    using clock = publish_tracker::clock;
    using topic = std::pair<std::string, std::string>;

    // io_events: called on the I/O thread; each posts its news to the bus thread.
    void readiness(std::uint64_t generation, bool ready, std::string reason,
                   std::string queue) override;
    void deliveries(std::uint64_t generation, std::vector<delivery> batch) override;
    void publish_results(std::vector<publish_result> results) override;

    // mailboxes
    void open_mailbox(std::string_view identity, const mailbox_settings& settings) override;
    void take_mail(std::string_view identity, const mailbox_settings& settings) override;
    void close_mailbox(std::string_view identity) override;
    void notify(std::string_view identity, std::string body, notify_done done) override;
    void acknowledge(const std::vector<std::string>& identities,
                     const std::vector<std::string>& ids, acknowledge_done done) override;
    std::string mailbox_queue(std::string_view identity) const;
    // Watches the mailbox (see open_mailbox); `again`: a registration, which hands out again
    // the mail held in acknowledge mode, here and on the other nodes.
    void watch(std::string_view identity, const mailbox_settings& settings, bool again);
    // Gives the held mail of `identity` back to its queue.
    void give_back(std::string_view identity);
    void hand_out_held(std::string_view identity);
    void tell_other_nodes(std::string_view identity, mail_control word);
    void hear(const delivery& word);
    // Mail delivered in acknowledge mode: held and handed out, or given back.
    void keep(std::uint64_t generation, delivery& d);

    // The same, on the bus thread.
    void on_readiness(std::uint64_t generation, bool ready, std::string reason, std::string queue);
    void on_deliveries(std::uint64_t generation, std::vector<delivery>& batch);
    void on_results(std::vector<publish_result>& results);
    void arm_timer();
    // The id the I/O thread will answer a publish or request with (0: nobody waits), or
    // nothing when it cannot go now (stopped; or not ready, or `unusable` says why, and `done`
    // has been told).
    std::optional<std::uint64_t> admit(publish_done& done, std::string_view unusable);

    bool running() const { return phase_ == phase::running; }

    boost::asio::any_io_executor executor_;
    std::string mailbox_prefix_; // [addressing] prefix
    enum class phase { created, running, stopped };
    phase phase_ = phase::created;
    handlers callbacks_;
    bool ready_ = false;
    std::string reason_ = "connecting to rabbitmq";
    std::uint64_t generation_ = 0; // the connection last reported ready
    std::string queue_;
    // What this connection's queue is bound to, as the bus thread asked; a set, as
    // subscriptions are.
    std::set<topic> bindings_;
    // The identities whose mailbox queue this connection consumes, as the bus thread asked,
    // each with whether in acknowledge mode.
    std::map<std::string, bool, std::less<>> watched_;
    kept_mail kept_;
    const std::string token_; // this node's part of mail ids, and its name in mail_control
    std::uint64_t mail_ids_ = 0;
    publish_tracker waiting_;
    boost::asio::steady_timer timer_;
    bool timer_armed_ = false;
    command_queue commands_;
    amqp_io_thread io_; // last: stopped and joined before the rest goes
};

// A bus_factory for these settings (the registry's "amqp" entry).
bus_factory make_amqp_bus_factory(const bus_settings& settings);

} // namespace herald
