#pragma once

#include "dialects/myxi/myxi_protocol.hpp"
#include "session/dialect.hpp"
#include "session/session_core.hpp"

namespace herald {

// A session on a Myxi endpoint: runs the built-in actions (Subscribe, Unsubscribe,
// ListSubscriptions, Ping, Authenticate, Deauthenticate) through the session core and answers
// each with the action's tag. Lives on its shard's thread.
class myxi_session final : public dialect_session {
public:
    myxi_session(session_port& port, const session_env& env);

    void on_open() override;
    void on_message(std::string_view payload, bool binary) override;
    void on_tick(std::chrono::system_clock::time_point now) override;
    void on_shutdown() override;
    void on_end() override { core_.leave(); }

private:
    bool subscribe(const myxi::action& a);
    bool unsubscribe(const myxi::action& a);
    bool list_subscriptions(const myxi::action& a);
    bool authenticate(const myxi::action& a);
    bool deauthenticate(const myxi::action& a);
    void ping(const myxi::action& a);
    void reply_unsubscribed(std::string_view exchange, std::string_view routing_key_json,
                            bool automatic, std::string_view tag);
    void reply_revoked(const std::vector<topic>& revoked);
    void send(const std::string& json) { port_.send_text(json); }

    session_port& port_;
    const session_env& env_;
    session_core core_;
};

} // namespace herald
