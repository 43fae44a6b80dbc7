#include "transport/sockjs_registry.hpp"

#include "shard/shard.hpp"
#include "transport/sockjs_session.hpp"

#include <fmt/format.h>

namespace herald {

sockjs_registry::sockjs_registry(std::vector<shard*> shards, sockjs_settings settings)
    : shards_(std::move(shards))
    , settings_(settings)
    , tables_(shards_.size()) {}

shard& sockjs_registry::owner_of(std::string_view id) const {
    return *shards_[std::hash<std::string_view>{}(id) % shards_.size()];
}

std::string sockjs_registry::key_of(std::size_t endpoint, std::string_view id) {
    return fmt::format("{}/{}", endpoint, id);
}

std::shared_ptr<sockjs_session> sockjs_registry::find(const shard& owner, std::size_t endpoint,
                                                      std::string_view id) const {
    const auto& sessions = tables_[owner.index()];
    const auto it = sessions.find(key_of(endpoint, id));
    return it == sessions.end() ? nullptr : it->second.lock();
}

std::shared_ptr<sockjs_session> sockjs_registry::create(shard& owner, std::size_t endpoint,
                                                        std::string_view id,
                                                        const transport_context& node) {
    if (count_.fetch_add(1, std::memory_order_relaxed) >= settings_.max_sessions) {
        count_.fetch_sub(1, std::memory_order_relaxed);
        return nullptr;
    }
    std::string key = key_of(endpoint, id);
    auto session = std::make_shared<sockjs_session>(owner, node, endpoint, *this, key);
    tables_[owner.index()][std::move(key)] = session;
    return session;
}

void sockjs_registry::forget(const shard& owner, const std::string& key) {
    if (tables_[owner.index()].erase(key) > 0) {
        count_.fetch_sub(1, std::memory_order_relaxed);
    }
}

} // namespace herald
