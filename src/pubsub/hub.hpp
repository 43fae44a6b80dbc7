#pragma once

#include "pubsub/subscriber.hpp"
#include "util/string_map.hpp"

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace herald {

struct hub_topic {
    std::string key; // topic_key(exchange, routing_key)
    struct slot {
        subscriber* who;
        std::uint32_t subscription; // index in who->subscriptions_
    };
    std::vector<slot> subscribers;
    std::array<std::uint32_t, max_dialects> per_dialect{}; // subscribers speaking each dialect
};

// Told when this shard starts or stops wanting a topic for a dialect, so the node asks its bus
// only for what someone wants and renders an event only for the dialects that will send it.
class hub_observer {
public:
    virtual void topic_wanted(std::string_view key, dialect_id dialect) = 0;
    virtual void topic_unwanted(std::string_view key, dialect_id dialect) = 0;

protected:
    ~hub_observer() = default;
};

// Topic ⇄ subscriber index for one shard.
// Lives on its shard's thread and is never touched from another thread.
class hub {
public:
    explicit hub(hub_observer* observer = nullptr)
        : observer_(observer) {}

    enum class subscribe_outcome { added, already_subscribed };
    subscribe_outcome subscribe(subscriber& who, std::string_view key);
    // False when `who` was not subscribed.
    bool unsubscribe(subscriber& who, std::string_view key);
    // Removes every subscription of `who`.
    void unsubscribe_all(subscriber& who);

    bool is_subscribed(const subscriber& who, std::string_view key) const;
    // Keys `who` is subscribed to, in subscription order.
    std::vector<std::string_view> topics_of(const subscriber& who) const;

    // Hands each subscriber of the topic its dialect's frame; returns how many received one.
    // When one event is published under several keys (the patterns it matched), give each
    // call the same non-zero `stamp`: a subscriber holding more than one of them gets it once.
    std::size_t publish(std::string_view key, const rendered_event& event,
                        std::uint64_t stamp = 0) const;

    std::size_t topic_count() const { return topics_.size(); }
    std::size_t subscription_count() const { return subscriptions_; }

private:
    using topic_map = string_map<std::unique_ptr<hub_topic>>;

    // Removes subscription `index` of `who`, telling the observer and dropping the topic when
    // that was the last of its kind.
    void remove(subscriber& who, std::size_t index);

    topic_map topics_;
    hub_observer* observer_;
    std::size_t subscriptions_ = 0;
};

} // namespace herald
