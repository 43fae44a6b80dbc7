#pragma once
// MonoRail's words (RackHD on-wss: ws-spec.md, lib/ws-service.js; the web UI's Messenger.js):
// the client sends {"handler":H,"resource":R,"params":P}; the server answers with
// {"handler":"session"|"list"|"item"|"remove"|"error",…}. Where the spec and on-wss differ,
// replies carry both (docs/protocol.md#the-monorail-dialect).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herald::monorail {

enum class handler : unsigned char { init, query, all, get, watch, stop, error, unknown };

// One client message.
struct request {
    handler kind = handler::unknown;
    std::string name;     // the handler as sent
    std::string resource; // `resource` (on-wss), else `type` (the spec); empty: from the path
    std::string params;   // the JSON text of `params`; empty when absent or null
};

// Why a message is not a request, as the error reply says it.
struct refusal {
    std::string error; // invalid_json, invalid_message
    std::string detail;
};

// The request in `text`, or why it is none: not JSON, not an object, no string "handler", a
// `resource`/`type` that is not a string.
struct read_request_result {
    std::optional<request> ok;
    refusal why;
};
read_request_result read_request(std::string_view text);

// The resource a connection to `path` names: its last segment ("/nodes" → "nodes"), as on-wss
// took it; query and fragment are not part of the path. Empty when it is not UTF-8.
std::string resource_of_path(std::string_view path);

// Replies. `resource` is quoted; JSON arguments (`_json`) go as they are.
std::string session(std::string_view id);
// {"handler":"list","resource":R,"items":[…]}; with "truncated":true when the list was cut.
std::string list(std::string_view resource, const std::vector<std::string>& items_json,
                 bool truncated);
// A get's answer: the record in `data` (the spec) and in `id` (what on-wss put on the wire).
std::string item(std::string_view resource, std::string_view record_json);
// A get that found nothing: the spec's remove, with the params asked.
std::string removed(std::string_view resource, std::string_view params_json);
// {"handler":"error","resource":R,"params":{"error":E,"message":M}} (on-wss's shape, which
// sent an empty params; Herald says what went wrong).
std::string error(std::string_view resource, std::string_view code, std::string_view message);

// The record of a change's body {"event":…,"record":…}; nullopt when it has none.
std::optional<std::string> record_of(std::string_view body);
// A change of RackHD's database (on.waterline, routing key <identity>.<event>.<id>) as watchers
// of `resource` get it: destroyed → remove with id and data; anything else → item with id
// [event, id] and data. Nullopt when the routing key is not <identity>.<event>.<id>.
std::optional<std::string> change(std::string_view resource, std::string_view routing_key,
                                  std::string_view record_json);
// The identity of a change's routing key (its first part), empty when it has none.
std::string_view identity_of(std::string_view routing_key);
// A message of a watched exchange, as `mq` watchers get it: item with the routing key as id and
// the body as data (a body that is not JSON goes as a JSON string).
std::string mq_item(std::string_view routing_key, std::string_view body);

} // namespace herald::monorail
