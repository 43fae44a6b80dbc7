#pragma once
// The Redis bus: events on Redis Pub/Sub channels, with hiredis 0.14 on the bus thread.

#include "bus/backoff.hpp"
#include "bus/bus.hpp"
#include "bus/bus_settings.hpp"
#include "bus/redis/channel_template.hpp"
#include "bus/redis/redis_link.hpp"
#include "bus/redis/redis_mailboxes.hpp"
#include "pubsub/routing_pattern.hpp"
#include "util/string_map.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace herald {

// A bus on Redis Pub/Sub. An event travels on the channel its exchange's template names
// (bus_settings: "{exchange}:{routing_key}" unless configured), as the body a back end writes:
// {"event":E,"payload":P,…}. So `redis-cli PUBLISH widgets:1234 '{"event":"E","payload":{}}'`
// reaches the subscribers of exchange "widgets", routing key "1234".
//
// - Two connections: one subscribes (SUBSCRIBE, PSUBSCRIBE), one publishes; Redis allows no
//   other command on a subscribed connection. Ready once both have done their handshake.
// - Direct exchanges SUBSCRIBE to each key's channel. Topic and fanout exchanges PSUBSCRIBE
//   to one pattern per exchange that covers all its channels, held while the exchange has a
//   subscribed key; each message is matched here against the exchange's keys (AMQP rules) and
//   delivered once, however many of them match.
// - Publishes asked for after a (P)SUBSCRIBE wait until Redis has confirmed it, so an event
//   this node publishes right after subscribing comes back to it.
// - Several URLs are one deployment's servers, tried in turn: on a failure the bus reports not
//   ready once, and retries the next URL after a backoff (min_backoff doubling to
//   max_backoff, with jitter), until one answers.
// - Mailboxes of identities (bus.hpp; redis_mailboxes.hpp) on a third connection.
// - Requests to back ends: XADD <stream> MAXLEN ~ 100000 * correlation_id <id> reply_to
//   <reply channel> request <json>, on the publishing connection, in order with the publishes
//   (answered once XADD is). The reply channel, herald:reply:<16 random hex digits>, is the
//   node's for the bus's life: the subscribing connection SUBSCRIBEs to it in its handshake,
//   so each connection has it before the bus reports ready, and an answer published while
//   the node is connected arrives even if its request went out on an earlier connection (one
//   published while it is away is lost: Pub/Sub keeps nothing).
//   Workers PUBLISH their answer there: a JSON object with a string "correlation_id", handed
//   to on_reply as received; any other message there goes to on_malformed.
//
// Lives on the bus thread: every call comes from it, every callback is made on it.
class redis_bus final : public bus, private redis_link::owner {
public:
    redis_bus(bus_settings settings, net::any_io_executor executor);
    ~redis_bus() override;

    void start(handlers callbacks) override;
    void stop() override;
    void publish(bus_event event, publish_done done) override;
    void subscribe(std::string_view exchange, std::string_view routing_key) override;
    void unsubscribe(std::string_view exchange, std::string_view routing_key) override;
    // Once Redis has confirmed every (P)SUBSCRIBE sent so far.
    void after_subscriptions(std::function<void()> done) override;
    bool carries_requests() const override { return true; }
    void send_request(bus_request request, publish_done done) override;
    herald::mailboxes* mailboxes() override { return &mailboxes_; }

    // The node's reply channel, "herald:reply:" and 16 hex digits, fixed when the bus is made.
    const std::string& reply_channel() const { return reply_channel_; }
    // Streams are trimmed to about this many entries (MAXLEN ~) at each request.
    static constexpr std::string_view stream_max_length = "100000";

private:
    using clock = std::chrono::steady_clock;

    // How an exchange is declared: from bus_settings, resolved once at construction.
    struct exchange_rule {
        exchange_kind kind = exchange_kind::direct;
        redis_channel_template naming;
        bool raw = false; // bodies are delivered as they came (exchange_settings::raw)
    };
    // An exchange this connection subscribes to, with its subscribed keys.
    struct exchange_state {
        const exchange_rule* rule;
        string_set keys;
    };
    // A channel (SUBSCRIBE) or pattern (PSUBSCRIBE) this connection holds at Redis, and what
    // holds it: (exchange, routing key) pairs for a channel, (exchange, "") for a pattern.
    // Several when templates map topics of different exchanges to one name.
    struct redis_name {
        std::vector<std::pair<std::string, std::string>> holders;
        // hiredis 0.14 forgets a name's callback when the reply to its UNSUBSCRIBE comes, even
        // if a SUBSCRIBE was sent meanwhile; so that SUBSCRIBE waits for the reply.
        bool unsubscribing = false;
        bool resubscribe = false;
    };
    // A publish (or a request) waiting for its PUBLISH (XADD) to be sent, held behind a
    // subscription, or answered.
    struct pending_publish {
        publish_done done; // empty when nobody waits, or once answered
        clock::time_point deadline;
        bool request = false; // XADD of a request, not PUBLISH of an event
        bool sent = false;
        bool expired = false;       // answered with a timeout: if still held, it is never sent
        std::string channel;        // until sent; a request's stream
        std::string body;           // until sent
        std::string correlation_id; // a request's, until sent
    };

    // redis_link::owner
    void on_link_ready(redis_link& link) override;
    void on_link_lost(redis_link& link, std::string reason) override;
    void on_link_reply(redis_link& link, const redisReply& reply) override;

    const exchange_rule& rule_of(std::string_view exchange) const;
    void connect();
    void fail(std::string reason);
    std::string where() const;
    void report(bool ready, std::string reason);
    void forget_subscriptions();

    void hold(bool pattern, const std::string& name, std::string_view exchange,
              std::string_view routing_key);
    void release(bool pattern, const std::string& name, std::string_view exchange,
                 std::string_view routing_key);
    void on_subscribed();
    void on_unsubscribed(bool pattern, std::string_view name);
    void on_message(std::string_view channel, std::string_view body);
    void on_pattern_message(std::string_view pattern, std::string_view channel,
                            std::string_view body);
    void on_reply_message(std::string_view body);
    bool wants(std::string_view exchange, std::string_view routing_key) const;
    void deliver(std::vector<std::pair<std::string, std::string>> topics, std::string_view body);

    // True when a publish or request can go now; else `done` has been told why (not after
    // stop: then nothing is said).
    bool admit(publish_done& done);
    void enqueue(pending_publish entry);
    bool send_publish(const pending_publish& entry);
    void send_held();
    void all_confirmed();
    void on_publish_reply(const redisReply& reply);
    void arm_publish_timer();
    void expire_publishes();
    void answer_all(std::string reason);
    // Calls each (done, reason) in turn, stopping if one of them stops the bus.
    void answer(std::vector<std::pair<publish_done, std::string>> answers);

    bus_settings settings_;
    net::any_io_executor executor_;
    std::string reply_channel_; // before subscriber_, which is given it
    string_map<exchange_rule> named_rules_;
    exchange_rule other_rule_; // "*", or a direct exchange with the default template

    handlers callbacks_;
    enum class phase { idle, connecting, ready, waiting, stopped };
    phase phase_ = phase::idle;
    enum class reported { nothing, ready, not_ready };
    reported reported_ = reported::nothing;
    std::size_t url_index_ = 0;
    backoff backoff_; // since the last ready

    redis_link subscriber_;
    redis_link publisher_;
    redis_link mailbox_link_; // the mailboxes' commands, each a script that may take a while
    redis_mailboxes mailboxes_;
    net::steady_timer connect_timer_;
    net::steady_timer retry_timer_;
    net::steady_timer publish_timer_;
    bool publish_timer_armed_ = false;
    // Timer handlers hold it weakly: one that runs after the bus is gone finds it expired.
    std::shared_ptr<int> alive_ = std::make_shared<int>(0);

    string_map<exchange_state> exchanges_;
    string_map<redis_name> channels_;
    string_map<redis_name> patterns_;
    int unconfirmed_ = 0; // (P)SUBSCRIBEs not yet confirmed: publishes wait for them
    std::vector<std::function<void()>> settling_; // after_subscriptions, until they are
    std::deque<pending_publish> publishes_; // sent ones first, then held ones, in publish order
};

} // namespace herald
