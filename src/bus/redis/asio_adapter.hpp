#pragma once
// hiredis 0.14 ships no Asio adapter (only libev, libevent, libuv, …): this is ours. It turns
// hiredis's wish to read or write into async_waits on the context's socket, so an async context
// runs on an Asio executor. It has no timers: hiredis 0.14 has no timer hook, so connect and
// command timeouts are the user's own steady_timers.

#include "util/net.hpp"

#include <boost/asio/any_io_executor.hpp>

struct redisAsyncContext;

namespace herald {

// Attaches `context` to `executor`, which must be the only thread that touches the context.
// Returns false, leaving the context as it was, when its socket cannot be watched.
//
// Call it right after redisAsyncConnect, before setting the connect callback (which asks for
// the first write event). From then on hiredis decides the adapter's life: it lives until
// hiredis cleans the context up (when the context is freed) and until the last wait it armed
// has ended, so a wait that completes after the context is gone finds the adapter and no
// context, and does nothing.
bool attach_to_asio(redisAsyncContext* context, net::any_io_executor executor);

} // namespace herald
