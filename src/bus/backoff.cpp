#include "bus/backoff.hpp"

#include <algorithm>

namespace herald {

backoff::backoff(duration min, duration max)
    : min_(std::max(min, duration(1)))
    , max_(std::max(max, min_))
    , random_(std::random_device{}()) {}

backoff::duration backoff::next() {
    step_ = step_ == duration::zero() ? min_ : std::min(step_ * 2, max_);
    const auto low = std::max(min_, step_ / 2);
    std::uniform_int_distribution<duration::rep> pick(low.count(), step_.count());
    return duration(pick(random_));
}

} // namespace herald
