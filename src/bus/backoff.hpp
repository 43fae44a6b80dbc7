#pragma once
// How long to wait before the next attempt at something that keeps failing (a connection, an
// exchange declaration).

#include <chrono>
#include <random>

namespace herald {

// Capped exponential backoff with jitter: about min, 2·min, 4·min … up to max, each drawn from
// the upper half of its step, so that nodes that lost the broker together do not come back in
// step. Owned by one thread (a bus's).
class backoff {
public:
    using duration = std::chrono::milliseconds;
    backoff(duration min, duration max);

    duration next();
    // After a success: the next failure waits about `min` again.
    void reset() { step_ = duration::zero(); }

private:
    duration min_;
    duration max_;
    duration step_{0};
    std::minstd_rand random_;
};

} // namespace herald
