#include "app/endpoint_match.hpp"

namespace herald {

bool is_prefix_endpoint(std::string_view path) {
    return path.ends_with("/*");
}

namespace {

// `/live/*` covers `/live`, `/live/` and `/live/…`, but not `/lively`.
bool covers(std::string_view pattern, std::string_view path) {
    const std::string_view prefix = pattern.substr(0, pattern.size() - 2); // without "/*"
    if (!path.starts_with(prefix)) {
        return false;
    }
    return path.size() == prefix.size() || path[prefix.size()] == '/';
}

} // namespace

std::optional<std::size_t> match_endpoint(const std::vector<endpoint_config>& endpoints,
                                          std::string_view path) {
    std::optional<std::size_t> best;
    for (std::size_t i = 0; i < endpoints.size(); ++i) {
        const std::string_view candidate = endpoints[i].path;
        if (candidate == path) {
            return i;
        }
        if (is_prefix_endpoint(candidate) && covers(candidate, path) &&
            (!best || candidate.size() > endpoints[*best].path.size())) {
            best = i;
        }
    }
    return best;
}

} // namespace herald
