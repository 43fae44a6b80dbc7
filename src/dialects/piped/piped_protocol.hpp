#pragma once
// The Piped dialect's messages: methods {"id"?,"method","payload"?} in; events
// {"type":"event","event","payload"} and results {"id"?,"type":"result","method","payload"}
// out. Pure text in and out: no sockets, so it is fuzzed on its own.

#include <boost/system/result.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace herald::piped {

struct method_call {
    std::optional<std::string> id; // JSON text of "id", any JSON value; absent when not sent
    std::string method;
    std::optional<std::string> payload; // JSON text of "payload"; absent when not sent
};

// Why a message is not a method: the text of Piped's error event, readable.
using parse_result = boost::system::result<method_call, std::string>;
parse_result parse_method(std::string_view text);

// {"type":"event","event":E[,"payload":P]}
std::string event(std::string_view name, std::optional<std::string_view> payload_json);
// {"type":"event","event":"error","payload":{"message":M}} (with "id" first when given)
std::string error(std::string_view message, std::optional<std::string_view> id_json = {});
// {["id":I,]"type":"result","method":M[,"payload":P]}: "id" only when the call had one.
std::string result(const method_call& call, std::optional<std::string_view> payload_json);
// An application event as Piped clients receive it: {"type":"event","event":E,"payload":P,
// <the published object's other members but "type" and "token">}.
std::string application_event(std::string_view name, std::string_view payload,
                              std::string_view extra);
// The method as the back end receives it, Piped's key order: ,"id":I,"method":M,"token":T,
// "payload":P (id and payload only when the call had them): members for the request envelope.
std::string request_members(const method_call& call, std::string_view token);

} // namespace herald::piped
