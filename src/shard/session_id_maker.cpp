#include "shard/session_id_maker.hpp"

#include <random>

namespace herald {
namespace {

constexpr unsigned half_bits = 24;
constexpr std::uint64_t half_mask = (std::uint64_t{1} << half_bits) - 1;

// The round function: any mixing of 24 bits with the round key will do; a Feistel network is
// a permutation whatever this returns. A multiply-xorshift mixes every input bit into the result.
std::uint64_t round_function(std::uint64_t half, std::uint32_t round_key) {
    std::uint64_t x = (half ^ round_key) * 0x9E3779B97F4A7C15ULL;
    x ^= x >> 29;
    x *= 0xBF58476D1CE4E5B9ULL;
    x ^= x >> 32;
    return x & half_mask;
}

} // namespace

session_id_maker::session_id_maker(std::uint16_t node_id, key k)
    : node_id_(node_id)
    , key_(k) {}

session_id_maker::key session_id_maker::random_key() {
    std::random_device random;
    return {random(), random(), random(), random()};
}

std::uint64_t session_id_maker::make(unsigned shard, std::uint64_t sequence) const {
    const std::uint64_t local = (std::uint64_t{shard} << sequence_bits) |
                                (sequence & ((std::uint64_t{1} << sequence_bits) - 1));
    return (std::uint64_t{node_id_} << 48) | scramble(local);
}

unsigned session_id_maker::shard_of(std::uint64_t id) const {
    return static_cast<unsigned>(unscramble(id & ((std::uint64_t{1} << 48) - 1)) >> sequence_bits);
}

std::uint64_t session_id_maker::scramble(std::uint64_t local) const {
    std::uint64_t left = local >> half_bits;
    std::uint64_t right = local & half_mask;
    for (const auto round_key : key_) {
        const std::uint64_t next = left ^ round_function(right, round_key);
        left = right;
        right = next;
    }
    return (left << half_bits) | right;
}

std::uint64_t session_id_maker::unscramble(std::uint64_t local) const {
    std::uint64_t left = local >> half_bits;
    std::uint64_t right = local & half_mask;
    for (auto k = key_.rbegin(); k != key_.rend(); ++k) {
        const std::uint64_t previous = right ^ round_function(left, *k);
        right = left;
        left = previous;
    }
    return (left << half_bits) | right;
}

} // namespace herald
