#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace herald {

// Which shards want which topic: the bus side of subscriptions. A node asks its broker only
// for topics some shard wants.
// Lives on the bus thread.
class interest {
public:
    // True when `shard` is the first shard to want the topic (subscribe at the broker).
    bool add(const std::string& key, unsigned shard);
    // True when no shard wants the topic any more (unsubscribe at the broker).
    bool remove(const std::string& key, unsigned shard);
    // Shards that want the topic, as a bit set (shard i is bit i); 0 when none.
    std::uint64_t shards_for(std::string_view key) const;
    std::size_t topic_count() const { return shards_.size(); }
    std::vector<std::string> topics() const;

private:
    struct transparent_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const {
            return std::hash<std::string_view>{}(s);
        }
    };
    std::unordered_map<std::string, std::uint64_t, transparent_hash, std::equal_to<>> shards_;
};

} // namespace herald
