#pragma once
// What a subscription's routing key means on each kind of exchange, the same on every bus: the
// AMQP rules, which RabbitMQ applies at the broker and the memory and Redis buses apply here.

#include <string_view>

namespace herald {

enum class exchange_kind : unsigned char {
    direct, // the routing key must be equal
    topic,  // the subscription's key is a pattern: words split by '.', '*' one word, '#' any
    fanout, // every event of the exchange, whatever its routing key
};

// AMQP topic matching: "nodes.#" matches "nodes", "nodes.1" and "nodes.1.created";
// "*.created.*" matches "node.created.7" but not "created.7". Linear in practice, never
// exponential (patterns come from clients).
bool topic_matches(std::string_view pattern, std::string_view routing_key);

// Whether an event with `routing_key` reaches a subscription to `key` on an exchange of `kind`.
bool routing_key_matches(exchange_kind kind, std::string_view key, std::string_view routing_key);

// Whether a subscription's key on an exchange of `kind` is matched by rule rather than by
// equality: every key on a fanout exchange, a key holding '*' or '#' on a topic exchange.
bool is_pattern(exchange_kind kind, std::string_view key);

} // namespace herald
