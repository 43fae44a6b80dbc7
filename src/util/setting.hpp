#pragma once
// A key of a configuration table that a plug-in reads for itself (a dialect's endpoint
// options, a document store's settings): the node only carries it, as a string, a boolean or
// an integer, and the plug-in says whether it takes it.

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace herald {

struct setting {
    std::string key;
    std::variant<bool, std::int64_t, std::string> value;
};

// In the order the configuration lists them. Immutable after start.
using settings = std::vector<setting>;

} // namespace herald
