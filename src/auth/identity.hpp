#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace herald {

// An identity with a mailbox the session registers as (docs/backend.md#identities-and-
// mailboxes); 0: the default.
struct registration {
    std::string name;
    std::uint32_t lifetime = 0; // seconds
    std::uint32_t max_connections = 0;
    bool acknowledge = false; // mail is kept until the client acknowledges it
    friend bool operator==(const registration&, const registration&) = default;
};

// Who a session is once authenticated. One identity may hold many sessions.
struct identity {
    std::string subject;               // the token's "sub" claim
    std::vector<std::string> channels; // "exchange:routing-key" patterns the token grants
    std::optional<std::chrono::system_clock::time_point> expires_at; // the token's "exp"
    std::vector<registration> registrations; // the token's "register_as" claim
};

} // namespace herald
