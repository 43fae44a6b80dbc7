#include "auth/jwt_verifier.hpp"

#include <array>
#include <cstdint>
#include <cstdlib>
#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <optional>
#include <simdjson.h>

namespace herald {

struct jwt_verifier::keys {
    std::string hs256_secret;
    std::string public_key_pem;
    // The one asymmetric algorithm the public key can verify (RS256 for RSA, ES256 for P-256),
    // JWT_ALG_NONE without a key: a token asking for the other one is refused up front.
    jwt_alg_t public_alg = JWT_ALG_NONE;
    std::chrono::seconds leeway{30};
};

namespace {

using std::chrono::system_clock;

struct jwt_deleter {
    void operator()(jwt_t* jwt) const { jwt_free(jwt); }
};
using jwt_ptr = std::unique_ptr<jwt_t, jwt_deleter>;

// libjwt 1.10 has no jwt_free_str: its strings come from malloc.
struct malloc_deleter {
    void operator()(char* p) const { std::free(p); }
};
using malloc_string = std::unique_ptr<char, malloc_deleter>;

struct bio_deleter {
    void operator()(BIO* bio) const { BIO_free(bio); }
};
struct pkey_deleter {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};

// OpenSSL's error queue is per thread and shared with whatever else the thread does (TLS in the
// shards): a stale entry left by a failed parse or verification makes a later, unrelated
// SSL_get_error() report a failure. Drain it whenever we may have caused one.
struct openssl_error_guard {
    openssl_error_guard() = default;
    openssl_error_guard(const openssl_error_guard&) = delete;
    openssl_error_guard& operator=(const openssl_error_guard&) = delete;
    ~openssl_error_guard() { ERR_clear_error(); }
};

std::string openssl_error_text() {
    const unsigned long code = ERR_peek_last_error();
    if (code == 0) {
        return "unknown error";
    }
    std::array<char, 256> text{};
    ERR_error_string_n(code, text.data(), text.size());
    return text.data();
}

// Which asymmetric algorithm the PEM public key serves, or a message saying why it serves none.
boost::system::result<jwt_alg_t, std::string> public_key_algorithm(const std::string& pem) {
    openssl_error_guard clear_errors;
    std::unique_ptr<BIO, bio_deleter> bio(
        BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    if (!bio) {
        return std::string("public key: cannot allocate a memory BIO");
    }
    std::unique_ptr<EVP_PKEY, pkey_deleter> key(
        PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
    if (!key) {
        return "public key: not a PEM public key (\"-----BEGIN PUBLIC KEY-----\"): " +
               openssl_error_text();
    }
    switch (EVP_PKEY_get_base_id(key.get())) {
    case EVP_PKEY_RSA:
        return JWT_ALG_RS256;
    case EVP_PKEY_EC: {
        std::array<char, 64> group{};
        std::size_t length = 0;
        if (EVP_PKEY_get_group_name(key.get(), group.data(), group.size(), &length) != 1 ||
            std::string_view(group.data(), length) != "prime256v1") {
            return "public key: ES256 needs an EC key on P-256 (prime256v1), this one is on " +
                   std::string(group.data(), length);
        }
        return JWT_ALG_ES256;
    }
    default:
        return std::string("public key: only RSA (RS256) and EC P-256 (ES256) keys are supported");
    }
}

int base64url_value(char c) {
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '-') {
        return 62;
    }
    if (c == '_') {
        return 63;
    }
    return -1;
}

// Unpadded base64url as JWS (RFC 7515 §2) prescribes; padding or any other byte is refused.
std::optional<std::string> base64url_decode(std::string_view in) {
    if (in.size() % 4 == 1) {
        return std::nullopt;
    }
    std::string out;
    out.reserve(in.size() / 4 * 3 + 2);
    std::uint32_t bits = 0;
    int bit_count = 0;
    for (char c : in) {
        const int value = base64url_value(c);
        if (value < 0) {
            return std::nullopt;
        }
        bits = (bits << 6) | static_cast<std::uint32_t>(value);
        bit_count += 6;
        if (bit_count >= 8) {
            bit_count -= 8;
            out.push_back(static_cast<char>((bits >> bit_count) & 0xff));
        }
    }
    return out;
}

bool is_base64url(std::string_view in) {
    if (in.size() % 4 == 1) {
        return false;
    }
    for (char c : in) {
        if (base64url_value(c) < 0) {
            return false;
        }
    }
    return true;
}

// What the header asks for, read before any key is chosen.
boost::system::result<jwt_alg_t, jwt_error> header_algorithm(std::string_view encoded_header) {
    const auto header = base64url_decode(encoded_header);
    if (!header) {
        return jwt_error::malformed;
    }
    const simdjson::padded_string padded(*header);
    simdjson::dom::parser parser;
    simdjson::dom::object object;
    if (parser.parse(padded).get(object) != simdjson::SUCCESS) {
        return jwt_error::malformed;
    }
    std::string_view alg;
    if (object["alg"].get(alg) != simdjson::SUCCESS) {
        return jwt_error::malformed;
    }
    // libjwt 1.10 refuses any "typ" other than JWT after the fact; saying so here keeps that
    // from being reported as a bad signature.
    if (std::string_view typ; object["typ"].get(typ) == simdjson::SUCCESS) {
        if (typ.size() != 3 || (typ[0] | 0x20) != 'j' || (typ[1] | 0x20) != 'w' ||
            (typ[2] | 0x20) != 't') {
            return jwt_error::malformed;
        }
    } else if (object["typ"].error() != simdjson::NO_SUCH_FIELD) {
        return jwt_error::malformed;
    }
    // RFC 7515 §4.1.11: extensions listed in "crit" must be understood; we understand none.
    if (object["crit"].error() != simdjson::NO_SUCH_FIELD) {
        return jwt_error::malformed;
    }
    // Exact, case-sensitive names (libjwt itself would also take "hs256" or "NONE").
    if (alg == "HS256") {
        return JWT_ALG_HS256;
    }
    if (alg == "RS256") {
        return JWT_ALG_RS256;
    }
    if (alg == "ES256") {
        return JWT_ALG_ES256;
    }
    return jwt_error::unsupported_algorithm;
}

// A NumericDate (seconds since the epoch, integer or not) as a time point. Clamped to what
// system_clock can hold so that absurd values ("exp": 1e300) cannot overflow.
std::optional<system_clock::time_point> numeric_date(simdjson::dom::element value) {
    using seconds_f = std::chrono::duration<double>;
    constexpr double limit =
        std::chrono::duration_cast<std::chrono::seconds>(system_clock::duration::max()).count() -
        1.0;
    double seconds = 0;
    std::int64_t as_int = 0;
    std::uint64_t as_uint = 0;
    if (value.get(as_int) == simdjson::SUCCESS) {
        seconds = static_cast<double>(as_int);
    } else if (value.get(as_uint) == simdjson::SUCCESS) {
        seconds = static_cast<double>(as_uint);
    } else if (value.get(seconds) != simdjson::SUCCESS) {
        return std::nullopt;
    }
    if (seconds > limit) {
        seconds = limit;
    } else if (seconds < -limit) {
        seconds = -limit;
    }
    return system_clock::time_point(
        std::chrono::duration_cast<system_clock::duration>(seconds_f(seconds)));
}

enum class claim_presence { absent, present, invalid };

claim_presence read_date(simdjson::dom::object claims, const char* name,
                         system_clock::time_point& out) {
    simdjson::dom::element value;
    if (const auto error = claims[name].get(value); error == simdjson::NO_SUCH_FIELD) {
        return claim_presence::absent;
    } else if (error != simdjson::SUCCESS) {
        return claim_presence::invalid;
    }
    const auto date = numeric_date(value);
    if (!date) {
        return claim_presence::invalid;
    }
    out = *date;
    return claim_presence::present;
}

boost::system::result<identity, jwt_error> check_claims(jwt_t* jwt, system_clock::time_point now,
                                                        std::chrono::seconds leeway) {
    // The claims as libjwt parsed and verified them (duplicate names already resolved by it).
    const malloc_string json(jwt_get_grants_json(jwt, nullptr));
    if (!json) {
        return jwt_error::malformed;
    }
    const simdjson::padded_string padded(std::string_view(json.get()));
    simdjson::dom::parser parser;
    simdjson::dom::object claims;
    if (parser.parse(padded).get(claims) != simdjson::SUCCESS) {
        return jwt_error::malformed; // libjwt also accepts an array as the payload
    }

    identity who;
    system_clock::time_point exp;
    switch (read_date(claims, "exp", exp)) {
    case claim_presence::invalid:
        return jwt_error::malformed;
    case claim_presence::present:
        if (exp <= now - leeway) {
            return jwt_error::expired;
        }
        who.expires_at = exp;
        break;
    case claim_presence::absent:
        break;
    }
    system_clock::time_point nbf;
    switch (read_date(claims, "nbf", nbf)) {
    case claim_presence::invalid:
        return jwt_error::malformed;
    case claim_presence::present:
        if (nbf > now + leeway) {
            return jwt_error::not_yet_valid;
        }
        break;
    case claim_presence::absent:
        break;
    }

    std::string_view subject;
    if (claims["sub"].get(subject) != simdjson::SUCCESS || subject.empty()) {
        return jwt_error::missing_subject;
    }
    who.subject = std::string(subject);

    // Anything but an array of strings grants nothing rather than failing the token: a grant
    // that is not understood must not widen access, and the rest of the token is still valid.
    if (simdjson::dom::array channels; claims["channels"].get(channels) == simdjson::SUCCESS) {
        for (simdjson::dom::element channel : channels) {
            std::string_view text;
            if (channel.get(text) == simdjson::SUCCESS) {
                who.channels.emplace_back(text);
            }
        }
    }
    return who;
}

boost::system::result<identity, jwt_error> verify_token(const std::string& token,
                                                        const std::string& key, jwt_alg_t expected,
                                                        system_clock::time_point now,
                                                        std::chrono::seconds leeway) {
    openssl_error_guard clear_errors;
    jwt_t* raw = nullptr;
    const int status =
        jwt_decode(&raw, token.c_str(), reinterpret_cast<const unsigned char*>(key.data()),
                   static_cast<int>(key.size()));
    jwt_ptr jwt(raw);
    if (status != 0 || !jwt) {
        // libjwt answers EINVAL for a bad signature and for JSON its parser (jansson) refuses
        // alike. Parsing again without a key tells them apart; the result is only classified,
        // never trusted.
        jwt_t* unverified = nullptr;
        const int parse_status = jwt_decode(&unverified, token.c_str(), nullptr, 0);
        jwt_free(unverified);
        return parse_status == 0 ? jwt_error::bad_signature : jwt_error::malformed;
    }
    if (jwt_get_alg(jwt.get()) != expected) {
        return jwt_error::bad_signature;
    }
    return check_claims(jwt.get(), now, leeway);
}

} // namespace

std::string_view to_string(jwt_error error) {
    switch (error) {
    case jwt_error::malformed:
        return "malformed";
    case jwt_error::unsupported_algorithm:
        return "unsupported_algorithm";
    case jwt_error::bad_signature:
        return "bad_signature";
    case jwt_error::expired:
        return "expired";
    case jwt_error::not_yet_valid:
        return "not_yet_valid";
    case jwt_error::missing_subject:
        return "missing_subject";
    }
    return "unknown";
}

boost::system::result<jwt_verifier, std::string> jwt_verifier::make(jwt_settings settings) {
    if (settings.leeway.count() < 0) {
        return std::string("leeway must not be negative");
    }
    auto k = std::make_shared<keys>();
    if (!settings.public_key_pem.empty()) {
        auto alg = public_key_algorithm(settings.public_key_pem);
        if (!alg) {
            return alg.error();
        }
        k->public_alg = *alg;
    }
    k->hs256_secret = std::move(settings.hs256_secret);
    k->public_key_pem = std::move(settings.public_key_pem);
    k->leeway = settings.leeway;
    return jwt_verifier(std::move(k));
}

bool jwt_verifier::enabled() const {
    return !keys_->hs256_secret.empty() || !keys_->public_key_pem.empty();
}

boost::system::result<identity, jwt_error>
jwt_verifier::verify(std::string_view token, std::chrono::system_clock::time_point now) const {
    // Runs on whatever a client sends: nothing may escape, and every refusal is fail-closed.
    try {
        if (!enabled()) {
            return jwt_error::unsupported_algorithm;
        }
        const auto first_dot = token.find('.');
        const auto second_dot =
            first_dot == std::string_view::npos ? first_dot : token.find('.', first_dot + 1);
        if (second_dot == std::string_view::npos ||
            token.find('.', second_dot + 1) != std::string_view::npos) {
            return jwt_error::malformed;
        }
        const auto header = token.substr(0, first_dot);
        const auto payload = token.substr(first_dot + 1, second_dot - first_dot - 1);
        const auto signature = token.substr(second_dot + 1);
        // libjwt checks none of the signature's encoding before verifying, so a mangled one
        // would otherwise come back as bad_signature.
        if (payload.empty() || !is_base64url(payload) || !is_base64url(signature)) {
            return jwt_error::malformed;
        }

        const auto alg = header_algorithm(header);
        if (!alg) {
            return alg.error();
        }
        // The key follows from the algorithm, never the other way round: handing the public key
        // to an HS256 token would let anyone who knows the (public) key forge tokens.
        const std::string* key = nullptr;
        if (*alg == JWT_ALG_HS256) {
            key = &keys_->hs256_secret;
        } else if (*alg == keys_->public_alg) {
            key = &keys_->public_key_pem;
        }
        if (key == nullptr || key->empty()) {
            return jwt_error::unsupported_algorithm;
        }
        return verify_token(std::string(token), *key, *alg, now, keys_->leeway);
    } catch (...) {
        return jwt_error::malformed; // only allocation can throw here
    }
}

} // namespace herald
