#pragma once

#include "session/dialect.hpp"
#include "session/session_core.hpp"

#include <optional>
#include <string>

namespace herald::datadealer {

// Labels of herald_actions_total{dialect="datadealer"}, in this order.
enum class action_label : std::size_t { client_connected, action, acknowledge, invalid };

} // namespace herald::datadealer

namespace herald {

// A session on a DataDealer endpoint (docs/protocol.md#the-datadealer-dialect). It waits for
// {"ev":"client_connected","pl":{"token":T}}, finds the user (uid) — from credentials checked
// at the upgrade, the token as a JWT, or the back end's authenticate answer, which also gets
// the request's `sessionid` cookie, as dd_app read it — then kicks the user's other sessions,
// subscribes to srv_msg and user_<uid>, and says established. herald:acknowledge removes kept
// mail; every other `ev` goes to the back end as an action.
//
// The session core speaks through this object, not the connection's port, so that an event
// that is a kick is seen: another session's kick is sent, and the session closes at the next
// tick (a delivery may not end a session: the hub is iterating). Lives on its shard's thread.
class datadealer_session final : public dialect_session, private session_port {
public:
    datadealer_session(session_port& port, const session_env& env, const upgrade_request& request);

    void on_open() override {}
    void on_message(std::string_view text, bool binary) override;
    void on_tick(std::chrono::system_clock::time_point now) override;
    void on_end() override { core_.leave(); }
    session_core* core() override { return &core_; }

private:
    void connect(std::string_view pl);
    void ask_backend_for_uid(std::string token);
    void establish();
    void forward(std::string ev, std::string pl);
    bool acknowledge(std::string_view pl);
    void run(const std::vector<backend_command>& commands);
    void send(const std::string& json) { port_.send_text(json); }
    void refuse(std::string_view error, std::string_view detail);

    // session_port, for the core: the connection's, but a kick is looked at first.
    void send_text(std::string_view text) override { port_.send_text(text); }
    void send_binary(std::string_view bytes) override { port_.send_binary(bytes); }
    void send_frame(const shared_frame& frame) override;
    void close(ws::close_code code, std::string_view reason) override { port_.close(code, reason); }
    std::uint64_t session_id() const override { return port_.session_id(); }
    void ask_backend(std::string_view kind, std::string_view identity_json, std::string members,
                     backend_reply_handler on_reply) override {
        port_.ask_backend(kind, identity_json, std::move(members), std::move(on_reply));
    }
    bool has_backend() const override { return port_.has_backend(); }
    void find_documents(document_store& store, find_request request,
                        documents_handler on_result) override {
        port_.find_documents(store, std::move(request), std::move(on_result));
    }
    void tell_backend(std::string_view kind, std::string_view identity_json,
                      std::string members) override {
        port_.tell_backend(kind, identity_json, std::move(members));
    }
    void publish_raw(std::string_view exchange, std::string_view routing_key,
                     std::string body) override {
        port_.publish_raw(exchange, routing_key, std::move(body));
    }
    void tell_lifecycle(lifecycle_event e, std::string_view identity_json,
                        std::string_view members) override {
        port_.tell_lifecycle(e, identity_json, members);
    }
    void acknowledge_mail(std::vector<std::string> ids, acknowledged_handler done) override {
        port_.acknowledge_mail(std::move(ids), std::move(done));
    }

    session_port& port_;
    const session_env& env_;
    session_core core_;
    std::optional<std::string> sessionid_; // the request's `sessionid` cookie
    std::string listener_id_;              // the session id in hex: a kick's sender
    enum class phase { waiting, asking, established };
    phase phase_ = phase::waiting;
    bool kicked_ = false;
};

} // namespace herald
