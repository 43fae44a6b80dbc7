#include "session/session_core.hpp"

#include "protocol/backend_message.hpp"
#include "protocol/json_text.hpp"

#include <algorithm>

namespace herald {
namespace {

// As an address's identity (protocol/addressing.cpp).
constexpr std::size_t max_identity_bytes = 1024;

bool has_nul(std::string_view s) {
    return s.find('\0') != std::string_view::npos;
}

topic topic_of(std::string_view key) {
    return {std::string(exchange_of(key)), std::string(routing_key_of(key))};
}

} // namespace

session_core::session_core(session_port& port, const session_env& env)
    : subscriber(env.dialect)
    , port_(port)
    , env_(env) {}

session_core::~session_core() {
    leave();
}

void session_core::leave() {
    env_.metrics.subscriptions.sub(static_cast<std::int64_t>(subscription_count()));
    env_.topics.unsubscribe_all(*this);
    subscription_bytes_ = 0;
}

session_core::subscribe_result session_core::subscribe(std::string_view exchange,
                                                       std::string_view routing_key, bool decided) {
    if (has_nul(exchange) || has_nul(routing_key)) {
        return subscribe_result::invalid_name;
    }
    const auto access = env_.rules.exchanges.access_of(exchange);
    if (!access) {
        return subscribe_result::unknown_exchange;
    }
    bool ask = false;
    if (!decided) {
        switch (decide(*access, identity_.get(), exchange, routing_key)) {
        case access_decision::auth_required:
            return subscribe_result::auth_required;
        case access_decision::denied:
            return subscribe_result::denied;
        case access_decision::ask_backend:
            ask = true; // after the checks below: the back end is not asked in vain
            break;
        case access_decision::allow:
            break;
        }
    }
    const std::string key = topic_key(exchange, routing_key);
    const auto& limit = env_.rules.limit;
    const bool full = subscription_count() >= limit.max_subscriptions_per_session;
    const bool too_large = subscription_bytes_ + exchange.size() + routing_key.size() >
                           limit.max_subscription_bytes_per_session;
    if (full || too_large) {
        // A repeat is AlreadySubscribed even when the session is at its limit: it asks for
        // nothing new. Only a full session pays for the extra lookup.
        if (env_.topics.is_subscribed(*this, key)) {
            return subscribe_result::already_subscribed;
        }
        return full ? subscribe_result::too_many : subscribe_result::too_large;
    }
    if (ask) {
        return env_.topics.is_subscribed(*this, key) ? subscribe_result::already_subscribed
                                                     : subscribe_result::ask_backend;
    }
    if (env_.topics.subscribe(*this, key) == hub::subscribe_outcome::already_subscribed) {
        return subscribe_result::already_subscribed;
    }
    subscription_bytes_ += exchange.size() + routing_key.size();
    env_.metrics.subscriptions.add();
    tell(lifecycle_event::subscribed, exchange, routing_key);
    return subscribe_result::subscribed;
}

bool session_core::unsubscribe(std::string_view exchange, std::string_view routing_key) {
    const std::string key = topic_key(exchange, routing_key);
    if (!env_.topics.unsubscribe(*this, key)) {
        return false;
    }
    forget(key);
    env_.metrics.subscriptions.sub();
    tell(lifecycle_event::unsubscribed, exchange, routing_key);
    return true;
}

std::vector<topic> session_core::unsubscribe_each(std::optional<std::string_view> exchange) {
    std::vector<topic> dropped;
    for (auto key : env_.topics.topics_of(*this)) {
        if (!exchange || exchange_of(key) == *exchange) {
            dropped.push_back(topic_of(key));
        }
    }
    for (const auto& t : dropped) {
        unsubscribe(t.exchange, t.routing_key);
    }
    return dropped;
}

std::vector<std::string_view> session_core::topic_keys() const {
    return env_.topics.topics_of(*this);
}

boost::system::result<session_core::authenticated, jwt_error>
session_core::authenticate(std::string_view token, std::chrono::system_clock::time_point now) {
    auto verified = env_.rules.jwt.verify(token, now);
    if (!verified) {
        return verified.error();
    }
    bool subject_changed = false;
    become(std::make_unique<identity>(std::move(*verified)), subject_changed);
    return authenticated{revoke_unauthorized(subject_changed)};
}

std::vector<topic> session_core::set_identity(identity who) {
    bool subject_changed = false;
    become(std::make_unique<identity>(std::move(who)), subject_changed);
    return revoke_unauthorized(subject_changed);
}

void session_core::become(std::unique_ptr<identity> who, bool& subject_changed) {
    subject_changed = !identity_ || !who || identity_->subject != who->subject;
    const bool was_anonymous = !identity_;
    if (subject_changed) {
        // The subject is an identity events may be addressed to (protocol/addressing.hpp).
        const auto id = port_.session_id();
        if (identity_) {
            env_.addresses.remove_identity(id, identity_->subject);
        }
        if (who) {
            env_.addresses.add_identity(id, who->subject);
        }
    }
    identity_ = std::move(who);
    if (subject_changed && !(was_anonymous && !identity_)) {
        tell_identity();
    }
    // The token's registrations, at each authentication: each refreshes the identity's life.
    if (identity_) {
        for (const auto& r : identity_->registrations) {
            register_as(r.name, std::chrono::seconds(r.lifetime), r.max_connections, r.acknowledge);
        }
    }
}

session_core::register_result session_core::register_as(std::string_view name,
                                                        std::chrono::seconds lifetime,
                                                        std::uint32_t max_connections,
                                                        bool acknowledge) {
    if (name.empty() || name.size() > max_identity_bytes || has_nul(name)) {
        return register_result::invalid_name;
    }
    const auto id = port_.session_id();
    const auto held = env_.addresses.identities_of(id);
    const bool new_name = std::find(held.begin(), held.end(), name) == held.end();
    if (new_name && held.size() >= env_.rules.limit.max_identities_per_session) {
        return register_result::too_many;
    }
    constexpr std::chrono::seconds shortest{600}; // as Plezi clamps it
    constexpr std::chrono::seconds longest{365 * 24 * 3600};
    lifetime = lifetime.count() == 0 ? std::chrono::seconds(7 * 24 * 3600)
                                     : std::clamp(lifetime, shortest, longest);
    max_connections = std::clamp<std::uint32_t>(max_connections, 1, 1000);
    env_.addresses.register_identity(id, name, lifetime, max_connections, acknowledge);
    return register_result::registered;
}

std::string session_core::identity_json() const {
    return identity_ ? render_identity(identity_->subject, identity_->channels) : "null";
}

void session_core::tell(lifecycle_event e, std::string_view exchange,
                        std::string_view routing_key) {
    if (!env_.rules.lifecycle.wants(e)) {
        return;
    }
    std::string members = R"(,"exchange":)";
    json_text::append_string(members, exchange);
    members += R"(,"routing_key":)";
    json_text::append_string(members, routing_key);
    port_.tell_lifecycle(e, identity_json(), members);
}

void session_core::tell_identity() {
    if (env_.rules.lifecycle.wants(lifecycle_event::authenticated)) {
        port_.tell_lifecycle(lifecycle_event::authenticated, identity_json(), {});
    }
}

std::vector<topic> session_core::deauthenticate() {
    bool subject_changed = false;
    become(nullptr, subject_changed);
    return revoke_unauthorized(subject_changed);
}

std::vector<std::string_view> session_core::delegated_topic_keys() const {
    std::vector<std::string_view> keys;
    for (auto key : env_.topics.topics_of(*this)) {
        if (env_.rules.exchanges.access_of(exchange_of(key)) == exchange_access::backend) {
            keys.push_back(key);
        }
    }
    return keys;
}

std::optional<std::vector<topic>>
session_core::expire_identity(std::chrono::system_clock::time_point now) {
    if (!identity_ || !identity_->expires_at ||
        now < *identity_->expires_at + env_.rules.jwt_leeway) {
        return std::nullopt;
    }
    return deauthenticate();
}

std::vector<topic> session_core::revoke_unauthorized(bool subject_changed) {
    std::vector<topic> revoked;
    for (auto key : env_.topics.topics_of(*this)) {
        const auto exchange = exchange_of(key);
        const auto access = env_.rules.exchanges.access_of(exchange);
        const auto decision = access
                                  ? decide(*access, identity_.get(), exchange, routing_key_of(key))
                                  : access_decision::denied;
        const bool keeps = decision == access_decision::allow ||
                           (decision == access_decision::ask_backend && !subject_changed);
        if (!keeps) {
            revoked.push_back(topic_of(key));
        }
    }
    for (const auto& t : revoked) {
        unsubscribe(t.exchange, t.routing_key);
    }
    return revoked;
}

} // namespace herald
