#pragma once
// The JOSE header of a JWS (RFC 7515 §4): what a token says about how it was signed.

#include "auth/jwt_verifier.hpp"

#include <boost/system/result.hpp>

#include <string_view>

namespace herald {

// The algorithms a key can be configured for; a token naming any other is refused.
enum class jose_algorithm { hs256, rs256, es256 };

struct jose_header {
    jose_algorithm alg;
};

// `json` is the decoded header. Pure: any thread may call it at any time.
// Refuses as malformed a header that is not an object, has no "alg" string, has a "typ" other
// than "JWT" (compared case-insensitively, RFC 7515 §4.1.9) or has a "crit" list; as
// unsupported_algorithm an "alg" other than exactly "HS256", "RS256" or "ES256".
// When a name repeats, the first occurrence counts.
boost::system::result<jose_header, jwt_error> parse_jose_header(std::string_view json);

} // namespace herald
