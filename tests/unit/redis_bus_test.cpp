// What is particular to the Redis bus; the bus contract (bus_contract_test.cpp) covers the rest.
// The pure parts (channel templates, URLs) need nothing; the others start private redis-server
// processes on free ports, and skip when there is no redis-server. Every wait is on an event
// (a callback, a line from the server, a reply), never a sleep.

#include "bus/bus.hpp"
#include "bus/bus_settings.hpp"
#include "bus/redis/channel_template.hpp"
#include "bus/redis/redis_bus.hpp"
#include "bus/redis/redis_bus_factory.hpp"
#include "bus/redis/redis_url.hpp"
#include "bus/redis/reply_message.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <deque>
#include <fcntl.h>
#include <future>
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <memory>
#include <mutex>
#include <netinet/in.h>
#include <poll.h>
#include <spawn.h>
#include <string>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace herald {
namespace {

namespace net = boost::asio;
using namespace std::chrono_literals;

constexpr auto patience = 10s;

// ---------------------------------------------------------------------------------------------
// Channel templates and URLs

redis_channel_template parsed(std::string_view text) {
    auto t = redis_channel_template::parse(text);
    EXPECT_TRUE(t) << text;
    return *t;
}

TEST(redis_channel_template, the_default_joins_exchange_and_routing_key_with_a_colon) {
    const auto t = parsed("{exchange}:{routing_key}");
    EXPECT_EQ(t.channel("widgets", "1234"), "widgets:1234");
    EXPECT_EQ(t.routing_key("widgets", "widgets:1234"), "1234");
    EXPECT_EQ(t.routing_key("widgets", "widgets:a:b"), "a:b");
    EXPECT_EQ(t.routing_key("widgets", "gadgets:1"), std::nullopt);
    EXPECT_EQ(t.channel("widgets", ""), "widgets:");
}

TEST(redis_channel_template, an_exchange_holding_the_separator_is_escaped_so_topics_stay_apart) {
    const auto t = parsed("{exchange}:{routing_key}");
    EXPECT_EQ(t.channel("a:b", "c"), "a%3Ab:c");
    EXPECT_EQ(t.channel("a", "b:c"), "a:b:c");
    EXPECT_EQ(t.channel("50%", "x"), "50%25:x");
    EXPECT_EQ(t.routing_key("a:b", "a%3Ab:c"), "c");
    EXPECT_EQ(t.routing_key("a", "a%3Ab:c"), std::nullopt);
    EXPECT_EQ(t.routing_key("a:b", "a:b:c"), std::nullopt);
}

TEST(redis_channel_template, the_routing_key_alone_names_the_channel) {
    const auto t = parsed("{routing_key}");
    EXPECT_EQ(t.channel("datadealer", "srv_msg"), "srv_msg");
    EXPECT_EQ(t.routing_key("datadealer", "srv_msg"), "srv_msg");
    EXPECT_EQ(t.pattern("datadealer"), "*");
}

TEST(redis_channel_template, a_routing_key_first_template_escapes_the_routing_key) {
    const auto t = parsed("app/{routing_key}@{exchange}");
    EXPECT_EQ(t.channel("ex", "a@b"), "app/a%40b@ex");
    EXPECT_EQ(t.routing_key("ex", "app/a%40b@ex"), "a@b");
    EXPECT_EQ(t.routing_key("ex", "app/a@b@ex"), std::nullopt);
    EXPECT_EQ(t.pattern("e*x"), "app/*@e\\*x");
}

TEST(redis_channel_template, a_pattern_covers_an_exchange_with_glob_characters_taken_literally) {
    const auto t = parsed("{exchange}:{routing_key}");
    EXPECT_EQ(t.pattern("nodes"), "nodes:*");
    EXPECT_EQ(t.pattern("w*[x]?\\"), "w\\*\\[x\\]\\?\\\\:*");
}

TEST(redis_channel_template, a_template_needs_one_routing_key_and_at_most_one_exchange) {
    EXPECT_FALSE(redis_channel_template::parse("{exchange}"));
    EXPECT_FALSE(redis_channel_template::parse("{routing_key}:{routing_key}"));
    EXPECT_FALSE(redis_channel_template::parse("{exchange}{exchange}{routing_key}"));
    EXPECT_TRUE(redis_channel_template::parse("pre{fix}:{routing_key}"));
}

TEST(redis_reply, the_correlation_id_is_the_string_member_of_the_answer_object) {
    EXPECT_EQ(*reply_correlation_id(R"({"allow":true,"correlation_id":"c-1"})"), "c-1");
    EXPECT_EQ(*reply_correlation_id(R"( { "correlation_id" : "\u00e9\"x" } )"), "\u00e9\"x");
    EXPECT_EQ(*reply_correlation_id(R"({"correlation_id":"a","correlation_id":"b"})"), "a");
}

TEST(redis_reply, anything_else_is_refused_with_a_reason) {
    EXPECT_EQ(reply_correlation_id("not json").error(), "a reply that is not JSON");
    EXPECT_EQ(reply_correlation_id(R"({"correlation_id":"x")").error(), "a reply that is not JSON");
    EXPECT_EQ(reply_correlation_id(R"(["correlation_id"])").error(),
              "a reply that is not a JSON object");
    EXPECT_EQ(reply_correlation_id(R"({"id":"x"})").error(), "a reply without \"correlation_id\"");
    EXPECT_EQ(reply_correlation_id(R"({"correlation_id":7})").error(),
              "a reply whose \"correlation_id\" is not a string");
}

TEST(redis_url, host_port_password_and_database_come_from_the_url) {
    const auto u = parse_redis_url("redis://:s%40cret@cache.local:6380/3");
    ASSERT_TRUE(u);
    EXPECT_EQ(*u, (redis_url{"cache.local", 6380, "", "s@cret", 3}));
    EXPECT_EQ(*parse_redis_url("redis://127.0.0.1"), (redis_url{"127.0.0.1", 6379, "", "", {}}));
    EXPECT_EQ(*parse_redis_url("redis://user:pw@[::1]:7000/"),
              (redis_url{"::1", 7000, "user", "pw", {}}));
    EXPECT_EQ(parse_redis_url("redis://bare@h/0")->password, "bare");
}

TEST(redis_url, a_bad_url_is_refused_without_showing_its_password) {
    EXPECT_FALSE(parse_redis_url("amqp://h"));
    EXPECT_FALSE(parse_redis_url("redis://h:99999"));
    EXPECT_FALSE(parse_redis_url("redis://h/x"));
    EXPECT_FALSE(parse_redis_url("redis:///0"));
    const auto bad = parse_redis_url("redis://:sec%zzret@h");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().find("sec"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// A private redis-server

int free_port() {
    const int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t n = sizeof a;
    int port = 0;
    if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
        ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &n) == 0) {
        port = ntohs(a.sin_port);
    }
    ::close(s);
    return port;
}

bool have_redis_server() {
    return std::system("command -v redis-server >/dev/null 2>&1") == 0;
}

// A redis-server child process, stopped by PID when the object goes.
class redis_server {
public:
    redis_server() = default;
    redis_server(const redis_server&) = delete;
    redis_server& operator=(const redis_server&) = delete;
    ~redis_server() { stop(); }

    // Starts on a free port; false when it would not come up.
    bool start(std::vector<std::string> extra = {}) {
        extra_ = std::move(extra);
        for (int attempt = 0; attempt < 5; ++attempt) {
            // A port found free can be taken again before the server binds it: try another.
            if (start_on(free_port())) {
                return true;
            }
        }
        return false;
    }

    // Starts again on the same port, with the same arguments.
    bool restart() { return start_on(port_); }

    // SIGKILL: the server vanishes without closing anything cleanly first.
    void kill_hard() { end(SIGKILL); }
    void stop() { end(SIGTERM); }

    bool running() const { return pid_ > 0; }
    int port() const { return port_; }
    std::string url(std::string_view user_info = {}, std::string_view db = "/0") const {
        return "redis://" + std::string(user_info) + "127.0.0.1:" + std::to_string(port_) +
               std::string(db);
    }

private:
    bool start_on(int port) {
        stop();
        port_ = port;
        int out[2];
        if (::pipe2(out, O_CLOEXEC) != 0) {
            return false;
        }
        std::vector<std::string> args = {
            "redis-server", "--bind", "127.0.0.1", "--port", std::to_string(port),
            "--daemonize",  "no",     "--save",    "",       "--appendonly",
            "no",           "--dir",  "/tmp"};
        args.insert(args.end(), extra_.begin(), extra_.end());
        std::vector<char*> argv;
        for (auto& a : args) {
            argv.push_back(a.data());
        }
        argv.push_back(nullptr);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, out[1], 1);
        posix_spawn_file_actions_adddup2(&actions, out[1], 2);
        const int spawned =
            posix_spawnp(&pid_, "redis-server", &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        ::close(out[1]);
        out_ = out[0];
        if (spawned != 0) {
            pid_ = -1;
            return false;
        }
        if (wait_until_ready()) {
            return true;
        }
        stop();
        return false;
    }

    // Reads the server's log until it says it is ready, or ends (it could not bind).
    bool wait_until_ready() {
        std::string log;
        const auto deadline = std::chrono::steady_clock::now() + patience;
        while (log.find("Ready to accept connections") == std::string::npos) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            pollfd p{out_, POLLIN, 0};
            if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
                return false;
            }
            char buffer[4096];
            const auto n = ::read(out_, buffer, sizeof buffer);
            if (n <= 0) {
                return false;
            }
            log.append(buffer, static_cast<std::size_t>(n));
        }
        return true;
    }

    void end(int signal) {
        if (pid_ > 0) {
            ::kill(pid_, signal);
            ::waitpid(pid_, nullptr, 0);
            pid_ = -1;
        }
        if (out_ >= 0) {
            ::close(out_);
            out_ = -1;
        }
    }

    pid_t pid_ = -1;
    int out_ = -1; // the server's stdout and stderr, kept open so its log writes succeed
    int port_ = 0;
    std::vector<std::string> extra_;
};

// A plain blocking hiredis connection: the back end's side.
class raw_client {
public:
    explicit raw_client(int port, const char* password = nullptr) {
        context_ = redisConnect("127.0.0.1", port);
        const timeval t{static_cast<time_t>(patience.count()), 0};
        if (context_ != nullptr && context_->err == 0) {
            redisSetTimeout(context_, t);
            if (password != nullptr) {
                command({"AUTH", password});
            }
        }
    }
    ~raw_client() {
        if (context_ != nullptr) {
            redisFree(context_);
        }
    }
    raw_client(const raw_client&) = delete;
    raw_client& operator=(const raw_client&) = delete;

    bool ok() const { return context_ != nullptr && context_->err == 0; }

    // The reply as text (an integer as digits, an array's strings joined with '\n'), "" when
    // there is none.
    std::string command(std::vector<std::string> args) {
        std::vector<const char*> argv;
        std::vector<std::size_t> lengths;
        for (const auto& a : args) {
            argv.push_back(a.data());
            lengths.push_back(a.size());
        }
        auto* reply = static_cast<redisReply*>(
            redisCommandArgv(context_, static_cast<int>(argv.size()), argv.data(), lengths.data()));
        return take(reply);
    }

    // The next message pushed to a subscribed connection: its payload.
    std::string next_message() {
        void* reply = nullptr;
        if (redisGetReply(context_, &reply) != REDIS_OK) {
            return {};
        }
        auto* r = static_cast<redisReply*>(reply);
        std::string out;
        if (r->type == REDIS_REPLY_ARRAY && r->elements == 3) {
            out.assign(r->element[2]->str, r->element[2]->len);
        }
        freeReplyObject(r);
        return out;
    }

private:
    static std::string take(redisReply* reply) {
        if (reply == nullptr) {
            return {};
        }
        std::string out;
        if (reply->type == REDIS_REPLY_INTEGER) {
            out = std::to_string(reply->integer);
        } else if (reply->type == REDIS_REPLY_ARRAY) {
            for (std::size_t i = 0; i < reply->elements; ++i) {
                if (reply->element[i]->str != nullptr) {
                    out.append(reply->element[i]->str, reply->element[i]->len);
                }
                out += '\n';
            }
        } else if (reply->str != nullptr) {
            out.assign(reply->str, reply->len);
        }
        freeReplyObject(reply);
        return out;
    }

    redisContext* context_ = nullptr;
};

// ---------------------------------------------------------------------------------------------
// A Redis bus driven on a thread of its own, as the bus thread drives it

class redis_bus_test : public testing::Test {
protected:
    void SetUp() override {
        if (!have_redis_server()) {
            GTEST_SKIP() << "no redis-server here";
        }
        // Fast reconnects, so a restart is noticed at once.
        settings_.min_backoff = 10ms;
        settings_.max_backoff = 100ms;
        runner_ = std::thread([this] {
            io_.run();
            ran_out_.set_value();
        });
        running_ = true;
    }

    void TearDown() override {
        if (!running_) {
            return;
        }
        if (bus_) {
            on_bus([this] { bus_->stop(); });
        }
        work_.reset();
        const bool drained = ran_out_.get_future().wait_for(patience) == std::future_status::ready;
        EXPECT_TRUE(drained) << "stop left work on the bus thread's executor";
        if (!drained) {
            io_.stop();
        }
        runner_.join();
        bus_.reset();
        servers_.clear(); // stopped by PID, after the bus, so the bus never sees them go
    }

    // A private redis-server on a free port, stopped in TearDown; not running() when it
    // would not start.
    redis_server& start_server(std::vector<std::string> extra = {}) {
        auto& server = servers_.emplace_back();
        server.start(std::move(extra));
        return server;
    }

    template <class F> void on_bus(F f) {
        std::promise<void> done;
        auto finished = done.get_future();
        net::post(io_, [&] {
            f();
            done.set_value();
        });
        if (finished.wait_for(patience) != std::future_status::ready) {
            ADD_FAILURE() << "the bus thread is stuck";
            std::abort();
        }
    }

    // Makes and starts the bus on `urls`. Each time it reports ready, it is given the wanted
    // topics again, as the bus thread does.
    void start(std::vector<std::string> urls) {
        settings_.urls = std::move(urls);
        on_bus([this] {
            bus_ = redis_bus_factory(settings_)(io_.get_executor());
            bus_->start({[this](const bus_event& e) { record([&] { events_.push_back(e); }); },
                         [this](bool ready, std::string reason) {
                             if (ready) {
                                 for (const auto& [exchange, key] : wanted_) {
                                     bus_->subscribe(exchange, key);
                                 }
                             }
                             record([&] { readiness_.emplace_back(ready, std::move(reason)); });
                         },
                         [this](std::string_view exchange, std::string_view why) {
                             record([&] { malformed_.emplace_back(exchange, why); });
                         },
                         [this](std::string_view correlation_id, std::string_view body) {
                             record([&] { replies_.emplace_back(correlation_id, body); });
                         }});
        });
    }

    bool wait_until_ready(std::size_t times = 1) {
        return wait([&] {
            return std::count_if(readiness_.begin(), readiness_.end(),
                                 [](const auto& r) { return r.first; }) >=
                       static_cast<long>(times) &&
                   readiness_.back().first;
        });
    }
    bool wait_until_not_ready() {
        return wait([&] { return !readiness_.empty() && !readiness_.back().first; });
    }

    void subscribe(std::string exchange, std::string routing_key) {
        on_bus([&] {
            wanted_.emplace_back(exchange, routing_key);
            bus_->subscribe(exchange, routing_key);
        });
    }

    // Publishes through the bus and waits for its answer: "" or the reason.
    std::string publish(bus_event event) {
        // Shared: an answer that comes too late must still find it.
        auto answer = std::make_shared<std::promise<std::string>>();
        auto answered = answer->get_future();
        on_bus([&] {
            bus_->publish(std::move(event), [answer](std::string_view error) {
                answer->set_value(std::string(error));
            });
        });
        if (answered.wait_for(patience) != std::future_status::ready) {
            return "no answer";
        }
        return answered.get();
    }

    // Publishes a marker on the topic through the bus and waits for it to come back: since the
    // bus holds a publish until the subscription before it is confirmed, what a back end
    // publishes from then on is heard.
    bool round_trip(const std::string& exchange, const std::string& routing_key) {
        const auto before = events().size();
        if (publish({exchange, routing_key, "marker", "0", ""}) != "") {
            return false;
        }
        return wait([&] { return events_.size() > before; });
    }

    template <class Predicate> bool wait(Predicate arrived) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, patience, arrived);
    }
    std::vector<bus_event> events() {
        std::lock_guard lock(mutex_);
        return events_;
    }
    std::vector<std::pair<bool, std::string>> readiness() {
        std::lock_guard lock(mutex_);
        return readiness_;
    }
    std::vector<std::pair<std::string, std::string>> malformed() {
        std::lock_guard lock(mutex_);
        return malformed_;
    }
    // The events other than markers.
    std::vector<bus_event> news() {
        std::vector<bus_event> out;
        for (auto& e : events()) {
            if (e.event != "marker") {
                out.push_back(std::move(e));
            }
        }
        return out;
    }

    bus_settings settings_;
    net::io_context io_{1};
    std::unique_ptr<bus> bus_;
    // Read under mutex_ (inside wait's predicate, or through the accessors above).
    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<bus_event> events_;
    std::vector<std::pair<bool, std::string>> readiness_;
    std::vector<std::pair<std::string, std::string>> malformed_;
    std::vector<std::pair<std::string, std::string>> replies_;

    std::string reply_channel() {
        std::string out;
        on_bus([&] { out = dynamic_cast<const redis_bus&>(*bus_).reply_channel(); });
        return out;
    }
    std::vector<std::pair<std::string, std::string>> replies() {
        std::lock_guard lock(mutex_);
        return replies_;
    }
    // Sends a request through the bus and waits for its answer: "" or the reason.
    std::string send_request(bus_request request) {
        auto answer = std::make_shared<std::promise<std::string>>();
        auto answered = answer->get_future();
        on_bus([&] {
            bus_->send_request(std::move(request), [answer](std::string_view error) {
                answer->set_value(std::string(error));
            });
        });
        if (answered.wait_for(patience) != std::future_status::ready) {
            return "no answer";
        }
        return answered.get();
    }

private:
    template <class F> void record(F f) {
        {
            std::lock_guard lock(mutex_);
            f();
        }
        changed_.notify_all();
    }

    net::executor_work_guard<net::io_context::executor_type> work_{io_.get_executor()};
    std::thread runner_;
    std::promise<void> ran_out_;
    bool running_ = false;
    std::vector<std::pair<std::string, std::string>> wanted_; // the bus thread only
    std::deque<redis_server> servers_; // a deque: a started server never moves
};

TEST_F(redis_bus_test, a_back_end_publish_reaches_a_subscriber_with_its_payload_bytes_intact) {
    auto& server = start_server();
    ASSERT_TRUE(server.running());
    start({server.url()});
    ASSERT_TRUE(wait_until_ready());
    subscribe("widgets", "1234");
    ASSERT_TRUE(round_trip("widgets", "1234"));

    raw_client back_end(server.port());
    ASSERT_TRUE(back_end.ok());
    EXPECT_EQ(back_end.command({"PUBLISH", "widgets:1234",
                                R"({"event":"E","payload":{ "a" : 1.50, "s":"\u00e9" },"id":7})"}),
              "1");
    ASSERT_TRUE(wait([&] { return events_.size() >= 2; }));
    EXPECT_EQ(news(), (std::vector<bus_event>{{"widgets", "1234", "E",
                                               R"({ "a" : 1.50, "s":"\u00e9" })", R"("id":7)"}}));
}

TEST_F(redis_bus_test, herald_publishes_the_body_a_back_end_would) {
    auto& server = start_server();
    ASSERT_TRUE(server.running());
    start({server.url()});
    ASSERT_TRUE(wait_until_ready());
    raw_client listener(server.port());
    ASSERT_TRUE(listener.ok());
    ASSERT_EQ(listener.command({"SUBSCRIBE", "orders:eu.1"}), "subscribe\norders:eu.1\n\n");

    EXPECT_EQ(publish({"orders", "eu.1", "price", R"({ "b" : 1 })", R"("id":7)"}), "");
    EXPECT_EQ(listener.next_message(), R"({"event":"price","payload":{ "b" : 1 },"id":7})");
    EXPECT_EQ(publish({"orders", "eu.1", "say \"hi\"", "[]", ""}), "");
    EXPECT_EQ(listener.next_message(), R"({"event":"say \"hi\"","payload":[]})");
}

TEST_F(redis_bus_test,
       a_channel_template_of_the_routing_key_alone_maps_a_bare_channel_to_its_exchange) {
    settings_.exchanges = {{"datadealer", exchange_kind::direct}};
    settings_.exchanges[0].channel = "{routing_key}";
    auto& server = start_server();
    ASSERT_TRUE(server.running());
    start({server.url()});
    ASSERT_TRUE(wait_until_ready());
    subscribe("datadealer", "srv_msg");
    ASSERT_TRUE(round_trip("datadealer", "srv_msg"));

    raw_client back_end(server.port());
    EXPECT_EQ(back_end.command({"PUBLISH", "srv_msg", R"({"event":"Hello","payload":[1]})"}), "1");
    ASSERT_TRUE(wait([&] { return events_.size() >= 2; }));
    EXPECT_EQ(news(), (std::vector<bus_event>{{"datadealer", "srv_msg", "Hello", "[1]", ""}}));
}

TEST_F(redis_bus_test, a_body_that_is_not_an_event_is_reported_malformed_and_not_delivered) {
    auto& server = start_server();
    ASSERT_TRUE(server.running());
    start({server.url()});
    ASSERT_TRUE(wait_until_ready());
    subscribe("widgets", "1");
    ASSERT_TRUE(round_trip("widgets", "1"));

    raw_client back_end(server.port());
    back_end.command({"PUBLISH", "widgets:1", "[1,2]"});
    back_end.command({"PUBLISH", "widgets:1", R"({"payload":{}})"});
    back_end.command({"PUBLISH", "widgets:1", "not json"});
    ASSERT_TRUE(round_trip("widgets", "1")); // published after them on the same channel
    EXPECT_TRUE(news().empty());
    EXPECT_EQ(malformed(),
              (std::vector<std::pair<std::string, std::string>>{{"widgets", "not a JSON object"},
                                                                {"widgets", "no \"event\""},
                                                                {"widgets", "not JSON"}}));
}

TEST_F(redis_bus_test, glob_characters_in_a_topic_exchanges_name_are_taken_literally) {
    const std::string exchange = "w*[x]?";
    settings_.exchanges = {{exchange, exchange_kind::topic}};
    auto& server = start_server();
    ASSERT_TRUE(server.running());
    start({server.url()});
    ASSERT_TRUE(wait_until_ready());
    subscribe(exchange, "a.*");
    ASSERT_TRUE(round_trip(exchange, "a.m"));

    raw_client back_end(server.port());
    const std::string body = R"({"event":"E","payload":1})";
    // Each would match the pattern if its glob characters were not escaped.
    back_end.command({"PUBLISH", "wAAxB:a.b", body});
    back_end.command({"PUBLISH", "w*[x]!:a.b", body});
    back_end.command({"PUBLISH", "w*[x]?:b.c", body}); // the right exchange, a key not wanted
    back_end.command({"PUBLISH", "w*[x]?:a.b", body});
    ASSERT_TRUE(round_trip(exchange, "a.m"));
    EXPECT_EQ(news(), (std::vector<bus_event>{{exchange, "a.b", "E", "1", ""}}));
}

TEST_F(redis_bus_test, a_publish_redis_does_not_answer_in_time_is_answered_once_with_the_reason) {
    settings_.publish_timeout = 200ms;
    auto& server = start_server();
    ASSERT_TRUE(server.running());
    start({server.url()});
    ASSERT_TRUE(wait_until_ready());
    raw_client admin(server.port());
    // Redis holds every PUBLISH from now on, and answers them all once unpaused.
    ASSERT_EQ(admin.command({"CLIENT", "PAUSE", "10000", "WRITE"}), "OK");

    struct answers {
        std::atomic<int> count{0};
        std::promise<std::string> first;
    };
    const auto late = std::make_shared<answers>();
    on_bus([&] {
        bus_->publish({"widgets", "1", "E", "1", ""}, [late](std::string_view error) {
            if (late->count.fetch_add(1) == 0) {
                late->first.set_value(std::string(error));
            }
        });
    });
    auto first = late->first.get_future();
    ASSERT_EQ(first.wait_for(patience), std::future_status::ready);
    EXPECT_NE(first.get().find("no answer to PUBLISH within 200 ms"), std::string::npos);

    ASSERT_EQ(admin.command({"CLIENT", "UNPAUSE"}), "OK");
    // Answered after the late reply to the first one, which must not answer it again.
    EXPECT_EQ(publish({"widgets", "1", "E", "2", ""}), "");
    EXPECT_EQ(late->count.load(), 1);
}

TEST_F(redis_bus_test, a_password_and_a_database_in_the_url_are_used) {
    const std::string password = "s3cr:t@/x";
    auto& server = start_server({"--requirepass", password});
    ASSERT_TRUE(server.running());
    start({server.url(":s3cr%3At%40%2Fx@", "/5")});
    ASSERT_TRUE(wait_until_ready());
    subscribe("widgets", "1");
    ASSERT_TRUE(round_trip("widgets", "1"));

    raw_client admin(server.port(), password.c_str());
    const auto clients = admin.command({"CLIENT", "LIST"});
    std::size_t in_db_5 = 0;
    for (auto at = clients.find(" db=5 "); at != std::string::npos;
         at = clients.find(" db=5 ", at + 1)) {
        ++in_db_5;
    }
    EXPECT_EQ(in_db_5, 3u) << clients; // the subscriber, the publisher, the mailboxes' link
}

TEST_F(redis_bus_test, a_wrong_password_is_reported_not_ready_with_the_password_masked) {
    auto& server = start_server({"--requirepass", "right"});
    ASSERT_TRUE(server.running());
    start({server.url(":wrong-one@")});
    ASSERT_TRUE(wait_until_not_ready());
    const auto reason = readiness().back().second;
    EXPECT_NE(reason.find("redis at redis://:****@127.0.0.1:" + std::to_string(server.port())),
              std::string::npos)
        << reason;
    EXPECT_NE(reason.find("AUTH failed"), std::string::npos) << reason;
    EXPECT_EQ(reason.find("wrong-one"), std::string::npos) << reason;
}

TEST_F(redis_bus_test, a_server_killed_is_reported_and_its_restart_brings_the_subscriptions_back) {
    auto& server = start_server();
    ASSERT_TRUE(server.running());
    start({server.url()});
    ASSERT_TRUE(wait_until_ready());
    subscribe("widgets", "1");
    ASSERT_TRUE(round_trip("widgets", "1"));

    server.kill_hard();
    ASSERT_TRUE(wait_until_not_ready());
    EXPECT_NE(readiness().back().second.find("redis at " + server.url() + ": "), std::string::npos)
        << readiness().back().second;
    // Not connected: a publish is answered at once, with the reason.
    EXPECT_NE(publish({"widgets", "1", "E", "1", ""}).find("not connected"), std::string::npos);

    ASSERT_TRUE(server.restart());
    ASSERT_TRUE(wait_until_ready(2));
    ASSERT_TRUE(round_trip("widgets", "1")); // re-subscribed on ready, as the bus thread does
    raw_client back_end(server.port());
    EXPECT_EQ(back_end.command({"PUBLISH", "widgets:1", R"({"event":"Again","payload":2})"}), "1");
    ASSERT_TRUE(wait([&] { return events_.size() >= 3; }));
    EXPECT_EQ(news(), (std::vector<bus_event>{{"widgets", "1", "Again", "2", ""}}));
    // One report per change of state, however many reconnects failed meanwhile.
    const auto states = readiness();
    ASSERT_EQ(states.size(), 3u);
    EXPECT_TRUE(states[0].first);
    EXPECT_FALSE(states[1].first);
    EXPECT_TRUE(states[2].first);
}

TEST_F(redis_bus_test, with_two_urls_the_bus_fails_over_to_the_second_when_the_first_goes_away) {
    auto& first = start_server();
    auto& second = start_server();
    ASSERT_TRUE(first.running() && second.running());
    start({first.url(), second.url()});
    ASSERT_TRUE(wait_until_ready());
    subscribe("widgets", "1");
    ASSERT_TRUE(round_trip("widgets", "1"));

    first.kill_hard();
    ASSERT_TRUE(wait_until_ready(2));
    ASSERT_TRUE(round_trip("widgets", "1"));
    raw_client back_end(second.port());
    EXPECT_EQ(back_end.command({"PUBLISH", "widgets:1", R"({"event":"There","payload":0})"}), "1");
    ASSERT_TRUE(wait([&] { return events_.size() >= 3; }));
    EXPECT_EQ(news(), (std::vector<bus_event>{{"widgets", "1", "There", "0", ""}}));
}

TEST_F(redis_bus_test, a_first_url_that_does_not_answer_is_skipped_for_the_next) {
    auto& server = start_server();
    ASSERT_TRUE(server.running());
    const int nobody = free_port(); // nothing listens there
    start({"redis://127.0.0.1:" + std::to_string(nobody) + "/0", server.url()});
    ASSERT_TRUE(wait_until_ready());
    const auto states = readiness();
    ASSERT_EQ(states.size(), 2u);
    EXPECT_NE(states[0].second.find(std::to_string(nobody)), std::string::npos) << states[0].second;
}

} // namespace
} // namespace herald

namespace herald {
namespace {

TEST_F(redis_bus_test, a_request_is_one_stream_entry_and_one_without_a_stream_fails_at_once) {
    auto& server = start_server();
    ASSERT_TRUE(server.running());
    start({server.url()});
    ASSERT_TRUE(wait_until_ready());
    // Answered once XADD is; the fields themselves are checked by bus_requests_test.cpp.
    ASSERT_EQ(send_request({"work", "c-1", R"({"kind":"touch"})"}), "");
    ASSERT_EQ(send_request({"work", "c-2", R"({"kind":"touch"})"}), "");
    raw_client worker(server.port());
    EXPECT_EQ(worker.command({"XLEN", "work"}), "2");
    EXPECT_EQ(send_request({"", "c-3", "{}"}), "a request needs a stream to go to");
}

TEST_F(redis_bus_test,
       a_message_on_the_reply_channel_without_a_string_correlation_id_is_malformed) {
    auto& server = start_server();
    ASSERT_TRUE(server.running());
    start({server.url()});
    ASSERT_TRUE(wait_until_ready());
    const auto channel = reply_channel();
    raw_client worker(server.port());
    EXPECT_EQ(worker.command({"PUBLISH", channel, "not json"}), "1");
    EXPECT_EQ(worker.command({"PUBLISH", channel, R"({"correlation_id":7})"}), "1");
    EXPECT_EQ(worker.command({"PUBLISH", channel, R"({"correlation_id":"c-1","n":1})"}), "1");
    ASSERT_TRUE(wait([&] { return !replies_.empty(); }));
    EXPECT_EQ(replies(), (std::vector<std::pair<std::string, std::string>>{
                             {"c-1", R"({"correlation_id":"c-1","n":1})"}}));
    EXPECT_EQ(malformed(), (std::vector<std::pair<std::string, std::string>>{
                               {channel, "a reply that is not JSON"},
                               {channel, "a reply whose \"correlation_id\" is not a string"}}));
    EXPECT_TRUE(events().empty());
}

TEST_F(redis_bus_test, after_a_reconnect_the_reply_channel_is_held_again_and_answers_arrive) {
    auto& server = start_server();
    ASSERT_TRUE(server.running());
    start({server.url()});
    ASSERT_TRUE(wait_until_ready());
    const auto channel = reply_channel();

    server.kill_hard();
    ASSERT_TRUE(wait_until_not_ready());
    // Not connected: a request is answered at once, with the reason.
    EXPECT_NE(send_request({"work", "c-0", "{}"}).find("not connected"), std::string::npos);

    ASSERT_TRUE(server.restart());
    ASSERT_TRUE(wait_until_ready(2));
    EXPECT_EQ(reply_channel(), channel); // the node's for the bus's life
    ASSERT_EQ(send_request({"work", "c-1", "{}"}), "");
    raw_client worker(server.port());
    // Subscribed before ready: one subscriber (this node) hears it.
    EXPECT_EQ(worker.command({"PUBLISH", channel, R"({"correlation_id":"c-1"})"}), "1");
    ASSERT_TRUE(wait([&] { return !replies_.empty(); }));
    EXPECT_EQ(replies()[0].first, "c-1");
}

} // namespace
} // namespace herald
