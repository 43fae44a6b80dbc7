#pragma once
// Plezi 0.12's Redis scaling messages (lib/plezi/handlers/ws_object.rb, __inner_redis_broadcast):
// a Hash with Symbol keys, {method:, data: [args], type: "ControllerClass" | :all, target:,
// to_server:, server:}, published to the global channel (redis_channel_name) or to one
// process's own channel, as Ruby's `to_yaml` writes it (Psych: "---\n:method: :chat\n…").
// JSON with the same keys (without colons) is read too. Pure text in, fuzzed on its own.

#include "protocol/addressing.hpp"

#include <boost/system/result.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace herald::plezi {

// A larger message is refused unread; deeper nesting, or JSON that would grow past this (YAML
// aliases repeat what they name), is refused too.
inline constexpr std::size_t max_redis_message_bytes = 1 << 20;
inline constexpr std::size_t max_redis_nesting = 64;
// Ruby YAML is read whole (yaml-cpp builds a tree, tens of times its size), on the bus thread:
// Plezi's own messages are a few hundred bytes, so a YAML message has this much at most.
inline constexpr std::size_t max_redis_yaml_bytes = 64 * 1024;

struct redis_message {
    std::string method;                   // the method's name (a Symbol in Ruby)
    std::string data;                     // JSON text of the arguments: an array
    std::string type;                     // "all" (multicast, :all) or a controller class name
    std::optional<std::string> target;    // unicast: the connection's id
    std::optional<std::string> to_server; // unicast: the process that holds it
    std::optional<std::string> server;    // the process that published it
};

// The message, or why it is dropped (a short constant text for the log and the counter).
using redis_result = boost::system::result<redis_message, std::string_view>;
redis_result parse_redis_message(std::string_view body);

// A Ruby YAML document (Psych, safe types only) as JSON text: Symbols (":name") become strings
// without the colon, plain scalars that are numbers, booleans or null become those, every other
// scalar a string. nullopt for anything else (Ruby objects, too deep, too large, not YAML).
std::optional<std::string> ruby_yaml_to_json(std::string_view yaml);

// The node's own channel, Plezi's per-process channel: "herald-" and the node id as 4 hex
// digits, the first 4 of its sessions' ids.
std::string node_channel(std::uint16_t node);

// A Plezi endpoint of the node, with the controller class it stands for (or empty).
struct endpoint_controller {
    std::string_view path;
    std::string controller;
};
// What the message asks of this node's sessions, as addressed sends (event: the method,
// payload: the arguments), which the node routes to its own sessions only:
// - `target` (a unicast): the session with that id (16 hex digits), when it is this node's;
// - `type: :all` (a multicast): every session of every Plezi endpoint;
// - `type: "ChatController"` (a broadcast): every session of the endpoints with that controller.
// None for a message of another node's session or a class no endpoint stands for.
std::vector<addressing::send_request> sends_of(const redis_message& m,
                                               std::span<const endpoint_controller> endpoints,
                                               std::uint16_t node);

} // namespace herald::plezi
