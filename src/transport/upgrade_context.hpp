#pragma once
// The upgrade_request a dialect session is opened with, read from the HTTP request that opens
// it: a WebSocket upgrade, or the first SockJS request of a session.

#include "protocol/http_request_reader.hpp"
#include "session/upgrade_request.hpp"
#include "transport/transport_context.hpp"

#include <string_view>

namespace herald {

// Views into `request` and `remote`: valid while both are. The path parameters are the
// caller's to add (a SockJS path carries none).
upgrade_request upgrade_context(const http_request& request, std::string_view path,
                                const endpoint& serving, std::string_view remote);

} // namespace herald
