#include "bus/redis/redis_url.hpp"

#include "util/percent.hpp"

#include <charconv>

namespace herald {
namespace {

using url_result = boost::system::result<redis_url, std::string>;

url_result refuse(std::string why) {
    return {boost::system::in_place_error, std::move(why)};
}

// A decimal number in [low, high], or nullopt.
std::optional<int> number(std::string_view text, int low, int high) {
    int value = 0;
    const auto* end = text.data() + text.size();
    const auto [at, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc{} || at != end || value < low || value > high) {
        return std::nullopt;
    }
    return value;
}

} // namespace

url_result parse_redis_url(std::string_view url) {
    constexpr std::string_view scheme = "redis://";
    if (!url.starts_with(scheme)) {
        return refuse("not a redis:// URL");
    }
    auto rest = url.substr(scheme.size());
    const auto authority_end = rest.find_first_of("/?#");
    auto authority = rest.substr(0, authority_end);
    auto path =
        authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);
    redis_url out;

    if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
        const auto user_info = authority.substr(0, at);
        authority.remove_prefix(at + 1);
        // "user:password", ":password", or a bare "password" (as masked_url reads it).
        const auto colon = user_info.find(':');
        const auto user =
            colon == std::string_view::npos ? std::string_view{} : user_info.substr(0, colon);
        const auto password =
            colon == std::string_view::npos ? user_info : user_info.substr(colon + 1);
        auto decoded_user = percent_decode(user);
        auto decoded_password = percent_decode(password);
        if (!decoded_user || !decoded_password) {
            return refuse("a bad %-escape in the user or password");
        }
        out.user = std::move(*decoded_user);
        out.password = std::move(*decoded_password);
        if (!out.user.empty() && out.password.empty()) {
            return refuse("a user without a password");
        }
    }

    std::string_view port;
    if (authority.starts_with('[')) {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) {
            return refuse("an unclosed [ in the host");
        }
        out.host = std::string(authority.substr(1, close - 1));
        const auto after = authority.substr(close + 1);
        if (!after.empty() && !after.starts_with(':')) {
            return refuse("text after the host's ]");
        }
        port = after.empty() ? after : after.substr(1);
    } else {
        const auto colon = authority.rfind(':');
        out.host = std::string(authority.substr(0, colon));
        port = colon == std::string_view::npos ? std::string_view{} : authority.substr(colon + 1);
    }
    if (out.host.empty()) {
        return refuse("no host");
    }
    if (!port.empty()) {
        const auto p = number(port, 1, 65535);
        if (!p) {
            return refuse("a bad port");
        }
        out.port = *p;
    }

    // "/3" selects database 3; "" and "/" select none. A query or fragment is ignored.
    path = path.substr(0, path.find_first_of("?#"));
    if (path.size() > 1) {
        const auto db = number(path.substr(1), 0, 1 << 20);
        if (!db) {
            return refuse("a bad database number");
        }
        out.db = *db;
    }
    return out;
}

} // namespace herald
