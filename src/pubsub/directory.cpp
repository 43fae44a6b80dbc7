#include "pubsub/directory.hpp"

#include <algorithm>

namespace herald {

void directory::add(std::uint64_t id, std::uint32_t endpoint, dialect_id dialect, addressee& who) {
    sessions_.insert_or_assign(id, session{&who, endpoint, dialect, nullptr, nullptr});
}

void directory::remove(std::uint64_t id) {
    auto it = sessions_.find(id);
    if (it == sessions_.end()) {
        return;
    }
    // Back to front: each leave erases from the vector being walked otherwise.
    auto& s = it->second;
    while (s.identities && !s.identities->empty()) {
        leave_identity(id, s, s.identities->back());
    }
    sessions_.erase(it);
}

bool directory::add_identity(std::uint64_t id, std::string_view identity) {
    auto it = sessions_.find(id);
    if (it == sessions_.end()) {
        return false;
    }
    auto& s = it->second;
    if (!s.identities) {
        s.identities = std::make_unique<std::vector<std::string>>();
    }
    if (std::find(s.identities->begin(), s.identities->end(), identity) != s.identities->end()) {
        return false;
    }
    auto at = identities_.find(identity);
    if (at == identities_.end()) {
        at = identities_.emplace(std::string(identity), identity_sessions{}).first;
    }
    at->second.sessions.push_back(&s);
    if (at->second.per_dialect[s.dialect]++ == 0 && observer_ != nullptr) {
        observer_->identity_wanted(identity, s.dialect);
    }
    s.identities->emplace_back(identity);
    return true;
}

bool directory::register_identity(std::uint64_t id, std::string_view identity,
                                  std::chrono::seconds lifetime, std::uint32_t max_connections,
                                  bool acknowledge) {
    auto it = sessions_.find(id);
    if (it == sessions_.end()) {
        return false;
    }
    add_identity(id, identity);
    auto& s = it->second;
    if (!s.registered) {
        s.registered = std::make_unique<std::vector<std::string>>();
    }
    // The order of registrations is the one the bus brings them in, this node's own too (each
    // bus delivers a node's publish back to it once its subscription is in place, and the
    // subscription is asked for first): so every node sees the same order, also when two
    // sessions register at once on two nodes.
    if (std::find(s.registered->begin(), s.registered->end(), identity) == s.registered->end()) {
        s.registered->emplace_back(identity);
        ++identities_.find(identity)->second.registered;
    }
    if (observer_ != nullptr) {
        observer_->registered(identity, id, lifetime, max_connections, acknowledge);
    }
    return true;
}

void directory::heard_registration(std::string_view identity, std::uint64_t session,
                                   std::uint32_t max_connections) {
    auto at = identities_.find(identity);
    if (at == identities_.end() || at->second.registered == 0) {
        return;
    }
    auto& order = at->second.order;
    std::erase(order, session);
    order.push_back(session);
    if (order.size() <= max_connections) {
        return;
    }
    // The oldest fall out; those of this shard end (which changes identities_: copy first).
    std::vector<std::uint64_t> dropped(order.begin(),
                                       order.end() - static_cast<std::ptrdiff_t>(max_connections));
    order.erase(order.begin(), order.end() - static_cast<std::ptrdiff_t>(max_connections));
    for (auto id : dropped) {
        auto it = sessions_.find(id);
        if (it != sessions_.end() && it->second.registered &&
            std::find(it->second.registered->begin(), it->second.registered->end(), identity) !=
                it->second.registered->end()) {
            it->second.who->supersede();
        }
    }
}

void directory::heard_departure(std::string_view identity, std::uint64_t session) {
    if (auto at = identities_.find(identity); at != identities_.end()) {
        std::erase(at->second.order, session);
    }
}

bool directory::remove_identity(std::uint64_t id, std::string_view identity) {
    auto it = sessions_.find(id);
    if (it == sessions_.end()) {
        return false;
    }
    auto& s = it->second;
    if (!s.identities ||
        std::find(s.identities->begin(), s.identities->end(), identity) == s.identities->end()) {
        return false;
    }
    leave_identity(id, s, identity);
    return true;
}

std::span<const std::string> directory::identities_of(std::uint64_t id) const {
    auto it = sessions_.find(id);
    if (it == sessions_.end() || !it->second.identities) {
        return {};
    }
    return *it->second.identities;
}

std::span<const std::string> directory::registered_as(std::uint64_t id) const {
    auto it = sessions_.find(id);
    if (it == sessions_.end() || !it->second.registered) {
        return {};
    }
    return *it->second.registered;
}

void directory::leave_identity(std::uint64_t id, session& s, std::string_view identity) {
    // A copy: `identity` may be the string erased below.
    const std::string name(identity);
    s.identities->erase(std::find(s.identities->begin(), s.identities->end(), name));
    auto at = identities_.find(name);
    if (at == identities_.end()) {
        return;
    }
    auto& sessions = at->second.sessions;
    sessions.erase(std::find(sessions.begin(), sessions.end(), &s));
    if (s.registered) {
        auto r = std::find(s.registered->begin(), s.registered->end(), name);
        if (r != s.registered->end()) {
            s.registered->erase(r);
            const bool last = --at->second.registered == 0;
            if (last) {
                at->second.order.clear();
            }
            if (observer_ != nullptr) {
                observer_->unregistered(name, id, last);
            }
        }
    }
    if (--at->second.per_dialect[s.dialect] == 0 && observer_ != nullptr) {
        observer_->identity_unwanted(name, s.dialect);
    }
    if (sessions.empty()) {
        identities_.erase(at);
    }
}

bool directory::hand(const session& s, const rendered_event& event) {
    const auto& frame = event.frames[s.dialect];
    if (!frame) {
        return false;
    }
    s.who->deliver(frame);
    return true;
}

std::size_t directory::deliver(const session_address& to, const rendered_event& event) const {
    switch (to.to) {
    case session_address::kind::all:
        return deliver_all(event);
    case session_address::kind::endpoint:
        return deliver_endpoint(to.endpoint, to.skip, event);
    case session_address::kind::session:
        return deliver_session(to.session, event);
    case session_address::kind::identity:
        return deliver_identity(to.identity, event);
    }
    return 0;
}

std::size_t directory::deliver_all(const rendered_event& event) const {
    std::size_t delivered = 0;
    for (const auto& [id, s] : sessions_) {
        delivered += hand(s, event) ? 1 : 0;
    }
    return delivered;
}

std::size_t directory::deliver_endpoint(std::uint32_t endpoint, std::span<const std::uint64_t> skip,
                                        const rendered_event& event) const {
    std::size_t delivered = 0;
    for (const auto& [id, s] : sessions_) {
        if (s.endpoint == endpoint && !std::binary_search(skip.begin(), skip.end(), id)) {
            delivered += hand(s, event) ? 1 : 0;
        }
    }
    return delivered;
}

std::size_t directory::deliver_session(std::uint64_t id, const rendered_event& event) const {
    auto it = sessions_.find(id);
    return it != sessions_.end() && hand(it->second, event) ? 1 : 0;
}

std::size_t directory::deliver_identity(std::string_view identity,
                                        const rendered_event& event) const {
    auto at = identities_.find(identity);
    if (at == identities_.end()) {
        return 0;
    }
    std::size_t delivered = 0;
    for (const session* s : at->second.sessions) {
        delivered += hand(*s, event) ? 1 : 0;
    }
    return delivered;
}

} // namespace herald
