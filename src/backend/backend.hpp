#pragma once
// The seam to the application back end: one request in, one reply out, whatever carries it
// (HTTP today; a broker queue or stream as another implementation of the same class).

#include "protocol/backend_message.hpp"
#include "util/metrics.hpp"

#include <array>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace herald {

// Written by the backend's own thread, read by /metrics from any thread.
struct backend_counters {
    std::array<counter, 5> replies; // by backend_status
    gauge pending;                  // requests queued or in flight
    counter late_answers;           // answers that came after their request timed out
};

// Thread-safe: any shard asks. `done` runs exactly once, on the backend's own thread (the
// caller moves the reply to its own thread), unless the node stops first.
class backend {
public:
    using completion = std::function<void(backend_reply)>;
    virtual ~backend() = default;

    // `kind` is the request's kind (also in the body), for a transport that routes on it.
    virtual void ask(std::string_view kind, std::string request, completion done) = 0;
    virtual void start() = 0;
    // Stops the thread; requests still pending are dropped without a reply.
    virtual void stop() = 0;
    virtual const backend_counters& counters() const = 0;
};

} // namespace herald
