#pragma once

#include <boost/intrusive/list_hook.hpp>

#include <chrono>

namespace herald {

using steady_time = std::chrono::steady_clock::time_point;

// Anything a shard owns a socket for: an HTTP connection or a WebSocket session. The shard
// keeps them in one list, to apply timeouts on its tick and to close them on shutdown.
// Lives on its shard's thread.
class shard_connection : public boost::intrusive::list_base_hook<
                             boost::intrusive::link_mode<boost::intrusive::auto_unlink>> {
public:
    virtual ~shard_connection() = default;
    virtual void on_tick(steady_time now) = 0;
    // The node is stopping: say goodbye now or at `close_at`.
    virtual void on_shutdown(steady_time close_at) = 0;
    // The shard is being torn down: close the socket now, without a goodbye.
    virtual void abort() = 0;
    // Called by the shard's flush pass after flush was requested.
    virtual void flush() {}
};

} // namespace herald
