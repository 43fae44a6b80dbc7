#pragma once
// Verifies the JSON Web Tokens that sessions present with the Authenticate action.

#include "auth/identity.hpp"

#include <boost/system/result.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

namespace herald {

enum class jwt_error {
    malformed = 1,         // not three base64url parts of JSON
    unsupported_algorithm, // "none", or an algorithm for which no key is configured
    bad_signature,
    expired,         // "exp" is in the past (beyond the leeway)
    not_yet_valid,   // "nbf" is in the future (beyond the leeway)
    missing_subject, // no "sub" string claim
};
std::string_view to_string(jwt_error);

struct jwt_settings {
    std::string hs256_secret;        // HS256 key; empty: HS256 tokens are refused
    std::string public_key_pem;      // RS256 or ES256 public key (PEM text); empty: both refused
    std::chrono::seconds leeway{30}; // clock skew allowed for exp and nbf
};

// Thread-safe after construction: every shard verifies with the same instance.
class jwt_verifier {
public:
    // Fails (with a readable message) when the public key does not parse.
    static boost::system::result<jwt_verifier, std::string> make(jwt_settings settings);

    boost::system::result<identity, jwt_error>
    verify(std::string_view token, std::chrono::system_clock::time_point now) const;

    bool enabled() const; // false when neither a secret nor a public key is configured

private:
    struct keys;
    explicit jwt_verifier(std::shared_ptr<const keys> k)
        : keys_(std::move(k)) {}
    std::shared_ptr<const keys> keys_;
};

} // namespace herald
