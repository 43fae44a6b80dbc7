#include "bus/amqp/kept_mail.hpp"

#include <algorithm>

namespace herald {

void kept_mail::add(std::string_view identity, held message) {
    auto it = held_.find(identity);
    if (it == held_.end()) {
        it = held_.emplace(std::string(identity), std::vector<held>{}).first;
    }
    it->second.push_back(std::move(message));
}

std::vector<mail> kept_mail::of(std::string_view identity) const {
    std::vector<mail> out;
    if (const auto it = held_.find(identity); it != held_.end()) {
        for (const auto& h : it->second) {
            out.push_back({h.id, h.body});
        }
    }
    return out;
}

void kept_mail::take(const std::vector<std::string>& identities, std::vector<std::string>& ids,
                     std::vector<std::string>& removed, std::vector<held>& acked) {
    std::erase_if(ids, [&](const std::string& id) {
        for (const auto& identity : identities) {
            const auto it = held_.find(identity);
            if (it == held_.end()) {
                continue;
            }
            auto& list = it->second;
            // A node holds at most a prefetch window per identity: a linear look is cheap.
            const auto found =
                std::find_if(list.begin(), list.end(), [&](const held& h) { return h.id == id; });
            if (found == list.end()) {
                continue;
            }
            removed.push_back(id);
            acked.push_back(std::move(*found));
            list.erase(found);
            if (list.empty()) {
                held_.erase(it);
            }
            return true;
        }
        return false;
    });
}

std::vector<kept_mail::held> kept_mail::release(std::string_view identity) {
    const auto it = held_.find(identity);
    if (it == held_.end()) {
        return {};
    }
    auto out = std::move(it->second);
    held_.erase(it);
    return out;
}

} // namespace herald
