#include "app/server.hpp"

#include "app/demo_publisher.hpp"
#include "backend/bus_backend.hpp"
#include "backend/http_backend.hpp"
#include "bus/bus_thread.hpp"
#include "bus/registry.hpp"
#include "dialects/registry.hpp"
#include "protocol/addressing.hpp"
#include "shard/shard.hpp"
#include "stores/registry.hpp"
#include "stores/waterline.hpp"
#include "transport/listener.hpp"
#include "transport/sockjs_registry.hpp"
#include "transport/touch_rounds.hpp"
#include "transport/transport_context.hpp"
#include "util/log.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <random>

namespace herald {
namespace {

jwt_verifier make_verifier(const jwt_settings& settings) {
    auto made = jwt_verifier::make(settings);
    if (!made) {
        throw config_error("config: auth.jwt_public_key(_file): " + made.error());
    }
    return std::move(*made);
}

std::uint16_t pick_node_id(const config& c) {
    if (c.node_id) {
        return *c.node_id;
    }
    std::random_device random;
    return static_cast<std::uint16_t>(random());
}

// Settings that are valid but probably not what was meant. Printed once the server is built,
// so a setting that fails the start fails it with exactly one line.
void warn_about(const config& settings, const jwt_verifier& jwt) {
    if (settings.exchanges.empty()) {
        log::warn("no exchanges are declared: every exchange is public");
    }
    const bool exchanges_need_tokens =
        !settings.delegated.authenticate &&
        std::any_of(settings.exchanges.begin(), settings.exchanges.end(), [](const auto& e) {
            return e.second == exchange_access::authenticated || e.second == exchange_access::jwt;
        });
    const bool endpoints_need_tokens =
        std::any_of(settings.endpoints.begin(), settings.endpoints.end(), [](const auto& e) {
            return e.credentials.required() && !e.credentials.by_backend;
        });
    if ((exchanges_need_tokens || endpoints_need_tokens) && !jwt.enabled()) {
        log::warn("exchanges need authentication but no JWT key is set ([auth]): "
                  "no session can authenticate");
    }
}

// Herald's own exchanges, which clients may not subscribe to unless [exchanges] says so: the
// lifecycle events tell who is connected from where; a dialect's own carry what only its
// sessions may take (Piped: a token's events).
std::vector<std::string> reserved_exchanges(const config& c) {
    std::vector<std::string> reserved;
    if (c.lifecycle.to == lifecycle_rules::target::bus) {
        reserved.push_back(c.lifecycle.exchange);
    }
    for (const auto& e : c.endpoints) {
        for (const auto& own : dialects()[e.dialect]->own_exchanges()) {
            reserved.emplace_back(own.name);
        }
    }
    // MonoRail's watches take what RackHD publishes; other dialects' clients may not.
    for (auto& name : monorail_exchanges(c)) {
        reserved.push_back(std::move(name));
    }
    // Addressed events reach sessions without a subscription; subscribing would let a client
    // read what is addressed to others.
    const addressing::exchange_names addressing_exchanges(c.addressing_prefix);
    for (auto name : addressing_exchanges.all()) {
        reserved.emplace_back(name);
    }
    return reserved;
}

bus_factory make_bus_factory(const bus_settings& settings) {
    auto made = bus_for(settings);
    if (!made) {
        throw config_error("config: bus.url: " + made.error());
    }
    return std::move(*made);
}

} // namespace

server::server(config settings)
    : settings_(std::move(settings))
    , jwt_(make_verifier(settings_.jwt))
    , exchanges_(settings_.exchanges, reserved_exchanges(settings_))
    , rules_{exchanges_,           jwt_,
             settings_.jwt.leeway, settings_.limits,
             settings_.delegated,  settings_.lifecycle,
             settings_.piped}
    , session_ids_(pick_node_id(settings_), session_id_maker::random_key())
    , bus_settings_(settings_.bus) {
    bus_ = std::make_unique<bus_thread>(
        make_bus_factory(bus_settings_),
        [this](const bus_event& e, const interest::wanted& wanted,
               std::span<const interest::reached> keys) { fan_out(e, wanted, keys); },
        [this](std::string_view exchange) { return bus_settings_.kind_of(exchange); });

    // Each dialect's actions get consecutive rows of herald_actions_total.
    std::vector<std::size_t> first_label;
    for (const dialect* d : dialects()) {
        first_label.push_back(action_labels_.size());
        for (auto action : d->action_names()) {
            action_labels_.push_back({std::string(d->name()), std::string(action)});
        }
    }
    transport_ =
        std::unique_ptr<transport_context>(new transport_context{settings_.limits,
                                                                 rules_,
                                                                 exchanges_,
                                                                 session_ids_,
                                                                 *bus_,
                                                                 {},
                                                                 {},
                                                                 settings_.api_key,
                                                                 [this] {
                                                                     return render_metrics();
                                                                 }});
    if (!settings_.backend.url.empty()) {
        try {
            backend_ = std::make_unique<http_backend>(settings_.backend);
        } catch (const std::invalid_argument& e) {
            throw config_error(fmt::format("config: backend.url: {}", e.what()));
        }
    } else if (!settings_.backend.queue.empty()) {
        backend_ = std::make_unique<bus_backend>(*bus_, settings_.backend, session_ids_.node_id());
    }
    make_stores();
    transport_->resources = &resources_;
    transport_->application = backend_.get();
    transport_->backend_limits = settings_.backend;
    for (const auto& e : settings_.endpoints) {
        transport_->endpoint_paths.push_back(e.path);
        transport_->endpoints.push_back({dialects()[e.dialect], e.dialect, first_label[e.dialect],
                                         e.credentials, e.options, e.sockjs_prefix});
    }

    for (unsigned i = 0; i < settings_.threads; ++i) {
        shards_.push_back(
            std::make_unique<shard>(i, *bus_, settings_.endpoints.size(), action_labels_.size()));
    }
    std::vector<shard*> targets;
    for (auto& s : shards_) {
        targets.push_back(s.get());
    }
    shard_views_ = targets;
    if (std::any_of(settings_.endpoints.begin(), settings_.endpoints.end(),
                    [](const auto& e) { return !e.sockjs_prefix.empty(); })) {
        sockjs_ = std::make_unique<sockjs_registry>(targets, settings_.sockjs);
        transport_->sockjs = sockjs_.get();
    }
    for (const auto& e : settings_.endpoints) {
        endpoint_dialects_.push_back(e.dialect);
    }
    transport_->live = &live_;
    transport_->addressing = addressing::exchange_names(settings_.addressing_prefix);
    for (auto& s : shards_) {
        s->address_identities_on(transport_->addressing.identity);
        s->bound_mailboxes(settings_.mailbox_bounds);
    }
    addresses_ = std::make_unique<address_router>(address_router::node_view{
        shard_views_, session_ids_, live_, transport_->addressing, transport_->endpoint_paths,
        endpoint_dialects_, rules_.lifecycle, *bus_, backend_.get()});
    addresses_->declare_interest();
    std::vector<foreign_router::endpoint> foreign_endpoints;
    for (const auto& e : settings_.endpoints) {
        foreign_endpoints.push_back({e.path, e.dialect, &e.options});
    }
    foreign_ = std::make_unique<foreign_router>(foreign_endpoints, settings_.threads,
                                                session_ids_.node_id(), transport_->addressing,
                                                *addresses_);
    foreign_->declare_interest(*bus_);
    bus_->on_mail([this](std::string_view identity, std::vector<mail>& bodies) {
        addresses_->hand_out_mail(identity, bodies);
    });
    const auto address = net::ip::make_address(settings_.bind);
    listener_ =
        std::make_unique<listener>(targets, tcp::endpoint(address, settings_.port), *transport_);
    const bool delegates =
        std::any_of(settings_.exchanges.begin(), settings_.exchanges.end(),
                    [](const auto& e) { return e.second == exchange_access::backend; });
    if (backend_ && delegates && settings_.delegated.touch_interval.count() > 0) {
        touch_ = std::make_unique<touch_rounds>(targets, *backend_, exchanges_, session_ids_,
                                                settings_.delegated.touch_interval);
    }
    if (settings_.demo_clock) {
        demo_ = std::make_unique<demo_publisher>(shards_.front()->context(), *bus_);
    }
    warn_about(settings_, jwt_);
}

server::~server() {
    stop();
}

void server::make_stores() {
    resources_ = settings_.monorail.catalog;
    for (const auto& s : settings_.monorail.stores) {
        stores_.push_back(make_document_store(s.kind, s.options).store); // checked at validate
    }
    for (auto& r : resources_.resources) {
        for (std::size_t i = 0; i < stores_.size(); ++i) {
            if (r.from == resource::source::store &&
                settings_.monorail.stores[i].name == r.store_name) {
                r.store = stores_[i].get();
            }
        }
    }
    configure_dialects(node_settings{&resources_});
}

void server::publish_change(const document_store& from, const document_change& change) {
    if (!waterline::fits_id(change.id)) {
        log::warn("document store: a change of id \"{}\" cannot be a routing key; not published",
                  change.id.substr(0, 64));
        return;
    }
    for (const auto& r : resources_.resources) {
        if (r.store == &from && r.collection == change.collection) {
            bus_->publish({resources_.waterline_exchange,
                           waterline::routing_key(r.identity, change.event, change.id),
                           {},
                           waterline::body(change.event, change.record),
                           {}},
                          nullptr);
        }
    }
}

std::string server::bus_description() const {
    if (bus_settings_.urls.empty()) {
        return "memory";
    }
    std::string out;
    for (const auto& url : bus_settings_.urls) {
        out += (out.empty() ? "" : ", ") + masked_url(url);
    }
    return out;
}

tcp::endpoint server::local_endpoint() const {
    return listener_->local_endpoint();
}

void server::fan_out(const bus_event& e, const interest::wanted& wanted,
                     std::span<const interest::reached> reached) {
    if (addresses_->route(e, wanted) || foreign_->route(e)) {
        return;
    }
    const auto event =
        render_for(event_view{e.exchange, e.routing_key, e.event, e.payload, e.extra}, wanted);
    auto keys = std::make_shared<std::vector<std::string>>();
    keys->reserve(reached.size());
    for (const auto& r : reached) {
        keys->push_back(topic_key(r.key->exchange, r.key->routing_key));
    }
    const shard::topic_keys shared_keys = std::move(keys);
    const auto shards = wanted.shards();
    for (std::size_t i = 0; i < shards_.size(); ++i) {
        if (shards & (std::uint64_t{1} << i)) {
            shards_[i]->deliver(shared_keys, event);
        }
    }
}

void server::start() {
    bus_->start();
    if (backend_) {
        backend_->start();
    }
    for (auto& store : stores_) {
        store->start(
            [this, &from = *store](document_change change) { publish_change(from, change); });
    }
    for (auto& s : shards_) {
        s->start();
    }
    listener_->start();
    if (touch_) {
        touch_->start();
    }
    if (demo_) {
        demo_->start();
    }
}

void server::stop() {
    if (stopped_) {
        return;
    }
    stopped_ = true;
    listener_->stop();
    transport_->draining.store(true);
    if (demo_) {
        demo_->stop();
    }
    if (touch_) {
        touch_->stop();
    }
    for (auto& s : shards_) {
        s->begin_shutdown(settings_.shutdown_time, [this] {
            {
                std::lock_guard lock(emptied_mutex_);
                ++empty_shards_;
            }
            emptied_.notify_one();
        });
    }
    // Sessions close by shutdown_time; each then has a moment to finish its close handshake.
    {
        std::unique_lock lock(emptied_mutex_);
        emptied_.wait_for(lock, settings_.shutdown_time + std::chrono::seconds(3),
                          [this] { return empty_shards_ == shards_.size(); });
    }
    for (auto& s : shards_) {
        s->stop();
    }
    if (backend_) {
        backend_->stop(); // after the shards: no session asks any more
    }
    for (auto& store : stores_) {
        store->stop(); // likewise; and before the bus, which its changes are published to
    }
    bus_->stop();
}

std::string server::render_metrics() const {
    node_metrics_view view;
    for (const auto& s : shards_) {
        view.shards.push_back(&s->metrics());
    }
    for (const auto& e : settings_.endpoints) {
        view.endpoint_paths.push_back(e.path);
    }
    view.action_labels = action_labels_;
    view.events_published = bus_->events_published().value();
    view.events_routed = bus_->events_routed().value();
    view.events_malformed = bus_->events_malformed().value();
    view.events_dropped_by_broker = bus_->events_dropped_by_broker();
    view.unicasts_failed = addresses_->failed_unicasts();
    view.addressed_refused = addresses_->refused();
    view.mailbox_full = bus_->mailbox_full().value();
    view.ready = bus_->is_ready() && !transport_->draining.load();
    if (backend_) {
        const auto& counters = backend_->counters();
        for (std::size_t s = 0; s < counters.replies.size(); ++s) {
            view.backend_replies.emplace_back(to_string(static_cast<backend_status>(s)),
                                              counters.replies[s].value());
        }
        view.backend_pending = counters.pending.value();
        view.backend_late_answers = counters.late_answers.value();
    }
    return render_prometheus(view);
}

} // namespace herald
