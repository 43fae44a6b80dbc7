// The RabbitMQ publisher and bare consumer of herald-bench (rabbitmq-c, as Herald).

#include "broker_clients.hpp"

#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>
#include <array>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <vector>

namespace herald_bench {
namespace {

constexpr amqp_channel_t channel = 1;
// As Herald's node queue: amqp_io_thread::prefetch, and its batches of at most 128.
constexpr std::uint16_t prefetch = 500;
constexpr std::size_t ack_every = 128;

amqp_bytes_t bytes_of(std::string_view s) {
    return {s.size(), const_cast<char*>(s.data())};
}

std::string_view view_of(amqp_bytes_t b) {
    return {static_cast<const char*>(b.bytes), b.len};
}

// channel.close and connection.close: the broker's code and reason.
template <typename Close> std::string close_reason(const void* decoded) {
    const auto* close = static_cast<const Close*>(decoded);
    return std::to_string(close->reply_code) + " " + std::string(view_of(close->reply_text));
}

std::string describe(const amqp_rpc_reply_t& reply) {
    if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION) {
        return amqp_error_string2(reply.library_error);
    }
    if (reply.reply_type != AMQP_RESPONSE_SERVER_EXCEPTION) {
        return "no reply";
    }
    switch (reply.reply.id) {
    case AMQP_CONNECTION_CLOSE_METHOD:
        return "connection closed, " + close_reason<amqp_connection_close_t>(reply.reply.decoded);
    case AMQP_CHANNEL_CLOSE_METHOD:
        return "channel closed, " + close_reason<amqp_channel_close_t>(reply.reply.decoded);
    default:
        return "unexpected method " + std::to_string(reply.reply.id);
    }
}

// One connection with one channel, opened with rabbitmq-c's blocking calls.
class amqp_link {
public:
    amqp_link(const std::string& url, const char* role)
        : role_(role)
        , state_(amqp_new_connection()) {
        std::vector<char> text(url.begin(), url.end());
        text.push_back('\0');
        amqp_connection_info info{};
        if (amqp_parse_url(text.data(), &info) != AMQP_STATUS_OK || info.ssl) {
            die(role_ + ": not an amqp://user:password@host:port/vhost URL: " + url);
        }
        amqp_socket_t* socket = amqp_tcp_socket_new(state_);
        if (socket == nullptr) {
            die(role_ + ": out of memory");
        }
        if (const int rc = amqp_socket_open(socket, info.host, info.port); rc != AMQP_STATUS_OK) {
            die(role_ + ": cannot connect to " + info.host + ":" + std::to_string(info.port) +
                ": " + amqp_error_string2(rc));
        }
        const int one = 1;
        setsockopt(fd(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        const char* vhost = *info.vhost == '\0' ? "/" : info.vhost;
        // No heartbeat: a run lasts seconds, and nothing here would answer one in time.
        check("login", amqp_login(state_, vhost, 0, AMQP_DEFAULT_FRAME_SIZE, 0,
                                  AMQP_SASL_METHOD_PLAIN, info.user, info.password));
        amqp_channel_open(state_, channel);
        check("channel.open", amqp_get_rpc_reply(state_));
    }

    ~amqp_link() {
        amqp_connection_close(state_, AMQP_REPLY_SUCCESS);
        amqp_destroy_connection(state_);
    }
    amqp_link(const amqp_link&) = delete;
    amqp_link& operator=(const amqp_link&) = delete;

    amqp_connection_state_t state() const { return state_; }
    int fd() const { return amqp_get_sockfd(state_); }
    bool buffered() const { return amqp_frames_enqueued(state_) || amqp_data_in_buffer(state_); }

    void check(std::string_view what, const amqp_rpc_reply_t& reply) const {
        if (reply.reply_type != AMQP_RESPONSE_NORMAL) {
            die(role_ + ": " + std::string(what) + ": " + describe(reply));
        }
    }

    // As Herald declares the exchanges of bench/herald.toml: direct, not durable, not
    // auto-deleted. Whoever comes first declares it; the others' declarations agree.
    void declare_exchange() {
        amqp_exchange_declare(state_, channel, bytes_of(exchange_name),
                              amqp_cstring_bytes("direct"), false, false, false, false,
                              amqp_empty_table);
        check("exchange.declare", amqp_get_rpc_reply(state_));
    }

    // Reads the frames that are not deliveries (from a broker that closes the channel or the
    // connection, or blocks publishers): a closing one ends the run.
    void read_other_frame() {
        amqp_frame_t frame{};
        timeval none{0, 0};
        const int rc = amqp_simple_wait_frame_noblock(state_, &frame, &none);
        if (rc == AMQP_STATUS_TIMEOUT) {
            return;
        }
        if (rc != AMQP_STATUS_OK) {
            die(role_ + ": " + amqp_error_string2(rc));
        }
        if (frame.frame_type != AMQP_FRAME_METHOD) {
            return;
        }
        amqp_rpc_reply_t reply{};
        reply.reply_type = AMQP_RESPONSE_SERVER_EXCEPTION;
        reply.reply = frame.payload.method;
        switch (frame.payload.method.id) {
        case AMQP_CHANNEL_CLOSE_METHOD:
        case AMQP_CONNECTION_CLOSE_METHOD:
            die(role_ + ": " + describe(reply));
        case AMQP_CONNECTION_BLOCKED_METHOD:
            std::fprintf(stderr, "herald-bench: warning: %s: the broker blocks publishing\n",
                         role_.c_str());
            break;
        default:
            break;
        }
    }

private:
    std::string role_;
    amqp_connection_state_t state_;
};

// Publishes as a back end does: basic.publish on its own connection, without confirms.
// rabbitmq-c's publish blocks while the socket is full; the window bounds what is in flight.
class amqp_publisher final : public watcher, public publisher {
public:
    explicit amqp_publisher(run_state& run)
        : run_(run)
        , link_(run.settings.broker_url, "amqp publisher") {
        link_.declare_exchange();
        run_.loop.watch(link_.fd(), *this, EPOLLIN);
    }

    bool can_publish() const override { return true; }

    void publish(std::string_view routing_key, std::string_view payload) override {
        body_ = R"({"event":"tick","payload":)";
        body_ += payload;
        body_ += '}';
        const int rc =
            amqp_basic_publish(link_.state(), channel, bytes_of(exchange_name),
                               bytes_of(routing_key), false, false, nullptr, bytes_of(body_));
        if (rc != AMQP_STATUS_OK) {
            die(std::string("amqp publisher: basic.publish: ") + amqp_error_string2(rc));
        }
    }

    // A blocked publish reads what arrives meanwhile: look at it too.
    void flush() override {
        if (link_.buffered()) {
            on_ready(EPOLLIN);
        }
    }

    void on_ready(std::uint32_t) override {
        do {
            link_.read_other_frame();
        } while (link_.buffered());
        amqp_maybe_release_buffers(link_.state());
    }

private:
    run_state& run_;
    amqp_link link_;
    std::string body_;
};

class bare_amqp_consumer final : public watcher {
public:
    bare_amqp_consumer(const options& settings, event_loop& loop, delivery_sink& sink)
        : sink_(sink)
        , link_(settings.broker_url, "bare amqp consumer") {
        link_.declare_exchange();
        const auto state = link_.state();
        std::array<amqp_table_entry_t, 2> arguments{};
        arguments[0].key = amqp_cstring_bytes("x-max-length");
        arguments[0].value.kind = AMQP_FIELD_KIND_I64;
        arguments[0].value.value.i64 = static_cast<std::int64_t>(settings.max_queue_length);
        arguments[1].key = amqp_cstring_bytes("x-overflow");
        arguments[1].value.kind = AMQP_FIELD_KIND_UTF8;
        arguments[1].value.value.bytes = amqp_cstring_bytes("drop-head");
        const amqp_table_t table{static_cast<int>(arguments.size()), arguments.data()};
        // Server-named, not durable, exclusive, auto-deleted: as Herald's node queue.
        const auto* declared =
            amqp_queue_declare(state, channel, amqp_empty_bytes, false, false, true, true, table);
        link_.check("queue.declare", amqp_get_rpc_reply(state));
        const std::string queue(view_of(declared->queue));
        for (std::size_t topic = 0; topic < settings.topics; ++topic) {
            const auto key = routing_key_of(topic);
            amqp_queue_bind(state, channel, bytes_of(queue), bytes_of(exchange_name), bytes_of(key),
                            amqp_empty_table);
            link_.check("queue.bind", amqp_get_rpc_reply(state));
        }
        amqp_basic_qos(state, channel, 0, prefetch, false);
        link_.check("basic.qos", amqp_get_rpc_reply(state));
        amqp_basic_consume(state, channel, bytes_of(queue), amqp_empty_bytes, false, false, false,
                           amqp_empty_table);
        link_.check("basic.consume", amqp_get_rpc_reply(state));
        loop.watch(link_.fd(), *this, EPOLLIN);
    }

    // Every message there is, also those rabbitmq-c read ahead into its buffer (epoll cannot
    // see them): until a read finds nothing.
    void on_ready(std::uint32_t) override {
        const auto state = link_.state();
        for (;;) {
            amqp_maybe_release_buffers(state);
            amqp_envelope_t envelope{};
            timeval none{0, 0};
            const auto reply = amqp_consume_message(state, &envelope, &none, 0);
            if (reply.reply_type == AMQP_RESPONSE_NORMAL) {
                last_tag_ = envelope.delivery_tag;
                sink_.delivered(view_of(envelope.message.body), now_ns());
                amqp_destroy_envelope(&envelope);
                if (++unacked_ >= ack_every) {
                    ack();
                }
                continue;
            }
            if (reply.reply_type != AMQP_RESPONSE_LIBRARY_EXCEPTION) {
                link_.check("basic.consume", reply);
            }
            if (reply.library_error == AMQP_STATUS_UNEXPECTED_STATE) {
                link_.read_other_frame(); // not a delivery
                continue;
            }
            if (reply.library_error != AMQP_STATUS_TIMEOUT) {
                link_.check("basic.consume", reply);
            }
            if (unacked_ > 0) {
                ack();
            }
            if (!link_.buffered()) {
                return;
            }
        }
    }

private:
    void ack() {
        const int rc = amqp_basic_ack(link_.state(), channel, last_tag_, true);
        if (rc != AMQP_STATUS_OK) {
            die(std::string("bare amqp consumer: basic.ack: ") + amqp_error_string2(rc));
        }
        unacked_ = 0;
    }

    delivery_sink& sink_;
    amqp_link link_;
    std::uint64_t last_tag_ = 0;
    std::size_t unacked_ = 0;
};

} // namespace

std::unique_ptr<publisher> open_amqp_publisher(run_state& run) {
    return std::make_unique<amqp_publisher>(run);
}

std::unique_ptr<watcher> open_bare_amqp_consumer(const options& settings, event_loop& loop,
                                                 delivery_sink& sink) {
    return std::make_unique<bare_amqp_consumer>(settings, loop, sink);
}

} // namespace herald_bench
