#include "auth/access_policy.hpp"

#include <chrono>
#include <gtest/gtest.h>
#include <string>

namespace herald {
namespace {

identity granted(std::vector<std::string> channels) {
    return identity{.subject = "alice", .channels = std::move(channels), .expires_at = {}};
}

} // namespace

TEST(access_policy, open_exchange_allows_everyone) {
    const auto who = granted({});
    EXPECT_EQ(decide(exchange_access::open, nullptr, "news", "eu"), access_decision::allow);
    EXPECT_EQ(decide(exchange_access::open, &who, "news", "eu"), access_decision::allow);
}

TEST(access_policy, authenticated_exchange_requires_a_session_identity) {
    const auto who = granted({});
    EXPECT_EQ(decide(exchange_access::authenticated, nullptr, "news", "eu"),
              access_decision::auth_required);
    EXPECT_EQ(decide(exchange_access::authenticated, &who, "news", "eu"), access_decision::allow);
}

TEST(access_policy, jwt_exchange_asks_anonymous_sessions_to_authenticate) {
    EXPECT_EQ(decide(exchange_access::jwt, nullptr, "orders", "42"),
              access_decision::auth_required);
}

TEST(access_policy, jwt_exchange_allows_a_matching_grant) {
    const auto who = granted({"prices:*", "orders:customer-7.*"});
    EXPECT_EQ(decide(exchange_access::jwt, &who, "orders", "customer-7.invoices"),
              access_decision::allow);
    EXPECT_EQ(decide(exchange_access::jwt, &who, "prices", "anything"), access_decision::allow);
}

TEST(access_policy, jwt_exchange_denies_without_a_matching_grant) {
    const auto who = granted({"orders:customer-7.*"});
    EXPECT_EQ(decide(exchange_access::jwt, &who, "orders", "customer-8.invoices"),
              access_decision::denied);
    EXPECT_EQ(decide(exchange_access::jwt, &who, "prices", "customer-7.x"),
              access_decision::denied);
    const auto nothing = granted({});
    EXPECT_EQ(decide(exchange_access::jwt, &nothing, "orders", "customer-7.x"),
              access_decision::denied);
}

TEST(grant_matches, exact_pattern_matches_only_itself) {
    EXPECT_TRUE(grant_matches("orders:eu.paris", "orders", "eu.paris"));
    EXPECT_FALSE(grant_matches("orders:eu.paris", "orders", "eu.pari"));
    EXPECT_FALSE(grant_matches("orders:eu.paris", "orders", "eu.parisx"));
    EXPECT_FALSE(grant_matches("orders:eu.paris", "order", "eu.paris"));
    EXPECT_FALSE(grant_matches("orders:eu.paris", "Orders", "eu.paris"));
}

TEST(grant_matches, star_matches_any_run_including_an_empty_one) {
    EXPECT_TRUE(grant_matches("orders:*", "orders", "anything.at.all"));
    EXPECT_TRUE(grant_matches("orders:*", "orders", ""));
    EXPECT_TRUE(grant_matches("orders:eu.*", "orders", "eu."));
    EXPECT_TRUE(grant_matches("orders:eu.*", "orders", "eu.paris.7"));
    EXPECT_TRUE(grant_matches("orders:*.paris", "orders", "eu.paris"));
    EXPECT_TRUE(grant_matches("orders:a*b*c", "orders", "abc"));
    EXPECT_TRUE(grant_matches("orders:a*b*c", "orders", "a-b-b-c"));
    EXPECT_TRUE(grant_matches("orders:**", "orders", "x"));
    EXPECT_FALSE(grant_matches("orders:eu.*", "orders", "us.paris"));
    EXPECT_FALSE(grant_matches("orders:a*b*c", "orders", "a-b-c-d"));
}

TEST(grant_matches, question_mark_matches_exactly_one_character) {
    EXPECT_TRUE(grant_matches("room:chat-?", "room", "chat-1"));
    EXPECT_FALSE(grant_matches("room:chat-?", "room", "chat-"));
    EXPECT_FALSE(grant_matches("room:chat-?", "room", "chat-12"));
    EXPECT_TRUE(grant_matches("room:chat-??", "room", "chat-12"));
    EXPECT_TRUE(grant_matches("room:?*", "room", "x"));
    EXPECT_FALSE(grant_matches("room:?*", "room", ""));
}

TEST(grant_matches, exchange_side_is_a_glob_too) {
    EXPECT_TRUE(grant_matches("*:eu", "orders", "eu"));
    EXPECT_TRUE(grant_matches("order?:eu", "orders", "eu"));
    EXPECT_TRUE(grant_matches("ord*:eu", "orders", "eu"));
    EXPECT_TRUE(grant_matches("*:*", "anything", "at.all"));
    EXPECT_FALSE(grant_matches("ord*:eu", "prices", "eu"));
    EXPECT_FALSE(grant_matches("*:eu", "orders", "us"));
}

TEST(grant_matches, only_the_first_colon_separates_the_sides) {
    EXPECT_TRUE(grant_matches("orders:a:b", "orders", "a:b"));
    EXPECT_TRUE(grant_matches("orders:*:b", "orders", "a:b"));
    EXPECT_FALSE(grant_matches("orders:a:b", "orders:a", "b"));
    EXPECT_TRUE(grant_matches(":*", "", "x"));
}

TEST(grant_matches, pattern_without_colon_matches_nothing) {
    EXPECT_FALSE(grant_matches("*", "orders", "eu"));
    EXPECT_FALSE(grant_matches("orders", "orders", ""));
    EXPECT_FALSE(grant_matches("", "", ""));
}

TEST(grant_matches, pathological_pattern_runs_fast) {
    // A recursive matcher takes exponential time here; the two-pointer one stays quadratic.
    std::string pattern = "x:";
    for (int i = 0; i < 200; ++i) {
        pattern += "a*";
    }
    pattern += "b";
    const std::string text(5000, 'a');
    const auto start = std::chrono::steady_clock::now();
    EXPECT_FALSE(grant_matches(pattern, "x", text));
    EXPECT_FALSE(grant_matches("x:a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", "x", text));
    EXPECT_TRUE(grant_matches(pattern.substr(0, pattern.size() - 1), "x", text));
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

} // namespace herald
