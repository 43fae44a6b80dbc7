// HTTP and WebSocket connections with real sockets on loopback, around one shard, with a dialect
// written for the test.
#include "quiet_bus.hpp"
#include "shard/shard.hpp"
#include "transport/http_connection.hpp"
#include "transport/transport_context.hpp"
#include "transport/ws_connection.hpp"

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <future>
#include <gtest/gtest.h>

namespace herald {
namespace {

using namespace std::chrono_literals;

using testing::quiet_bus;

// Echoes text, and throws std::bad_alloc on the message "boom", as a handler that runs out of
// memory would.
class fragile_dialect final : public dialect {
public:
    std::string_view name() const override { return "fragile"; }
    std::unique_ptr<dialect_session> open(session_port& port, const session_env&,
                                          const upgrade_request&) const override {
        struct session final : dialect_session {
            explicit session(session_port& p)
                : port(p) {}
            void on_open() override {}
            void on_message(std::string_view text, bool) override {
                if (text == "boom") {
                    throw std::bad_alloc();
                }
                port.send_text(text);
            }
            session_port& port;
        };
        return std::make_unique<session>(port);
    }
};

// One node's worth of context around a single shard, and a client socket per connection.
struct fixture {
    quiet_bus bus;
    limits limit;
    exchange_policies exchanges;
    jwt_verifier jwt = *jwt_verifier::make({});
    session_rules rules{exchanges, jwt, std::chrono::seconds(0), limit};
    session_id_maker ids{1, session_id_maker::random_key()};
    fragile_dialect fragile;
    transport_context node{limit, rules, exchanges, ids, bus, {"/x"}, {{&fragile, 0, 0}}, {}, [] {
                               return std::string("metrics");
                           }};
    shard s{0, bus, 1, 0};
    net::io_context client_io;

    fixture() { s.start(); }
    ~fixture() { s.stop(); }

    // Connects a client socket; `server` becomes its peer, on the shard's io_context.
    tcp::socket socket_pair(tcp::socket& server) {
        tcp::acceptor acceptor(client_io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
        tcp::socket client(client_io);
        client.connect(acceptor.local_endpoint());
        acceptor.accept(server);
        return client;
    }

    // A client socket whose peer is a started http_connection on the shard.
    tcp::socket connect_http() {
        tcp::socket server(s.context());
        auto client = socket_pair(server);
        net::post(s.context(), [this, server = std::move(server)]() mutable {
            std::make_shared<http_connection>(s, std::move(server), node)->start();
        });
        return client;
    }

    // A client socket whose peer is a started ws_connection on the shard.
    tcp::socket connect() {
        tcp::socket server(s.context());
        auto client = socket_pair(server);
        std::promise<void> started;
        net::post(s.context(), [&] {
            auto c = std::make_shared<ws_connection>(s, std::move(server), node, 0);
            c->start("HTTP/1.1 101 Switching Protocols\r\n\r\n", {}, upgrade_request{});
            started.set_value();
        });
        started.get_future().wait();
        std::string head(std::strlen("HTTP/1.1 101 Switching Protocols\r\n\r\n"), '\0');
        net::read(client, net::buffer(head));
        return client;
    }

    static void send_text(tcp::socket& client, std::string_view text) {
        std::string frame;
        ws::append_masked_frame(frame, ws::opcode::text, text, 0x01020304);
        net::write(client, net::buffer(frame));
    }

    // The next server frame: opcode and payload (payloads here are short).
    static std::pair<int, std::string> read_frame(tcp::socket& client) {
        unsigned char head[2];
        net::read(client, net::buffer(head));
        std::string payload(head[1] & 0x7f, '\0');
        net::read(client, net::buffer(payload));
        return {head[0] & 0x0f, payload};
    }
};

TEST(ws_connection, a_handler_that_throws_ends_only_its_session_with_1011_and_is_counted) {
    fixture f;
    auto doomed = f.connect();
    auto bystander = f.connect();

    fixture::send_text(doomed, "boom");
    const auto [opcode, payload] = fixture::read_frame(doomed);
    EXPECT_EQ(opcode, 0x8);
    ASSERT_GE(payload.size(), 2u);
    EXPECT_EQ((static_cast<unsigned char>(payload[0]) << 8) |
                  static_cast<unsigned char>(payload[1]),
              1011);

    fixture::send_text(bystander, "still here");
    EXPECT_EQ(fixture::read_frame(bystander), (std::pair<int, std::string>{0x1, "still here"}));
    EXPECT_EQ(f.s.metrics().handler_failures.value(), 1u);
}

TEST(http_connection, a_handler_that_throws_ends_only_its_request_with_500_and_is_counted) {
    fixture f;
    f.node.render_metrics = []() -> std::string {
        throw std::bad_alloc();
    };
    auto client = f.connect_http();
    const std::string request = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
    net::write(client, net::buffer(request));
    std::string answer;
    error_code ec;
    net::read(client, net::dynamic_buffer(answer), ec); // the server closes after a 500
    EXPECT_TRUE(answer.starts_with("HTTP/1.1 500")) << answer;
    EXPECT_NE(answer.find(R"({"error":"internal_error")"), std::string::npos) << answer;
    EXPECT_EQ(f.s.metrics().handler_failures.value(), 1u);

    f.node.render_metrics = [] {
        return std::string("metrics");
    }; // the shard runs on
    auto next = f.connect_http();
    net::write(next, net::buffer(request));
    std::string head(12, '\0');
    net::read(next, net::buffer(head));
    EXPECT_EQ(head, "HTTP/1.1 200");
}

} // namespace
} // namespace herald
