#include "auth/jwt_verifier.hpp"

#include "auth/base64url.hpp"
#include "auth/jose_header.hpp"
#include "auth/jwt_claims.hpp"

#include <array>
#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <optional>

namespace herald {

struct jwt_verifier::keys {
    std::string hs256_secret;
    std::string public_key_pem;
    // The one asymmetric algorithm the public key can verify (RS256 for RSA, ES256 for P-256),
    // none without a key: a token asking for the other one is refused up front.
    std::optional<jose_algorithm> public_alg;
    std::chrono::seconds leeway{30};
};

namespace {

struct jwt_deleter {
    void operator()(jwt_t* jwt) const { jwt_free(jwt); }
};
using jwt_ptr = std::unique_ptr<jwt_t, jwt_deleter>;

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
boost::system::result<jose_algorithm, std::string> public_key_algorithm(const std::string& pem) {
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
        return jose_algorithm::rs256;
    case EVP_PKEY_EC: {
        std::array<char, 64> group{};
        std::size_t length = 0;
        if (EVP_PKEY_get_group_name(key.get(), group.data(), group.size(), &length) != 1 ||
            std::string_view(group.data(), length) != "prime256v1") {
            return "public key: ES256 needs an EC key on P-256 (prime256v1), this one is on " +
                   std::string(group.data(), length);
        }
        return jose_algorithm::es256;
    }
    default:
        return std::string("public key: only RSA (RS256) and EC P-256 (ES256) keys are supported");
    }
}

jwt_alg_t libjwt_algorithm(jose_algorithm alg) {
    switch (alg) {
    case jose_algorithm::hs256:
        return JWT_ALG_HS256;
    case jose_algorithm::rs256:
        return JWT_ALG_RS256;
    case jose_algorithm::es256:
        return JWT_ALG_ES256;
    }
    return JWT_ALG_INVAL;
}

// libjwt 1.10 offers no way to check a signature alone: jwt_decode also parses both halves with
// its own JSON parser (jansson), and that result is thrown away.
bool signature_holds(const std::string& token, const std::string& key, jose_algorithm alg) {
    openssl_error_guard clear_errors;
    jwt_t* raw = nullptr;
    const int status =
        jwt_decode(&raw, token.c_str(), reinterpret_cast<const unsigned char*>(key.data()),
                   static_cast<int>(key.size()));
    const jwt_ptr jwt(raw);
    // libjwt reads "alg" itself, case-insensitively and from the last of repeated names; a token
    // that reads differently to it than to us must not have been checked with our key.
    return status == 0 && jwt && jwt_get_alg(jwt.get()) == libjwt_algorithm(alg);
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
        const auto encoded_header = token.substr(0, first_dot);
        const auto encoded_claims = token.substr(first_dot + 1, second_dot - first_dot - 1);
        const auto signature = token.substr(second_dot + 1);
        // The signature's encoding is checked here too: libjwt checks none of it before
        // verifying, so a mangled one would otherwise come back as bad_signature.
        const auto claims_json = base64url_decode(encoded_claims);
        if (encoded_claims.empty() || !claims_json || !is_base64url(signature)) {
            return jwt_error::malformed;
        }

        const auto header_json = base64url_decode(encoded_header);
        if (!header_json) {
            return jwt_error::malformed;
        }
        const auto header = parse_jose_header(*header_json);
        if (!header) {
            return header.error();
        }
        // The key follows from the algorithm, never the other way round: handing the public key
        // to an HS256 token would let anyone who knows the (public) key forge tokens.
        const std::string* key = nullptr;
        if (header->alg == jose_algorithm::hs256) {
            key = &keys_->hs256_secret;
        } else if (header->alg == keys_->public_alg) {
            key = &keys_->public_key_pem;
        }
        if (key == nullptr || key->empty()) {
            return jwt_error::unsupported_algorithm;
        }

        // Claims that are not a JSON object are malformed whatever the signature says; what
        // they claim counts only once the signature holds.
        const auto claims = jwt_claims::parse(*claims_json);
        if (!claims) {
            return claims.error();
        }
        if (!signature_holds(std::string(token), *key, header->alg)) {
            return jwt_error::bad_signature;
        }
        return claims->validate(now, keys_->leeway);
    } catch (...) {
        return jwt_error::malformed; // only allocation can throw here
    }
}

} // namespace herald
