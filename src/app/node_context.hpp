#pragma once

#include "app/config.hpp"
#include "auth/jwt_verifier.hpp"
#include "shard/session_id_maker.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

namespace herald {

class bus_thread;

// What every shard may read about its node. Built before the shards start and immutable
// afterwards, except the atomics.
struct node_context {
    const config& settings;
    const jwt_verifier& jwt;
    bus_thread& bus;
    session_id_maker session_ids;                // node id + scrambled shard and sequence
    std::function<std::string()> render_metrics; // any thread
    std::atomic<bool> draining{false};           // shutting down: /readyz answers 503
};

} // namespace herald
