#pragma once
// Session ids: 64 bits, shown as 16 hex digits like Myxi's. The top 16 bits are the node id,
// so any node can tell where a session lives. The other 48 are the shard and a per-shard
// sequence number, scrambled by a keyed permutation: unique on the node (a permutation never
// maps two inputs to one output) yet not guessable from another session's id, as Myxi's random
// ids were not. The shard can be read back from an id.

#include <array>
#include <cstdint>

namespace herald {

class session_id_maker {
public:
    static constexpr unsigned max_shards = 64;
    static constexpr unsigned sequence_bits = 42; // 4.4e12 sessions per shard before a repeat

    using key = std::array<std::uint32_t, 4>; // one per Feistel round
    session_id_maker(std::uint16_t node_id, key k);
    static key random_key();

    std::uint64_t make(unsigned shard, std::uint64_t sequence) const;
    static std::uint16_t node_of(std::uint64_t id) { return static_cast<std::uint16_t>(id >> 48); }
    unsigned shard_of(std::uint64_t id) const;
    std::uint16_t node_id() const { return node_id_; }

private:
    std::uint64_t scramble(std::uint64_t local) const;
    std::uint64_t unscramble(std::uint64_t local) const;

    std::uint16_t node_id_;
    key key_;
};

} // namespace herald
