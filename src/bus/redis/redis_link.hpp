#pragma once
// One hiredis async connection to one Redis server, through its handshake.

#include "bus/redis/redis_url.hpp"
#include "util/net.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>

struct redisAsyncContext;
struct redisReply;

namespace herald {

// A string or status reply's text (empty for other kinds).
std::string_view text_of(const redisReply& reply);

// A connection to Redis and its handshake: AUTH and SELECT when the URL asks for them, then a
// PING (which an AUTH-protected server refuses when no password was given), and, on a
// subscriber, a SUBSCRIBE to an anchor channel of its own and, when the owner names one, a
// SUBSCRIBE to the owner's own channel (the node's reply channel), held as long as the
// connection lives: ready means both are confirmed, so nothing sent to the own channel after
// ready is missed. Messages on the own channel go to the owner's on_link_reply like any other.
//
// The anchor keeps the connection in subscribed mode for as long as it lives. hiredis 0.14
// leaves that mode when an unsubscribe reply counts zero subscriptions, even with another
// SUBSCRIBE already on its way; the reply to that SUBSCRIBE then trips an assertion. With the
// anchor the count never reaches zero.
//
// Lives on the bus thread, as a member of the bus, which outlives it. Every callback to the
// owner runs on that thread; a callback may close this link or the other one, and may send.
class redis_link {
public:
    enum class role { publisher, subscriber };

    class owner {
    public:
        // The handshake is done: commands can be sent.
        virtual void on_link_ready(redis_link& link) = 0;
        // The connection failed or went away (after ready or before). The link is closed.
        virtual void on_link_lost(redis_link& link, std::string reason) = 0;
        // A publisher: the reply to a command sent with send(), in order. A subscriber: a
        // pushed message or a (un)subscribe confirmation.
        virtual void on_link_reply(redis_link& link, const redisReply& reply) = 0;

    protected:
        ~owner() = default;
    };

    // `own_channel`: a subscriber's channel of the owner's, subscribed in every handshake
    // (none when empty).
    redis_link(role r, owner& o, net::any_io_executor executor, std::string own_channel = {})
        : role_(r)
        , owner_(o)
        , executor_(std::move(executor))
        , own_channel_(std::move(own_channel)) {}
    ~redis_link() { close(); }
    redis_link(const redis_link&) = delete;
    redis_link& operator=(const redis_link&) = delete;

    // Begins connecting (hiredis resolves a host name here, blocking). Returns why it could
    // not begin, or nothing; the outcome comes later, to the owner.
    std::optional<std::string> open(const redis_url& url);
    // Closes the connection; the owner hears nothing more from it. Safe from inside any of
    // this link's callbacks, and when already closed.
    void close();
    bool is_open() const { return context_ != nullptr; }
    bool is_ready() const { return context_ != nullptr && handshake_left_ == 0; }

    // Queues a command (binary-safe arguments, at most max_args). False when hiredis refuses
    // it, which it does only while the connection is going away: on_link_lost follows.
    // Commands of up to few_args arguments (all but a mailbox acknowledgement) build their
    // argument arrays on the stack.
    static constexpr std::size_t few_args = 12;
    static constexpr std::size_t max_args = 256;
    bool send(std::initializer_list<std::string_view> args);
    bool send(std::span<const std::string_view> args);

private:
    static void on_connect(const redisAsyncContext* context, int status);
    static void on_disconnect(const redisAsyncContext* context, int status);
    static void on_handshake_reply(redisAsyncContext* context, void* reply, void* step);
    static void on_reply(redisAsyncContext* context, void* reply, void* unused);
    static redis_link* of(const redisAsyncContext* context);

    bool send_with(void (*callback)(redisAsyncContext*, void*, void*), void* privdata,
                   std::span<const std::string_view> args);
    // hiredis frees the context itself after telling us it is gone: only forget it.
    void forget();
    void lose(std::string reason);

    role role_;
    owner& owner_;
    net::any_io_executor executor_;
    redisAsyncContext* context_ = nullptr;
    int handshake_left_ = 0; // replies the handshake still waits for
    std::string anchor_;
    std::string own_channel_;
};

} // namespace herald
