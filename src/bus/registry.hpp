#pragma once
// Every bus Herald can use, in one table: src/bus/registry.cpp. The bus settings' URL scheme
// picks one: "memory" (or no URL), "amqp://" (RabbitMQ), "redis://".

#include "bus/bus.hpp"
#include "bus/bus_settings.hpp"

#include <boost/system/result.hpp>

#include <string>

namespace herald {

// A factory for the bus the URLs name, or why there is none (unknown scheme, mixed schemes).
boost::system::result<bus_factory, std::string> bus_for(const bus_settings& settings);

// "memory", "amqp", "redis": the kind of bus the URLs name, for logs and /metrics.
std::string bus_kind(const bus_settings& settings);

} // namespace herald
