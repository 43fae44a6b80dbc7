// The bus thread against a fake bus that records every call made to it.

#include "bus/bus_thread.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <future>
#include <gtest/gtest.h>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace herald {
namespace {

using namespace std::chrono_literals;

// What the fake bus saw, read by the test thread.
struct fake_record {
    std::mutex mutex;
    std::vector<std::string> calls; // "start", "stop", "subscribe ex rk", "unsubscribe ex rk"
    std::vector<bus_event> published;
    std::vector<bus_request> requests;
    std::vector<bool> port_ready_at_subscribe;
    int off_thread = 0;
    bus::handlers handlers;         // touched on the bus thread only
    const bus_port* port = nullptr; // set before start
};

class fake_bus final : public bus {
public:
    fake_bus(net::any_io_executor executor, std::shared_ptr<fake_record> record)
        : executor_(std::move(executor))
        , record_(std::move(record)) {}

    void start(handlers callbacks) override {
        note("start");
        record_->handlers = std::move(callbacks);
        record_->handlers.on_readiness(true, {});
    }
    void stop() override { note("stop"); }
    void publish(bus_event event, publish_done done) override {
        {
            std::lock_guard lock(record_->mutex);
            check_thread();
            record_->published.push_back(std::move(event));
        }
        if (done) {
            done({});
        }
    }
    bool carries_requests() const override { return true; }
    void send_request(bus_request request, publish_done done) override {
        {
            std::lock_guard lock(record_->mutex);
            check_thread();
            record_->requests.push_back(std::move(request));
        }
        if (done) {
            done({});
        }
    }
    void subscribe(std::string_view exchange, std::string_view routing_key) override {
        note("subscribe " + std::string(exchange) + " " + std::string(routing_key));
        std::lock_guard lock(record_->mutex);
        record_->port_ready_at_subscribe.push_back(record_->port->is_ready());
    }
    void unsubscribe(std::string_view exchange, std::string_view routing_key) override {
        note("unsubscribe " + std::string(exchange) + " " + std::string(routing_key));
    }

private:
    void note(std::string call) {
        std::lock_guard lock(record_->mutex);
        check_thread();
        record_->calls.push_back(std::move(call));
    }
    void check_thread() {
        const auto* io = executor_.target<net::io_context::executor_type>();
        if (io == nullptr || !io->running_in_this_thread()) {
            ++record_->off_thread;
        }
    }

    net::any_io_executor executor_;
    std::shared_ptr<fake_record> record_;
};

class bus_thread_test : public testing::Test {
protected:
    bus_thread_test() { fake->port = &subject; }

    void TearDown() override {
        subject.stop();
        std::lock_guard lock(fake->mutex);
        EXPECT_EQ(fake->off_thread, 0) << "calls to the bus made off the bus thread";
    }

    // Runs f on the bus thread and waits: afterwards, everything posted before has run too.
    template <class F> void on_bus(F f) {
        std::promise<void> done;
        auto finished = done.get_future();
        net::post(subject.executor(), [&] {
            f();
            done.set_value();
        });
        if (finished.wait_for(10s) != std::future_status::ready) {
            ADD_FAILURE() << "the bus thread is stuck";
            std::abort(); // f refers to this frame; it must not run after we return
        }
    }
    void settle() {
        on_bus([] {});
    }
    void report(bool ready, std::string reason) {
        on_bus([&] { fake->handlers.on_readiness(ready, reason); });
    }
    void arrive(bus_event event) {
        on_bus([&] { fake->handlers.on_event(event); });
    }
    std::vector<std::string> calls() {
        std::lock_guard lock(fake->mutex);
        return fake->calls;
    }

    struct delivery {
        bus_event event;
        interest::wanted wanted;
    };
    std::vector<delivery> fanned_out() {
        std::lock_guard lock(fanned_mutex_);
        return fanned_;
    }

    std::shared_ptr<fake_record> fake = std::make_shared<fake_record>();

private:
    std::mutex fanned_mutex_;
    std::vector<delivery> fanned_;

protected:
    // Last, so it stops (and joins) before what its callbacks touch is destroyed.
    bus_thread subject{
        [record = fake](net::any_io_executor executor) {
            return std::make_unique<fake_bus>(std::move(executor), record);
        },
        [this](const bus_event& e, const interest::wanted& w, std::span<const interest::reached>) {
            std::lock_guard lock(fanned_mutex_);
            fanned_.push_back({e, w});
        }};
};

bus_event event_on(std::string exchange, std::string routing_key, std::string payload = "1") {
    return {std::move(exchange), std::move(routing_key), "tick", std::move(payload), {}};
}

TEST_F(bus_thread_test, is_not_ready_before_start_and_says_it_is_starting) {
    EXPECT_FALSE(subject.is_ready());
    EXPECT_EQ(subject.not_ready_reason(), "starting");
    EXPECT_TRUE(calls().empty());
}

TEST_F(bus_thread_test, is_ready_once_the_bus_says_so) {
    subject.start();
    settle();
    EXPECT_TRUE(subject.is_ready());
    EXPECT_EQ(subject.not_ready_reason(), "");
    EXPECT_EQ(calls(), std::vector<std::string>{"start"});
}

TEST_F(bus_thread_test, the_first_interest_in_a_topic_subscribes_once) {
    subject.start();
    subject.add_interest("orders", "eu", 0, 0);
    subject.add_interest("orders", "eu", 1, 0); // another shard
    subject.add_interest("orders", "eu", 0, 1); // another dialect
    subject.add_interest("orders", "eu", 0, 0); // again
    settle();
    EXPECT_EQ(calls(), (std::vector<std::string>{"start", "subscribe orders eu"}));
}

TEST_F(bus_thread_test, only_the_last_removal_unsubscribes) {
    subject.start();
    subject.add_interest("orders", "eu", 0, 0);
    subject.add_interest("orders", "eu", 1, 0);
    subject.add_interest("orders", "eu", 0, 1);
    subject.remove_interest("orders", "eu", 0, 0);
    subject.remove_interest("orders", "eu", 1, 0);
    settle();
    EXPECT_EQ(calls(), (std::vector<std::string>{"start", "subscribe orders eu"}));
    subject.remove_interest("orders", "eu", 0, 1);
    settle();
    EXPECT_EQ(calls(),
              (std::vector<std::string>{"start", "subscribe orders eu", "unsubscribe orders eu"}));
}

TEST_F(bus_thread_test, interest_added_before_start_is_subscribed_once_the_bus_is_ready) {
    subject.add_interest("orders", "eu", 2, 0);
    subject.start();
    settle();
    EXPECT_EQ(calls(), (std::vector<std::string>{"start", "subscribe orders eu"}));
}

TEST_F(bus_thread_test, fanout_gets_the_shards_that_want_the_topic_in_each_dialect) {
    subject.start();
    subject.add_interest("orders", "eu", 0, 0);
    subject.add_interest("orders", "eu", 3, 0);
    subject.add_interest("orders", "eu", 5, 2);
    subject.add_interest("orders", "us", 1, 1); // another topic: not in the masks
    settle();
    arrive(event_on("orders", "eu", R"({"n":1})"));
    const auto out = fanned_out();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].event, event_on("orders", "eu", R"({"n":1})"));
    for (std::size_t d = 0; d < max_dialects; ++d) {
        const std::uint64_t expected = d == 0 ? 0b1001u : d == 2 ? 0b100000u : 0u;
        EXPECT_EQ(out[0].wanted.shards_by_dialect[d], expected) << "dialect " << d;
    }
    EXPECT_EQ(out[0].wanted.shards(), 0b101001u);
    EXPECT_EQ(subject.events_routed().value(), 1u);
}

TEST_F(bus_thread_test, an_event_nobody_wants_is_not_fanned_out) {
    subject.start();
    subject.add_interest("orders", "eu", 0, 0);
    subject.remove_interest("orders", "eu", 0, 0); // left while the event travelled
    settle();
    arrive(event_on("orders", "eu"));
    arrive(event_on("orders", "never"));
    EXPECT_TRUE(fanned_out().empty());
    EXPECT_EQ(subject.events_routed().value(), 0u);
}

TEST_F(bus_thread_test, after_the_bus_reconnects_every_wanted_topic_is_subscribed_again) {
    subject.start();
    subject.add_interest("a", "1", 0, 0);
    subject.add_interest("a", "1", 1, 1);
    subject.add_interest("a", "2", 0, 0);
    subject.add_interest("b", "", 0, 0);
    settle();
    ASSERT_TRUE(subject.is_ready());

    report(false, "connection refused");
    EXPECT_FALSE(subject.is_ready());
    EXPECT_EQ(subject.not_ready_reason(), "connection refused");
    // While the bus is down, interest changes are only recorded.
    subject.remove_interest("a", "2", 0, 0);
    subject.add_interest("c", "3", 4, 0);
    settle();
    const auto before = calls().size();
    EXPECT_EQ(before, 4u); // start and three subscribes

    {
        std::lock_guard lock(fake->mutex);
        fake->port_ready_at_subscribe.clear();
    }
    report(true, "");
    auto again = calls();
    again.erase(again.begin(), again.begin() + static_cast<std::ptrdiff_t>(before));
    std::sort(again.begin(), again.end());
    EXPECT_EQ(again, (std::vector<std::string>{"subscribe a 1", "subscribe b ", "subscribe c 3"}));
    EXPECT_TRUE(subject.is_ready());
    EXPECT_EQ(subject.not_ready_reason(), "");
    // Subscribed again before the node said ready, so /readyz is 200 only once events flow.
    std::lock_guard lock(fake->mutex);
    EXPECT_EQ(fake->port_ready_at_subscribe, (std::vector<bool>{false, false, false}));
}

TEST_F(bus_thread_test, a_bus_not_ready_without_a_reason_still_gives_one) {
    subject.start();
    report(false, "");
    EXPECT_FALSE(subject.is_ready());
    EXPECT_FALSE(subject.not_ready_reason().empty());
}

TEST_F(bus_thread_test, publishes_from_many_threads_all_arrive_and_are_counted) {
    subject.start();
    constexpr int threads = 8;
    constexpr int each = 500;
    std::vector<std::thread> publishers;
    for (int t = 0; t < threads; ++t) {
        publishers.emplace_back([this, t] {
            for (int i = 0; i < each; ++i) {
                subject.publish(event_on("ex", std::to_string(t), std::to_string(i)), {});
            }
        });
    }
    for (auto& p : publishers) {
        p.join();
    }
    settle();
    EXPECT_EQ(subject.events_published().value(), static_cast<std::uint64_t>(threads * each));
    std::lock_guard lock(fake->mutex);
    ASSERT_EQ(fake->published.size(), static_cast<std::size_t>(threads * each));
    // Each thread's events keep their order.
    std::vector<int> next(threads, 0);
    for (const auto& e : fake->published) {
        auto& n = next[std::stoi(e.routing_key)];
        EXPECT_EQ(e.payload, std::to_string(n));
        ++n;
    }
}

// What the reply handler got, and whether always on the bus thread.
struct reply_log {
    std::mutex mutex;
    std::vector<std::pair<std::string, std::string>> replies;
    int off_thread = 0;
};

bus::reply_handler log_replies(bus_thread& subject, std::shared_ptr<reply_log> log) {
    return [&subject, log](std::string_view correlation_id, std::string_view body) {
        const auto executor = subject.executor();
        const auto* io = executor.target<net::io_context::executor_type>();
        std::lock_guard lock(log->mutex);
        log->off_thread += io != nullptr && io->running_in_this_thread() ? 0 : 1;
        log->replies.emplace_back(correlation_id, body);
    };
}

TEST_F(bus_thread_test, a_request_goes_to_the_bus_and_its_answer_to_the_reply_handler) {
    auto log = std::make_shared<reply_log>();
    subject.on_reply(log_replies(subject, log));
    subject.start();
    EXPECT_TRUE(subject.carries_requests());
    std::promise<std::string> answered;
    subject.send_request({"work", "c-1", R"({"kind":"touch"})"},
                         [&](std::string_view error) { answered.set_value(std::string(error)); });
    auto answer = answered.get_future();
    ASSERT_EQ(answer.wait_for(10s), std::future_status::ready);
    EXPECT_EQ(answer.get(), "");
    {
        std::lock_guard lock(fake->mutex);
        EXPECT_EQ(fake->requests,
                  (std::vector<bus_request>{{"work", "c-1", R"({"kind":"touch"})"}}));
    }
    on_bus([&] { fake->handlers.on_reply("c-1", R"({"allow":true})"); });
    std::lock_guard lock(log->mutex);
    EXPECT_EQ(log->replies,
              (std::vector<std::pair<std::string, std::string>>{{"c-1", R"({"allow":true})"}}));
    EXPECT_EQ(log->off_thread, 0);
}

TEST_F(bus_thread_test, a_request_while_the_bus_is_not_ready_fails_at_once_with_the_reason) {
    subject.start();
    report(false, "connection refused");
    std::string why;
    subject.send_request({"work", "c-1", "{}"}, [&](std::string_view error) { why = error; });
    settle();
    EXPECT_EQ(why, "connection refused");
    std::lock_guard lock(fake->mutex);
    EXPECT_TRUE(fake->requests.empty());
}

TEST_F(bus_thread_test, answers_keep_coming_to_the_reply_handler_after_a_reconnect) {
    auto log = std::make_shared<reply_log>();
    subject.on_reply(log_replies(subject, log));
    subject.start();
    on_bus([&] { fake->handlers.on_reply("1", "{}"); });
    report(false, "connection lost");
    report(true, "");
    on_bus([&] { fake->handlers.on_reply("2", "{}"); });
    std::lock_guard lock(log->mutex);
    EXPECT_EQ(log->replies,
              (std::vector<std::pair<std::string, std::string>>{{"1", "{}"}, {"2", "{}"}}));
}

TEST_F(bus_thread_test, an_answer_with_no_reply_handler_set_is_dropped) {
    subject.start();
    on_bus([&] { fake->handlers.on_reply("1", "{}"); }); // nothing to call, nothing breaks
    EXPECT_TRUE(subject.is_ready());
}

TEST_F(bus_thread_test, stop_stops_the_bus_once_and_says_stopped) {
    subject.start();
    settle();
    subject.stop();
    subject.stop();
    EXPECT_FALSE(subject.is_ready());
    EXPECT_EQ(subject.not_ready_reason(), "stopped");
    EXPECT_EQ(calls(), (std::vector<std::string>{"start", "stop"}));
    // Calls after stop are harmless and reach nothing.
    subject.publish(event_on("ex", "k"), {});
    subject.add_interest("ex", "k", 0, 0);
    EXPECT_EQ(calls(), (std::vector<std::string>{"start", "stop"}));
}

TEST_F(bus_thread_test, stop_before_start_says_stopped_and_never_starts_the_bus) {
    subject.stop();
    subject.start();
    EXPECT_FALSE(subject.is_ready());
    EXPECT_EQ(subject.not_ready_reason(), "stopped");
    EXPECT_TRUE(calls().empty());
}

} // namespace
} // namespace herald
