#pragma once

#include "session/dialect.hpp"
#include "session/session_env.hpp"
#include "session/session_port.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace herald {

class shard;
struct transport_context;

// What every carrier of a dialect session shares, whatever moves its bytes (a WebSocket
// connection, a SockJS session): the dialect session it owns, its place in the shard's
// directory, the back end, lifecycle events and raw publishes. The carrier supplies the bytes
// (send_*, close) and says whether it is still open.
// Lives on its shard's thread; a carrier is kept alive by shared_ptrs (host_ref()).
class dialect_host : public session_port, public addressee {
public:
    dialect_host(const dialect_host&) = delete;
    dialect_host& operator=(const dialect_host&) = delete;

    // session_port, beyond the bytes
    std::uint64_t session_id() const override { return id_; }
    void ask_backend(std::string_view kind, std::string_view identity_json, std::string members,
                     backend_reply_handler on_reply) override;
    bool has_backend() const override;
    void find_documents(document_store& store, find_request request,
                        documents_handler on_result) override;
    void tell_backend(std::string_view kind, std::string_view identity_json,
                      std::string members) override;
    void publish_raw(std::string_view exchange, std::string_view routing_key,
                     std::string body) override;
    void tell_lifecycle(lifecycle_event e, std::string_view identity_json,
                        std::string_view members) override;
    void acknowledge_mail(std::vector<std::string> ids, acknowledged_handler done) override;

    // addressee: an event addressed to this session (its id, endpoint or identity).
    void deliver(const shared_frame& frame) override { send_frame(frame); }
    void supersede() override { close(ws::close_code::superseded); }

    // For node-wide work on the shard's sessions (transport/touch_rounds): the session's core,
    // null once the session has ended; and taking subscriptions away, telling the client.
    session_core* core();
    void revoke(const std::vector<topic>& subscriptions);
    // A strong reference to the carrier, which owns this host.
    virtual std::shared_ptr<dialect_host> host_ref() = 0;

protected:
    // A request of `kind` for the back end, in the envelope every request has.
    std::string backend_request(std::string_view kind, std::string_view identity_json,
                                std::string_view members) const;
    // Over SockJS: whether the dialect's messages go as JSON values (dialect::sockjs_json_values).
    bool sockjs_json_values() const;
    dialect_host(shard& owner, const transport_context& node, std::size_t endpoint_index);
    ~dialect_host() = default;

    // True while the dialect may be called: the carrier has not begun to close.
    virtual bool is_open() const = 0;
    // The client's address from the socket the carrier has now; empty when unknown.
    virtual std::string peer_address() const = 0;

    // Makes the session addressable, opens the dialect's session, tells `connected`, then
    // calls on_open().
    void open_dialect(const upgrade_request& request);
    // Leaves the directory, tells `disconnected` with `code` and `reason`, then calls on_end().
    // Idempotent.
    void end_dialect(int code, std::string_view reason);
    bool dialect_running() const { return dialect_ && !dialect_ended_; }
    // Runs a dialect call; a throw is counted and logged, and ends this session only.
    void guarded(const std::function<void()>& call);
    // Why a session ended, in the words of the disconnected lifecycle event.
    static const char* close_reason(ws::close_code code);
    std::string remote_address() const;

    shard& host_shard_;
    const transport_context& node_;
    session_env env_;
    std::unique_ptr<dialect_session> dialect_;
    std::uint64_t id_;
    std::uint16_t endpoint_index_;

private:
    // A callback for an answer that comes on another thread (a back end's, a store's) or must
    // come later on ours: it posts the answer to this session's shard and hands it to `handler`
    // there, if the session and its dialect still run. `settles_pending`: the answer ends one
    // of backend_pending_, whatever became of the session.
    template <class Answer>
    std::function<void(Answer)> back_on_shard(std::function<void(Answer)> handler,
                                              bool settles_pending);

    // The client's address as a trusted proxy reported it (X-Forwarded-For); null otherwise,
    // and the socket's peer is the address.
    std::unique_ptr<std::string> forwarded_for_;
    // This session's requests awaiting the back end or a document store.
    std::uint16_t backend_pending_ = 0;
    bool dialect_ended_ = false;
};

} // namespace herald
