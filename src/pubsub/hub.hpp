#pragma once

#include "pubsub/subscriber.hpp"

#include <functional>
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
};

// Topic ⇄ subscriber index for one shard.
// Lives on its shard's thread and is never touched from another thread.
class hub {
public:
    enum class subscribe_outcome { added_first, added, already_subscribed };
    // added_first: this shard had no subscriber to the topic before (so the node must tell
    // the bus it is interested).
    subscribe_outcome subscribe(subscriber& who, std::string_view key);
    // True when the topic lost its last subscriber on this shard. False also when `who` was not
    // subscribed.
    bool unsubscribe(subscriber& who, std::string_view key);
    // Removes every subscription of `who`; calls on_emptied(key) for each topic left empty.
    void unsubscribe_all(subscriber& who,
                         const std::function<void(const std::string&)>& on_emptied);

    bool is_subscribed(const subscriber& who, std::string_view key) const;
    // Keys `who` is subscribed to, in subscription order.
    std::vector<std::string_view> topics_of(const subscriber& who) const;

    // Hands the frames to every subscriber of the topic; returns how many received them.
    std::size_t publish(std::string_view key, const event_frames& frames) const;

    std::size_t topic_count() const { return topics_.size(); }

private:
    struct transparent_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const {
            return std::hash<std::string_view>{}(s);
        }
    };
    using topic_map = std::unordered_map<std::string, std::unique_ptr<hub_topic>, transparent_hash,
                                         std::equal_to<>>;

    // Removes subscription `index` of `who`; returns true when its topic became empty.
    bool remove(subscriber& who, std::size_t index);

    topic_map topics_;
};

} // namespace herald
