// The bare consumer of --target bare-amqp or bare-redis, on a thread of its own, pinned to
// --consumer-cpu when given: it takes the place Herald has in the other runs (scripts/bench puts
// it on Herald's core), instead of sharing the load generator's core with the publisher.
#pragma once

#include "load_core.hpp"

#include <memory>

namespace herald_bench {

class bare_consumer : public watcher {
public:
    // The CPU time the consumer's thread has used.
    virtual double cpu_seconds() const = 0;
};

// Returns once the consumer is subscribed to every topic (run_state::consumer_ready). What it
// receives reaches run_state::delivered through a pipe the returned watcher reads.
std::unique_ptr<bare_consumer> start_bare_consumer(run_state& run);

} // namespace herald_bench
