#pragma once

#include "pubsub/hub.hpp"
#include "shard/shard_connection.hpp"
#include "util/metrics.hpp"
#include "util/net.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/intrusive/list.hpp>

#include <memory>
#include <span>
#include <string>
#include <thread>
#include <vector>

namespace herald {

struct node_context;

// One thread running one io_context. It owns its connections and its hub; a session never
// migrates, so nothing here takes a lock. Other threads reach a shard only by posting.
class shard {
public:
    shard(unsigned index, node_context& node);
    ~shard();

    unsigned index() const { return index_; }
    net::io_context& context() { return io_; }
    node_context& node() { return node_; }
    shard_metrics& metrics() { return metrics_; }
    const shard_metrics& metrics() const { return metrics_; }
    const hub& subscriptions() const { return hub_; }

    // Scratch space for socket reads, shared by every connection of the shard: an idle
    // connection holds no read buffer.
    std::span<char> read_buffer() { return read_buffer_; }
    std::uint64_t next_session_number() { return ++sessions_started_; }
    steady_time now() const { return now_; }
    // The wall clock as of the last tick: for deadlines set in wall time, such as a token's
    // exp, read by every session on every tick.
    std::chrono::system_clock::time_point wall_now() const { return wall_now_; }

    void attach(shard_connection& c) { connections_.push_back(c); }
    std::size_t connection_count() const { return connections_.size(); }

    // Corking: a connection that wants to write joins the flush list, and one pass at the end
    // of the current batch of work writes for all of them, each in one syscall.
    void request_flush(std::shared_ptr<shard_connection> c);

    // The hub, plus telling the bus when this shard starts or stops wanting a topic.
    hub::subscribe_outcome subscribe(subscriber& who, std::string_view key);
    bool unsubscribe(subscriber& who, std::string_view key);
    void unsubscribe_all(subscriber& who);

    // Any thread: deliver an event to this shard's subscribers of `key`.
    void publish(std::shared_ptr<const std::string> key, event_frames frames);

    void start();
    // Any thread: close every connection, spread over `spread`; is_empty() turns true once
    // the shard holds no connection.
    void begin_shutdown(std::chrono::milliseconds spread);
    bool is_empty() const { return empty_.load(std::memory_order_acquire); }
    void stop(); // stops the io_context and joins the thread

private:
    void tick();
    void flush_all();

    unsigned index_;
    node_context& node_;
    net::io_context io_{1};
    net::executor_work_guard<net::io_context::executor_type> work_;
    std::thread thread_;
    hub hub_;
    shard_metrics metrics_;
    std::vector<char> read_buffer_;
    std::uint64_t sessions_started_ = 0;
    steady_time now_ = std::chrono::steady_clock::now();
    std::chrono::system_clock::time_point wall_now_ = std::chrono::system_clock::now();
    net::steady_timer tick_timer_;

    using connection_list =
        boost::intrusive::list<shard_connection, boost::intrusive::constant_time_size<false>>;
    connection_list connections_;
    std::vector<std::shared_ptr<shard_connection>> flush_list_;
    std::vector<std::shared_ptr<shard_connection>> flushing_;

    bool shutting_down_ = false;
    std::atomic<bool> empty_{false};
};

} // namespace herald
