#include "pubsub/interest.hpp"

#include <algorithm>
#include <gtest/gtest.h>
#include <tuple>

namespace herald {
namespace {

std::uint64_t shard_bit(unsigned shard) {
    return std::uint64_t{1} << shard;
}

TEST(interest, the_first_interest_in_a_topic_is_reported_and_later_ones_are_not) {
    interest table;
    EXPECT_TRUE(table.add("orders", "eu", 0, 0));
    EXPECT_FALSE(table.add("orders", "eu", 3, 0)); // another shard
    EXPECT_FALSE(table.add("orders", "eu", 0, 1)); // another dialect
    EXPECT_FALSE(table.add("orders", "eu", 0, 0)); // again
    EXPECT_EQ(table.topic_count(), 1u);
}

TEST(interest, only_the_last_removal_is_reported) {
    interest table;
    table.add("orders", "eu", 0, 0);
    table.add("orders", "eu", 3, 0);
    table.add("orders", "eu", 0, 1);
    EXPECT_FALSE(table.remove("orders", "eu", 0, 0));
    EXPECT_FALSE(table.remove("orders", "eu", 3, 0));
    EXPECT_TRUE(table.remove("orders", "eu", 0, 1));
    EXPECT_EQ(table.find("orders", "eu"), nullptr);
    EXPECT_EQ(table.topic_count(), 0u);
}

TEST(interest, removing_what_was_never_added_changes_nothing) {
    interest table;
    EXPECT_FALSE(table.remove("orders", "eu", 0, 0));
    table.add("orders", "eu", 1, 0);
    EXPECT_FALSE(table.remove("orders", "eu", 2, 0)); // another shard
    EXPECT_FALSE(table.remove("orders", "eu", 1, 1)); // another dialect
    ASSERT_NE(table.find("orders", "eu"), nullptr);
    EXPECT_EQ(table.find("orders", "eu")->shards(), shard_bit(1));
}

TEST(interest, the_masks_keep_each_dialects_shards_apart) {
    interest table;
    table.add("orders", "eu", 0, 0);
    table.add("orders", "eu", 3, 0);
    table.add("orders", "eu", 5, 2);
    const auto* wanted = table.find("orders", "eu");
    ASSERT_NE(wanted, nullptr);
    EXPECT_EQ(wanted->shards_by_dialect[0], shard_bit(0) | shard_bit(3));
    EXPECT_EQ(wanted->shards_by_dialect[1], 0u);
    EXPECT_EQ(wanted->shards_by_dialect[2], shard_bit(5));
    EXPECT_EQ(wanted->shards(), shard_bit(0) | shard_bit(3) | shard_bit(5));

    table.remove("orders", "eu", 3, 0);
    wanted = table.find("orders", "eu");
    ASSERT_NE(wanted, nullptr);
    EXPECT_EQ(wanted->shards_by_dialect[0], shard_bit(0));
    EXPECT_EQ(wanted->shards_by_dialect[2], shard_bit(5));
}

TEST(interest, the_highest_shard_and_dialect_fit) {
    interest table;
    EXPECT_TRUE(table.add("orders", "eu", 63, max_dialects - 1));
    const auto* wanted = table.find("orders", "eu");
    ASSERT_NE(wanted, nullptr);
    EXPECT_EQ(wanted->shards_by_dialect[max_dialects - 1], shard_bit(63));
    EXPECT_TRUE(table.remove("orders", "eu", 63, max_dialects - 1));
}

TEST(interest, a_topic_nobody_wants_is_not_found) {
    interest table;
    table.add("orders", "eu", 0, 0);
    EXPECT_EQ(table.find("orders", "us"), nullptr);
    EXPECT_EQ(table.find("order", "seu"), nullptr);
    EXPECT_EQ(table.find("", ""), nullptr);
}

TEST(interest, exchange_and_routing_key_are_kept_apart) {
    interest table;
    EXPECT_TRUE(table.add("a:b", "c", 0, 0));
    EXPECT_TRUE(table.add("a", "b:c", 1, 0));
    EXPECT_TRUE(table.add(std::string_view("a\0b", 3), "c", 2, 0));
    EXPECT_TRUE(table.add("a", std::string_view("b\0c", 3), 3, 0));
    EXPECT_EQ(table.topic_count(), 4u);
    EXPECT_EQ(table.find("a:b", "c")->shards(), shard_bit(0));
    EXPECT_EQ(table.find("a", "b:c")->shards(), shard_bit(1));
    EXPECT_EQ(table.find(std::string_view("a\0b", 3), "c")->shards(), shard_bit(2));
    EXPECT_EQ(table.find("a", std::string_view("b\0c", 3))->shards(), shard_bit(3));
}

TEST(interest, an_empty_routing_key_is_a_topic_of_its_own) {
    interest table;
    EXPECT_TRUE(table.add("fanout", "", 0, 0));
    EXPECT_TRUE(table.add("fanout", "x", 1, 0));
    EXPECT_EQ(table.find("fanout", "")->shards(), shard_bit(0));
}

TEST(interest, topics_lists_every_wanted_topic_once) {
    interest table;
    table.add("orders", "eu", 0, 0);
    table.add("orders", "eu", 1, 1);
    table.add("orders", "us", 0, 0);
    table.add("news", "", 2, 0);
    table.add("gone", "x", 0, 0);
    table.remove("gone", "x", 0, 0);
    auto all = table.topics();
    const auto by_name = [](const topic& a, const topic& b) {
        return std::tie(a.exchange, a.routing_key) < std::tie(b.exchange, b.routing_key);
    };
    std::sort(all.begin(), all.end(), by_name);
    EXPECT_EQ(all, (std::vector<topic>{{"news", ""}, {"orders", "eu"}, {"orders", "us"}}));
    EXPECT_EQ(table.topic_count(), 3u);
}

} // namespace
} // namespace herald
