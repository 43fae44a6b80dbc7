// herald-bench's command line.

#include "load_core.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdlib>

namespace herald_bench {
namespace {

constexpr std::string_view usage = R"(usage: herald-bench --port N [options]
  --target herald|ws-peer|bare-amqp|bare-redis
                            what receives the events (default herald). bare-amqp and
                            bare-redis: no server and no WebSocket, one consumer in this
                            thread on the broker of --publish-via (rabbitmq-c, hiredis: the
                            libraries Herald uses), subscribed to every topic
  --publish-via http|amqp://URL|redis://URL
                            Herald: its HTTP API (default), or straight into the broker Herald
                            runs on, as a back end would (AMQP basic.publish to exchange bench,
                            body {"event":"tick","payload":…}; Redis PUBLISH on bench:<key>)
  --dialect myxi|monorail    Herald's subscribers: Myxi subscribers of exchange bench (default),
                            or MonoRail watchers of resource nodes (path /nodes), the events
                            then PUT /api/resources/nodes/bench (needs bench/monorail.toml's
                            resource nodes; one topic, HTTP publishing only)
  --changes store|publish   MonoRail: each change a PUT /api/resources/nodes/bench (the store's
                            write, then on.waterline; default), or a POST /api/publish straight
                            to exchange on.waterline, routing key nodes.updated.bench (no store)
  --host ADDR               server IPv4 address (default 127.0.0.1)
  --port N                  server port (required, but for the bare targets)
  --connections N           subscriber connections (default 10000)
  --topics N                routing keys t0..t<N-1>: subscriber i takes t<i mod N>; events go
                            round-robin over them (default 1)
  --source-addresses N      bind subscribers round-robin to 127.0.0.1..127.0.0.N (default 1)
  --payload-bytes N         size of each event's payload JSON (default 100, at least 40)
  --warmup SECONDS          publishing before the measurement (default 2)
  --duration SECONDS        the measurement (default 10)
  --rate N                  cap on events per second; 0: as fast as the window allows (default)
  --window N                events in flight, published but not yet delivered to every
                            subscriber of their topic (default 4)
  --lost-after SECONDS      an event not delivered by then counts its missing deliveries lost
                            and leaves the window (default 30)
  --max-queue-length N      bare-amqp: x-max-length of its queue, as Herald's [bus]
                            max_queue_length (default 100000)
  --consumer-cpu N          bare targets: pin the consumer's thread to core N (default: not
                            pinned; scripts/bench gives it Herald's core)
  --api-key KEY             Herald's publish key (default bench-key, as in bench/herald.toml)
  --server-pid PID          sample the server's VmRSS (before, idle and at the end) and the
                            CPU it uses while measured
  --broker-pid PID          sample the broker's CPU use while measured
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

// By enum value.
constexpr std::array<const char*, 4> target_names = {"herald", "ws-peer", "bare-amqp",
                                                     "bare-redis"};
constexpr std::array<const char*, 4> publish_names = {"http", "ws", "amqp", "redis"};

target_kind parse_target(std::string_view value) {
    const auto* found = std::find(target_names.begin(), target_names.end(), value);
    if (found == target_names.end()) {
        die("--target must be herald, ws-peer, bare-amqp or bare-redis");
    }
    return static_cast<target_kind>(found - target_names.begin());
}

void parse_publish_via(std::string_view value, options& o) {
    if (value == "http") {
        o.publish_via = publish_kind::http;
    } else if (value.starts_with("amqp://")) {
        o.publish_via = publish_kind::amqp;
    } else if (value.starts_with("redis://")) {
        o.publish_via = publish_kind::redis;
    } else {
        die("--publish-via must be http, an amqp:// URL or a redis:// URL");
    }
    o.broker_url = value;
}

void check_options(options& o) {
    if (o.target == target_kind::ws_peer) {
        if (o.publish_via != publish_kind::http) {
            die("--publish-via: the ws peer takes events on its /publish socket only");
        }
        if (o.topics != 1) {
            die("--topics: the ws peer has none: it sends every event to every client");
        }
        o.publish_via = publish_kind::ws;
    }
    if (o.target == target_kind::bare_amqp && o.publish_via != publish_kind::amqp) {
        die("--target bare-amqp needs --publish-via amqp://URL: the broker to consume from");
    }
    if (o.target == target_kind::bare_redis && o.publish_via != publish_kind::redis) {
        die("--target bare-redis needs --publish-via redis://URL: the broker to consume from");
    }
    if (o.port == 0 && (!o.bare() || o.publish_via == publish_kind::http)) {
        die("--port is required\n" + std::string(usage));
    }
    if (o.bare()) {
        o.connections = 0; // one consumer of every topic instead
        o.server_pid.reset();
    } else if (o.connections == 0 || o.connections < o.topics) {
        die("--connections must be at least 1 and at least --topics");
    }
    if (o.window == 0 || o.topics == 0) {
        die("--window and --topics must be at least 1");
    }
    if (o.source_addresses == 0 || o.source_addresses > 254) {
        die("--source-addresses must be between 1 and 254");
    }
    if (o.dialect == dialect_kind::monorail &&
        (o.target != target_kind::herald || o.publish_via != publish_kind::http || o.topics != 1)) {
        die("--dialect monorail: Herald only, published by HTTP, one topic (every watcher watches "
            "nodes)");
    }
    if (o.changes != changes_kind::store && o.dialect != dialect_kind::monorail) {
        die("--changes: MonoRail only (--dialect monorail)");
    }
    if (o.payload_bytes < 40) {
        die("--payload-bytes must be at least 40: the timestamp needs room");
    }
    if (!(o.duration_s > 0) || o.warmup_s < 0 || o.rate < 0 || !(o.lost_after_s > 0)) {
        die("--duration and --lost-after must be positive; --warmup and --rate must not be "
            "negative");
    }
    if (o.max_queue_length == 0) {
        die("--max-queue-length must be at least 1");
    }
}

} // namespace

const char* target_name(target_kind target) {
    return target_names.at(static_cast<std::size_t>(target));
}

const char* publish_name(publish_kind via) {
    return publish_names.at(static_cast<std::size_t>(via));
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
            o.target = parse_target(value);
        } else if (flag == "--publish-via") {
            parse_publish_via(value, o);
        } else if (flag == "--dialect") {
            if (value != "myxi" && value != "monorail") {
                die("--dialect must be myxi or monorail");
            }
            o.dialect = value == "myxi" ? dialect_kind::myxi : dialect_kind::monorail;
        } else if (flag == "--changes") {
            if (value != "store" && value != "publish") {
                die("--changes must be store or publish");
            }
            o.changes = value == "store" ? changes_kind::store : changes_kind::publish;
        } else if (flag == "--host") {
            o.host = value;
        } else if (flag == "--port") {
            o.port = parse_number<std::uint16_t>(flag, value);
        } else if (flag == "--connections") {
            o.connections = parse_number<std::size_t>(flag, value);
        } else if (flag == "--topics") {
            o.topics = parse_number<std::size_t>(flag, value);
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
        } else if (flag == "--lost-after") {
            o.lost_after_s = parse_number<double>(flag, value);
        } else if (flag == "--max-queue-length") {
            o.max_queue_length = parse_number<std::size_t>(flag, value);
        } else if (flag == "--consumer-cpu") {
            o.consumer_cpu = parse_number<int>(flag, value);
        } else if (flag == "--api-key") {
            o.api_key = value;
        } else if (flag == "--server-pid") {
            o.server_pid = parse_number<pid_t>(flag, value);
        } else if (flag == "--broker-pid") {
            o.broker_pid = parse_number<pid_t>(flag, value);
        } else {
            die("unknown flag " + std::string(flag) + "\n" + std::string(usage));
        }
    }
    check_options(o);
    return o;
}

} // namespace herald_bench
