#include "shard/shard.hpp"

#include "util/log.hpp"

#include <boost/asio/post.hpp>

#include <fmt/format.h>

namespace herald {
namespace {
constexpr std::size_t read_buffer_bytes = 64 * 1024;
constexpr auto tick_period = std::chrono::milliseconds(250);
constexpr auto shutdown_tick_period = std::chrono::milliseconds(20);
} // namespace

shard::shard(unsigned index, bus_port& bus, std::size_t endpoints, std::size_t action_labels)
    : metrics_(endpoints, action_labels)
    , hub_(this)
    , directory_(this)
    , index_(index)
    , bus_(bus)
    , work_(io_.get_executor())
    , read_buffer_(read_buffer_bytes)
    , tick_timer_(io_) {}

shard::~shard() {
    stop();
}

void shard::start() {
    tick();
    thread_ = std::thread([this] { run(); });
}

void shard::run() {
    // A handler that throws ends what it was doing, not the node: connections catch what their
    // dialect throws; anything else that escapes is logged and the loop goes on.
    for (;;) {
        try {
            io_.run();
            return;
        } catch (const std::exception& e) {
            metrics_.handler_failures.add();
            log::error("shard {}: a handler failed: {}", index_, e.what());
        }
    }
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
    if (shutting_down_ && connections_.empty() && on_empty_) {
        std::exchange(on_empty_, nullptr)();
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
    if (!flush_posted_) {
        flush_posted_ = true;
        net::post(io_, [this] { flush_all(); });
    }
    flush_list_.push_back(std::move(c));
}

void shard::flush_all() {
    flush_posted_ = false;
    // Swap first: a flush may request another flush (e.g. a close right after the data).
    flushing_.swap(flush_list_);
    for (auto& c : flushing_) {
        c->flush();
    }
    flushing_.clear();
}

void shard::deliver(topic_keys keys, shared_event event) {
    bool wake;
    {
        std::lock_guard lock(inbox_mutex_);
        wake = inbox_.empty();
        inbox_.push_back({std::move(keys), nullptr, std::move(event)});
    }
    if (wake) {
        net::post(io_, [this] { drain_inbox(); });
    }
}

void shard::deliver(std::shared_ptr<const session_address> to, shared_event event) {
    bool wake;
    {
        std::lock_guard lock(inbox_mutex_);
        wake = inbox_.empty();
        inbox_.push_back({nullptr, std::move(to), std::move(event)});
    }
    if (wake) {
        net::post(io_, [this] { drain_inbox(); });
    }
}

std::size_t shard::deliver_now(const topic_keys& keys, const rendered_event& event) {
    if (keys->size() == 1) {
        return hub_.publish(keys->front(), event);
    }
    const auto stamp = ++stamps_;
    std::size_t delivered = 0;
    for (const auto& key : *keys) {
        delivered += hub_.publish(key, event, stamp);
    }
    return delivered;
}

void shard::drain_inbox() {
    {
        std::lock_guard lock(inbox_mutex_);
        draining_.swap(inbox_);
    }
    for (const auto& [keys, to, event] : draining_) {
        const std::size_t delivered =
            keys ? deliver_now(keys, *event) : directory_.deliver(*to, *event);
        if (delivered == 0) {
            metrics_.events_dropped.add();
        }
        metrics_.deliveries.add(delivered);
    }
    draining_.clear();
    if (draining_.capacity() > 1024) {
        draining_.shrink_to_fit(); // a burst's bookkeeping is not kept for good
    }
    flush_all();
}

void shard::topic_wanted(std::string_view key, dialect_id dialect) {
    bus_.add_interest(std::string(exchange_of(key)), std::string(routing_key_of(key)), index_,
                      dialect);
}

void shard::topic_unwanted(std::string_view key, dialect_id dialect) {
    bus_.remove_interest(std::string(exchange_of(key)), std::string(routing_key_of(key)), index_,
                         dialect);
}

// An identity's events travel on the bus as a topic of Herald's own exchange.
void shard::identity_wanted(std::string_view identity, dialect_id dialect) {
    bus_.add_interest(identity_exchange_, std::string(identity), index_, dialect);
}

void shard::identity_unwanted(std::string_view identity, dialect_id dialect) {
    bus_.remove_interest(identity_exchange_, std::string(identity), index_, dialect);
}

// Each registration refreshes the mailbox, and tells every node (this one too) in order, so
// that each keeps the newest max_connections sessions of the identity.
void shard::registered(std::string_view identity, std::uint64_t session,
                       std::chrono::seconds lifetime, std::uint32_t max_connections,
                       bool acknowledge) {
    auto settings = mailbox_bounds_;
    settings.lifetime = lifetime;
    settings.acknowledge = acknowledge;
    bus_.open_mailbox(std::string(identity), settings, index_);
    bus_.publish(
        {identity_exchange_,
         std::string(identity),
         std::string(registered_event),
         fmt::format(R"({{"session":"{:016x}","max_connections":{}}})", session, max_connections),
         {}},
        nullptr);
}

void shard::unregistered(std::string_view identity, std::uint64_t session, bool last) {
    bus_.publish({identity_exchange_,
                  std::string(identity),
                  std::string(left_event),
                  fmt::format(R"({{"session":"{:016x}"}})", session),
                  {}},
                 nullptr);
    if (last) {
        bus_.close_mailbox(std::string(identity), index_);
    }
}

void shard::hear_registration(std::string identity, std::uint64_t session,
                              std::uint32_t max_connections) {
    net::post(io_, [this, identity = std::move(identity), session, max_connections] {
        if (max_connections == 0) {
            directory_.heard_departure(identity, session);
        } else {
            directory_.heard_registration(identity, session, max_connections);
        }
    });
}

void shard::begin_shutdown(std::chrono::milliseconds spread, std::function<void()> on_empty) {
    net::post(io_, [this, spread, on_empty = std::move(on_empty)]() mutable {
        shutting_down_ = true;
        on_empty_ = std::move(on_empty);
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
