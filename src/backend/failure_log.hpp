#pragma once
// One log line per kind of back-end failure per minute, with the count so far: a dead back end
// must not flood the log, and must not go unnoticed either.

#include "protocol/backend_message.hpp"
#include "util/log.hpp"
#include "util/log_limiter.hpp"

#include <array>
#include <string_view>

namespace herald {

// Any thread.
class backend_failure_log {
public:
    void note(backend_status status, std::string_view why) {
        if (status == backend_status::answered) {
            return;
        }
        auto& limiter = limiters_[static_cast<std::size_t>(status)];
        if (limiter.allow()) {
            log::warn("back end: a request ended {} ({}); {} so far", to_string(status), why,
                      limiter.occurrences());
        }
    }

private:
    std::array<log_limiter, 5> limiters_;
};

} // namespace herald
