#pragma once

#include "pubsub/topic.hpp"

#include <cstdint>
#include <vector>

namespace herald {

class hub;
struct hub_topic;

// What a session offers the hub. The subscription list is the session's half of the hub's
// two-way index (topic → subscribers, subscriber → topics): the hub alone edits it, so a
// disconnect costs one step per subscription, not a search of every topic.
class subscriber {
public:
    explicit subscriber(dialect_id speaks)
        : dialect_(speaks) {}
    subscriber(const subscriber&) = delete;
    subscriber& operator=(const subscriber&) = delete;

    // `frame` is the event as this subscriber's dialect renders it.
    virtual void deliver(const shared_frame& frame) = 0;
    std::size_t subscription_count() const { return subscriptions_.size(); }
    dialect_id dialect() const { return dialect_; }

protected:
    // The owner must leave the hub (hub::unsubscribe_all) before this is destroyed.
    ~subscriber() = default;

private:
    friend class hub;
    struct subscription {
        hub_topic* topic;
        std::uint32_t slot; // this subscriber's index in topic->subscribers
    };
    std::vector<subscription> subscriptions_;
    // The last event handed over when one event reaches several of this subscriber's keys
    // (patterns): it is delivered once.
    std::uint64_t last_stamp_ = 0;
    dialect_id dialect_;
};

} // namespace herald
