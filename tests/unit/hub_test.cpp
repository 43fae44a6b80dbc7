#include "pubsub/hub.hpp"

#include <algorithm>
#include <gtest/gtest.h>
#include <random>
#include <set>

namespace herald {
namespace {

constexpr dialect_id first_dialect = 0;
constexpr dialect_id second_dialect = 1;

struct recording_subscriber final : subscriber {
    explicit recording_subscriber(dialect_id d = first_dialect)
        : subscriber(d) {}
    ~recording_subscriber() = default;
    int received = 0;
    std::vector<std::string> frames;
    void deliver(const shared_frame& frame) override {
        ++received;
        frames.push_back(*frame);
    }
};

// Records what the hub tells its shard: "+key/dialect" and "-key/dialect".
struct recording_observer final : hub_observer {
    std::vector<std::string> calls;
    void topic_wanted(std::string_view key, dialect_id d) override {
        calls.push_back("+" + std::string(routing_key_of(key)) + "/" + std::to_string(d));
    }
    void topic_unwanted(std::string_view key, dialect_id d) override {
        calls.push_back("-" + std::string(routing_key_of(key)) + "/" + std::to_string(d));
    }
};

rendered_event frames_for_both_dialects() {
    rendered_event e;
    e.frames[first_dialect] = std::make_shared<const std::string>("first");
    e.frames[second_dialect] = std::make_shared<const std::string>("second");
    return e;
}

TEST(hub, a_repeated_subscribe_is_reported_already_subscribed) {
    hub h;
    recording_subscriber a, b;
    EXPECT_EQ(h.subscribe(a, topic_key("widgets", "1")), hub::subscribe_outcome::added);
    EXPECT_EQ(h.subscribe(b, topic_key("widgets", "1")), hub::subscribe_outcome::added);
    EXPECT_EQ(h.subscribe(a, topic_key("widgets", "1")),
              hub::subscribe_outcome::already_subscribed);
    EXPECT_EQ(h.subscription_count(), 2u);
}

TEST(hub, the_observer_hears_of_the_first_and_last_subscriber_per_dialect) {
    recording_observer seen;
    hub h(&seen);
    recording_subscriber a, b, c(second_dialect);
    h.subscribe(a, topic_key("w", "k"));
    h.subscribe(b, topic_key("w", "k"));
    h.subscribe(c, topic_key("w", "k"));
    h.unsubscribe(a, topic_key("w", "k"));
    h.unsubscribe(c, topic_key("w", "k"));
    h.unsubscribe_all(b);
    EXPECT_EQ(seen.calls, (std::vector<std::string>{"+k/0", "+k/1", "-k/1", "-k/0"}));
    EXPECT_EQ(h.topic_count(), 0u);
}

TEST(hub, publish_reaches_only_subscribers_of_the_topic) {
    hub h;
    recording_subscriber a, b, c;
    h.subscribe(a, topic_key("widgets", "1"));
    h.subscribe(b, topic_key("widgets", "1"));
    h.subscribe(c, topic_key("widgets", "2"));
    EXPECT_EQ(h.publish(topic_key("widgets", "1"), frames_for_both_dialects()), 2u);
    EXPECT_EQ(a.received, 1);
    EXPECT_EQ(b.received, 1);
    EXPECT_EQ(c.received, 0);
}

TEST(hub, each_subscriber_gets_the_frame_of_its_own_dialect) {
    hub h;
    recording_subscriber a(first_dialect), b(second_dialect);
    h.subscribe(a, topic_key("w", "1"));
    h.subscribe(b, topic_key("w", "1"));
    h.publish(topic_key("w", "1"), frames_for_both_dialects());
    EXPECT_EQ(a.frames, std::vector<std::string>{"first"});
    EXPECT_EQ(b.frames, std::vector<std::string>{"second"});
}

TEST(hub, publish_skips_topics_without_local_subscribers) {
    hub h;
    EXPECT_EQ(h.publish(topic_key("nobody", "here"), frames_for_both_dialects()), 0u);
}

TEST(hub, last_unsubscribe_drops_the_topic) {
    hub h;
    recording_subscriber a, b;
    h.subscribe(a, topic_key("w", "1"));
    h.subscribe(b, topic_key("w", "1"));
    EXPECT_TRUE(h.unsubscribe(a, topic_key("w", "1")));
    EXPECT_EQ(h.topic_count(), 1u);
    EXPECT_TRUE(h.unsubscribe(b, topic_key("w", "1")));
    EXPECT_EQ(h.topic_count(), 0u);
}

TEST(hub, unsubscribing_what_was_never_subscribed_changes_nothing) {
    hub h;
    recording_subscriber a, b;
    h.subscribe(a, topic_key("w", "1"));
    EXPECT_FALSE(h.unsubscribe(b, topic_key("w", "1")));
    EXPECT_EQ(h.publish(topic_key("w", "1"), frames_for_both_dialects()), 1u);
}

TEST(hub, unsubscribe_all_removes_only_that_subscribers_topics) {
    recording_observer seen;
    hub h(&seen);
    recording_subscriber a, b;
    h.subscribe(a, topic_key("w", "1"));
    h.subscribe(a, topic_key("w", "2"));
    h.subscribe(b, topic_key("w", "2"));
    h.unsubscribe_all(a);
    EXPECT_EQ(seen.calls, (std::vector<std::string>{"+1/0", "+2/0", "-1/0"}));
    EXPECT_EQ(a.subscription_count(), 0u);
    EXPECT_EQ(h.topic_count(), 1u);
    EXPECT_EQ(h.publish(topic_key("w", "2"), frames_for_both_dialects()), 1u);
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
    recording_observer seen;
    hub h(&seen);
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
            h.unsubscribe_all(subs[s]);
            std::erase_if(model, [s](auto p) { return p.first == s; });
        }
    }
    for (auto& s : subs) {
        s.received = 0;
    }
    for (int t = 0; t < 8; ++t) {
        h.publish(topic_key("e", std::to_string(t)), frames_for_both_dialects());
    }
    for (std::size_t s = 0; s < subs.size(); ++s) {
        const auto expected = std::count_if(model.begin(), model.end(),
                                            [&](auto p) { return p.first == static_cast<int>(s); });
        EXPECT_EQ(subs[s].received, expected) << "subscriber " << s;
        EXPECT_EQ(subs[s].subscription_count(), static_cast<std::size_t>(expected));
    }
    EXPECT_EQ(h.subscription_count(), model.size());
    // Every topic still held was announced once more than it was withdrawn.
    const auto wanted = std::count_if(seen.calls.begin(), seen.calls.end(),
                                      [](const std::string& c) { return c[0] == '+'; });
    std::set<int> held;
    for (auto [s, t] : model) {
        held.insert(t);
    }
    EXPECT_EQ(static_cast<std::size_t>(wanted) - (seen.calls.size() - wanted), held.size());
    for (auto& s : subs) {
        h.unsubscribe_all(s);
    }
}

} // namespace
} // namespace herald
