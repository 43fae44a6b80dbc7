#pragma once

#include "shard/shard_connection.hpp"
#include "util/net.hpp"

#include <memory>
#include <span>

namespace herald {

class shard;

// The socket work every connection shares, written once: waiting until readable, reading into
// the shard's scratch buffer with non-blocking recv, telling EOF and errors from "nothing yet",
// and closing. HTTP and WebSocket connections derive from it.
// Lives on its shard's thread; kept alive by the shared_ptrs its pending waits hold.
class tcp_connection : public shard_connection,
                       public std::enable_shared_from_this<tcp_connection> {
public:
    tcp_connection(const tcp_connection&) = delete;
    tcp_connection& operator=(const tcp_connection&) = delete;

protected:
    tcp_connection(shard& owner, tcp::socket socket);
    ~tcp_connection() override = default;

    // Arms one wait; when the socket is readable, reads (a few rounds at most, so one busy
    // client cannot starve its shard) and hands each chunk to on_received(). Re-arms itself
    // while reading_wanted() holds; calls on_peer_gone() on EOF or a socket error.
    void wait_readable();
    virtual void on_received(std::span<char> bytes) = 0;
    virtual void on_peer_gone() = 0;
    // False stops reading: the connection ended, or it pauses its input.
    virtual bool reading_wanted() const = 0;

    // Closes the socket; pending waits end with operation_aborted. Idempotent.
    void close_socket();

    shard& shard_;
    tcp::socket socket_;

private:
    void on_readable(error_code ec);
};

} // namespace herald
