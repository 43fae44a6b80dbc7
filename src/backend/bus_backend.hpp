#pragma once

#include "backend/backend.hpp"
#include "backend/backend_settings.hpp"
#include "backend/failure_log.hpp"
#include "bus/bus_port.hpp"
#include "util/log_limiter.hpp"
#include "util/net.hpp"

#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

namespace herald {

// The back end over the broker: each request goes to one queue (RabbitMQ) or stream (Redis)
// that back-end workers consume as competing consumers, tagged with a correlation id; the
// answer comes back to this node only, through the bus, and is matched to its request here.
// An answer that matches nothing (it came after the timeout, or twice) is counted and logged.
// Thread-safe: shards ask, answers and send failures come on the bus thread, and deadlines are
// checked on a thread of its own; the table of pending requests is guarded by a mutex. The
// data path crosses no thread of its own: shard, bus thread, broker, bus thread, shard.
class bus_backend final : public backend {
public:
    // `destination`: the queue or stream; `node_id` goes into every correlation id.
    bus_backend(bus_port& bus, backend_settings settings, std::uint16_t node_id);
    ~bus_backend() override;

    void ask(std::string_view kind, std::string request, completion done) override;
    void start() override;
    void stop() override;
    const backend_counters& counters() const override { return counters_; }

private:
    using clock = std::chrono::steady_clock;
    struct pending {
        completion done;
    };

    void answer(const std::string& correlation_id, std::string body);
    void finish(const std::string& correlation_id, backend_status status, std::string body);
    void expire();

    bus_port& bus_;
    backend_settings settings_;
    std::string id_prefix_; // node id and a random number: ids never repeat across restarts
    std::uint64_t next_id_ = 0;
    backend_counters counters_;
    backend_failure_log failures_;
    log_limiter late_log_;
    net::io_context io_{1};
    net::executor_work_guard<net::io_context::executor_type> work_;
    std::thread thread_;
    std::mutex mutex_; // guards next_id_, pending_ and deadlines_
    std::unordered_map<std::string, pending> pending_;
    // Every request has the same timeout, so asking order is deadline order.
    std::deque<std::pair<clock::time_point, std::string>> deadlines_;
    net::steady_timer sweep_timer_;
};

} // namespace herald
