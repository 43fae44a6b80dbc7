#include "bus/amqp/io_thread.hpp"

#include "protocol/broker_message.hpp"
#include "protocol/token_message.hpp"
#include "util/log.hpp"

#include <amqp_framing.h>
#include <fmt/format.h>

namespace herald {
namespace {

using namespace std::chrono_literals;

// The longest the I/O thread sleeps in poll: rabbitmq-c sends heartbeats only from inside its
// calls, so it must be called often enough whatever happens.
constexpr auto max_sleep = 50ms;
// How often the drop queue is counted (and emptied), and how much it holds in between. It has a
// bound of its own, not max_queue_length, which may be small: dropped messages beyond this
// within one interval are lost uncounted, so a purge that finds it half full comes again at once.
constexpr auto purge_interval = 1s;
constexpr std::size_t drop_queue_length = 10000;
// Frames read in one turn before the command queue is looked at again, so that a stream of
// deliveries cannot hold up publishes.
constexpr int frames_per_turn = 256;
// Deliveries handed to the bus thread at once; it acknowledges each batch.
constexpr std::size_t batch_size = 128;

std::string text_of(amqp_bytes_t b) {
    return b.len == 0 ? std::string() : std::string(static_cast<const char*>(b.bytes), b.len);
}

std::string close_text(const amqp_method_t& method) {
    amqp_rpc_reply_t reply{};
    reply.reply_type = AMQP_RESPONSE_SERVER_EXCEPTION;
    reply.reply = method;
    return describe(reply);
}

} // namespace

amqp_io_thread::amqp_io_thread(std::vector<amqp_endpoint> endpoints, std::string unusable,
                               const bus_settings& settings, command_queue& commands,
                               io_events& events)
    : endpoints_(std::move(endpoints))
    , unusable_(std::move(unusable))
    , settings_(settings)
    , commands_(commands)
    , events_(events)
    , control_exchange_(settings.mailbox_prefix + ".mail-control")
    , declarer_(settings) {
    for (const auto& e : settings_.exchanges) {
        if (e.raw) {
            foreign_.insert(e.name);
        }
    }
}

amqp_io_thread::~amqp_io_thread() {
    stop(0ms);
}

void amqp_io_thread::start() {
    if (thread_.joinable()) {
        return;
    }
    thread_ = std::thread([this] {
        run();
        exited_.set_value();
    });
}

void amqp_io_thread::stop(std::chrono::milliseconds grace) {
    interrupt_.raise();
    if (!thread_.joinable()) {
        return;
    }
    if (exited_.get_future().wait_for(grace) != std::future_status::ready) {
        interrupt_.cut();
    }
    thread_.join();
}

std::string amqp_io_thread::at_broker(std::string_view why) const {
    return fmt::format("rabbitmq at {}: {}", endpoint_ ? endpoint_->masked_url : "?", why);
}

void amqp_io_thread::run() {
    if (endpoints_.empty()) {
        down_reason_ = unusable_;
        log::error("rabbitmq: {}", unusable_);
        report_readiness();
        while (!interrupt_.raised()) {
            pause(1s, unusable_);
        }
        return;
    }
    backoff delay(settings_.min_backoff, settings_.max_backoff);
    const amqp_connection_options options{settings_.connect_timeout, settings_.heartbeat};
    std::size_t next = 0;
    while (!interrupt_.raised()) {
        endpoint_ = &endpoints_[next];
        std::string why;
        try {
            amqp_connection connection(*endpoint_, options, interrupt_);
            try {
                delay.reset();
                serve(connection, *endpoint_);
            } catch (const connection_lost& lost) {
                why = lost.reason;
            }
            connection.close(); // only when the connection still works (a channel was closed)
        } catch (const connection_lost& lost) {
            why = lost.reason;
        }
        // Mail not yet handed over goes back to its queue with the connection: handing it out
        // too would deliver it twice.
        std::erase_if(deliveries_, [](const delivery& d) { return !d.mail_for.empty(); });
        // The channel, and with it every confirm it still owed, is gone.
        for (const auto id : confirms_.take_all()) {
            results_.push_back({id, at_broker(why.empty() ? "stopped" : why)});
        }
        returns_.reset();
        if (interrupt_.raised()) {
            return; // stop: nothing more is reported
        }
        if (connected_ || !down_logged_) {
            log::warn("rabbitmq at {}: {} ({}); retrying{}", endpoint_->masked_url,
                      connected_ ? "lost the connection" : "cannot connect", why,
                      endpoints_.size() > 1 ? " with the next URL" : "");
            down_logged_ = true;
        } else {
            log::debug("rabbitmq at {}: cannot connect ({})", endpoint_->masked_url, why);
        }
        connected_ = false;
        down_reason_ = at_broker(why);
        report_readiness();
        flush();
        next = (next + 1) % endpoints_.size();
        pause(delay.next(), down_reason_);
    }
}

void amqp_io_thread::serve(amqp_connection& connection, const amqp_endpoint& endpoint) {
    // Dropped messages go to a second queue of the node's, counted and emptied every second:
    // the node's queue drops its oldest past max_queue_length (x-overflow drop-head), and
    // dead-letters them there. Both are exclusive: a node that dies, even by SIGKILL, leaves
    // neither behind, since the broker deletes them with the connection.
    drop_queue_ = connection.declare_queue(drop_queue_length, {});
    node_queue_ = connection.declare_queue(settings_.max_queue_length, drop_queue_);
    connection.consume(node_queue_, prefetch);
    ++generation_;
    confirms_.reset();
    returns_.reset();
    bound_.clear();
    mail_consumers_.clear();
    ack_wanted_ = acked_ = 0;
    auto now = clock::now();
    declarer_.new_connection(connection, now);
    if (settings_.piped) {
        set_up_piped(connection, *settings_.piped);
    }
    // For the consumers made from now on: the mailboxes'.
    connection.qos(mail_prefetch);
    connection.qos(mail_prefetch, amqp_connection::mail_channel);
    const auto refused =
        connection.declare_exchange(control_exchange_, "direct", false, false, false);
    control_declared_ = refused.empty();
    if (!control_declared_) {
        log::warn("rabbitmq: exchange \"{}\": {}; acknowledgements of mail held by another node "
                  "are not passed on",
                  control_exchange_, refused);
    }
    connected_ = true;
    down_logged_ = false;
    log::info("rabbitmq at {}: connected; the node's queue is {}", endpoint.masked_url,
              node_queue_);
    report_readiness();
    heard_ = now;
    next_purge_ = now + purge_interval;
    // The broker sends a heartbeat every heartbeat/2 when idle; two heartbeats of silence and
    // it is gone. rabbitmq-c would notice only inside a blocking wait, which we never do.
    const auto silence_limit = settings_.heartbeat * 2;

    while (!interrupt_.raised()) {
        for (auto& command : commands_.take()) {
            handle(connection, command);
        }
        if (ack_wanted_ > acked_) {
            connection.ack(ack_wanted_);
            acked_ = ack_wanted_;
        }
        now = clock::now();
        declarer_.retry(connection, now);
        if (now >= next_purge_) {
            const bool filling_fast = count_drops(connection) >= drop_queue_length / 2;
            next_purge_ = filling_fast ? now : now + purge_interval;
        }
        report_readiness();
        read_frames(connection);
        flush();
        if (connection.has_buffered()) {
            continue;
        }
        now = clock::now();
        if (silence_limit.count() > 0 && now - heard_ > silence_limit) {
            throw connection_lost{
                fmt::format("no heartbeat from the broker for {} s", silence_limit.count())};
        }
        auto sleep = std::min<clock::duration>(max_sleep, next_purge_ - now);
        if (const auto retry = declarer_.next_retry()) {
            sleep = std::min<clock::duration>(sleep, *retry - now);
        }
        const auto ms = std::chrono::ceil<std::chrono::milliseconds>(sleep);
        if (commands_.wait(connection.socket_fd(), interrupt_.fd(), std::max(ms, 0ms))) {
            heard_ = clock::now();
        }
    }
}

// Piped's queues and bindings (its exchanges are declared with the others, as configured):
// what an unmodified Piped back end expects of a node. The node's sessions of a token get what
// arrives in its in-queue.
void amqp_io_thread::set_up_piped(amqp_connection& connection, const piped_topology& piped) {
    for (auto said : {connection.declare_durable_queue(piped.queue_in),
                      connection.declare_durable_queue(piped.queue_out),
                      connection.bind(piped.queue_in, piped.exchange_in, ""),
                      connection.bind(piped.queue_out, piped.exchange_out, ""),
                      connection.bind_exchange(piped.exchange_in, piped.mass)}) {
        if (!said.empty()) {
            throw connection_lost{"cannot set up Piped's queues and bindings: " + said};
        }
    }
    connection.consume_also(piped.queue_in, piped_consumer_tag);
}

void amqp_io_thread::handle(amqp_connection& connection, io_command& command) {
    if (auto* p = std::get_if<publish_command>(&command)) {
        publish(connection, *p);
    } else if (auto* r = std::get_if<request_command>(&command)) {
        request(connection, *r);
    } else if (const auto* b = std::get_if<binding_command>(&command)) {
        bind(connection, *b);
    } else if (const auto* m = std::get_if<mailbox_command>(&command)) {
        watch_mailbox(connection, *m);
    } else if (const auto* barrier = std::get_if<barrier_command>(&command)) {
        results_.push_back({barrier->id, {}});
    } else if (const auto* q = std::get_if<requeue_command>(&command)) {
        if (q->generation == generation_) {
            connection.requeue(q->delivery_tag, q->kept ? amqp_connection::mail_channel
                                                        : amqp_connection::data_channel);
        }
    } else if (const auto* k = std::get_if<mail_ack_command>(&command)) {
        if (k->generation == generation_) {
            connection.ack_mail(k->delivery_tag);
        }
    } else if (const auto* c = std::get_if<mail_control_command>(&command)) {
        if (control_declared_) {
            confirms_.sent(0);
            connection.publish(control_exchange_, c->identity, c->body);
        }
    } else if (const auto* a = std::get_if<ack_command>(&command)) {
        // Only the last one matters: an ack covers every delivery before it.
        if (a->generation == generation_) {
            ack_wanted_ = std::max(ack_wanted_, a->delivery_tag);
        }
    }
}

void amqp_io_thread::publish(amqp_connection& connection, publish_command& command) {
    auto refused = declarer_.ensure(connection, command.exchange, clock::now());
    if (!refused.empty()) {
        if (command.id != 0) {
            results_.push_back({command.id, at_broker(refused)});
        }
        return;
    }
    confirms_.sent(command.id);
    connection.publish(command.exchange, command.routing_key, command.body);
}

void amqp_io_thread::request(amqp_connection& connection, request_command& command) {
    // The default exchange always exists: nothing to declare. The reply goes to the node's
    // queue of this connection, whatever connection the bus thread asked on.
    confirms_.sent(command.id);
    if (command.id != 0) {
        returns_.sent(command.id, command.correlation_id, command.queue);
    }
    connection.publish_request(command.queue, node_queue_, command.correlation_id, command.body,
                               command.persistent, command.message_id);
}

void amqp_io_thread::watch_mailbox(amqp_connection& connection, const mailbox_command& command) {
    heard_ = clock::now();
    const auto consumer = mail_consumers_.find(command.queue);
    bool consuming = consumer != mail_consumers_.end() && consumer->second.active;
    const bool kept = command.settings.acknowledge;
    // Stopping, or consuming in the other mode (another channel): cancel first.
    if (consuming && (!command.watch || consumer->second.kept != kept)) {
        consumer->second.active = false;
        consuming = false;
        if (consumer->second.kept) {
            connection.cancel(command.queue, amqp_connection::mail_channel);
            hear_mail_control(connection, command.identity, false);
        } else {
            connection.cancel(command.queue);
        }
    }
    if (!command.watch || consuming) {
        return; // a consumed queue never expires: nothing to renew
    }
    const auto& s = command.settings;
    if (const auto refused =
            connection.declare_mailbox(command.queue, s.lifetime, s.max_messages, s.max_bytes);
        !refused.empty()) {
        // Declared before with other bounds or another lifetime: those stay until it expires.
        // Consumed only if it is there: a missing queue would cost the data channel. The bus
        // thread asks again at the next registration, and every minute.
        log::debug("rabbitmq: mailbox queue \"{}\": {}", command.queue, refused);
        if (const auto missing = connection.check_queue(command.queue); !missing.empty()) {
            log::warn("rabbitmq: cannot watch the mailbox of \"{}\": {}", command.identity,
                      missing);
            return;
        }
    }
    // The queue's name is the consumer's tag: unique on the channel, and at most 255 bytes.
    // (A cancelled consumer's tag may be used again once the broker has confirmed the cancel.)
    // In acknowledge mode the node hears the other nodes' words about the identity's kept
    // mail first, so that none sent after its first delivery is missed.
    if (kept) {
        hear_mail_control(connection, command.identity, true);
    }
    connection.consume_also(command.queue, command.queue,
                            kept ? amqp_connection::mail_channel : amqp_connection::data_channel);
    mail_consumers_.insert_or_assign(command.queue, mail_consumer{command.identity, true, kept});
}

void amqp_io_thread::hear_mail_control(amqp_connection& connection, const std::string& identity,
                                       bool hear) {
    if (!control_declared_) {
        return;
    }
    const auto said = hear ? connection.bind(node_queue_, control_exchange_, identity)
                           : connection.unbind(node_queue_, control_exchange_, identity);
    if (!said.empty()) {
        log::warn("rabbitmq: cannot {} exchange \"{}\" for \"{}\": {}", hear ? "bind" : "unbind",
                  control_exchange_, identity, said);
    }
}

void amqp_io_thread::bind(amqp_connection& connection, const binding_command& command) {
    if (command.generation != generation_) {
        return; // meant for a queue gone with its connection
    }
    std::pair key{command.exchange, command.routing_key};
    if (command.bind) {
        if (bound_.contains(key)) {
            return;
        }
        const auto now = clock::now();
        if (!declarer_.ensure(connection, command.exchange, now).empty()) {
            return; // not ready now; the bus thread binds again when it is
        }
        // Bound as is: on a topic exchange the broker applies the pattern, and delivers one
        // copy to the queue however many of its bindings match.
        const auto said = connection.bind(node_queue_, command.exchange, command.routing_key);
        if (!said.empty()) {
            declarer_.refuse(command.exchange,
                             fmt::format("exchange \"{}\": the broker refused to bind the node's "
                                         "queue to it with routing key \"{}\" ({})",
                                         command.exchange, command.routing_key, said),
                             now);
            return;
        }
        bound_.insert(std::move(key));
        heard_ = clock::now();
        return;
    }
    if (bound_.erase(key) == 0) {
        return;
    }
    if (const auto said = connection.unbind(node_queue_, command.exchange, command.routing_key);
        !said.empty()) {
        log::debug("rabbitmq: queue.unbind \"{}\" \"{}\": {}", command.exchange,
                   command.routing_key, said);
    }
    const auto left = bound_.lower_bound({command.exchange, std::string()});
    if (left == bound_.end() || left->first != command.exchange) {
        declarer_.unbound_all(command.exchange);
    }
}

void amqp_io_thread::read_frames(amqp_connection& connection) {
    for (int i = 0; i < frames_per_turn; ++i) {
        const auto frame = connection.next_frame();
        if (!frame) {
            return;
        }
        heard_ = clock::now();
        handle_frame(connection, *frame);
        // The frame's data is copied by now; rabbitmq-c may reuse its memory.
        connection.release_buffers();
    }
}

void amqp_io_thread::handle_frame(amqp_connection& connection, const amqp_frame_t& frame) {
    if (frame.frame_type != AMQP_FRAME_METHOD) {
        return; // content frames are read with their basic.deliver
    }
    const auto& method = frame.payload.method;
    switch (method.id) {
    case AMQP_BASIC_DELIVER_METHOD: {
        const auto* deliver = static_cast<const amqp_basic_deliver_t*>(method.decoded);
        delivery d;
        d.delivery_tag = deliver->delivery_tag;
        // The exchange and the event's own routing key, as published: for a pattern binding
        // the broker has matched it already.
        d.event.exchange = text_of(deliver->exchange);
        d.event.routing_key = text_of(deliver->routing_key);
        // Any content type and headers (Myxi publishers set none): only the body counts, and
        // the correlation_id of an answer, which a worker sends through the default exchange
        // (no event does: the bus never binds the node's queue to it).
        const auto consumer = text_of(deliver->consumer_tag);
        const bool piped = settings_.piped && consumer == piped_consumer_tag;
        const auto mail = mail_consumers_.find(consumer);
        auto message = connection.read_message(frame.channel);
        if (mail != mail_consumers_.end()) {
            d.mail_for = mail->second.identity;
            d.body = std::move(message.body);
            d.kept = frame.channel == amqp_connection::mail_channel;
            d.mail_id = std::move(message.message_id);
        } else if (control_declared_ && d.event.exchange == control_exchange_) {
            d.mail_control = true;
            d.mail_for = std::move(d.event.routing_key);
            d.body = std::move(message.body);
        } else if (piped) {
            // For the sessions of a token on this node: the message as the back end wrote it,
            // without "token" (Piped's messageObject), on the token's topic.
            d.event.exchange = settings_.piped->token_exchange;
            if (auto addressed = parse_token_message(message.body)) {
                d.event.routing_key = std::move(addressed->token);
                d.event.extra = std::move(addressed->members);
            } else {
                d.malformed = std::string(addressed.error());
            }
        } else if (d.event.exchange.empty() && message.correlation_id) {
            d.reply = true;
            d.correlation_id = std::move(*message.correlation_id);
            d.body = std::move(message.body);
            d.event.routing_key.clear();
        } else if (foreign_.contains(d.event.exchange)) {
            d.event.payload = std::move(message.body); // the dialect reads its design's format
        } else if (auto event = parse_broker_message(message.body)) {
            d.event.event = std::move(event->event);
            d.event.payload = std::move(event->payload);
            d.event.extra = std::move(event->extra);
        } else {
            d.malformed = std::string(event.error());
        }
        deliveries_.push_back(std::move(d));
        if (deliveries_.size() >= batch_size) {
            flush();
        }
        return;
    }
    case AMQP_BASIC_ACK_METHOD:
    case AMQP_BASIC_NACK_METHOD:
        confirmed(method);
        return;
    case AMQP_BASIC_RETURN_METHOD: {
        // Only requests are mandatory: no queue has the name it was sent to. Its confirm (an
        // ack) follows; the request is marked so that the ack reports the failure.
        const auto* back = static_cast<const amqp_basic_return_t*>(method.decoded);
        const auto queue = text_of(back->routing_key); // before read_message reuses the memory
        const auto returned = connection.read_message(frame.channel);
        if (returned.correlation_id) {
            returns_.returned(*returned.correlation_id, queue);
        }
        return;
    }
    case AMQP_BASIC_CANCEL_METHOD: {
        // A mailbox queue deleted by hand loses its consumer, and only that; the node's queue
        // or Piped's in-queue losing theirs needs a new connection.
        const auto* cancel = static_cast<const amqp_basic_cancel_t*>(method.decoded);
        if (const auto mail = mail_consumers_.find(text_of(cancel->consumer_tag));
            mail != mail_consumers_.end()) {
            mail->second.active = false; // the next watch of the identity consumes it again
            log::warn("rabbitmq: the broker cancelled the consumer of mailbox queue \"{}\"",
                      text_of(cancel->consumer_tag));
            return;
        }
        throw connection_lost{"the broker cancelled the node's consumer (its queue was deleted?)"};
    }
    case AMQP_CHANNEL_CLOSE_METHOD: {
        auto why = close_text(method);
        connection.close_ok(frame.channel);
        throw connection_lost{fmt::format("the broker closed channel {} ({})", frame.channel, why)};
    }
    case AMQP_CONNECTION_CLOSE_METHOD: {
        auto why = close_text(method);
        connection.close_ok(0);
        throw connection_lost{fmt::format("the broker closed the connection ({})", why)};
    }
    case AMQP_CONNECTION_BLOCKED_METHOD:
        log::warn("rabbitmq at {}: the broker blocks publishing ({})", endpoint_->masked_url,
                  text_of(static_cast<const amqp_connection_blocked_t*>(method.decoded)->reason));
        return;
    case AMQP_CONNECTION_UNBLOCKED_METHOD:
        log::info("rabbitmq at {}: the broker takes publishes again", endpoint_->masked_url);
        return;
    default:
        return;
    }
}

void amqp_io_thread::confirmed(const amqp_method_t& method) {
    const bool ack = method.id == AMQP_BASIC_ACK_METHOD;
    const auto tag = ack ? static_cast<const amqp_basic_ack_t*>(method.decoded)->delivery_tag
                         : static_cast<const amqp_basic_nack_t*>(method.decoded)->delivery_tag;
    const bool multiple = ack ? static_cast<const amqp_basic_ack_t*>(method.decoded)->multiple
                              : static_cast<const amqp_basic_nack_t*>(method.decoded)->multiple;
    answered_.clear();
    confirms_.answered(tag, multiple, answered_);
    for (const auto id : answered_) {
        const auto request = returns_.confirmed(id);
        std::string error;
        if (!ack) {
            error =
                at_broker(request ? request_nacked : "the broker did not take the event (nack)");
        } else if (request && request->returned) {
            error = at_broker(fmt::format("no back-end queue \"{}\" ({}: no queue has that name)",
                                          request->queue, request_returned));
        }
        results_.push_back({id, std::move(error)});
    }
}

std::uint32_t amqp_io_thread::count_drops(amqp_connection& connection) {
    const auto count = connection.purge(drop_queue_);
    heard_ = clock::now();
    if (count == 0) {
        return 0;
    }
    const auto total = dropped_.load(std::memory_order_relaxed) + count;
    dropped_.store(total, std::memory_order_relaxed);
    const auto now = clock::now();
    if (now - last_drop_log_ >= std::chrono::minutes(1)) {
        last_drop_log_ = now;
        log::warn("rabbitmq: the node's queue was full (max_queue_length {}) and dropped its {} "
                  "oldest events; {} so far: the node is not keeping up",
                  settings_.max_queue_length, count, total);
    }
    return count;
}

void amqp_io_thread::pause(std::chrono::milliseconds how_long, const std::string& reason) {
    const auto until = clock::now() + how_long;
    for (;;) {
        refuse_commands(reason);
        flush();
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(until - clock::now());
        if (interrupt_.raised() || left.count() <= 0) {
            return;
        }
        commands_.wait(-1, interrupt_.fd(), left);
    }
}

void amqp_io_thread::refuse_commands(const std::string& reason) {
    for (auto& command : commands_.take()) {
        if (const auto* p = std::get_if<publish_command>(&command); p && p->id != 0) {
            results_.push_back({p->id, reason});
        } else if (const auto* r = std::get_if<request_command>(&command); r && r->id != 0) {
            results_.push_back({r->id, reason});
        } else if (const auto* b = std::get_if<barrier_command>(&command)) {
            results_.push_back({b->id, reason});
        }
    }
}

void amqp_io_thread::report_readiness() {
    posted_readiness now;
    now.generation = generation_;
    now.ready = connected_ && declarer_.healthy();
    if (!connected_) {
        now.reason = down_reason_;
    } else if (!now.ready) {
        now.reason = at_broker(declarer_.refusal());
    }
    if (posted_ && posted_->generation == now.generation && posted_->ready == now.ready &&
        posted_->reason == now.reason) {
        return;
    }
    events_.readiness(now.generation, now.ready, now.reason, node_queue_);
    posted_ = std::move(now);
}

void amqp_io_thread::flush() {
    if (!deliveries_.empty()) {
        events_.deliveries(generation_, std::move(deliveries_));
        deliveries_.clear();
    }
    if (!results_.empty()) {
        events_.publish_results(std::move(results_));
        results_.clear();
    }
}

} // namespace herald
