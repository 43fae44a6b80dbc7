#include "pubsub/interest.hpp"

namespace herald {

bool interest::add(const std::string& key, unsigned shard) {
    auto& mask = shards_[key];
    const bool first = mask == 0;
    mask |= std::uint64_t{1} << shard;
    return first;
}

bool interest::remove(const std::string& key, unsigned shard) {
    auto it = shards_.find(key);
    if (it == shards_.end()) {
        return false;
    }
    it->second &= ~(std::uint64_t{1} << shard);
    if (it->second != 0) {
        return false;
    }
    shards_.erase(it);
    return true;
}

std::uint64_t interest::shards_for(std::string_view key) const {
    auto it = shards_.find(key);
    return it == shards_.end() ? 0 : it->second;
}

std::vector<std::string> interest::topics() const {
    std::vector<std::string> keys;
    keys.reserve(shards_.size());
    for (const auto& [key, mask] : shards_) {
        keys.push_back(key);
    }
    return keys;
}

} // namespace herald
