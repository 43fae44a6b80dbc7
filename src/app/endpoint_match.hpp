#pragma once

#include "app/config.hpp"

#include <optional>
#include <string_view>
#include <vector>

namespace herald {

// The endpoint a request path (query removed) belongs to. An exact path wins; otherwise the
// longest prefix endpoint, written `/prefix/*`, that covers the path: `/live/*` takes `/live`,
// `/live/` and everything below it, and `/*` takes every path, as Myxi 1.4 accepted any path.
std::optional<std::size_t> match_endpoint(const std::vector<endpoint_config>& endpoints,
                                          std::string_view path);

// True for a path written `/…/*`.
bool is_prefix_endpoint(std::string_view path);

} // namespace herald
