// The RabbitMQ bus beyond the bus contract (which bus_contract_test.cpp runs against it too):
// what another client publishes straight into the broker, exchanges the broker refuses, the
// bounded node queue, failover, and an unreachable broker. The cases that need a broker take
// it from HERALD_TEST_AMQP_URL (scripts/test starts one) and are skipped without it.
//
// As in the contract suite, the bus runs on an io_context thread of the test's own, as on the
// bus thread, and the test waits on a condition variable for what it expects, never by
// sleeping. Exchange names carry the process id and a counter, so runs sharing a broker do not
// meet.

#include "bus/amqp/amqp_bus.hpp"
#include "bus/amqp/amqp_url.hpp"
#include "bus/amqp/confirm_tracker.hpp"
#include "bus/amqp/publish_tracker.hpp"
#include "bus/amqp/request_returns.hpp"
#include "bus/bus_settings.hpp"
#include "bus_test_support.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <amqp.h>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <future>
#include <gtest/gtest.h>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace herald {
namespace {

namespace net = boost::asio;
using namespace std::chrono_literals;
using bus_test::amqp_bytes;
using bus_test::amqp_check;
using bus_test::closed_port;

constexpr auto patience = 15s; // a loaded CI machine; a passing case never waits this long

std::string broker_url() {
    const char* url = std::getenv("HERALD_TEST_AMQP_URL");
    return url == nullptr ? std::string() : std::string(url);
}

// Another client of the broker, as a back end is: plain rabbitmq-c, blocking, on the test's
// thread. It publishes with no properties at all (no content type, no headers), as Myxi does.
class raw_client {
public:
    explicit raw_client(const std::string& url)
        : state_(bus_test::amqp_client(url)) {
        open();
    }
    ~raw_client() {
        amqp_connection_close(state_, AMQP_REPLY_SUCCESS);
        amqp_destroy_connection(state_);
    }
    raw_client(const raw_client&) = delete;
    raw_client& operator=(const raw_client&) = delete;

    void declare_exchange(const std::string& name, const char* type, bool durable) {
        amqp_exchange_declare(state_, channel_, amqp_bytes(name), amqp_cstring_bytes(type), false,
                              durable, false, false, amqp_empty_table);
        amqp_check(amqp_get_rpc_reply(state_), "exchange.declare");
    }
    // A passive declare: true when the exchange exists.
    bool exchange_exists(const std::string& name) {
        amqp_exchange_declare(state_, channel_, amqp_bytes(name), amqp_cstring_bytes("direct"),
                              true, false, false, false, amqp_empty_table);
        if (amqp_get_rpc_reply(state_).reply_type == AMQP_RESPONSE_NORMAL) {
            return true;
        }
        ++channel_; // the broker closed that channel
        open();
        return false;
    }
    // Quietly: a missing exchange is fine.
    void delete_exchange(const std::string& name) {
        amqp_exchange_delete(state_, channel_, amqp_bytes(name), false);
        if (amqp_get_rpc_reply(state_).reply_type != AMQP_RESPONSE_NORMAL) {
            ++channel_; // the broker closed that channel
            open();
        }
    }
    void publish(const std::string& exchange, const std::string& routing_key,
                 std::string_view body) {
        ASSERT_EQ(amqp_basic_publish(state_, channel_, amqp_bytes(exchange),
                                     amqp_bytes(routing_key), false, false, nullptr,
                                     amqp_bytes(body)),
                  AMQP_STATUS_OK);
    }
    // A back end's work queue: not exclusive, so the bus's connection may publish to it.
    void declare_queue(const std::string& name) {
        amqp_queue_declare(state_, channel_, amqp_bytes(name), false, false, false, false,
                           amqp_empty_table);
        amqp_check(amqp_get_rpc_reply(state_), "queue.declare");
    }
    // The messages a queue holds now (a passive declare).
    std::uint32_t message_count(const std::string& name) {
        const auto* ok = amqp_queue_declare(state_, channel_, amqp_bytes(name), true, false, false,
                                            false, amqp_empty_table);
        amqp_check(amqp_get_rpc_reply(state_), "queue.declare (passive)");
        return ok->message_count;
    }
    void delete_queue(const std::string& name) {
        amqp_queue_delete(state_, channel_, amqp_bytes(name), false, false);
        amqp_check(amqp_get_rpc_reply(state_), "queue.delete");
    }

private:
    void open() {
        amqp_channel_open(state_, channel_);
        amqp_check(amqp_get_rpc_reply(state_), "channel.open");
    }

    amqp_connection_state_t state_ = nullptr;
    amqp_channel_t channel_ = 1;
};

bus_event make_event(std::string exchange, std::string routing_key, std::string payload) {
    return {std::move(exchange), std::move(routing_key), "tick", std::move(payload), {}};
}

class amqp_bus_test : public testing::Test {
protected:
    void SetUp() override {
        static std::atomic<int> cases{0};
        prefix_ = "herald-amqp-test-" + std::to_string(::getpid()) + "-" +
                  std::to_string(cases.fetch_add(1)) + "-";
        settings_.min_backoff = 50ms; // retries come quickly here
        settings_.max_backoff = 400ms;
    }

    void TearDown() override {
        if (bus_) {
            on_bus([this] {
                bus_->stop();
                std::lock_guard lock(mutex_);
                stopped_ = true;
            });
            work_.reset();
            EXPECT_EQ(ran_out_.get_future().wait_for(patience), std::future_status::ready)
                << "stop left work on the bus thread's executor";
            runner_.join();
            bus_.reset();
        }
        if (!to_delete_.empty()) {
            raw_client raw(broker_url());
            for (const auto& name : to_delete_) {
                raw.delete_exchange(name);
            }
        }
        std::lock_guard lock(mutex_);
        EXPECT_EQ(off_thread_, 0) << "callbacks made off the bus thread";
        EXPECT_EQ(after_stop_, 0) << "callbacks made after stop";
    }

    bool need_broker() {
        if (broker_url().empty()) {
            return false;
        }
        settings_.urls = {broker_url()};
        return true;
    }

    // A name of this case's own, deleted from the broker after the case.
    std::string exchange(std::string_view name) {
        to_delete_.push_back(prefix_ + std::string(name));
        return to_delete_.back();
    }

    void start() {
        bus_ = std::make_unique<amqp_bus>(io_.get_executor(), settings_);
        runner_ = std::thread([this] {
            io_.run();
            ran_out_.set_value();
        });
        on_bus([this] {
            bus_->start({[this](const bus_event& e) { record([&] { events_.push_back(e); }); },
                         [this](bool ready, std::string reason) {
                             // As the bus thread does: each ready starts with no subscriptions.
                             for (const auto& [exchange, routing_key] : wanted_) {
                                 if (ready) {
                                     bus_->subscribe(exchange, routing_key);
                                 }
                             }
                             record([&] { readiness_.emplace_back(ready, std::move(reason)); });
                         },
                         [this](std::string_view exchange, std::string_view why) {
                             record([&] {
                                 malformed_.emplace_back(std::string(exchange), std::string(why));
                             });
                         },
                         [this](std::string_view correlation_id, std::string_view body) {
                             record([&] {
                                 replies_.emplace_back(std::string(correlation_id),
                                                       std::string(body));
                             });
                         },
                         [this](std::string_view identity, std::vector<herald::mail>& taken) {
                             record([&] {
                                 for (auto& m : taken) {
                                     mail_.emplace_back(std::string(identity), std::move(m.body));
                                     mail_ids_.push_back(std::move(m.id));
                                 }
                             });
                         }});
        });
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

    template <class Predicate> bool wait(Predicate arrived) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, patience, arrived);
    }
    // The readiness reports from the `from`th on hold one with this state; its reason.
    std::optional<std::string> wait_readiness(bool ready, std::size_t from = 0) {
        std::optional<std::string> reason;
        wait([&] {
            for (std::size_t i = from; i < readiness_.size(); ++i) {
                if (readiness_[i].first == ready) {
                    reason = readiness_[i].second;
                    return true;
                }
            }
            return false;
        });
        return reason;
    }
    std::size_t readiness_count() {
        std::lock_guard lock(mutex_);
        return readiness_.size();
    }
    bool wait_for_events(std::size_t n) {
        return wait([&] { return events_.size() >= n; });
    }
    std::vector<bus_event> events() {
        std::lock_guard lock(mutex_);
        return events_;
    }

    // Subscribes now and after every ready, as the bus thread does.
    void subscribe(const std::string& exchange, const std::string& routing_key) {
        on_bus([&] {
            wanted_.emplace_back(exchange, routing_key);
            bus_->subscribe(exchange, routing_key);
        });
    }
    // Publishes through the bus; the broker's answer is recorded.
    void publish(bus_event event) {
        on_bus([&] {
            bus_->publish(std::move(event), [this](std::string_view error) {
                record([&] { confirms_.emplace_back(error); });
            });
        });
    }

    // Stores `body` in the identity's mailbox; what the bus answered.
    notify_result notify(std::string_view identity, std::string body) {
        std::promise<notify_result> answered;
        on_bus([&] {
            bus_->mailboxes()->notify(
                identity, std::move(body),
                [&](notify_result result, std::string_view) { answered.set_value(result); });
        });
        auto result = answered.get_future();
        EXPECT_EQ(result.wait_for(patience), std::future_status::ready);
        return result.get();
    }
    // On the bus thread: notifies without waiting; the answer joins notify_results_.
    void notify_later(std::string_view identity, std::string body) {
        bus_->mailboxes()->notify(identity, std::move(body),
                                  [this](notify_result r, std::string_view) {
                                      record([&] { notify_results_.push_back(r); });
                                  });
    }
    std::vector<std::pair<std::string, std::string>> mail() {
        std::lock_guard lock(mutex_);
        return mail_;
    }
    std::vector<std::string> mail_ids() {
        std::lock_guard lock(mutex_);
        return mail_ids_;
    }
    // Acknowledges `ids` of the identity's mail; the ids the bus removed.
    std::vector<std::string> acknowledge(std::string identity, std::vector<std::string> ids) {
        std::promise<std::vector<std::string>> answered;
        on_bus([&] {
            bus_->mailboxes()->acknowledge({identity}, ids, [&](std::vector<std::string> removed) {
                answered.set_value(std::move(removed));
            });
        });
        auto result = answered.get_future();
        EXPECT_EQ(result.wait_for(patience), std::future_status::ready);
        return result.get();
    }
    std::vector<std::string> confirms() {
        std::lock_guard lock(mutex_);
        return confirms_;
    }
    void record_confirm(std::string_view error) {
        record([&] { confirms_.emplace_back(error); });
    }

    bus_settings settings_;
    std::unique_ptr<amqp_bus> bus_;
    std::mutex mutex_;
    std::vector<bus_event> events_;
    std::vector<std::pair<bool, std::string>> readiness_;
    std::vector<std::pair<std::string, std::string>> malformed_;
    std::vector<std::pair<std::string, std::string>> replies_;
    std::vector<std::string> confirms_;
    std::vector<std::pair<std::string, std::string>> mail_; // identity, body
    std::vector<std::string> mail_ids_;                     // each one's id, in step
    std::vector<notify_result> notify_results_;
    std::string prefix_;
    net::io_context io_{1};

private:
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

    net::executor_work_guard<net::io_context::executor_type> work_{io_.get_executor()};
    std::thread runner_;
    std::promise<void> ran_out_;
    std::condition_variable changed_;
    std::vector<std::string> to_delete_;
    std::vector<std::pair<std::string, std::string>> wanted_; // on the bus thread
    bool stopped_ = false;
    int off_thread_ = 0;
    int after_stop_ = 0;
};

TEST_F(amqp_bus_test, a_body_another_client_publishes_arrives_with_its_bytes_and_routing_key) {
    if (!need_broker()) {
        GTEST_SKIP() << "HERALD_TEST_AMQP_URL is not set";
    }
    const auto ex = exchange("topic");
    settings_.exchanges = {{ex, exchange_kind::topic}};
    start();
    ASSERT_TRUE(wait_readiness(true));
    subscribe(ex, "nodes.#");
    // Once the bus's own event is back, the binding is in place for the other client too.
    publish(make_event(ex, "nodes.marker", "0"));
    ASSERT_TRUE(wait_for_events(1));

    raw_client raw(broker_url());
    raw.publish(ex, "nodes.7.created", R"({"event":"E","payload":{ "a" : 1 }})");
    ASSERT_TRUE(wait_for_events(2));
    const auto got = events()[1];
    EXPECT_EQ(got.exchange, ex);
    EXPECT_EQ(got.routing_key, "nodes.7.created"); // the event's own key, not the pattern
    EXPECT_EQ(got.event, "E");
    EXPECT_EQ(got.payload, R"({ "a" : 1 })");
    EXPECT_EQ(got.extra, "");
}

TEST_F(amqp_bus_test, a_body_that_is_not_an_event_is_reported_as_malformed_and_not_delivered) {
    if (!need_broker()) {
        GTEST_SKIP() << "HERALD_TEST_AMQP_URL is not set";
    }
    const auto ex = exchange("garbage");
    start();
    ASSERT_TRUE(wait_readiness(true));
    subscribe(ex, "k");
    publish(make_event(ex, "k", "0"));
    ASSERT_TRUE(wait_for_events(1));

    raw_client raw(broker_url());
    raw.publish(ex, "k", "[1,2]");
    raw.publish(ex, "k", "hello");
    raw.publish(ex, "k", R"({"payload":1})");
    raw.publish(ex, "k", R"({"event":"after","payload":2})"); // in order: the others came first
    ASSERT_TRUE(wait_for_events(2));
    EXPECT_EQ(events().size(), 2u);
    EXPECT_EQ(events()[1].event, "after");
    std::lock_guard lock(mutex_);
    ASSERT_EQ(malformed_.size(), 3u);
    EXPECT_EQ(malformed_[0], std::make_pair(ex, std::string("not a JSON object")));
    EXPECT_EQ(malformed_[1], std::make_pair(ex, std::string("not JSON")));
    EXPECT_EQ(malformed_[2], std::make_pair(ex, std::string("no \"event\"")));
}

TEST_F(amqp_bus_test, an_exchange_the_broker_has_with_other_flags_makes_the_bus_not_ready) {
    if (!need_broker()) {
        GTEST_SKIP() << "HERALD_TEST_AMQP_URL is not set";
    }
    const auto ex = exchange("durable");
    raw_client raw(broker_url());
    raw.declare_exchange(ex, "direct", true); // Herald declares it not durable
    start();
    ASSERT_TRUE(wait_readiness(true));
    const auto before = readiness_count();
    subscribe(ex, "k");
    const auto reason = wait_readiness(false, before);
    ASSERT_TRUE(reason);
    EXPECT_NE(reason->find("\"" + ex + "\""), std::string::npos) << *reason;
    EXPECT_NE(reason->find("durable"), std::string::npos) << *reason;
    EXPECT_NE(reason->find("rabbitmq at amqp://"), std::string::npos) << *reason;

    // Retried with backoff: once the exchange is gone, the bus declares it its way.
    const auto failed = readiness_count();
    raw.delete_exchange(ex);
    ASSERT_TRUE(wait_readiness(true, failed)); // and subscribed again (see start())
    publish(make_event(ex, "k", "1"));
    ASSERT_TRUE(wait_for_events(1));
    EXPECT_EQ(events()[0].payload, "1");
}

TEST_F(amqp_bus_test, with_declare_false_the_bus_waits_until_someone_declares_the_exchange) {
    if (!need_broker()) {
        GTEST_SKIP() << "HERALD_TEST_AMQP_URL is not set";
    }
    const auto ex = exchange("theirs");
    exchange_settings theirs{ex};
    theirs.declare = false;
    settings_.exchanges = {theirs};
    // Configured exchanges are checked at connect, as Myxi declared its exchanges at start.
    start();
    const auto reason = wait_readiness(false);
    ASSERT_TRUE(reason);
    EXPECT_NE(reason->find("\"" + ex + "\" does not exist"), std::string::npos) << *reason;

    const auto failed = readiness_count();
    raw_client raw(broker_url());
    raw.declare_exchange(ex, "direct", false);
    ASSERT_TRUE(wait_readiness(true, failed));
    subscribe(ex, "k");
    publish(make_event(ex, "k", "1"));
    ASSERT_TRUE(wait_for_events(1));
}

TEST_F(amqp_bus_test,
       every_configured_exchange_is_declared_at_connect_for_back_ends_to_publish_to) {
    if (!need_broker()) {
        GTEST_SKIP() << "HERALD_TEST_AMQP_URL is not set";
    }
    const auto ex = exchange("declared-at-start");
    settings_.exchanges = {exchange_settings{ex}};
    start();
    ASSERT_TRUE(wait_readiness(true));
    // A passive declare by another client succeeds only if the exchange exists already.
    raw_client raw(broker_url());
    EXPECT_TRUE(raw.exchange_exists(ex));
}

TEST_F(amqp_bus_test, the_nodes_queue_keeps_its_newest_past_max_queue_length_and_counts_drops) {
    if (!need_broker()) {
        GTEST_SKIP() << "HERALD_TEST_AMQP_URL is not set";
    }
    settings_.max_queue_length = 5;
    const auto ex = exchange("flood");
    start();
    ASSERT_TRUE(wait_readiness(true));
    subscribe(ex, "k");
    publish(make_event(ex, "k", "\"marker\""));
    ASSERT_TRUE(wait_for_events(1));

    // The bus thread stops handling events, so nothing is acknowledged: the broker sends at
    // most a prefetch window's worth (fewer when its own flow control holds the consumer back)
    // and keeps the rest in the node's queue, which holds 5 and drops its oldest.
    std::promise<void> gate;
    net::post(io_, [opened = gate.get_future().share()] { opened.wait(); });
    constexpr int beyond = 20;
    const int total = amqp_bus::prefetch + beyond;
    raw_client raw(broker_url());
    for (int i = 0; i < total; ++i) {
        raw.publish(ex, "k", R"({"event":"tick","payload":)" + std::to_string(i) + "}");
    }
    // dropped() is a counter, with nothing to wait on.
    const auto poll_until = [](auto done) {
        const auto deadline = std::chrono::steady_clock::now() + patience;
        while (!done() && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(20ms);
        }
        return done();
    };
    // At most prefetch in flight and 5 in the queue: the others were dropped.
    ASSERT_TRUE(poll_until([&] { return bus_->dropped() >= beyond - 5; })) << bus_->dropped();
    gate.set_value();

    // The newest is never dropped, and comes last.
    const auto last = std::to_string(total - 1);
    ASSERT_TRUE(wait([&] { return !events_.empty() && events_.back().payload == last; }));
    // Every event either arrived or was counted as dropped (counting lags by up to a second).
    ASSERT_TRUE(poll_until([&] { return events().size() - 1 + bus_->dropped() == total; }))
        << events().size() - 1 << " arrived, " << bus_->dropped() << " dropped of " << total;
    const auto got = events();
    int previous = -1;
    for (std::size_t i = 1; i < got.size(); ++i) {
        const int n = std::stoi(got[i].payload);
        ASSERT_GT(n, previous) << "out of order at " << i;
        previous = n;
    }
    // The queue drops from its head: the newest 5 all arrive.
    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(got[got.size() - 5 + i].payload, std::to_string(total - 5 + i));
    }
}

TEST_F(amqp_bus_test, several_urls_are_one_clusters_nodes_and_the_first_that_answers_is_used) {
    if (!need_broker()) {
        GTEST_SKIP() << "HERALD_TEST_AMQP_URL is not set";
    }
    settings_.urls = {"amqp://guest:guest@127.0.0.1:" + std::to_string(closed_port()) + "/",
                      broker_url()};
    const auto ex = exchange("failover");
    start();
    ASSERT_TRUE(wait_readiness(true));
    subscribe(ex, "k");
    publish(make_event(ex, "k", "1"));
    ASSERT_TRUE(wait_for_events(1));
    ASSERT_TRUE(wait([this] { return !confirms_.empty(); })); // may come after the event
    std::lock_guard lock(mutex_);
    EXPECT_EQ(confirms_, std::vector<std::string>{""});
}

TEST_F(amqp_bus_test, an_unreachable_broker_is_reported_with_the_password_masked) {
    const auto port = std::to_string(closed_port());
    settings_.urls = {"amqp://guest:s3cret@127.0.0.1:" + port + "/"};
    start();
    const auto reason = wait_readiness(false);
    ASSERT_TRUE(reason);
    EXPECT_EQ(reason->rfind("rabbitmq at amqp://guest:****@127.0.0.1:" + port + "/: ", 0), 0u)
        << *reason;
    EXPECT_EQ(reason->find("s3cret"), std::string::npos);
    // A publish while not connected is answered at once, from inside the call.
    std::string answer;
    on_bus([&] {
        bus_->publish(make_event(prefix_ + "x", "k", "1"),
                      [&](std::string_view error) { answer = std::string(error); });
    });
    EXPECT_FALSE(answer.empty());
    // TearDown stops it while it is between attempts: stop must not wait for the backoff.
}

TEST_F(amqp_bus_test, a_request_to_a_queue_nobody_declared_fails_naming_the_queue) {
    if (!need_broker()) {
        GTEST_SKIP() << "HERALD_TEST_AMQP_URL is not set";
    }
    const auto there = prefix_ + "there";
    const auto missing = prefix_ + "missing";
    raw_client raw(broker_url());
    raw.declare_queue(there);
    start();
    ASSERT_TRUE(wait_readiness(true));
    // In flight together, with one correlation id: the returned one is told from the others.
    // The broker confirms the returned one at once, maybe before the others: "i: answer".
    on_bus([&] {
        int i = 0;
        for (const auto& queue : {there, missing, there}) {
            bus_->send_request({queue, "same-id", "{}"}, [this, i](std::string_view error) {
                record_confirm(std::to_string(i) + ": " + std::string(error));
            });
            ++i;
        }
    });
    ASSERT_TRUE(wait([this] { return confirms_.size() >= 3; }));
    auto answers = confirms();
    std::sort(answers.begin(), answers.end());
    EXPECT_EQ(answers[0], "0: ");
    EXPECT_NE(answers[1].find("1: rabbitmq at amqp://"), std::string::npos) << answers[1];
    EXPECT_NE(answers[1].find("no back-end queue \"" + missing + "\""), std::string::npos)
        << answers[1];
    EXPECT_EQ(answers[2], "2: ");
    raw.delete_queue(there);
}

TEST_F(amqp_bus_test, a_message_through_the_default_exchange_without_correlation_id_is_no_answer) {
    if (!need_broker()) {
        GTEST_SKIP() << "HERALD_TEST_AMQP_URL is not set";
    }
    start();
    ASSERT_TRUE(wait_readiness(true));
    std::string queue;
    on_bus([&] { queue = bus_->node_queue(); });
    raw_client raw(broker_url());
    // No properties at all: read as an event, and this body is none.
    raw.publish("", queue, R"({"correlation_id":"c-1"})");
    ASSERT_TRUE(wait([this] { return !malformed_.empty(); }));
    std::lock_guard lock(mutex_);
    EXPECT_EQ(malformed_[0], std::make_pair(std::string(), std::string("no \"event\"")));
    EXPECT_TRUE(replies_.empty());
}

TEST(amqp_requests, a_return_marks_the_oldest_request_with_its_queue_and_id_for_its_ack) {
    request_returns returns;
    returns.sent(1, "a", "q1");
    returns.sent(2, "a", "q2");
    returns.sent(3, "a", "q2");
    returns.sent(5, "b", "q3");
    returns.returned("a", "q2");
    returns.returned("nobody", "q1");             // not a request of ours: ignored
    EXPECT_FALSE(returns.confirmed(1)->returned); // the same id, another queue
    const auto second = returns.confirmed(2);
    ASSERT_TRUE(second);
    EXPECT_TRUE(second->returned);
    EXPECT_EQ(second->queue, "q2");
    EXPECT_FALSE(returns.confirmed(3)->returned); // the oldest one took the return
    EXPECT_FALSE(returns.confirmed(4));           // an event's publish
    returns.returned("b", "q3");
    EXPECT_TRUE(returns.confirmed(5)->returned);
    EXPECT_FALSE(returns.confirmed(5)); // once
    EXPECT_EQ(returns.size(), 0u);
}

TEST(amqp_url, reads_the_parts_and_masks_the_password) {
    const auto e = parse_amqp_url("amqp://user:p%40ss@broker.local:5673/prod%2fa");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->host, "broker.local");
    EXPECT_EQ(e->port, 5673);
    EXPECT_EQ(e->user, "user");
    EXPECT_EQ(e->password, "p@ss");
    EXPECT_EQ(e->vhost, "prod/a");
    EXPECT_EQ(e->masked_url, "amqp://user:****@broker.local:5673/prod%2fa");
}

TEST(amqp_url, an_empty_vhost_is_the_default_one) {
    EXPECT_EQ(parse_amqp_url("amqp://h/")->vhost, "/");
    EXPECT_EQ(parse_amqp_url("amqp://h")->vhost, "/");
    EXPECT_EQ(parse_amqp_url("amqp://h/%2f")->vhost, "/");
    EXPECT_EQ(parse_amqp_url("amqp://h")->port, 5672);
}

TEST(amqp_url, refuses_what_it_cannot_use_without_showing_the_password) {
    const auto tls = parse_amqp_url("amqps://u:secret@h/");
    ASSERT_FALSE(tls);
    EXPECT_EQ(tls.error().find("secret"), std::string::npos);
    EXPECT_FALSE(parse_amqp_url("redis://h/"));
    EXPECT_FALSE(parse_amqp_url("amqp://h:notaport/"));
}

TEST(amqp_confirms, a_multiple_ack_answers_every_publish_up_to_its_tag) {
    confirm_tracker confirms;
    confirms.sent(11);
    confirms.sent(0); // nobody waits for this one, but it takes tag 2
    confirms.sent(13);
    confirms.sent(14);
    std::vector<std::uint64_t> ids;
    confirms.answered(3, true, ids);
    EXPECT_EQ(ids, (std::vector<std::uint64_t>{11, 13}));
    ids.clear();
    confirms.answered(3, false, ids); // answered already
    EXPECT_TRUE(ids.empty());
    EXPECT_EQ(confirms.take_all(), std::vector<std::uint64_t>{14});
}

TEST_F(amqp_bus_test, a_watched_mailbox_gets_its_mail_as_stored_and_a_closed_one_keeps_it) {
    if (!need_broker()) {
        GTEST_SKIP() << "HERALD_TEST_AMQP_URL is not set";
    }
    settings_.mailbox_prefix = prefix_ + "mail";
    const std::string queue = settings_.mailbox_prefix + ".mailbox.ann";
    start();
    ASSERT_TRUE(wait_readiness(true));
    EXPECT_EQ(notify("ann", R"({"n":0})"), notify_result::unknown_identity);

    on_bus([&] { bus_->mailboxes()->open_mailbox("ann", {std::chrono::seconds(600), 10, 4096}); });
    EXPECT_EQ(notify("ann", R"({"n":1})"), notify_result::stored_and_pushed);
    ASSERT_TRUE(wait([&] { return mail_.size() == 1; }));
    EXPECT_EQ(mail()[0].first, "ann");
    EXPECT_EQ(mail()[0].second, R"({"n":1})");

    // Not watched: the mail stays in the queue (a consumer would have taken it at once).
    on_bus([&] { bus_->mailboxes()->close_mailbox("ann"); });
    EXPECT_EQ(notify("ann", R"({"n":2})"), notify_result::stored_and_pushed);
    raw_client raw(broker_url());
    EXPECT_EQ(raw.message_count(queue), 1u);

    on_bus([&] { bus_->mailboxes()->open_mailbox("ann", {std::chrono::seconds(600), 10, 4096}); });
    ASSERT_TRUE(wait([&] { return mail_.size() == 2; }));
    EXPECT_EQ(mail()[1].first, "ann");
    EXPECT_EQ(mail()[1].second, R"({"n":2})");
    raw.delete_queue(queue);
}

TEST_F(amqp_bus_test, mail_on_its_way_when_a_mailbox_is_closed_goes_back_to_its_queue) {
    if (!need_broker()) {
        GTEST_SKIP() << "HERALD_TEST_AMQP_URL is not set";
    }
    settings_.mailbox_prefix = prefix_ + "mail";
    const std::string queue = settings_.mailbox_prefix + ".mailbox.bob";
    start();
    ASSERT_TRUE(wait_readiness(true));
    constexpr int sent = 300;
    on_bus([&] {
        bus_->mailboxes()->open_mailbox("bob", {std::chrono::seconds(600), 1000, 1 << 20});
        for (int i = 0; i < sent; ++i) {
            notify_later("bob", std::to_string(i));
        }
    });
    // Closed while the mail streams in: some was handed out, the rest must stay in the queue.
    ASSERT_TRUE(wait([&] { return !mail_.empty(); }));
    on_bus([&] { bus_->mailboxes()->close_mailbox("bob"); });
    ASSERT_TRUE(wait([&] { return notify_results_.size() == sent; }));
    for (const auto r : notify_results_) {
        ASSERT_EQ(r, notify_result::stored_and_pushed);
    }
    raw_client raw(broker_url());
    // Requeued mail may still be on its way back: count until every message is somewhere.
    std::size_t handed = 0;
    std::uint32_t queued = 0;
    for (int attempt = 0; attempt < 200; ++attempt) {
        handed = mail().size();
        queued = raw.message_count(queue);
        if (handed + queued == sent) {
            break;
        }
        std::this_thread::sleep_for(10ms); // the broker's count, polled: it sends no event
    }
    EXPECT_EQ(handed + queued, static_cast<std::size_t>(sent));
    EXPECT_LT(handed, static_cast<std::size_t>(sent));
    raw.delete_queue(queue);
}

TEST_F(amqp_bus_test, kept_mail_comes_again_at_each_open_and_goes_back_to_its_queue_when_closed) {
    if (!need_broker()) {
        GTEST_SKIP() << "HERALD_TEST_AMQP_URL is not set";
    }
    settings_.mailbox_prefix = prefix_ + "mail";
    const std::string queue = settings_.mailbox_prefix + ".mailbox.cy";
    const mailbox_settings kept{std::chrono::seconds(600), 10, 4096, true};
    start();
    ASSERT_TRUE(wait_readiness(true));
    on_bus([&] { bus_->mailboxes()->open_mailbox("cy", kept); });
    for (const auto* body : {"1", "2", "3"}) {
        EXPECT_EQ(notify("cy", body), notify_result::stored_and_pushed);
    }
    ASSERT_TRUE(wait([&] { return mail_.size() == 3; }));
    const auto ids = mail_ids();
    EXPECT_FALSE(ids[0].empty());
    EXPECT_NE(ids[0], ids[1]);
    EXPECT_NE(ids[1], ids[2]);
    EXPECT_EQ(acknowledge("cy", {ids[0], "nope"}), std::vector<std::string>{ids[0]});
    EXPECT_TRUE(acknowledge("cy", {ids[0]}).empty()); // twice is once

    // A registration hands out again what is held, with the same ids.
    on_bus([&] { bus_->mailboxes()->open_mailbox("cy", kept); });
    ASSERT_TRUE(wait([&] { return mail_.size() == 5; }));
    EXPECT_EQ(mail()[3].second, "2");
    EXPECT_EQ(mail()[4].second, "3");
    EXPECT_EQ(mail_ids()[3], ids[1]);
    EXPECT_EQ(mail_ids()[4], ids[2]);

    // Closed: what is held goes back to the queue, and the next open gets it, in order.
    on_bus([&] { bus_->mailboxes()->close_mailbox("cy"); });
    raw_client raw(broker_url());
    std::uint32_t queued = 0;
    for (int attempt = 0; attempt < 200 && queued != 2; ++attempt) {
        queued = raw.message_count(queue);
        std::this_thread::sleep_for(10ms); // the broker's count, polled: it sends no event
    }
    EXPECT_EQ(queued, 2u);
    on_bus([&] { bus_->mailboxes()->open_mailbox("cy", kept); });
    ASSERT_TRUE(wait([&] { return mail_.size() == 7; }));
    EXPECT_EQ(mail_ids()[5], ids[1]);
    EXPECT_EQ(mail_ids()[6], ids[2]);
    EXPECT_EQ(mail()[6].second, "3");
    EXPECT_EQ(acknowledge("cy", {ids[2], ids[1]}), (std::vector<std::string>{ids[2], ids[1]}));
    raw.delete_queue(queue);
}

TEST(amqp_confirms, each_publish_is_answered_once_by_its_confirm_or_its_deadline) {
    publish_tracker waiting(100ms);
    const auto t0 = publish_tracker::clock::now();
    int answers = 0;
    const auto a = waiting.add([&](std::string_view) { ++answers; }, t0);
    const auto b = waiting.add([&](std::string_view) { ++answers; }, t0 + 50ms);
    EXPECT_EQ(waiting.next_deadline(), t0 + 100ms);
    waiting.take(a)("");
    EXPECT_FALSE(waiting.take(a)); // once
    const auto expired = waiting.take_expired(t0 + 150ms);
    ASSERT_EQ(expired.size(), 1u);
    expired[0]("timeout");
    EXPECT_FALSE(waiting.take(b));
    EXPECT_EQ(answers, 2);
    EXPECT_FALSE(waiting.next_deadline());
}

} // namespace
} // namespace herald
