#pragma once
// Where the back end is and how long Herald waits for it. Built from [backend] of the
// configuration.

#include <chrono>
#include <cstddef>
#include <string>

namespace herald {

struct backend_settings {
    std::string url;   // http://host:port/path: the back end over HTTP
    std::string queue; // or over the broker: RabbitMQ's queue, or Redis's stream, of requests
    std::chrono::milliseconds timeout{5000};  // from the ask to the answer, queueing included
    std::size_t connections = 8;              // HTTP: keep-alive connections, at most
    std::size_t max_pending = 10000;          // per node: queued and in flight
    std::size_t max_pending_per_session = 16; // per session: a client cannot take the node's
    std::size_t max_answer_bytes = 1 << 20;   // a larger answer is a bad answer
    bool trust_forwarded_for = false;         // remote_address: the first X-Forwarded-For hop
};

} // namespace herald
