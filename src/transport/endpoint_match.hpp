#pragma once
// Which endpoint a request path (query removed) belongs to. An endpoint path is one of:
//   /pushwss        exactly that path;
//   /api/{token}    a segment per {name}, captured as a path parameter (Piped's /api/{token});
//   /live/*         /live, /live/ and everything below it; /* takes every path, as Myxi 1.4
//                   accepted any path. {name} segments may come before the /*.
// An exact path wins; then a pattern with parameters, the one with more literal segments
// first; then the longest prefix. Among equals, the first declared.

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace herald {

struct endpoint_match {
    std::size_t index;
    std::vector<std::pair<std::string_view, std::string>> params; // name (into the pattern),
                                                                  // percent-decoded value
};

std::optional<endpoint_match> match_endpoint(std::span<const std::string> patterns,
                                             std::string_view path);

// Why `pattern` cannot be an endpoint path, or nullopt when it can.
std::optional<std::string> endpoint_path_problem(std::string_view pattern);

} // namespace herald
