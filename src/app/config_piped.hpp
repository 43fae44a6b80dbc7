#pragma once
// Piped's own RabbitMQ topology, from Piped's own environment variables: what an unmodified
// Piped back end expects of a node (docs/protocol.md#the-piped-dialect).

#include "app/config.hpp"

#include <optional>
#include <string>

namespace herald {

// Piped's DSN, amqp://RABBIT_LOGIN:RABBIT_PASSWORD@RABBIT_HOST[:RABBIT_PORT]/RABBIT_VHOST
// ?heartbeat=RABBIT_HEARTBEAT, when RABBIT_HOST is set.
std::optional<std::string> piped_bus_url_from_environment();

// With a Piped endpoint, a RabbitMQ bus and no [backend]: Piped's exchanges, queues and
// bindings for this node, named from RABBIT_PREFIX_EXCHANGE_IN, RABBIT_PREFIX_EXCHANGE_OUT,
// RABBIT_PREFIX_QUEUE_IN, RABBIT_PREFIX_QUEUE_OUT and RABBIT_MASS_EXHANGE_NAME (Piped's
// spelling) with .env.example's values as defaults. Needs an explicit node id, as Piped does.
void apply_piped_topology(config& c);

} // namespace herald
