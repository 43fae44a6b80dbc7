#pragma once
// Who may subscribe to what: each exchange declared in the configuration has one policy.

#include "auth/identity.hpp"

#include <string_view>

namespace herald {

enum class exchange_access {
    open,          // "public": anyone, authenticated or not
    authenticated, // any authenticated session
    jwt,           // the session's token must grant the exchange and routing key
    backend,       // the application back end decides each subscription (docs/backend.md)
    closed,        // nobody: Herald's own exchanges (lifecycle events) unless declared otherwise
};

enum class access_decision { allow, auth_required, denied, ask_backend };

// `who` is null for an anonymous session.
access_decision decide(exchange_access access, const identity* who, std::string_view exchange,
                       std::string_view routing_key);

// A grant pattern is "exchange:routing-key"; each side is a glob where '*' matches any run of
// characters (also none) and '?' exactly one. The first ':' separates the two sides.
bool grant_matches(std::string_view pattern, std::string_view exchange,
                   std::string_view routing_key);

} // namespace herald
