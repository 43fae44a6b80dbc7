#include "pubsub/routing_pattern.hpp"

#include <gtest/gtest.h>
#include <string>

namespace herald {
namespace {

TEST(topic_matches, a_star_is_exactly_one_word) {
    EXPECT_TRUE(topic_matches("*.created.*", "node.created.7"));
    EXPECT_FALSE(topic_matches("*.created.*", "created.7"));
    EXPECT_FALSE(topic_matches("*.created.*", "node.created.7.x"));
    EXPECT_TRUE(topic_matches("a.*", "a."));
}

TEST(topic_matches, a_hash_is_zero_or_more_words) {
    EXPECT_TRUE(topic_matches("nodes.#", "nodes"));
    EXPECT_TRUE(topic_matches("nodes.#", "nodes.1"));
    EXPECT_TRUE(topic_matches("nodes.#", "nodes.1.created"));
    EXPECT_FALSE(topic_matches("nodes.#", "node.1"));
    EXPECT_TRUE(topic_matches("#", ""));
    EXPECT_TRUE(topic_matches("#", "a.b.c"));
    EXPECT_TRUE(topic_matches("#.created", "created"));
    EXPECT_TRUE(topic_matches("a.#.z", "a.z"));
    EXPECT_TRUE(topic_matches("a.#.z", "a.b.c.z"));
}

TEST(topic_matches, words_without_wildcards_must_be_equal) {
    EXPECT_TRUE(topic_matches("a.b", "a.b"));
    EXPECT_FALSE(topic_matches("a.b", "a.bc"));
    EXPECT_FALSE(topic_matches("a*", "ab")); // a wildcard is a whole word, as in RabbitMQ
    EXPECT_TRUE(topic_matches("a*", "a*"));
    EXPECT_FALSE(topic_matches("", "a"));
    EXPECT_TRUE(topic_matches("", ""));
}

TEST(topic_matches, many_hashes_against_a_long_key_stay_cheap) {
    std::string pattern;
    for (int i = 0; i < 2000; ++i) {
        pattern += "#.";
    }
    pattern += "z";
    std::string key;
    for (int i = 0; i < 2000; ++i) {
        key += "a.";
    }
    key += "y";
    EXPECT_FALSE(topic_matches(pattern, key)); // 4 million steps at most, never exponential
}

TEST(routing_key_matches, each_kind_of_exchange_has_its_rule) {
    EXPECT_TRUE(routing_key_matches(exchange_kind::direct, "a.*", "a.*"));
    EXPECT_FALSE(routing_key_matches(exchange_kind::direct, "a.*", "a.b"));
    EXPECT_TRUE(routing_key_matches(exchange_kind::topic, "a.*", "a.b"));
    EXPECT_TRUE(routing_key_matches(exchange_kind::fanout, "whatever", "a.b"));
    EXPECT_FALSE(is_pattern(exchange_kind::direct, "a.#"));
    EXPECT_TRUE(is_pattern(exchange_kind::topic, "a.#"));
    EXPECT_FALSE(is_pattern(exchange_kind::topic, "a.b"));
    EXPECT_TRUE(is_pattern(exchange_kind::fanout, "a.b"));
}

} // namespace
} // namespace herald
