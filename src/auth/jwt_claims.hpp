#pragma once
// The claims of a JWT (RFC 7519 §4): who the token speaks for, until when, and what it grants.

#include "auth/identity.hpp"
#include "auth/jwt_verifier.hpp"

#include <boost/system/result.hpp>

#include <chrono>
#include <memory>
#include <string_view>

namespace herald {

// The decoded claims JSON, parsed once. Reading is split in two so that the verifier can refuse
// text that is not a JSON object before it checks the signature, and judge the claims only once
// the signature holds, without parsing twice.
// A value with no shared state: any thread may use its own instance; validate() is const and
// may run on one instance from several threads at once.
class jwt_claims {
public:
    // malformed unless `json` is one JSON object.
    static boost::system::result<jwt_claims, jwt_error> parse(std::string_view json);

    // "exp" and "nbf" are NumericDates (fractions allowed) checked against `now` give or take
    // `leeway`; "sub" must be a non-empty string; "channels" grants its string entries.
    // When a claim name repeats, the last occurrence counts, as libjwt has always read them.
    boost::system::result<identity, jwt_error> validate(std::chrono::system_clock::time_point now,
                                                        std::chrono::seconds leeway) const;

    jwt_claims(jwt_claims&&) noexcept;
    jwt_claims& operator=(jwt_claims&&) noexcept;
    ~jwt_claims();

private:
    struct document; // keeps simdjson out of every includer
    explicit jwt_claims(std::unique_ptr<const document> doc);
    std::unique_ptr<const document> doc_;
};

} // namespace herald
