#pragma once

#include "auth/identity.hpp"
#include "protocol/backend_message.hpp"
#include "protocol/http_request_reader.hpp"
#include "session/upgrade_request.hpp"
#include "transport/endpoint_match.hpp"
#include "transport/http_api.hpp"
#include "transport/sockjs_requests.hpp"
#include "transport/tcp_connection.hpp"
#include "transport/ws_connection.hpp"

#include <memory>
#include <string>

namespace herald {

struct transport_context;

// A TCP connection before (or instead of) a WebSocket upgrade: reads HTTP/1.1 requests,
// answers them, and hands the socket to a WebSocket connection on an upgrade, or to a SockJS
// session's receiver.
// Lives on its shard's thread.
class http_connection final : public tcp_connection {
public:
    http_connection(shard& owner, tcp::socket socket, transport_context& node);
    ~http_connection() override;

    void start();

private:
    // tcp_connection
    void on_received(std::span<char> bytes) override;
    void on_peer_gone() override { finish(); }
    bool reading_wanted() const override { return !finished_ && !writing_; }

    void act(http_request_reader::status status);
    void on_request();
    bool try_upgrade(std::string_view path);
    bool handshake_acceptable();
    // The upgrade's last step: hands the socket to a WebSocket session of the endpoint.
    void open_session(std::string_view path, const endpoint_match& match, const identity* who,
                      ws_connection::framing framing = ws_connection::framing::plain);
    void serve_sockjs(const sockjs_target& target);
    void ask_backend_to_connect(std::size_t endpoint_index, const upgrade_request& context,
                                std::optional<std::string> token);
    void on_connect_answer(backend_reply reply);
    upgrade_request upgrade_context(std::string_view path, const endpoint_match& match,
                                    const std::string& remote) const;
    std::string remote_address() const;
    void respond(const http_response& response, bool keep_alive);
    void on_written(error_code ec, std::size_t written);
    void finish();
    void on_tick(steady_time now) override;
    void on_shutdown(steady_time close_at) override;
    void abort() override { finish(); }

    transport_context& node_;
    http_request_reader reader_;
    std::string response_;
    steady_time deadline_; // the request must be complete, or the response written, by then
    bool writing_ = false;
    bool keep_alive_ = true;
    bool finished_ = false;
};

} // namespace herald
