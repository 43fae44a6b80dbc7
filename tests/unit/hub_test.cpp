#include "pubsub/hub.hpp"
#include "pubsub/interest.hpp"

#include <algorithm>
#include <gtest/gtest.h>
#include <random>
#include <set>

namespace herald {
namespace {

struct recording_subscriber final : subscriber {
    int received = 0;
    void deliver(const event_frames&) override { ++received; }
};

event_frames some_frames() {
    return {std::make_shared<const std::string>("frame")};
}

TEST(hub, first_subscriber_of_a_topic_is_reported_first) {
    hub h;
    recording_subscriber a, b;
    EXPECT_EQ(h.subscribe(a, topic_key("widgets", "1")), hub::subscribe_outcome::added_first);
    EXPECT_EQ(h.subscribe(b, topic_key("widgets", "1")), hub::subscribe_outcome::added);
    EXPECT_EQ(h.subscribe(a, topic_key("widgets", "1")),
              hub::subscribe_outcome::already_subscribed);
}

TEST(hub, publish_reaches_only_subscribers_of_the_topic) {
    hub h;
    recording_subscriber a, b, c;
    h.subscribe(a, topic_key("widgets", "1"));
    h.subscribe(b, topic_key("widgets", "1"));
    h.subscribe(c, topic_key("widgets", "2"));
    EXPECT_EQ(h.publish(topic_key("widgets", "1"), some_frames()), 2u);
    EXPECT_EQ(a.received, 1);
    EXPECT_EQ(b.received, 1);
    EXPECT_EQ(c.received, 0);
}

TEST(hub, publish_skips_topics_without_local_subscribers) {
    hub h;
    EXPECT_EQ(h.publish(topic_key("nobody", "here"), some_frames()), 0u);
}

TEST(hub, last_unsubscribe_reports_the_topic_empty) {
    hub h;
    recording_subscriber a, b;
    h.subscribe(a, topic_key("w", "1"));
    h.subscribe(b, topic_key("w", "1"));
    EXPECT_FALSE(h.unsubscribe(a, topic_key("w", "1")));
    EXPECT_TRUE(h.unsubscribe(b, topic_key("w", "1")));
    EXPECT_EQ(h.topic_count(), 0u);
}

TEST(hub, unsubscribing_what_was_never_subscribed_changes_nothing) {
    hub h;
    recording_subscriber a, b;
    h.subscribe(a, topic_key("w", "1"));
    EXPECT_FALSE(h.unsubscribe(b, topic_key("w", "1")));
    EXPECT_EQ(h.publish(topic_key("w", "1"), some_frames()), 1u);
}

TEST(hub, unsubscribe_all_reports_each_emptied_topic_once) {
    hub h;
    recording_subscriber a, b;
    h.subscribe(a, topic_key("w", "1"));
    h.subscribe(a, topic_key("w", "2"));
    h.subscribe(b, topic_key("w", "2"));
    std::vector<std::string> emptied;
    h.unsubscribe_all(a, [&](const std::string& key) { emptied.push_back(key); });
    EXPECT_EQ(emptied, std::vector<std::string>{topic_key("w", "1")});
    EXPECT_EQ(a.subscription_count(), 0u);
    EXPECT_EQ(h.publish(topic_key("w", "2"), some_frames()), 1u);
    EXPECT_EQ(b.received, 1);
}

TEST(hub, topics_of_lists_a_subscribers_topics) {
    hub h;
    recording_subscriber a;
    h.subscribe(a, topic_key("w", "1"));
    h.subscribe(a, topic_key("x", "2"));
    auto topics = h.topics_of(a);
    std::sort(topics.begin(), topics.end());
    ASSERT_EQ(topics.size(), 2u);
    EXPECT_EQ(exchange_of(topics[0]), "w");
    EXPECT_EQ(routing_key_of(topics[1]), "2");
}

// The two halves of the index must agree after any sequence of operations.
TEST(hub, random_subscribe_and_unsubscribe_keep_both_indexes_consistent) {
    hub h;
    std::vector<recording_subscriber> subs(20);
    std::set<std::pair<int, int>> model; // (subscriber, topic)
    std::mt19937 random(7);
    for (int step = 0; step < 20000; ++step) {
        const int s = static_cast<int>(random() % subs.size());
        const int t = static_cast<int>(random() % 8);
        const auto key = topic_key("e", std::to_string(t));
        switch (random() % 3) {
        case 0:
            h.subscribe(subs[s], key);
            model.insert({s, t});
            break;
        case 1:
            h.unsubscribe(subs[s], key);
            model.erase({s, t});
            break;
        default:
            h.unsubscribe_all(subs[s], [](const std::string&) {});
            std::erase_if(model, [s](auto p) { return p.first == s; });
        }
    }
    for (auto& s : subs) {
        s.received = 0;
    }
    for (int t = 0; t < 8; ++t) {
        h.publish(topic_key("e", std::to_string(t)), some_frames());
    }
    for (std::size_t s = 0; s < subs.size(); ++s) {
        const auto expected = std::count_if(model.begin(), model.end(),
                                            [&](auto p) { return p.first == static_cast<int>(s); });
        EXPECT_EQ(subs[s].received, expected) << "subscriber " << s;
        EXPECT_EQ(subs[s].subscription_count(), static_cast<std::size_t>(expected));
    }
}

TEST(interest, first_shard_subscribes_and_last_shard_unsubscribes) {
    interest table;
    EXPECT_TRUE(table.add("k", 0));
    EXPECT_FALSE(table.add("k", 3));
    EXPECT_EQ(table.shards_for("k"), 0b1001u);
    EXPECT_FALSE(table.remove("k", 0));
    EXPECT_TRUE(table.remove("k", 3));
    EXPECT_EQ(table.shards_for("k"), 0u);
    EXPECT_FALSE(table.remove("k", 3));
}

} // namespace
} // namespace herald
