#include "bus/redis/redis_link.hpp"

#include "bus/redis/asio_adapter.hpp"

#include <array>
#include <cstdint>
#include <fmt/format.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <random>
#include <vector>

namespace herald {
namespace {

// The handshake's steps, carried as the privdata of their commands.
enum class step : std::uintptr_t { auth, select, ping, anchor, own_channel };

void* as_privdata(step s) {
    return reinterpret_cast<void*>(static_cast<std::uintptr_t>(s));
}

std::string_view step_name(step s) {
    switch (s) {
    case step::auth:
        return "AUTH";
    case step::select:
        return "SELECT";
    case step::ping:
        return "PING";
    case step::anchor:
    case step::own_channel:
        return "SUBSCRIBE";
    }
    return "a command";
}

std::string anchor_name() {
    // Unique per connection, so no channel of an exchange can be mistaken for it.
    static thread_local std::mt19937_64 random{std::random_device{}()};
    return fmt::format("herald:anchor:{:016x}", random());
}

bool is_subscribe_confirmation(const redisReply& reply) {
    return reply.type == REDIS_REPLY_ARRAY && reply.elements >= 1 &&
           reply.element[0]->type == REDIS_REPLY_STRING &&
           text_of(*reply.element[0]) == "subscribe";
}

} // namespace

std::optional<std::string> redis_link::open(const redis_url& url) {
    close();
    auto* context = redisAsyncConnect(url.host.c_str(), url.port);
    if (context == nullptr) {
        return "out of memory";
    }
    if (context->err != 0) {
        std::string why = context->errstr;
        redisAsyncFree(context);
        return why;
    }
    if (!attach_to_asio(context, executor_)) {
        redisAsyncFree(context);
        return "cannot watch the connection's socket";
    }
    context->data = this;
    context_ = context;
    redisAsyncSetConnectCallback(context, &on_connect);
    redisAsyncSetDisconnectCallback(context, &on_disconnect);

    // Queued now, written once connected; each reply counts down the handshake.
    handshake_left_ = 0;
    bool queued = true;
    const auto queue = [&](step s, std::initializer_list<std::string_view> args) {
        queued = queued && send_with(&on_handshake_reply, as_privdata(s),
                                     std::span<const std::string_view>(args.begin(), args.size()));
        ++handshake_left_;
    };
    if (!url.password.empty()) {
        if (url.user.empty()) {
            queue(step::auth, {"AUTH", url.password});
        } else {
            queue(step::auth, {"AUTH", url.user, url.password});
        }
    }
    if (url.db) {
        const auto db = std::to_string(*url.db);
        queue(step::select, {"SELECT", db});
    }
    queue(step::ping, {"PING"});
    if (role_ == role::subscriber) {
        anchor_ = anchor_name();
        queue(step::anchor, {"SUBSCRIBE", anchor_});
        if (!own_channel_.empty()) {
            queue(step::own_channel, {"SUBSCRIBE", own_channel_});
        }
    }
    if (!queued) {
        close();
        return "hiredis refused the handshake";
    }
    return std::nullopt;
}

void redis_link::close() {
    if (context_ == nullptr) {
        return;
    }
    auto* context = context_;
    forget();
    // From inside one of this context's reply callbacks hiredis frees it once the callback
    // returns; its callbacks meanwhile find no link (data is null) and do nothing.
    redisAsyncFree(context);
}

void redis_link::forget() {
    context_->data = nullptr;
    context_ = nullptr;
    handshake_left_ = 0;
}

void redis_link::lose(std::string reason) {
    close();
    owner_.on_link_lost(*this, std::move(reason));
}

bool redis_link::send(std::initializer_list<std::string_view> args) {
    return send(std::span<const std::string_view>(args.begin(), args.size()));
}

bool redis_link::send(std::span<const std::string_view> args) {
    return context_ != nullptr && send_with(&on_reply, nullptr, args);
}

bool redis_link::send_with(void (*callback)(redisAsyncContext*, void*, void*), void* privdata,
                           std::span<const std::string_view> args) {
    if (args.size() > max_args) {
        return false;
    }
    std::array<const char*, few_args> small_argv{};
    std::array<std::size_t, few_args> small_lengths{};
    std::vector<const char*> large_argv;
    std::vector<std::size_t> large_lengths;
    const char** argv = small_argv.data();
    std::size_t* lengths = small_lengths.data();
    if (args.size() > few_args) {
        large_argv.resize(args.size());
        large_lengths.resize(args.size());
        argv = large_argv.data();
        lengths = large_lengths.data();
    }
    for (std::size_t i = 0; i < args.size(); ++i) {
        argv[i] = args[i].data();
        lengths[i] = args[i].size();
    }
    return redisAsyncCommandArgv(context_, callback, privdata, static_cast<int>(args.size()), argv,
                                 lengths) == REDIS_OK;
}

redis_link* redis_link::of(const redisAsyncContext* context) {
    return static_cast<redis_link*>(context->data);
}

void redis_link::on_connect(const redisAsyncContext* context, int status) {
    auto* self = of(context);
    if (self == nullptr) {
        return;
    }
    if (status != REDIS_OK) {
        // hiredis frees the context when this returns, and says nothing more.
        std::string why = context->errstr;
        self->forget();
        self->owner_.on_link_lost(*self, "cannot connect: " + why);
        return;
    }
    // Without it a peer that vanished (a cut network, a dead host) goes unnoticed as long as
    // nothing is sent to it: a subscriber sends nothing.
    redisEnableKeepAlive(&self->context_->c);
}

void redis_link::on_disconnect(const redisAsyncContext* context, int status) {
    auto* self = of(context);
    if (self == nullptr) {
        return; // closed by us
    }
    // hiredis frees the context when this returns.
    std::string why = status == REDIS_OK || context->errstr[0] == '\0'
                          ? std::string("the connection closed")
                          : std::string(context->errstr);
    self->forget();
    self->owner_.on_link_lost(*self, std::move(why));
}

void redis_link::on_handshake_reply(redisAsyncContext* context, void* reply, void* privdata) {
    auto* self = of(context);
    // A null reply: the context is being freed; the disconnect callback tells the owner.
    if (self == nullptr || reply == nullptr) {
        return;
    }
    const auto& r = *static_cast<const redisReply*>(reply);
    const auto s = static_cast<step>(reinterpret_cast<std::uintptr_t>(privdata));
    if (r.type == REDIS_REPLY_ERROR) {
        self->lose(fmt::format("{} failed: {}", step_name(s), text_of(r)));
        return;
    }
    if (s == step::anchor && !is_subscribe_confirmation(r)) {
        return; // a message on the anchor channel: someone else's business
    }
    if (s == step::own_channel && !is_subscribe_confirmation(r)) {
        // A message on the owner's channel: hiredis hands it to the SUBSCRIBE's callback.
        self->owner_.on_link_reply(*self, r);
        return;
    }
    if (self->handshake_left_ > 0 && --self->handshake_left_ == 0) {
        self->owner_.on_link_ready(*self);
    }
}

void redis_link::on_reply(redisAsyncContext* context, void* reply, void*) {
    auto* self = of(context);
    if (self == nullptr || reply == nullptr) {
        return;
    }
    self->owner_.on_link_reply(*self, *static_cast<const redisReply*>(reply));
}

std::string_view text_of(const redisReply& reply) {
    return {reply.str == nullptr ? "" : reply.str, reply.str == nullptr ? 0 : reply.len};
}

} // namespace herald
