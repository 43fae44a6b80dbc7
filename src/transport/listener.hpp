#pragma once

#include "util/net.hpp"

#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <vector>

namespace herald {

class shard;
struct transport_context;

// Accepts TCP connections and deals them out to the shards in turn. The accept runs on the
// first shard's io_context, but the new socket is created on the target shard's, so it never
// has to move. Lives on the first shard's thread.
class listener {
public:
    // Binds at once, so a port in use fails at start; throws boost::system::system_error.
    listener(std::vector<shard*> shards, const tcp::endpoint& where, transport_context& node);

    tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }
    void start();
    void stop(); // any thread: no new connections after this returns to the event loop

private:
    void accept();

    std::vector<shard*> shards_;
    transport_context& node_;
    tcp::acceptor acceptor_;
    net::steady_timer retry_; // after an accept error (out of descriptors), pause, don't spin
    std::size_t next_ = 0;
};

} // namespace herald
