// herald-bench: the load generator of `make bench`. It opens N subscriber WebSocket connections
// to a broadcast server (Herald, or the Node `ws` peer in bench/ws_peer.mjs), or one bare
// consumer of a broker, publishes timestamped events while at most --window of them are in
// flight, and reports connections/s, deliveries/s, delivery latency and the server's memory per
// idle connection.
//
// One thread on raw epoll: the client must spend less CPU per delivery than the servers it
// measures, on a core of its own, or it would measure itself.
//
// load_core: options, the loop, the window; web_clients: WebSocket subscribers and the
// servers' publishers; broker_clients: RabbitMQ and Redis publishers and bare consumers;
// consumer_thread: a bare consumer's own thread.

#include "broker_clients.hpp"
#include "consumer_thread.hpp"
#include "load_core.hpp"
#include "web_clients.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <sys/resource.h>
#include <unistd.h>

namespace herald_bench {
namespace {

// Handshakes in progress at once. Unbounded, 10,000 SYNs would overflow the listen backlog
// (511 in Node) and the dropped ones would wait a full second for their retransmission.
constexpr std::size_t max_connecting = 256;
constexpr std::int64_t connect_timeout_ns = 60'000'000'000;
// Pause between the last Subscribed and the idle RSS sample, so the server's allocations for
// the handshakes have settled (and, on a broker, Herald's bindings are in place).
constexpr std::int64_t settle_ns = 1'000'000'000;

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

// CPU seconds (user and system) a process has used, from /proc/PID/stat.
double process_cpu_seconds(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    std::getline(stat, line);
    const auto name_end = line.rfind(')');
    if (name_end == std::string::npos) {
        die("cannot read /proc/" + std::to_string(pid) + "/stat: is it running?");
    }
    // After "pid (name)": state is field 3; utime and stime are fields 14 and 15.
    std::istringstream fields(line.substr(name_end + 2));
    std::string field;
    double ticks = 0;
    for (int number = 3; number <= 15 && fields >> field; ++number) {
        if (number >= 14) {
            ticks += std::strtod(field.c_str(), nullptr);
        }
    }
    return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// CPU seconds every core of the machine has spent busy (neither idle nor waiting for I/O), from
// the first line of /proc/stat: what the processes measured did not use of it was used by others.
double machine_busy_seconds() {
    std::ifstream stat("/proc/stat");
    std::string cpu;
    stat >> cpu;
    double busy = 0;
    double ticks = 0;
    for (int field = 1; field <= 8 && stat >> ticks; ++field) {
        if (field != 4 && field != 5) { // idle, iowait
            busy += ticks;
        }
    }
    return busy / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double own_cpu_seconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    auto seconds = [](const timeval& t) {
        return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
    };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

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

// CPU seconds used so far by each party, or nothing where not known.
struct cpu_sample {
    std::optional<double> server; // Herald, the ws peer, or the bare consumer's thread
    std::optional<double> broker;
    double load_generator = 0; // this process, less a bare consumer's thread
    double machine = 0;        // every process
};

struct results {
    double connect_seconds = 0;
    std::optional<rss_samples> rss;
    cpu_sample cpu_at_start;
    cpu_sample cpu_at_end;
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
        if (settings_.bare()) {
            open_consumer();
        } else {
            r.connect_seconds = connect_subscribers();
            progress(std::to_string(settings_.connections) + " subscribers ready in " +
                     format_number(r.connect_seconds, 2) + " s");
        }
        serve_for(settle_ns);
        if (r.rss) {
            r.rss->idle_kib = read_rss_kib(*settings_.server_pid);
        }
        connect_publishers();

        run_.set_publishing(true);
        serve_for(seconds_to_ns(settings_.warmup_s));
        r.cpu_at_start = sample_cpu();
        run_.start_measuring();
        progress("measuring for " + format_number(settings_.duration_s, 1) + " s");
        serve_for(seconds_to_ns(settings_.duration_s));
        run_.stop_measuring();
        r.cpu_at_end = sample_cpu();
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
        std::fprintf(stderr, "herald-bench: %s: %s\n", target_name(settings_.target),
                     message.c_str());
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
                subscribers_.push_back(open_subscriber(run_, number, source_address(number)));
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

    cpu_sample sample_cpu() const {
        cpu_sample s;
        s.machine = machine_busy_seconds();
        s.load_generator = own_cpu_seconds();
        if (consumer_) {
            s.server = consumer_->cpu_seconds();
            s.load_generator -= *s.server;
        } else if (settings_.server_pid) {
            s.server = process_cpu_seconds(*settings_.server_pid);
        }
        if (settings_.broker_pid) {
            s.broker = process_cpu_seconds(*settings_.broker_pid);
        }
        return s;
    }

    void open_consumer() {
        consumer_ = start_bare_consumer(run_);
        progress("consuming " + std::to_string(settings_.topics) + " topics");
    }

    // Herald's HTTP API: one connection per event the window allows in flight, since each
    // carries one request at a time. The ws peer, a broker: one connection, which carries any
    // number.
    void connect_publishers() {
        const bool http = settings_.publish_via == publish_kind::http;
        const std::size_t count = http ? settings_.window : 1;
        for (std::size_t i = 0; i < count; ++i) {
            switch (settings_.publish_via) {
            case publish_kind::http:
                publishers_.push_back(open_http_publisher(run_));
                break;
            case publish_kind::ws:
                publishers_.push_back(open_ws_publisher(run_));
                break;
            case publish_kind::amqp:
                publishers_.push_back(open_amqp_publisher(run_));
                break;
            case publish_kind::redis:
                publishers_.push_back(open_redis_publisher(run_));
                break;
            }
            run_.add_publisher(*publishers_.back());
        }
        const std::int64_t start = now_ns();
        while (!run_.publishers_ready()) {
            poll(10);
            if (now_ns() - start > connect_timeout_ns) {
                die("the publisher could not connect");
            }
        }
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
        loop_.run_once(timeout_ms);
        run_.expire_lost_events(now_ns());
        run_.publish_while_window_allows();
        run_.flush_publishers();
    }

    const options& settings_;
    event_loop loop_;
    run_state run_;
    std::vector<std::unique_ptr<watcher>> subscribers_;
    std::unique_ptr<bare_consumer> consumer_;
    std::vector<std::unique_ptr<publisher>> publishers_;
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
    auto quoted = [](std::string_view text) {
        return "\"" + std::string(text) + "\"";
    };
    field("target", quoted(target_name(o.target)));
    field("publish_via", quoted(publish_name(o.publish_via)));
    field("dialect", quoted(o.dialect == dialect_kind::myxi ? "myxi" : "monorail"));
    if (o.dialect == dialect_kind::monorail) {
        field("changes", quoted(o.changes == changes_kind::store ? "store" : "publish"));
    }
    field("connections", std::to_string(o.connections));
    field("topics", std::to_string(o.topics));
    field("source_addresses", std::to_string(o.source_addresses));
    field("payload_bytes", std::to_string(o.payload_bytes));
    field("window", std::to_string(o.window));
    field("rate", format_number(o.rate, 1));
    field("warmup_s", format_number(o.warmup_s, 1));
    field("duration_s", format_number(seconds, 3));
    field("connect_s", format_number(r.connect_seconds, 3));
    field("connections_per_s",
          o.connections == 0
              ? "null"
              : format_number(static_cast<double>(o.connections) / r.connect_seconds, 0));
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
    field("open_events_at_end", std::to_string(s.open_events()));
    // Cores each party kept busy while measured (1.0: one core all the time).
    auto cores = [&](std::optional<double> start, std::optional<double> end) {
        return start && end ? format_number((*end - *start) / seconds, 2) : std::string("null");
    };
    // "others": what the rest of the machine used meanwhile (a build, tests): the figures are
    // sound only when it is near 0.
    const auto& from = r.cpu_at_start;
    const auto& to = r.cpu_at_end;
    const double others = (to.machine - from.machine) - (to.load_generator - from.load_generator) -
                          (to.server && from.server ? *to.server - *from.server : 0) -
                          (to.broker && from.broker ? *to.broker - *from.broker : 0);
    field("cpu_cores", "{\"server\":" + cores(from.server, to.server) +
                           ",\"broker\":" + cores(from.broker, to.broker) +
                           ",\"load_generator\":" + cores(from.load_generator, to.load_generator) +
                           ",\"machine\":" + cores(from.machine, to.machine) + ",\"others\":" +
                           format_number(std::max(0.0, others) / seconds, 2) + "}");
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
    std::printf("target            %s, published via %s, %zu connections, %zu topics, "
                "%zu-byte payloads, window %zu\n",
                target_name(o.target), publish_name(o.publish_via), o.connections, o.topics,
                o.payload_bytes, o.window);
    if (o.connections > 0) {
        std::printf("connections/s     %.0f (%.2f s for all)\n",
                    static_cast<double>(o.connections) / r.connect_seconds, r.connect_seconds);
    }
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
    auto cores = [&](std::optional<double> start, std::optional<double> end) {
        return start && end ? format_number((*end - *start) / seconds, 2) : std::string("-");
    };
    std::printf("cpu cores         server %s  broker %s  load generator %s\n",
                cores(r.cpu_at_start.server, r.cpu_at_end.server).c_str(),
                cores(r.cpu_at_start.broker, r.cpu_at_end.broker).c_str(),
                cores(r.cpu_at_start.load_generator, r.cpu_at_end.load_generator).c_str());
    std::printf("errors            %llu\n", static_cast<unsigned long long>(s.errors()));
}

} // namespace
} // namespace herald_bench

int main(int argc, char** argv) {
    using namespace herald_bench;
    const options settings = parse_options(argc, argv);
    // Subscribers, publishers, broker connections, epoll and a margin for stdio.
    raise_descriptor_limit(settings.connections + settings.window + 16);
    bench b(settings);
    const results r = b.run();
    if (settings.json) {
        std::printf("%s\n", json_report(settings, b.state(), r).c_str());
    } else {
        print_human_report(settings, b.state(), r);
    }
    std::fflush(stdout);
    if (b.state().errors() > 0) {
        std::fprintf(stderr, "herald-bench: warning: %llu errors during the run\n",
                     static_cast<unsigned long long>(b.state().errors()));
    }
    return 0;
}
