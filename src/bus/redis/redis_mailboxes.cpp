#include "bus/redis/redis_mailboxes.hpp"

#include "util/log.hpp"

#include <fmt/format.h>
#include <hiredis/hiredis.h>

namespace herald {
namespace {

// KEYS: the identity's hash, its mail list, its kept mail (acknowledge mode), the id counter.
// ARGV: lifetime, max_messages, max_bytes, acknowledge (1 or 0), again (1: a registration,
// which hands out again whatever is kept and not acknowledged; 0: only what is new).
// Registers (a lapsed identity starts with an empty mailbox) and takes the mail: a flat array
// of id, body, id, body… (the id empty where the mail is not kept).
// Without acknowledge, the list and the kept mail (from an earlier registration with it) are
// taken and deleted. With it, listed mail moves to the kept set under new ids first, and what
// lies past the cursor (the hash's field `cursor`, the last id handed out) is taken and stays.
constexpr std::string_view open_script = R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('DEL', KEYS[2], KEYS[3]) end
redis.call('HSET', KEYS[1], 'lifetime', ARGV[1], 'max_messages', ARGV[2], 'max_bytes', ARGV[3],
           'acknowledge', ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[1])
local out = {}
if ARGV[4] == '0' then
  for _, m in ipairs(redis.call('ZRANGE', KEYS[3], 0, -1)) do
    local at = string.find(m, ' ', 1, true)
    out[#out + 1] = ''
    out[#out + 1] = string.sub(m, at + 1)
  end
  for _, m in ipairs(redis.call('LRANGE', KEYS[2], 0, -1)) do
    out[#out + 1] = ''
    out[#out + 1] = m
  end
  redis.call('DEL', KEYS[2], KEYS[3])
  redis.call('HSET', KEYS[1], 'bytes', 0, 'cursor', 0)
  return out
end
for _, m in ipairs(redis.call('LRANGE', KEYS[2], 0, -1)) do
  local id = redis.call('INCR', KEYS[4])
  redis.call('ZADD', KEYS[3], id, id .. ' ' .. m)
end
redis.call('DEL', KEYS[2])
if redis.call('EXISTS', KEYS[3]) == 1 then redis.call('EXPIRE', KEYS[3], ARGV[1]) end
local cursor = 0
if ARGV[5] == '0' then cursor = tonumber(redis.call('HGET', KEYS[1], 'cursor') or 0) end
local last = cursor
for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], '(' .. cursor, '+inf')) do
  local at = string.find(m, ' ', 1, true)
  last = string.sub(m, 1, at - 1)
  out[#out + 1] = last
  out[#out + 1] = string.sub(m, at + 1)
end
redis.call('HSET', KEYS[1], 'cursor', last)
return out
)lua";

// KEYS: the hash, the list, the kept mail, the id counter. ARGV: the message. -1: no such
// identity; 0: full; 1: stored. In acknowledge mode the message is kept under a new id.
constexpr std::string_view notify_script = R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local h = redis.call('HMGET', KEYS[1], 'max_messages', 'max_bytes', 'bytes', 'acknowledge')
local count = redis.call('LLEN', KEYS[2]) + redis.call('ZCARD', KEYS[3])
if count + 1 > tonumber(h[1]) or tonumber(h[3] or 0) + #ARGV[1] > tonumber(h[2]) then
  return 0
end
local into = KEYS[2]
if h[4] == '1' then
  local id = redis.call('INCR', KEYS[4])
  redis.call('ZADD', KEYS[3], id, id .. ' ' .. ARGV[1])
  into = KEYS[3]
else
  redis.call('RPUSH', KEYS[2], ARGV[1])
end
redis.call('HINCRBY', KEYS[1], 'bytes', #ARGV[1])
local ttl = redis.call('TTL', KEYS[1])
if ttl > 0 then redis.call('EXPIRE', into, ttl) end
return 1
)lua";

// KEYS: pairs of an identity's hash and its kept mail. ARGV: the ids. Returns the ids removed:
// those kept for one of the identities.
constexpr std::string_view acknowledge_script = R"lua(
local removed = {}
for _, id in ipairs(ARGV) do
  if string.match(id, '^[1-9][0-9]*$') and #id <= 15 then
    for i = 1, #KEYS, 2 do
      local found = redis.call('ZRANGEBYSCORE', KEYS[i + 1], id, id)
      if #found == 1 then
        redis.call('ZREMRANGEBYSCORE', KEYS[i + 1], id, id)
        local body = #found[1] - #id - 1
        if redis.call('EXISTS', KEYS[i]) == 1 then redis.call('HINCRBY', KEYS[i], 'bytes', -body) end
        removed[#removed + 1] = id
        break
      end
    end
  end
end
return removed
)lua";

// The open script's flat array of id, body, id, body…
std::vector<mail> mail_of(const redisReply* reply) {
    std::vector<mail> taken;
    if (reply != nullptr && reply->type == REDIS_REPLY_ARRAY) {
        for (std::size_t i = 0; i + 1 < reply->elements; i += 2) {
            taken.push_back({std::string(text_of(*reply->element[i])),
                             std::string(text_of(*reply->element[i + 1]))});
        }
    }
    return taken;
}

std::vector<std::string> texts_of(const redisReply* reply) {
    std::vector<std::string> texts;
    if (reply != nullptr && reply->type == REDIS_REPLY_ARRAY) {
        for (std::size_t i = 0; i < reply->elements; ++i) {
            texts.emplace_back(text_of(*reply->element[i]));
        }
    }
    return texts;
}

} // namespace

redis_mailboxes::redis_mailboxes(redis_link& link, std::string prefix, mail_handler on_mail)
    : link_(link)
    , prefix_(std::move(prefix))
    , on_mail_(std::move(on_mail))
    , counter_key_(prefix_ + ":mail-id") {}

std::string redis_mailboxes::key(std::string_view what, std::string_view identity) const {
    return fmt::format("{}:{}:{}", prefix_, what, identity);
}

void redis_mailboxes::send(std::span<const std::string_view> args, reply_handler on_reply) {
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
    open(identity, settings, true);
}

void redis_mailboxes::take_mail(std::string_view identity, const mailbox_settings& settings) {
    open(identity, settings, false);
}

void redis_mailboxes::open(std::string_view identity, const mailbox_settings& settings,
                           bool again) {
    const auto lifetime = std::to_string(settings.lifetime.count());
    send({"EVAL", open_script, "4", key("identity", identity), key("mail", identity),
          key("kept", identity), counter_key_, lifetime, std::to_string(settings.max_messages),
          std::to_string(settings.max_bytes), settings.acknowledge ? "1" : "0", again ? "1" : "0"},
         [this, name = std::string(identity)](const redisReply* reply) {
             if (reply == nullptr || reply->type == REDIS_REPLY_ERROR) {
                 log::error("redis mailboxes: cannot register \"{}\": {}", name,
                            reply ? text_of(*reply) : "the connection is gone");
                 return;
             }
             auto taken = mail_of(reply);
             if (!taken.empty()) {
                 on_mail_(name, taken);
             }
         });
}

// KEYS: the hash, the list, the kept mail. The identity's last session on a node left: its
// life starts again, and what it was handed and did not acknowledge is due again.
constexpr std::string_view close_script = R"lua(
local lifetime = redis.call('HGET', KEYS[1], 'lifetime')
if lifetime then
  redis.call('EXPIRE', KEYS[1], lifetime)
  redis.call('HSET', KEYS[1], 'cursor', 0)
  if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('EXPIRE', KEYS[2], lifetime) end
  if redis.call('EXISTS', KEYS[3]) == 1 then redis.call('EXPIRE', KEYS[3], lifetime) end
end
return 1
)lua";

void redis_mailboxes::close_mailbox(std::string_view identity) {
    send({"EVAL", close_script, "3", key("identity", identity), key("mail", identity),
          key("kept", identity)},
         [](const redisReply*) {});
}

void redis_mailboxes::acknowledge(const std::vector<std::string>& identities,
                                  const std::vector<std::string>& ids, acknowledge_done done) {
    std::vector<std::string> keys;
    for (const auto& identity : identities) {
        keys.push_back(key("identity", identity));
        keys.push_back(key("kept", identity));
    }
    std::vector<std::string_view> args{"EVAL", acknowledge_script};
    const auto key_count = std::to_string(keys.size());
    args.emplace_back(key_count);
    args.insert(args.end(), keys.begin(), keys.end());
    args.insert(args.end(), ids.begin(), ids.end());
    send(args, [done = std::move(done)](const redisReply* reply) {
        if (reply == nullptr || reply->type == REDIS_REPLY_ERROR) {
            log::error("redis mailboxes: cannot remove acknowledged mail: {}",
                       reply ? text_of(*reply) : "the connection is gone");
        }
        done(texts_of(reply));
    });
}

void redis_mailboxes::notify(std::string_view identity, std::string body, notify_done done) {
    send({"EVAL", notify_script, "4", key("identity", identity), key("mail", identity),
          key("kept", identity), counter_key_, body},
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
