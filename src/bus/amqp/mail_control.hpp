#pragma once
// What nodes tell each other about an identity's kept mail (acknowledge mode on RabbitMQ):
// published to "<prefix>.mail-control" with the identity as routing key, heard by every node
// that consumes the identity's mailbox in acknowledge mode. Only the node holding a delivery
// can acknowledge it, and a registration must have every node hand out again what it holds.
// The body is lines: the kind ("ack" or "again"), the sending node's token (a node ignores its
// own words), then for "ack" the ids, one a line.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herald {

struct mail_control {
    enum class kind : unsigned char { ack, again };
    kind what = kind::ack;
    std::string sender;
    std::vector<std::string> ids; // ack: what a client acknowledged and this node did not hold
};

std::string encode_mail_control(const mail_control& word);
// Anyone who may publish to the broker can send one: nullopt for anything not as encoded.
std::optional<mail_control> parse_mail_control(std::string_view body);

} // namespace herald
