#pragma once
// One log line per cause per period: a flood of bad input or a dead peer must not flood the
// log. Any thread may ask; at most one caller per period is told yes.

#include <atomic>
#include <chrono>
#include <cstdint>

namespace herald {

class log_limiter {
public:
    explicit log_limiter(std::chrono::seconds period = std::chrono::seconds(60))
        : period_(std::chrono::duration_cast<std::chrono::nanoseconds>(period).count()) {}

    // True when this occurrence may be logged; counts it either way.
    bool allow() {
        ++occurrences_;
        const std::int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::steady_clock::now().time_since_epoch())
                                     .count();
        std::int64_t last = last_.load(std::memory_order_relaxed);
        return (last == never || now - last >= period_) &&
               last_.compare_exchange_strong(last, now, std::memory_order_relaxed);
    }
    std::uint64_t occurrences() const { return occurrences_.load(std::memory_order_relaxed); }

private:
    static constexpr std::int64_t never = INT64_MIN;
    std::int64_t period_;
    std::atomic<std::int64_t> last_{never};
    std::atomic<std::uint64_t> occurrences_{0};
};

} // namespace herald
