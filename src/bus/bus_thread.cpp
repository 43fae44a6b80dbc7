#include "bus/bus_thread.hpp"

#include "pubsub/topic.hpp"

#include <boost/asio/post.hpp>

namespace herald {

bus_thread::bus_thread(std::unique_ptr<bus> client, fanout deliver)
    : work_(io_.get_executor())
    , client_(std::move(client))
    , deliver_(std::move(deliver)) {}

bus_thread::~bus_thread() {
    stop();
}

void bus_thread::start() {
    net::post(io_, [this] {
        client_->start([this](const bus_event& e) { on_event(e); });
        ready_.store(client_->is_ready(), std::memory_order_relaxed);
    });
    thread_ = std::thread([this] { io_.run(); });
}

void bus_thread::stop() {
    if (!thread_.joinable()) {
        return;
    }
    net::post(io_, [this] {
        client_->stop();
        ready_.store(false, std::memory_order_relaxed);
        work_.reset();
    });
    thread_.join();
}

void bus_thread::publish(bus_event event) {
    net::post(io_, [this, event = std::move(event)]() mutable {
        events_published_.add();
        client_->publish(std::move(event));
    });
}

void bus_thread::add_interest(std::string key, unsigned shard) {
    net::post(io_, [this, key = std::move(key), shard] {
        if (interest_.add(key, shard)) {
            client_->subscribe(key);
        }
    });
}

void bus_thread::remove_interest(std::string key, unsigned shard) {
    net::post(io_, [this, key = std::move(key), shard] {
        if (interest_.remove(key, shard)) {
            client_->unsubscribe(key);
        }
    });
}

void bus_thread::on_event(const bus_event& event) {
    // The topic key is built per event; an allocation here is shared by every delivery.
    const auto shards = interest_.shards_for(topic_key(event.exchange, event.routing_key));
    if (shards != 0) {
        events_routed_.add();
        deliver_(shards, event);
    }
}

} // namespace herald
