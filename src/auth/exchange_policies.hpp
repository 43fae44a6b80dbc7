#pragma once
// The exchanges a node serves and who may subscribe to each.

#include "auth/access_policy.hpp"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herald {

// Immutable after start; read from every shard.
class exchange_policies {
public:
    using table = std::map<std::string, exchange_access, std::less<>>;

    // Empty: every exchange is public (zero set-up). "*" sets the policy of every exchange not
    // named.
    // `reserved`: exchanges of Herald's own (lifecycle events) that are closed to clients unless
    // `declared` names them, whatever "*" or an empty table would say.
    explicit exchange_policies(table declared = {}, std::vector<std::string> reserved = {})
        : declared_(std::move(declared))
        , reserved_(std::move(reserved)) {}

    // The policy of an exchange, or nullopt when it is not served (or is "").
    std::optional<exchange_access> access_of(std::string_view exchange) const;
    bool serves(std::string_view exchange) const { return access_of(exchange).has_value(); }
    const table& declared() const { return declared_; }

private:
    table declared_;
    std::vector<std::string> reserved_;
};

} // namespace herald
