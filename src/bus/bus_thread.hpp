#pragma once

#include "bus/bus.hpp"
#include "bus/bus_port.hpp"
#include "pubsub/interest.hpp"
#include "util/metrics.hpp"
#include "util/net.hpp"
#include "util/string_map.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>

namespace herald {

// The thread that owns the bus and the interest table, with an io_context of its own. Other
// threads reach it only through bus_port, whose calls are posted here. start and stop belong
// to the owner (the server), called from one thread.
//
// Requests to back ends go to the bus as they come. Answers come back through the one reply
// handler whichever connection brings them: the bus is started once, with it, and keeps
// delivering across reconnects. What a reconnect loses is lost for good: a request sent before
// it whose answer goes to the old connection's reply address (RabbitMQ names the node's queue
// anew on each connection, and deletes the old one with its connection) is never answered,
// and its caller's timeout ends it. A request asked for while the bus is not ready fails at
// once with the reason.
class bus_thread final : public bus_port {
public:
    // Called on the bus thread for each event some shard wants. `wanted` is the union of what
    // the reached keys want; `keys` are the subscribed keys the event reached (its own routing
    // key, and the patterns that match it). Both are valid only during the call.
    using fanout = std::function<void(const bus_event&, const interest::wanted& wanted,
                                      std::span<const interest::reached> keys)>;

    // The bus is made here, with the bus thread's executor, and destroyed with this object.
    // `kind_of` tells how each exchange matches routing keys (direct when empty).
    bus_thread(bus_factory make, fanout deliver, interest::kind_resolver kind_of = {});
    ~bus_thread();
    bus_thread(const bus_thread&) = delete;
    bus_thread& operator=(const bus_thread&) = delete;

    void start();
    // Stops the bus and joins the thread; no fanout after it returns. Idempotent, and final:
    // a stopped bus_thread does not start again.
    void stop();

    // `done` runs on the bus thread: at once with the reason when the bus is not ready.
    void publish(bus_event event, bus::publish_done done) override;
    void add_interest(std::string exchange, std::string routing_key, unsigned shard,
                      dialect_id dialect) override;
    void remove_interest(std::string exchange, std::string routing_key, unsigned shard,
                         dialect_id dialect) override;
    bool takes_every_event() const override { return bus_->takes_every_event(); }
    // `done` runs on the bus thread: at once with the reason when the bus is not ready.
    void send_request(bus_request request, bus::publish_done done) override;
    bool carries_requests() const override { return bus_->carries_requests(); }
    // Meant for before start; from any thread, it takes effect once the bus thread gets to it.
    void on_reply(bus::reply_handler handler) override;
    void open_mailbox(std::string identity, mailbox_settings settings, unsigned shard) override;
    void close_mailbox(std::string identity, unsigned shard) override;
    void wake_mailbox(std::string identity) override;
    void notify(std::string identity, std::string body, mailboxes::notify_done done) override;
    void on_mail(mail_handler handler) override;
    void acknowledge_mail(std::vector<std::string> identities, std::vector<std::string> ids,
                          mailboxes::acknowledge_done done) override;
    bool is_ready() const override { return ready_.load(std::memory_order_acquire); }
    std::string not_ready_reason() const override;

    // For tests and for broker buses that need to post back.
    net::any_io_executor executor() { return io_.get_executor(); }

    const counter& events_published() const { return events_published_; }
    const counter& events_routed() const { return events_routed_; }
    const counter& events_malformed() const { return events_malformed_; }
    const counter& mailbox_full() const { return mailbox_full_; }
    // Any thread: what the broker dropped before this node could take it.
    std::uint64_t events_dropped_by_broker() const { return bus_->dropped_events(); }

private:
    void on_event(const bus_event& event);
    void on_malformed(std::string_view exchange, std::string_view why);
    void on_reply_arrived(std::string_view correlation_id, std::string_view body);
    void on_readiness(bool ready, std::string reason);
    void set_readiness(bool ready, std::string reason);

    net::io_context io_{1};
    net::executor_work_guard<net::io_context::executor_type> work_;
    std::unique_ptr<bus> bus_; // declared after io_, so destroyed before it
    fanout deliver_;
    interest interest_;
    std::vector<interest::reached> reached_; // on_event's scratch, kept between events
    bus::reply_handler reply_handler_;       // bus thread only
    mail_handler mail_handler_;              // bus thread only
    // Bus thread only: the mailboxes some shard has open, with the shards (a bit each) and
    // the settings of the last registration; opened again after each reconnect.
    struct watched_mailbox {
        std::uint64_t shards = 0;
        mailbox_settings settings;
    };
    string_map<watched_mailbox> mailboxes_;
    // While any is watched: each minute every watched mailbox is opened again, so that an
    // identity lives while its sessions are here (each store counts a lifetime from the last
    // open) and mail whose tell was lost is taken all the same.
    net::steady_timer mailbox_timer_{io_};
    bool mailbox_timer_armed_ = false;
    void arm_mailbox_timer();
    // What is new in every watched mailbox (after a reconnect, and each minute).
    void take_every_mailbox();
    // Bus thread only. Subscriptions are sent only while the bus is ready: when it becomes
    // ready, every wanted topic is subscribed anyway.
    bool bus_ready_ = false;
    // Counts the bus's readiness reports: an after_subscriptions answer for an earlier one
    // must not say ready.
    std::uint64_t readiness_round_ = 0;

    enum class phase { created, running, stopped };
    phase phase_ = phase::created; // the owner's thread only
    std::thread thread_;

    std::atomic<bool> ready_{false};
    mutable std::mutex reason_mutex_;
    std::string reason_{"starting"};

    counter events_published_; // accepted for publishing on this node
    counter events_routed_;    // reached at least one shard of this node
    counter events_malformed_; // broker messages dropped: not an event
    counter mailbox_full_;     // notifies refused: the identity's mailbox was full
    std::chrono::steady_clock::time_point last_malformed_log_{};
};

} // namespace herald
