#include "bus/amqp/amqp_bus.hpp"

#include "bus/amqp/amqp_url.hpp"
#include "bus/broker_body.hpp"
#include "protocol/json_text.hpp"
#include "util/log.hpp"

#include <boost/asio/post.hpp>

#include <fmt/format.h>
#include <random>

namespace herald {
namespace {

namespace net = boost::asio;
using namespace std::chrono_literals;

// How long stop waits for the I/O thread to close its connection cleanly before cutting the
// socket; the broker drops the node's queue either way.
constexpr auto stop_grace = 1000ms;

std::vector<amqp_endpoint> endpoints_of(const bus_settings& settings, std::string& unusable) {
    std::vector<amqp_endpoint> out;
    for (const auto& url : settings.urls) {
        auto endpoint = parse_amqp_url(url);
        if (endpoint) {
            out.push_back(std::move(*endpoint));
            continue;
        }
        log::warn("rabbitmq: {}; ignored", endpoint.error());
        if (!unusable.empty()) {
            unusable += "; ";
        }
        unusable += endpoint.error();
    }
    if (settings.urls.empty()) {
        unusable = "no broker URL";
    }
    return out;
}

// Why AMQP cannot carry this topic, or empty.
std::string_view unusable_topic(std::string_view exchange, std::string_view routing_key) {
    if (exchange.empty()) {
        return "the default exchange (\"\") carries no events";
    }
    if (exchange.size() > 255 || routing_key.size() > 255) {
        return "AMQP limits exchange names and routing keys to 255 bytes";
    }
    return {};
}

// Why AMQP cannot carry this request, or empty.
std::string_view unusable_request(const bus_request& request) {
    if (request.destination.empty()) {
        return "a request needs a queue to go to";
    }
    if (request.correlation_id.empty()) {
        return "a request needs a correlation id: an answer without one is not told from an event";
    }
    if (request.destination.size() > 255 || request.correlation_id.size() > 255) {
        return "AMQP limits queue names and correlation ids to 255 bytes";
    }
    return {};
}

// 16 random hex digits: the node's part of the mail ids it gives, unique among nodes.
std::string random_token() {
    std::random_device random;
    const std::uint64_t value = (std::uint64_t{random()} << 32) | random();
    return fmt::format("{:016x}", value);
}

} // namespace

amqp_bus::amqp_bus(net::any_io_executor bus_executor, bus_settings settings)
    : executor_(std::move(bus_executor))
    , mailbox_prefix_(settings.mailbox_prefix)
    , token_(random_token())
    , waiting_(settings.publish_timeout)
    , timer_(executor_)
    , io_([&] {
        std::string unusable;
        auto endpoints = endpoints_of(settings, unusable);
        return amqp_io_thread(std::move(endpoints), std::move(unusable), settings, commands_,
                              *this);
    }()) {}

amqp_bus::~amqp_bus() {
    stop();
}

void amqp_bus::start(handlers callbacks) {
    if (phase_ != phase::created) {
        return;
    }
    callbacks_ = std::move(callbacks);
    phase_ = phase::running;
    io_.start();
}

void amqp_bus::stop() {
    const bool was_running = running();
    phase_ = phase::stopped;
    // The callbacks are kept, not cleared: stop may be called from inside one of them.
    ready_ = false;
    if (!was_running) {
        io_.stop(0ms);
        return;
    }
    waiting_.clear(); // never answered: no callback after stop
    timer_.cancel();
    io_.stop(stop_grace);
    // What the I/O thread posted before it ended finds the bus stopped and does nothing.
    bindings_.clear();
}

void amqp_bus::publish(bus_event event, publish_done done) {
    const auto id = admit(done, unusable_topic(event.exchange, event.routing_key));
    if (!id) {
        return;
    }
    auto body = broker_body(event);
    commands_.push(publish_command{*id, std::move(event.exchange), std::move(event.routing_key),
                                   std::move(body)});
}

void amqp_bus::send_request(bus_request request, publish_done done) {
    const auto id = admit(done, unusable_request(request));
    if (!id) {
        return;
    }
    commands_.push(request_command{*id, std::move(request.destination),
                                   std::move(request.correlation_id), std::move(request.body)});
}

std::optional<std::uint64_t> amqp_bus::admit(publish_done& done, std::string_view unusable) {
    if (!running()) {
        return std::nullopt;
    }
    // A copy: done may stop the bus, which changes reason_.
    const std::string why = ready_ ? std::string(unusable) : reason_;
    if (!why.empty()) {
        if (done) {
            done(why);
        }
        return std::nullopt;
    }
    if (!done) {
        return 0;
    }
    const auto id = waiting_.add(std::move(done), clock::now());
    arm_timer();
    return id;
}

void amqp_bus::subscribe(std::string_view exchange, std::string_view routing_key) {
    if (!running() || !ready_) {
        return; // the bus thread subscribes everything again when the bus reports ready
    }
    if (const auto why = unusable_topic(exchange, routing_key); !why.empty()) {
        log::debug("rabbitmq: not subscribing to \"{}\" \"{}\": {}", exchange, routing_key, why);
        return;
    }
    if (!bindings_.emplace(exchange, routing_key).second) {
        return;
    }
    commands_.push(
        binding_command{generation_, true, std::string(exchange), std::string(routing_key)});
}

void amqp_bus::after_subscriptions(std::function<void()> done) {
    // Answered like a publish, so a barrier the I/O thread never reaches (the connection went,
    // the publish timeout passed) still ends; `done` then runs too, and the bus thread's
    // readiness round decides whether it still counts.
    publish_done answered = [done = std::move(done)](std::string_view) {
        done();
    };
    const auto id = admit(answered, {});
    if (id) {
        commands_.push(barrier_command{*id});
    }
}

void amqp_bus::unsubscribe(std::string_view exchange, std::string_view routing_key) {
    if (!running()) {
        return;
    }
    const auto it = bindings_.find(topic(exchange, routing_key));
    if (it == bindings_.end()) {
        return;
    }
    bindings_.erase(it);
    commands_.push(
        binding_command{generation_, false, std::string(exchange), std::string(routing_key)});
}

void amqp_bus::readiness(std::uint64_t generation, bool ready, std::string reason,
                         std::string queue) {
    net::post(executor_, [this, generation, ready, reason = std::move(reason),
                          queue = std::move(queue)]() mutable {
        on_readiness(generation, ready, std::move(reason), std::move(queue));
    });
}

void amqp_bus::deliveries(std::uint64_t generation, std::vector<delivery> batch) {
    net::post(executor_, [this, generation, batch = std::move(batch)]() mutable {
        on_deliveries(generation, batch);
    });
}

std::string amqp_bus::mailbox_queue(std::string_view identity) const {
    return fmt::format("{}.mailbox.{}", mailbox_prefix_, identity);
}

void amqp_bus::open_mailbox(std::string_view identity, const mailbox_settings& settings) {
    watch(identity, settings, true);
}

void amqp_bus::take_mail(std::string_view identity, const mailbox_settings& settings) {
    watch(identity, settings, false);
}

void amqp_bus::watch(std::string_view identity, const mailbox_settings& settings, bool again) {
    auto queue = mailbox_queue(identity);
    if (!running() || !ready_ || queue.size() > 255) {
        return; // the bus thread opens it again once ready; a name over 255 bytes cannot be
    }
    // Every time, though it may be consumed already (the I/O thread then does nothing): the
    // consume may have failed, or the broker cancelled it, and this is the way to try again.
    watched_.insert_or_assign(std::string(identity), settings.acknowledge);
    commands_.push(mailbox_command{std::string(identity), std::move(queue), settings});
    if (!settings.acknowledge) {
        // Held in acknowledge mode before: back to the queue, whose consumer (on the other
        // channel now) hands it out without ids.
        give_back(identity);
        return;
    }
    if (again) {
        hand_out_held(identity);
        tell_other_nodes(identity, {mail_control::kind::again, token_, {}});
    }
}

void amqp_bus::close_mailbox(std::string_view identity) {
    const auto it = watched_.find(identity);
    if (it == watched_.end()) {
        return;
    }
    watched_.erase(it);
    if (running()) {
        // The consumer is cancelled before the held mail goes back: else the broker would
        // send it straight back to it.
        commands_.push(mailbox_command{std::string(identity), mailbox_queue(identity), {}, false});
        give_back(identity);
    }
}

void amqp_bus::give_back(std::string_view identity) {
    for (const auto& h : kept_.release(identity)) {
        commands_.push(requeue_command{h.generation, h.delivery_tag, true});
    }
}

void amqp_bus::hand_out_held(std::string_view identity) {
    auto again = kept_.of(identity);
    if (!again.empty() && callbacks_.on_mail) {
        callbacks_.on_mail(identity, again);
    }
}

void amqp_bus::tell_other_nodes(std::string_view identity, mail_control word) {
    commands_.push(mail_control_command{std::string(identity), encode_mail_control(word)});
}

void amqp_bus::acknowledge(const std::vector<std::string>& identities,
                           const std::vector<std::string>& ids, acknowledge_done done) {
    std::vector<std::string> removed;
    std::vector<kept_mail::held> acked;
    auto elsewhere = ids;
    kept_.take(identities, elsewhere, removed, acked);
    for (const auto& h : acked) {
        commands_.push(mail_ack_command{h.generation, h.delivery_tag});
    }
    // What this node does not hold another node watching the identity may: each acks what it
    // holds of these. (An id with a line break is nobody's, and cannot travel in a word.)
    std::erase_if(elsewhere,
                  [](const std::string& id) { return id.find('\n') != std::string::npos; });
    if (!elsewhere.empty()) {
        for (const auto& identity : identities) {
            if (const auto it = watched_.find(identity); it != watched_.end() && it->second) {
                tell_other_nodes(identity, {mail_control::kind::ack, token_, elsewhere});
            }
        }
    }
    done(std::move(removed));
}

void amqp_bus::notify(std::string_view identity, std::string body, notify_done done) {
    auto queue = mailbox_queue(identity);
    if (queue.size() > 255) {
        done(notify_result::unavailable, "AMQP limits queue names to 255 bytes");
        return;
    }
    publish_done answered = [done = std::move(done)](std::string_view error) {
        if (error.empty()) {
            done(notify_result::stored_and_pushed, {});
        } else if (error.find(request_returned) != std::string_view::npos) {
            done(notify_result::unknown_identity, "no such identity, or its lifetime has passed");
        } else if (error.find(request_nacked) != std::string_view::npos) {
            done(notify_result::full, "the identity's mailbox is full");
        } else {
            done(notify_result::unavailable, error);
        }
    };
    const auto id = admit(answered, {});
    if (!id) {
        return;
    }
    commands_.push(request_command{*id, std::move(queue), "herald-mail", std::move(body), true,
                                   fmt::format("{}-{}", token_, ++mail_ids_)});
}

void amqp_bus::publish_results(std::vector<publish_result> results) {
    net::post(executor_, [this, results = std::move(results)]() mutable { on_results(results); });
}

void amqp_bus::on_readiness(std::uint64_t generation, bool ready, std::string reason,
                            std::string queue) {
    if (!running()) {
        return;
    }
    if (!ready) {
        ready_ = false;
        reason_ = reason;
        callbacks_.on_readiness(false, std::move(reason));
        return;
    }
    // Each ready starts with no subscriptions (bus.hpp): the bus thread subscribes every
    // wanted topic again, from inside on_readiness. A new connection has a new, empty queue.
    // Ready again on the same connection (an exchange was refused, and is declared now), the
    // queue keeps its bindings: those nobody asks for again are removed after the call.
    const bool same_queue = generation == generation_;
    if (!same_queue) {
        kept_.clear(); // the old connection's channels are gone: the broker requeued their mail
    }
    generation_ = generation;
    queue_ = std::move(queue);
    auto before = std::exchange(bindings_, {});
    // The bus thread opens every mailbox it watches again, from inside on_readiness. A new
    // connection has no consumers; on the same one, those nobody opens again are cancelled
    // after the call (a session may have left while the bus was not ready).
    auto watched_before = std::exchange(watched_, {});
    ready_ = true;
    reason_.clear();
    callbacks_.on_readiness(true, {});
    if (!running() || !ready_ || !same_queue) {
        return;
    }
    for (auto& [exchange, routing_key] : before) {
        if (!bindings_.contains(topic(exchange, routing_key))) {
            commands_.push(binding_command{generation_, false, exchange, routing_key});
        }
    }
    for (const auto& [identity, acknowledge] : watched_before) {
        if (!watched_.contains(identity)) {
            commands_.push(mailbox_command{identity, mailbox_queue(identity), {}, false});
            give_back(identity);
        }
    }
}

void amqp_bus::on_deliveries(std::uint64_t generation, std::vector<delivery>& batch) {
    std::vector<herald::mail> taken;
    // The ack covers every delivery up to the last one handled, but must not name one given
    // back: the broker closes the channel at an ack of a tag it no longer has out.
    std::uint64_t handled = 0;
    for (auto& d : batch) {
        if (!running()) {
            return;
        }
        if (d.kept) {
            keep(generation, d); // on the mail channel: not covered by the ack below
            continue;
        }
        if (d.mail_control) {
            hear(d);
        } else if (!d.mail_for.empty()) {
            if (!watched_.contains(d.mail_for)) {
                // Closed while this was on its way: back to the mailbox, for the next watcher.
                commands_.push(requeue_command{generation, d.delivery_tag});
                continue;
            }
            if (callbacks_.on_mail) {
                taken.assign(1, {{}, std::move(d.body)});
                callbacks_.on_mail(d.mail_for, taken);
            }
        } else if (d.reply) {
            if (callbacks_.on_reply) {
                callbacks_.on_reply(d.correlation_id, d.body);
            }
        } else if (d.malformed.empty()) {
            callbacks_.on_event(d.event);
        } else {
            callbacks_.on_malformed(d.event.exchange, d.malformed);
        }
        handled = d.delivery_tag;
    }
    // Handled: the broker may send the next ones.
    if (running() && handled != 0) {
        commands_.push(ack_command{generation, handled});
    }
}

void amqp_bus::keep(std::uint64_t generation, delivery& d) {
    const auto it = watched_.find(d.mail_for);
    if (generation != generation_) {
        return; // its connection is gone, and the broker has it back
    }
    if (it == watched_.end() || !it->second) {
        // Closed (or no longer in acknowledge mode) while this was on its way.
        commands_.push(requeue_command{generation, d.delivery_tag, true});
        return;
    }
    // Mail notified by a Herald that gave no id gets one here, for as long as it is held.
    auto id = d.mail_id.empty() ? fmt::format("{}-d{}", token_, ++mail_ids_) : std::move(d.mail_id);
    kept_.add(d.mail_for, {id, d.delivery_tag, generation, d.body});
    if (callbacks_.on_mail) {
        std::vector<herald::mail> taken{{std::move(id), std::move(d.body)}};
        callbacks_.on_mail(d.mail_for, taken);
    }
}

void amqp_bus::hear(const delivery& word) {
    const auto heard = parse_mail_control(word.body);
    if (!heard || heard->sender == token_) {
        return; // its own words (the node has done what they say), or not a word at all
    }
    if (heard->what == mail_control::kind::again) {
        hand_out_held(word.mail_for);
        return;
    }
    std::vector<std::string> removed;
    std::vector<kept_mail::held> acked;
    auto ids = heard->ids;
    kept_.take({word.mail_for}, ids, removed, acked);
    for (const auto& h : acked) {
        commands_.push(mail_ack_command{h.generation, h.delivery_tag});
    }
}

void amqp_bus::on_results(std::vector<publish_result>& results) {
    for (const auto& r : results) {
        if (!running()) {
            return;
        }
        if (auto done = waiting_.take(r.id)) {
            done(r.error);
        }
    }
}

void amqp_bus::arm_timer() {
    if (timer_armed_) {
        return;
    }
    const auto deadline = waiting_.next_deadline();
    if (!deadline) {
        return;
    }
    timer_armed_ = true;
    timer_.expires_at(*deadline);
    timer_.async_wait([this](const boost::system::error_code& error) {
        timer_armed_ = false;
        if (error || !running()) {
            return;
        }
        for (auto& done : waiting_.take_expired(clock::now())) {
            if (!running()) {
                return;
            }
            done("timeout");
        }
        arm_timer();
    });
}

bus_factory make_amqp_bus_factory(const bus_settings& settings) {
    return [settings](net::any_io_executor bus_executor) -> std::unique_ptr<bus> {
        return std::make_unique<amqp_bus>(std::move(bus_executor), settings);
    };
}

} // namespace herald
