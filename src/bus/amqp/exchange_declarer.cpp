#include "bus/amqp/exchange_declarer.hpp"

#include "util/log.hpp"

#include <fmt/format.h>
#include <vector>

namespace herald {
namespace {

std::string_view kind_name(exchange_kind kind) {
    switch (kind) {
    case exchange_kind::topic:
        return "topic";
    case exchange_kind::fanout:
        return "fanout";
    case exchange_kind::direct:
        break;
    }
    return "direct";
}

std::string flags_of(const exchange_settings& e) {
    return fmt::format("type {}, durable {}, auto_delete {}", kind_name(e.kind), e.durable,
                       e.auto_delete);
}

// The broker's refusal ("406 PRECONDITION_FAILED - …") said for a person reading /readyz.
std::string explain(const exchange_settings& e, const std::string& broker_said) {
    if (broker_said.starts_with("406")) {
        // RabbitMQ names the first flag that differs and its value there ("received 'false' but
        // current is 'true'"); it cannot be asked for the others without the management API.
        return fmt::format("exchange \"{}\": Herald declares it with {}, but the broker's flags "
                           "differ ({})",
                           e.name, flags_of(e), broker_said);
    }
    if (broker_said.starts_with("404") && !e.declare) {
        return fmt::format("exchange \"{}\" does not exist, and with declare = false Herald "
                           "waits for someone else to declare it ({})",
                           e.name, broker_said);
    }
    return fmt::format("exchange \"{}\": the broker refused to declare it with {} ({})", e.name,
                       flags_of(e), broker_said);
}

} // namespace

exchange_declarer::exchange_declarer(const bus_settings& settings)
    : settings_(settings)
    , backoff_(settings.min_backoff, settings.max_backoff) {
    // Every configured exchange is declared on each connection, as Myxi declared its exchanges
    // at start: a back end may publish to one before any session has subscribed to it.
    for (const auto& e : settings.exchanges) {
        if (e.name != "*") {
            known_.insert(e.name);
        }
    }
}

void exchange_declarer::new_connection(amqp_connection& connection, clock::time_point now) {
    declared_.clear();
    refused_.clear();
    backoff_.reset();
    for (const auto& name : known_) {
        ensure(connection, name, now);
    }
}

std::string exchange_declarer::ensure(amqp_connection& connection, const std::string& name,
                                      clock::time_point now) {
    if (declared_.contains(name)) {
        return {};
    }
    if (const auto it = refused_.find(name); it != refused_.end()) {
        return it->second;
    }
    known_.insert(name);
    auto why = declare(connection, name);
    if (why.empty()) {
        declared_.insert(name);
        note_accepted(name);
        return {};
    }
    note_refused(name, why, now);
    return why;
}

void exchange_declarer::refuse(const std::string& name, std::string why, clock::time_point now) {
    declared_.erase(name);
    note_refused(name, std::move(why), now);
}

void exchange_declarer::unbound_all(const std::string& name) {
    if (settings_.exchange(name).auto_delete) {
        declared_.erase(name);
    }
}

void exchange_declarer::retry(amqp_connection& connection, clock::time_point now) {
    if (refused_.empty() || now < next_retry_) {
        return;
    }
    std::vector<std::string> names;
    for (const auto& [name, why] : refused_) {
        names.push_back(name);
    }
    for (const auto& name : names) {
        auto why = declare(connection, name);
        if (why.empty()) {
            refused_.erase(name);
            declared_.insert(name);
            note_accepted(name);
        } else {
            note_refused(name, std::move(why), now);
        }
    }
    if (refused_.empty()) {
        backoff_.reset();
    } else {
        next_retry_ = now + backoff_.next();
    }
}

std::string exchange_declarer::refusal() const {
    return refused_.empty() ? std::string() : refused_.begin()->second;
}

std::optional<exchange_declarer::clock::time_point> exchange_declarer::next_retry() const {
    if (refused_.empty()) {
        return std::nullopt;
    }
    return next_retry_;
}

std::string exchange_declarer::declare(amqp_connection& connection, const std::string& name) {
    const auto e = settings_.exchange(name);
    auto said =
        connection.declare_exchange(name, kind_name(e.kind), !e.declare, e.durable, e.auto_delete);
    return said.empty() ? said : explain(e, said);
}

void exchange_declarer::note_refused(const std::string& name, std::string why,
                                     clock::time_point now) {
    if (refused_.empty()) {
        next_retry_ = now + backoff_.next();
    }
    auto& logged = logged_[name];
    if (logged != why) {
        log::warn("rabbitmq: {}; the bus is not ready until it is fixed (retrying)", why);
        logged = why;
    }
    refused_[name] = std::move(why);
}

void exchange_declarer::note_accepted(const std::string& name) {
    if (const auto it = logged_.find(name); it != logged_.end()) {
        log::info("rabbitmq: exchange \"{}\" is declared now", name);
        logged_.erase(it);
    }
}

} // namespace herald
