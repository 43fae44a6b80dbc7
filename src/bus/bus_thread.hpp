#pragma once

#include "bus/bus.hpp"
#include "pubsub/interest.hpp"
#include "util/metrics.hpp"
#include "util/net.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <thread>

namespace herald {

// The thread that owns the bus client and the interest table. Shards reach it only by posting
// (publish, add_interest, remove_interest are safe from any thread).
class bus_thread {
public:
    // Called on the bus thread for every event some shard wants: `shards` is a bit set.
    using fanout = std::function<void(std::uint64_t shards, const bus_event&)>;

    bus_thread(std::unique_ptr<bus> client, fanout deliver);
    ~bus_thread();

    void start();
    void stop(); // joins the thread; idempotent

    void publish(bus_event event);
    void add_interest(std::string key, unsigned shard);
    void remove_interest(std::string key, unsigned shard);

    bool is_ready() const { return ready_.load(std::memory_order_relaxed); }
    const counter& events_published() const { return events_published_; }
    const counter& events_routed() const { return events_routed_; }

private:
    void on_event(const bus_event& event);

    net::io_context io_{1};
    net::executor_work_guard<net::io_context::executor_type> work_;
    std::unique_ptr<bus> client_;
    fanout deliver_;
    interest interest_;
    std::thread thread_;
    std::atomic<bool> ready_{false};
    counter events_published_; // accepted for publishing on this node
    counter events_routed_;    // reached at least one shard of this node
};

} // namespace herald
