#include "transport/upgrade_credentials.hpp"

#include "util/ascii.hpp"

#include <fmt/format.h>

namespace herald {

std::string endpoint_credentials::describe() const {
    switch (from) {
    case source::none:
        return "nothing";
    case source::path:
        return fmt::format("the path parameter {{{}}}", name);
    case source::query:
        return fmt::format("the query parameter {}", name);
    case source::header:
        return "an Authorization: Bearer header";
    case source::cookie:
        return fmt::format("the cookie {}", name);
    }
    return "credentials";
}

boost::system::result<endpoint_credentials, std::string>
parse_credentials_source(std::string_view text) {
    endpoint_credentials c;
    if (text == "header") {
        c.from = endpoint_credentials::source::header;
        return c;
    }
    const auto colon = text.find(':');
    const auto kind = text.substr(0, colon);
    const auto name = colon == std::string_view::npos ? std::string_view() : text.substr(colon + 1);
    if (kind == "path") {
        c.from = endpoint_credentials::source::path;
    } else if (kind == "query") {
        c.from = endpoint_credentials::source::query;
    } else if (kind == "cookie") {
        c.from = endpoint_credentials::source::cookie;
    } else {
        return std::string(R"(must be "path:NAME", "query:NAME", "header" or "cookie:NAME")");
    }
    if (name.empty()) {
        return fmt::format("\"{}:\" needs a name after the colon", kind);
    }
    c.name = std::string(name);
    return c;
}

std::optional<std::string> find_credential(const endpoint_credentials& c,
                                           const upgrade_request& request) {
    std::optional<std::string> token;
    switch (c.from) {
    case endpoint_credentials::source::none:
        return std::nullopt;
    case endpoint_credentials::source::path:
        if (auto v = request.path_param(c.name)) {
            token = std::string(*v);
        }
        break;
    case endpoint_credentials::source::query:
        token = request.query_param(c.name);
        break;
    case endpoint_credentials::source::header:
        if (auto v = request.header("Authorization");
            v && v->size() > 7 && ascii::iequals(v->substr(0, 7), "Bearer ")) {
            token = std::string(v->substr(7));
        }
        break;
    case endpoint_credentials::source::cookie:
        if (auto v = request.cookie(c.name)) {
            token = std::string(*v);
        }
        break;
    }
    if (token && token->empty()) {
        return std::nullopt;
    }
    return token;
}

} // namespace herald
