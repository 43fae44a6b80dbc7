#include "bus/redis/redis_mailboxes.hpp"

#include "util/log.hpp"

#include <fmt/format.h>
#include <hiredis/hiredis.h>

namespace herald {
namespace {

// KEYS: the identity's hash, its mail list. ARGV: lifetime, max_messages, max_bytes.
// Registers (a lapsed identity starts with an empty mailbox) and takes the mail.
constexpr std::string_view open_script = R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('DEL', KEYS[2]) end
redis.call('HSET', KEYS[1], 'lifetime', ARGV[1], 'max_messages', ARGV[2], 'max_bytes', ARGV[3])
local mail = redis.call('LRANGE', KEYS[2], 0, -1)
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[1], 'bytes', 0)
redis.call('EXPIRE', KEYS[1], ARGV[1])
return mail
)lua";

// KEYS: the hash, the list. ARGV: the message. -1: no such identity; 0: full; 1: stored.
constexpr std::string_view notify_script = R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local h = redis.call('HMGET', KEYS[1], 'max_messages', 'max_bytes', 'bytes')
if redis.call('LLEN', KEYS[2]) + 1 > tonumber(h[1]) or
   tonumber(h[3] or 0) + #ARGV[1] > tonumber(h[2]) then return 0 end
redis.call('RPUSH', KEYS[2], ARGV[1])
redis.call('HINCRBY', KEYS[1], 'bytes', #ARGV[1])
local ttl = redis.call('TTL', KEYS[1])
if ttl > 0 then redis.call('EXPIRE', KEYS[2], ttl) end
return 1
)lua";

std::vector<std::string> bodies_of(const redisReply* reply) {
    std::vector<std::string> bodies;
    if (reply != nullptr && reply->type == REDIS_REPLY_ARRAY) {
        for (std::size_t i = 0; i < reply->elements; ++i) {
            bodies.emplace_back(text_of(*reply->element[i]));
        }
    }
    return bodies;
}

} // namespace

redis_mailboxes::redis_mailboxes(redis_link& link, std::string prefix, mail_handler on_mail)
    : link_(link)
    , prefix_(std::move(prefix))
    , on_mail_(std::move(on_mail)) {}

std::string redis_mailboxes::key(std::string_view what, std::string_view identity) const {
    return fmt::format("{}:{}:{}", prefix_, what, identity);
}

void redis_mailboxes::send(std::initializer_list<std::string_view> args, reply_handler on_reply) {
    if (!link_.is_ready() || !link_.send(args)) {
        on_reply(nullptr);
        return;
    }
    waiting_.push_back(std::move(on_reply));
}

void redis_mailboxes::on_reply(const redisReply& reply) {
    if (waiting_.empty()) {
        return;
    }
    auto handler = std::move(waiting_.front());
    waiting_.pop_front();
    handler(&reply);
}

void redis_mailboxes::lost(std::string_view why) {
    auto waiting = std::exchange(waiting_, {});
    for (auto& handler : waiting) {
        handler(nullptr);
    }
    (void)why;
}

void redis_mailboxes::open_mailbox(std::string_view identity, const mailbox_settings& settings) {
    const auto lifetime = std::to_string(settings.lifetime.count());
    const auto hash = key("identity", identity);
    const auto list = key("mail", identity);
    send({"EVAL", open_script, "2", hash, list, lifetime, std::to_string(settings.max_messages),
          std::to_string(settings.max_bytes)},
         [this, name = std::string(identity)](const redisReply* reply) {
             if (reply == nullptr || reply->type == REDIS_REPLY_ERROR) {
                 log::error("redis mailboxes: cannot register \"{}\": {}", name,
                            reply ? text_of(*reply) : "the connection is gone");
                 return;
             }
             auto bodies = bodies_of(reply);
             if (!bodies.empty()) {
                 on_mail_(name, bodies);
             }
         });
}

// KEYS: the hash, the list. The identity's last session on a node left: its life starts again.
constexpr std::string_view close_script = R"lua(
local lifetime = redis.call('HGET', KEYS[1], 'lifetime')
if lifetime then
  redis.call('EXPIRE', KEYS[1], lifetime)
  if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('EXPIRE', KEYS[2], lifetime) end
end
return 1
)lua";

void redis_mailboxes::close_mailbox(std::string_view identity) {
    send({"EVAL", close_script, "2", key("identity", identity), key("mail", identity)},
         [](const redisReply*) {});
}

void redis_mailboxes::notify(std::string_view identity, std::string body, notify_done done) {
    send({"EVAL", notify_script, "2", key("identity", identity), key("mail", identity), body},
         [done = std::move(done)](const redisReply* reply) {
             if (reply == nullptr) {
                 done(notify_result::unavailable, "the connection to Redis is gone");
             } else if (reply->type != REDIS_REPLY_INTEGER) {
                 done(notify_result::unavailable, text_of(*reply));
             } else if (reply->integer < 0) {
                 done(notify_result::unknown_identity,
                      "no such identity, or its lifetime has passed");
             } else if (reply->integer == 0) {
                 done(notify_result::full, "the identity's mailbox is full");
             } else {
                 done(notify_result::stored, {});
             }
         });
}

} // namespace herald
