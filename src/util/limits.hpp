#pragma once
// Every limit Herald enforces, in one place, with its default. docs/configuration.md lists them
// and docs/protocol.md tells clients what happens past each one.

#include <chrono>
#include <cstddef>

namespace herald {

struct limits {
    std::size_t max_message_bytes = 64 * 1024;        // a larger client message closes with 1009
    std::size_t max_subscriptions_per_session = 1000; // beyond it: Error TooManySubscriptions
    std::size_t max_identities_per_session = 16;      // a token's subject and registrations
    // Exchange plus routing key bytes of all of a session's subscriptions: bounds the memory one
    // session pins and the cost of any reply that lists them.
    std::size_t max_subscription_bytes_per_session = 128 * 1024;
    // Bytes the kernel refused to take from a session (its client does not read); past it, at
    // the next attempt that is refused again, close 4001. Also the backlog past which the
    // session's input waits until its replies leave.
    std::size_t max_outbox_bytes = 1024 * 1024;
    std::chrono::seconds handshake_timeout{10};    // from TCP accept to a complete HTTP request,
                                                   // and for writing each HTTP response
    std::chrono::seconds ping_interval{25};        // a ping after this long without client traffic
    std::chrono::seconds idle_timeout{60};         // close 4002 after this long without any
    std::size_t max_http_body_bytes = 1024 * 1024; // a larger request body gets 413
};

} // namespace herald
