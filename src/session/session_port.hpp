#pragma once
// How a dialect speaks to its client, whatever carries the bytes: a WebSocket connection, or
// a SockJS session (its polls and streams). No dialect owns a socket.

#include "protocol/backend_message.hpp"
#include "protocol/frame_codec.hpp"
#include "pubsub/topic.hpp"
#include "session/session_env.hpp"
#include "stores/document_store.hpp"

#include <cstdint>
#include <functional>
#include <string>
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

    // Asks the application back end (docs/backend.md). The port wraps `members` (",\"k\":v…")
    // in the request envelope: kind, node, session, endpoint, dialect, remote address and
    // `identity_json`. `on_reply` runs later on this session's thread, exactly once, unless
    // the session has ended by then; never before ask_backend returns. Without a back end, or
    // with too many of this session's requests pending, the reply says so (unavailable,
    // overloaded) and nothing is sent.
    using backend_reply_handler = std::function<void(backend_reply)>;
    virtual void ask_backend(std::string_view kind, std::string_view identity_json,
                             std::string members, backend_reply_handler on_reply) = 0;
    virtual bool has_backend() const = 0;
    // Asks a document store (MonoRail's resources), which works on a thread of its own. Like
    // ask_backend: `on_result` runs later on this session's thread, exactly once, unless the
    // session has ended by then; never before find_documents returns. Counted with the back
    // end's requests against max_pending_per_session (the result then says overloaded).
    using documents_handler = std::function<void(find_result)>;
    virtual void find_documents(document_store& store, find_request request,
                                documents_handler on_result) = 0;
    // A notice for the back end, whose answer nobody reads (Plezi's on_close, on_shutdown): as
    // ask_backend, but not counted against the session's max_pending_per_session, so a session
    // whose requests are all pending still says goodbye. A dialect sends a bounded few of these
    // per session; the node-wide bound still holds.
    virtual void tell_backend(std::string_view kind, std::string_view identity_json,
                              std::string members) = 0;
    // Tells back ends what happened to the session ([lifecycle]): `identity_json` is the
    // session's identity or null, `members` the event's own fields (",\"k\":v…"). Callers ask
    // rules.lifecycle.wants() first, so a node without lifecycle events builds nothing.
    // Publishes `body` as it is (a message in another design's own format: Piped's methods) to
    // the bus, to `exchange` with `routing_key`. Nobody waits for the broker's answer.
    virtual void publish_raw(std::string_view exchange, std::string_view routing_key,
                             std::string body) = 0;
    virtual void tell_lifecycle(lifecycle_event e, std::string_view identity_json,
                                std::string_view members) = 0;
    // Removes the mail with these ids from the mailboxes of the identities the session is
    // registered as (docs/backend.md#acknowledgements). `done` runs later on this session's
    // thread with the ids removed, once, unless the session has ended by then; never before
    // acknowledge_mail returns.
    using acknowledged_handler = std::function<void(std::vector<std::string> removed)>;
    virtual void acknowledge_mail(std::vector<std::string> ids, acknowledged_handler done) = 0;

protected:
    ~session_port() = default;
};

} // namespace herald
