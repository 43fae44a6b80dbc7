#include "auth/access_policy.hpp"

#include <string>

namespace herald {
namespace {

// '*' is any run of bytes (also none), '?' exactly one byte; everything else is literal.
// The classic two-pointer matcher: on a mismatch only the most recent '*' is retried, one byte
// further on. An earlier '*' never needs revisiting because the later one can absorb whatever it
// would have, so the work is O(pattern × text) at worst and never exponential — grant patterns
// come from tokens, which a client chooses.
bool glob_matches(std::string_view pattern, std::string_view text) {
    std::size_t p = 0;
    std::size_t t = 0;
    std::size_t star = std::string_view::npos; // position of the last '*' seen in pattern
    std::size_t star_text = 0;                 // where in text that '*' currently stops
    while (t < text.size()) {
        if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            star_text = t;
        } else if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
            ++p;
            ++t;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            t = ++star_text;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*') {
        ++p;
    }
    return p == pattern.size();
}

} // namespace

access_decision decide(exchange_access access, const identity* who, std::string_view exchange,
                       std::string_view routing_key) {
    switch (access) {
    case exchange_access::open:
        return access_decision::allow;
    case exchange_access::authenticated:
        return who != nullptr ? access_decision::allow : access_decision::auth_required;
    case exchange_access::jwt:
        if (who == nullptr) {
            return access_decision::auth_required;
        }
        for (const std::string& pattern : who->channels) {
            if (grant_matches(pattern, exchange, routing_key)) {
                return access_decision::allow;
            }
        }
        return access_decision::denied;
    case exchange_access::backend:
        return access_decision::ask_backend; // anonymous sessions too: the back end knows
    case exchange_access::closed:
        return access_decision::denied;
    }
    return access_decision::denied; // an unknown policy grants nothing
}

bool grant_matches(std::string_view pattern, std::string_view exchange,
                   std::string_view routing_key) {
    const auto colon = pattern.find(':');
    if (colon == std::string_view::npos) {
        return false; // a grant must name both sides; "*" alone is not "everything"
    }
    return glob_matches(pattern.substr(0, colon), exchange) &&
           glob_matches(pattern.substr(colon + 1), routing_key);
}

} // namespace herald
