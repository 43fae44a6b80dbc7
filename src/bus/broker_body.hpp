#pragma once
// The body a bus publishes for an event, the same on every broker.

#include "bus/bus.hpp"

#include <string>

namespace herald {

// What Myxi's push_event writes, {"event":E,"payload":P} plus the other members, so any back
// end reads Herald's events as its own; for an event without a name (a message in another
// design's own format, such as Piped's methods) the payload as it is.
std::string broker_body(const bus_event& event);

} // namespace herald
