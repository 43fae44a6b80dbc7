#include "app/foreign_router.hpp"

#include "dialects/registry.hpp"

#include <algorithm>

namespace herald {

foreign_router::foreign_router(std::span<const endpoint> endpoints, unsigned shards,
                               std::uint16_t node, const addressing::exchange_names& names,
                               address_router& router)
    : node_(node)
    , names_(names)
    , router_(router) {
    const std::uint64_t all_shards =
        shards >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << shards) - 1;
    for (const auto& e : endpoints) {
        everyone_.shards_by_dialect[e.dialect] = all_shards;
        const dialect* d = dialects()[e.dialect];
        if (d->foreign_exchange().empty()) {
            continue;
        }
        auto it = std::find_if(dialects_.begin(), dialects_.end(),
                               [&](const listening& l) { return l.id == e.dialect; });
        if (it == dialects_.end()) {
            dialects_.push_back({d, e.dialect, {}, {}});
            it = std::prev(dialects_.end());
        }
        it->endpoints.push_back({e.path, e.options});
    }
    for (auto& l : dialects_) {
        l.channels = l.speaker->foreign_channels(l.endpoints, node_);
    }
}

void foreign_router::declare_interest(bus_port& bus) const {
    for (const auto& l : dialects_) {
        for (const auto& channel : l.channels) {
            bus.add_interest(std::string(l.speaker->foreign_exchange()), channel, 0, l.id);
        }
    }
}

bool foreign_router::route(const bus_event& event) {
    for (const auto& l : dialects_) {
        if (l.speaker->foreign_exchange() != event.exchange) {
            continue;
        }
        // Every node hears the channel: each routes to its own sessions only.
        for (auto& send :
             l.speaker->read_foreign(event.routing_key, event.payload, l.endpoints, node_)) {
            const auto r = addressing::route_of(send.to, names_);
            router_.route(bus_event{std::string(r.exchange), r.routing_key, std::move(send.event),
                                    std::move(send.payload), r.members},
                          everyone_);
        }
        return true;
    }
    return false;
}

} // namespace herald
