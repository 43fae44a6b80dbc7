// The bus contract (src/bus/bus.hpp), run against every bus. Adding a bus is one line in
// INSTANTIATE_TEST_SUITE_P; a case whose factory is empty (no broker here) is skipped. Each case
// gets bus settings in which its exchanges "<prefix>topic" and "<prefix>fanout" are of those
// kinds and every other exchange is direct.
//
// Each case drives the bus on an io_context thread of its own, as the bus thread does, and
// waits for callbacks on a condition variable, never by sleeping. Topics get a prefix unique
// to the case, so runs sharing a broker do not hear each other.

#include "bus/bus.hpp"
#include "bus/bus_settings.hpp"
#include "bus/registry.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <future>
#include <gtest/gtest.h>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace herald {
namespace {

namespace net = boost::asio;
using namespace std::chrono_literals;

// Long enough for a broker on a loaded CI machine; a passing case never waits this long.
constexpr auto patience = 10s;

struct bus_case {
    std::string name;
    // Bus settings → a factory, or an empty one when the bus cannot run here.
    std::function<bus_factory(bus_settings)> make;
};

// The bus registry's choice for a URL, taken from the environment (scripts/test starts the
// brokers and sets it); no URL: skipped.
std::function<bus_factory(bus_settings)> bus_at(const char* variable) {
    return [variable](bus_settings settings) -> bus_factory {
        if (variable != nullptr) {
            const char* url = std::getenv(variable);
            if (url == nullptr || *url == '\0') {
                return {};
            }
            settings.urls = {url};
        }
        auto made = bus_for(settings);
        return made ? *made : bus_factory{};
    };
}

std::string case_name(const testing::TestParamInfo<bus_case>& info) {
    return info.param.name;
}

// So a failure names the bus rather than dumping the parameter's bytes.
void PrintTo(const bus_case& c, std::ostream* os) {
    *os << c.name;
}

bus_event make_event(std::string exchange, std::string routing_key, std::string payload,
                     std::string name = "tick", std::string extra = {}) {
    return {std::move(exchange), std::move(routing_key), std::move(name), std::move(payload),
            std::move(extra)};
}

class bus_contract : public testing::TestWithParam<bus_case> {
protected:
    void SetUp() override {
        static std::atomic<int> cases{0};
        prefix_ = "herald-test-" + std::to_string(::getpid()) + "-" +
                  std::to_string(cases.fetch_add(1)) + "-";
        bus_settings settings;
        settings.exchanges = {{prefix_ + "topic", exchange_kind::topic},
                              {prefix_ + "fanout", exchange_kind::fanout}};
        const auto factory = GetParam().make(settings);
        if (!factory) {
            GTEST_SKIP() << GetParam().name << " is not available here";
        }
        bus_ = factory(io_.get_executor());
        factory_ = factory;
        runner_ = std::thread([this] {
            io_.run();
            ran_out_.set_value();
        });
    }

    void TearDown() override {
        if (!bus_) {
            return;
        }
        if (started_ && !stopped()) {
            on_bus([this] { bus_->stop(); });
        }
        work_.reset();
        // A stopped bus leaves nothing on the executor, so the bus thread's run() returns.
        const bool drained = ran_out_.get_future().wait_for(patience) == std::future_status::ready;
        EXPECT_TRUE(drained) << "stop left work on the bus thread's executor";
        if (!drained) {
            io_.stop();
        }
        runner_.join();
        bus_.reset();
        std::lock_guard lock(mutex_);
        EXPECT_EQ(off_thread_, 0) << "callbacks made off the bus thread";
        EXPECT_EQ(after_stop_, 0) << "callbacks made after stop";
    }

    // Runs f on the bus thread and waits for it: every call to a bus comes from there.
    template <class F> void on_bus(F f) {
        std::promise<void> done;
        auto finished = done.get_future();
        net::post(io_, [&] {
            f();
            done.set_value();
        });
        if (finished.wait_for(patience) != std::future_status::ready) {
            ADD_FAILURE() << "the bus thread is stuck";
            std::abort(); // f refers to this frame; it must not run after we return
        }
    }

    bool start_and_wait_until_ready() {
        started_ = true;
        on_bus([this] {
            bus_->start(
                {[this](const bus_event& e) { record([&] { events_.push_back(e); }); },
                 [this](bool ready, std::string) { record([&] { readiness_.push_back(ready); }); },
                 [this](std::string_view, std::string_view why) {
                     record([&] { malformed_.emplace_back(why); });
                 }});
        });
        return wait([this] { return !readiness_.empty() && readiness_.back(); });
    }

    void subscribe(const std::string& exchange, const std::string& routing_key) {
        on_bus([&] { bus_->subscribe(exchange, routing_key); });
    }
    void unsubscribe(const std::string& exchange, const std::string& routing_key) {
        on_bus([&] { bus_->unsubscribe(exchange, routing_key); });
    }
    void publish(std::vector<bus_event> events) {
        on_bus([&] {
            for (auto& e : events) {
                bus_->publish(std::move(e), [this](std::string_view error) {
                    record([&] { confirms_.emplace_back(error); });
                });
            }
        });
    }

    // Waits until `arrived` holds, with the recorder locked.
    template <class Predicate> bool wait(Predicate arrived) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, patience, arrived);
    }
    bool wait_for_events(std::size_t n) {
        return wait([&] { return events_.size() >= n; });
    }
    std::vector<bus_event> events() {
        std::lock_guard lock(mutex_);
        return events_;
    }
    bool stopped() {
        std::lock_guard lock(mutex_);
        return stopped_;
    }

    // A name no other case or run uses, so a shared broker keeps cases apart.
    std::string exchange(std::string_view name) { return prefix_ + std::string(name); }
    std::vector<std::string> confirms() {
        std::lock_guard lock(mutex_);
        return confirms_;
    }
    std::size_t confirms_count() const { return confirms_.size(); } // within wait()

    net::io_context io_{1};
    bus_factory factory_; // for a case that needs a second connection: another node
    std::unique_ptr<bus> bus_;
    std::mutex mutex_;
    bool stopped_ = false; // set on the bus thread right after stop returns

    // Records what a callback brings, under the lock, and wakes wait().
    template <class F> void record(F f) {
        const bool on_bus_thread = io_.get_executor().running_in_this_thread();
        {
            std::lock_guard lock(mutex_);
            off_thread_ += on_bus_thread ? 0 : 1;
            after_stop_ += stopped_ ? 1 : 0;
            f();
        }
        changed_.notify_all();
    }

private:
    net::executor_work_guard<net::io_context::executor_type> work_{io_.get_executor()};
    std::thread runner_;
    std::promise<void> ran_out_;
    bool started_ = false;
    std::string prefix_;
    std::condition_variable changed_;
    std::vector<bus_event> events_;
    std::vector<bool> readiness_;
    std::vector<std::string> confirms_; // one per publish: "" or the reason
    std::vector<std::string> malformed_;
    int off_thread_ = 0;
    int after_stop_ = 0;
};

TEST_P(bus_contract, reports_ready_after_start) {
    EXPECT_TRUE(start_and_wait_until_ready());
}

TEST_P(bus_contract, a_subscribed_event_arrives_once_with_every_field_intact) {
    ASSERT_TRUE(start_and_wait_until_ready());
    const auto orders = exchange("orders");
    subscribe(orders, "eu.1");
    const auto sent = make_event(orders, "eu.1", R"({ "b" : 1.50, "s": "\u00e9é\"" })", "price",
                                 R"("id":7,"at":"x")");
    // The marker follows on the same topic: once it is in, a duplicate of `sent` would be too.
    publish({sent, make_event(orders, "eu.1", "\"marker\"")});
    ASSERT_TRUE(wait_for_events(2));
    on_bus([] {});
    const auto got = events();
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0], sent);
    EXPECT_EQ(got[0].payload, R"({ "b" : 1.50, "s": "\u00e9é\"" })");
    EXPECT_EQ(got[1].payload, "\"marker\"");
}

TEST_P(bus_contract, an_event_without_extra_members_arrives_with_extra_empty) {
    ASSERT_TRUE(start_and_wait_until_ready());
    const auto ex = exchange("plain");
    subscribe(ex, "k");
    publish({make_event(ex, "k", "[1,2,3]", "list")});
    ASSERT_TRUE(wait_for_events(1));
    EXPECT_EQ(events()[0], make_event(ex, "k", "[1,2,3]", "list"));
}

TEST_P(bus_contract, events_of_one_topic_arrive_in_publish_order) {
    ASSERT_TRUE(start_and_wait_until_ready());
    const auto ex = exchange("ordered");
    subscribe(ex, "k");
    constexpr int count = 1000;
    std::vector<bus_event> sent;
    for (int i = 0; i < count; ++i) {
        sent.push_back(make_event(ex, "k", std::to_string(i)));
    }
    publish(sent);
    ASSERT_TRUE(wait_for_events(count));
    on_bus([] {});
    const auto got = events();
    ASSERT_EQ(got.size(), static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) {
        ASSERT_EQ(got[i].payload, std::to_string(i)) << "event " << i;
    }
}

TEST_P(bus_contract, an_unsubscribed_topics_events_do_not_arrive) {
    ASSERT_TRUE(start_and_wait_until_ready());
    const auto ex = exchange("some");
    subscribe(ex, "marker");
    // The same routing key on another exchange, and another key on the same exchange.
    publish({make_event(exchange("other"), "marker", "1"), make_event(ex, "other", "2"),
             make_event(ex, "marker", "3")});
    ASSERT_TRUE(wait_for_events(1));
    on_bus([] {});
    const auto got = events();
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].payload, "3");
}

TEST_P(bus_contract, after_unsubscribe_nothing_more_arrives) {
    ASSERT_TRUE(start_and_wait_until_ready());
    const auto ex = exchange("going");
    subscribe(ex, "k");
    subscribe(ex, "marker");
    publish({make_event(ex, "k", "1")});
    ASSERT_TRUE(wait_for_events(1));
    unsubscribe(ex, "k");
    publish({make_event(ex, "k", "2"), make_event(ex, "marker", "3")});
    ASSERT_TRUE(wait_for_events(2));
    on_bus([] {});
    const auto got = events();
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].payload, "1");
    EXPECT_EQ(got[1].payload, "3");
}

TEST_P(bus_contract, subscribing_twice_is_one_subscription_that_one_unsubscribe_ends) {
    ASSERT_TRUE(start_and_wait_until_ready());
    const auto ex = exchange("twice");
    subscribe(ex, "k");
    subscribe(ex, "k");
    subscribe(ex, "marker");
    publish({make_event(ex, "k", "1")});
    ASSERT_TRUE(wait_for_events(1));
    unsubscribe(ex, "k");
    publish({make_event(ex, "k", "2"), make_event(ex, "marker", "3")});
    ASSERT_TRUE(wait_for_events(2));
    on_bus([] {});
    const auto got = events();
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].payload, "1");
    EXPECT_EQ(got[1].payload, "3");
}

TEST_P(bus_contract, exchange_and_routing_key_are_never_joined_into_one_name) {
    ASSERT_TRUE(start_and_wait_until_ready());
    // A bus that joins the parts with ':' (a Redis channel, say) would make these one topic.
    const auto ab = exchange("a:b");
    const auto a = exchange("a");
    subscribe(ab, "c");
    publish({make_event(a, "b:c", "1"), make_event(ab, "c", "2")});
    ASSERT_TRUE(wait_for_events(1));
    on_bus([] {});
    const auto got = events();
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].exchange, ab);
    EXPECT_EQ(got[0].routing_key, "c");
    EXPECT_EQ(got[0].payload, "2");
}

TEST_P(bus_contract, an_empty_routing_key_is_a_topic_of_its_own) {
    ASSERT_TRUE(start_and_wait_until_ready());
    const auto ex = exchange("empty-key");
    subscribe(ex, "");
    publish({make_event(ex, "x", "1"), make_event(ex, "", "2")});
    ASSERT_TRUE(wait_for_events(1));
    on_bus([] {});
    const auto got = events();
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].routing_key, "");
    EXPECT_EQ(got[0].payload, "2");
}

TEST_P(bus_contract, nothing_is_delivered_after_stop) {
    ASSERT_TRUE(start_and_wait_until_ready());
    const auto ex = exchange("stopping");
    subscribe(ex, "k");
    // Events still in flight when stop is called must not come out after it.
    on_bus([&] {
        for (int i = 0; i < 100; ++i) {
            bus_->publish(make_event(ex, "k", std::to_string(i)), {});
        }
        bus_->stop();
        std::lock_guard lock(mutex_);
        stopped_ = true;
    });
    publish({make_event(ex, "k", "after")});
    // Whatever a broker's own thread posted before stop returned is queued ahead of this.
    on_bus([] {});
    // TearDown counts callbacks after stop and checks the executor runs out of work.
}

// The node reports ready only once after_subscriptions says so (bus_thread): from then on what
// another node publishes must reach it, however many bindings were still on their way.
TEST_P(bus_contract, after_subscriptions_another_connections_publish_reaches_every_topic) {
    if (GetParam().name == "memory") {
        GTEST_SKIP() << "one memory bus per process: there is no other node's connection";
    }
    ASSERT_TRUE(start_and_wait_until_ready());
    std::unique_ptr<bus> other;
    std::atomic<bool> other_ready{false};
    on_bus([&] {
        other = factory_(io_.get_executor());
        other->start({[](const bus_event&) {},
                      [&](bool ready, std::string) {
                          record([&] { other_ready = ready; });
                      }});
    });
    ASSERT_TRUE(wait([&] { return other_ready.load(); }));
    const auto ex = exchange("many");
    constexpr int topics = 300;
    int settled = 0;
    on_bus([&] {
        for (int i = 0; i < topics; ++i) {
            bus_->subscribe(ex, "k" + std::to_string(i));
        }
        bus_->after_subscriptions([&] {
            ++settled;
            other->publish(make_event(ex, "k" + std::to_string(topics - 1), "\"last\""), {});
        });
    });
    EXPECT_TRUE(wait_for_events(1));
    on_bus([&] {
        other->stop();
        other.reset();
    });
    EXPECT_EQ(settled, 1);
    const auto got = events();
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].payload, "\"last\"");
}

TEST_P(bus_contract, every_publish_is_confirmed_once_without_error) {
    ASSERT_TRUE(start_and_wait_until_ready());
    const auto ex = exchange("confirmed");
    publish({make_event(ex, "a", "1"), make_event(ex, "b", "2"), make_event(ex, "c", "3")});
    ASSERT_TRUE(wait([this] { return confirms_count() >= 3; }));
    on_bus([] {});
    EXPECT_EQ(confirms(), (std::vector<std::string>{"", "", ""}));
}

TEST_P(bus_contract, a_topic_pattern_receives_each_matching_event_once) {
    ASSERT_TRUE(start_and_wait_until_ready());
    const auto ex = exchange("topic");
    subscribe(ex, "nodes.#");
    subscribe(ex, "*.created.*");
    publish({make_event(ex, "nodes.7.created", "1"), make_event(ex, "others.7", "2"),
             make_event(ex, "node.created.7", "3"), make_event(ex, "nodes", "4")});
    ASSERT_TRUE(wait_for_events(3));
    publish({make_event(ex, "nodes.marker", "5")});
    ASSERT_TRUE(wait_for_events(4));
    on_bus([] {});
    std::vector<std::string> payloads;
    for (const auto& e : events()) {
        payloads.push_back(e.payload);
    }
    EXPECT_EQ(payloads, (std::vector<std::string>{"1", "3", "4", "5"}));
}

TEST_P(bus_contract, a_fanout_subscription_receives_every_routing_key) {
    ASSERT_TRUE(start_and_wait_until_ready());
    const auto ex = exchange("fanout");
    subscribe(ex, "anything");
    publish({make_event(ex, "a", "1"), make_event(ex, "b.c", "2")});
    ASSERT_TRUE(wait_for_events(2));
    EXPECT_EQ(events()[1].routing_key, "b.c");
}

INSTANTIATE_TEST_SUITE_P(buses, bus_contract,
                         testing::Values(bus_case{"memory", bus_at(nullptr)},
                                         bus_case{"amqp", bus_at("HERALD_TEST_AMQP_URL")},
                                         bus_case{"redis", bus_at("HERALD_TEST_REDIS_URL")}),
                         case_name);

} // namespace
} // namespace herald
