#pragma once
// The ids of the node's open sessions, for a question asked off their shards: does this
// session exist here? (A unicast to one that does not gets a failed_unicast notice.)

#include <cstdint>
#include <mutex>
#include <unordered_set>

namespace herald {

// Thread-safe: sessions come and go on their shards; the bus thread and the HTTP API ask.
class live_sessions {
public:
    void add(std::uint64_t id) {
        std::lock_guard lock(mutex_);
        ids_.insert(id);
    }
    void remove(std::uint64_t id) {
        std::lock_guard lock(mutex_);
        ids_.erase(id);
    }
    bool contains(std::uint64_t id) const {
        std::lock_guard lock(mutex_);
        return ids_.contains(id);
    }

private:
    mutable std::mutex mutex_;
    std::unordered_set<std::uint64_t> ids_;
};

} // namespace herald
