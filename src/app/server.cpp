#include "app/server.hpp"

#include "app/demo_publisher.hpp"
#include "bus/bus_thread.hpp"
#include "bus/memory_bus.hpp"
#include "protocol/frame_codec.hpp"
#include "protocol/myxi.hpp"
#include "shard/shard.hpp"
#include "transport/listener.hpp"
#include "util/log.hpp"

#include <algorithm>
#include <random>
#include <thread>

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

// An event is framed once per dialect, here on the bus thread, and the same bytes go to
// every session of every shard.
event_frames frame_event(const bus_event& e) {
    event_frames frames;
    frames[static_cast<std::size_t>(dialect::myxi)] =
        std::make_shared<const std::string>(ws::make_frame(
            ws::opcode::text, myxi::application_event(e.body, e.exchange, e.routing_key)));
    return frames;
}

// Settings that are valid but probably not what was meant. Printed once the server is built,
// so a setting that fails the start fails it with exactly one line.
void warn_about(const config& settings, const jwt_verifier& jwt) {
    if (settings.exchanges.empty()) {
        log::warn("no exchanges are declared: every exchange is public");
    }
    const bool needs_tokens =
        std::any_of(settings.exchanges.begin(), settings.exchanges.end(),
                    [](const auto& e) { return e.second != exchange_access::open; });
    if (needs_tokens && !jwt.enabled()) {
        log::warn("exchanges need authentication but no JWT key is set ([auth]): "
                  "no session can authenticate");
    }
}

} // namespace

server::server(config settings)
    : settings_(std::move(settings))
    , jwt_(make_verifier(settings_.jwt)) {
    bus_ = std::make_unique<bus_thread>(
        std::make_unique<memory_bus>(), [this](std::uint64_t mask, const bus_event& e) {
            auto key = std::make_shared<const std::string>(topic_key(e.exchange, e.routing_key));
            const auto frames = frame_event(e);
            for (std::size_t i = 0; i < shards_.size(); ++i) {
                if (mask & (std::uint64_t{1} << i)) {
                    shards_[i]->publish(key, frames);
                }
            }
        });
    node_ = std::unique_ptr<node_context>(
        new node_context{settings_,
                         jwt_,
                         *bus_,
                         session_id_maker(pick_node_id(settings_), session_id_maker::random_key()),
                         {},
                         {}});
    node_->render_metrics = [this] {
        return render_metrics();
    };
    for (unsigned i = 0; i < settings_.threads; ++i) {
        shards_.push_back(std::make_unique<shard>(i, *node_));
    }
    std::vector<shard*> targets;
    for (auto& s : shards_) {
        targets.push_back(s.get());
    }
    const auto address = net::ip::make_address(settings_.bind);
    listener_ =
        std::make_unique<listener>(std::move(targets), tcp::endpoint(address, settings_.port));
    if (settings_.demo_clock) {
        demo_ = std::make_unique<demo_publisher>(shards_.front()->context(), *bus_);
    }
    warn_about(settings_, jwt_);
}

server::~server() {
    stop();
}

tcp::endpoint server::local_endpoint() const {
    return listener_->local_endpoint();
}

void server::start() {
    bus_->start();
    for (auto& s : shards_) {
        s->start();
    }
    listener_->start();
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
    node_->draining.store(true);
    if (demo_) {
        demo_->stop();
    }
    for (auto& s : shards_) {
        s->begin_shutdown(settings_.shutdown_time);
    }
    // Sessions close by shutdown_time; each then has a moment to finish its close handshake.
    const auto give_up =
        std::chrono::steady_clock::now() + settings_.shutdown_time + std::chrono::seconds(3);
    auto all_empty = [this] {
        for (auto& s : shards_) {
            if (!s->is_empty()) {
                return false;
            }
        }
        return true;
    };
    while (!all_empty() && std::chrono::steady_clock::now() < give_up) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    for (auto& s : shards_) {
        s->stop();
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
    view.events_published = bus_->events_published().value();
    view.events_routed = bus_->events_routed().value();
    view.ready = bus_->is_ready() && !node_->draining.load();
    return render_prometheus(view);
}

} // namespace herald
