#pragma once

#include "protocol/frame_codec.hpp"
#include "pubsub/subscriber.hpp"
#include "shard/shard_connection.hpp"
#include "util/net.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace herald {

class shard;
struct limits;

// One WebSocket connection after the upgrade: framing, the bounded outbox, pings, timeouts
// and the close handshake. A dialect derives from it and speaks JSON through on_text/send_text.
// Lives on its shard's thread; kept alive by the shared_ptrs its pending waits hold.
class ws_session : public shard_connection,
                   public subscriber,
                   public std::enable_shared_from_this<ws_session> {
public:
    ws_session(shard& owner, tcp::socket socket, std::size_t endpoint_index, dialect kind);
    ~ws_session() override;
    ws_session(const ws_session&) = delete;
    ws_session& operator=(const ws_session&) = delete;

    // Sends the 101 response, then reads; `early` holds bytes the client sent right behind
    // the upgrade request.
    void start(std::string handshake_response, std::string_view early);

    std::uint64_t id() const { return id_; }
    std::string id_text() const; // 16 hex digits: see shard/session_id_maker.hpp

    void deliver(const event_frames& frames) override;
    void send_text(std::string_view json);
    // Sends a close frame, then ends the connection once the client answers (or a short
    // grace period passes).
    void close(ws::close_code code, std::string_view reason = {});
    bool is_open() const { return state_ == state::open; }

protected:
    virtual void on_open() = 0;
    virtual void on_text(std::string_view text) = 0;
    // Called once when the session stops taking events: drop subscriptions here.
    virtual void on_end() {}
    // The node is going down: tell the client, in the dialect's words, before the close.
    virtual void on_shutdown_notice() {}
    // Each shard tick (250 ms) while the session is open: for the dialect's own deadlines.
    virtual void on_open_tick() {}

    shard& shard_;

private:
    enum class state : std::uint8_t {
        open,
        closing,  // our close frame is queued
        draining, // our close frame is sent; read until the client closes too
        finished, // the socket is closed
    };

    void wait_readable();
    void on_readable(error_code ec);
    void consume(std::span<char> bytes);
    bool handle(const ws::message& m);
    void queue(shared_frame frame);
    void request_flush();
    void flush() override;
    void wait_writable();
    void on_close_frame_sent();
    void close_slow_consumer();
    void finish();
    void on_tick(steady_time now) override;
    void on_shutdown(steady_time close_at) override;
    void abort() override { finish(); }
    const limits& limit() const;

    tcp::socket socket_;
    ws::message_reader reader_;
    std::string tail_; // an incomplete frame's bytes; empty (no allocation) between frames
    std::vector<shared_frame> outbox_;
    std::size_t outbox_head_ = 0;  // outbox_[0..head) are sent
    std::size_t head_offset_ = 0;  // bytes of outbox_[head] already sent
    std::size_t outbox_bytes_ = 0; // bytes not yet sent
    steady_time last_heard_;
    steady_time deadline_; // closing/draining: give up then; shutdown: close then
    std::uint64_t id_;
    std::uint16_t endpoint_index_;
    dialect dialect_;
    state state_ = state::open;
    bool flush_requested_ = false;
    bool waiting_writable_ = false;
    bool ping_sent_ = false;
    bool peer_closed_ = false;
    bool shutdown_pending_ = false;
    bool slow_consumer_ = false; // over the outbox limit; the close is on its way
};

} // namespace herald
