#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace herald {

// Who a session is once authenticated. One identity may hold many sessions.
struct identity {
    std::string subject;               // the token's "sub" claim
    std::vector<std::string> channels; // "exchange:routing-key" patterns the token grants
    std::optional<std::chrono::system_clock::time_point> expires_at; // the token's "exp"
};

} // namespace herald
