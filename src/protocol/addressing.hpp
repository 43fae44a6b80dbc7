#pragma once
// Events addressed to sessions rather than to a topic (docs/backend.md#addressing): every
// session of the cluster, every session of one endpoint, one session by its id, or every session
// of an identity. On the bus each kind has an exchange of Herald's own; this file is the wire
// form on both sides: the body of POST /api/send, and an addressed event as a broker carries it.

#include "protocol/publish_request.hpp"

#include <boost/system/result.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herald::addressing {

// The exchanges, declared on every broker, closed to clients' subscriptions: "<prefix>.multicast"
// (routing key ""), "<prefix>.broadcast" (the endpoint's path), "<prefix>.unicast" (the node,
// 4 hex digits), "<prefix>.identity" (the identity). The prefix ([addressing] prefix, "herald")
// keeps apart clusters that share a broker.
struct exchange_names {
    exchange_names()
        : exchange_names("herald") {}
    explicit exchange_names(std::string_view prefix);
    std::string multicast;
    std::string broadcast;
    std::string unicast;
    std::string identity;
    std::array<std::string_view, 4> all() const {
        return {multicast, broadcast, unicast, identity};
    }
};

// Event names of Herald's own on the addressing exchanges (registrations of identities): the
// API refuses them, so that no back end can forge one.
inline constexpr std::string_view reserved_event_prefix = "herald:";
// On the identity exchange: mail was stored for the identity (docs/backend.md#identities-and-
// mailboxes); the nodes watching its mailbox take it.
inline constexpr std::string_view mail_signal = "herald:mail";
// A client's acknowledgement of kept mail names at most this many ids, each at most this many
// bytes (docs/backend.md#acknowledgements).
inline constexpr std::size_t max_acknowledged_ids = 100;
inline constexpr std::size_t max_mail_id_bytes = 64;

// A broadcast may skip this many sessions at most: a cheap request buys no unbounded work.
inline constexpr std::size_t max_skip = 1000;

enum class kind : std::uint8_t { all, endpoint, session, identity };

struct address {
    addressing::kind kind = kind::all;
    std::string name;                // the endpoint's path, or the identity; else empty
    std::uint64_t session = 0;       // kind::session
    std::vector<std::uint64_t> skip; // kind::endpoint: sessions left out; sorted, unique

    friend bool operator==(const address&, const address&) = default;
};

// Session ids as clients and back ends see them: 16 lowercase hex digits, like Myxi's. Any case
// is read; nullopt for anything but 16 hex digits.
std::string session_id_text(std::uint64_t id);
std::optional<std::uint64_t> parse_session_id(std::string_view text);
// A node's routing key on the unicast exchange: the first 4 hex digits of its sessions' ids.
std::string node_key(std::uint16_t node_id);

// Where an address travels on the bus, and the members the event carries for it ("\"session\":
// \"…\"", "\"skip\":[…]" or empty): the same on every broker, so a back end may publish there
// itself.
struct bus_route {
    std::string_view exchange;
    std::string routing_key;
    std::string members;
};
bus_route route_of(const address& to, const exchange_names& names);

// An event that arrived on one of the exchanges above: its address, read from the routing key
// and the members "session" and "skip", and the other members, which go to clients as any
// event's do. nullopt when the exchange is not one of them; an error (a short constant text)
// when the event does not say enough (unicast without a valid "session", "skip" not an array
// of ids or longer than max_skip).
struct received {
    address to;
    std::string extra;
};
using received_result = boost::system::result<received, std::string_view>;
std::optional<received_result> read_received(const exchange_names& names, std::string_view exchange,
                                             std::string_view routing_key, std::string_view extra);

// The body of POST /api/send: {"to":…,"event":E,"payload":P}, where "to" is "all",
// {"endpoint":path,"skip":[ids]}, {"session":id} or {"identity":name}. Errors as the publish
// API's: invalid_json, invalid_field (naming the field), unknown_endpoint.
struct send_request {
    address to;
    std::string event;
    std::string payload; // JSON text, bytes as sent; {} when absent
};
using endpoint_filter = std::function<bool(std::string_view path)>;
boost::system::result<send_request, publish_error>
parse_send_request(std::string_view body, const endpoint_filter& is_endpoint);

// The body of POST /api/notify: {"identity":I,"event":E,"payload":P}, a message for an
// identity's sessions that waits in its mailbox while none is connected. Errors as above.
struct notify_request {
    std::string identity;
    std::string event;
    std::string payload; // JSON text, bytes as sent; {} when absent
};
boost::system::result<notify_request, publish_error> parse_notify_request(std::string_view body);

} // namespace herald::addressing
