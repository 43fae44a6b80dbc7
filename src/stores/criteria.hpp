#pragma once
// A query's criteria as MonoRail's clients send them: the `params` object of a query or get,
// read as Waterline's find(params) reads it: every member is an equality on a document field,
// and a dotted key ("obm.host") names a nested field. Pure, so it is fuzzed and unit-tested.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herald {

struct criterion {
    std::vector<std::string> path; // "a.b" → {"a","b"}; each part non-empty
    std::string value;             // the JSON value to equal, as the client sent it (minified)
    enum class kind : unsigned char { string, number, boolean, null, object, array };
    kind type = kind::string;
    friend bool operator==(const criterion&, const criterion&) = default;
};

struct criteria_limits {
    std::size_t max_criteria = 32;
    std::size_t max_path_parts = 16;
    std::size_t max_key_bytes = 256;    // per path part
    std::size_t max_value_bytes = 4096; // per value, as JSON text
};

// `params` (JSON text; empty or "null" means none) as criteria, or why not (worded for a
// client). Refused: not an object, too many members, a key with an empty part ("a..b", ".a"),
// a key part with a double quote or a NUL (they cannot name a field in every store), and
// anything over the limits.
struct criteria_read {
    std::vector<criterion> criteria;
    std::optional<std::string> problem;
};
criteria_read read_criteria(std::string_view params, const criteria_limits& limits = {});

} // namespace herald
