// The Redis publisher and bare consumer of herald-bench (hiredis, as Herald).

#include "broker_clients.hpp"

#include <cerrno>
#include <charconv>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <vector>

namespace herald_bench {
namespace {

struct redis_address {
    std::string host;
    int port = 6379;
    std::string password;
};

// redis://[[user]:password@]host[:port][/db]. The database does not matter: Pub/Sub channels
// are the same in every one.
redis_address parse_redis_url(const std::string& url) {
    constexpr std::string_view scheme = "redis://";
    std::string_view rest = url;
    if (!rest.starts_with(scheme)) {
        die("not a redis:// URL: " + url);
    }
    rest.remove_prefix(scheme.size());
    rest = rest.substr(0, rest.find('/'));
    redis_address out;
    if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
        const auto user_info = rest.substr(0, at);
        const auto colon = user_info.find(':');
        out.password = colon == std::string_view::npos ? user_info : user_info.substr(colon + 1);
        rest.remove_prefix(at + 1);
    }
    const auto colon = rest.rfind(':');
    out.host = rest.substr(0, colon);
    if (colon != std::string_view::npos) {
        const auto digits = rest.substr(colon + 1);
        const auto [end, error] =
            std::from_chars(digits.data(), digits.data() + digits.size(), out.port);
        if (error != std::errc{} || end != digits.data() + digits.size()) {
            die("a bad port in " + url);
        }
    }
    if (out.host.empty()) {
        die("no host in " + url);
    }
    return out;
}

std::string_view text_of(const redisReply& reply) {
    return {reply.str == nullptr ? "" : reply.str, reply.str == nullptr ? 0 : reply.len};
}

// One hiredis connection: set up blocking, then non-blocking in the event loop.
class redis_link {
public:
    redis_link(const std::string& url, const char* role)
        : role_(role) {
        const auto address = parse_redis_url(url);
        context_ = redisConnectWithTimeout(address.host.c_str(), address.port, timeval{5, 0});
        if (context_ == nullptr || context_->err != 0) {
            die(role_ + ": cannot connect to " + url + ": " +
                (context_ == nullptr ? "out of memory" : context_->errstr));
        }
        const int one = 1;
        setsockopt(context_->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (!address.password.empty()) {
            auto* reply = static_cast<redisReply*>(redisCommand(
                context_, "AUTH %b", address.password.data(), address.password.size()));
            if (reply == nullptr || reply->type == REDIS_REPLY_ERROR) {
                die(role_ + ": AUTH: " +
                    (reply == nullptr ? std::string(context_->errstr)
                                      : std::string(text_of(*reply))));
            }
            freeReplyObject(reply);
        }
    }
    ~redis_link() { redisFree(context_); }
    redis_link(const redis_link&) = delete;
    redis_link& operator=(const redis_link&) = delete;

    redisContext* context() const { return context_; }
    int fd() const { return context_->fd; }
    const std::string& role() const { return role_; }

    // A reply to a command sent with the context still blocking.
    redisReply* blocking_reply() {
        void* reply = nullptr;
        if (redisGetReply(context_, &reply) != REDIS_OK || reply == nullptr) {
            die(role_ + ": " + context_->errstr);
        }
        return static_cast<redisReply*>(reply);
    }

    void make_nonblocking() {
        const int flags = fcntl(context_->fd, F_GETFL);
        if (flags < 0 || fcntl(context_->fd, F_SETFL, flags | O_NONBLOCK) != 0) {
            die(role_ + ": fcntl: " + errno_text(errno));
        }
        context_->flags &= ~REDIS_BLOCK; // hiredis then takes EAGAIN as "later"
    }

    // One read, then every whole reply it completed, each handed to `take` and freed.
    template <typename Take> void read_replies(Take&& take) {
        if (redisBufferRead(context_) != REDIS_OK) {
            die(role_ + ": " + context_->errstr);
        }
        for (;;) {
            void* reply = nullptr;
            if (redisGetReplyFromReader(context_, &reply) != REDIS_OK) {
                die(role_ + ": " + context_->errstr);
            }
            if (reply == nullptr) {
                return;
            }
            take(*static_cast<redisReply*>(reply));
            freeReplyObject(reply);
        }
    }

    // Writes what the socket takes; true when all of it went.
    bool write_pending() {
        int done = 0;
        if (redisBufferWrite(context_, &done) != REDIS_OK) {
            die(role_ + ": " + context_->errstr);
        }
        return done != 0;
    }

private:
    std::string role_;
    redisContext* context_ = nullptr;
};

// PUBLISH bench:t<i> per event, pipelined: appended as the window allows, written once per turn
// of the loop; the replies (receiver counts) are read as they come.
class redis_publisher final : public watcher, public publisher {
public:
    explicit redis_publisher(run_state& run)
        : run_(run)
        , link_(run.settings.broker_url, "redis publisher") {
        link_.make_nonblocking();
        run_.loop.watch(link_.fd(), *this, EPOLLIN);
    }

    bool can_publish() const override { return true; }

    void publish(std::string_view routing_key, std::string_view payload) override {
        channel_ = exchange_name;
        channel_ += ':';
        channel_ += routing_key;
        body_ = R"({"event":"tick","payload":)";
        body_ += payload;
        body_ += '}';
        if (redisAppendCommand(link_.context(), "PUBLISH %b %b", channel_.data(), channel_.size(),
                               body_.data(), body_.size()) != REDIS_OK) {
            die("redis publisher: out of memory");
        }
        unwritten_ = true;
    }

    void flush() override {
        if (unwritten_ && !watching_write_) {
            write();
        }
    }

    void on_ready(std::uint32_t events) override {
        if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0) {
            link_.read_replies([this](const redisReply& reply) { check(reply); });
        }
        if ((events & EPOLLOUT) != 0) {
            write();
        }
    }

private:
    void write() {
        unwritten_ = !link_.write_pending();
        if (unwritten_ != watching_write_) {
            watching_write_ = unwritten_;
            run_.loop.rewatch(link_.fd(), *this, unwritten_ ? EPOLLIN | EPOLLOUT : EPOLLIN);
        }
    }

    void check(const redisReply& reply) {
        if (reply.type != REDIS_REPLY_INTEGER) {
            die("redis publisher: PUBLISH answered " + std::string(text_of(reply)));
        }
        // 0: nobody subscribes to the channel; the event will be counted lost.
        if (reply.integer == 0 && ++unheard_ == 1) {
            std::fprintf(stderr, "herald-bench: warning: redis: an event reached no subscriber\n");
        }
    }

    run_state& run_;
    redis_link link_;
    std::string channel_;
    std::string body_;
    bool unwritten_ = false;
    bool watching_write_ = false;
    std::uint64_t unheard_ = 0;
};

class bare_redis_consumer final : public watcher {
public:
    bare_redis_consumer(const options& settings, event_loop& loop, delivery_sink& sink)
        : sink_(sink)
        , link_(settings.broker_url, "bare redis consumer") {
        // One SUBSCRIBE of every channel; Redis confirms each one.
        std::vector<std::string> words{"SUBSCRIBE"};
        for (std::size_t topic = 0; topic < settings.topics; ++topic) {
            words.push_back(std::string(exchange_name) + ":" + routing_key_of(topic));
        }
        std::vector<const char*> argv;
        std::vector<std::size_t> lengths;
        for (const auto& w : words) {
            argv.push_back(w.data());
            lengths.push_back(w.size());
        }
        if (redisAppendCommandArgv(link_.context(), static_cast<int>(argv.size()), argv.data(),
                                   lengths.data()) != REDIS_OK) {
            die("bare redis consumer: out of memory");
        }
        for (std::size_t topic = 0; topic < settings.topics; ++topic) {
            redisReply* reply = link_.blocking_reply();
            if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3 ||
                text_of(*reply->element[0]) != "subscribe") {
                die("bare redis consumer: SUBSCRIBE answered something else");
            }
            freeReplyObject(reply);
        }
        link_.make_nonblocking();
        loop.watch(link_.fd(), *this, EPOLLIN);
    }

    void on_ready(std::uint32_t) override {
        const std::int64_t received = now_ns();
        link_.read_replies([&](const redisReply& reply) {
            if (reply.type == REDIS_REPLY_ARRAY && reply.elements == 3 &&
                text_of(*reply.element[0]) == "message") {
                sink_.delivered(text_of(*reply.element[2]), received);
            } else {
                sink_.delivered("not a Pub/Sub message", received);
            }
        });
    }

private:
    delivery_sink& sink_;
    redis_link link_;
};

} // namespace

std::unique_ptr<publisher> open_redis_publisher(run_state& run) {
    return std::make_unique<redis_publisher>(run);
}

std::unique_ptr<watcher> open_bare_redis_consumer(const options& settings, event_loop& loop,
                                                  delivery_sink& sink) {
    return std::make_unique<bare_redis_consumer>(settings, loop, sink);
}

} // namespace herald_bench
