#include "auth/base64url.hpp"
#include "auth/jwt_verifier.hpp"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <gtest/gtest.h>
#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <ostream>
#include <stdexcept>
#include <thread>
#include <vector>

namespace herald {

// Readable failures: "expired" instead of "4-byte object". Internal linkage: every unit test
// shares one binary.
static void PrintTo(jwt_error error, std::ostream* os) {
    *os << to_string(error);
}

namespace {

using namespace std::chrono_literals;
using std::chrono::system_clock;

const std::string secret = "a-test-secret-of-more-than-32-bytes!";
const system_clock::time_point now = system_clock::from_time_t(1'700'000'000);
constexpr long now_s = 1'700'000'000;

struct key_pair {
    std::string private_pem;
    std::string public_pem;
};

std::string bio_text(BIO* bio) {
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<std::size_t>(size));
}

// Keys are generated per run so that no private key is ever committed.
key_pair to_pem(EVP_PKEY* key) {
    if (key == nullptr) {
        throw std::runtime_error("key generation failed");
    }
    BIO* priv = BIO_new(BIO_s_mem());
    BIO* pub = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(priv, key, nullptr, nullptr, 0, nullptr, nullptr);
    PEM_write_bio_PUBKEY(pub, key);
    key_pair pair{bio_text(priv), bio_text(pub)};
    BIO_free(priv);
    BIO_free(pub);
    EVP_PKEY_free(key);
    return pair;
}

const key_pair& rsa_key() {
    static const key_pair key =
        to_pem(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(2048)));
    return key;
}

const key_pair& other_rsa_key() {
    static const key_pair key =
        to_pem(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(2048)));
    return key;
}

const key_pair& ec_key() {
    static const key_pair key = to_pem(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    return key;
}

// Encodes `claims_json` (an object) with libjwt, the way an issuer would.
std::string encode(jwt_alg_t alg, std::string_view key, const std::string& claims_json) {
    jwt_t* jwt = nullptr;
    if (jwt_new(&jwt) != 0) {
        throw std::runtime_error("jwt_new failed");
    }
    if (jwt_add_grants_json(jwt, claims_json.c_str()) != 0 ||
        jwt_set_alg(jwt, alg, reinterpret_cast<const unsigned char*>(key.data()),
                    static_cast<int>(key.size())) != 0) {
        jwt_free(jwt);
        throw std::runtime_error("cannot build token");
    }
    char* text = jwt_encode_str(jwt);
    jwt_free(jwt);
    if (text == nullptr) {
        throw std::runtime_error("jwt_encode_str failed");
    }
    std::string token(text);
    std::free(text);
    return token;
}

std::string base64url(std::string_view in) {
    return base64url_encode(in);
}

// For headers libjwt's encoder will not write (lowercase alg, another typ, crit).
std::string hand_signed_hs256(std::string_view header_json, std::string_view claims_json,
                              std::string_view key = secret) {
    const std::string signing_input = base64url(header_json) + "." + base64url(claims_json);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_size = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size(), mac,
         &mac_size);
    return signing_input + "." +
           base64url(std::string_view(reinterpret_cast<const char*>(mac), mac_size));
}

jwt_verifier make_verifier(jwt_settings settings) {
    auto verifier = jwt_verifier::make(std::move(settings));
    if (!verifier) {
        throw std::runtime_error(verifier.error());
    }
    return std::move(*verifier);
}

jwt_settings secret_settings() {
    jwt_settings settings;
    settings.hs256_secret = secret;
    return settings;
}

jwt_settings public_key_settings(std::string pem) {
    jwt_settings settings;
    settings.public_key_pem = std::move(pem);
    return settings;
}

jwt_verifier hs256_verifier() {
    return make_verifier(secret_settings());
}

jwt_verifier public_key_verifier(const key_pair& key) {
    return make_verifier(public_key_settings(key.public_pem));
}

std::string claims_with(const std::string& extra) {
    return R"({"sub":"alice")" + (extra.empty() ? "" : "," + extra) + "}";
}

} // namespace

TEST(jwt_verifier, valid_hs256_token_yields_subject_and_expiry) {
    jwt_t* jwt = nullptr;
    ASSERT_EQ(jwt_new(&jwt), 0);
    jwt_add_grant(jwt, "sub", "alice");
    jwt_add_grant_int(jwt, "exp", now_s + 3600);
    jwt_set_alg(jwt, JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(secret.data()),
                static_cast<int>(secret.size()));
    char* text = jwt_encode_str(jwt);
    jwt_free(jwt);
    ASSERT_NE(text, nullptr);
    const std::string token(text);
    std::free(text);

    const auto who = hs256_verifier().verify(token, now);
    ASSERT_TRUE(who.has_value()) << to_string(who.error());
    EXPECT_EQ(who->subject, "alice");
    EXPECT_TRUE(who->channels.empty());
    ASSERT_TRUE(who->expires_at.has_value());
    EXPECT_EQ(*who->expires_at, now + 3600s);
}

TEST(jwt_verifier, valid_rs256_token_is_accepted) {
    const auto token = encode(JWT_ALG_RS256, rsa_key().private_pem, claims_with(""));
    const auto who = public_key_verifier(rsa_key()).verify(token, now);
    ASSERT_TRUE(who.has_value()) << to_string(who.error());
    EXPECT_EQ(who->subject, "alice");
    EXPECT_FALSE(who->expires_at.has_value());
}

TEST(jwt_verifier, valid_es256_token_is_accepted) {
    const auto token = encode(JWT_ALG_ES256, ec_key().private_pem, claims_with(""));
    const auto who = public_key_verifier(ec_key()).verify(token, now);
    ASSERT_TRUE(who.has_value()) << to_string(who.error());
    EXPECT_EQ(who->subject, "alice");
}

TEST(jwt_verifier, secret_and_public_key_can_be_configured_together) {
    const auto verifier =
        make_verifier({.hs256_secret = secret, .public_key_pem = rsa_key().public_pem});
    EXPECT_TRUE(verifier.verify(encode(JWT_ALG_HS256, secret, claims_with("")), now).has_value());
    EXPECT_TRUE(verifier.verify(encode(JWT_ALG_RS256, rsa_key().private_pem, claims_with("")), now)
                    .has_value());
}

TEST(jwt_verifier, token_signed_with_another_secret_has_a_bad_signature) {
    const auto token =
        encode(JWT_ALG_HS256, "another-secret-that-is-also-long-enough", claims_with(""));
    const auto who = hs256_verifier().verify(token, now);
    ASSERT_FALSE(who.has_value());
    EXPECT_EQ(who.error(), jwt_error::bad_signature);
}

TEST(jwt_verifier, token_signed_with_another_rsa_key_has_a_bad_signature) {
    const auto token = encode(JWT_ALG_RS256, other_rsa_key().private_pem, claims_with(""));
    const auto who = public_key_verifier(rsa_key()).verify(token, now);
    ASSERT_FALSE(who.has_value());
    EXPECT_EQ(who.error(), jwt_error::bad_signature);
}

TEST(jwt_verifier, token_with_a_changed_payload_has_a_bad_signature) {
    const auto token = encode(JWT_ALG_HS256, secret, claims_with(""));
    const auto first_dot = token.find('.');
    const auto second_dot = token.find('.', first_dot + 1);
    const auto forged = token.substr(0, first_dot + 1) + base64url(R"({"sub":"mallory"})") +
                        token.substr(second_dot);
    const auto who = hs256_verifier().verify(forged, now);
    ASSERT_FALSE(who.has_value());
    EXPECT_EQ(who.error(), jwt_error::bad_signature);
}

TEST(jwt_verifier, token_with_an_empty_signature_has_a_bad_signature) {
    const auto token = encode(JWT_ALG_HS256, secret, claims_with(""));
    const auto unsigned_token = token.substr(0, token.rfind('.') + 1);
    const auto who = hs256_verifier().verify(unsigned_token, now);
    ASSERT_FALSE(who.has_value());
    EXPECT_EQ(who.error(), jwt_error::bad_signature);
}

TEST(jwt_verifier, expired_token_is_refused) {
    const auto token =
        encode(JWT_ALG_HS256, secret, claims_with(R"("exp":)" + std::to_string(now_s - 31)));
    const auto who = hs256_verifier().verify(token, now);
    ASSERT_FALSE(who.has_value());
    EXPECT_EQ(who.error(), jwt_error::expired);
}

TEST(jwt_verifier, token_expired_within_the_leeway_is_accepted) {
    const auto token =
        encode(JWT_ALG_HS256, secret, claims_with(R"("exp":)" + std::to_string(now_s - 29)));
    const auto who = hs256_verifier().verify(token, now);
    ASSERT_TRUE(who.has_value()) << to_string(who.error());
    EXPECT_EQ(who->expires_at, now - 29s);
}

TEST(jwt_verifier, token_expiring_exactly_at_the_end_of_the_leeway_is_refused) {
    const auto token =
        encode(JWT_ALG_HS256, secret, claims_with(R"("exp":)" + std::to_string(now_s - 30)));
    const auto who = hs256_verifier().verify(token, now);
    ASSERT_FALSE(who.has_value());
    EXPECT_EQ(who.error(), jwt_error::expired);
}

TEST(jwt_verifier, zero_leeway_refuses_a_token_that_expired_a_second_ago) {
    const auto verifier =
        make_verifier({.hs256_secret = secret, .public_key_pem = {}, .leeway = 0s});
    const auto token =
        encode(JWT_ALG_HS256, secret, claims_with(R"("exp":)" + std::to_string(now_s - 1)));
    const auto who = verifier.verify(token, now);
    ASSERT_FALSE(who.has_value());
    EXPECT_EQ(who.error(), jwt_error::expired);
}

TEST(jwt_verifier, fractional_expiry_is_understood) {
    const auto token =
        encode(JWT_ALG_HS256, secret, claims_with(R"("exp":)" + std::to_string(now_s + 10) + ".5"));
    const auto who = hs256_verifier().verify(token, now);
    ASSERT_TRUE(who.has_value()) << to_string(who.error());
    EXPECT_EQ(who->expires_at, now + 10500ms);
}

TEST(jwt_verifier, absurdly_distant_expiry_does_not_overflow) {
    const auto token = encode(JWT_ALG_HS256, secret, claims_with(R"("exp":1e300)"));
    const auto who = hs256_verifier().verify(token, now);
    ASSERT_TRUE(who.has_value()) << to_string(who.error());
    EXPECT_GT(who->expires_at, now + 24h * 365 * 100);
}

TEST(jwt_verifier, expiry_that_is_not_a_number_is_malformed) {
    const auto token = encode(JWT_ALG_HS256, secret, claims_with(R"("exp":"tomorrow")"));
    const auto who = hs256_verifier().verify(token, now);
    ASSERT_FALSE(who.has_value());
    EXPECT_EQ(who.error(), jwt_error::malformed);
}

TEST(jwt_verifier, token_not_valid_before_a_future_time_is_refused) {
    const auto token =
        encode(JWT_ALG_HS256, secret, claims_with(R"("nbf":)" + std::to_string(now_s + 31)));
    const auto who = hs256_verifier().verify(token, now);
    ASSERT_FALSE(who.has_value());
    EXPECT_EQ(who.error(), jwt_error::not_yet_valid);
}

TEST(jwt_verifier, not_before_within_the_leeway_is_accepted) {
    const auto token =
        encode(JWT_ALG_HS256, secret, claims_with(R"("nbf":)" + std::to_string(now_s + 30)));
    EXPECT_TRUE(hs256_verifier().verify(token, now).has_value());
}

TEST(jwt_verifier, token_without_subject_is_refused) {
    const auto token =
        encode(JWT_ALG_HS256, secret, R"({"exp":)" + std::to_string(now_s + 60) + "}");
    const auto who = hs256_verifier().verify(token, now);
    ASSERT_FALSE(who.has_value());
    EXPECT_EQ(who.error(), jwt_error::missing_subject);
}

TEST(jwt_verifier, subject_that_is_not_a_string_is_refused) {
    for (const char* claims : {R"({"sub":42})", R"({"sub":null})", R"({"sub":""})"}) {
        const auto who = hs256_verifier().verify(encode(JWT_ALG_HS256, secret, claims), now);
        ASSERT_FALSE(who.has_value()) << claims;
        EXPECT_EQ(who.error(), jwt_error::missing_subject) << claims;
    }
}

TEST(jwt_verifier, unsigned_alg_none_token_is_refused) {
    jwt_t* jwt = nullptr;
    ASSERT_EQ(jwt_new(&jwt), 0);
    jwt_add_grant(jwt, "sub", "alice");
    char* text = jwt_encode_str(jwt); // no jwt_set_alg: libjwt writes "alg":"none"
    jwt_free(jwt);
    ASSERT_NE(text, nullptr);
    const std::string token(text);
    std::free(text);

    for (const auto& verifier : {hs256_verifier(), public_key_verifier(rsa_key())}) {
        const auto who = verifier.verify(token, now);
        ASSERT_FALSE(who.has_value());
        EXPECT_EQ(who.error(), jwt_error::unsupported_algorithm);
    }
}

TEST(jwt_verifier, algorithm_names_are_case_sensitive) {
    for (const char* header : {R"({"alg":"hs256"})", R"({"alg":"NONE"})", R"({"alg":"HS512"})"}) {
        const auto who = hs256_verifier().verify(hand_signed_hs256(header, claims_with("")), now);
        ASSERT_FALSE(who.has_value()) << header;
        EXPECT_EQ(who.error(), jwt_error::unsupported_algorithm) << header;
    }
}

TEST(jwt_verifier, hand_written_header_without_typ_is_accepted) {
    const auto who =
        hs256_verifier().verify(hand_signed_hs256(R"({"alg":"HS256"})", claims_with("")), now);
    EXPECT_TRUE(who.has_value()) << to_string(who.error());
}

TEST(jwt_verifier, header_with_another_typ_or_a_crit_list_is_malformed) {
    for (const char* header :
         {R"({"alg":"HS256","typ":"at+jwt"})", R"({"alg":"HS256","typ":1})",
          R"({"alg":"HS256","crit":["exp"]})", R"({"typ":"JWT"})", R"({"alg":256})"}) {
        const auto who = hs256_verifier().verify(hand_signed_hs256(header, claims_with("")), now);
        ASSERT_FALSE(who.has_value()) << header;
        EXPECT_EQ(who.error(), jwt_error::malformed) << header;
    }
}

TEST(jwt_verifier, hs256_token_is_refused_when_only_a_public_key_is_configured) {
    const auto token = encode(JWT_ALG_HS256, secret, claims_with(""));
    const auto who = public_key_verifier(rsa_key()).verify(token, now);
    ASSERT_FALSE(who.has_value());
    EXPECT_EQ(who.error(), jwt_error::unsupported_algorithm);
}

TEST(jwt_verifier, rs256_token_is_refused_when_only_a_secret_is_configured) {
    const auto token = encode(JWT_ALG_RS256, rsa_key().private_pem, claims_with(""));
    const auto who = hs256_verifier().verify(token, now);
    ASSERT_FALSE(who.has_value());
    EXPECT_EQ(who.error(), jwt_error::unsupported_algorithm);
}

TEST(jwt_verifier, es256_token_is_refused_when_the_public_key_is_rsa) {
    const auto token = encode(JWT_ALG_ES256, ec_key().private_pem, claims_with(""));
    const auto who = public_key_verifier(rsa_key()).verify(token, now);
    ASSERT_FALSE(who.has_value());
    EXPECT_EQ(who.error(), jwt_error::unsupported_algorithm);
}

TEST(jwt_verifier, token_signed_with_public_key_as_hmac_secret_is_refused) {
    // The classic algorithm-confusion forgery: the public key is public, so anyone can use its
    // PEM text as an HMAC secret. A verifier that picked the key before the algorithm would pass
    // the PEM to HMAC and accept this.
    for (const key_pair* key : {&rsa_key(), &ec_key()}) {
        const auto forged = encode(JWT_ALG_HS256, key->public_pem, R"({"sub":"root"})");
        const auto who = public_key_verifier(*key).verify(forged, now);
        ASSERT_FALSE(who.has_value());
        EXPECT_EQ(who.error(), jwt_error::unsupported_algorithm);
    }
}

TEST(jwt_verifier, header_whose_repeated_alg_libjwt_reads_differently_is_refused) {
    // We read the first "alg", libjwt the last. Were the key chosen by one reading and the check
    // made by the other, the public key's PEM text would serve as an HMAC secret.
    for (const key_pair* key : {&rsa_key(), &ec_key()}) {
        const std::string header = std::string(R"({"alg":")") +
                                   (key == &rsa_key() ? "RS256" : "ES256") + R"(","alg":"HS256"})";
        const auto forged = hand_signed_hs256(header, R"({"sub":"root"})", key->public_pem);
        const auto who = public_key_verifier(*key).verify(forged, now);
        ASSERT_FALSE(who.has_value()) << header;
        EXPECT_EQ(who.error(), jwt_error::bad_signature) << header;
    }
    const auto who = hs256_verifier().verify(
        hand_signed_hs256(R"({"alg":"HS256","alg":"RS256"})", claims_with("")), now);
    ASSERT_FALSE(who.has_value());
    EXPECT_EQ(who.error(), jwt_error::bad_signature);
}

TEST(jwt_verifier, repeated_claim_names_take_the_last_occurrence) {
    const auto who = hs256_verifier().verify(
        hand_signed_hs256(R"({"alg":"HS256"})", R"({"sub":"mallory","sub":"alice"})"), now);
    ASSERT_TRUE(who.has_value()) << to_string(who.error());
    EXPECT_EQ(who->subject, "alice");
}

TEST(jwt_verifier, claims_are_judged_only_once_the_signature_holds) {
    const auto forged = [](const std::string& claims) {
        return hand_signed_hs256(R"({"alg":"HS256"})", claims, "not-the-secret");
    };
    for (const std::string& claims :
         {std::string(R"({"sub":"alice","exp":1})"), std::string(R"({"exp":"tomorrow"})"),
          std::string(R"({"sub":42})"), claims_with(R"("nbf":1e300)")}) {
        const auto who = hs256_verifier().verify(forged(claims), now);
        ASSERT_FALSE(who.has_value()) << claims;
        EXPECT_EQ(who.error(), jwt_error::bad_signature) << claims;
    }
}

TEST(jwt_verifier, claims_that_are_not_one_json_object_are_malformed_whatever_the_signature) {
    for (const std::string_view key : {std::string_view(secret), std::string_view("not-it")}) {
        for (const char* claims : {R"(["an","array"])", "42", R"({"sub":"a"} trailing)"}) {
            const auto who =
                hs256_verifier().verify(hand_signed_hs256(R"({"alg":"HS256"})", claims, key), now);
            ASSERT_FALSE(who.has_value()) << claims;
            EXPECT_EQ(who.error(), jwt_error::malformed) << claims;
        }
    }
}

TEST(jwt_verifier, garbage_is_malformed) {
    const auto good = encode(JWT_ALG_HS256, secret, claims_with(""));
    const std::string header = good.substr(0, good.find('.'));
    const std::vector<std::string> garbage = {
        "",
        ".",
        "..",
        "...",
        "abc",
        "a.b",
        good + ".extra",
        "!!!.eyJzdWIiOiJhIn0.AAAA",
        base64url("not json") + "." + base64url(R"({"sub":"a"})") + ".AAAA",
        base64url("[1,2]") + "." + base64url(R"({"sub":"a"})") + ".AAAA",
        header + "." + base64url("not json") + ".AAAA",
        header + ".." + good.substr(good.rfind('.') + 1),
        header + ".eyJzdWIiOiJhIn0=.AAAA",
        header + ".eyJzdWIiOiJhIn0.A",
        header + ".eyJzdWIiOiJhIn0.AA AA",
        std::string("eyJhbGciOiJIUzI1NiJ9\0.eyJzdWIiOiJhIn0.AAAA", 42),
        good + std::string(1, '\0'),
        hand_signed_hs256(R"({"alg":"HS256"})", R"(["an","array"])"),
        hand_signed_hs256(R"({"alg":"HS256"})", R"({"sub":"a"} trailing)"),
        std::string(100'000, 'A'),
    };
    const auto verifier = hs256_verifier();
    for (const auto& token : garbage) {
        const auto who = verifier.verify(token, now);
        ASSERT_FALSE(who.has_value()) << token;
        EXPECT_EQ(who.error(), jwt_error::malformed) << token;
    }
}

TEST(jwt_verifier, channels_claim_is_parsed_ignoring_non_string_entries) {
    const auto token = encode(
        JWT_ALG_HS256, secret,
        claims_with(R"("channels":["orders:*",42,"prices:eu.?",null,{"x":1},"chat:room-1"])"));
    const auto who = hs256_verifier().verify(token, now);
    ASSERT_TRUE(who.has_value()) << to_string(who.error());
    EXPECT_EQ(who->channels, (std::vector<std::string>{"orders:*", "prices:eu.?", "chat:room-1"}));
}

TEST(jwt_verifier, channels_claim_that_is_not_an_array_grants_nothing) {
    const auto token = encode(JWT_ALG_HS256, secret, claims_with(R"("channels":"orders:*")"));
    const auto who = hs256_verifier().verify(token, now);
    ASSERT_TRUE(who.has_value()) << to_string(who.error());
    EXPECT_TRUE(who->channels.empty());
}

TEST(jwt_verifier, empty_settings_give_a_disabled_verifier_that_refuses_everything) {
    const auto verifier = make_verifier({});
    EXPECT_FALSE(verifier.enabled());
    const auto who = verifier.verify(encode(JWT_ALG_HS256, secret, claims_with("")), now);
    ASSERT_FALSE(who.has_value());
    EXPECT_EQ(who.error(), jwt_error::unsupported_algorithm);
    EXPECT_EQ(verifier.verify("garbage", now).error(), jwt_error::unsupported_algorithm);
}

TEST(jwt_verifier, configured_verifiers_are_enabled) {
    EXPECT_TRUE(hs256_verifier().enabled());
    EXPECT_TRUE(public_key_verifier(ec_key()).enabled());
}

TEST(jwt_verifier, public_key_that_does_not_parse_is_reported_by_make) {
    for (const std::string& pem :
         {std::string("not a key"), rsa_key().private_pem,
          std::string("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")}) {
        const auto verifier = jwt_verifier::make(public_key_settings(pem));
        ASSERT_FALSE(verifier.has_value());
        EXPECT_NE(verifier.error().find("public key"), std::string::npos) << verifier.error();
    }
}

TEST(jwt_verifier, ec_public_key_on_another_curve_is_reported_by_make) {
    const auto p384 = to_pem(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"));
    const auto verifier = jwt_verifier::make(public_key_settings(p384.public_pem));
    ASSERT_FALSE(verifier.has_value());
    EXPECT_NE(verifier.error().find("P-256"), std::string::npos) << verifier.error();
}

TEST(jwt_verifier, failed_verification_leaves_no_openssl_error_behind) {
    // A stale entry in the thread's OpenSSL error queue would make the shard's next TLS call fail.
    ERR_clear_error();
    const auto verifier = public_key_verifier(rsa_key());
    const auto token = encode(JWT_ALG_RS256, other_rsa_key().private_pem, claims_with(""));
    EXPECT_FALSE(verifier.verify(token, now).has_value());
    EXPECT_FALSE(verifier.verify(token.substr(0, token.rfind('.') + 1) + "AAAA", now).has_value());
    EXPECT_FALSE(jwt_verifier::make(public_key_settings("junk")).has_value());
    EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(jwt_verifier, error_names_are_short) {
    EXPECT_EQ(to_string(jwt_error::malformed), "malformed");
    EXPECT_EQ(to_string(jwt_error::unsupported_algorithm), "unsupported_algorithm");
    EXPECT_EQ(to_string(jwt_error::bad_signature), "bad_signature");
    EXPECT_EQ(to_string(jwt_error::expired), "expired");
    EXPECT_EQ(to_string(jwt_error::not_yet_valid), "not_yet_valid");
    EXPECT_EQ(to_string(jwt_error::missing_subject), "missing_subject");
}

TEST(jwt_verifier, one_instance_verifies_from_many_threads_at_once) {
    const auto verifier =
        make_verifier({.hs256_secret = secret, .public_key_pem = ec_key().public_pem});
    const auto hs = encode(JWT_ALG_HS256, secret, claims_with(R"("channels":["a:b"])"));
    const auto es = encode(JWT_ALG_ES256, ec_key().private_pem, claims_with(""));
    const auto bad = encode(JWT_ALG_HS256, "wrong-secret-wrong-secret-wrong-secret", "{}");
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 50; ++i) {
                if (!verifier.verify(hs, now) || !verifier.verify(es, now) ||
                    verifier.verify(bad, now)) {
                    ++failures;
                }
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    EXPECT_EQ(failures.load(), 0);
}

} // namespace herald
