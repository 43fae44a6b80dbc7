#pragma once

#include "pubsub/topic.hpp"

#include <array>
#include <cstdint>
#include <functional>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace herald {

// Which shards want which topic, per dialect: the bus side of subscriptions. The node asks its
// broker only for topics some shard wants, and renders an event only in the dialects some
// shard wants it in.
// Lives on the bus thread.
class interest {
public:
    // Shard i is bit i of each mask (so at most 64 shards), per dialect_id.
    struct wanted {
        std::array<std::uint64_t, max_dialects> shards_by_dialect{};
        std::uint64_t shards() const; // in any dialect
    };

    // True when nobody wanted the topic before: subscribe at the broker.
    bool add(std::string_view exchange, std::string_view routing_key, unsigned shard,
             dialect_id dialect);
    // True when nobody wants the topic any more: unsubscribe at the broker.
    bool remove(std::string_view exchange, std::string_view routing_key, unsigned shard,
                dialect_id dialect);
    // Null when nobody wants the topic. Called for every event, so it allocates nothing. The
    // pointer is valid until the next add or remove.
    const wanted* find(std::string_view exchange, std::string_view routing_key) const;

    std::size_t topic_count() const { return table_.size(); }
    std::vector<topic> topics() const; // in no particular order

private:
    // The table is keyed by the two parts, never by a joined string, so no separator can make
    // two topics one, and find can look up string_views without building a key.
    struct topic_view {
        std::string_view exchange;
        std::string_view routing_key;
    };
    struct topic_hash {
        using is_transparent = void;
        std::size_t operator()(topic_view t) const noexcept;
        std::size_t operator()(const topic& t) const noexcept {
            return (*this)(topic_view{t.exchange, t.routing_key});
        }
    };
    struct topic_equal {
        using is_transparent = void;
        template <class A, class B> bool operator()(const A& a, const B& b) const noexcept {
            return a.exchange == b.exchange && a.routing_key == b.routing_key;
        }
    };

    std::unordered_map<topic, wanted, topic_hash, topic_equal> table_;
};

} // namespace herald
