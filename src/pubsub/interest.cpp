#include "pubsub/interest.hpp"

#include <cassert>

namespace herald {
namespace {

std::uint64_t bit(unsigned shard) {
    assert(shard < 64);
    return std::uint64_t{1} << shard;
}

} // namespace

std::uint64_t interest::wanted::shards() const {
    std::uint64_t all = 0;
    for (const auto mask : shards_by_dialect) {
        all |= mask;
    }
    return all;
}

std::size_t interest::topic_hash::operator()(topic_view t) const noexcept {
    const std::size_t h = std::hash<std::string_view>{}(t.exchange);
    return h ^ (std::hash<std::string_view>{}(t.routing_key) + 0x9e3779b97f4a7c15u + (h << 6) +
                (h >> 2));
}

bool interest::add(std::string_view exchange, std::string_view routing_key, unsigned shard,
                   dialect_id dialect) {
    assert(dialect < max_dialects);
    auto it = table_.find(topic_view{exchange, routing_key});
    const bool first = it == table_.end();
    if (first) {
        // The only allocation: a topic's first interest stores its name.
        it = table_.emplace(topic{std::string(exchange), std::string(routing_key)}, wanted{}).first;
    }
    it->second.shards_by_dialect[dialect] |= bit(shard);
    return first;
}

bool interest::remove(std::string_view exchange, std::string_view routing_key, unsigned shard,
                      dialect_id dialect) {
    assert(dialect < max_dialects);
    auto it = table_.find(topic_view{exchange, routing_key});
    if (it == table_.end()) {
        return false;
    }
    it->second.shards_by_dialect[dialect] &= ~bit(shard);
    if (it->second.shards() != 0) {
        return false;
    }
    // No entry ever holds empty masks, so find's non-null means someone wants the topic.
    table_.erase(it);
    return true;
}

const interest::wanted* interest::find(std::string_view exchange,
                                       std::string_view routing_key) const {
    auto it = table_.find(topic_view{exchange, routing_key});
    return it == table_.end() ? nullptr : &it->second;
}

std::vector<topic> interest::topics() const {
    std::vector<topic> all;
    all.reserve(table_.size());
    for (const auto& [t, w] : table_) {
        all.push_back(t);
    }
    return all;
}

} // namespace herald
