#pragma once
// Identities' mailboxes in Redis (docs/backend.md#identities-and-mailboxes): shared by every
// node on the server, so mail notified through one node waits for a registration on any.

#include "bus/bus.hpp"
#include "bus/redis/redis_link.hpp"
#include "util/string_map.hpp"

#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <string>

namespace herald {

// For each identity I, with the node's key prefix P ([addressing] prefix):
// - P:identity:I, a hash (lifetime, max_messages, max_bytes, bytes) whose time to live is the
//   identity's: the identity exists while the key does;
// - P:mail:I, a list of the stored messages, oldest first, with the same time to live;
// - P:kept:I, in acknowledge mode instead, a sorted set of "<id> <message>" scored by id, the
//   messages kept until acknowledged, and the hash's field `cursor`, the last id handed out;
//   ids come from P:mail-id (INCR), so they are unique among all nodes.
// Each operation is one Lua script, so it is atomic among all nodes: mail is taken by one.
// Mail stored through another node reaches a watching node by a signal on the identity's
// topic, which the node turns into a take (bus_thread), as it does each minute anyway. Nothing
// here is watched: close_mailbox has nothing to do.
//
// Lives on the bus thread, as part of the Redis bus, which owns its link and connects it.
class redis_mailboxes final : public mailboxes {
public:
    using mail_handler = std::function<void(std::string_view identity, std::vector<mail>&)>;
    redis_mailboxes(redis_link& link, std::string prefix, mail_handler on_mail);

    void open_mailbox(std::string_view identity, const mailbox_settings& settings) override;
    void take_mail(std::string_view identity, const mailbox_settings& settings) override;
    void close_mailbox(std::string_view identity) override;
    void notify(std::string_view identity, std::string body, notify_done done) override;
    void acknowledge(const std::vector<std::string>& identities,
                     const std::vector<std::string>& ids, acknowledge_done done) override;

    // The link's reply to the oldest command waiting, in order.
    void on_reply(const redisReply& reply);
    // The link went away: what waits is answered unavailable (the bus thread opens the
    // watched mailboxes again once the bus is ready).
    void lost(std::string_view why);

private:
    using reply_handler = std::function<void(const redisReply*)>; // null: the link is gone
    void send(std::span<const std::string_view> args, reply_handler on_reply);
    void send(std::initializer_list<std::string_view> args, reply_handler on_reply) {
        send(std::span<const std::string_view>(args.begin(), args.size()), std::move(on_reply));
    }
    // `again`: a registration, which hands out again what is kept and not acknowledged.
    void open(std::string_view identity, const mailbox_settings& settings, bool again);
    std::string key(std::string_view what, std::string_view identity) const;

    redis_link& link_;
    std::string prefix_;
    mail_handler on_mail_;
    std::string counter_key_; // P:mail-id
    std::deque<reply_handler> waiting_;
};

} // namespace herald
