#include "bus/redis/redis_bus.hpp"

#include "bus/broker_body.hpp"
#include "bus/redis/redis_bus_factory.hpp"
#include "bus/redis/reply_message.hpp"
#include "protocol/broker_message.hpp"
#include "protocol/json_text.hpp"
#include "util/log.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <hiredis/hiredis.h>
#include <optional>

namespace herald {
namespace {

// A channel no exchange's template can be made to name by chance: 64 random bits.
std::string new_reply_channel() {
    std::random_device seed;
    std::mt19937_64 random((static_cast<std::uint64_t>(seed()) << 32) ^ seed());
    return fmt::format("herald:reply:{:016x}", random());
}

redis_channel_template template_or_fallback(const exchange_settings& e) {
    auto parsed = redis_channel_template::parse(e.channel);
    if (parsed) {
        return *parsed;
    }
    log::error("redis bus: exchange \"{}\": {}; using \"{}\"", e.name, parsed.error(),
               redis_channel_template::fallback);
    return *redis_channel_template::parse(redis_channel_template::fallback);
}

} // namespace

redis_bus::redis_bus(bus_settings settings, net::any_io_executor executor)
    : settings_(std::move(settings))
    , executor_(std::move(executor))
    , reply_channel_(new_reply_channel())
    , other_rule_{exchange_kind::direct,
                  *redis_channel_template::parse(redis_channel_template::fallback), false}
    , backoff_(settings_.min_backoff, settings_.max_backoff)
    , subscriber_(redis_link::role::subscriber, *this, executor_, reply_channel_)
    , publisher_(redis_link::role::publisher, *this, executor_)
    , mailbox_link_(redis_link::role::publisher, *this, executor_)
    , mailboxes_(mailbox_link_, settings_.mailbox_prefix,
                 [this](std::string_view identity, std::vector<mail>& bodies) {
                     if (phase_ != phase::stopped && callbacks_.on_mail) {
                         callbacks_.on_mail(identity, bodies);
                     }
                 })
    , connect_timer_(executor_)
    , retry_timer_(executor_)
    , publish_timer_(executor_) {
    // Each template is parsed once, here, not on every publish.
    for (const auto& e : settings_.exchanges) {
        exchange_rule rule{e.kind, template_or_fallback(e), e.raw};
        if (e.name == "*") {
            other_rule_ = std::move(rule);
        } else {
            named_rules_.emplace(e.name, std::move(rule));
        }
    }
}

redis_bus::~redis_bus() {
    stop();
}

const redis_bus::exchange_rule& redis_bus::rule_of(std::string_view exchange) const {
    const auto it = named_rules_.find(exchange);
    return it == named_rules_.end() ? other_rule_ : it->second;
}

// ---------------------------------------------------------------------------------------------
// Connecting, readiness, reconnecting

void redis_bus::start(handlers callbacks) {
    if (phase_ != phase::idle) {
        return;
    }
    callbacks_ = std::move(callbacks);
    connect();
}

void redis_bus::stop() {
    if (phase_ == phase::stopped) {
        return;
    }
    // The callbacks are kept, not cleared: stop may be called from inside one of them.
    phase_ = phase::stopped;
    subscriber_.close();
    publisher_.close();
    mailbox_link_.close();
    mailboxes_.lost("stopped");
    connect_timer_.cancel();
    retry_timer_.cancel();
    publish_timer_.cancel();
    publishes_.clear(); // never answered: no callback after stop
    forget_subscriptions();
}

std::string redis_bus::where() const {
    return settings_.urls.empty() ? std::string("redis")
                                  : "redis at " + masked_url(settings_.urls[url_index_]);
}

void redis_bus::connect() {
    phase_ = phase::connecting;
    if (settings_.urls.empty()) {
        fail("no URL");
        return;
    }
    const auto url = parse_redis_url(settings_.urls[url_index_]);
    if (!url) {
        fail("bad URL: " + url.error());
        return;
    }
    for (auto* link : {&subscriber_, &publisher_, &mailbox_link_}) {
        if (auto why = link->open(*url)) {
            fail(std::move(*why));
            return;
        }
    }
    // hiredis 0.14 has no connect timeout of its own; this one also covers the handshake.
    connect_timer_.expires_after(settings_.connect_timeout);
    connect_timer_.async_wait([this, alive = std::weak_ptr<int>(alive_)](const error_code& ec) {
        if (ec || alive.expired() || phase_ != phase::connecting) {
            return;
        }
        fail(fmt::format("no connection within {} ms", settings_.connect_timeout.count()));
    });
}

void redis_bus::on_link_ready(redis_link&) {
    if (phase_ != phase::connecting || !subscriber_.is_ready() || !publisher_.is_ready() ||
        !mailbox_link_.is_ready()) {
        return;
    }
    connect_timer_.cancel();
    phase_ = phase::ready;
    backoff_.reset();
    log::info("redis bus: connected to {}", where());
    report(true, {});
}

void redis_bus::on_link_lost(redis_link&, std::string reason) {
    fail(std::move(reason));
}

void redis_bus::fail(std::string reason) {
    if (phase_ == phase::stopped || phase_ == phase::waiting) {
        return; // the second link's loss after the first's: one failure
    }
    subscriber_.close();
    publisher_.close();
    mailbox_link_.close();
    mailboxes_.lost(reason);
    connect_timer_.cancel();
    forget_subscriptions();
    const std::string why = where() + ": " + reason;
    phase_ = phase::waiting;

    // Next time the next server: a deployment's URLs are tried in turn.
    url_index_ = settings_.urls.empty() ? 0 : (url_index_ + 1) % settings_.urls.size();
    const auto delay = backoff_.next();
    retry_timer_.expires_after(delay);
    retry_timer_.async_wait([this, alive = std::weak_ptr<int>(alive_)](const error_code& ec) {
        if (ec || alive.expired() || phase_ != phase::waiting) {
            return;
        }
        connect();
    });

    if (reported_ != reported::not_ready) {
        // One line per change of state, not one per retry.
        log::warn("redis bus: {}; retrying", why);
    } else {
        log::debug("redis bus: {}; retrying in {} ms", why, delay.count());
    }
    answer_all(why);
    if (phase_ == phase::stopped) {
        return;
    }
    if (reported_ != reported::not_ready) {
        report(false, why);
    }
}

void redis_bus::report(bool ready, std::string reason) {
    reported_ = ready ? reported::ready : reported::not_ready;
    if (callbacks_.on_readiness) {
        callbacks_.on_readiness(ready, std::move(reason));
    }
}

void redis_bus::forget_subscriptions() {
    // Redis forgets a connection's subscriptions with it, and so does the bus: the bus thread
    // subscribes every wanted topic again once the bus is ready.
    exchanges_.clear();
    channels_.clear();
    patterns_.clear();
    unconfirmed_ = 0;
    settling_.clear(); // never called: the next ready asks again
}

void redis_bus::after_subscriptions(std::function<void()> done) {
    if (phase_ != phase::ready) {
        return;
    }
    if (unconfirmed_ == 0) {
        done();
        return;
    }
    settling_.push_back(std::move(done));
}

// Every (P)SUBSCRIBE sent is confirmed: what waited for that goes now.
void redis_bus::all_confirmed() {
    send_held();
    if (phase_ != phase::ready) {
        return; // an answer stopped the bus, or the connection went
    }
    for (auto& done : std::exchange(settling_, {})) {
        done();
    }
}

// ---------------------------------------------------------------------------------------------
// Subscriptions

void redis_bus::subscribe(std::string_view exchange, std::string_view routing_key) {
    if (phase_ != phase::ready) {
        return; // the bus thread subscribes everything again when the bus is ready
    }
    auto it = exchanges_.find(exchange);
    if (it == exchanges_.end()) {
        it =
            exchanges_.emplace(std::string(exchange), exchange_state{&rule_of(exchange), {}}).first;
    }
    auto& state = it->second;
    if (state.keys.contains(routing_key)) {
        return;
    }
    state.keys.emplace(routing_key);
    const auto& rule = *state.rule;
    if (rule.kind == exchange_kind::direct) {
        hold(false, rule.naming.channel(exchange, routing_key), exchange, routing_key);
    } else if (state.keys.size() == 1) {
        hold(true, rule.naming.pattern(exchange), exchange, {});
    }
}

void redis_bus::unsubscribe(std::string_view exchange, std::string_view routing_key) {
    if (phase_ != phase::ready) {
        return;
    }
    const auto it = exchanges_.find(exchange);
    if (it == exchanges_.end()) {
        return;
    }
    auto& state = it->second;
    const auto key = state.keys.find(routing_key);
    if (key == state.keys.end()) {
        return;
    }
    state.keys.erase(key);
    const auto& rule = *state.rule;
    const bool last = state.keys.empty();
    if (last) {
        exchanges_.erase(it);
    }
    if (rule.kind == exchange_kind::direct) {
        release(false, rule.naming.channel(exchange, routing_key), exchange, routing_key);
    } else if (last) {
        release(true, rule.naming.pattern(exchange), exchange, {});
    }
}

void redis_bus::hold(bool pattern, const std::string& name, std::string_view exchange,
                     std::string_view routing_key) {
    auto& names = pattern ? patterns_ : channels_;
    auto& entry = names[name];
    entry.holders.emplace_back(exchange, routing_key);
    if (entry.holders.size() > 1) {
        return; // Redis has it already
    }
    ++unconfirmed_;
    if (entry.unsubscribing) {
        entry.resubscribe = true;
    } else {
        subscriber_.send({pattern ? "PSUBSCRIBE" : "SUBSCRIBE", name});
    }
}

void redis_bus::release(bool pattern, const std::string& name, std::string_view exchange,
                        std::string_view routing_key) {
    auto& names = pattern ? patterns_ : channels_;
    const auto it = names.find(name);
    if (it == names.end()) {
        return;
    }
    auto& holders = it->second.holders;
    const auto holder = std::find_if(holders.begin(), holders.end(), [&](const auto& h) {
        return h.first == exchange && h.second == routing_key;
    });
    if (holder == holders.end()) {
        return;
    }
    holders.erase(holder);
    if (!holders.empty()) {
        return;
    }
    if (it->second.resubscribe) {
        // Wanted again and dropped again while the UNSUBSCRIBE travels: nothing to send.
        it->second.resubscribe = false;
        --unconfirmed_;
        if (unconfirmed_ == 0) {
            all_confirmed();
        }
        return;
    }
    // Messages already on their way find no holder and are dropped: the unsubscribe takes
    // effect here at once.
    it->second.unsubscribing = true;
    subscriber_.send({pattern ? "PUNSUBSCRIBE" : "UNSUBSCRIBE", name});
}

void redis_bus::on_subscribed() {
    if (unconfirmed_ > 0 && --unconfirmed_ == 0) {
        all_confirmed();
    }
}

void redis_bus::on_unsubscribed(bool pattern, std::string_view name) {
    auto& names = pattern ? patterns_ : channels_;
    const auto it = names.find(name);
    if (it == names.end()) {
        return;
    }
    auto& entry = it->second;
    entry.unsubscribing = false;
    if (entry.resubscribe) {
        entry.resubscribe = false;
        subscriber_.send({pattern ? "PSUBSCRIBE" : "SUBSCRIBE", name});
    } else if (entry.holders.empty()) {
        names.erase(it);
    }
}

// ---------------------------------------------------------------------------------------------
// Receiving

void redis_bus::on_link_reply(redis_link& link, const redisReply& reply) {
    if (&link == &publisher_) {
        on_publish_reply(reply);
        return;
    }
    if (&link == &mailbox_link_) {
        mailboxes_.on_reply(reply);
        return;
    }
    // A subscriber gets arrays: [kind, channel or pattern, …].
    if (reply.type != REDIS_REPLY_ARRAY || reply.elements < 3) {
        return;
    }
    for (std::size_t i = 0; i < reply.elements; ++i) {
        if (reply.element[i]->type != REDIS_REPLY_STRING &&
            reply.element[i]->type != REDIS_REPLY_INTEGER) {
            return;
        }
    }
    const auto kind = text_of(*reply.element[0]);
    const auto name = text_of(*reply.element[1]);
    if (kind == "message" && name == reply_channel_) {
        on_reply_message(text_of(*reply.element[2]));
    } else if (kind == "message") {
        on_message(name, text_of(*reply.element[2]));
    } else if (kind == "pmessage" && reply.elements >= 4) {
        on_pattern_message(name, text_of(*reply.element[2]), text_of(*reply.element[3]));
    } else if (kind == "subscribe" || kind == "psubscribe") {
        on_subscribed();
    } else if (kind == "unsubscribe" || kind == "punsubscribe") {
        on_unsubscribed(kind == "punsubscribe", name);
    }
}

void redis_bus::on_message(std::string_view channel, std::string_view body) {
    const auto it = channels_.find(channel);
    if (it == channels_.end() || it->second.holders.empty()) {
        return; // unsubscribed while it travelled
    }
    // A copy: a callback may unsubscribe, which changes the holders.
    deliver(it->second.holders, body);
}

void redis_bus::on_pattern_message(std::string_view pattern, std::string_view channel,
                                   std::string_view body) {
    const auto it = patterns_.find(pattern);
    if (it == patterns_.end()) {
        return;
    }
    std::vector<std::pair<std::string, std::string>> topics;
    for (const auto& holder : it->second.holders) {
        const auto& exchange = holder.first;
        // The pattern covers the exchange's channels and maybe more: the name must parse back.
        auto routing_key = rule_of(exchange).naming.routing_key(exchange, channel);
        if (routing_key) {
            topics.emplace_back(exchange, std::move(*routing_key));
        }
    }
    deliver(std::move(topics), body);
}

void redis_bus::on_reply_message(std::string_view body) {
    // Before ready too (the reply channel is confirmed before the publishing connection is
    // ready): an answer to a request of an earlier connection.
    if (phase_ == phase::stopped) {
        return;
    }
    const auto correlation_id = reply_correlation_id(body);
    if (!correlation_id) {
        if (callbacks_.on_malformed) {
            callbacks_.on_malformed(reply_channel_, correlation_id.error());
        }
        return;
    }
    if (callbacks_.on_reply) {
        callbacks_.on_reply(*correlation_id, body);
    }
}

bool redis_bus::wants(std::string_view exchange, std::string_view routing_key) const {
    const auto it = exchanges_.find(exchange);
    if (it == exchanges_.end()) {
        return false;
    }
    const auto& state = it->second;
    if (state.keys.contains(routing_key)) {
        return true;
    }
    const auto kind = state.rule->kind;
    return kind != exchange_kind::direct &&
           std::any_of(state.keys.begin(), state.keys.end(), [&](const std::string& key) {
               return routing_key_matches(kind, key, routing_key);
           });
}

void redis_bus::deliver(std::vector<std::pair<std::string, std::string>> topics,
                        std::string_view body) {
    std::optional<broker_message_result> message; // parsed once, for the first topic that wants it
    for (const auto& [exchange, routing_key] : topics) {
        // Checked for each topic just before its callback: an earlier callback may have
        // unsubscribed it, or stopped the bus.
        if (phase_ != phase::ready || !wants(exchange, routing_key)) {
            continue;
        }
        if (rule_of(exchange).raw) {
            if (callbacks_.on_event) {
                callbacks_.on_event(bus_event{exchange, routing_key, {}, std::string(body), {}});
            }
            continue;
        }
        if (!message) {
            message = parse_broker_message(body);
        }
        if (!*message) {
            if (callbacks_.on_malformed) {
                callbacks_.on_malformed(exchange, message->error());
            }
            continue;
        }
        const auto& m = **message;
        if (callbacks_.on_event) {
            callbacks_.on_event(bus_event{exchange, routing_key, m.event, m.payload, m.extra});
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Publishing

bool redis_bus::admit(publish_done& done) {
    if (phase_ == phase::stopped) {
        return false;
    }
    if (phase_ != phase::ready) {
        if (done) {
            done(where() + ": not connected");
        }
        return false;
    }
    return true;
}

void redis_bus::publish(bus_event event, publish_done done) {
    if (!admit(done)) {
        return;
    }
    pending_publish entry;
    entry.done = std::move(done);
    entry.channel = rule_of(event.exchange).naming.channel(event.exchange, event.routing_key);
    entry.body = broker_body(event);
    enqueue(std::move(entry));
}

void redis_bus::send_request(bus_request request, publish_done done) {
    if (!admit(done)) {
        return;
    }
    if (request.destination.empty()) {
        if (done) {
            done("a request needs a stream to go to");
        }
        return;
    }
    pending_publish entry;
    entry.done = std::move(done);
    entry.request = true;
    entry.channel = std::move(request.destination);
    entry.body = std::move(request.body);
    entry.correlation_id = std::move(request.correlation_id);
    enqueue(std::move(entry));
}

void redis_bus::enqueue(pending_publish entry) {
    entry.deadline = clock::now() + settings_.publish_timeout;
    // After a subscription Redis has not confirmed, held until it has (send_held); and since
    // replies come in the order the commands went, nothing overtakes one held already.
    const bool held = unconfirmed_ > 0 || (!publishes_.empty() && !publishes_.back().sent);
    if (!held) {
        if (!send_publish(entry)) {
            if (entry.done) {
                entry.done(where() + ": the connection is closing");
            }
            return;
        }
        entry.sent = true;
        entry.channel = std::string();
        entry.body = std::string();
        entry.correlation_id = std::string();
    }
    publishes_.push_back(std::move(entry));
    arm_publish_timer();
}

bool redis_bus::send_publish(const pending_publish& entry) {
    if (!entry.request) {
        return publisher_.send({"PUBLISH", entry.channel, entry.body});
    }
    return publisher_.send({"XADD", entry.channel, "MAXLEN", "~", stream_max_length, "*",
                            "correlation_id", entry.correlation_id, "reply_to", reply_channel_,
                            "request", entry.body});
}

void redis_bus::send_held() {
    const auto first_held = std::find_if(publishes_.begin(), publishes_.end(),
                                         [](const pending_publish& p) { return !p.sent; });
    std::vector<std::pair<publish_done, std::string>> refused;
    for (auto it = first_held; it != publishes_.end(); ++it) {
        if (it->expired) {
            continue; // its caller was told it failed: sending it now could make a duplicate
        }
        if (!send_publish(*it)) {
            refused.emplace_back(std::move(it->done), where() + ": the connection is closing");
            continue;
        }
        it->sent = true;
        it->channel = std::string();
        it->body = std::string();
        it->correlation_id = std::string();
    }
    // What was not sent (expired, refused) has no reply to wait for.
    publishes_.erase(std::remove_if(first_held, publishes_.end(),
                                    [](const pending_publish& p) { return !p.sent; }),
                     publishes_.end());
    answer(std::move(refused));
}

void redis_bus::on_publish_reply(const redisReply& reply) {
    if (publishes_.empty() || !publishes_.front().sent) {
        return; // cannot happen: PUBLISH replies come in order, one per PUBLISH sent
    }
    auto done = std::move(publishes_.front().done);
    const bool request = publishes_.front().request;
    publishes_.pop_front();
    if (!done) {
        return; // nobody waits, or it timed out
    }
    if (reply.type == REDIS_REPLY_ERROR) {
        done(fmt::format("{}: {} failed: {}", where(), request ? "XADD" : "PUBLISH",
                         text_of(reply)));
    } else {
        done({}); // PUBLISH: how many subscribers got it; XADD: the entry's id
    }
}

void redis_bus::arm_publish_timer() {
    if (publish_timer_armed_) {
        return;
    }
    // Deadlines grow along the queue: the first one waited for comes first.
    const auto next = std::find_if(publishes_.begin(), publishes_.end(),
                                   [](const pending_publish& p) { return p.done != nullptr; });
    if (next == publishes_.end()) {
        return;
    }
    publish_timer_armed_ = true;
    publish_timer_.expires_at(next->deadline);
    publish_timer_.async_wait([this, alive = std::weak_ptr<int>(alive_)](const error_code& ec) {
        if (alive.expired()) {
            return;
        }
        publish_timer_armed_ = false;
        // Not ready: fail() has answered every publish, and the next publish arms it again.
        if (ec || phase_ != phase::ready) {
            return;
        }
        expire_publishes();
    });
}

void redis_bus::expire_publishes() {
    const auto now = clock::now();
    std::vector<std::pair<publish_done, std::string>> expired;
    for (auto& p : publishes_) {
        if (!p.done) {
            continue;
        }
        if (p.deadline > now) {
            break;
        }
        // It stays in the queue: a sent one's late reply must find its place.
        p.expired = true;
        expired.emplace_back(std::move(p.done), fmt::format("{}: no answer to {} within {} ms",
                                                            where(), p.request ? "XADD" : "PUBLISH",
                                                            settings_.publish_timeout.count()));
        p.done = nullptr;
    }
    answer(std::move(expired));
    if (phase_ == phase::ready) {
        arm_publish_timer();
    }
}

void redis_bus::answer_all(std::string reason) {
    auto pending = std::move(publishes_);
    publishes_.clear();
    std::vector<std::pair<publish_done, std::string>> answers;
    for (auto& p : pending) {
        if (p.done) {
            answers.emplace_back(std::move(p.done), reason);
        }
    }
    answer(std::move(answers));
}

void redis_bus::answer(std::vector<std::pair<publish_done, std::string>> answers) {
    for (auto& [done, reason] : answers) {
        if (phase_ == phase::stopped) {
            return; // stopped from inside an earlier one: no callback after stop
        }
        if (done) {
            done(reason);
        }
    }
}

bus_factory redis_bus_factory(const bus_settings& settings) {
    return [settings](net::any_io_executor executor) -> std::unique_ptr<bus> {
        return std::make_unique<redis_bus>(settings, std::move(executor));
    };
}

} // namespace herald
