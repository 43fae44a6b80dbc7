#include "auth/base64url.hpp"

#include <gtest/gtest.h>
#include <optional>
#include <string>
#include <vector>

namespace herald {
namespace {

using namespace std::string_literals;

// RFC 4648 §10, with the padding that base64url in a JWS leaves off.
const std::vector<std::pair<std::string, std::string>> rfc4648_vectors = {
    {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},          {"foo", "Zm9v"},
    {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
};

} // namespace

TEST(base64url, decodes_the_rfc_4648_vectors_without_padding) {
    for (const auto& [plain, encoded] : rfc4648_vectors) {
        EXPECT_EQ(base64url_decode(encoded), plain) << encoded;
    }
}

TEST(base64url, encodes_the_rfc_4648_vectors_without_padding) {
    for (const auto& [plain, encoded] : rfc4648_vectors) {
        EXPECT_EQ(base64url_encode(plain), encoded) << plain;
    }
}

TEST(base64url, decodes_the_empty_string_to_nothing) {
    const auto decoded = base64url_decode("");
    ASSERT_TRUE(decoded.has_value());
    EXPECT_TRUE(decoded->empty());
    EXPECT_TRUE(is_base64url(""));
}

TEST(base64url, uses_minus_and_underscore_where_base64_uses_plus_and_slash) {
    EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
    EXPECT_EQ(base64url_decode("-_8"), "\xfb\xff"s);
    EXPECT_EQ(base64url_decode("+/8"), std::nullopt);
}

TEST(base64url, rejects_a_length_that_no_encoding_produces) {
    for (const char* encoded : {"A", "Zm9vY", "Zm9vYmFyZ", "AAAAAAAAA"}) {
        EXPECT_EQ(base64url_decode(encoded), std::nullopt) << encoded;
        EXPECT_FALSE(is_base64url(encoded)) << encoded;
    }
}

TEST(base64url, no_encoding_has_a_length_of_one_more_than_a_multiple_of_four) {
    for (std::size_t size = 0; size < 64; ++size) {
        EXPECT_NE(base64url_encode(std::string(size, 'x')).size() % 4, 1u) << size;
    }
}

TEST(base64url, rejects_padding) {
    for (const char* encoded : {"Zg==", "Zm8=", "Zg=", "Zm9v====", "=Zm9"}) {
        EXPECT_EQ(base64url_decode(encoded), std::nullopt) << encoded;
        EXPECT_FALSE(is_base64url(encoded)) << encoded;
    }
}

TEST(base64url, rejects_bytes_outside_the_alphabet) {
    for (const std::string& encoded : {"Zm9+"s, "Zm9/"s, "Zm 9"s, "Zm9\n"s, "Zm9."s, "Zm9!"s,
                                       "Zm9\0"s, "Zm\xc3\xa9"s, "Zm9\x80"s}) {
        EXPECT_EQ(base64url_decode(encoded), std::nullopt) << encoded;
        EXPECT_FALSE(is_base64url(encoded)) << encoded;
    }
}

TEST(base64url, accepts_unused_trailing_bits_that_are_not_zero_as_the_verifier_always_has) {
    // "Zg" is the canonical encoding of "f"; "Zh" sets one of the four bits nothing decodes to.
    EXPECT_EQ(base64url_decode("Zh"), "f");
    EXPECT_EQ(base64url_decode("Zm9"), "fo");
    EXPECT_TRUE(is_base64url("Zh"));
}

TEST(base64url, round_trips_every_byte_at_every_position) {
    for (std::size_t size = 0; size <= 5; ++size) {
        for (int byte = 0; byte < 256; ++byte) {
            std::string plain(size, 'a');
            plain.push_back(static_cast<char>(byte));
            const std::string encoded = base64url_encode(plain);
            EXPECT_TRUE(is_base64url(encoded)) << encoded;
            EXPECT_EQ(base64url_decode(encoded), plain) << encoded;
        }
    }
}

TEST(base64url, decodes_a_large_input) {
    const std::string plain(300'000, '\x5a');
    EXPECT_EQ(base64url_decode(base64url_encode(plain)), plain);
}

} // namespace herald
