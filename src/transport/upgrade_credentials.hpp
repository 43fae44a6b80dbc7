#pragma once
// Credentials checked before the WebSocket upgrade (Plezi's pre_connect): where an endpoint's
// clients put their token, and who verifies it. No WebSocket opens without them.

#include "session/upgrade_request.hpp"

#include <boost/system/result.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace herald {

struct endpoint_credentials {
    enum class source { none, path, query, header, cookie };
    source from = source::none; // none: anyone may connect; credentials come later, if at all
    std::string name;           // the path parameter, query parameter or cookie
    bool by_backend = false;    // the back end verifies the token (a connect request); else JWT

    bool required() const { return from != source::none; }
    // "path parameter {token}", "query parameter token", "Authorization: Bearer", "cookie sid"
    std::string describe() const;
};

// "path:NAME", "query:NAME", "header" (Authorization: Bearer …) or "cookie:NAME"; or why not.
boost::system::result<endpoint_credentials, std::string>
parse_credentials_source(std::string_view text);

// The token the request carries where the endpoint expects it; nullopt when it has none.
std::optional<std::string> find_credential(const endpoint_credentials& c,
                                           const upgrade_request& request);

} // namespace herald
