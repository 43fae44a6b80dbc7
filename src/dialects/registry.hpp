#pragma once
// Every dialect Herald speaks, in one table: src/dialects/registry.cpp.

#include "pubsub/topic.hpp"
#include "session/dialect.hpp"

#include <optional>
#include <span>
#include <string_view>

namespace herald {

// A dialect's id is its index here: it picks the dialect's frame of a rendered event.
std::span<const dialect* const> dialects();
std::optional<dialect_id> find_dialect(std::string_view name);
// Hands every dialect its node's settings (dialect::configure): once, at start, before the
// threads that use dialects run.
void configure_dialects(const node_settings& node);
// "myxi", "echo", …: for error messages.
std::string dialect_names();

} // namespace herald
