#pragma once

#include "transport/tcp_connection.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

namespace herald {

class sockjs_session;

// One HTTP response on a SockJS session's shard: a receiver of the session's frames (an xhr
// poll, which ends after one frame; an xhr_streaming or eventsource stream, which ends after
// response_limit bytes, so that the client opens the next one), or a complete answer
// (xhr_send's 204, an error) written as it is. The response is close-delimited or carries its
// Content-Length, and the connection closes after it.
// Lives on its shard's thread; kept alive by the shared_ptrs its pending waits hold.
class sockjs_exchange final : public tcp_connection {
public:
    enum class kind { polling, streaming, eventsource, answer };

    sockjs_exchange(shard& owner, tcp::socket socket, kind how, std::string cors_headers,
                    std::size_t response_limit, std::chrono::seconds write_timeout);
    ~sockjs_exchange() override;

    // A receiver: sends the stream's head, then takes frames from `session`.
    void receive_from(std::shared_ptr<sockjs_session> session);
    // An answer: writes `response` (complete HTTP bytes) and closes.
    void answer(std::string response);

    // For the session: true when the receiver takes a frame now (its last write is done).
    bool ready() const { return !writing_ && !ending_ && !finished_; }
    void send(std::string_view frame);
    // The last frame: the response ends after it.
    void end_with(std::string_view frame);

private:
    // tcp_connection: a receiver only watches for its client leaving.
    void on_received(std::span<char>) override {}
    void on_peer_gone() override { finish(); }
    bool reading_wanted() const override { return !finished_; }
    // shard_connection
    void on_tick(steady_time now) override;
    void on_shutdown(steady_time) override {}
    void abort() override { finish(); }

    std::string head(std::string_view extra) const;
    void write(std::string bytes);
    void on_written(error_code ec);
    void finish();

    std::shared_ptr<sockjs_session> session_;
    std::string out_;  // being written
    std::string last_; // the closing frame, behind the write in progress
    std::string cors_;
    std::size_t sent_ = 0; // body bytes of a stream so far
    std::size_t response_limit_;
    std::chrono::seconds write_timeout_;
    steady_time write_started_{};
    kind kind_;
    bool writing_ = false;
    bool ending_ = false; // the last bytes are written or being written
    bool finished_ = false;
};

} // namespace herald
