#pragma once

#include "bus/amqp/amqp_connection.hpp"
#include "bus/amqp/amqp_url.hpp"
#include "bus/amqp/command_queue.hpp"
#include "bus/amqp/confirm_tracker.hpp"
#include "bus/amqp/exchange_declarer.hpp"
#include "bus/amqp/io_events.hpp"
#include "bus/amqp/io_interrupt.hpp"
#include "bus/amqp/request_returns.hpp"
#include "bus/bus_settings.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <future>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace herald {

// The AMQP bus's own thread, where every rabbitmq-c call happens: rabbitmq-c blocks, and the
// bus thread must not. It keeps one connection to the first broker that answers, moving on to
// the next URL when that one goes away, with capped exponential backoff between attempts. On
// each connection it declares the node's queue, consumes it, and then serves the bus thread's
// commands (publish, request, bind, unbind, ack, watch a mailbox) between reads of the socket. What
// it learns (readiness, deliveries and answers to requests, publish results) goes to `events`,
// which hands it to the bus thread.
//
// The object is made and stopped on the bus thread; everything in it but start, stop and
// dropped belongs to the I/O thread.
class amqp_io_thread {
public:
    // Deliveries in flight between the broker and the bus thread, not yet acknowledged. The
    // broker holds the rest in the node's queue, which drops its oldest past
    // max_queue_length: a slow bus thread loses old events instead of growing the node's memory.
    static constexpr std::uint16_t prefetch = 500;
    // The consumer of Piped's in-queue, told from the node queue's by its deliveries' tag.
    static constexpr std::string_view piped_consumer_tag = "herald-piped";
    // Unacknowledged mail per watched mailbox: a node watching many identities holds at most
    // this many messages of each in flight. In acknowledge mode, mail stays unacknowledged
    // until a client acknowledges it: a node then holds at most this many of each mailbox.
    static constexpr std::uint16_t mail_prefetch = 50;

    // `endpoints` may be empty, with `unusable` saying why (no usable URL): the thread then
    // reports that and waits for stop.
    amqp_io_thread(std::vector<amqp_endpoint> endpoints, std::string unusable,
                   const bus_settings& settings, command_queue& commands, io_events& events);
    ~amqp_io_thread();
    amqp_io_thread(const amqp_io_thread&) = delete;
    amqp_io_thread& operator=(const amqp_io_thread&) = delete;

    void start();
    // Ends the thread: it closes its connection cleanly if it can within `grace`; after that its
    // socket is cut, which ends any blocking call. Joins. Nothing is reported after it returns.
    void stop(std::chrono::milliseconds grace);

    // Events the node's queue dropped, oldest first, because it was full. Any thread.
    std::uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

private:
    using clock = std::chrono::steady_clock;

    void run();
    // Serves one connection; returns when stopping, throws connection_lost when it ends.
    void set_up_piped(amqp_connection& connection, const piped_topology& piped);
    void serve(amqp_connection& connection, const amqp_endpoint& endpoint);
    void handle(amqp_connection& connection, io_command& command);
    void publish(amqp_connection& connection, publish_command& command);
    void request(amqp_connection& connection, request_command& command);
    // basic.ack or basic.nack from the broker: answers the publishes and requests it covers.
    void confirmed(const amqp_method_t& method);
    void bind(amqp_connection& connection, const binding_command& command);
    void watch_mailbox(amqp_connection& connection, const mailbox_command& command);
    // Binds (or unbinds) the node's queue to the mail-control exchange for `identity`.
    void hear_mail_control(amqp_connection& connection, const std::string& identity, bool hear);
    void read_frames(amqp_connection& connection);
    void handle_frame(amqp_connection& connection, const amqp_frame_t& frame);
    // Counts and empties the drop queue; how many it held.
    std::uint32_t count_drops(amqp_connection& connection);
    // Waits `how_long` between connection attempts, answering publishes with `reason`.
    void pause(std::chrono::milliseconds how_long, const std::string& reason);
    void refuse_commands(const std::string& reason);
    void report_readiness();
    void flush();
    std::string at_broker(std::string_view why) const;

    const std::vector<amqp_endpoint> endpoints_;
    // Exchanges whose messages are handed on whole (bus_settings: raw).
    std::set<std::string, std::less<>> foreign_;
    const std::string unusable_;
    const bus_settings settings_;
    command_queue& commands_;
    io_events& events_;
    io_interrupt interrupt_;
    std::atomic<std::uint64_t> dropped_{0};
    std::thread thread_;
    std::promise<void> exited_;

    // The I/O thread's own, below.
    const amqp_endpoint* endpoint_ = nullptr; // the one connected to, or tried last
    std::uint64_t generation_ = 0;
    bool connected_ = false;
    std::string down_reason_ = "connecting";
    bool down_logged_ = false; // one log line per outage, not one per attempt
    std::string node_queue_;
    std::string drop_queue_; // where the node's queue dead-letters what it drops
    // "<prefix>.mail-control" (direct): the nodes' words about kept mail; declared on each
    // connection (false when the broker refused it: nothing goes through it then).
    const std::string control_exchange_;
    bool control_declared_ = false;
    exchange_declarer declarer_;
    confirm_tracker confirms_;
    request_returns returns_; // the requests among what confirms_ waits for
    std::set<std::pair<std::string, std::string>> bound_; // on node_queue_
    // The consumers of mailbox queues on this connection, by tag (the queue's name). A
    // cancelled one stays, inactive, until the connection ends: deliveries sent before the
    // broker saw the cancel still arrive, and must still be known as mail.
    struct mail_consumer {
        std::string identity;
        bool active = true;
        bool kept = false; // acknowledge mode: on the mail channel
    };
    std::map<std::string, mail_consumer, std::less<>> mail_consumers_;
    std::uint64_t ack_wanted_ = 0; // the bus thread handled up to here
    std::uint64_t acked_ = 0;
    clock::time_point heard_ = {};      // when the broker last sent anything
    clock::time_point next_purge_ = {}; // counting the drop queue
    clock::time_point last_drop_log_ = {};
    std::vector<delivery> deliveries_;
    std::vector<publish_result> results_;
    std::vector<std::uint64_t> answered_; // scratch for confirms
    struct posted_readiness {
        std::uint64_t generation = 0;
        bool ready = false;
        std::string reason;
    };
    std::optional<posted_readiness> posted_;
};

} // namespace herald
