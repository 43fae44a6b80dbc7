#pragma once
// An endpoint's settings for its dialect: the keys of its [[endpoints]] table that are not the
// node's own (path, dialect, credentials, verify). The dialect says which it accepts
// (dialect::option_problem), so an unknown key still stops Herald at start.

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace herald {

struct dialect_option {
    std::string key;
    std::variant<bool, std::int64_t, std::string> value;
};

// In the order the configuration lists them. Immutable after start, read from every shard.
using dialect_options = std::vector<dialect_option>;

} // namespace herald
