#pragma once

#include "app/config.hpp"

#include <toml++/toml.h>

namespace herald {

// [backend]: the back end's URL, timeouts and bounds, and what sessions leave to it.
void apply_backend(config& into, const toml::table& t);
// [lifecycle]: which session events back ends are told about, and how.
void apply_lifecycle(config& into, const toml::table& t);

} // namespace herald
