#include "session/upgrade_request.hpp"

#include "util/ascii.hpp"
#include "util/percent.hpp"

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
    // Written here rather than with Boost.URL: Debian's 1.81 parse_query reads its input up to a
    // NUL (strlen), past the end of a query that is a view into the request (the fuzzer found
    // that).
    std::string_view rest = query;
    while (!rest.empty()) {
        const auto end = rest.find('&');
        const auto item = rest.substr(0, end);
        rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
        const auto equals = item.find('=');
        const auto key = percent_decode(item.substr(0, equals));
        const auto value = percent_decode(
            equals == std::string_view::npos ? std::string_view() : item.substr(equals + 1));
        if (!key || !value) {
            return std::nullopt; // reading stops at an item that is not valid percent-encoding
        }
        if (*key == name) {
            return *value;
        }
    }
    return std::nullopt;
}

} // namespace herald
