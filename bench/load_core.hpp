// What every part of herald-bench shares: the options, the clock, the latency histogram, the
// epoll loop, the publisher interface and the run's state (counters and the in-flight window).
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <sys/epoll.h>
#include <sys/types.h>
#include <time.h>
#include <vector>

namespace herald_bench {

[[noreturn]] void die(const std::string& message);
std::string errno_text(int error);

// CLOCK_MONOTONIC, as the payload's "t" promises: sender and receiver share the clock.
inline std::int64_t now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

// ---- Options

// What receives the events: WebSocket subscribers of Herald or of the ws peer, or one
// in-process consumer of a broker (no server at all: what the broker delivers, for comparison).
enum class target_kind { herald, ws_peer, bare_amqp, bare_redis };
// How events are published: Herald's HTTP API, the ws peer's /publish socket, or straight into a
// broker as a back end would.
enum class publish_kind { http, ws, amqp, redis };
// What Herald's subscribers speak: Myxi (Subscribe to exchange bench on /pushwss, events by POST
// /api/publish) or MonoRail (a watch of resource nodes on /nodes, changes by PUT
// /api/resources/nodes/bench: written to the store and published on on.waterline, as RackHD's
// database changes are).
enum class dialect_kind { myxi, monorail };
// How MonoRail's changes are made: through the store (PUT /api/resources/nodes/bench: the write,
// then on.waterline) or straight onto on.waterline by POST /api/publish (no store in the loop,
// as RackHD's services publish their changes).
enum class changes_kind { store, publish };

struct options {
    target_kind target = target_kind::herald;
    publish_kind publish_via = publish_kind::http;
    dialect_kind dialect = dialect_kind::myxi;
    changes_kind changes = changes_kind::store; // with dialect monorail
    std::string broker_url;                     // with publish_via amqp or redis
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;
    std::size_t connections = 10000;
    std::size_t topics = 1;
    unsigned source_addresses = 1;
    std::size_t payload_bytes = 100;
    double duration_s = 10;
    double warmup_s = 2;
    double rate = 0;
    std::size_t window = 4;
    double lost_after_s = 30;
    std::size_t max_queue_length = 100000;
    int consumer_cpu = -1; // bare targets: the core of the consumer's thread; -1: not pinned
    std::string api_key = "bench-key";
    std::optional<pid_t> server_pid;
    std::optional<pid_t> broker_pid;
    bool json = false;

    bool bare() const {
        return target == target_kind::bare_amqp || target == target_kind::bare_redis;
    }
};

options parse_options(int argc, char** argv);
const char* target_name(target_kind target);
const char* publish_name(publish_kind via);

// Every event goes to exchange "bench"; topic i is routing key "t<i>".
constexpr std::string_view exchange_name = "bench";
inline std::string routing_key_of(std::size_t topic) {
    std::string key = "t"; // appended, not "t" + …: g++ 12 warns (-Wrestrict) on the latter
    key += std::to_string(topic);
    return key;
}

// ---- Latency histogram

// Log-linear buckets: exact below 128 µs, then 128 buckets per power of two (under 1% error),
// so millions of deliveries cost a few kilobytes and no sorting.
class latency_histogram {
public:
    void record(std::uint64_t micros) {
        ++counts_[index_of(micros)];
        ++total_;
        max_ = std::max(max_, micros);
    }

    std::uint64_t max() const { return max_; }

    // The middle of the bucket holding the q-th quantile (q in (0, 1]).
    std::uint64_t quantile(double q) const {
        const auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(total_)));
        std::uint64_t seen = 0;
        for (std::size_t i = 0; i < counts_.size(); ++i) {
            seen += counts_[i];
            if (seen >= rank && seen > 0) {
                return std::min(middle_of(i), max_);
            }
        }
        return 0;
    }

private:
    static constexpr int sub_bits = 7;
    static constexpr std::uint64_t sub_count = std::uint64_t{1} << sub_bits;

    static std::size_t index_of(std::uint64_t value) {
        if (value < sub_count) {
            return value;
        }
        const int shift = std::bit_width(value) - 1 - sub_bits;
        return (shift + 1) * sub_count + ((value >> shift) - sub_count);
    }

    static std::uint64_t middle_of(std::size_t index) {
        if (index < sub_count) {
            return index;
        }
        const std::size_t shift = index / sub_count - 1;
        const std::uint64_t low = (sub_count + index % sub_count) << shift;
        return low + ((std::uint64_t{1} << shift) >> 1);
    }

    std::array<std::uint64_t, (64 - sub_bits + 1) * sub_count> counts_{};
    std::uint64_t total_ = 0;
    std::uint64_t max_ = 0;
};

// xorshift64*: mask keys and Sec-WebSocket-Keys need to vary, not to be secret.
class fast_random {
public:
    explicit fast_random(std::uint64_t seed)
        : state_(seed | 1) {}

    std::uint64_t next() {
        state_ ^= state_ >> 12;
        state_ ^= state_ << 25;
        state_ ^= state_ >> 27;
        return state_ * 0x2545F4914F6CDD1DULL;
    }

private:
    std::uint64_t state_;
};

// {"t":<ns>,"pad":"xx…"}, padded to `size` bytes.
std::string event_payload(std::int64_t sent_ns, std::size_t size);

// The number after "t": in an event: the publisher's CLOCK_MONOTONIC stamp.
std::optional<std::int64_t> sent_time_of(std::string_view message);

// ---- Event loop

// Anything with a socket in the loop: a WebSocket or HTTP connection, a broker client.
class watcher {
public:
    virtual ~watcher() = default;
    virtual void on_ready(std::uint32_t events) = 0;
};

class event_loop {
public:
    event_loop();
    ~event_loop();
    event_loop(const event_loop&) = delete;
    event_loop& operator=(const event_loop&) = delete;

    void watch(int fd, watcher& owner, std::uint32_t events) {
        control(EPOLL_CTL_ADD, fd, owner, events);
    }
    void rewatch(int fd, watcher& owner, std::uint32_t events) {
        control(EPOLL_CTL_MOD, fd, owner, events);
    }

    // Waits, then calls on_ready of each watcher whose socket is ready.
    void run_once(int timeout_ms);

private:
    void control(int operation, int fd, watcher& owner, std::uint32_t events);

    int fd_;
    std::array<epoll_event, 1024> ready_{};
};

// ---- What the clients share: counters, the in-flight window, the publishers

class publisher {
public:
    virtual ~publisher() = default;
    virtual bool can_publish() const = 0;
    virtual void publish(std::string_view routing_key, std::string_view payload) = 0;
    // Sends what publish() buffered; called once per turn of the loop.
    virtual void flush() {}
};

class run_state {
public:
    run_state(const options& o, event_loop& loop);

    const options& settings;
    event_loop& loop;
    fast_random random;

    // -- Receivers: WebSocket subscribers (one topic each), or one bare consumer of them all
    void subscriber_ready(std::size_t topic) {
        ++live_subscribers_;
        ++awaiting_[topic];
    }
    void subscriber_lost(std::size_t topic, std::string_view why);
    void consumer_ready() { std::fill(awaiting_.begin(), awaiting_.end(), 1); }
    std::size_t live_subscribers() const { return live_subscribers_; }

    // -- Deliveries
    void delivered(std::int64_t sent_ns, std::int64_t received_ns) {
        if (measuring_) {
            ++deliveries_;
            latency_.record(
                static_cast<std::uint64_t>(std::max<std::int64_t>(0, received_ns - sent_ns)) /
                1000);
        }
        // Events are published in order of sent_ns, so the window is sorted by it.
        const auto event = std::lower_bound(
            in_flight_.begin(), in_flight_.end(), sent_ns,
            [](const in_flight_event& e, std::int64_t sent) { return e.sent_ns < sent; });
        if (event == in_flight_.end() || event->sent_ns != sent_ns || event->awaited == 0) {
            return; // counted lost already, or a duplicate
        }
        if (--event->awaited == 0) {
            --open_events_;
            while (!in_flight_.empty() && in_flight_.front().awaited == 0) {
                in_flight_.pop_front();
            }
            publish_while_window_allows();
        }
    }
    void delivered(std::string_view message, std::int64_t received_ns) {
        if (const auto sent = sent_time_of(message)) {
            delivered(*sent, received_ns);
        } else {
            unexpected_message(message);
        }
    }
    void unexpected_message(std::string_view message);
    void expire_lost_events(std::int64_t now);

    // -- Publishing
    void add_publisher(publisher& p) { publishers_.push_back(&p); }
    void set_publishing(bool on) { publishing_ = on; }
    // Round-robin over the publishers, so that each of Herald's keep-alive HTTP connections
    // is used (it closes one that stays idle for its handshake_timeout_seconds).
    void publish_while_window_allows() {
        if (!publishing_) {
            return;
        }
        std::size_t busy = 0; // publishers in a row that could not take an event
        while (busy < publishers_.size() && open_events_ < settings.window && rate_allows()) {
            publisher& p = *publishers_[next_publisher_];
            next_publisher_ = (next_publisher_ + 1) % publishers_.size();
            if (p.can_publish()) {
                publish_one(p);
                busy = 0;
            } else {
                ++busy;
            }
        }
    }
    void flush_publishers() {
        for (publisher* p : publishers_) {
            p->flush();
        }
    }
    bool publishers_ready() const {
        return std::all_of(publishers_.begin(), publishers_.end(),
                           [](const publisher* p) { return p->can_publish(); });
    }

    // -- Measurement
    void start_measuring() {
        measuring_ = true;
        measure_start_ns_ = now_ns();
    }
    void stop_measuring() {
        measuring_ = false;
        measured_ns_ = now_ns() - measure_start_ns_;
    }
    double measured_seconds() const { return static_cast<double>(measured_ns_) / 1e9; }
    std::uint64_t deliveries() const { return deliveries_; }
    std::uint64_t events_published() const { return events_published_; }
    std::uint64_t lost_deliveries() const { return lost_deliveries_; }
    std::uint64_t dropped_subscribers() const { return dropped_subscribers_; }
    std::uint64_t unexpected_messages() const { return unexpected_messages_; }
    std::uint64_t errors() const {
        return lost_deliveries_ + dropped_subscribers_ + unexpected_messages_;
    }
    // Events published and not yet delivered to every receiver of their topic.
    std::size_t open_events() const { return open_events_; }
    const latency_histogram& latency() const { return latency_; }

private:
    struct in_flight_event {
        std::int64_t sent_ns; // also the event's identity: publish_one keeps it unique
        std::size_t awaited;  // receivers that have not received it yet; 0: done
    };

    bool rate_allows() const { return settings.rate <= 0 || now_ns() >= next_publish_ns_; }
    void publish_one(publisher& p);

    std::size_t live_subscribers_ = 0;
    std::vector<std::size_t> awaiting_;     // per topic: the receivers an event awaits
    std::vector<std::string> routing_keys_; // per topic
    std::size_t next_topic_ = 0;
    std::deque<in_flight_event> in_flight_; // by sent_ns; done ones leave from the front
    std::size_t open_events_ = 0;           // those of in_flight_ not done
    std::vector<publisher*> publishers_;
    std::size_t next_publisher_ = 0;
    bool publishing_ = false;
    std::int64_t last_sent_ns_ = 0;
    std::int64_t next_publish_ns_ = 0;
    std::int64_t lost_after_ns_;

    bool measuring_ = false;
    std::int64_t measure_start_ns_ = 0;
    std::int64_t measured_ns_ = 0;
    latency_histogram latency_;
    std::uint64_t deliveries_ = 0;
    std::uint64_t events_published_ = 0;
    std::uint64_t lost_deliveries_ = 0;
    std::uint64_t dropped_subscribers_ = 0;
    std::uint64_t unexpected_messages_ = 0;
};

} // namespace herald_bench
