#include "bus/bus_settings.hpp"

namespace herald {

std::string masked_url(std::string_view url) {
    // scheme://user:password@host…: the password is between the first ':' after "//" and the
    // last '@' before the path.
    const auto start = url.find("//");
    if (start == std::string_view::npos) {
        return std::string(url);
    }
    const auto authority_end = url.find_first_of("/?#", start + 2);
    const auto authority =
        url.substr(start + 2, authority_end == std::string_view::npos ? std::string_view::npos
                                                                      : authority_end - start - 2);
    const auto at = authority.rfind('@');
    if (at == std::string_view::npos) {
        return std::string(url);
    }
    const auto colon = authority.substr(0, at).find(':');
    std::string out(url.substr(0, start + 2));
    if (colon == std::string_view::npos) {
        out += "****"; // user info without ':' may be a bare password: mask all of it
    } else {
        out += authority.substr(0, colon);
        out += ":****";
    }
    out += authority.substr(at);
    if (authority_end != std::string_view::npos) {
        out += url.substr(authority_end);
    }
    return out;
}

} // namespace herald
