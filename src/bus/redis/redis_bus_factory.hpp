#pragma once
// The registry's way to the Redis bus, without the bus's own headers (Asio, hiredis).

#include "bus/bus.hpp"
#include "bus/bus_settings.hpp"

namespace herald {

// A factory for the Redis bus on `settings.urls` (redis://… URLs), for the bus registry.
bus_factory redis_bus_factory(const bus_settings& settings);

} // namespace herald
