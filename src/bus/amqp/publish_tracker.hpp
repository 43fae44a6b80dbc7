#pragma once

#include "bus/bus.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

namespace herald {

// The publishes the bus thread is waiting on: each one's `done` and the time by which it must
// be answered. The deadline is kept here rather than on the I/O thread because the I/O thread
// may be stuck in a send to a broker that stopped reading, and a publish must still be
// answered within the publish timeout. Each `done` leaves here once, so it runs once.
//
// Lives on the bus thread.
class publish_tracker {
public:
    using clock = std::chrono::steady_clock;
    explicit publish_tracker(std::chrono::milliseconds timeout)
        : timeout_(timeout) {}

    // The id the I/O thread will answer with; never 0.
    std::uint64_t add(bus::publish_done done, clock::time_point now);
    // The `done` of a publish still waiting, removed; empty when it was answered already.
    bus::publish_done take(std::uint64_t id);
    // The publishes whose deadline has passed, oldest first, removed.
    std::vector<bus::publish_done> take_expired(clock::time_point now);
    // When the oldest waiting publish times out. Ids grow with time and the timeout is one, so
    // the oldest is the first to expire.
    std::optional<clock::time_point> next_deadline() const;
    void clear() { waiting_.clear(); }
    std::size_t size() const { return waiting_.size(); }

private:
    struct waiting {
        bus::publish_done done;
        clock::time_point deadline;
    };
    std::chrono::milliseconds timeout_;
    std::uint64_t last_id_ = 0;
    std::map<std::uint64_t, waiting> waiting_;
};

} // namespace herald
