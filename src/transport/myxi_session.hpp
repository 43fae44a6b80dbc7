#pragma once

#include "auth/identity.hpp"
#include "protocol/myxi.hpp"
#include "transport/ws_session.hpp"

#include <memory>

namespace herald {

// A session on a Myxi endpoint: runs the built-in actions (Subscribe, Unsubscribe,
// ListSubscriptions, Ping, Authenticate, Deauthenticate) and answers each with the action's tag.
// Lives on its shard's thread.
class myxi_session final : public ws_session {
public:
    myxi_session(shard& owner, tcp::socket socket, std::size_t endpoint_index);

private:
    void on_open() override;
    void on_text(std::string_view text) override;
    void on_end() override;
    void on_shutdown_notice() override;
    void on_open_tick() override;

    bool subscribe(const myxi::action& a);
    bool unsubscribe(const myxi::action& a);
    bool list_subscriptions(const myxi::action& a);
    bool authenticate(const myxi::action& a);
    bool deauthenticate(const myxi::action& a);
    // Drops (with Unsubscribed auto:true) every subscription the session may no longer hold.
    void revoke_unauthorized();
    void reply_unsubscribed(std::string_view exchange, std::string_view routing_key_json,
                            bool automatic, std::string_view tag);

    std::unique_ptr<identity> identity_; // null while anonymous
};

} // namespace herald
