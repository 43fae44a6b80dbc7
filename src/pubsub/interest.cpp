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
        if (is_pattern(kind_of(exchange), routing_key)) {
            // Node keys of an unordered_map never move: the views and pointer stay valid.
            patterns_[it->first.exchange].push_back({&it->first, &it->second});
        }
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
    if (auto p = patterns_.find(std::string_view(it->first.exchange)); p != patterns_.end()) {
        std::erase_if(p->second, [&](const reached& r) { return r.key == &it->first; });
        if (p->second.empty()) {
            patterns_.erase(p);
        }
    }
    table_.erase(it);
    return true;
}

const interest::wanted* interest::find(std::string_view exchange,
                                       std::string_view routing_key) const {
    auto it = table_.find(topic_view{exchange, routing_key});
    return it == table_.end() ? nullptr : &it->second;
}

void interest::match(std::string_view exchange, std::string_view routing_key,
                     std::vector<reached>& out) const {
    out.clear();
    auto exact = table_.find(topic_view{exchange, routing_key});
    if (exact != table_.end()) {
        out.push_back({&exact->first, &exact->second});
    }
    auto p = patterns_.find(exchange);
    if (p == patterns_.end()) {
        return;
    }
    const auto kind = kind_of(exchange);
    for (const auto& pattern : p->second) {
        if ((exact == table_.end() || pattern.key != &exact->first) &&
            routing_key_matches(kind, pattern.key->routing_key, routing_key)) {
            out.push_back(pattern);
        }
    }
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
