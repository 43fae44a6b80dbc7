#pragma once
// A message addressed to a token, as a Piped back end writes it to a node's in-exchange or to
// the mass exchange: any JSON object with a string "token" ({"type":"result","id":1,"token":
// "…","method":"…","payload":{…}}, or {"type":"event",…}). Piped delivers it to every
// session of the token with "token" removed and nothing else changed.

#include <boost/system/result.hpp>

#include <string>
#include <string_view>

namespace herald {

struct token_message {
    std::string token;
    std::string members; // the other members as JSON text, "\"k\":v,…", in their order
};

// The message, or why it is not one (a short constant text).
boost::system::result<token_message, std::string_view> parse_token_message(std::string_view body);

} // namespace herald
