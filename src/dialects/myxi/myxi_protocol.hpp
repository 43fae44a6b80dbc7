#pragma once
// The Myxi dialect: client actions {"action","tag","payload"} in, events {"event","tag",
// "payload"} out. Pure text in and out: no sockets, so it is fuzzed on its own.

#include "protocol/addressing.hpp"

#include <boost/system/result.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herald::myxi {

enum class action_kind {
    subscribe,
    unsubscribe,
    list_subscriptions,
    ping,
    authenticate,
    deauthenticate,
    acknowledge, // mail of identities the session registered as (docs/backend.md#acknowledgements)
    other,       // any other name: a custom action of [backend] actions, or InvalidAction
};

// A routing key as the client sent it: matched by its text ("1234"), echoed as its JSON (1234).
struct routing_key {
    std::string text;
    std::string json;
};

struct action {
    action_kind kind = action_kind::other;
    std::string name;                      // as sent
    std::string tag = "null";              // JSON text of the tag; any JSON value
    std::optional<std::string> exchange;   // payload.exchange
    std::vector<routing_key> routing_keys; // payload.routing_key, or each of payload.routing_keys
    std::optional<std::string> token;      // payload.token (or payload.session_token)
    std::vector<std::string> mail;         // Acknowledge: payload.mail, the ids
    std::string payload = "{}";            // JSON text of the payload
};

// Why a message is not an action we can run: error is the string sent in the Error event.
struct parse_failure {
    std::string_view error; // "InvalidJSON" (no tag then) or "InvalidPayload"
    std::string tag;        // JSON text of the tag when one could be read, else empty
    std::string detail;     // which field was wrong, for InvalidPayload
};

boost::system::result<action, parse_failure> parse_action(std::string_view text);

// The InvalidPayload detail of an Acknowledge without usable ids.
inline constexpr std::string_view acknowledge_needs =
    "Acknowledge needs payload.mail: 1 to 100 mail ids, each a string of 1 to 64 bytes";

// ---- Rendering: every function returns the JSON text of one event.

std::string welcome(std::string_view session_id);
// {"event":E,"tag":T,"payload":P}; an empty tag leaves the key out.
std::string event(std::string_view name, std::string_view tag, std::string_view payload_json);
// {"event":"Error","tag":T,"payload":{"error":E<extra>}}; extra is ",\"k\":v..." or empty.
std::string error(std::string_view tag, std::string_view error_code, std::string_view extra = {});
// The application event as Myxi clients receive it: {"event":E,"payload":P,<extra>,"mq":{"e":
// exchange,"rk":routing_key}}, the payload's bytes untouched and the published object's extra
// members kept, as Myxi forwards a broker message's whole body and adds "mq".
// {"event":"Acknowledged","tag":T,"payload":{"mail":[removed…],"unknown":[the rest…]}}: the
// ids `asked` split by whether they are among `removed`, each in the order asked.
std::string acknowledged(std::string_view tag, const std::vector<std::string>& asked,
                         const std::vector<std::string>& removed);
std::string application_event(std::string_view name, std::string_view payload,
                              std::string_view extra, std::string_view exchange,
                              std::string_view routing_key);

} // namespace herald::myxi
