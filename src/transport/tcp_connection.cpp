#include "transport/tcp_connection.hpp"

#include "shard/shard.hpp"

#include <cerrno>
#include <sys/socket.h>

namespace herald {

tcp_connection::tcp_connection(shard& owner, tcp::socket socket)
    : shard_(owner)
    , socket_(std::move(socket)) {}

void tcp_connection::wait_readable() {
    socket_.async_wait(tcp::socket::wait_read,
                       [self = shared_from_this()](error_code ec) { self->on_readable(ec); });
}

void tcp_connection::on_readable(error_code ec) {
    if (ec || !socket_.is_open() || !reading_wanted()) {
        return; // closed under us, or paused: whoever paused re-arms the wait
    }
    auto buffer = shard_.read_buffer();
    for (int round = 0; round < 4; ++round) {
        const ssize_t n =
            ::recv(socket_.native_handle(), buffer.data(), buffer.size(), MSG_DONTWAIT);
        if (n > 0) {
            on_received(buffer.first(static_cast<std::size_t>(n)));
            if (!reading_wanted()) {
                return;
            }
            if (static_cast<std::size_t>(n) < buffer.size()) {
                break;
            }
            continue;
        }
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            on_peer_gone(); // EOF or reset: the network ended the connection
            return;
        }
        if (errno != EINTR) {
            break;
        }
    }
    wait_readable();
}

void tcp_connection::close_socket() {
    if (socket_.is_open()) {
        error_code ignored;
        socket_.close(ignored);
    }
}

} // namespace herald
