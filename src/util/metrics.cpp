#include "util/metrics.hpp"

#include <fmt/format.h>

namespace herald {

std::string_view to_string(protocol_error e) {
    static constexpr std::array<std::string_view, protocol_error_count> names = {
        "invalid_json",    "invalid_action", "invalid_payload",   "frame_error", "invalid_utf8",
        "message_too_big", "bad_handshake",  "handshake_timeout", "idle_timeout"};
    return names[static_cast<std::size_t>(e)];
}

namespace {

template <class Read> std::int64_t sum(const node_metrics_view& view, Read read) {
    std::int64_t total = 0;
    for (const auto* s : view.shards) {
        total += static_cast<std::int64_t>(read(*s));
    }
    return total;
}

void header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
    fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

} // namespace

std::string render_prometheus(const node_metrics_view& view) {
    std::string out;
    auto simple = [&](std::string_view name, std::string_view type, std::string_view help,
                      std::int64_t value) {
        header(out, name, type, help);
        fmt::format_to(std::back_inserter(out), "{} {}\n", name, value);
    };

    simple("herald_ready", "gauge", "1 when the node accepts and routes events.", view.ready);
    simple("herald_connections", "gauge", "Open TCP connections, upgraded or not.",
           sum(view, [](const shard_metrics& s) { return s.connections.value(); }));

    header(out, "herald_sessions", "gauge", "Open WebSocket sessions per endpoint.");
    for (std::size_t e = 0; e < view.endpoint_paths.size(); ++e) {
        fmt::format_to(std::back_inserter(out), "herald_sessions{{endpoint=\"{}\"}} {}\n",
                       view.endpoint_paths[e], sum(view, [e](const shard_metrics& s) {
                           return s.sessions_by_endpoint[e].value();
                       }));
    }
    simple("herald_subscriptions", "gauge", "Subscriptions held by open sessions.",
           sum(view, [](const shard_metrics& s) { return s.subscriptions.value(); }));

    header(out, "herald_actions_total", "counter", "Client actions by dialect, name and result.");
    for (std::size_t a = 0; a < view.action_labels.size(); ++a) {
        for (std::size_t r = 0; r < 2; ++r) {
            fmt::format_to(
                std::back_inserter(out),
                "herald_actions_total{{dialect=\"{}\",action=\"{}\",result=\"{}\"}} {}\n",
                view.action_labels[a].dialect, view.action_labels[a].action,
                r == 0 ? "ok" : "error",
                sum(view, [a, r](const shard_metrics& s) { return s.actions[a][r].value(); }));
        }
    }
    simple("herald_events_published_total", "counter",
           "Events this node published and its bus confirmed.",
           static_cast<std::int64_t>(view.events_published));
    simple("herald_events_routed_total", "counter",
           "Events that reached at least one shard of this node.",
           static_cast<std::int64_t>(view.events_routed));
    simple("herald_events_malformed_total", "counter",
           "Broker messages dropped because they are not events (not a JSON object with a "
           "string \"event\").",
           static_cast<std::int64_t>(view.events_malformed));
    simple("herald_unicasts_failed_total", "counter",
           "Unicasts from the bus for a session of this node that is not open (each told as a "
           "failed_unicast lifecycle event when [lifecycle] asks for it).",
           static_cast<std::int64_t>(view.unicasts_failed));
    simple("herald_addressed_refused_total", "counter",
           "Events on the addressing exchanges dropped because they do not say enough (a unicast "
           "without a session id, a skip that is not a list of ids).",
           static_cast<std::int64_t>(view.addressed_refused));
    simple("herald_mailbox_full_total", "counter",
           "Notifies refused because the identity's mailbox held [mailboxes] max_messages or "
           "max_bytes.",
           static_cast<std::int64_t>(view.mailbox_full));
    simple("herald_bus_queue_dropped_total", "counter",
           "Events the broker dropped from this node's queue, oldest first, because it was full.",
           static_cast<std::int64_t>(view.events_dropped_by_broker));
    simple("herald_deliveries_total", "counter", "Event frames queued to sessions.",
           sum(view, [](const shard_metrics& s) { return s.deliveries.value(); }));
    simple("herald_bytes_out_total", "counter", "Bytes written to client sockets.",
           sum(view, [](const shard_metrics& s) { return s.bytes_out.value(); }));

    simple("herald_events_dropped_total", "counter",
           "Events that reached a shard after its last subscriber of the topic had left.",
           sum(view, [](const shard_metrics& s) { return s.events_dropped.value(); }));

    header(out, "herald_protocol_errors_total", "counter", "Bad client input by kind.");
    for (std::size_t p = 0; p < protocol_error_count; ++p) {
        fmt::format_to(
            std::back_inserter(out), "herald_protocol_errors_total{{code=\"{}\"}} {}\n",
            to_string(static_cast<protocol_error>(p)),
            sum(view, [p](const shard_metrics& s) { return s.protocol_errors[p].value(); }));
    }
    simple("herald_slow_consumer_closes_total", "counter",
           "Sessions closed because their client left over max_outbox_bytes unread.",
           sum(view, [](const shard_metrics& s) { return s.slow_consumer_closes.value(); }));
    simple("herald_handler_failures_total", "counter",
           "Sessions or HTTP requests ended because their handler failed (a bug, or memory).",
           sum(view, [](const shard_metrics& s) { return s.handler_failures.value(); }));
    if (!view.backend_replies.empty()) {
        header(out, "herald_backend_requests_total", "counter",
               "Requests to the application back end by how they ended.");
        for (const auto& [result, count] : view.backend_replies) {
            fmt::format_to(std::back_inserter(out),
                           "herald_backend_requests_total{{result=\"{}\"}} {}\n", result, count);
        }
        simple("herald_backend_pending", "gauge",
               "Requests to the back end queued or awaiting their answer.", view.backend_pending);
        simple("herald_backend_late_answers_total", "counter",
               "Back-end answers that came after their request had timed out, or twice.",
               static_cast<std::int64_t>(view.backend_late_answers));
    }
    return out;
}

} // namespace herald
