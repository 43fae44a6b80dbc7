#pragma once
// How a dialect speaks to its client, whatever carries the bytes: a WebSocket connection
// today, a SockJS stream or polling exchange later. No dialect owns a socket.

#include "protocol/frame_codec.hpp"
#include "pubsub/topic.hpp"

#include <cstdint>
#include <string_view>

namespace herald {

// Implemented by a connection; used on its shard's thread only. It carries what the transport
// knows. Who the session is (its identity) belongs to the dialect's session_core, which the
// dialect owns; an identity established before the session opens (credentials checked at the
// upgrade) reaches the dialect with the upgrade_request it is opened with.
class session_port {
public:
    virtual void send_text(std::string_view text) = 0;
    virtual void send_binary(std::string_view bytes) = 0;
    // An event already framed as a WebSocket text message, shared with other sessions: a
    // WebSocket sends the bytes as they are, another transport unwraps the payload.
    virtual void send_frame(const shared_frame& frame) = 0;
    // Ends the session: the client gets `code` (a WebSocket close code, or its equivalent on
    // another transport) and the dialect's on_end() runs before this returns.
    virtual void close(ws::close_code code, std::string_view reason = {}) = 0;
    // Cluster-wide: the node id is in the top 16 bits (shard/session_id_maker.hpp).
    virtual std::uint64_t session_id() const = 0;

protected:
    ~session_port() = default;
};

} // namespace herald
