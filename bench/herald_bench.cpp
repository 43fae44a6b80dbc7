// herald-bench: the load generator of `make bench`. It opens N subscriber WebSocket connections
// to a broadcast server (Herald, or the Node `ws` peer in bench/ws_peer.mjs), publishes
// timestamped events while at most --window of them are in flight, and reports connections/s,
// deliveries/s, delivery latency and the server's memory per idle connection.
//
// One thread on raw epoll: the client must spend less CPU per delivery than the servers it
// measures, on a core of its own, or it would measure itself.

#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <bit>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <vector>

namespace {

// Every subscriber takes exchange "bench", routing key "all"; every event goes there.
constexpr std::string_view subscribe_action =
    R"({"action":"Subscribe","tag":1,"payload":{"exchange":"bench","routing_key":"all"}})";
constexpr std::string_view publish_body_start =
    R"({"exchange":"bench","routing_key":"all","event":"tick","payload":)";

// Handshakes in progress at once. Unbounded, 10,000 SYNs would overflow the listen backlog
// (511 in Node) and the dropped ones would wait a full second for their retransmission.
constexpr std::size_t max_connecting = 256;
constexpr std::int64_t connect_timeout_ns = 60'000'000'000;
// Pause between the last Subscribed and the idle RSS sample, so the server's allocations for
// the handshakes have settled.
constexpr std::int64_t settle_ns = 1'000'000'000;
// An event not delivered to every subscriber by then counts its missing deliveries as lost,
// so they cannot hold the window for ever. A safety net only: over TCP a delivery goes missing
// with its connection (a dropped subscriber) or through a server bug. Generous, because a slow
// server with a wide window takes seconds per event (the ws peer: 5 s at --window 64).
constexpr std::int64_t lost_after_ns = 30'000'000'000;
constexpr std::size_t max_frame_bytes = 16 << 20;

[[noreturn]] void die(const std::string& message) {
    std::fprintf(stderr, "herald-bench: %s\n", message.c_str());
    std::exit(1);
}

std::string errno_text(int error) {
    return std::strerror(error);
}

// CLOCK_MONOTONIC, as the payload's "t" promises: sender and receiver share the clock.
std::int64_t now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

// ---- Options

enum class target_kind { herald, ws_peer };

struct options {
    target_kind target = target_kind::herald;
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;
    std::size_t connections = 10000;
    unsigned source_addresses = 1;
    std::size_t payload_bytes = 100;
    double duration_s = 10;
    double warmup_s = 2;
    double rate = 0;
    std::size_t window = 4;
    std::string api_key = "bench-key";
    std::optional<pid_t> server_pid;
    bool json = false;
};

constexpr std::string_view usage = R"(usage: herald-bench --port N [options]
  --target herald|ws-peer   the server kind (default herald)
  --host ADDR               server IPv4 address (default 127.0.0.1)
  --port N                  server port (required)
  --connections N           subscriber connections (default 10000)
  --source-addresses N      bind subscribers round-robin to 127.0.0.1..127.0.0.N (default 1)
  --payload-bytes N         size of each event's payload JSON (default 100, at least 40)
  --warmup SECONDS          publishing before the measurement (default 2)
  --duration SECONDS        the measurement (default 10)
  --rate N                  cap on events per second; 0: as fast as the window allows (default)
  --window N                events in flight, published but not yet delivered to every
                            subscriber (default 4)
  --api-key KEY             Herald's publish key (default bench-key, as in bench/herald.toml)
  --server-pid PID          sample the server's VmRSS: before, idle and at the end
  --json                    print the results as one JSON object
)";

template <typename Number> Number parse_number(std::string_view flag, std::string_view text) {
    Number value{};
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size()) {
        die(std::string(flag) + ": not a number: " + std::string(text));
    }
    return value;
}

void check_options(const options& o) {
    if (o.port == 0) {
        die("--port is required\n" + std::string(usage));
    }
    if (o.connections == 0 || o.window == 0) {
        die("--connections and --window must be at least 1");
    }
    if (o.source_addresses == 0 || o.source_addresses > 254) {
        die("--source-addresses must be between 1 and 254");
    }
    if (o.payload_bytes < 40) {
        die("--payload-bytes must be at least 40: the timestamp needs room");
    }
    if (!(o.duration_s > 0) || o.warmup_s < 0 || o.rate < 0) {
        die("--duration must be positive; --warmup and --rate must not be negative");
    }
}

options parse_options(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string_view flag = argv[i];
        if (flag == "--json") {
            o.json = true;
            continue;
        }
        if (flag == "--help" || flag == "-h") {
            std::fputs(usage.data(), stdout);
            std::exit(0);
        }
        if (i + 1 >= argc) {
            die(std::string(flag) + ": needs a value (or unknown flag)\n" + std::string(usage));
        }
        const std::string_view value = argv[++i];
        if (flag == "--target") {
            if (value != "herald" && value != "ws-peer") {
                die("--target must be herald or ws-peer");
            }
            o.target = value == "herald" ? target_kind::herald : target_kind::ws_peer;
        } else if (flag == "--host") {
            o.host = value;
        } else if (flag == "--port") {
            o.port = parse_number<std::uint16_t>(flag, value);
        } else if (flag == "--connections") {
            o.connections = parse_number<std::size_t>(flag, value);
        } else if (flag == "--source-addresses") {
            o.source_addresses = parse_number<unsigned>(flag, value);
        } else if (flag == "--payload-bytes") {
            o.payload_bytes = parse_number<std::size_t>(flag, value);
        } else if (flag == "--duration") {
            o.duration_s = parse_number<double>(flag, value);
        } else if (flag == "--warmup") {
            o.warmup_s = parse_number<double>(flag, value);
        } else if (flag == "--rate") {
            o.rate = parse_number<double>(flag, value);
        } else if (flag == "--window") {
            o.window = parse_number<std::size_t>(flag, value);
        } else if (flag == "--api-key") {
            o.api_key = value;
        } else if (flag == "--server-pid") {
            o.server_pid = parse_number<pid_t>(flag, value);
        } else {
            die("unknown flag " + std::string(flag) + "\n" + std::string(usage));
        }
    }
    check_options(o);
    return o;
}

// ---- Process resources

// One descriptor per connection: the default soft limit (1024) is far too low.
void raise_descriptor_limit(std::size_t needed) {
    rlimit limit{};
    getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
        die("cannot raise RLIMIT_NOFILE: " + errno_text(errno));
    }
    if (limit.rlim_cur < needed) {
        die("RLIMIT_NOFILE's hard limit is " + std::to_string(limit.rlim_cur) + ", " +
            std::to_string(needed) +
            " descriptors are needed: raise it or use fewer --connections");
    }
}

std::uint64_t read_rss_kib(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.starts_with("VmRSS:")) {
            return std::strtoull(line.c_str() + 6, nullptr, 10);
        }
    }
    die("cannot read VmRSS of --server-pid " + std::to_string(pid) + ": is it running?");
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

// ---- Encoding

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

std::string base64(std::span<const unsigned char> bytes) {
    static constexpr char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    for (std::size_t i = 0; i < bytes.size(); i += 3) {
        const bool second = i + 1 < bytes.size();
        const bool third = i + 2 < bytes.size();
        const std::uint32_t chunk = std::uint32_t{bytes[i]} << 16 |
                                    (second ? std::uint32_t{bytes[i + 1]} << 8 : 0) |
                                    (third ? std::uint32_t{bytes[i + 2]} : 0);
        out += alphabet[chunk >> 18 & 63];
        out += alphabet[chunk >> 12 & 63];
        out += second ? alphabet[chunk >> 6 & 63] : '=';
        out += third ? alphabet[chunk & 63] : '=';
    }
    return out;
}

std::string websocket_key(fast_random& random) {
    std::array<unsigned char, 16> nonce{};
    for (auto& byte : nonce) {
        byte = static_cast<unsigned char>(random.next());
    }
    return base64(nonce);
}

// {"t":<ns>,"pad":"xx…"}, padded to `size` bytes.
std::string event_payload(std::int64_t sent_ns, std::size_t size) {
    std::string out = R"({"t":)" + std::to_string(sent_ns) + R"(,"pad":")";
    constexpr std::size_t closing = 2; // "}
    if (out.size() + closing < size) {
        out.append(size - out.size() - closing, 'x');
    }
    out += "\"}";
    return out;
}

// ---- WebSocket frames

enum class opcode : std::uint8_t { text = 1, binary = 2, close = 8, ping = 9, pong = 10 };

// RFC 6455 §5.3: every client frame is masked.
void append_masked_frame(std::string& out, opcode code, std::string_view payload,
                         std::uint32_t mask_key) {
    const std::size_t n = payload.size();
    out += static_cast<char>(0x80 | static_cast<std::uint8_t>(code));
    if (n < 126) {
        out += static_cast<char>(0x80 | n);
    } else if (n <= 0xFFFF) {
        out += static_cast<char>(0x80 | 126);
        out += static_cast<char>(n >> 8);
        out += static_cast<char>(n & 0xFF);
    } else {
        out += static_cast<char>(0x80 | 127);
        for (int shift = 56; shift >= 0; shift -= 8) {
            out += static_cast<char>(n >> shift & 0xFF);
        }
    }
    std::array<char, 4> key{};
    std::memcpy(key.data(), &mask_key, key.size());
    out.append(key.data(), key.size());
    const std::size_t start = out.size();
    out += payload;
    for (std::size_t i = 0; i < n; ++i) {
        out[start + i] = static_cast<char>(out[start + i] ^ key[i & 3]);
    }
}

struct server_frame {
    opcode code{};
    std::string_view payload;
};

struct frame_read {
    std::size_t used = 0; // 0: the frame is not complete yet
    server_frame frame;
    const char* error = nullptr;
};

// Reads the frame at the front of `input`. Servers never mask, no extension is negotiated, and
// neither server fragments small messages, so fragments are rejected rather than reassembled.
frame_read read_server_frame(std::string_view input) {
    if (input.size() < 2) {
        return {};
    }
    const auto first = static_cast<std::uint8_t>(input[0]);
    const auto second = static_cast<std::uint8_t>(input[1]);
    if ((first & 0x70) != 0) {
        return {.error = "frame with RSV bits set, but no extension was negotiated"};
    }
    if ((first & 0x80) == 0 || (first & 0x0F) == 0) {
        return {.error = "fragmented message (this client does not reassemble)"};
    }
    if ((second & 0x80) != 0) {
        return {.error = "masked frame from the server"};
    }
    std::size_t header = 2;
    std::uint64_t length = second & 0x7F;
    if (length >= 126) {
        const std::size_t extra = length == 126 ? 2 : 8;
        if (input.size() < header + extra) {
            return {};
        }
        length = 0;
        for (std::size_t i = 0; i < extra; ++i) {
            length = length << 8 | static_cast<std::uint8_t>(input[header + i]);
        }
        header += extra;
    }
    if (length > max_frame_bytes) {
        return {.error = "frame over 16 MiB"};
    }
    if (input.size() < header + length) {
        return {};
    }
    return {.used = header + length,
            .frame = {static_cast<opcode>(first & 0x0F), input.substr(header, length)}};
}

// The number after "t": in an event frame: the publisher's CLOCK_MONOTONIC stamp.
std::optional<std::int64_t> sent_time_of(std::string_view message) {
    constexpr std::string_view marker = R"("t":)";
    const auto at = message.find(marker);
    if (at == std::string_view::npos) {
        return std::nullopt;
    }
    std::int64_t value = 0;
    const char* begin = message.data() + at + marker.size();
    const auto [end, error] = std::from_chars(begin, message.data() + message.size(), value);
    if (error != std::errc{}) {
        return std::nullopt;
    }
    return value;
}

// ---- Event loop

class event_loop {
public:
    event_loop()
        : fd_(epoll_create1(EPOLL_CLOEXEC)) {
        if (fd_ < 0) {
            die("epoll_create1: " + errno_text(errno));
        }
    }
    ~event_loop() { ::close(fd_); }
    event_loop(const event_loop&) = delete;
    event_loop& operator=(const event_loop&) = delete;

    void watch(int fd, void* owner, std::uint32_t events) {
        control(EPOLL_CTL_ADD, fd, owner, events);
    }
    void rewatch(int fd, void* owner, std::uint32_t events) {
        control(EPOLL_CTL_MOD, fd, owner, events);
    }

    std::span<const epoll_event> wait(int timeout_ms) {
        const int n = epoll_wait(fd_, ready_.data(), static_cast<int>(ready_.size()), timeout_ms);
        if (n < 0) {
            if (errno == EINTR) {
                return {};
            }
            die("epoll_wait: " + errno_text(errno));
        }
        return {ready_.data(), static_cast<std::size_t>(n)};
    }

private:
    void control(int operation, int fd, void* owner, std::uint32_t events) {
        epoll_event e{};
        e.events = events;
        e.data.ptr = owner;
        if (epoll_ctl(fd_, operation, fd, &e) != 0) {
            die("epoll_ctl: " + errno_text(errno));
        }
    }

    int fd_;
    std::array<epoll_event, 1024> ready_{};
};

// ---- What the connections share: counters, the in-flight window, the publishers

class publisher {
public:
    virtual bool can_publish() const = 0;
    virtual void publish(std::string_view payload) = 0;

protected:
    ~publisher() = default;
};

class run_state {
public:
    run_state(const options& o, event_loop& loop)
        : settings(o)
        , loop(loop)
        , random(static_cast<std::uint64_t>(now_ns()) ^ static_cast<std::uint64_t>(getpid())) {}

    const options& settings;
    event_loop& loop;
    fast_random random;

    // -- Subscribers
    void subscriber_ready() { ++live_subscribers_; }
    void subscriber_lost(std::string_view why) {
        --live_subscribers_;
        ++dropped_subscribers_;
        if (dropped_subscribers_ == 1) {
            std::fprintf(stderr, "herald-bench: warning: a subscriber was lost: %.*s\n",
                         static_cast<int>(why.size()), why.data());
        }
    }
    std::size_t live_subscribers() const { return live_subscribers_; }

    // -- Deliveries
    void delivered(std::int64_t sent_ns, std::int64_t received_ns) {
        if (measuring_) {
            ++deliveries_;
            latency_.record(
                static_cast<std::uint64_t>(std::max<std::int64_t>(0, received_ns - sent_ns)) /
                1000);
        }
        const auto event =
            std::find_if(in_flight_.begin(), in_flight_.end(),
                         [&](const in_flight_event& e) { return e.sent_ns == sent_ns; });
        if (event != in_flight_.end() && --event->awaited == 0) {
            in_flight_.erase(event);
            publish_while_window_allows();
        }
    }
    void unexpected_message(std::string_view message) {
        if (++unexpected_messages_ == 1) {
            std::fprintf(stderr, "herald-bench: warning: unexpected message: %.*s\n",
                         static_cast<int>(std::min<std::size_t>(message.size(), 200)),
                         message.data());
        }
    }
    void expire_lost_events(std::int64_t now) {
        std::erase_if(in_flight_, [&](const in_flight_event& e) {
            if (now - e.sent_ns < lost_after_ns) {
                return false;
            }
            if (lost_deliveries_ == 0) {
                std::fprintf(stderr,
                             "herald-bench: warning: %zu deliveries of an event are %llds late: "
                             "counted lost\n",
                             e.awaited, static_cast<long long>(lost_after_ns / 1'000'000'000));
            }
            lost_deliveries_ += e.awaited;
            return true;
        });
    }

    // -- Publishing
    void add_publisher(publisher& p) { publishers_.push_back(&p); }
    void set_publishing(bool on) { publishing_ = on; }
    void publish_while_window_allows() {
        if (!publishing_) {
            return;
        }
        for (publisher* p : publishers_) {
            while (in_flight_.size() < settings.window && p->can_publish() && rate_allows()) {
                publish_one(*p);
            }
        }
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
    const latency_histogram& latency() const { return latency_; }

private:
    struct in_flight_event {
        std::int64_t sent_ns; // also the event's identity: publish_one keeps it unique
        std::size_t awaited;  // subscribers that have not received it yet
    };

    bool rate_allows() const { return settings.rate <= 0 || now_ns() >= next_publish_ns_; }

    void publish_one(publisher& p) {
        const std::int64_t now = now_ns();
        const std::int64_t sent = std::max(now, last_sent_ns_ + 1);
        last_sent_ns_ = sent;
        if (settings.rate > 0) {
            // A cap, not a schedule: after a stall the publisher does not burst to catch up.
            next_publish_ns_ =
                std::max(next_publish_ns_, now) + static_cast<std::int64_t>(1e9 / settings.rate);
        }
        in_flight_.push_back({sent, live_subscribers_});
        if (measuring_) {
            ++events_published_;
        }
        p.publish(event_payload(sent, settings.payload_bytes));
    }

    std::size_t live_subscribers_ = 0;
    std::vector<in_flight_event> in_flight_;
    std::vector<publisher*> publishers_;
    bool publishing_ = false;
    std::int64_t last_sent_ns_ = 0;
    std::int64_t next_publish_ns_ = 0;

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

// ---- Connections

int open_connecting_socket(const options& o, std::optional<in_addr> source) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        die("socket: " + errno_text(errno));
    }
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (source) {
        // Choose the port at connect(), per destination, instead of at bind(): otherwise every
        // bound socket holds a port of its source address whatever it connects to.
        setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
        sockaddr_in from{};
        from.sin_family = AF_INET;
        from.sin_addr = *source;
        if (::bind(fd, reinterpret_cast<const sockaddr*>(&from), sizeof from) != 0) {
            die("bind to " + std::string(inet_ntoa(*source)) + ": " + errno_text(errno));
        }
    }
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(o.port);
    if (inet_pton(AF_INET, o.host.c_str(), &to.sin_addr) != 1) {
        die("--host must be an IPv4 address: " + o.host);
    }
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0 &&
        errno != EINPROGRESS) {
        die("connect to " + o.host + ":" + std::to_string(o.port) + ": " + errno_text(errno));
    }
    return fd;
}

// A non-blocking TCP client socket: connects, buffers what the socket cannot take yet, and
// hands received bytes to consume() until it has taken whole messages.
class connection {
public:
    virtual ~connection() { close_socket(); }
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    void on_ready(std::uint32_t events) {
        if (closed()) {
            return;
        }
        if (!connected_) {
            finish_connect();
            return;
        }
        if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0) {
            read_available();
        }
        if (!closed() && (events & EPOLLOUT) != 0) {
            write_pending();
        }
    }

    bool closed() const { return fd_ < 0; }

protected:
    connection(run_state& run, int fd)
        : run_(run)
        , fd_(fd) {
        run_.loop.watch(fd_, this, EPOLLIN | EPOLLOUT); // EPOLLOUT: the connect completed
    }

    void send_bytes(std::string_view bytes) {
        outbox_ += bytes;
        if (connected_) {
            write_pending();
        }
    }

    // Ends the connection; the subclass decides whether the run can go on without it.
    void fail(const std::string& why) {
        close_socket();
        on_failure(why);
    }

    bool connected() const { return connected_; }

    virtual void on_connected() {}
    // Takes whole messages from the front of `input`, returns how many bytes it used.
    virtual std::size_t consume(std::string_view input, std::int64_t received_ns) = 0;
    virtual void on_failure(const std::string& why) = 0;

    run_state& run_;

private:
    void finish_connect() {
        int error = 0;
        socklen_t size = sizeof error;
        getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &size);
        if (error != 0) {
            fail("connect to " + run_.settings.host + ":" + std::to_string(run_.settings.port) +
                 ": " + errno_text(error));
            return;
        }
        connected_ = true;
        on_connected();
        if (!closed()) {
            write_pending();
        }
    }

    void read_available() {
        static std::array<char, 64 * 1024> buffer;
        for (;;) {
            const ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), 0);
            if (n > 0) {
                take_input({buffer.data(), static_cast<std::size_t>(n)}, now_ns());
                if (closed() || static_cast<std::size_t>(n) < buffer.size()) {
                    return; // drained: level-triggered epoll reports any later bytes
                }
            } else if (n == 0) {
                fail("the server closed the connection");
                return;
            } else if (errno != EINTR) {
                if (errno != EAGAIN) {
                    fail("recv: " + errno_text(errno));
                }
                return;
            }
        }
    }

    void take_input(std::string_view fresh, std::int64_t received_ns) {
        // Most reads hold whole messages: parse them in place and copy only a partial tail.
        if (inbox_.empty()) {
            const std::size_t used = consume(fresh, received_ns);
            if (!closed() && used < fresh.size()) {
                inbox_.assign(fresh.substr(used));
            }
            return;
        }
        inbox_ += fresh;
        const std::size_t used = consume(inbox_, received_ns);
        if (!closed()) {
            inbox_.erase(0, used);
        }
    }

    void write_pending() {
        while (!outbox_.empty()) {
            const ssize_t n = ::send(fd_, outbox_.data(), outbox_.size(), MSG_NOSIGNAL);
            if (n > 0) {
                outbox_.erase(0, static_cast<std::size_t>(n));
            } else if (errno == EAGAIN) {
                break;
            } else if (errno != EINTR) {
                fail("send: " + errno_text(errno));
                return;
            }
        }
        const bool want_write = !outbox_.empty();
        if (want_write != watching_write_) {
            watching_write_ = want_write;
            run_.loop.rewatch(fd_, this, want_write ? EPOLLIN | EPOLLOUT : EPOLLIN);
        }
    }

    void close_socket() {
        if (fd_ >= 0) {
            ::close(fd_); // also leaves the epoll set
            fd_ = -1;
        }
    }

    int fd_;
    bool connected_ = false;
    bool watching_write_ = true;
    std::string inbox_;  // the start of a message still arriving
    std::string outbox_; // bytes the socket has not taken yet
};

// A WebSocket client connection: the HTTP upgrade, then frames.
class ws_connection : public connection {
protected:
    ws_connection(run_state& run, int fd, std::string path)
        : connection(run, fd)
        , path_(std::move(path)) {}

    void send_text(std::string_view message) {
        std::string frame;
        append_masked_frame(frame, opcode::text, message,
                            static_cast<std::uint32_t>(run_.random.next()));
        send_bytes(frame);
    }

    virtual void on_open() = 0;
    virtual void on_message(std::string_view message, std::int64_t received_ns) = 0;

private:
    void on_connected() override {
        // The Sec-WebSocket-Accept hash is not checked: SHA-1 would need a crypto library, and
        // both servers measured here are known.
        send_bytes("GET " + path_ + " HTTP/1.1\r\nHost: " + run_.settings.host + ":" +
                   std::to_string(run_.settings.port) +
                   "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " +
                   websocket_key(run_.random) + "\r\nSec-WebSocket-Version: 13\r\n\r\n");
    }

    std::size_t consume(std::string_view input, std::int64_t received_ns) override {
        std::size_t used = 0;
        if (!upgraded_) {
            used = consume_upgrade_response(input);
            if (!upgraded_) {
                return used;
            }
        }
        while (!closed()) {
            const auto read = read_server_frame(input.substr(used));
            if (read.error != nullptr) {
                fail(read.error);
                break;
            }
            if (read.used == 0) {
                break;
            }
            used += read.used;
            handle(read.frame, received_ns);
        }
        return used;
    }

    std::size_t consume_upgrade_response(std::string_view input) {
        const auto end = input.find("\r\n\r\n");
        if (end == std::string_view::npos) {
            return 0;
        }
        if (!input.starts_with("HTTP/1.1 101 ")) {
            fail("the upgrade to WebSocket was refused: " +
                 std::string(input.substr(0, input.find("\r\n"))));
            return input.size();
        }
        upgraded_ = true;
        on_open();
        return end + 4; // frames may follow in the same read
    }

    void handle(const server_frame& frame, std::int64_t received_ns) {
        switch (frame.code) {
        case opcode::text:
        case opcode::binary:
            on_message(frame.payload, received_ns);
            break;
        case opcode::ping: {
            std::string pong;
            append_masked_frame(pong, opcode::pong, frame.payload,
                                static_cast<std::uint32_t>(run_.random.next()));
            send_bytes(pong);
            break;
        }
        case opcode::pong:
            break;
        case opcode::close:
            fail("the server sent a close frame");
            break;
        default:
            fail("unknown opcode " + std::to_string(static_cast<int>(frame.code)));
        }
    }

    std::string path_;
    bool upgraded_ = false;
};

// One subscriber: for Herald, Welcome → Subscribe → Subscribed; for the ws peer, the upgrade
// alone. Then every message is an event to time.
class subscriber final : public ws_connection {
public:
    subscriber(run_state& run, int fd, std::size_t number)
        : ws_connection(run, fd, run.settings.target == target_kind::herald ? "/pushwss" : "/")
        , number_(number) {}

private:
    enum class stage { upgrading, awaiting_welcome, awaiting_subscribed, ready };

    void on_open() override {
        if (run_.settings.target == target_kind::herald) {
            stage_ = stage::awaiting_welcome;
        } else {
            become_ready();
        }
    }

    void on_message(std::string_view message, std::int64_t received_ns) override {
        switch (stage_) {
        case stage::upgrading:
            break;
        case stage::awaiting_welcome:
            expect(message, R"("event":"Welcome")");
            send_text(subscribe_action);
            stage_ = stage::awaiting_subscribed;
            break;
        case stage::awaiting_subscribed:
            expect(message, R"("event":"Subscribed")");
            become_ready();
            break;
        case stage::ready:
            if (const auto sent = sent_time_of(message)) {
                run_.delivered(*sent, received_ns);
            } else {
                run_.unexpected_message(message);
            }
            break;
        }
    }

    void expect(std::string_view message, std::string_view marker) {
        if (message.find(marker) == std::string_view::npos) {
            die("subscriber " + std::to_string(number_) + ": expected " + std::string(marker) +
                ", got " + std::string(message));
        }
    }

    void become_ready() {
        stage_ = stage::ready;
        run_.subscriber_ready();
    }

    void on_failure(const std::string& why) override {
        if (stage_ != stage::ready) {
            die("subscriber " + std::to_string(number_) + ": " + why);
        }
        run_.subscriber_lost(why);
    }

    std::size_t number_;
    stage stage_ = stage::upgrading;
};

// Publishes to the ws peer: one WebSocket connection on /publish, any number of frames in flight.
class ws_publisher final : public ws_connection, public publisher {
public:
    ws_publisher(run_state& run, int fd)
        : ws_connection(run, fd, "/publish") {}

    bool can_publish() const override { return open_ && !closed(); }
    void publish(std::string_view payload) override { send_text(payload); }

private:
    void on_open() override { open_ = true; }
    void on_message(std::string_view message, std::int64_t) override {
        run_.unexpected_message(message);
    }
    void on_failure(const std::string& why) override { die("publisher: " + why); }

    bool open_ = false;
};

std::string publish_request_head(const options& o) {
    return "POST /api/publish HTTP/1.1\r\nHost: " + o.host + ":" + std::to_string(o.port) +
           "\r\nAuthorization: Bearer " + o.api_key +
           "\r\nContent-Type: application/json\r\nContent-Length: ";
}

// The value of a header in an HTTP response head, matched case-insensitively.
std::optional<std::string_view> header_value(std::string_view head, std::string_view name) {
    std::size_t line = head.find("\r\n");
    while (line != std::string_view::npos) {
        const std::size_t start = line + 2;
        line = head.find("\r\n", start);
        const auto field = head.substr(start, line == std::string_view::npos ? line : line - start);
        const auto colon = field.find(':');
        if (colon == name.size() &&
            std::equal(name.begin(), name.end(), field.begin(), [](char a, char b) {
                return std::tolower(static_cast<unsigned char>(a)) ==
                       std::tolower(static_cast<unsigned char>(b));
            })) {
            auto value = field.substr(colon + 1);
            value.remove_prefix(std::min(value.find_first_not_of(' '), value.size()));
            return value;
        }
    }
    return std::nullopt;
}

// Publishes to Herald: keep-alive POST /api/publish, one request in flight per connection.
class http_publisher final : public connection, public publisher {
public:
    http_publisher(run_state& run, int fd)
        : connection(run, fd)
        , request_head_(publish_request_head(run.settings)) {}

    bool can_publish() const override { return connected() && !awaiting_response_ && !closed(); }

    void publish(std::string_view payload) override {
        std::string body(publish_body_start);
        body += payload;
        body += '}';
        awaiting_response_ = true;
        send_bytes(request_head_ + std::to_string(body.size()) + "\r\n\r\n" + body);
    }

private:
    std::size_t consume(std::string_view input, std::int64_t) override {
        const auto head_end = input.find("\r\n\r\n");
        if (head_end == std::string_view::npos) {
            return 0;
        }
        const auto head = input.substr(0, head_end);
        const auto length_text = header_value(head, "Content-Length");
        if (!length_text) {
            die("publisher: a response without Content-Length: " + std::string(head));
        }
        const auto body_length = parse_number<std::size_t>("Content-Length", *length_text);
        const std::size_t total = head_end + 4 + body_length;
        if (input.size() < total) {
            return 0;
        }
        if (!head.starts_with("HTTP/1.1 202 ")) {
            die("publisher: POST /api/publish answered " +
                std::string(head.substr(0, head.find("\r\n"))) + ": " +
                std::string(input.substr(head_end + 4, body_length)));
        }
        awaiting_response_ = false;
        run_.publish_while_window_allows();
        return total;
    }

    void on_failure(const std::string& why) override { die("publisher: " + why); }

    std::string request_head_;
    bool awaiting_response_ = false;
};

// ---- The run

std::string format_number(double value, int decimals) {
    std::array<char, 64> text{};
    std::snprintf(text.data(), text.size(), "%.*f", decimals, value);
    return text.data();
}

struct rss_samples {
    std::uint64_t before_kib = 0;
    std::uint64_t idle_kib = 0;
    std::uint64_t end_kib = 0;
};

struct results {
    double connect_seconds = 0;
    std::optional<rss_samples> rss;
};

class bench {
public:
    explicit bench(const options& o)
        : settings_(o)
        , run_(o, loop_) {}

    results run() {
        results r;
        if (settings_.server_pid) {
            r.rss.emplace().before_kib = read_rss_kib(*settings_.server_pid);
        }
        r.connect_seconds = connect_subscribers();
        progress(std::to_string(settings_.connections) + " subscribers ready in " +
                 format_number(r.connect_seconds, 2) + " s");
        serve_for(settle_ns);
        if (r.rss) {
            r.rss->idle_kib = read_rss_kib(*settings_.server_pid);
        }
        connect_publishers();

        run_.set_publishing(true);
        serve_for(seconds_to_ns(settings_.warmup_s));
        run_.start_measuring();
        progress("measuring for " + format_number(settings_.duration_s, 1) + " s");
        serve_for(seconds_to_ns(settings_.duration_s));
        run_.stop_measuring();
        run_.set_publishing(false);
        if (r.rss) {
            r.rss->end_kib = read_rss_kib(*settings_.server_pid);
        }
        return r;
    }

    const run_state& state() const { return run_; }

private:
    static std::int64_t seconds_to_ns(double seconds) {
        return static_cast<std::int64_t>(seconds * 1e9);
    }

    void progress(const std::string& message) const {
        std::fprintf(stderr, "herald-bench: %s: %s\n", target_name(), message.c_str());
    }

    const char* target_name() const {
        return settings_.target == target_kind::herald ? "herald" : "ws-peer";
    }

    std::optional<in_addr> source_address(std::size_t number) const {
        if (settings_.source_addresses <= 1) {
            return std::nullopt; // the kernel's choice: works for any --host
        }
        in_addr a{};
        a.s_addr = htonl((127u << 24) |
                         static_cast<std::uint32_t>(1 + number % settings_.source_addresses));
        return a;
    }

    // Returns the seconds from the first connect() to the last subscriber ready.
    double connect_subscribers() {
        const std::int64_t start = now_ns();
        subscribers_.reserve(settings_.connections);
        while (run_.live_subscribers() < settings_.connections) {
            while (subscribers_.size() < settings_.connections &&
                   subscribers_.size() - run_.live_subscribers() < max_connecting) {
                const std::size_t number = subscribers_.size();
                subscribers_.push_back(std::make_unique<subscriber>(
                    run_, open_connecting_socket(settings_, source_address(number)), number));
            }
            poll(10);
            if (now_ns() - start > connect_timeout_ns) {
                die("only " + std::to_string(run_.live_subscribers()) + " of " +
                    std::to_string(settings_.connections) + " subscribers were ready after " +
                    std::to_string(connect_timeout_ns / 1'000'000'000) + " s");
            }
        }
        return static_cast<double>(now_ns() - start) / 1e9;
    }

    // Herald: one HTTP connection per event the window allows in flight, since each carries one
    // request at a time. The ws peer: one WebSocket, which carries any number.
    void connect_publishers() {
        const bool herald = settings_.target == target_kind::herald;
        const std::size_t count = herald ? settings_.window : 1;
        for (std::size_t i = 0; i < count; ++i) {
            const int fd = open_connecting_socket(settings_, std::nullopt);
            if (herald) {
                auto p = std::make_unique<http_publisher>(run_, fd);
                run_.add_publisher(*p);
                http_publishers_.push_back(std::move(p));
            } else {
                ws_publisher_ = std::make_unique<ws_publisher>(run_, fd);
                run_.add_publisher(*ws_publisher_);
            }
        }
        const std::int64_t start = now_ns();
        while (!publishers_ready()) {
            poll(10);
            if (now_ns() - start > connect_timeout_ns) {
                die("the publisher could not connect");
            }
        }
    }

    bool publishers_ready() const {
        if (ws_publisher_) {
            return ws_publisher_->can_publish();
        }
        return std::all_of(http_publishers_.begin(), http_publishers_.end(),
                           [](const auto& p) { return p->can_publish(); });
    }

    void serve_for(std::int64_t nanoseconds) {
        const std::int64_t end = now_ns() + nanoseconds;
        // A rate cap needs a fine timer; the window alone is driven by deliveries.
        const int timeout_ms = settings_.rate > 0 ? 1 : 10;
        while (now_ns() < end) {
            poll(timeout_ms);
        }
    }

    void poll(int timeout_ms) {
        for (const epoll_event& e : loop_.wait(timeout_ms)) {
            static_cast<connection*>(e.data.ptr)->on_ready(e.events);
        }
        run_.expire_lost_events(now_ns());
        run_.publish_while_window_allows();
    }

    const options& settings_;
    event_loop loop_;
    run_state run_;
    std::vector<std::unique_ptr<subscriber>> subscribers_;
    std::vector<std::unique_ptr<http_publisher>> http_publishers_;
    std::unique_ptr<ws_publisher> ws_publisher_;
};

// ---- Reports

std::string json_report(const options& o, const run_state& s, const results& r) {
    const double seconds = s.measured_seconds();
    const auto& latency = s.latency();
    std::string out = "{";
    auto field = [&out](std::string_view name, const std::string& value) {
        if (out.size() > 1) {
            out += ',';
        }
        out += '"';
        out += name;
        out += "\":";
        out += value;
    };
    field("target", o.target == target_kind::herald ? "\"herald\"" : "\"ws-peer\"");
    field("connections", std::to_string(o.connections));
    field("source_addresses", std::to_string(o.source_addresses));
    field("payload_bytes", std::to_string(o.payload_bytes));
    field("window", std::to_string(o.window));
    field("rate", format_number(o.rate, 1));
    field("warmup_s", format_number(o.warmup_s, 1));
    field("duration_s", format_number(seconds, 3));
    field("connect_s", format_number(r.connect_seconds, 3));
    field("connections_per_s",
          format_number(static_cast<double>(o.connections) / r.connect_seconds, 0));
    field("events_published", std::to_string(s.events_published()));
    field("events_per_s", format_number(static_cast<double>(s.events_published()) / seconds, 1));
    field("deliveries", std::to_string(s.deliveries()));
    field("deliveries_per_s", format_number(static_cast<double>(s.deliveries()) / seconds, 0));
    field("latency_us", "{\"p50\":" + std::to_string(latency.quantile(0.5)) +
                            ",\"p99\":" + std::to_string(latency.quantile(0.99)) +
                            ",\"p99_9\":" + std::to_string(latency.quantile(0.999)) +
                            ",\"max\":" + std::to_string(latency.max()) + "}");
    field("errors", std::to_string(s.errors()));
    field("lost_deliveries", std::to_string(s.lost_deliveries()));
    field("dropped_subscribers", std::to_string(s.dropped_subscribers()));
    field("unexpected_messages", std::to_string(s.unexpected_messages()));
    if (r.rss) {
        field("server_rss_kib", "{\"before\":" + std::to_string(r.rss->before_kib) +
                                    ",\"idle\":" + std::to_string(r.rss->idle_kib) +
                                    ",\"end\":" + std::to_string(r.rss->end_kib) + "}");
        const double per_connection =
            (static_cast<double>(r.rss->idle_kib) - static_cast<double>(r.rss->before_kib)) *
            1024.0 / static_cast<double>(o.connections);
        field("rss_bytes_per_idle_connection", format_number(per_connection, 0));
    } else {
        field("server_rss_kib", "null");
        field("rss_bytes_per_idle_connection", "null");
    }
    return out + "}";
}

void print_human_report(const options& o, const run_state& s, const results& r) {
    const double seconds = s.measured_seconds();
    const auto& latency = s.latency();
    std::printf("target            %s, %zu connections, %zu-byte payloads, window %zu\n",
                o.target == target_kind::herald ? "herald" : "ws-peer", o.connections,
                o.payload_bytes, o.window);
    std::printf("connections/s     %.0f (%.2f s for all)\n",
                static_cast<double>(o.connections) / r.connect_seconds, r.connect_seconds);
    std::printf("events/s          %.1f\n", static_cast<double>(s.events_published()) / seconds);
    std::printf("deliveries/s      %.0f\n", static_cast<double>(s.deliveries()) / seconds);
    std::printf("latency µs        p50 %llu  p99 %llu  p99.9 %llu  max %llu\n",
                static_cast<unsigned long long>(latency.quantile(0.5)),
                static_cast<unsigned long long>(latency.quantile(0.99)),
                static_cast<unsigned long long>(latency.quantile(0.999)),
                static_cast<unsigned long long>(latency.max()));
    if (r.rss) {
        std::printf(
            "server RSS KiB    before %llu  idle %llu  end %llu  (%.0f B per idle connection)\n",
            static_cast<unsigned long long>(r.rss->before_kib),
            static_cast<unsigned long long>(r.rss->idle_kib),
            static_cast<unsigned long long>(r.rss->end_kib),
            (static_cast<double>(r.rss->idle_kib) - static_cast<double>(r.rss->before_kib)) *
                1024.0 / static_cast<double>(o.connections));
    }
    std::printf("errors            %llu\n", static_cast<unsigned long long>(s.errors()));
}

} // namespace

int main(int argc, char** argv) {
    const options settings = parse_options(argc, argv);
    // Subscribers, publishers, epoll and a margin for stdio.
    raise_descriptor_limit(settings.connections + settings.window + 16);
    bench b(settings);
    const results r = b.run();
    if (settings.json) {
        std::printf("%s\n", json_report(settings, b.state(), r).c_str());
    } else {
        print_human_report(settings, b.state(), r);
    }
    if (b.state().errors() > 0) {
        std::fprintf(stderr, "herald-bench: warning: %llu errors during the run\n",
                     static_cast<unsigned long long>(b.state().errors()));
    }
    return 0;
}
