#pragma once

#include "bus/bus.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace herald {

// The mail a node holds in acknowledge mode: delivered by the broker on the mail channel and
// not acknowledged yet, by identity, in the order delivered. Only the node that holds a
// delivery can acknowledge or give it back (on its channel), so each entry keeps its delivery
// tag and the connection it came on; and it keeps the body, since a registration hands held
// mail out again (the broker sends nothing again while a channel holds it).
//
// Lives on the bus thread, in the RabbitMQ bus.
class kept_mail {
public:
    struct held {
        std::string id;
        std::uint64_t delivery_tag = 0;
        std::uint64_t generation = 0;
        std::string body;
    };

    void add(std::string_view identity, held message);
    // The held mail of `identity`, oldest first, as mail to hand out again.
    std::vector<mail> of(std::string_view identity) const;
    // Removes, of the mail held for `identities`, the messages with the ids in `ids`; appends
    // them to `removed` (the ids, in the order asked) and their deliveries to `acked`; leaves in
    // `ids` the ones not held here.
    void take(const std::vector<std::string>& identities, std::vector<std::string>& ids,
              std::vector<std::string>& removed, std::vector<held>& acked);
    // Everything held for `identity`, removed: to be given back to the broker.
    std::vector<held> release(std::string_view identity);
    // The broker took every delivery back (the connection ended).
    void clear() { held_.clear(); }
    bool holds(std::string_view identity) const { return held_.contains(identity); }

private:
    std::map<std::string, std::vector<held>, std::less<>> held_; // no empty list
};

} // namespace herald
