#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace herald {

class shard;
class sockjs_session;
struct transport_context;

// [sockjs] of the configuration (docs/configuration.md#sockjs).
struct sockjs_settings {
    std::chrono::seconds heartbeat{25};       // an 'h' frame after this long without a frame
    std::chrono::seconds disconnect_delay{5}; // a session without a receiver ends after this
    std::size_t response_limit = 128 * 1024;  // a stream ends after this many bytes
    std::size_t max_sessions = 10000;         // node-wide; beyond: 503
};

// Where the node's SockJS sessions live. A session lives on the shard its id hashes to, so
// that every HTTP request of one session, whichever shard accepted it, reaches the same
// thread (transport/sockjs_requests.cpp hands the socket over). Each shard's table is used on
// that shard's thread only; the count of sessions is the one thing shared.
// Built before the shards start; outlives them.
class sockjs_registry {
public:
    sockjs_registry(std::vector<shard*> shards, sockjs_settings settings);

    const sockjs_settings& settings() const { return settings_; }
    // Any thread: the shard where session `id` lives.
    shard& owner_of(std::string_view id) const;

    // On `owner`'s thread: the session of `endpoint` named `id`, or null.
    std::shared_ptr<sockjs_session> find(const shard& owner, std::size_t endpoint,
                                         std::string_view id) const;
    // On `owner`'s thread: a new session, or null when the node has max_sessions already.
    std::shared_ptr<sockjs_session> create(shard& owner, std::size_t endpoint, std::string_view id,
                                           const transport_context& node);
    // On `owner`'s thread, by the session as it ends.
    void forget(const shard& owner, const std::string& key);
    std::size_t session_count() const { return count_.load(std::memory_order_relaxed); }

private:
    static std::string key_of(std::size_t endpoint, std::string_view id);

    std::vector<shard*> shards_;
    sockjs_settings settings_;
    using table = std::unordered_map<std::string, std::weak_ptr<sockjs_session>>;
    std::vector<table> tables_; // per shard index
    std::atomic<std::size_t> count_{0};
};

} // namespace herald
