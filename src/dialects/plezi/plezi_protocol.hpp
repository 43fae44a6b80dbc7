#pragma once
// The Plezi dialect's messages (Plezi 0.12 – 0.14 auto-dispatch, PleziClient): client events
// {"event":E,…,"_EID_"?} in; acks {"event":"_ack_","_EID_":…}, errors
// {"event":"err","status":S,"result":R,"request":{…}} and application events out. Pure text in
// and out: no sockets, so it is fuzzed on its own. docs/protocol.md#the-plezi-dialect.

#include <boost/system/result.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herald::plezi {

// An _EID_ is echoed in the ack: a client may not make the node echo more than this.
inline constexpr std::size_t max_eid_bytes = 128;
// Deeper JSON is refused before it is read further: a client may not make parsing costly.
inline constexpr std::size_t max_nesting = 64;

// Why a client's text is not an event.
enum class refusal {
    invalid_json, // not JSON, or not UTF-8
    not_object,   // JSON, but not an object
    too_deep,     // nested deeper than max_nesting
    eid_too_long, // an _EID_ whose JSON is longer than max_eid_bytes
};
// The words of the close (or error) a refusal gets.
std::string_view describe(refusal r);

struct client_event {
    std::string name;               // "event" when it is a string; empty otherwise
    std::optional<std::string> eid; // JSON text of "_EID_", as sent; absent when not sent
    std::string message;            // the whole object, minified: the back end's and err's copy
    std::vector<std::string> mail;  // _ack_mail_: its "mail" ids; empty when they are unusable
};
using parse_result = boost::system::result<client_event, refusal>;
parse_result parse_event(std::string_view text);

// Whether an event name may reach the back end: as Plezi chose controller methods, not empty,
// not starting with "_" and not one of Plezi's reserved names (its callbacks and helpers);
// every other name is "unknown" without asking anyone.
bool dispatchable(std::string_view name);

// Kept mail (docs/backend.md#acknowledgements) carries its id as "_mail_":"<id>"; a client
// acknowledges ids with {"event":"_ack_mail_","mail":[ids]} and is answered
// {"event":"_acked_mail_","mail":[removed…],"unknown":[the rest…]}. Plezi's own protocol names
// look so (_ack_, _EID_), and an event starting with "_" never reaches an application.
inline constexpr std::string_view mail_member = "_mail_";
inline constexpr std::string_view acknowledge_event = "_ack_mail_";
// The err 400 result of an _ack_mail_ without usable ids.
inline constexpr std::string_view acknowledge_needs =
    "_ack_mail_ needs mail: 1 to 100 mail ids, each a string of 1 to 64 bytes";
// {"event":"_acked_mail_","mail":[removed…],"unknown":[…]}, the ids in the order asked.
std::string acknowledged(const std::vector<std::string>& asked,
                         const std::vector<std::string>& removed);

// {"event":"_ack_","_EID_":<eid>}: `eid_json` is already JSON (as Plezi 0.14 encodes it).
std::string ack(std::string_view eid_json);
// {"event":"err","status":S,"result":R[,"request":<request_json>]}
std::string error(int status, std::string_view result,
                  std::optional<std::string_view> request_json = std::nullopt);

// What a JSON value written to a Plezi client becomes, as Plezi's `write` and auto-dispatch
// returns did: a string is written as it is (its text, unquoted); an object as its JSON;
// anything else writes nothing (nullopt). Invalid JSON writes nothing.
std::optional<std::string> written(std::string_view json);

// An application event (published, or sent to a session, identity or endpoint) as a Plezi
// client receives it: an object payload gets "event" first and keeps its other members
// ({"event":E,"message":"hi"}); a string payload is written as it is (a back end's raw write);
// any other payload is {"event":E,"data":P}, as a method call's arguments arrive. Kept mail
// gets "_mail_":<mail_id> last, and a string payload then comes as {"event":E,"data":P,…}: text
// cannot carry an id. A payload's own "_mail_" member is dropped: the member is Herald's.
std::string application_event(std::string_view name, std::string_view payload_json,
                              std::optional<std::string_view> mail_id = std::nullopt);

} // namespace herald::plezi
