#pragma once

#include "protocol/frame_codec.hpp"
#include "session/dialect.hpp"
#include "session/session_env.hpp"
#include "session/session_port.hpp"
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
class ws_connection final : public tcp_connection, public session_port, public addressee {
public:
    ws_connection(shard& owner, tcp::socket socket, const transport_context& node,
                  std::size_t endpoint_index);
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
    std::uint64_t session_id() const override { return id_; }
    void ask_backend(std::string_view kind, std::string_view identity_json, std::string members,
                     backend_reply_handler on_reply) override;
    bool has_backend() const override;
    void publish_raw(std::string_view exchange, std::string_view routing_key,
                     std::string body) override;
    void tell_lifecycle(lifecycle_event e, std::string_view identity_json,
                        std::string_view members) override;

    // addressee: an event addressed to this session (its id, endpoint or identity).
    void deliver(const shared_frame& frame) override { send_frame(frame); }
    void supersede() override { close(ws::close_code::superseded); }

    // For node-wide work on the shard's sessions (transport/touch_rounds): the session's core,
    // null once the session has ended; and taking subscriptions away, telling the client.
    session_core* core();
    void revoke(const std::vector<topic>& subscriptions);

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
    void queue(shared_frame frame);
    void request_flush();
    void flush() override;
    void wait_writable();
    void pause_input_while_backlogged();
    void resume_input();
    void on_close_frame_sent();
    void close_slow_consumer();
    void finish();
    void end_dialect();
    void on_tick(steady_time now) override;
    void on_shutdown(steady_time close_at) override;
    void abort() override { finish(); }
    void reply_later(backend_reply_handler on_reply, backend_reply reply);
    void take_reply(const backend_reply_handler& on_reply, backend_reply reply);
    std::string remote_address() const;
    static const char* close_reason(ws::close_code code);
    // Runs a dialect call; a throw is counted and logged, and ends this session only.
    void guarded(const std::function<void()>& call);

    const transport_context& node_;
    session_env env_;
    std::unique_ptr<dialect_session> dialect_;
    ws::message_reader reader_;
    std::string tail_; // unread input: an incomplete frame, or frames held while paused
    outbox outbox_;
    steady_time last_heard_;
    steady_time deadline_; // closing/draining: give up then; shutdown: close then
    std::uint64_t id_;
    // The client's address as a trusted proxy reported it (X-Forwarded-For); null otherwise,
    // and the socket's peer is the address.
    std::unique_ptr<std::string> forwarded_for_;
    std::uint16_t endpoint_index_;
    std::uint16_t backend_pending_ = 0; // this session's requests awaiting the back end
    state state_ = state::open;
    bool flush_requested_ = false;
    bool waiting_writable_ = false;
    bool ping_sent_ = false;
    bool peer_closed_ = false;
    bool shutdown_pending_ = false;
    bool slow_consumer_ = false; // beyond the outbox's hard limit; closed at the next flush
    bool input_paused_ = false;  // replies wait to leave before more input is handled
    bool dialect_ended_ = false;
    ws::close_code close_code_ = ws::close_code::normal; // for the disconnected event
    bool network_ended_ = false; // EOF or a socket error, without a close handshake
};

} // namespace herald
