// The WebSocket and HTTP clients of herald-bench: subscribers (Myxi's Welcome, Subscribe,
// Subscribed for Herald; the bare upgrade for the ws peer) and the publishers of the two servers
// (Herald's keep-alive POST /api/publish, the ws peer's /publish socket).

#include "web_clients.hpp"

#include <arpa/inet.h>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

namespace herald_bench {
namespace {

// Frames bigger than this are refused.
constexpr std::size_t max_frame_bytes = 16 << 20;

// Subscriber i takes exchange "bench", routing key t<i mod --topics>.
std::string subscribe_action(std::size_t topic) {
    return R"({"action":"Subscribe","tag":1,"payload":{"exchange":")" + std::string(exchange_name) +
           R"(","routing_key":")" + routing_key_of(topic) + R"("}})";
}

// A MonoRail watcher watches every change of nodes, then asks for a document: replies come in
// order, so the get's answer (remove: there is no such document) says the watch is in place.
constexpr std::string_view monorail_watch = R"({"handler":"watch"})";
constexpr std::string_view monorail_probe = R"({"handler":"get","params":{"id":"no-such-node"}})";
// Changes published straight to RackHD's exchange, as on-core publishes an update of node bench.
constexpr std::string_view waterline_exchange = "on.waterline";
constexpr std::string_view waterline_routing_key = "nodes.updated.bench";

// ---- Encoding

std::string base64(std::span<const unsigned char> bytes) {
    static constexpr char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    for (std::size_t i = 0; i < bytes.size(); i += 3) {
        const bool second = i + 1 < bytes.size();
        const bool third = i + 2 < bytes.size();
        const std::uint32_t chunk = std::uint32_t{bytes[i]} << 16 |
                                    (second ? std::uint32_t{bytes[i + 1]} << 8 : 0) |
                                    (third ? std::uint32_t{bytes[i + 2]} : 0);
        out += alphabet[chunk >> 18 & 63];
        out += alphabet[chunk >> 12 & 63];
        out += second ? alphabet[chunk >> 6 & 63] : '=';
        out += third ? alphabet[chunk & 63] : '=';
    }
    return out;
}

std::string websocket_key(fast_random& random) {
    std::array<unsigned char, 16> nonce{};
    for (auto& byte : nonce) {
        byte = static_cast<unsigned char>(random.next());
    }
    return base64(nonce);
}

// ---- WebSocket frames

enum class opcode : std::uint8_t { text = 1, binary = 2, close = 8, ping = 9, pong = 10 };

// RFC 6455 §5.3: every client frame is masked.
void append_masked_frame(std::string& out, opcode code, std::string_view payload,
                         std::uint32_t mask_key) {
    const std::size_t n = payload.size();
    out += static_cast<char>(0x80 | static_cast<std::uint8_t>(code));
    if (n < 126) {
        out += static_cast<char>(0x80 | n);
    } else if (n <= 0xFFFF) {
        out += static_cast<char>(0x80 | 126);
        out += static_cast<char>(n >> 8);
        out += static_cast<char>(n & 0xFF);
    } else {
        out += static_cast<char>(0x80 | 127);
        for (int shift = 56; shift >= 0; shift -= 8) {
            out += static_cast<char>(n >> shift & 0xFF);
        }
    }
    std::array<char, 4> key{};
    std::memcpy(key.data(), &mask_key, key.size());
    out.append(key.data(), key.size());
    const std::size_t start = out.size();
    out += payload;
    for (std::size_t i = 0; i < n; ++i) {
        out[start + i] = static_cast<char>(out[start + i] ^ key[i & 3]);
    }
}

struct server_frame {
    opcode code{};
    std::string_view payload;
};

struct frame_read {
    std::size_t used = 0; // 0: the frame is not complete yet
    server_frame frame;
    const char* error = nullptr;
};

// Reads the frame at the front of `input`. Servers never mask, no extension is negotiated, and
// neither server fragments small messages, so fragments are rejected rather than reassembled.
frame_read read_server_frame(std::string_view input) {
    if (input.size() < 2) {
        return {};
    }
    const auto first = static_cast<std::uint8_t>(input[0]);
    const auto second = static_cast<std::uint8_t>(input[1]);
    if ((first & 0x70) != 0) {
        return {.error = "frame with RSV bits set, but no extension was negotiated"};
    }
    if ((first & 0x80) == 0 || (first & 0x0F) == 0) {
        return {.error = "fragmented message (this client does not reassemble)"};
    }
    if ((second & 0x80) != 0) {
        return {.error = "masked frame from the server"};
    }
    std::size_t header = 2;
    std::uint64_t length = second & 0x7F;
    if (length >= 126) {
        const std::size_t extra = length == 126 ? 2 : 8;
        if (input.size() < header + extra) {
            return {};
        }
        length = 0;
        for (std::size_t i = 0; i < extra; ++i) {
            length = length << 8 | static_cast<std::uint8_t>(input[header + i]);
        }
        header += extra;
    }
    if (length > max_frame_bytes) {
        return {.error = "frame over 16 MiB"};
    }
    if (input.size() < header + length) {
        return {};
    }
    return {.used = header + length,
            .frame = {static_cast<opcode>(first & 0x0F), input.substr(header, length)}};
}

// ---- Connections

int open_connecting_socket(const options& o, std::optional<in_addr> source) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        die("socket: " + errno_text(errno));
    }
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (source) {
        // Choose the port at connect(), per destination, instead of at bind(): otherwise every
        // bound socket holds a port of its source address whatever it connects to.
        setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
        sockaddr_in from{};
        from.sin_family = AF_INET;
        from.sin_addr = *source;
        if (::bind(fd, reinterpret_cast<const sockaddr*>(&from), sizeof from) != 0) {
            die("bind to " + std::string(inet_ntoa(*source)) + ": " + errno_text(errno));
        }
    }
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(o.port);
    if (inet_pton(AF_INET, o.host.c_str(), &to.sin_addr) != 1) {
        die("--host must be an IPv4 address: " + o.host);
    }
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0 &&
        errno != EINPROGRESS) {
        die("connect to " + o.host + ":" + std::to_string(o.port) + ": " + errno_text(errno));
    }
    return fd;
}

// A non-blocking TCP client socket: connects, buffers what the socket cannot take yet, and
// hands received bytes to consume() until it has taken whole messages.
class connection : public watcher {
public:
    ~connection() override { close_socket(); }
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    void on_ready(std::uint32_t events) override {
        if (closed()) {
            return;
        }
        if (!connected_) {
            finish_connect();
            return;
        }
        if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0) {
            read_available();
        }
        if (!closed() && (events & EPOLLOUT) != 0) {
            write_pending();
        }
    }

    bool closed() const { return fd_ < 0; }

protected:
    connection(run_state& run, int fd)
        : run_(run)
        , fd_(fd) {
        run_.loop.watch(fd_, *this, EPOLLIN | EPOLLOUT); // EPOLLOUT: the connect completed
    }

    void send_bytes(std::string_view bytes) {
        outbox_ += bytes;
        if (connected_) {
            write_pending();
        }
    }

    // Ends the connection; the subclass decides whether the run can go on without it.
    void fail(const std::string& why) {
        close_socket();
        on_failure(why);
    }

    bool connected() const { return connected_; }

    virtual void on_connected() {}
    // Takes whole messages from the front of `input`, returns how many bytes it used.
    virtual std::size_t consume(std::string_view input, std::int64_t received_ns) = 0;
    virtual void on_failure(const std::string& why) = 0;

    run_state& run_;

private:
    void finish_connect() {
        int error = 0;
        socklen_t size = sizeof error;
        getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &size);
        if (error != 0) {
            fail("connect to " + run_.settings.host + ":" + std::to_string(run_.settings.port) +
                 ": " + errno_text(error));
            return;
        }
        connected_ = true;
        on_connected();
        if (!closed()) {
            write_pending();
        }
    }

    void read_available() {
        static std::array<char, 64 * 1024> buffer;
        for (;;) {
            const ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), 0);
            if (n > 0) {
                take_input({buffer.data(), static_cast<std::size_t>(n)}, now_ns());
                if (closed() || static_cast<std::size_t>(n) < buffer.size()) {
                    return; // drained: level-triggered epoll reports any later bytes
                }
            } else if (n == 0) {
                fail("the server closed the connection");
                return;
            } else if (errno != EINTR) {
                if (errno != EAGAIN) {
                    fail("recv: " + errno_text(errno));
                }
                return;
            }
        }
    }

    void take_input(std::string_view fresh, std::int64_t received_ns) {
        // Most reads hold whole messages: parse them in place and copy only a partial tail.
        if (inbox_.empty()) {
            const std::size_t used = consume(fresh, received_ns);
            if (!closed() && used < fresh.size()) {
                inbox_.assign(fresh.substr(used));
            }
            return;
        }
        inbox_ += fresh;
        const std::size_t used = consume(inbox_, received_ns);
        if (!closed()) {
            inbox_.erase(0, used);
        }
    }

    void write_pending() {
        while (!outbox_.empty()) {
            const ssize_t n = ::send(fd_, outbox_.data(), outbox_.size(), MSG_NOSIGNAL);
            if (n > 0) {
                outbox_.erase(0, static_cast<std::size_t>(n));
            } else if (errno == EAGAIN) {
                break;
            } else if (errno != EINTR) {
                fail("send: " + errno_text(errno));
                return;
            }
        }
        const bool want_write = !outbox_.empty();
        if (want_write != watching_write_) {
            watching_write_ = want_write;
            run_.loop.rewatch(fd_, *this, want_write ? EPOLLIN | EPOLLOUT : EPOLLIN);
        }
    }

    void close_socket() {
        if (fd_ >= 0) {
            ::close(fd_); // also leaves the epoll set
            fd_ = -1;
        }
    }

    int fd_;
    bool connected_ = false;
    bool watching_write_ = true;
    std::string inbox_;  // the start of a message still arriving
    std::string outbox_; // bytes the socket has not taken yet
};

// A WebSocket client connection: the HTTP upgrade, then frames.
class ws_connection : public connection {
protected:
    ws_connection(run_state& run, int fd, std::string path)
        : connection(run, fd)
        , path_(std::move(path)) {}

    void send_text(std::string_view message) {
        std::string frame;
        append_masked_frame(frame, opcode::text, message,
                            static_cast<std::uint32_t>(run_.random.next()));
        send_bytes(frame);
    }

    virtual void on_open() = 0;
    virtual void on_message(std::string_view message, std::int64_t received_ns) = 0;

private:
    void on_connected() override {
        // The Sec-WebSocket-Accept hash is not checked: SHA-1 would need a crypto library, and
        // both servers measured here are known.
        send_bytes("GET " + path_ + " HTTP/1.1\r\nHost: " + run_.settings.host + ":" +
                   std::to_string(run_.settings.port) +
                   "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " +
                   websocket_key(run_.random) + "\r\nSec-WebSocket-Version: 13\r\n\r\n");
    }

    std::size_t consume(std::string_view input, std::int64_t received_ns) override {
        std::size_t used = 0;
        if (!upgraded_) {
            used = consume_upgrade_response(input);
            if (!upgraded_) {
                return used;
            }
        }
        while (!closed()) {
            const auto read = read_server_frame(input.substr(used));
            if (read.error != nullptr) {
                fail(read.error);
                break;
            }
            if (read.used == 0) {
                break;
            }
            used += read.used;
            handle(read.frame, received_ns);
        }
        return used;
    }

    std::size_t consume_upgrade_response(std::string_view input) {
        const auto end = input.find("\r\n\r\n");
        if (end == std::string_view::npos) {
            return 0;
        }
        if (!input.starts_with("HTTP/1.1 101 ")) {
            fail("the upgrade to WebSocket was refused: " +
                 std::string(input.substr(0, input.find("\r\n"))));
            return input.size();
        }
        upgraded_ = true;
        on_open();
        return end + 4; // frames may follow in the same read
    }

    void handle(const server_frame& frame, std::int64_t received_ns) {
        switch (frame.code) {
        case opcode::text:
        case opcode::binary:
            on_message(frame.payload, received_ns);
            break;
        case opcode::ping: {
            std::string pong;
            append_masked_frame(pong, opcode::pong, frame.payload,
                                static_cast<std::uint32_t>(run_.random.next()));
            send_bytes(pong);
            break;
        }
        case opcode::pong:
            break;
        case opcode::close:
            fail("the server sent a close frame");
            break;
        default:
            fail("unknown opcode " + std::to_string(static_cast<int>(frame.code)));
        }
    }

    std::string path_;
    bool upgraded_ = false;
};

const char* subscriber_path(const options& o) {
    if (o.target != target_kind::herald) {
        return "/";
    }
    return o.dialect == dialect_kind::monorail ? "/nodes" : "/pushwss";
}

// One subscriber: for Herald, Welcome → Subscribe → Subscribed (Myxi) or watch → get → remove
// (MonoRail); for the ws peer, the upgrade alone. Then every message is an event to time.
class subscriber final : public ws_connection {
public:
    subscriber(run_state& run, int fd, std::size_t number)
        : ws_connection(run, fd, subscriber_path(run.settings))
        , number_(number)
        , topic_(number % run.settings.topics) {}

private:
    enum class stage { upgrading, awaiting_welcome, awaiting_subscribed, ready };

    void on_open() override {
        if (run_.settings.target != target_kind::herald) {
            become_ready();
        } else if (run_.settings.dialect == dialect_kind::monorail) {
            send_text(monorail_watch);
            send_text(monorail_probe);
            stage_ = stage::awaiting_subscribed;
        } else {
            stage_ = stage::awaiting_welcome;
        }
    }

    void on_message(std::string_view message, std::int64_t received_ns) override {
        switch (stage_) {
        case stage::upgrading:
            break;
        case stage::awaiting_welcome:
            expect(message, R"("event":"Welcome")");
            send_text(subscribe_action(topic_));
            stage_ = stage::awaiting_subscribed;
            break;
        case stage::awaiting_subscribed:
            expect(message, run_.settings.dialect == dialect_kind::monorail
                                ? R"("handler":"remove")"
                                : R"("event":"Subscribed")");
            become_ready();
            break;
        case stage::ready:
            run_.delivered(message, received_ns);
            break;
        }
    }

    void expect(std::string_view message, std::string_view marker) {
        if (message.find(marker) == std::string_view::npos) {
            die("subscriber " + std::to_string(number_) + ": expected " + std::string(marker) +
                ", got " + std::string(message));
        }
    }

    void become_ready() {
        stage_ = stage::ready;
        run_.subscriber_ready(topic_);
    }

    void on_failure(const std::string& why) override {
        if (stage_ != stage::ready) {
            die("subscriber " + std::to_string(number_) + ": " + why);
        }
        run_.subscriber_lost(topic_, why);
    }

    std::size_t number_;
    std::size_t topic_;
    stage stage_ = stage::upgrading;
};

// Publishes to the ws peer: one WebSocket connection on /publish, any number of frames in flight.
class ws_publisher final : public ws_connection, public publisher {
public:
    ws_publisher(run_state& run, int fd)
        : ws_connection(run, fd, "/publish") {}

    bool can_publish() const override { return open_ && !closed(); }
    // The ws peer has no topics: it sends every event to every client.
    void publish(std::string_view, std::string_view payload) override { send_text(payload); }

private:
    void on_open() override { open_ = true; }
    void on_message(std::string_view message, std::int64_t) override {
        run_.unexpected_message(message);
    }
    void on_failure(const std::string& why) override { die("publisher: " + why); }

    bool open_ = false;
};

// MonoRail through the store: every event rewrites one document of nodes; its change reaches
// the watchers. Otherwise (Myxi, and MonoRail's changes published straight to on.waterline) the
// publish API.
bool through_store(const options& o) {
    return o.dialect == dialect_kind::monorail && o.changes == changes_kind::store;
}

std::string publish_request_head(const options& o) {
    return std::string(through_store(o) ? "PUT /api/resources/nodes/bench" : "POST /api/publish") +
           " HTTP/1.1\r\nHost: " + o.host + ":" + std::to_string(o.port) +
           "\r\nAuthorization: Bearer " + o.api_key +
           "\r\nContent-Type: application/json\r\nContent-Length: ";
}

// The value of a header in an HTTP response head, matched case-insensitively.
std::optional<std::string_view> header_value(std::string_view head, std::string_view name) {
    std::size_t line = head.find("\r\n");
    while (line != std::string_view::npos) {
        const std::size_t start = line + 2;
        line = head.find("\r\n", start);
        const auto field = head.substr(start, line == std::string_view::npos ? line : line - start);
        const auto colon = field.find(':');
        if (colon == name.size() &&
            std::equal(name.begin(), name.end(), field.begin(), [](char a, char b) {
                return std::tolower(static_cast<unsigned char>(a)) ==
                       std::tolower(static_cast<unsigned char>(b));
            })) {
            auto value = field.substr(colon + 1);
            value.remove_prefix(std::min(value.find_first_not_of(' '), value.size()));
            return value;
        }
    }
    return std::nullopt;
}

// Publishes to Herald: keep-alive POST /api/publish, one request in flight per connection.
class http_publisher final : public connection, public publisher {
public:
    http_publisher(run_state& run, int fd)
        : connection(run, fd)
        , request_head_(publish_request_head(run.settings)) {}

    bool can_publish() const override { return connected() && !awaiting_response_ && !closed(); }

    void publish(std::string_view routing_key, std::string_view payload) override {
        if (through_store(run_.settings)) {
            // The payload is the document: its "t" comes back in the change's record.
            awaiting_response_ = true;
            send_bytes(request_head_ + std::to_string(payload.size()) + "\r\n\r\n" +
                       std::string(payload));
            return;
        }
        // A named event published to on.waterline is a change whose payload is the record
        // (docs/protocol.md, MonoRail): the watchers of nodes get it as item ["updated","bench"].
        const bool change = run_.settings.dialect == dialect_kind::monorail;
        std::string body = R"({"exchange":")";
        body += change ? waterline_exchange : exchange_name;
        body += R"(","routing_key":")";
        body += change ? waterline_routing_key : routing_key;
        body += R"(","event":"tick","payload":)";
        body += payload;
        body += '}';
        awaiting_response_ = true;
        send_bytes(request_head_ + std::to_string(body.size()) + "\r\n\r\n" + body);
    }

private:
    std::size_t consume(std::string_view input, std::int64_t) override {
        const auto head_end = input.find("\r\n\r\n");
        if (head_end == std::string_view::npos) {
            return 0;
        }
        const auto head = input.substr(0, head_end);
        const auto length_text = header_value(head, "Content-Length");
        if (!length_text) {
            die("publisher: a response without Content-Length: " + std::string(head));
        }
        std::size_t body_length = 0;
        const auto [end, error] = std::from_chars(
            length_text->data(), length_text->data() + length_text->size(), body_length);
        if (error != std::errc{} || end != length_text->data() + length_text->size()) {
            die("publisher: a bad Content-Length: " + std::string(*length_text));
        }
        const std::size_t total = head_end + 4 + body_length;
        if (input.size() < total) {
            return 0;
        }
        // 202 from /api/publish; 201 (created) or 200 (updated) from /api/resources.
        if (!head.starts_with("HTTP/1.1 202 ") && !head.starts_with("HTTP/1.1 201 ") &&
            !head.starts_with("HTTP/1.1 200 ")) {
            die("publisher: " + request_head_.substr(0, request_head_.find(" HTTP/")) +
                " answered " + std::string(head.substr(0, head.find("\r\n"))) + ": " +
                std::string(input.substr(head_end + 4, body_length)));
        }
        awaiting_response_ = false;
        run_.publish_while_window_allows();
        return total;
    }

    void on_failure(const std::string& why) override { die("publisher: " + why); }

    std::string request_head_;
    bool awaiting_response_ = false;
};

} // namespace

std::unique_ptr<watcher> open_subscriber(run_state& run, std::size_t number,
                                         std::optional<in_addr> source) {
    return std::make_unique<subscriber>(run, open_connecting_socket(run.settings, source), number);
}

std::unique_ptr<publisher> open_http_publisher(run_state& run) {
    return std::make_unique<http_publisher>(run,
                                            open_connecting_socket(run.settings, std::nullopt));
}

std::unique_ptr<publisher> open_ws_publisher(run_state& run) {
    return std::make_unique<ws_publisher>(run, open_connecting_socket(run.settings, std::nullopt));
}

} // namespace herald_bench
