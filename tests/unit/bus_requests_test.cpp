// The request half of the bus contract (src/bus/bus.hpp): requests to back-end workers and their
// answers, run against every bus as bus_contract_test.cpp runs the events. The worker is written
// here with the broker's plain client library, as a back end would write it: rabbitmq-c
// consuming a queue and answering to reply_to with the correlation_id property; hiredis reading
// a stream in a consumer group and PUBLISHing to reply_to. The cases that need a broker take it
// from HERALD_TEST_AMQP_URL / HERALD_TEST_REDIS_URL (scripts/test starts them) and are skipped
// without it; the memory bus carries no requests, which is checked too.
//
// Each node (a bus) runs on an io_context thread of its own, as on the bus thread; the test
// waits for callbacks on a condition variable and for the worker's messages with the client
// library's own blocking wait, never by sleeping. Queue and stream names carry the process id
// and a counter, so runs sharing a broker do not meet.

#include "bus/amqp/amqp_bus.hpp"
#include "bus/bus.hpp"
#include "bus/bus_settings.hpp"
#include "bus/redis/redis_bus.hpp"
#include "bus/redis/redis_url.hpp"
#include "bus/registry.hpp"
#include "bus_test_support.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <amqp.h>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <future>
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
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

// Long enough for a broker on a loaded CI machine; a passing case never waits this long.
constexpr auto patience = 15s;

std::string env(const char* variable) {
    const char* value = variable == nullptr ? nullptr : std::getenv(variable);
    return value == nullptr ? std::string() : std::string(value);
}

// ---------------------------------------------------------------------------------------------
// Workers: a back end's side, written with the plain client libraries

// A request as a worker took it from the broker.
struct taken_request {
    std::string body;
    std::string reply_to;
    std::string correlation_id;
    std::string content_type; // RabbitMQ's property; empty on Redis
};

class worker {
public:
    virtual ~worker() = default;
    // Where requests for this worker go: a bus_request's destination.
    virtual const std::string& destination() const = 0;
    // The next request, or nothing within `patience`.
    virtual std::optional<taken_request> take() = 0;
    // Answers to `reply_to`. RabbitMQ: the body as is, with the correlation_id property;
    // Redis: the body, which must carry the correlation_id member itself.
    virtual void answer(const std::string& reply_to, const std::string& correlation_id,
                        const std::string& body) = 0;
};

std::string text_of(amqp_bytes_t b) {
    return b.len == 0 ? std::string() : std::string(static_cast<const char*>(b.bytes), b.len);
}

// rabbitmq-c, blocking, on the test's thread: declares its queue, consumes it, answers through
// the default exchange.
class amqp_worker final : public worker {
public:
    amqp_worker(const std::string& url, std::string queue)
        : queue_(std::move(queue))
        , state_(bus_test::amqp_client(url)) {
        amqp_channel_open(state_, 1);
        amqp_check(amqp_get_rpc_reply(state_), "channel.open");
        // Not exclusive, not auto-deleted: a back end's work queue, deleted by the destructor.
        amqp_queue_declare(state_, 1, amqp_bytes(queue_), false, false, false, false,
                           amqp_empty_table);
        amqp_check(amqp_get_rpc_reply(state_), "queue.declare");
        amqp_basic_consume(state_, 1, amqp_bytes(queue_), amqp_empty_bytes, false, true, false,
                           amqp_empty_table);
        amqp_check(amqp_get_rpc_reply(state_), "basic.consume");
    }
    ~amqp_worker() override {
        amqp_queue_delete(state_, 1, amqp_bytes(queue_), false, false);
        amqp_connection_close(state_, AMQP_REPLY_SUCCESS);
        amqp_destroy_connection(state_);
    }
    amqp_worker(const amqp_worker&) = delete;
    amqp_worker& operator=(const amqp_worker&) = delete;

    const std::string& destination() const override { return queue_; }

    std::optional<taken_request> take() override {
        amqp_maybe_release_buffers(state_);
        amqp_envelope_t envelope{};
        timeval timeout{static_cast<time_t>(patience.count()), 0};
        const auto reply = amqp_consume_message(state_, &envelope, &timeout, 0);
        if (reply.reply_type != AMQP_RESPONSE_NORMAL) {
            return std::nullopt;
        }
        const auto& p = envelope.message.properties;
        taken_request out;
        out.body = text_of(envelope.message.body);
        if (p._flags & AMQP_BASIC_REPLY_TO_FLAG) {
            out.reply_to = text_of(p.reply_to);
        }
        if (p._flags & AMQP_BASIC_CORRELATION_ID_FLAG) {
            out.correlation_id = text_of(p.correlation_id);
        }
        if (p._flags & AMQP_BASIC_CONTENT_TYPE_FLAG) {
            out.content_type = text_of(p.content_type);
        }
        amqp_destroy_envelope(&envelope);
        return out;
    }

    void answer(const std::string& reply_to, const std::string& correlation_id,
                const std::string& body) override {
        amqp_basic_properties_t properties{};
        properties._flags = AMQP_BASIC_CORRELATION_ID_FLAG;
        properties.correlation_id = amqp_bytes(correlation_id);
        ASSERT_EQ(amqp_basic_publish(state_, 1, amqp_empty_bytes, amqp_bytes(reply_to), false,
                                     false, &properties, amqp_bytes(body)),
                  AMQP_STATUS_OK);
    }

private:
    std::string queue_;
    amqp_connection_state_t state_ = nullptr;
};

// hiredis, blocking: creates its consumer group (and the stream), reads with XREADGROUP,
// answers with PUBLISH.
class redis_worker final : public worker {
public:
    redis_worker(const std::string& url, std::string stream)
        : stream_(std::move(stream)) {
        const auto parsed = parse_redis_url(url);
        if (!parsed) {
            throw std::runtime_error(parsed.error());
        }
        context_ = redisConnect(parsed->host.c_str(), parsed->port);
        if (context_ == nullptr || context_->err != 0) {
            throw std::runtime_error("redis_worker: cannot connect");
        }
        const timeval t{static_cast<time_t>(patience.count()) + 5, 0};
        redisSetTimeout(context_, t);
        if (!parsed->password.empty()) {
            command({"AUTH", parsed->password});
        }
        if (parsed->db) {
            command({"SELECT", std::to_string(*parsed->db)});
        }
        // From the stream's start: nothing sent after this is missed.
        command({"XGROUP", "CREATE", stream_, "workers", "0", "MKSTREAM"});
    }
    ~redis_worker() override {
        command({"DEL", stream_});
        redisFree(context_);
    }
    redis_worker(const redis_worker&) = delete;
    redis_worker& operator=(const redis_worker&) = delete;

    const std::string& destination() const override { return stream_; }

    std::optional<taken_request> take() override {
        const auto block = std::to_string(std::chrono::milliseconds(patience).count());
        auto* reply = run({"XREADGROUP", "GROUP", "workers", "worker-1", "COUNT", "1", "BLOCK",
                           block, "STREAMS", stream_, ">"});
        std::optional<taken_request> out;
        // [[stream, [[id, [field, value, …]]]]]
        if (reply != nullptr && reply->type == REDIS_REPLY_ARRAY && reply->elements == 1) {
            const auto* stream = reply->element[0];
            const auto* entries = stream->elements == 2 ? stream->element[1] : nullptr;
            if (entries != nullptr && entries->elements == 1 &&
                entries->element[0]->elements == 2) {
                const auto* fields = entries->element[0]->element[1];
                out.emplace();
                for (std::size_t i = 0; i + 1 < fields->elements; i += 2) {
                    const std::string name(fields->element[i]->str, fields->element[i]->len);
                    std::string value(fields->element[i + 1]->str, fields->element[i + 1]->len);
                    field_order_.push_back(name);
                    if (name == "request") {
                        out->body = std::move(value);
                    } else if (name == "reply_to") {
                        out->reply_to = std::move(value);
                    } else if (name == "correlation_id") {
                        out->correlation_id = std::move(value);
                    }
                }
            }
        }
        if (reply != nullptr) {
            freeReplyObject(reply);
        }
        return out;
    }

    void answer(const std::string& reply_to, const std::string&, const std::string& body) override {
        command({"PUBLISH", reply_to, body});
    }

    // Every field name read so far, in order.
    const std::vector<std::string>& field_order() const { return field_order_; }

private:
    redisReply* run(std::vector<std::string> args) {
        std::vector<const char*> argv;
        std::vector<std::size_t> lengths;
        for (const auto& a : args) {
            argv.push_back(a.data());
            lengths.push_back(a.size());
        }
        return static_cast<redisReply*>(
            redisCommandArgv(context_, static_cast<int>(argv.size()), argv.data(), lengths.data()));
    }
    void command(std::vector<std::string> args) {
        if (auto* reply = run(std::move(args))) {
            freeReplyObject(reply);
        }
    }

    std::string stream_;
    redisContext* context_ = nullptr;
    std::vector<std::string> field_order_;
};

// ---------------------------------------------------------------------------------------------
// The buses

struct bus_case {
    std::string name;
    const char* url_variable; // nullptr: the memory bus
    std::string scheme;       // of an unreachable URL for this kind of bus; empty: none
};

std::string case_name(const testing::TestParamInfo<bus_case>& info) {
    return info.param.name;
}

// So a failure names the bus rather than dumping the parameter's bytes.
void PrintTo(const bus_case& c, std::ostream* os) {
    *os << c.name;
}

// One node's bus, driven on a thread of its own as the bus thread drives it, with what its
// callbacks said.
class node {
public:
    explicit node(bus_factory factory) {
        bus_ = factory(io_.get_executor());
        runner_ = std::thread([this] {
            io_.run();
            ran_out_.set_value();
        });
    }
    ~node() {
        on_bus([this] {
            bus_->stop();
            std::lock_guard lock(mutex_);
            stopped_ = true;
        });
        work_.reset();
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
    node(const node&) = delete;
    node& operator=(const node&) = delete;

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

    void start() {
        on_bus([this] {
            bus::handlers h;
            h.on_event = [](const bus_event&) {
            };
            h.on_readiness = [this](bool ready, std::string) {
                record([&] { readiness_.push_back(ready); });
            };
            h.on_malformed = [this](std::string_view where, std::string_view why) {
                record([&] { malformed_.emplace_back(std::string(where), std::string(why)); });
            };
            h.on_reply = [this](std::string_view correlation_id, std::string_view body) {
                record(
                    [&] { replies_.emplace_back(std::string(correlation_id), std::string(body)); });
            };
            bus_->start(std::move(h));
        });
    }
    bool wait_until(bool ready) {
        return wait([&] { return !readiness_.empty() && readiness_.back() == ready; });
    }

    // Sends through the bus and waits for `done`: "" or the reason. `at_once` is set when
    // `done` ran from inside send_request.
    std::string send(bus_request request, bool* at_once = nullptr) {
        // Shared: an answer that comes too late must still find it.
        auto answer = std::make_shared<std::promise<std::string>>();
        auto answered = answer->get_future();
        on_bus([&] {
            bus_->send_request(std::move(request), [this, answer](std::string_view error) {
                record([&] { ++dones_; });
                answer->set_value(std::string(error));
            });
        });
        if (at_once != nullptr) {
            *at_once = answered.wait_for(0s) == std::future_status::ready;
        }
        if (answered.wait_for(patience) != std::future_status::ready) {
            return "no answer";
        }
        return answered.get();
    }

    bool wait_for_replies(std::size_t n) {
        return wait([&] { return replies_.size() >= n; });
    }
    std::vector<std::pair<std::string, std::string>> replies() {
        on_bus([] {}); // whatever was posted before is in
        std::lock_guard lock(mutex_);
        return replies_;
    }
    std::vector<std::pair<std::string, std::string>> malformed() {
        std::lock_guard lock(mutex_);
        return malformed_;
    }
    int dones() {
        std::lock_guard lock(mutex_);
        return dones_;
    }

    bus& the_bus() { return *bus_; }
    // Where the bus asks workers to answer: the node's queue, or its reply channel.
    std::string reply_address() {
        std::string out;
        on_bus([&] {
            if (const auto* a = dynamic_cast<const amqp_bus*>(bus_.get())) {
                out = a->node_queue();
            } else if (const auto* r = dynamic_cast<const redis_bus*>(bus_.get())) {
                out = r->reply_channel();
            }
        });
        return out;
    }

private:
    template <class Predicate> bool wait(Predicate arrived) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, patience, arrived);
    }
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

    net::io_context io_{1};
    net::executor_work_guard<net::io_context::executor_type> work_{io_.get_executor()};
    std::unique_ptr<bus> bus_;
    std::thread runner_;
    std::promise<void> ran_out_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<bool> readiness_;
    std::vector<std::pair<std::string, std::string>> replies_;
    std::vector<std::pair<std::string, std::string>> malformed_;
    int dones_ = 0;
    bool stopped_ = false;
    int off_thread_ = 0;
    int after_stop_ = 0;
};

// Named so that scripts/test's ThreadSanitizer filter (*bus_contract*) takes it.
class bus_contract_requests : public testing::TestWithParam<bus_case> {
protected:
    void SetUp() override {
        static std::atomic<int> cases{0};
        prefix_ = "herald-requests-test-" + std::to_string(::getpid()) + "-" +
                  std::to_string(cases.fetch_add(1)) + "-";
    }

    bool is_memory() const { return GetParam().url_variable == nullptr; }
    std::string url() const { return env(GetParam().url_variable); }

    // A node on this case's broker; nullptr (and the case skipped) when there is none.
    std::unique_ptr<node> make_node(std::vector<std::string> urls = {}) {
        bus_settings settings;
        settings.urls = std::move(urls);
        if (settings.urls.empty() && !is_memory()) {
            settings.urls = {url()};
        }
        settings.min_backoff = 50ms;
        settings.max_backoff = 400ms;
        auto made = bus_for(settings);
        if (!made) {
            ADD_FAILURE() << made.error();
            return nullptr;
        }
        return std::make_unique<node>(*made);
    }

    // A node on this case's broker, started and ready; nullptr when it is not.
    std::unique_ptr<node> ready_node() {
        auto n = make_node();
        if (n) {
            n->start();
        }
        if (!n || !n->wait_until(true)) {
            ADD_FAILURE() << "the bus did not report ready";
            return nullptr;
        }
        return n;
    }

    // A worker on this case's broker, its queue or stream named for this case.
    std::unique_ptr<worker> make_worker(std::string_view name = "work") {
        const auto destination = prefix_ + std::string(name);
        if (GetParam().name == "amqp") {
            return std::make_unique<amqp_worker>(url(), destination);
        }
        return std::make_unique<redis_worker>(url(), destination);
    }

    // True when the case needs a broker it does not have, or is the memory bus (for cases about
    // carrying requests).
    bool no_broker() const { return is_memory() || url().empty(); }

    std::string prefix_;
};

// The answer a worker sends: the correlation id inside too, as Redis wants it.
std::string answer_body(std::string_view correlation_id, std::string_view rest) {
    return "{\"correlation_id\":\"" + std::string(correlation_id) + "\"," + std::string(rest) + "}";
}

TEST_P(bus_contract_requests, carries_requests_only_where_a_broker_can_take_them) {
    if (!is_memory() && url().empty()) {
        GTEST_SKIP() << GetParam().name << " is not available here";
    }
    auto n = ready_node();
    ASSERT_TRUE(n);
    EXPECT_EQ(n->the_bus().carries_requests(), !is_memory());
    if (is_memory()) {
        // Fails at once, from inside the call, saying why.
        bool at_once = false;
        const auto why = n->send({"anywhere", "c-1", "{}"}, &at_once);
        EXPECT_TRUE(at_once);
        EXPECT_NE(why.find("carries no requests"), std::string::npos) << why;
        EXPECT_EQ(n->dones(), 1);
    }
}

TEST_P(bus_contract_requests, a_request_reaches_a_worker_with_body_reply_to_and_correlation_id) {
    if (no_broker()) {
        GTEST_SKIP() << GetParam().name << " carries no requests here";
    }
    auto w = make_worker();
    auto n = ready_node();
    ASSERT_TRUE(n);
    const std::string body = R"({ "kind" : "action", "payload": {"s": "\u00e9é\"", "n": 1.50} })";
    EXPECT_EQ(n->send({w->destination(), "req-0001", body}), "");
    const auto taken = w->take();
    ASSERT_TRUE(taken);
    EXPECT_EQ(taken->body, body);
    EXPECT_EQ(taken->correlation_id, "req-0001");
    EXPECT_EQ(taken->reply_to, n->reply_address());
    if (GetParam().name == "amqp") {
        EXPECT_EQ(taken->reply_to.rfind("amq.gen-", 0), 0u) << taken->reply_to;
        EXPECT_EQ(taken->content_type, "application/json");
    } else {
        EXPECT_EQ(taken->reply_to.rfind("herald:reply:", 0), 0u) << taken->reply_to;
        EXPECT_EQ(taken->reply_to.size(), std::string("herald:reply:").size() + 16);
        EXPECT_EQ(static_cast<redis_worker&>(*w).field_order(),
                  (std::vector<std::string>{"correlation_id", "reply_to", "request"}));
    }
    EXPECT_EQ(n->dones(), 1);
}

TEST_P(bus_contract_requests, the_workers_answer_arrives_once_with_its_correlation_id_and_body) {
    if (no_broker()) {
        GTEST_SKIP() << GetParam().name << " carries no requests here";
    }
    auto w = make_worker();
    auto n = ready_node();
    ASSERT_TRUE(n);
    ASSERT_EQ(n->send({w->destination(), "c-1", R"({"kind":"touch"})"}), "");
    const auto taken = w->take();
    ASSERT_TRUE(taken);
    const auto answer = answer_body("c-1", R"( "allow" : true, "s": "é\n" )");
    w->answer(taken->reply_to, taken->correlation_id, answer);
    ASSERT_TRUE(n->wait_for_replies(1));

    // A second round trip: had the first answer come twice, the copy would be in before it.
    ASSERT_EQ(n->send({w->destination(), "c-2", "{}"}), "");
    const auto second = w->take();
    ASSERT_TRUE(second);
    w->answer(second->reply_to, second->correlation_id, answer_body("c-2", R"("n":2)"));
    ASSERT_TRUE(n->wait_for_replies(2));
    const auto got = n->replies();
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0], std::make_pair(std::string("c-1"), answer));
    EXPECT_EQ(got[1].first, "c-2");
    EXPECT_TRUE(n->malformed().empty());
}

TEST_P(bus_contract_requests, two_nodes_each_get_only_their_own_answers) {
    if (no_broker()) {
        GTEST_SKIP() << GetParam().name << " carries no requests here";
    }
    auto w = make_worker();
    auto a = ready_node();
    auto b = ready_node();
    ASSERT_TRUE(a && b);
    EXPECT_NE(a->reply_address(), b->reply_address());
    // The same correlation ids on both nodes: each is unique per node only.
    for (const auto* id : {"1", "2"}) {
        ASSERT_EQ(a->send({w->destination(), id, R"({"from":"a"})"}), "");
        ASSERT_EQ(b->send({w->destination(), id, R"({"from":"b"})"}), "");
    }
    // The worker answers each request where it says, saying who asked.
    for (int i = 0; i < 4; ++i) {
        const auto taken = w->take();
        ASSERT_TRUE(taken);
        w->answer(taken->reply_to, taken->correlation_id,
                  answer_body(taken->correlation_id, "\"to\":" + taken->body));
    }
    // Then one more each: an answer that went astray would have arrived before it.
    for (auto* n : {a.get(), b.get()}) {
        ASSERT_EQ(n->send({w->destination(), "last", "{}"}), "");
        const auto taken = w->take();
        ASSERT_TRUE(taken);
        w->answer(taken->reply_to, taken->correlation_id, answer_body("last", "\"to\":0"));
        ASSERT_TRUE(n->wait_for_replies(3));
    }
    for (auto [n, who] : {std::pair{a.get(), "a"}, std::pair{b.get(), "b"}}) {
        const auto got = n->replies();
        ASSERT_EQ(got.size(), 3u) << who;
        const std::string mine = std::string(R"("to":{"from":")") + who + "\"}";
        for (int i = 0; i < 2; ++i) {
            EXPECT_EQ(got[i].first, std::to_string(i + 1)) << who;
            EXPECT_NE(got[i].second.find(mine), std::string::npos) << who << ": " << got[i].second;
        }
        EXPECT_EQ(got[2].first, "last") << who;
    }
}

TEST_P(bus_contract_requests, an_answer_for_a_correlation_id_nobody_asked_for_is_still_delivered) {
    if (no_broker()) {
        GTEST_SKIP() << GetParam().name << " carries no requests here";
    }
    auto w = make_worker();
    auto n = ready_node();
    ASSERT_TRUE(n);
    ASSERT_EQ(n->send({w->destination(), "asked", "{}"}), "");
    const auto taken = w->take();
    ASSERT_TRUE(taken);
    // A late answer, or one twice: the bus hands it over; its caller decides.
    w->answer(taken->reply_to, "never-asked", answer_body("never-asked", "\"late\":true"));
    w->answer(taken->reply_to, taken->correlation_id, answer_body("asked", "\"n\":1"));
    w->answer(taken->reply_to, taken->correlation_id, answer_body("asked", "\"n\":2"));
    ASSERT_TRUE(n->wait_for_replies(3));
    const auto got = n->replies();
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(got[0].first, "never-asked");
    EXPECT_EQ(got[1].first, "asked");
    EXPECT_EQ(got[2].first, "asked");
}

TEST_P(bus_contract_requests, a_request_while_the_broker_is_away_fails_at_once_with_the_reason) {
    if (is_memory()) {
        GTEST_SKIP() << "the memory bus has no broker to lose";
    }
    // No broker needed: nothing listens at this URL.
    auto n = make_node({GetParam().scheme + "://127.0.0.1:" + std::to_string(closed_port()) +
                        (GetParam().scheme == "redis" ? "/0" : "/")});
    ASSERT_TRUE(n);
    n->start();
    ASSERT_TRUE(n->wait_until(false));
    bool at_once = false;
    const auto why = n->send({"work", "c-1", "{}"}, &at_once);
    EXPECT_TRUE(at_once);
    EXPECT_FALSE(why.empty());
    EXPECT_NE(why.find("127.0.0.1"), std::string::npos) << why;
    EXPECT_EQ(n->dones(), 1);
}

INSTANTIATE_TEST_SUITE_P(buses, bus_contract_requests,
                         testing::Values(bus_case{"memory", nullptr, ""},
                                         bus_case{"amqp", "HERALD_TEST_AMQP_URL", "amqp"},
                                         bus_case{"redis", "HERALD_TEST_REDIS_URL", "redis"}),
                         case_name);

} // namespace
} // namespace herald
