#include "transport/listener.hpp"

#include "shard/shard.hpp"
#include "transport/http_connection.hpp"
#include "util/log.hpp"

#include <boost/asio/post.hpp>

namespace herald {

listener::listener(std::vector<shard*> shards, const tcp::endpoint& where, transport_context& node)
    : shards_(std::move(shards))
    , node_(node)
    , acceptor_(shards_.front()->context())
    , retry_(shards_.front()->context()) {
    acceptor_.open(where.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(where);
    acceptor_.listen(net::socket_base::max_listen_connections);
}

void listener::start() {
    accept();
}

void listener::stop() {
    net::post(acceptor_.get_executor(), [this] {
        error_code ignored;
        acceptor_.close(ignored);
        retry_.cancel();
    });
}

void listener::accept() {
    shard& target = *shards_[next_];
    next_ = (next_ + 1) % shards_.size();
    acceptor_.async_accept(target.context(), [this, &target](error_code ec, tcp::socket socket) {
        if (ec == net::error::operation_aborted || !acceptor_.is_open()) {
            return;
        }
        if (ec) {
            // Out of descriptors, most likely: keep serving the connections we have.
            log::warn("accept failed: {}", ec.message());
            retry_.expires_after(std::chrono::milliseconds(100));
            retry_.async_wait([this](error_code wait_error) {
                if (!wait_error && acceptor_.is_open()) {
                    accept();
                }
            });
            return;
        } else {
            error_code ignored;
            socket.set_option(tcp::no_delay(true), ignored);
            net::post(target.context(), [this, &target, socket = std::move(socket)]() mutable {
                std::make_shared<http_connection>(target, std::move(socket), node_)->start();
            });
        }
        accept();
    });
}

} // namespace herald
