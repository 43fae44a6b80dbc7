#include "pubsub/hub.hpp"

#include <cassert>

namespace herald {

hub::subscribe_outcome hub::subscribe(subscriber& who, std::string_view key) {
    auto it = topics_.find(key);
    const bool first = it == topics_.end();
    if (first) {
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
    return first ? subscribe_outcome::added_first : subscribe_outcome::added;
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
            return remove(who, i);
        }
    }
    return false;
}

void hub::unsubscribe_all(subscriber& who,
                          const std::function<void(const std::string&)>& on_emptied) {
    while (!who.subscriptions_.empty()) {
        const std::string key = who.subscriptions_.back().topic->key;
        if (remove(who, who.subscriptions_.size() - 1)) {
            on_emptied(key);
        }
    }
}

bool hub::remove(subscriber& who, std::size_t index) {
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

    if (!slots.empty()) {
        return false;
    }
    topics_.erase(topics_.find(topic->key)); // by iterator: the key dies with the topic
    return true;
}

std::vector<std::string_view> hub::topics_of(const subscriber& who) const {
    std::vector<std::string_view> keys;
    keys.reserve(who.subscriptions_.size());
    for (const auto& s : who.subscriptions_) {
        keys.emplace_back(s.topic->key);
    }
    return keys;
}

std::size_t hub::publish(std::string_view key, const event_frames& frames) const {
    auto it = topics_.find(key);
    if (it == topics_.end()) {
        return 0; // stale interest: the last local subscriber left while the event travelled
    }
    // deliver() never changes subscriptions (a session that must close posts the close), so the
    // vector is stable while we walk it.
    const auto& slots = it->second->subscribers;
    for (const auto& s : slots) {
        s.who->deliver(frames);
    }
    return slots.size();
}

} // namespace herald
