// A WebSocket connection with a real socket pair on loopback and a dialect written for the test.
#include "quiet_bus.hpp"
#include "shard/shard.hpp"
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
    jwt_verifier jwt = std::move(*jwt_verifier::make({}));
    session_rules rules{exchanges, jwt, std::chrono::seconds(0), limit};
    session_id_maker ids{1, session_id_maker::random_key()};
    fragile_dialect fragile;
    transport_context node{limit, rules, exchanges, ids, bus, {"/x"}, {{&fragile, 0, 0}}, {}, {}};
    shard s{0, bus, 1, 0};
    net::io_context client_io;

    fixture() { s.start(); }
    ~fixture() { s.stop(); }

    // A client socket whose peer is a started ws_connection on the shard.
    tcp::socket connect() {
        tcp::acceptor acceptor(client_io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
        tcp::socket client(client_io);
        client.connect(acceptor.local_endpoint());
        tcp::socket server(s.context());
        acceptor.accept(server);
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

} // namespace
} // namespace herald
