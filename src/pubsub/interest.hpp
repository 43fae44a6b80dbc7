#pragma once

#include "pubsub/routing_pattern.hpp"
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
    // How each exchange matches routing keys; every exchange is direct without it.
    using kind_resolver = std::function<exchange_kind(std::string_view exchange)>;
    explicit interest(kind_resolver kind_of = {})
        : kind_of_(std::move(kind_of)) {}

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
    // Null when nobody wants the topic itself. The pointer is valid until the next add or remove.
    const wanted* find(std::string_view exchange, std::string_view routing_key) const;

    // Every subscribed key an event reaches: its own routing key, and on a topic or fanout
    // exchange each subscribed pattern that matches it. Called for every event; `out` is
    // cleared first and valid until the next add or remove.
    struct reached {
        const topic* key;
        const wanted* who;
    };
    void match(std::string_view exchange, std::string_view routing_key,
               std::vector<reached>& out) const;

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

    exchange_kind kind_of(std::string_view exchange) const {
        return kind_of_ ? kind_of_(exchange) : exchange_kind::direct;
    }

    kind_resolver kind_of_;
    std::unordered_map<topic, wanted, topic_hash, topic_equal> table_;
    // The keys of table_ that are patterns, by exchange: matched one by one against an event's
    // routing key (RabbitMQ keeps a trie; a node holds few patterns per exchange).
    // Each entry is a node of table_ (key and value), whose addresses never move.
    std::unordered_map<std::string_view, std::vector<reached>> patterns_;
};

} // namespace herald
