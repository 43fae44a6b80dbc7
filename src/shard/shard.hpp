#pragma once

#include "bus/bus_port.hpp"
#include "pubsub/directory.hpp"
#include "pubsub/hub.hpp"
#include "shard/shard_connection.hpp"
#include "util/metrics.hpp"
#include "util/net.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/intrusive/list.hpp>

#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

namespace herald {

// One thread running one io_context. It owns its connections and its hub; a session never
// migrates, so nothing here takes a lock but the inbox of events other threads hand it.
// Other threads reach a shard only through post(), deliver() and begin_shutdown().
class shard final : private hub_observer, private directory_observer {
public:
    // `action_labels`: rows of herald_actions_total (every dialect's actions).
    shard(unsigned index, bus_port& bus, std::size_t endpoints, std::size_t action_labels);
    ~shard();
    shard(const shard&) = delete;
    shard& operator=(const shard&) = delete;

    unsigned index() const { return index_; }
    net::io_context& context() { return io_; }
    shard_metrics& metrics() { return metrics_; }
    const shard_metrics& metrics() const { return metrics_; }
    herald::hub& hub() { return hub_; }
    herald::directory& directory() { return directory_; }
    // Before start: the exchange whose routing keys are identities ([addressing] prefix), on
    // which the shard asks the bus for the events of its sessions' identities.
    void address_identities_on(std::string exchange) { identity_exchange_ = std::move(exchange); }
    // Before start: the bounds of every mailbox its sessions register ([mailboxes]).
    void bound_mailboxes(mailbox_settings bounds) { mailbox_bounds_ = bounds; }

    // Scratch space for socket reads, shared by every connection of the shard: an idle
    // connection holds no read buffer.
    std::span<char> read_buffer() { return read_buffer_; }
    std::uint64_t next_session_number() { return ++sessions_started_; }
    // The steady clock as of the last tick: for comparisons on the tick, which may then only be
    // late, never early.
    steady_time now() const { return now_; }
    // The steady clock read now: for starting a timeout, so that it never ends early.
    steady_time fresh_now() { return now_ = std::chrono::steady_clock::now(); }
    // The wall clock as of the last tick: for deadlines set in wall time, such as a token's exp.
    std::chrono::system_clock::time_point wall_now() const { return wall_now_; }

    void attach(shard_connection& c) { connections_.push_back(c); }
    // On the shard's thread: every connection, in no particular order. `visit` must not end or
    // open connections.
    template <class Visit> void for_each_connection(Visit&& visit) {
        for (auto& c : connections_) {
            visit(c);
        }
    }
    std::size_t connection_count() const { return connections_.size(); }

    // Corking: a connection that wants to write joins the flush list, and one pass at the end
    // of the current batch of work writes for all of them, each in one syscall.
    void request_flush(std::shared_ptr<shard_connection> c);

    // Any thread: deliver an event to this shard's subscribers of `keys` (the topic keys it
    // reached: its own, and matching patterns), once to each subscriber. Events handed over
    // before the shard gets to them are delivered together, then flushed once: a burst leaves
    // in one write per session.
    using topic_keys = std::shared_ptr<const std::vector<std::string>>;
    void deliver(topic_keys keys, shared_event event);
    // Any thread: deliver an event addressed to sessions (pubsub/directory.hpp), in the same
    // order as the topics' events handed over.
    void deliver(std::shared_ptr<const session_address> to, shared_event event);
    // Any thread: a registration as an identity somewhere in the cluster (`max_connections`
    // set), or a registered session that left (0), in the order the bus brought them.
    void hear_registration(std::string identity, std::uint64_t session,
                           std::uint32_t max_connections);

    // The events on the identity exchange that carry registrations, not application events.
    static constexpr std::string_view registered_event = "herald:registered";
    static constexpr std::string_view left_event = "herald:left";

    void start();
    // Any thread: close every connection, spread over `spread`; `on_empty` runs (on the shard's
    // thread) once the shard holds no connection.
    void begin_shutdown(std::chrono::milliseconds spread, std::function<void()> on_empty);
    void stop(); // stops the io_context and joins the thread

private:
    void run();
    void tick();
    void drain_inbox();
    void flush_all();
    void topic_wanted(std::string_view key, dialect_id dialect) override;
    void topic_unwanted(std::string_view key, dialect_id dialect) override;
    void identity_wanted(std::string_view identity, dialect_id dialect) override;
    void identity_unwanted(std::string_view identity, dialect_id dialect) override;
    void registered(std::string_view identity, std::uint64_t session, std::chrono::seconds lifetime,
                    std::uint32_t max_connections, bool acknowledge) override;
    void unregistered(std::string_view identity, std::uint64_t session, bool last) override;
    std::size_t deliver_now(const topic_keys& keys, const rendered_event& event);

    // Declared first, destroyed last: connections that the io_context's pending handlers still
    // hold leave the hub and touch the metrics when those handlers are destroyed.
    shard_metrics metrics_;
    herald::hub hub_;
    herald::directory directory_;
    std::string identity_exchange_ = "herald.identity";
    mailbox_settings mailbox_bounds_;
    unsigned index_;
    bus_port& bus_;
    net::io_context io_{1};
    net::executor_work_guard<net::io_context::executor_type> work_;
    std::thread thread_;
    std::vector<char> read_buffer_;
    std::uint64_t sessions_started_ = 0;
    steady_time now_ = std::chrono::steady_clock::now();
    std::chrono::system_clock::time_point wall_now_ = std::chrono::system_clock::now();
    net::steady_timer tick_timer_;

    struct pending_event {
        topic_keys keys;                           // null for an addressed event
        std::shared_ptr<const session_address> to; // null for a topic's event
        shared_event event;
    };
    std::uint64_t stamps_ = 0; // for events that reach several keys
    std::mutex inbox_mutex_;
    std::vector<pending_event> inbox_; // guarded by inbox_mutex_
    std::vector<pending_event> draining_;

    using connection_list =
        boost::intrusive::list<shard_connection, boost::intrusive::constant_time_size<false>>;
    connection_list connections_;
    std::vector<std::shared_ptr<shard_connection>> flush_list_;
    std::vector<std::shared_ptr<shard_connection>> flushing_;
    bool flush_posted_ = false;

    bool shutting_down_ = false;
    std::function<void()> on_empty_;
};

} // namespace herald
