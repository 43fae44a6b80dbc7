#pragma once
// SockJS (sockjs-protocol 0.3, what sockjs-client 1.x speaks): the frames the server sends,
// the client's messages, and the paths under a SockJS prefix. Bytes in, values out: the
// transport (transport/sockjs_*) carries them.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herald::sockjs {

// ---- Frames the server sends (each transport adds its own delimiter)

inline constexpr std::string_view open_frame = "o";
inline constexpr std::string_view heartbeat_frame = "h";

// a["m1","m2"]: appends one message to an array frame being built; `frame` starts empty. With
// `json_value` the message, which must be JSON, goes in as the value it is (a["m1",{"k":1}]):
// what the client's onmessage gets is then that value, not a string (DataDealer's server sent
// objects, and its client reads e.data.ev).
void append_to_array(std::string& frame, std::string_view message, bool json_value = false);
// Closes an array frame built by append_to_array.
void finish_array(std::string& frame);
// c[code,"reason"]
std::string close_frame(int code, std::string_view reason);
// How a session closed by the server says so: a normal close without a reason is what SockJS
// servers send when the application closes, c[3000,"Go away!"]; any other close keeps its
// (WebSocket) code, with `reason`, else `fallback`.
std::string server_close_frame(int code, std::string_view reason, std::string_view fallback);

// The payload of a complete, unmasked WebSocket frame as the server builds them (an event
// rendered once for every session): what a SockJS session sends in an array frame instead.
std::string_view payload_of_ws_frame(std::string_view frame);

// ---- Messages the client sends: a JSON array of strings (xhr_send, websocket), or on the
// websocket transport a single JSON string.

enum class decode_status {
    ok,
    empty,  // no body at all: "Payload expected."
    broken, // not a JSON array of strings: "Broken JSON encoding."
};
decode_status decode_messages(std::string_view body, std::vector<std::string>& messages);

// ---- Paths under a prefix

enum class route_kind {
    greeting,        // <prefix> or <prefix>/: "Welcome to SockJS!"
    info,            // <prefix>/info
    raw_websocket,   // <prefix>/websocket
    websocket,       // <prefix>/<server>/<session>/websocket
    xhr,             // polling
    xhr_send,        // messages from the client
    xhr_streaming,   // one long response
    eventsource,     // one long response, as server-sent events
    unknown_session, // /<server>/<session>/<something else>: 404
};

struct route {
    route_kind kind;
    std::string_view session; // the session id, for the per-session kinds
};

// Session and server ids: 1 to this many bytes, none of them a dot (sockjs-protocol) and all of
// them letters, digits, '-' or '_' (Herald's rule: ids are only ever compared, never shown).
inline constexpr std::size_t max_id_bytes = 64;
bool is_valid_id(std::string_view id);

// Where `path` leads under `prefix` (no trailing slash, e.g. "/__sockjs__"); nullopt when it
// is not under the prefix at all or names nothing SockJS serves.
std::optional<route> route_of(std::string_view prefix, std::string_view path);

} // namespace herald::sockjs
