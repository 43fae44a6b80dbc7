#pragma once
// DataDealer's words (datadealer/dd_app: dd_app/socket/sessions.py, messaging/messenger.py):
// the client and the node exchange {"ev":E,"pl":P}; back ends publish {"action","token","data"}
// on Redis channels srv_msg (every session) and user_<uid> (the user's sessions).

#include <boost/system/result.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herald::datadealer {

// The exchange DataDealer's messages travel on. On Redis its channels are the routing keys as
// they are ("{routing_key}"), so srv_msg and user_666 are DataDealer's own channels.
inline constexpr std::string_view events_exchange = "datadealer";
inline constexpr std::string_view broadcast_key = "srv_msg";
// "user_<uid>": the channel of a user's sessions.
std::string user_key(std::string_view uid);

// A client's message: `ev`, and `pl` as JSON text ("{}" when absent).
struct client_message {
    std::string ev;
    std::string pl;
};
// The message, or why it is not one (worded for the client).
boost::system::result<client_message, std::string> parse_client_message(std::string_view text);
// The `token` member of a client_connected payload, if it is a string.
std::optional<std::string> token_of(std::string_view pl_json);

// {"ev":ev,"pl":pl} — `pl_json` is JSON text, sent as it is — and, for kept mail
// (docs/backend.md#acknowledgements), its id: {"ev":ev,"pl":pl,"mail":"<id>"}.
std::string event(std::string_view ev, std::string_view pl_json,
                  std::optional<std::string_view> mail_id = std::nullopt);

// A client's acknowledgement of kept mail, {"ev":"herald:acknowledge","pl":{"mail":[ids]}},
// answered {"ev":"herald:acknowledged","pl":{"mail":[removed…],"unknown":[the rest…]}}. Names
// with a colon: dd_app's events were Python methods (onevent_<ev>), so no application's event
// is named so.
inline constexpr std::string_view acknowledge_event = "herald:acknowledge";
inline constexpr std::string_view acknowledged_event = "herald:acknowledged";
// The detail of the invalid_acknowledge error.
inline constexpr std::string_view acknowledge_needs =
    "herald:acknowledge needs pl.mail: 1 to 100 mail ids, each a string of 1 to 64 bytes";
// {"ev":"herald:acknowledged","pl":{"mail":[removed…],"unknown":[…]}}, the ids in the order asked.
std::string acknowledged(const std::vector<std::string>& asked,
                         const std::vector<std::string>& removed);
// {"ev":"error","pl":{"error":error,"detail":detail}}: Herald's word for what DataDealer left
// unanswered (docs/protocol.md#the-datadealer-dialect).
std::string error(std::string_view error, std::string_view detail);

// A back end's message {"action":A,"token":T,"data":D} as the client gets it, {"ev":A,"pl":D}
// (D as published: Mongo Extended JSON such as {"$oid":…} passes through); nullopt when the
// body is not such a message.
std::optional<std::string> from_broker(std::string_view body);

// What a new session of a user publishes to the user's channel, as dd_app does: every other
// session of the user that gets it is closed.
std::string kick_message(std::string_view sender);
// The sender of a kick as the client gets it ({"ev":"kick","pl":{"sender":S}}); nullopt for
// any other message.
std::optional<std::string> kick_sender(std::string_view client_text);

} // namespace herald::datadealer
