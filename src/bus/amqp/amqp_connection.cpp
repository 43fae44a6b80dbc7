#include "bus/amqp/amqp_connection.hpp"

#include <amqp_framing.h>
#include <amqp_tcp_socket.h>
#include <array>
#include <cerrno>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <system_error>
#include <unistd.h>

namespace herald {
namespace {

// rabbitmq-c's largest frame, its default; the broker may lower it at tune.
constexpr int frame_max = 131072;

amqp_bytes_t bytes_of(std::string_view s) {
    return {s.size(), const_cast<char*>(s.data())};
}

std::string text_of(amqp_bytes_t b) {
    return b.len == 0 ? std::string() : std::string(static_cast<const char*>(b.bytes), b.len);
}

std::string errno_text(int error) {
    return std::system_category().message(error);
}

timeval timeval_of(std::chrono::milliseconds ms) {
    return {static_cast<time_t>(ms.count() / 1000),
            static_cast<suseconds_t>(ms.count() % 1000 * 1000)};
}

// A non-blocking TCP connection, as rabbitmq-c makes its own (it expects O_NONBLOCK and waits
// with poll), but one that a raised interrupt ends at once: rabbitmq-c's connect can only time
// out.
int connect_tcp(const amqp_endpoint& endpoint, std::chrono::milliseconds timeout,
                const io_interrupt& interrupt) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* found = nullptr;
    const auto port = std::to_string(endpoint.port);
    if (const int rc = ::getaddrinfo(endpoint.host.c_str(), port.c_str(), &hints, &found);
        rc != 0) {
        throw connection_lost{
            fmt::format("cannot resolve {}: {}", endpoint.host, ::gai_strerror(rc))};
    }
    const std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> addresses(found, ::freeaddrinfo);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string why = "no address";
    for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
        const int fd =
            ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) {
            why = errno_text(errno);
            continue;
        }
        const int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
        if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
            return fd;
        }
        if (errno != EINPROGRESS) {
            why = errno_text(errno);
            ::close(fd);
            continue;
        }
        for (;;) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) {
                ::close(fd);
                throw connection_lost{
                    fmt::format("no answer to connect within {} ms", timeout.count())};
            }
            pollfd fds[2] = {{fd, POLLOUT, 0}, {interrupt.fd(), POLLIN, 0}};
            const int n = ::poll(fds, 2, static_cast<int>(left.count()));
            if (interrupt.raised()) {
                ::close(fd);
                throw connection_lost{"stopping"};
            }
            if (n > 0 && fds[0].revents != 0) {
                break;
            }
        }
        int error = 0;
        socklen_t length = sizeof error;
        if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 && error == 0) {
            return fd;
        }
        why = errno_text(error != 0 ? error : errno);
        ::close(fd);
    }
    throw connection_lost{why};
}

amqp_table_entry_t long_entry(const char* key, std::int64_t value) {
    amqp_table_entry_t e{};
    e.key = amqp_cstring_bytes(key);
    e.value.kind = AMQP_FIELD_KIND_I64;
    e.value.value.i64 = value;
    return e;
}

amqp_table_entry_t string_entry(const char* key, std::string_view value) {
    amqp_table_entry_t e{};
    e.key = amqp_cstring_bytes(key);
    e.value.kind = AMQP_FIELD_KIND_UTF8;
    e.value.value.bytes = bytes_of(value);
    return e;
}

} // namespace

std::string describe(const amqp_rpc_reply_t& reply) {
    switch (reply.reply_type) {
    case AMQP_RESPONSE_NORMAL:
        return "ok";
    case AMQP_RESPONSE_NONE:
        return "no reply";
    case AMQP_RESPONSE_LIBRARY_EXCEPTION:
        return amqp_error_string2(reply.library_error);
    case AMQP_RESPONSE_SERVER_EXCEPTION:
        break;
    }
    if (reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
        const auto* close = static_cast<const amqp_connection_close_t*>(reply.reply.decoded);
        return fmt::format("{} {}", close->reply_code, text_of(close->reply_text));
    }
    if (reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
        const auto* close = static_cast<const amqp_channel_close_t*>(reply.reply.decoded);
        return fmt::format("{} {}", close->reply_code, text_of(close->reply_text));
    }
    return fmt::format("unexpected method {:#010x}", reply.reply.id);
}

amqp_connection::amqp_connection(const amqp_endpoint& endpoint,
                                 const amqp_connection_options& options, io_interrupt& interrupt)
    : interrupt_(interrupt) {
    const int fd = connect_tcp(endpoint, options.connect_timeout, interrupt);
    state_.reset(amqp_new_connection());
    amqp_socket_t* socket = state_ ? amqp_tcp_socket_new(state_.get()) : nullptr;
    if (socket == nullptr) {
        ::close(fd);
        throw connection_lost{"out of memory"};
    }
    amqp_tcp_socket_set_sockfd(socket, fd); // rabbitmq-c closes it from now on
    interrupt_.arm(fd);
    try {
        const auto timeout = timeval_of(options.connect_timeout);
        amqp_set_handshake_timeout(state_.get(), &timeout);
        // Without it an RPC to a broker that stopped answering (but not the socket) waits for
        // ever; rabbitmq-c closes the socket when one times out.
        amqp_set_rpc_timeout(state_.get(), &timeout);

        // The name shows in the broker's management UI and `rabbitmqctl list_connections`.
        std::array<amqp_table_entry_t, 1> properties = {string_entry("connection_name", "herald")};
        const amqp_table_t table{static_cast<int>(properties.size()), properties.data()};
        const auto reply = amqp_login_with_properties(
            state_.get(), endpoint.vhost.c_str(), 0, frame_max,
            static_cast<int>(options.heartbeat.count()), &table, AMQP_SASL_METHOD_PLAIN,
            endpoint.user.c_str(), endpoint.password.c_str());
        if (reply.reply_type != AMQP_RESPONSE_NORMAL) {
            lost("login failed: " + describe(reply));
        }
        open_channel(data_channel);
        open_channel(control_channel);
        open_channel(mail_channel);
    } catch (...) {
        interrupt_.disarm();
        throw;
    }
}

amqp_connection::~amqp_connection() {
    interrupt_.disarm();
}

int amqp_connection::socket_fd() const {
    return amqp_get_sockfd(state_.get());
}

void amqp_connection::close() noexcept {
    if (usable_) {
        usable_ = false;
        amqp_connection_close(state_.get(), AMQP_REPLY_SUCCESS);
    }
}

void amqp_connection::lost(std::string reason) {
    usable_ = false;
    throw connection_lost{std::move(reason)};
}

void amqp_connection::open_channel(amqp_channel_t channel) {
    amqp_channel_open(state_.get(), channel);
    const auto reply = amqp_get_rpc_reply(state_.get());
    if (reply.reply_type != AMQP_RESPONSE_NORMAL) {
        lost(fmt::format("cannot open channel {}: {}", channel, describe(reply)));
    }
}

std::string amqp_connection::check(std::string_view what, amqp_channel_t channel) {
    const auto reply = amqp_get_rpc_reply(state_.get());
    if (reply.reply_type == AMQP_RESPONSE_NORMAL) {
        return {};
    }
    auto why = describe(reply);
    if (reply.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION &&
        reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
        close_ok(channel);
        if (channel == control_channel) {
            open_channel(channel);
            return why;
        }
    } else if (reply.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION &&
               reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
        close_ok(0);
        lost(fmt::format("the broker closed the connection ({}: {})", what, why));
    }
    lost(fmt::format("{}: {}", what, why));
}

std::string amqp_connection::declare_exchange(std::string_view name, std::string_view type,
                                              bool passive, bool durable, bool auto_delete) {
    amqp_exchange_declare(state_.get(), control_channel, bytes_of(name), bytes_of(type), passive,
                          durable, auto_delete, false, amqp_empty_table);
    return check("exchange.declare", control_channel);
}

std::string amqp_connection::bind(std::string_view queue, std::string_view exchange,
                                  std::string_view routing_key) {
    amqp_queue_bind(state_.get(), control_channel, bytes_of(queue), bytes_of(exchange),
                    bytes_of(routing_key), amqp_empty_table);
    return check("queue.bind", control_channel);
}

std::string amqp_connection::unbind(std::string_view queue, std::string_view exchange,
                                    std::string_view routing_key) {
    amqp_queue_unbind(state_.get(), control_channel, bytes_of(queue), bytes_of(exchange),
                      bytes_of(routing_key), amqp_empty_table);
    return check("queue.unbind", control_channel);
}

std::string amqp_connection::declare_queue(std::size_t max_length,
                                           std::string_view dead_letter_to) {
    std::array<amqp_table_entry_t, 4> arguments = {
        long_entry("x-max-length", static_cast<std::int64_t>(max_length)),
        string_entry("x-overflow", "drop-head"),
        string_entry("x-dead-letter-exchange", ""), // the default exchange: routes by queue name
        string_entry("x-dead-letter-routing-key", dead_letter_to),
    };
    const amqp_table_t table{dead_letter_to.empty() ? 2 : 4, arguments.data()};
    // exclusive: only this connection may use it, and it is deleted when the connection
    // closes, however it closes (a node killed with SIGKILL included: the broker sees the
    // socket go). auto_delete as well, which changes nothing while exclusive holds.
    const auto* ok = amqp_queue_declare(state_.get(), control_channel, amqp_empty_bytes, false,
                                        false, true, true, table);
    if (auto why = check("queue.declare", control_channel); !why.empty() || ok == nullptr) {
        lost("cannot declare the node's queue: " + why);
    }
    return text_of(ok->queue);
}

std::string amqp_connection::declare_durable_queue(std::string_view name) {
    amqp_queue_declare(state_.get(), control_channel, bytes_of(name), false, true, false, false,
                       amqp_empty_table);
    return check("queue.declare", control_channel);
}

std::string amqp_connection::bind_exchange(std::string_view destination, std::string_view source) {
    amqp_exchange_bind(state_.get(), control_channel, bytes_of(destination), bytes_of(source),
                       amqp_empty_bytes, amqp_empty_table);
    return check("exchange.bind", control_channel);
}

std::string amqp_connection::declare_mailbox(std::string_view name, std::chrono::seconds lifetime,
                                             std::size_t max_messages, std::size_t max_bytes) {
    std::array<amqp_table_entry_t, 4> arguments = {
        long_entry("x-expires", static_cast<std::int64_t>(lifetime.count()) * 1000),
        long_entry("x-max-length", static_cast<std::int64_t>(max_messages)),
        long_entry("x-max-length-bytes", static_cast<std::int64_t>(max_bytes)),
        string_entry("x-overflow", "reject-publish"),
    };
    amqp_queue_declare(state_.get(), control_channel, bytes_of(name), false, true, false, false,
                       amqp_table_t{4, arguments.data()});
    return check("queue.declare", control_channel);
}

std::string amqp_connection::check_queue(std::string_view name) {
    amqp_queue_declare(state_.get(), control_channel, bytes_of(name), true, false, false, false,
                       amqp_empty_table);
    return check("queue.declare (passive)", control_channel);
}

std::uint32_t amqp_connection::purge(std::string_view queue) {
    const auto* ok = amqp_queue_purge(state_.get(), control_channel, bytes_of(queue));
    if (auto why = check("queue.purge", control_channel); !why.empty() || ok == nullptr) {
        lost("cannot purge the node's drop queue: " + why);
    }
    return ok->message_count;
}

void amqp_connection::consume(std::string_view queue, std::uint16_t prefetch) {
    amqp_confirm_select(state_.get(), data_channel);
    check("confirm.select", data_channel);
    amqp_basic_qos(state_.get(), data_channel, 0, prefetch, false);
    check("basic.qos", data_channel);
    amqp_basic_consume(state_.get(), data_channel, bytes_of(queue), amqp_empty_bytes, false, false,
                       false, amqp_empty_table);
    check("basic.consume", data_channel);
}

void amqp_connection::qos(std::uint16_t prefetch, amqp_channel_t channel) {
    amqp_basic_qos(state_.get(), channel, 0, prefetch, false);
    check("basic.qos", channel);
}

void amqp_connection::consume_also(std::string_view queue, std::string_view consumer_tag,
                                   amqp_channel_t channel) {
    amqp_basic_consume(state_.get(), channel, bytes_of(queue), bytes_of(consumer_tag), false, false,
                       false, amqp_empty_table);
    if (auto why = check("basic.consume", channel); !why.empty()) {
        lost(fmt::format("cannot consume {}: {}", queue, why));
    }
}

void amqp_connection::cancel(std::string_view consumer_tag, amqp_channel_t channel) {
    amqp_basic_cancel(state_.get(), channel, bytes_of(consumer_tag));
    if (auto why = check("basic.cancel", channel); !why.empty()) {
        lost(fmt::format("cannot cancel consumer {}: {}", consumer_tag, why));
    }
}

void amqp_connection::publish(std::string_view exchange, std::string_view routing_key,
                              std::string_view body) {
    amqp_basic_properties_t properties{};
    properties._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG;
    properties.content_type = amqp_cstring_bytes("application/json");
    properties.delivery_mode = 1; // not persistent: events are live, not stored
    const int rc =
        amqp_basic_publish(state_.get(), data_channel, bytes_of(exchange), bytes_of(routing_key),
                           false, false, &properties, bytes_of(body));
    if (rc != AMQP_STATUS_OK) {
        lost(fmt::format("basic.publish: {}", amqp_error_string2(rc)));
    }
}

void amqp_connection::publish_request(std::string_view queue, std::string_view reply_to,
                                      std::string_view correlation_id, std::string_view body,
                                      bool persistent, std::string_view message_id) {
    amqp_basic_properties_t properties{};
    properties._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG |
                        AMQP_BASIC_REPLY_TO_FLAG | AMQP_BASIC_CORRELATION_ID_FLAG;
    properties.content_type = amqp_cstring_bytes("application/json");
    // A request outlives no timeout; mail must outlive a restart of the broker.
    properties.delivery_mode = persistent ? 2 : 1;
    properties.reply_to = bytes_of(reply_to);
    properties.correlation_id = bytes_of(correlation_id);
    if (!message_id.empty()) {
        properties._flags |= AMQP_BASIC_MESSAGE_ID_FLAG;
        properties.message_id = bytes_of(message_id);
    }
    const int rc = amqp_basic_publish(state_.get(), data_channel, amqp_empty_bytes, bytes_of(queue),
                                      true, false, &properties, bytes_of(body));
    if (rc != AMQP_STATUS_OK) {
        lost(fmt::format("basic.publish: {}", amqp_error_string2(rc)));
    }
}

void amqp_connection::ack(std::uint64_t delivery_tag) {
    const int rc = amqp_basic_ack(state_.get(), data_channel, delivery_tag, true);
    if (rc != AMQP_STATUS_OK) {
        lost(fmt::format("basic.ack: {}", amqp_error_string2(rc)));
    }
}

void amqp_connection::ack_mail(std::uint64_t delivery_tag) {
    const int rc = amqp_basic_ack(state_.get(), mail_channel, delivery_tag, false);
    if (rc != AMQP_STATUS_OK) {
        lost(fmt::format("basic.ack: {}", amqp_error_string2(rc)));
    }
}

void amqp_connection::requeue(std::uint64_t delivery_tag, amqp_channel_t channel) {
    const int rc = amqp_basic_reject(state_.get(), channel, delivery_tag, true);
    if (rc != AMQP_STATUS_OK) {
        lost(fmt::format("basic.reject: {}", amqp_error_string2(rc)));
    }
}

bool amqp_connection::has_buffered() const {
    return amqp_frames_enqueued(state_.get()) || amqp_data_in_buffer(state_.get());
}

std::optional<amqp_frame_t> amqp_connection::next_frame() {
    amqp_frame_t frame{};
    timeval none{0, 0};
    const int rc = amqp_simple_wait_frame_noblock(state_.get(), &frame, &none);
    if (rc == AMQP_STATUS_OK) {
        return frame;
    }
    if (rc == AMQP_STATUS_TIMEOUT) {
        return std::nullopt;
    }
    lost(amqp_error_string2(rc));
}

amqp_received amqp_connection::read_message(amqp_channel_t channel) {
    amqp_message_t message{};
    const auto reply = amqp_read_message(state_.get(), channel, &message, 0);
    if (reply.reply_type != AMQP_RESPONSE_NORMAL) {
        lost("reading a message: " + describe(reply));
    }
    amqp_received out;
    out.body = text_of(message.body);
    if ((message.properties._flags & AMQP_BASIC_CORRELATION_ID_FLAG) != 0) {
        out.correlation_id = text_of(message.properties.correlation_id);
    }
    if ((message.properties._flags & AMQP_BASIC_MESSAGE_ID_FLAG) != 0) {
        out.message_id = text_of(message.properties.message_id);
    }
    amqp_destroy_message(&message);
    return out;
}

void amqp_connection::release_buffers() {
    amqp_maybe_release_buffers(state_.get());
}

void amqp_connection::close_ok(amqp_channel_t channel) {
    int rc = AMQP_STATUS_OK;
    if (channel == 0) {
        amqp_connection_close_ok_t ok{};
        rc = amqp_send_method(state_.get(), 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok);
        usable_ = false;
    } else {
        amqp_channel_close_ok_t ok{};
        rc = amqp_send_method(state_.get(), channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok);
    }
    if (rc != AMQP_STATUS_OK) {
        lost(amqp_error_string2(rc));
    }
}

} // namespace herald
