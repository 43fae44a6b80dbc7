#pragma once
// An endpoint's settings for its dialect: the keys of its [[endpoints]] table that are not the
// node's own (path, dialect, credentials, verify). The dialect says which it accepts
// (dialect::option_problem), so an unknown key still stops Herald at start.

#include "util/setting.hpp"

namespace herald {

using dialect_option = setting;
// In the order the configuration lists them. Immutable after start, read from every shard.
using dialect_options = settings;

} // namespace herald
