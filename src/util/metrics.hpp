#pragma once
// Counters and gauges with one writer thread each, read by /metrics from any thread. A plain
// load+store instead of fetch_add: no locked instruction on the hot path, and still race-free.

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace herald {

class counter {
public:
    void add(std::uint64_t n = 1) {
        value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }
    std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> value_{0};
};

class gauge {
public:
    void add(std::int64_t n = 1) {
        value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }
    void sub(std::int64_t n = 1) { add(-n); }
    std::int64_t value() const { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::int64_t> value_{0};
};

// Labels of herald_protocol_errors_total.
enum class protocol_error : std::uint8_t {
    invalid_json,      // a message that is not a JSON object
    invalid_action,    // an action name the endpoint does not know
    invalid_payload,   // a payload field of the wrong type
    frame_error,       // close 1002: a frame that breaks RFC 6455
    invalid_utf8,      // close 1007
    message_too_big,   // close 1009
    bad_handshake,     // an upgrade request that is not a valid WebSocket handshake
    handshake_timeout, // no complete request within limits.handshake_timeout
    idle_timeout,      // close 4002
};
inline constexpr std::size_t protocol_error_count = 9;

// One shard's figures. Written only by the shard's thread.
struct shard_metrics {
    // `action_labels`: rows of herald_actions_total, every dialect's actions one after another.
    shard_metrics(std::size_t endpoints, std::size_t action_labels)
        : sessions_by_endpoint(std::make_unique<gauge[]>(endpoints))
        , actions(std::make_unique<std::array<counter, 2>[]>(action_labels)) {}

    gauge connections; // open TCP connections, upgraded or not
    std::unique_ptr<gauge[]> sessions_by_endpoint;
    gauge subscriptions;
    std::unique_ptr<std::array<counter, 2>[]> actions; // [label][0: ok, 1: error]
    counter deliveries;                                // event frames queued to sessions
    counter bytes_out; // bytes written to sockets, WebSocket and HTTP
    std::array<counter, protocol_error_count> protocol_errors;
    counter slow_consumer_closes;
    counter events_dropped;   // events that arrived for a topic no local session wanted any more
    counter handler_failures; // a dialect or HTTP handler threw: that session or request ended
};

struct action_label {
    std::string dialect;
    std::string action;
};

struct node_metrics_view {
    std::vector<const shard_metrics*> shards;
    std::vector<std::string> endpoint_paths; // index = endpoint index
    std::vector<action_label> action_labels; // index = row of shard_metrics::actions
    std::uint64_t events_published = 0;
    std::uint64_t events_routed = 0;
    std::uint64_t events_malformed = 0;         // broker messages that were not events
    std::uint64_t events_dropped_by_broker = 0; // the node's queue overflowed
    std::uint64_t unicasts_failed = 0;          // for a session of this node that is not open
    std::uint64_t addressed_refused = 0;        // addressed events that do not say enough
    std::uint64_t mailbox_full = 0;             // notifies refused: the mailbox was full
    // Requests to the application back end by outcome (answered, timeout, unavailable,
    // overloaded, bad_answer: backend_status), and those pending. Empty: no back end.
    std::vector<std::pair<std::string_view, std::uint64_t>> backend_replies;
    std::int64_t backend_pending = 0;
    std::uint64_t backend_late_answers = 0;
    bool ready = false;
};

// Prometheus text exposition format 0.0.4.
std::string render_prometheus(const node_metrics_view& view);

std::string_view to_string(protocol_error);

} // namespace herald
