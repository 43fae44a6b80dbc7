#pragma once
// A Redis URL, redis://[[user]:password@]host[:port][/db], read into what a connection needs.

#include <boost/system/result.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace herald {

struct redis_url {
    std::string host;      // a name, or an IP address (without the brackets of [::1])
    int port = 6379;       // Redis's default when the URL names none
    std::string user;      // Redis 6 ACL user; empty: AUTH with the password alone
    std::string password;  // percent-decoded; empty: no AUTH
    std::optional<int> db; // SELECT when given

    friend bool operator==(const redis_url&, const redis_url&) = default;
};

// The URL's parts, or why it is not a Redis URL. The reason never holds the password.
boost::system::result<redis_url, std::string> parse_redis_url(std::string_view url);

} // namespace herald
