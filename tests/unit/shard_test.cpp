#include "quiet_bus.hpp"
#include "shard/shard.hpp"

#include <future>
#include <gtest/gtest.h>

namespace herald {
namespace {

using namespace std::chrono_literals;

using testing::quiet_bus;

// A session stand-in: counts the frames it is handed and the flushes it is given, and asks
// for a flush when it has none pending, as a real connection does.
struct counting_session final : subscriber,
                                shard_connection,
                                std::enable_shared_from_this<counting_session> {
    explicit counting_session(shard& s)
        : subscriber(0)
        , owner(s) {}
    ~counting_session() = default;

    void deliver(const shared_frame&) override {
        ++frames;
        if (!flush_requested) {
            flush_requested = true;
            owner.request_flush(shared_from_this());
        }
    }
    void flush() override {
        flush_requested = false;
        frames_at_flush.push_back(frames);
        if (frames_at_flush.size() == 1) {
            first_flush.set_value();
        }
    }
    void on_tick(steady_time) override {}
    void on_shutdown(steady_time) override {}
    void abort() override { unlink(); }

    shard& owner;
    int frames = 0;
    bool flush_requested = false;
    std::vector<int> frames_at_flush;
    std::promise<void> first_flush;
};

TEST(shard, a_burst_handed_over_before_the_shard_runs_leaves_in_one_flush_per_session) {
    quiet_bus bus;
    shard s(0, bus, 1, 0);
    auto session = std::make_shared<counting_session>(s);
    const auto key = topic_key("w", "k");
    s.hub().subscribe(*session, key); // before start: no other thread touches the hub yet
    auto event = std::make_shared<rendered_event>();
    event->frames[0] = std::make_shared<const std::string>("frame");
    const auto shared_key = std::make_shared<const std::vector<std::string>>(1, key);
    for (int i = 0; i < 300; ++i) {
        s.deliver(shared_key, event);
    }
    auto flushed = session->first_flush.get_future();
    s.start();
    ASSERT_EQ(flushed.wait_for(10s), std::future_status::ready);
    s.stop();
    EXPECT_EQ(session->frames, 300);
    EXPECT_EQ(session->frames_at_flush, std::vector<int>{300});
    EXPECT_EQ(s.metrics().deliveries.value(), 300u);
    s.hub().unsubscribe_all(*session);
}

TEST(shard, an_event_for_a_topic_nobody_holds_any_more_is_counted_as_dropped) {
    quiet_bus bus;
    shard s(0, bus, 1, 0);
    auto event = std::make_shared<rendered_event>();
    s.deliver(std::make_shared<const std::vector<std::string>>(1, topic_key("w", "gone")), event);
    std::promise<void> ran;
    s.start();
    net::post(s.context(), [&] { ran.set_value(); }); // behind the delivery
    ASSERT_EQ(ran.get_future().wait_for(10s), std::future_status::ready);
    s.stop();
    EXPECT_EQ(s.metrics().events_dropped.value(), 1u);
}

TEST(shard, a_handler_that_throws_is_counted_and_the_shard_runs_on) {
    quiet_bus bus;
    shard s(0, bus, 1, 0);
    s.start();
    net::post(s.context(), [] { throw std::bad_alloc(); });
    std::promise<void> ran;
    net::post(s.context(), [&] { ran.set_value(); });
    ASSERT_EQ(ran.get_future().wait_for(10s), std::future_status::ready);
    s.stop();
    EXPECT_EQ(s.metrics().handler_failures.value(), 1u);
}

TEST(shard, an_event_reaching_several_keys_of_one_session_is_delivered_to_it_once) {
    quiet_bus bus;
    shard s(0, bus, 1, 0);
    auto both = std::make_shared<counting_session>(s);
    auto one = std::make_shared<counting_session>(s);
    s.hub().subscribe(*both, topic_key("nodes", "nodes.#"));
    s.hub().subscribe(*both, topic_key("nodes", "*.created"));
    s.hub().subscribe(*one, topic_key("nodes", "*.created"));
    auto event = std::make_shared<rendered_event>();
    event->frames[0] = std::make_shared<const std::string>("frame");
    const auto keys = std::make_shared<const std::vector<std::string>>(
        std::vector<std::string>{topic_key("nodes", "nodes.#"), topic_key("nodes", "*.created")});
    s.deliver(keys, event); // "nodes.created" matched both patterns
    s.deliver(keys, event); // and a second event did too
    auto flushed = both->first_flush.get_future();
    s.start();
    ASSERT_EQ(flushed.wait_for(10s), std::future_status::ready);
    s.stop();
    EXPECT_EQ(both->frames, 2);
    EXPECT_EQ(one->frames, 2);
    EXPECT_EQ(s.metrics().deliveries.value(), 4u);
    s.hub().unsubscribe_all(*both);
    s.hub().unsubscribe_all(*one);
}

} // namespace
} // namespace herald
