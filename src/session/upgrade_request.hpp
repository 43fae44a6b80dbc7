#pragma once
// What a dialect may read of the HTTP request that opened its session: path, named path
// parameters, query, headers and cookies. Views into the request: valid only while the
// dialect's open() runs, so a dialect copies what it keeps.

#include "auth/identity.hpp"
#include "session/dialect_options.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace herald {

struct upgrade_request {
    using pair = std::pair<std::string_view, std::string_view>;

    std::string_view path;  // without the query
    std::string_view query; // after '?', raw; empty when none
    std::vector<std::pair<std::string_view, std::string>> path_params; // decoded: {token} → …
    std::vector<pair> headers;                                         // as received
    std::string_view remote_address;
    // Who the client is, when the endpoint checked credentials before the upgrade; else null.
    const identity* who = nullptr;
    // The endpoint's options for its dialect (checked at start by option_problem); never null
    // once the transport fills the request.
    const dialect_options* options = nullptr;

    std::optional<std::string_view> path_param(std::string_view name) const;
    // Case-insensitive, as HTTP field names are; the first of repeated fields.
    std::optional<std::string_view> header(std::string_view name) const;
    // From the Cookie header(s): `a=1; b=2`.
    std::optional<std::string_view> cookie(std::string_view name) const;
    // Percent-decoded; the first of repeated parameters.
    std::optional<std::string> query_param(std::string_view name) const;
};

} // namespace herald
