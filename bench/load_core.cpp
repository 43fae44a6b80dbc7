#include "load_core.hpp"

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

namespace herald_bench {

void die(const std::string& message) {
    std::fprintf(stderr, "herald-bench: %s\n", message.c_str());
    std::exit(1);
}

std::string errno_text(int error) {
    return std::strerror(error);
}

std::string event_payload(std::int64_t sent_ns, std::size_t size) {
    std::string out = R"({"t":)" + std::to_string(sent_ns) + R"(,"pad":")";
    constexpr std::size_t closing = 2; // "}
    if (out.size() + closing < size) {
        out.append(size - out.size() - closing, 'x');
    }
    out += "\"}";
    return out;
}

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

event_loop::event_loop()
    : fd_(epoll_create1(EPOLL_CLOEXEC)) {
    if (fd_ < 0) {
        die("epoll_create1: " + errno_text(errno));
    }
}

event_loop::~event_loop() {
    ::close(fd_);
}

void event_loop::run_once(int timeout_ms) {
    const int n = epoll_wait(fd_, ready_.data(), static_cast<int>(ready_.size()), timeout_ms);
    if (n < 0) {
        if (errno == EINTR) {
            return;
        }
        die("epoll_wait: " + errno_text(errno));
    }
    for (int i = 0; i < n; ++i) {
        static_cast<watcher*>(ready_[static_cast<std::size_t>(i)].data.ptr)
            ->on_ready(ready_[static_cast<std::size_t>(i)].events);
    }
}

void event_loop::control(int operation, int fd, watcher& owner, std::uint32_t events) {
    epoll_event e{};
    e.events = events;
    e.data.ptr = &owner;
    if (epoll_ctl(fd_, operation, fd, &e) != 0) {
        die("epoll_ctl: " + errno_text(errno));
    }
}

// ---- The run's state

run_state::run_state(const options& o, event_loop& loop)
    : settings(o)
    , loop(loop)
    , random(static_cast<std::uint64_t>(now_ns()) ^ static_cast<std::uint64_t>(getpid()))
    , awaiting_(o.topics, 0)
    , lost_after_ns_(static_cast<std::int64_t>(o.lost_after_s * 1e9)) {
    routing_keys_.reserve(o.topics);
    for (std::size_t topic = 0; topic < o.topics; ++topic) {
        routing_keys_.push_back(routing_key_of(topic));
    }
}

void run_state::subscriber_lost(std::size_t topic, std::string_view why) {
    --live_subscribers_;
    --awaiting_[topic];
    ++dropped_subscribers_;
    if (dropped_subscribers_ == 1) {
        std::fprintf(stderr, "herald-bench: warning: a subscriber was lost: %.*s\n",
                     static_cast<int>(why.size()), why.data());
    }
}

void run_state::unexpected_message(std::string_view message) {
    if (++unexpected_messages_ == 1) {
        std::fprintf(stderr, "herald-bench: warning: unexpected message: %.*s\n",
                     static_cast<int>(std::min<std::size_t>(message.size(), 200)), message.data());
    }
}

// An event not delivered to every receiver within --lost-after counts its missing deliveries
// as lost, so they cannot hold the window for ever. Over TCP a delivery goes missing with its
// connection (a dropped subscriber), through a server bug, or when a broker drops it (a full
// queue).
void run_state::expire_lost_events(std::int64_t now) {
    while (!in_flight_.empty() && now - in_flight_.front().sent_ns >= lost_after_ns_) {
        const in_flight_event& e = in_flight_.front();
        if (e.awaited > 0) {
            if (lost_deliveries_ == 0) {
                std::fprintf(stderr,
                             "herald-bench: warning: %zu deliveries of an event are %.0f s late: "
                             "counted lost\n",
                             e.awaited, settings.lost_after_s);
            }
            lost_deliveries_ += e.awaited;
            --open_events_;
        }
        in_flight_.pop_front();
    }
}

void run_state::publish_one(publisher& p) {
    const std::int64_t now = now_ns();
    const std::int64_t sent = std::max(now, last_sent_ns_ + 1);
    last_sent_ns_ = sent;
    if (settings.rate > 0) {
        // A schedule, so that the loop's millisecond ticks do not lower the rate; but after a
        // stall (the window was full) the publisher catches up by one event at most.
        const auto interval = static_cast<std::int64_t>(1e9 / settings.rate);
        next_publish_ns_ = std::max(next_publish_ns_ + interval, now);
    }
    const std::size_t topic = next_topic_;
    next_topic_ = (next_topic_ + 1) % settings.topics;
    if (awaiting_[topic] > 0) {
        in_flight_.push_back({sent, awaiting_[topic]});
        ++open_events_;
    }
    if (measuring_) {
        ++events_published_;
    }
    p.publish(routing_keys_[topic], event_payload(sent, settings.payload_bytes));
}

} // namespace herald_bench
