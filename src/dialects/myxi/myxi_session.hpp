#pragma once

#include "dialects/myxi/myxi_protocol.hpp"
#include "session/backend_outcome.hpp"
#include "session/dialect.hpp"
#include "session/session_core.hpp"

namespace herald {

// A session on a Myxi endpoint: runs the built-in actions (Subscribe, Unsubscribe,
// ListSubscriptions, Ping, Authenticate, Deauthenticate) through the session core and answers
// each with the action's tag. Lives on its shard's thread.
class myxi_session final : public dialect_session {
public:
    // `who`: the identity the endpoint's credentials established before the upgrade, or null.
    myxi_session(session_port& port, const session_env& env, const identity* who);

    void on_open() override;
    void on_message(std::string_view payload, bool binary) override;
    void on_tick(std::chrono::system_clock::time_point now) override;
    void on_shutdown() override;
    void on_end() override { core_.leave(); }
    session_core* core() override { return &core_; }
    void on_revoked(const std::vector<topic>& revoked) override { reply_revoked(revoked); }

private:
    bool subscribe(const myxi::action& a);
    bool unsubscribe(const myxi::action& a);
    bool list_subscriptions(const myxi::action& a);
    bool authenticate(const myxi::action& a);
    bool deauthenticate(const myxi::action& a);
    bool acknowledge(const myxi::action& a);
    void ping(const myxi::action& a);
    void subscribed(std::string_view tag, std::string_view exchange, std::string_view key_json,
                    session_core::subscribe_result result);
    // Asks the back end whether the session may hold exchange/key; answers when it knows.
    void ask_subscription(std::string tag, std::string exchange, myxi::routing_key key);
    void authenticate_by_backend(const myxi::action& a);
    void forward(const myxi::action& a);
    void run(const std::vector<backend_command>& commands, std::string_view tag);
    void backend_failed(std::string_view tag, const backend_outcome& outcome);
    void reply_unsubscribed(std::string_view exchange, std::string_view routing_key_json,
                            bool automatic, std::string_view tag);
    void reply_revoked(const std::vector<topic>& revoked);
    void send(const std::string& json) { port_.send_text(json); }

    session_port& port_;
    const session_env& env_;
    session_core core_;
};

} // namespace herald
