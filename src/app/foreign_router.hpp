#pragma once
// Messages in another design's own format on channels a dialect names (Plezi 0.12's Redis
// channels, dialect::foreign_channels): the node listens to them, the dialect reads each one
// as sends addressed to sessions, and the address router delivers those to this node's
// sessions. The bus learns nothing of the dialect: it only delivers the raw bodies.

#include "app/address_router.hpp"
#include "bus/bus.hpp"
#include "bus/bus_port.hpp"
#include "protocol/addressing.hpp"
#include "pubsub/interest.hpp"
#include "session/dialect.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace herald {

// Built before the bus starts; route() runs on the bus thread.
class foreign_router {
public:
    struct endpoint {
        std::string_view path;
        dialect_id dialect;
        const dialect_options* options;
    };
    foreign_router(std::span<const endpoint> endpoints, unsigned shards, std::uint16_t node,
                   const addressing::exchange_names& names, address_router& router);

    // Every channel each dialect listens to, wanted by the first shard so the bus subscribes.
    void declare_interest(bus_port& bus) const;
    // True when the event came on a dialect's foreign exchange (handled, or dropped).
    bool route(const bus_event& event);

private:
    struct listening {
        const dialect* speaker;
        dialect_id id;
        std::vector<endpoint_view> endpoints; // the dialect's own
        std::vector<std::string> channels;
    };
    std::vector<listening> dialects_;
    std::uint16_t node_;
    const addressing::exchange_names& names_;
    address_router& router_;
    interest::wanted everyone_{}; // every shard, in each dialect the node's endpoints speak
};

} // namespace herald
