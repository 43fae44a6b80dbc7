#include "bus/bus_thread.hpp"

#include "util/log.hpp"

#include <boost/asio/post.hpp>

namespace herald {

bus_thread::bus_thread(bus_factory make, fanout deliver, interest::kind_resolver kind_of)
    : work_(io_.get_executor())
    , bus_(make(io_.get_executor()))
    , deliver_(std::move(deliver))
    , interest_(std::move(kind_of)) {}

bus_thread::~bus_thread() {
    stop();
}

void bus_thread::start() {
    if (phase_ != phase::created) {
        return;
    }
    phase_ = phase::running;
    // Posted before the thread runs, so it comes after any interest added before start: those
    // are only recorded, and subscribed when the bus reports ready.
    net::post(io_, [this] {
        bus_->start(
            {[this](const bus_event& e) { on_event(e); },
             [this](bool ready, std::string reason) { on_readiness(ready, std::move(reason)); },
             [this](std::string_view exchange, std::string_view why) {
                 on_malformed(exchange, why);
             },
             [this](std::string_view correlation_id, std::string_view body) {
                 on_reply_arrived(correlation_id, body);
             },
             [this](std::string_view identity, std::vector<mail>& bodies) {
                 if (mail_handler_) {
                     mail_handler_(identity, bodies);
                 }
             }});
    });
    thread_ = std::thread([this] { io_.run(); });
}

void bus_thread::stop() {
    if (phase_ == phase::running) {
        net::post(io_, [this] {
            bus_->stop();
            bus_ready_ = false;
            // Not just releasing the work guard: a bus operation that does not end at once
            // must not hold up the node's shutdown. What is left is destroyed with io_, unrun.
            io_.stop();
        });
        thread_.join();
    }
    phase_ = phase::stopped;
    set_readiness(false, "stopped");
}

void bus_thread::publish(bus_event event, bus::publish_done done) {
    net::post(io_, [this, event = std::move(event), done = std::move(done)]() mutable {
        if (!bus_ready_) {
            if (done) {
                done(not_ready_reason());
            }
            return;
        }
        bus_->publish(std::move(event), [this, done = std::move(done)](std::string_view error) {
            if (error.empty()) {
                events_published_.add();
            }
            if (done) {
                done(error);
            }
        });
    });
}

void bus_thread::send_request(bus_request request, bus::publish_done done) {
    net::post(io_, [this, request = std::move(request), done = std::move(done)]() mutable {
        if (!bus_ready_) {
            if (done) {
                done(not_ready_reason());
            }
            return;
        }
        bus_->send_request(std::move(request), std::move(done));
    });
}

void bus_thread::open_mailbox(std::string identity, mailbox_settings settings, unsigned shard) {
    net::post(io_, [this, identity = std::move(identity), settings, shard] {
        auto& watched = mailboxes_[identity];
        watched.shards |= std::uint64_t{1} << shard;
        watched.settings = settings;
        // Each registration refreshes the identity's lifetime, even when already watched.
        if (bus_ready_ && bus_->mailboxes() != nullptr) {
            bus_->mailboxes()->open_mailbox(identity, settings);
        }
        arm_mailbox_timer();
    });
}

void bus_thread::arm_mailbox_timer() {
    if (mailbox_timer_armed_ || mailboxes_.empty()) {
        return;
    }
    mailbox_timer_armed_ = true;
    mailbox_timer_.expires_after(std::chrono::minutes(1));
    mailbox_timer_.async_wait([this](const error_code& ec) {
        mailbox_timer_armed_ = false;
        if (ec) {
            return;
        }
        take_every_mailbox();
        arm_mailbox_timer();
    });
}

void bus_thread::close_mailbox(std::string identity, unsigned shard) {
    net::post(io_, [this, identity = std::move(identity), shard] {
        auto it = mailboxes_.find(identity);
        if (it == mailboxes_.end()) {
            return;
        }
        it->second.shards &= ~(std::uint64_t{1} << shard);
        if (it->second.shards == 0) {
            mailboxes_.erase(it);
            if (bus_ready_ && bus_->mailboxes() != nullptr) {
                bus_->mailboxes()->close_mailbox(identity);
            }
        }
    });
}

void bus_thread::wake_mailbox(std::string identity) {
    net::post(io_, [this, identity = std::move(identity)] {
        auto it = mailboxes_.find(identity);
        if (it != mailboxes_.end() && bus_ready_ && bus_->mailboxes() != nullptr) {
            bus_->mailboxes()->take_mail(identity, it->second.settings);
        }
    });
}

void bus_thread::take_every_mailbox() {
    for (const auto& [identity, watched] : mailboxes_) {
        if (!bus_ready_ || bus_->mailboxes() == nullptr) {
            break;
        }
        bus_->mailboxes()->take_mail(identity, watched.settings);
    }
}

void bus_thread::acknowledge_mail(std::vector<std::string> identities, std::vector<std::string> ids,
                                  mailboxes::acknowledge_done done) {
    net::post(io_, [this, identities = std::move(identities), ids = std::move(ids),
                    done = std::move(done)]() mutable {
        if (!bus_ready_ || bus_->mailboxes() == nullptr) {
            done({});
            return;
        }
        bus_->mailboxes()->acknowledge(identities, ids, std::move(done));
    });
}

void bus_thread::notify(std::string identity, std::string body, mailboxes::notify_done done) {
    net::post(io_, [this, identity = std::move(identity), body = std::move(body),
                    done = std::move(done)]() mutable {
        if (!bus_ready_) {
            done(notify_result::unavailable, not_ready_reason());
            return;
        }
        if (bus_->mailboxes() == nullptr) {
            done(notify_result::unavailable, "this bus keeps no mailboxes");
            return;
        }
        bus_->mailboxes()->notify(
            identity, std::move(body),
            [this, done = std::move(done)](notify_result result, std::string_view why) {
                if (result == notify_result::full) {
                    mailbox_full_.add();
                }
                done(result, why);
            });
    });
}

void bus_thread::on_mail(mail_handler handler) {
    // Posted, not set here: the bus thread may be running and reading it.
    net::post(io_, [this, handler = std::move(handler)]() mutable {
        mail_handler_ = std::move(handler);
    });
}

void bus_thread::on_reply(bus::reply_handler handler) {
    // Posted, not set here: the bus thread may be running and reading it.
    net::post(io_, [this, handler = std::move(handler)]() mutable {
        reply_handler_ = std::move(handler);
    });
}

void bus_thread::add_interest(std::string exchange, std::string routing_key, unsigned shard,
                              dialect_id dialect) {
    net::post(io_, [this, exchange = std::move(exchange), routing_key = std::move(routing_key),
                    shard, dialect] {
        if (interest_.add(exchange, routing_key, shard, dialect) && bus_ready_) {
            bus_->subscribe(exchange, routing_key);
        }
    });
}

void bus_thread::remove_interest(std::string exchange, std::string routing_key, unsigned shard,
                                 dialect_id dialect) {
    net::post(io_, [this, exchange = std::move(exchange), routing_key = std::move(routing_key),
                    shard, dialect] {
        if (interest_.remove(exchange, routing_key, shard, dialect) && bus_ready_) {
            bus_->unsubscribe(exchange, routing_key);
        }
    });
}

std::string bus_thread::not_ready_reason() const {
    std::lock_guard lock(reason_mutex_);
    return reason_;
}

void bus_thread::on_event(const bus_event& event) {
    interest_.match(event.exchange, event.routing_key, reached_);
    if (reached_.empty()) {
        return; // the last interest left while the event travelled
    }
    interest::wanted all;
    for (const auto& r : reached_) {
        for (std::size_t d = 0; d < max_dialects; ++d) {
            all.shards_by_dialect[d] |= r.who->shards_by_dialect[d];
        }
    }
    events_routed_.add();
    deliver_(event, all, reached_);
}

void bus_thread::on_malformed(std::string_view exchange, std::string_view why) {
    events_malformed_.add();
    // One line a minute at most: a back end that sends garbage must not flood the log.
    const auto now = std::chrono::steady_clock::now();
    if (now - last_malformed_log_ >= std::chrono::minutes(1)) {
        last_malformed_log_ = now;
        log::warn("dropped a message on exchange \"{}\" that is not an event ({}); {} so far",
                  exchange, why, events_malformed_.value());
    }
}

void bus_thread::on_reply_arrived(std::string_view correlation_id, std::string_view body) {
    if (reply_handler_) {
        reply_handler_(correlation_id, body);
    }
}

void bus_thread::on_readiness(bool ready, std::string reason) {
    bus_ready_ = ready;
    const auto round = ++readiness_round_;
    if (!ready) {
        set_readiness(false, reason.empty() ? "the bus is not connected" : std::move(reason));
        return;
    }
    // A broker forgets a connection's subscriptions with it. Ask again for every wanted topic,
    // and say ready (/readyz 200) only once the broker has them: a node another node's
    // unicast or multicast cannot reach yet is not ready.
    set_readiness(false, "subscribing at the broker");
    for (const auto& t : interest_.topics()) {
        if (!bus_ready_) {
            return; // lost again from inside subscribe; the next ready redoes it all
        }
        bus_->subscribe(t.exchange, t.routing_key);
    }
    // And the mailboxes it watched, after the topics their mail goes out on.
    take_every_mailbox();
    if (bus_ready_ && round == readiness_round_) {
        bus_->after_subscriptions([this, round] {
            if (bus_ready_ && round == readiness_round_) {
                set_readiness(true, {});
            }
        });
    }
}

void bus_thread::set_readiness(bool ready, std::string reason) {
    std::lock_guard lock(reason_mutex_);
    reason_ = std::move(reason);
    ready_.store(ready, std::memory_order_release);
}

} // namespace herald
