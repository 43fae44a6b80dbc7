#include "auth/jwt_claims.hpp"

#include <gtest/gtest.h>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

namespace herald {

// Readable failures. Internal linkage: every unit test shares one binary.
static void PrintTo(jwt_error error, std::ostream* os) {
    *os << to_string(error);
}

namespace {

using namespace std::chrono_literals;
using std::chrono::system_clock;

const system_clock::time_point now = system_clock::from_time_t(1'700'000'000);
constexpr long now_s = 1'700'000'000;
constexpr std::chrono::seconds leeway = 30s;

boost::system::result<identity, jwt_error> validate(std::string_view json,
                                                    std::chrono::seconds skew = leeway) {
    auto claims = jwt_claims::parse(json);
    if (!claims) {
        return claims.error();
    }
    return claims->validate(now, skew);
}

// {"sub":"alice", <extra>}
std::string alice_with(const std::string& extra) {
    return R"({"sub":"alice")" + (extra.empty() ? "" : "," + extra) + "}";
}

std::string exp_in(long seconds) {
    return R"("exp":)" + std::to_string(now_s + seconds);
}

std::string nbf_in(long seconds) {
    return R"("nbf":)" + std::to_string(now_s + seconds);
}

} // namespace

TEST(jwt_claims, yields_subject_channels_and_expiry) {
    const auto who = validate(alice_with(exp_in(3600) + R"(,"channels":["orders:*"])"));
    ASSERT_TRUE(who.has_value()) << to_string(who.error());
    EXPECT_EQ(who->subject, "alice");
    EXPECT_EQ(who->channels, std::vector<std::string>{"orders:*"});
    EXPECT_EQ(who->expires_at, now + 3600s);
}

TEST(jwt_claims, register_as_is_a_name_or_a_list_of_names_and_objects) {
    auto one = validate(R"({"sub":"u","register_as":"ann"})");
    ASSERT_TRUE(one);
    EXPECT_EQ(one->registrations, (std::vector<registration>{{"ann", 0, 0}}));
    auto many = validate(R"({"sub":"u","register_as":["ann",{"identity":"team","lifetime":3600,)"
                         R"("max_connections":5},{"lifetime":1},7,""]})");
    ASSERT_TRUE(many);
    // What is not understood is left out, as grants are: the token stays valid.
    EXPECT_EQ(many->registrations, (std::vector<registration>{{"ann", 0, 0}, {"team", 3600, 5}}));
    auto kept = validate(R"({"sub":"u","register_as":[{"identity":"team","acknowledge":true}]})");
    ASSERT_TRUE(kept);
    EXPECT_EQ(kept->registrations, (std::vector<registration>{{"team", 0, 0, true}}));
    auto none = validate(R"({"sub":"u"})");
    ASSERT_TRUE(none);
    EXPECT_TRUE(none->registrations.empty());
}

TEST(jwt_claims, anything_but_one_json_object_does_not_parse) {
    for (const char* json : {"", " ", "not json", R"(["an","array"])", "42", R"("alice")", "null",
                             R"({"sub":"a")", R"({"sub":"a"} trailing)",
                             R"({"sub":"a"}{"sub":"b"})", R"({"sub":'a'})", "{\"sub\":\"\xff\"}"}) {
        const auto claims = jwt_claims::parse(json);
        ASSERT_FALSE(claims.has_value()) << json;
        EXPECT_EQ(claims.error(), jwt_error::malformed) << json;
    }
}

TEST(jwt_claims, subject_must_be_a_non_empty_string) {
    for (const char* json :
         {R"({})", R"({"sub":42})", R"({"sub":null})", R"({"sub":""})", R"({"sub":["alice"]})",
          R"({"sub":{"name":"alice"}})", R"({"sub":true})", R"({"SUB":"alice"})"}) {
        const auto who = validate(json);
        ASSERT_FALSE(who.has_value()) << json;
        EXPECT_EQ(who.error(), jwt_error::missing_subject) << json;
    }
}

TEST(jwt_claims, subject_escapes_are_decoded) {
    EXPECT_EQ(validate(R"({"sub":"al\u00efce \"A\""})")->subject, "al\xc3\xaf"
                                                                  "ce \"A\"");
}

TEST(jwt_claims, token_without_expiry_does_not_expire) {
    const auto who = validate(alice_with(""));
    ASSERT_TRUE(who.has_value()) << to_string(who.error());
    EXPECT_FALSE(who->expires_at.has_value());
}

TEST(jwt_claims, expiry_beyond_the_leeway_is_refused) {
    const auto who = validate(alice_with(exp_in(-31)));
    ASSERT_FALSE(who.has_value());
    EXPECT_EQ(who.error(), jwt_error::expired);
}

TEST(jwt_claims, expiry_within_the_leeway_is_accepted) {
    const auto who = validate(alice_with(exp_in(-29)));
    ASSERT_TRUE(who.has_value()) << to_string(who.error());
    EXPECT_EQ(who->expires_at, now - 29s);
}

TEST(jwt_claims, expiry_exactly_at_the_end_of_the_leeway_is_refused) {
    EXPECT_EQ(validate(alice_with(exp_in(-30))).error(), jwt_error::expired);
}

TEST(jwt_claims, zero_leeway_refuses_an_expiry_a_second_ago_and_accepts_one_a_second_ahead) {
    EXPECT_EQ(validate(alice_with(exp_in(-1)), 0s).error(), jwt_error::expired);
    EXPECT_EQ(validate(alice_with(exp_in(0)), 0s).error(), jwt_error::expired);
    EXPECT_TRUE(validate(alice_with(exp_in(1)), 0s).has_value());
}

TEST(jwt_claims, fractional_dates_are_understood) {
    const auto who = validate(alice_with(exp_in(10) + ".5"));
    ASSERT_TRUE(who.has_value()) << to_string(who.error());
    EXPECT_EQ(who->expires_at, now + 10500ms);
    EXPECT_EQ(validate(alice_with(exp_in(-31) + ".5")).error(), jwt_error::expired);
    EXPECT_TRUE(validate(alice_with(exp_in(-30) + ".5")).has_value());
    EXPECT_EQ(validate(alice_with(nbf_in(30) + ".5")).error(), jwt_error::not_yet_valid);
}

TEST(jwt_claims, dates_in_exponent_notation_are_understood) {
    const auto who = validate(alice_with(R"("exp":1.7000036e9)"));
    ASSERT_TRUE(who.has_value()) << to_string(who.error());
    EXPECT_EQ(who->expires_at, now + 3600s);
}

TEST(jwt_claims, absurdly_distant_dates_do_not_overflow) {
    for (const char* exp : {"1e300", "18446744073709551615", "9223372036854775807", "1.7e308"}) {
        const auto who = validate(alice_with(R"("exp":)" + std::string(exp)));
        ASSERT_TRUE(who.has_value()) << exp << ": " << to_string(who.error());
        EXPECT_GT(who->expires_at, now + 24h * 365 * 100) << exp;
    }
    for (const char* exp : {"-1e300", "-9223372036854775808", "-1.7e308"}) {
        EXPECT_EQ(validate(alice_with(R"("exp":)" + std::string(exp))).error(), jwt_error::expired)
            << exp;
    }
    EXPECT_EQ(validate(alice_with(R"("nbf":1e300)")).error(), jwt_error::not_yet_valid);
    EXPECT_TRUE(validate(alice_with(R"("nbf":-1e300)")).has_value());
}

TEST(jwt_claims, dates_that_are_not_numbers_are_malformed) {
    for (const char* value : {R"("tomorrow")", R"("1700000000")", "null", "true", "[1]", "{}"}) {
        for (const char* name : {"exp", "nbf"}) {
            const auto who =
                validate(alice_with("\"" + std::string(name) + "\":" + std::string(value)));
            ASSERT_FALSE(who.has_value()) << name << ": " << value;
            EXPECT_EQ(who.error(), jwt_error::malformed) << name << ": " << value;
        }
    }
}

TEST(jwt_claims, not_before_beyond_the_leeway_is_refused) {
    EXPECT_EQ(validate(alice_with(nbf_in(31))).error(), jwt_error::not_yet_valid);
}

TEST(jwt_claims, not_before_within_the_leeway_is_accepted) {
    EXPECT_TRUE(validate(alice_with(nbf_in(30))).has_value());
    EXPECT_TRUE(validate(alice_with(nbf_in(-3600))).has_value());
    EXPECT_EQ(validate(alice_with(nbf_in(1)), 0s).error(), jwt_error::not_yet_valid);
}

TEST(jwt_claims, expiry_is_judged_before_not_before_and_dates_before_the_subject) {
    EXPECT_EQ(validate(alice_with(exp_in(-60) + "," + nbf_in(60))).error(), jwt_error::expired);
    EXPECT_EQ(validate(alice_with(R"("exp":"x",)" + nbf_in(60))).error(), jwt_error::malformed);
    EXPECT_EQ(validate(alice_with(exp_in(60) + R"(,"nbf":"x")")).error(), jwt_error::malformed);
    EXPECT_EQ(validate(R"({"exp":"x"})").error(), jwt_error::malformed);
    EXPECT_EQ(validate("{" + exp_in(-60) + "}").error(), jwt_error::expired);
    EXPECT_EQ(validate("{" + nbf_in(60) + "}").error(), jwt_error::not_yet_valid);
}

TEST(jwt_claims, channels_grant_their_string_entries_in_order) {
    const auto who = validate(alice_with(
        R"("channels":["orders:*",42,"prices:eu.?",null,{"x":1},["a:b"],"chat:room-1"])"));
    ASSERT_TRUE(who.has_value()) << to_string(who.error());
    EXPECT_EQ(who->channels, (std::vector<std::string>{"orders:*", "prices:eu.?", "chat:room-1"}));
}

TEST(jwt_claims, channels_that_are_not_an_array_grant_nothing) {
    for (const char* value : {R"("orders:*")", "42", "null", R"({"orders":"*"})", "true", "[]"}) {
        const auto who = validate(alice_with(R"("channels":)" + std::string(value)));
        ASSERT_TRUE(who.has_value()) << value << ": " << to_string(who.error());
        EXPECT_TRUE(who->channels.empty()) << value;
    }
}

TEST(jwt_claims, unknown_claims_are_ignored) {
    const auto who = validate(R"({"iss":"me","aud":["x"],"sub":"alice","iat":"whenever","x":{}})");
    ASSERT_TRUE(who.has_value()) << to_string(who.error());
    EXPECT_EQ(who->subject, "alice");
}

TEST(jwt_claims, the_last_of_repeated_names_counts_as_libjwt_reads_them) {
    EXPECT_EQ(validate(R"({"sub":"mallory","sub":"alice"})")->subject, "alice");
    EXPECT_EQ(validate(R"({"sub":"alice","sub":42})").error(), jwt_error::missing_subject);
    EXPECT_TRUE(validate(alice_with(exp_in(-60) + "," + exp_in(60))).has_value());
    EXPECT_EQ(validate(alice_with(exp_in(60) + "," + exp_in(-60))).error(), jwt_error::expired);
    EXPECT_EQ(validate(alice_with(R"("channels":["a:b"],"channels":["c:d"])"))->channels,
              std::vector<std::string>{"c:d"});
}

TEST(jwt_claims, one_parse_can_be_validated_at_different_times) {
    const auto claims = jwt_claims::parse(alice_with(exp_in(60)));
    ASSERT_TRUE(claims.has_value());
    EXPECT_TRUE(claims->validate(now, 0s).has_value());
    EXPECT_EQ(claims->validate(now + 61s, 0s).error(), jwt_error::expired);
    EXPECT_TRUE(claims->validate(now + 61s, 30s).has_value());
}

TEST(jwt_claims, parsed_claims_survive_being_moved) {
    auto parsed = jwt_claims::parse(alice_with(R"("channels":["a:b"])"));
    ASSERT_TRUE(parsed.has_value());
    jwt_claims moved = std::move(*parsed);
    auto bob = jwt_claims::parse(R"({"sub":"bob"})");
    jwt_claims assigned = std::move(*bob);
    assigned = std::move(moved);
    const auto who = assigned.validate(now, leeway);
    ASSERT_TRUE(who.has_value()) << to_string(who.error());
    EXPECT_EQ(who->subject, "alice");
    EXPECT_EQ(who->channels, std::vector<std::string>{"a:b"});
}

TEST(jwt_claims, one_instance_validates_from_many_threads_at_once) {
    const auto claims = jwt_claims::parse(alice_with(exp_in(60) + R"(,"channels":["a:b"])"));
    ASSERT_TRUE(claims.has_value());
    std::vector<std::thread> threads;
    std::vector<int> failures(8, 0);
    for (int& failed : failures) {
        threads.emplace_back([&] {
            for (int i = 0; i < 200; ++i) {
                const auto who = claims->validate(now, leeway);
                failed += !who || who->subject != "alice" || who->channels.size() != 1;
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    for (const int failed : failures) {
        EXPECT_EQ(failed, 0);
    }
}

} // namespace herald
