#include "session/upgrade_request.hpp"

#include "util/ascii.hpp"

#include <boost/url/parse_query.hpp>

namespace herald {

std::optional<std::string_view> upgrade_request::path_param(std::string_view name) const {
    for (const auto& [key, value] : path_params) {
        if (key == name) {
            return std::string_view(value);
        }
    }
    return std::nullopt;
}

std::optional<std::string_view> upgrade_request::header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
        if (ascii::iequals(key, name)) {
            return value;
        }
    }
    return std::nullopt;
}

std::optional<std::string_view> upgrade_request::cookie(std::string_view name) const {
    for (const auto& [key, value] : headers) {
        if (!ascii::iequals(key, "cookie")) {
            continue;
        }
        std::string_view rest = value;
        while (!rest.empty()) {
            const auto end = rest.find(';');
            const auto item = ascii::trim(rest.substr(0, end));
            const auto equals = item.find('=');
            if (equals != std::string_view::npos && ascii::trim(item.substr(0, equals)) == name) {
                auto found = ascii::trim(item.substr(equals + 1));
                if (found.size() >= 2 && found.front() == '"' && found.back() == '"') {
                    found = found.substr(1, found.size() - 2); // RFC 6265 allows a quoted value
                }
                return found;
            }
            if (end == std::string_view::npos) {
                break;
            }
            rest.remove_prefix(end + 1);
        }
    }
    return std::nullopt;
}

std::optional<std::string> upgrade_request::query_param(std::string_view name) const {
    if (query.empty()) {
        return std::nullopt;
    }
    // A query that is not valid percent-encoding simply holds no parameters.
    const auto params = boost::urls::parse_query(query);
    if (!params) {
        return std::nullopt;
    }
    for (const auto p : *params) {
        if (p.key.decode() == name) {
            return p.has_value ? p.value.decode() : std::string();
        }
    }
    return std::nullopt;
}

} // namespace herald
