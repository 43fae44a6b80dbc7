#include "shard/shard.hpp"

#include "app/node_context.hpp"
#include "bus/bus_thread.hpp"

#include <boost/asio/post.hpp>

namespace herald {
namespace {
constexpr std::size_t read_buffer_bytes = 64 * 1024;
constexpr auto tick_period = std::chrono::milliseconds(250);
constexpr auto shutdown_tick_period = std::chrono::milliseconds(20);
} // namespace

shard::shard(unsigned index, node_context& node)
    : index_(index)
    , node_(node)
    , work_(io_.get_executor())
    , metrics_(node.settings.endpoints.size())
    , read_buffer_(read_buffer_bytes)
    , tick_timer_(io_) {}

shard::~shard() {
    stop();
}

void shard::start() {
    tick();
    thread_ = std::thread([this] { io_.run(); });
}

void shard::stop() {
    if (!thread_.joinable()) {
        return;
    }
    net::post(io_, [this] {
        tick_timer_.cancel();
        work_.reset();
        io_.stop();
    });
    thread_.join();
    // Connections still open are ended while the hub and metrics they touch are alive; the
    // io_context destroys the handlers that hold them afterwards.
    while (!connections_.empty()) {
        connections_.front().abort();
    }
}

void shard::tick() {
    now_ = std::chrono::steady_clock::now();
    wall_now_ = std::chrono::system_clock::now();
    // Timeouts: a connection may unlink itself (or others may die) while we walk, so step
    // past each one before calling it.
    for (auto it = connections_.begin(); it != connections_.end();) {
        auto& c = *it++;
        c.on_tick(now_);
    }
    if (shutting_down_ && connections_.empty()) {
        empty_.store(true, std::memory_order_release);
    }
    tick_timer_.expires_after(shutting_down_ ? shutdown_tick_period : tick_period);
    tick_timer_.async_wait([this](error_code ec) {
        // begin_shutdown cancels the wait to switch to the faster pace at once.
        if (!ec || shutting_down_) {
            tick();
        }
    });
}

void shard::request_flush(std::shared_ptr<shard_connection> c) {
    if (flush_list_.empty()) {
        net::post(io_, [this] { flush_all(); });
    }
    flush_list_.push_back(std::move(c));
}

void shard::flush_all() {
    // Swap first: a flush may request another flush (e.g. a close right after the data).
    flushing_.swap(flush_list_);
    for (auto& c : flushing_) {
        c->flush();
    }
    flushing_.clear();
}

hub::subscribe_outcome shard::subscribe(subscriber& who, std::string_view key) {
    auto outcome = hub_.subscribe(who, key);
    if (outcome == hub::subscribe_outcome::added_first) {
        node_.bus.add_interest(std::string(key), index_);
    }
    if (outcome != hub::subscribe_outcome::already_subscribed) {
        metrics_.subscriptions.add();
    }
    return outcome;
}

bool shard::unsubscribe(subscriber& who, std::string_view key) {
    const auto before = who.subscription_count();
    const bool emptied = hub_.unsubscribe(who, key);
    if (emptied) {
        node_.bus.remove_interest(std::string(key), index_);
    }
    const bool removed = who.subscription_count() < before;
    if (removed) {
        metrics_.subscriptions.sub();
    }
    return removed;
}

void shard::unsubscribe_all(subscriber& who) {
    metrics_.subscriptions.sub(static_cast<std::int64_t>(who.subscription_count()));
    hub_.unsubscribe_all(
        who, [this](const std::string& key) { node_.bus.remove_interest(key, index_); });
}

void shard::publish(std::shared_ptr<const std::string> key, event_frames frames) {
    net::post(io_, [this, key = std::move(key), frames = std::move(frames)] {
        const auto delivered = hub_.publish(*key, frames);
        if (delivered == 0) {
            metrics_.events_dropped.add();
        }
        metrics_.deliveries.add(delivered);
    });
}

void shard::begin_shutdown(std::chrono::milliseconds spread) {
    net::post(io_, [this, spread] {
        shutting_down_ = true;
        now_ = std::chrono::steady_clock::now();
        const auto count =
            static_cast<long>(std::distance(connections_.begin(), connections_.end()));
        long i = 0;
        for (auto it = connections_.begin(); it != connections_.end();) {
            auto& c = *it++;
            // The i-th of n connections closes at i/n of the spread.
            c.on_shutdown(now_ + (count > 0 ? spread * i / count : spread * 0));
            ++i;
        }
        tick_timer_.cancel(); // restart the tick at the shutdown pace
    });
}

} // namespace herald
