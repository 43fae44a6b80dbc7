#pragma once
// Base64url without padding, the encoding of every part of a JWS (RFC 7515 §2).

#include <optional>
#include <string>
#include <string_view>

namespace herald {

// These functions are pure: any thread may call them at any time.

// Strict: "=" padding, any byte outside the base64url alphabet, and a length no encoding
// produces (4n + 1) are refused. Unused bits in the last character are not checked, as the
// verifier never did.
std::optional<std::string> base64url_decode(std::string_view in);

// Whether base64url_decode would succeed, without producing the bytes.
bool is_base64url(std::string_view in);

// Unpadded; what an issuer writes. The verifier needs only decoding; tests build tokens with it.
std::string base64url_encode(std::string_view in);

} // namespace herald
