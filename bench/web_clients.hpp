// The WebSocket subscribers and the publishers of the two servers measured (Herald and the ws
// peer), all non-blocking sockets in the run's event loop.
#pragma once

#include "load_core.hpp"

#include <memory>
#include <netinet/in.h>

namespace herald_bench {

// Subscriber `number` (topic number mod --topics), connecting from `source` (the kernel's
// choice without one). Ready once subscribed: run_state::subscriber_ready.
std::unique_ptr<watcher> open_subscriber(run_state& run, std::size_t number,
                                         std::optional<in_addr> source);
// Herald's keep-alive POST /api/publish: one request in flight per connection.
std::unique_ptr<publisher> open_http_publisher(run_state& run);
// The ws peer's /publish WebSocket: any number of events in flight.
std::unique_ptr<publisher> open_ws_publisher(run_state& run);

} // namespace herald_bench
