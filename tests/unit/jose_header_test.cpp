#include "auth/jose_header.hpp"

#include <gtest/gtest.h>
#include <ostream>

namespace herald {

// Readable failures. Internal linkage: every unit test shares one binary.
static void PrintTo(jwt_error error, std::ostream* os) {
    *os << to_string(error);
}

namespace {

jwt_error refusal(std::string_view json) {
    const auto header = parse_jose_header(json);
    EXPECT_FALSE(header.has_value()) << json;
    return header ? jwt_error{} : header.error();
}

} // namespace

TEST(jose_header, reads_each_algorithm_a_key_can_be_configured_for) {
    EXPECT_EQ(parse_jose_header(R"({"alg":"HS256"})")->alg, jose_algorithm::hs256);
    EXPECT_EQ(parse_jose_header(R"({"alg":"RS256"})")->alg, jose_algorithm::rs256);
    EXPECT_EQ(parse_jose_header(R"({"alg":"ES256"})")->alg, jose_algorithm::es256);
}

TEST(jose_header, algorithm_names_are_case_sensitive) {
    for (const char* json :
         {R"({"alg":"hs256"})", R"({"alg":"Hs256"})", R"({"alg":"rs256"})", R"({"alg":"es256"})"}) {
        EXPECT_EQ(refusal(json), jwt_error::unsupported_algorithm) << json;
    }
}

TEST(jose_header, other_algorithms_are_unsupported) {
    for (const char* json : {R"({"alg":"none"})", R"({"alg":"NONE"})", R"({"alg":"HS512"})",
                             R"({"alg":"RS384"})", R"({"alg":"PS256"})", R"({"alg":""})"}) {
        EXPECT_EQ(refusal(json), jwt_error::unsupported_algorithm) << json;
    }
}

TEST(jose_header, alg_that_is_missing_or_not_a_string_is_malformed) {
    for (const char* json : {R"({})", R"({"typ":"JWT"})", R"({"alg":256})", R"({"alg":null})",
                             R"({"alg":["HS256"]})", R"({"ALG":"HS256"})"}) {
        EXPECT_EQ(refusal(json), jwt_error::malformed) << json;
    }
}

TEST(jose_header, header_without_typ_is_accepted) {
    EXPECT_TRUE(parse_jose_header(R"({"alg":"HS256"})").has_value());
}

TEST(jose_header, typ_jwt_is_accepted_in_any_case) {
    for (const char* json :
         {R"({"alg":"HS256","typ":"JWT"})", R"({"alg":"HS256","typ":"jwt"})",
          R"({"alg":"HS256","typ":"jWt"})", R"({"alg":"HS256","typ":"\u004aWT"})"}) {
        EXPECT_TRUE(parse_jose_header(json).has_value()) << json;
    }
}

TEST(jose_header, any_other_typ_is_malformed) {
    for (const char* json : {R"({"alg":"HS256","typ":"at+jwt"})", R"({"alg":"HS256","typ":"JOSE"})",
                             R"({"alg":"HS256","typ":"JWTs"})", R"({"alg":"HS256","typ":""})",
                             R"({"alg":"HS256","typ":1})", R"({"alg":"HS256","typ":null})",
                             R"({"alg":"HS256","typ":["JWT"]})"}) {
        EXPECT_EQ(refusal(json), jwt_error::malformed) << json;
    }
}

TEST(jose_header, any_crit_member_is_malformed_because_no_extension_is_understood) {
    for (const char* json : {R"({"alg":"HS256","crit":["exp"]})", R"({"alg":"HS256","crit":[]})",
                             R"({"alg":"HS256","crit":null})"}) {
        EXPECT_EQ(refusal(json), jwt_error::malformed) << json;
    }
}

TEST(jose_header, a_broken_header_is_malformed_even_when_its_algorithm_is_unsupported) {
    EXPECT_EQ(refusal(R"({"alg":"none","typ":"JOSE"})"), jwt_error::malformed);
    EXPECT_EQ(refusal(R"({"alg":"none","crit":["b64"]})"), jwt_error::malformed);
}

TEST(jose_header, unknown_parameters_are_ignored) {
    const auto header = parse_jose_header(
        R"({"kid":"key-1","alg":"ES256","cty":"x","jku":"https://x","typ":"JWT"})");
    ASSERT_TRUE(header.has_value());
    EXPECT_EQ(header->alg, jose_algorithm::es256);
}

TEST(jose_header, the_first_of_repeated_names_counts) {
    EXPECT_EQ(parse_jose_header(R"({"alg":"HS256","alg":"RS256"})")->alg, jose_algorithm::hs256);
    EXPECT_EQ(refusal(R"({"alg":"hs256","alg":"HS256"})"), jwt_error::unsupported_algorithm);
}

TEST(jose_header, anything_but_one_json_object_is_malformed) {
    for (const char* json :
         {"", " ", "not json", "[1,2]", R"("HS256")", "null", R"({"alg":"HS256")",
          R"({"alg":"HS256"} trailing)", R"({"alg":"HS256"}{})"}) {
        EXPECT_EQ(refusal(json), jwt_error::malformed) << json;
    }
}

TEST(jose_header, invalid_utf8_is_malformed) {
    EXPECT_EQ(refusal("{\"alg\":\"HS256\",\"kid\":\"\xff\"}"), jwt_error::malformed);
}

} // namespace herald
