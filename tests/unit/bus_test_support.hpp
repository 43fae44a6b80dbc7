#pragma once
// What the bus tests share beyond gtest: a port where no broker is, and a plain rabbitmq-c
// client's connection, as a back end makes it.

#include "bus/amqp/amqp_url.hpp"

#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdexcept>
#include <string>
#include <string_view>
#include <sys/socket.h>
#include <unistd.h>

namespace herald::bus_test {

// A TCP port on 127.0.0.1 where nothing listens (bound, then closed): a broker that is away.
inline int closed_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    socklen_t length = sizeof address;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    ::close(fd);
    return ntohs(address.sin_port);
}

inline amqp_bytes_t amqp_bytes(std::string_view s) {
    return {s.size(), const_cast<char*>(s.data())};
}

// Throws, naming `what`, unless the last RPC succeeded.
inline void amqp_check(const amqp_rpc_reply_t& reply, const char* what) {
    if (reply.reply_type != AMQP_RESPONSE_NORMAL) {
        throw std::runtime_error(std::string("rabbitmq-c: ") + what + " failed");
    }
}

// A blocking rabbitmq-c connection to the broker at `url`, logged in, no channel open yet;
// throws when the broker cannot be reached. The caller closes and destroys it.
inline amqp_connection_state_t amqp_client(const std::string& url) {
    const auto endpoint = parse_amqp_url(url);
    if (!endpoint) {
        throw std::runtime_error(endpoint.error());
    }
    auto* state = amqp_new_connection();
    amqp_socket_t* socket = amqp_tcp_socket_new(state);
    if (amqp_socket_open(socket, endpoint->host.c_str(), endpoint->port) != AMQP_STATUS_OK) {
        amqp_destroy_connection(state);
        throw std::runtime_error("rabbitmq-c: cannot connect to " + endpoint->masked_url);
    }
    const auto login =
        amqp_login(state, endpoint->vhost.c_str(), 0, 131072, 0, AMQP_SASL_METHOD_PLAIN,
                   endpoint->user.c_str(), endpoint->password.c_str());
    if (login.reply_type != AMQP_RESPONSE_NORMAL) {
        amqp_destroy_connection(state);
        amqp_check(login, "login");
    }
    return state;
}

} // namespace herald::bus_test
