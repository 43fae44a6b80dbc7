#include "pubsub/hub.hpp"

#include <cassert>

namespace herald {

hub::subscribe_outcome hub::subscribe(subscriber& who, std::string_view key) {
    auto it = topics_.find(key);
    if (it == topics_.end()) {
        auto topic = std::make_unique<hub_topic>();
        topic->key = std::string(key);
        it = topics_.emplace(topic->key, std::move(topic)).first;
    } else if (is_subscribed(who, key)) {
        return subscribe_outcome::already_subscribed;
    }
    hub_topic& topic = *it->second;
    topic.subscribers.push_back({&who, static_cast<std::uint32_t>(who.subscriptions_.size())});
    who.subscriptions_.push_back(
        {&topic, static_cast<std::uint32_t>(topic.subscribers.size() - 1)});
    ++subscriptions_;
    if (topic.per_dialect[who.dialect()]++ == 0 && observer_ != nullptr) {
        observer_->topic_wanted(topic.key, who.dialect());
    }
    return subscribe_outcome::added;
}

bool hub::is_subscribed(const subscriber& who, std::string_view key) const {
    // A session holds few subscriptions; a topic may hold thousands of sessions.
    for (const auto& s : who.subscriptions_) {
        if (s.topic->key == key) {
            return true;
        }
    }
    return false;
}

bool hub::unsubscribe(subscriber& who, std::string_view key) {
    for (std::size_t i = 0; i < who.subscriptions_.size(); ++i) {
        if (who.subscriptions_[i].topic->key == key) {
            remove(who, i);
            return true;
        }
    }
    return false;
}

void hub::unsubscribe_all(subscriber& who) {
    while (!who.subscriptions_.empty()) {
        remove(who, who.subscriptions_.size() - 1);
    }
}

void hub::remove(subscriber& who, std::size_t index) {
    const auto [topic, slot] = who.subscriptions_[index];
    auto& slots = topic->subscribers;
    assert(slot < slots.size() && slots[slot].who == &who);

    // Swap-remove from the topic, then fix the back-reference of the slot that moved.
    slots[slot] = slots.back();
    slots.pop_back();
    if (slot < slots.size()) {
        slots[slot].who->subscriptions_[slots[slot].subscription].slot = slot;
    }

    // Swap-remove from the subscriber, then fix the topic's pointer to the entry that moved.
    auto& mine = who.subscriptions_;
    mine[index] = mine.back();
    mine.pop_back();
    if (index < mine.size()) {
        mine[index].topic->subscribers[mine[index].slot].subscription =
            static_cast<std::uint32_t>(index);
    }
    --subscriptions_;

    if (--topic->per_dialect[who.dialect()] == 0 && observer_ != nullptr) {
        observer_->topic_unwanted(topic->key, who.dialect());
    }
    if (slots.empty()) {
        topics_.erase(topics_.find(topic->key)); // by iterator: the key dies with the topic
    }
}

std::vector<std::string_view> hub::topics_of(const subscriber& who) const {
    std::vector<std::string_view> keys;
    keys.reserve(who.subscriptions_.size());
    for (const auto& s : who.subscriptions_) {
        keys.emplace_back(s.topic->key);
    }
    return keys;
}

std::size_t hub::publish(std::string_view key, const rendered_event& event,
                         std::uint64_t stamp) const {
    auto it = topics_.find(key);
    if (it == topics_.end()) {
        return 0; // stale interest: the last local subscriber left while the event travelled
    }
    // deliver() never changes subscriptions (a session that must close does it later, in the
    // shard's flush pass), so the vector is stable while we walk it.
    std::size_t delivered = 0;
    for (const auto& s : it->second->subscribers) {
        if (stamp != 0) {
            if (s.who->last_stamp_ == stamp) {
                continue;
            }
            s.who->last_stamp_ = stamp;
        }
        if (const auto& frame = event.frames[s.who->dialect()]) {
            s.who->deliver(frame);
            ++delivered;
        }
    }
    return delivered;
}

} // namespace herald
