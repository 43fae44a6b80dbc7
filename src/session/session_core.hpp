#pragma once

#include "auth/identity.hpp"
#include "auth/jwt_verifier.hpp"
#include "pubsub/subscriber.hpp"
#include "session/session_env.hpp"
#include "session/session_port.hpp"

#include <boost/system/result.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

namespace herald {

// The dialect-independent half of a session: who it is (identity), what it holds
// (subscriptions, within the per-session limits) and whether it may (the exchanges' access
// policies). Returns plain outcomes; the dialect says them in its own words. Receives events
// from the hub and hands them to the port.
// Lives on its shard's thread. Leaves the hub at the latest when destroyed.
class session_core final : public subscriber {
public:
    session_core(session_port& port, const session_env& env);
    ~session_core();

    enum class subscribe_result {
        subscribed,
        already_subscribed,
        invalid_name,     // NUL in the exchange or routing key
        unknown_exchange, // the node does not serve the exchange
        auth_required,
        denied,
        too_many,    // limits.max_subscriptions_per_session
        too_large,   // limits.max_subscription_bytes_per_session
        ask_backend, // the back end decides: subscribe again with `decided` once it allowed
    };
    // `decided`: the back end allowed it (or commanded it), so the exchange's policy is not
    // asked again; the names and the limits still are.
    subscribe_result subscribe(std::string_view exchange, std::string_view routing_key,
                               bool decided = false);
    // False when the session did not hold it.
    bool unsubscribe(std::string_view exchange, std::string_view routing_key);
    // Drops every subscription to `exchange`, or every one when it is nullopt; returns them.
    std::vector<topic> unsubscribe_each(std::optional<std::string_view> exchange);
    // The topics held, as hub keys (topic_key), in subscription order. Valid until the next
    // change of subscriptions.
    std::vector<std::string_view> topic_keys() const;
    std::size_t subscription_bytes() const { return subscription_bytes_; }

    const identity* who() const { return identity_.get(); }
    // Verifies a token and becomes its identity; drops (and returns) what the new identity may
    // not hold, since a new token may grant less than the old one did.
    struct authenticated {
        std::vector<topic> revoked;
    };
    boost::system::result<authenticated, jwt_error>
    authenticate(std::string_view token, std::chrono::system_clock::time_point now);
    // Becomes the identity the back end vouched for; returns what it may no longer hold.
    std::vector<topic> set_identity(identity who);
    // Registers the session as an identity with a mailbox (Plezi's register_as,
    // docs/backend.md#identities-and-mailboxes): events sent to it reach the session, and
    // what was notified while none of its sessions was connected comes now. `lifetime` is
    // clamped to 600 s – 1 year (0: a week), max_connections to 1 – 1,000 (0: 1).
    // `acknowledge`: the mailbox keeps mail until a client acknowledges it.
    enum class register_result { registered, invalid_name, too_many };
    register_result register_as(std::string_view name, std::chrono::seconds lifetime,
                                std::uint32_t max_connections, bool acknowledge = false);
    // Anonymous again; returns the subscriptions that needed the identity.
    std::vector<topic> deauthenticate();
    // The subscriptions the back end decided on (their exchange's access is "backend"), as hub
    // keys: what a periodic re-check asks about.
    std::vector<std::string_view> delegated_topic_keys() const;
    // A token's exp holds for the whole session, not only at Authenticate: once it passes (with
    // the verifier's leeway), the session is anonymous again. Returns the revoked subscriptions
    // when that happened at `now`, nullopt while the identity holds.
    std::optional<std::vector<topic>> expire_identity(std::chrono::system_clock::time_point now);

    // Leaves the hub: no event reaches the session afterwards. Idempotent.
    void leave();

    void deliver(const shared_frame& frame) override { port_.send_frame(frame); }

    // The session's identity as request and lifecycle JSON: {"subject","grants"} or null.
    std::string identity_json() const;

private:
    // After a change of identity. The back end's past decisions hold for the same subject and
    // are dropped with it: they were made for someone else.
    std::vector<topic> revoke_unauthorized(bool subject_changed);
    void become(std::unique_ptr<identity> who, bool& subject_changed);
    void forget(std::string_view key) { subscription_bytes_ -= key.size() - 1; }
    // Tells back ends about a change of subscriptions, when [lifecycle] wants it.
    void tell(lifecycle_event e, std::string_view exchange, std::string_view routing_key);
    void tell_identity();

    session_port& port_;
    const session_env& env_;
    std::unique_ptr<identity> identity_; // null while anonymous
    std::size_t subscription_bytes_ = 0; // exchange + routing key bytes of every subscription
};

} // namespace herald
