#pragma once

#include "session/upgrade_request.hpp"
#include "shard/shard_connection.hpp"
#include "transport/dialect_host.hpp"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace herald {

class sockjs_exchange;
class sockjs_registry;

// One SockJS session served over HTTP (xhr polling, xhr_streaming, eventsource): the dialect
// session it hosts, and the messages waiting for the client's next receiver (a polling or
// streaming response, sockjs_exchange). At most one receiver is attached at a time; messages
// from the client arrive through xhr_send. It owns no socket: without a receiver for
// disconnect_delay it ends (and, once closed, answers receivers its close frame until then).
// Lives on the shard its id hashes to (sockjs_registry), kept alive by itself until it ends
// and by the receivers attached to it.
class sockjs_session final : public dialect_host,
                             public shard_connection,
                             public std::enable_shared_from_this<sockjs_session> {
public:
    sockjs_session(shard& owner, const transport_context& node, std::size_t endpoint_index,
                   sockjs_registry& registry, std::string key);
    ~sockjs_session() override;

    // Opens the dialect's session with the first request's context.
    void start(const upgrade_request& request);

    // A receiver asks for frames: it gets the open frame, the waiting messages, heartbeats or
    // the close frame; a second receiver gets c[2010,"Another connection still open"].
    void attach(sockjs_exchange& receiver);
    // The receiver has ended (its response is complete, or its client left).
    void detach(sockjs_exchange& receiver);
    // The receiver has written what it was given and takes more.
    void receiver_ready() { pump(); }
    // Messages from xhr_send, in order.
    void receive(const std::vector<std::string>& messages);

    // session_port
    void send_text(std::string_view text) override;
    void send_binary(std::string_view bytes) override { send_text(bytes); }
    void send_frame(const shared_frame& frame) override;
    void close(ws::close_code code, std::string_view reason = {}) override;
    std::shared_ptr<dialect_host> host_ref() override { return {shared_from_this(), this}; }

private:
    // dialect_host
    bool is_open() const override { return open_; }
    std::string peer_address() const override { return peer_; }
    // shard_connection
    void on_tick(steady_time now) override;
    void on_shutdown(steady_time close_at) override;
    void abort() override;
    void flush() override;

    void queue(std::string_view message);
    void pump();
    void expire();

    sockjs_registry& registry_;
    std::string key_;
    std::string peer_;
    std::shared_ptr<sockjs_session> self_; // until the session expires
    std::string pending_;                  // an array frame being built; empty: nothing waits
    std::string close_frame_;              // once closed
    sockjs_exchange* receiver_ = nullptr;
    steady_time receiver_left_;
    steady_time last_frame_;
    steady_time close_at_{};
    bool open_ = true;
    bool open_frame_sent_ = false;
    bool flush_requested_ = false;
    bool shutting_down_ = false;
    bool expired_ = false;
};

} // namespace herald
