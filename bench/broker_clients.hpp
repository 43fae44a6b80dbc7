// herald-bench's broker clients, on the libraries Herald itself uses (rabbitmq-c, hiredis): a
// publisher that puts events straight into the broker as a back end would, and a bare consumer,
// the least a program must do to receive the same events, to measure what the broker delivers
// without Herald. Each is set up with blocking calls, then runs in the event loop.
//
// The broker is the one of --publish-via. Events go to exchange "bench", routing key t<i>:
// - RabbitMQ: basic.publish with body {"event":"tick","payload":…} and no properties (Myxi's
//   push_event); the bare consumer declares the exchange with Herald's flags, and a queue of its
//   own as Herald's node queue (server-named, exclusive, x-max-length --max-queue-length,
//   x-overflow drop-head), binds it to every topic and consumes with Herald's prefetch (500),
//   acknowledging every 128 messages or whenever it has read all there was.
// - Redis: PUBLISH on bench:t<i>, pipelined; the bare consumer SUBSCRIBEs bench:t0..t<N-1>.
#pragma once

#include "load_core.hpp"

#include <memory>

namespace herald_bench {

// Where a bare consumer puts each message it takes, with the time it read it.
class delivery_sink {
public:
    virtual void delivered(std::string_view message, std::int64_t received_ns) = 0;

protected:
    ~delivery_sink() = default;
};

std::unique_ptr<publisher> open_amqp_publisher(run_state& run);
std::unique_ptr<publisher> open_redis_publisher(run_state& run);

// Bare consumers: subscribed to every topic once these return, then served by `loop`.
std::unique_ptr<watcher> open_bare_amqp_consumer(const options& settings, event_loop& loop,
                                                 delivery_sink& sink);
std::unique_ptr<watcher> open_bare_redis_consumer(const options& settings, event_loop& loop,
                                                  delivery_sink& sink);

} // namespace herald_bench
