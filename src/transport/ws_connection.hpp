#pragma once

#include "protocol/frame_codec.hpp"
#include "transport/dialect_host.hpp"
#include "transport/outbox.hpp"
#include "transport/tcp_connection.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace herald {

struct transport_context;

// One WebSocket connection after the upgrade: RFC 6455 framing, the outbox, pings, timeouts
// and the close handshake. It is the port its dialect session speaks through, and owns that
// session: the dialect never sees the socket.
// Lives on its shard's thread; kept alive by the shared_ptrs its pending waits hold.
class ws_connection final : public tcp_connection, public dialect_host {
public:
    // What a WebSocket message is: the dialect's message itself, or SockJS's websocket
    // transport (docs/protocol.md#sockjs): the server sends o, a[...] and c[...] frames and
    // the client JSON arrays of messages.
    enum class framing : std::uint8_t { plain, sockjs };

    ws_connection(shard& owner, tcp::socket socket, const transport_context& node,
                  std::size_t endpoint_index, framing how = framing::plain);
    ~ws_connection() override;

    // Opens the dialect's session, sends the 101 response, then reads; `early` holds bytes the
    // client sent right behind the upgrade request.
    void start(std::string handshake_response, std::string_view early,
               const upgrade_request& request);

    // session_port
    void send_text(std::string_view text) override;
    void send_binary(std::string_view bytes) override;
    void send_frame(const shared_frame& frame) override;
    void close(ws::close_code code, std::string_view reason = {}) override;
    std::shared_ptr<dialect_host> host_ref() override { return {shared_from_this(), this}; }

private:
    enum class state : std::uint8_t {
        open,
        closing,  // our close frame is queued
        draining, // our close frame is sent; read until the client closes too
        finished, // the socket is closed
    };

    // tcp_connection
    void on_received(std::span<char> bytes) override;
    void on_peer_gone() override { finish(); }
    bool reading_wanted() const override { return state_ != state::finished && !input_paused_; }

    void consume(std::span<char> fresh);
    bool handle(const ws::message& m);
    void take_message(const ws::message& m);
    void queue(shared_frame frame);
    void request_flush();
    void flush() override;
    void wait_writable();
    void pause_input_while_backlogged();
    void resume_input();
    void on_close_frame_sent();
    void close_slow_consumer();
    void finish();
    void end_session();
    void on_tick(steady_time now) override;
    void on_shutdown(steady_time close_at) override;
    void abort() override { finish(); }
    // dialect_host
    bool is_open() const override { return state_ == state::open; }
    std::string peer_address() const override;

    ws::message_reader reader_;
    std::string tail_; // unread input: an incomplete frame, or frames held while paused
    outbox outbox_;
    steady_time last_heard_;
    steady_time deadline_; // closing/draining: give up then; shutdown: close then
    state state_ = state::open;
    framing framing_;
    bool flush_requested_ = false;
    bool waiting_writable_ = false;
    bool ping_sent_ = false;
    bool peer_closed_ = false;
    bool shutdown_pending_ = false;
    bool slow_consumer_ = false; // beyond the outbox's hard limit; closed at the next flush
    bool input_paused_ = false;  // replies wait to leave before more input is handled
    ws::close_code close_code_ = ws::close_code::normal; // for the disconnected event
    bool network_ended_ = false; // EOF or a socket error, without a close handshake
};

} // namespace herald
