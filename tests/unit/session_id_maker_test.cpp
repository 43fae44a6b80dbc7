#include "shard/session_id_maker.hpp"

#include <gtest/gtest.h>
#include <unordered_set>

using herald::session_id_maker;

namespace {
const session_id_maker::key some_key{0x12345678, 0x9abcdef0, 0x0badcafe, 0xdeadbeef};
}

TEST(session_id_maker, the_node_id_is_the_top_16_bits) {
    const session_id_maker ids(0xbeef, some_key);
    for (std::uint64_t sequence = 1; sequence < 100; ++sequence) {
        EXPECT_EQ(session_id_maker::node_of(ids.make(3, sequence)), 0xbeef);
    }
}

TEST(session_id_maker, ids_are_unique_across_shards_and_sequence_numbers) {
    const session_id_maker ids(7, some_key);
    std::unordered_set<std::uint64_t> seen;
    for (unsigned shard = 0; shard < session_id_maker::max_shards; ++shard) {
        for (std::uint64_t sequence = 1; sequence <= 5000; ++sequence) {
            EXPECT_TRUE(seen.insert(ids.make(shard, sequence)).second) << shard << " " << sequence;
        }
    }
}

TEST(session_id_maker, the_shard_can_be_read_back) {
    const session_id_maker ids(7, some_key);
    for (unsigned shard = 0; shard < session_id_maker::max_shards; ++shard) {
        EXPECT_EQ(ids.shard_of(ids.make(shard, 12345 + shard)), shard);
    }
}

TEST(session_id_maker, consecutive_ids_do_not_reveal_the_next_one) {
    const session_id_maker ids(7, some_key);
    // Sequential numbers come out scattered: neighbours differ in about half their 48 bits.
    int differing_bits = 0;
    for (std::uint64_t sequence = 1; sequence <= 1000; ++sequence) {
        differing_bits += __builtin_popcountll(ids.make(0, sequence) ^ ids.make(0, sequence + 1));
    }
    EXPECT_GT(differing_bits / 1000, 16);
    EXPECT_LT(differing_bits / 1000, 32);
}

TEST(session_id_maker, another_key_gives_other_ids) {
    const session_id_maker a(7, some_key);
    const session_id_maker b(7, {1, 2, 3, 4});
    EXPECT_NE(a.make(0, 1), b.make(0, 1));
}
