#pragma once

#include "app/address_router.hpp"
#include "app/config.hpp"
#include "app/foreign_router.hpp"
#include "auth/exchange_policies.hpp"
#include "auth/jwt_verifier.hpp"
#include "bus/bus_settings.hpp"
#include "pubsub/interest.hpp"
#include "session/session_env.hpp"
#include "shard/session_id_maker.hpp"
#include "stores/document_store.hpp"
#include "stores/resource_catalog.hpp"
#include "util/net.hpp"

#include <condition_variable>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

namespace herald {

class backend;
class bus_thread;
class demo_publisher;
class listener;
class touch_rounds;
class shard;
struct bus_event;
struct transport_context;
class sockjs_registry;

// One node: the shards, the listener, the bus thread, and what they are handed (the rules,
// the endpoints, the bus port). start() and stop() hold the only start-up and shut-down order.
// Owned by the main thread.
class server {
public:
    // Binds the port and prepares everything; throws config_error or system_error.
    explicit server(config settings);
    ~server();

    void start();
    // Stops accepting, says goodbye to every session, closes them spread over shutdown_time,
    // then stops the bus and the shards. Returns when everything is down.
    void stop();

    tcp::endpoint local_endpoint() const;
    std::uint16_t node_id() const { return session_ids_.node_id(); }
    // "memory", or the broker URLs with their passwords masked: for the start-up line.
    std::string bus_description() const;

private:
    std::string render_metrics() const;
    // On the bus thread: frames the event once per dialect that has a subscriber for it and
    // hands it to the shards that want it.
    void fan_out(const bus_event& event, const interest::wanted& wanted,
                 std::span<const interest::reached> reached);
    // Makes the document stores and the resource catalog that names them.
    void make_stores();
    // On a store's thread: a change its database reported, published as RackHD would.
    void publish_change(const document_store& from, const document_change& change);

    config settings_;
    jwt_verifier jwt_;
    exchange_policies exchanges_;
    session_rules rules_;
    session_id_maker session_ids_;
    bus_settings bus_settings_;
    std::unique_ptr<bus_thread> bus_;
    std::unique_ptr<transport_context> transport_;
    // Before shards_, so destroyed after them: sessions leave it as the shards end them.
    std::unique_ptr<sockjs_registry> sockjs_; // null when no endpoint is served over SockJS
    std::vector<action_label> action_labels_;
    std::vector<std::unique_ptr<shard>> shards_;
    std::vector<shard*> shard_views_;           // the same shards, for the address router
    std::vector<dialect_id> endpoint_dialects_; // index = endpoint index
    live_sessions live_;
    std::unique_ptr<address_router> addresses_;
    std::unique_ptr<foreign_router> foreign_; // dialects' foreign channels (Plezi 0.12's Redis)
    std::unique_ptr<listener> listener_;
    // After shards_, so destroyed before them: requests still held by the back end hold the
    // connections that asked, whose sockets belong to the shards.
    std::unique_ptr<backend> backend_;    // null without [backend] url
    std::unique_ptr<touch_rounds> touch_; // its timer is on the first shard
    // After shards_, so destroyed before them: a store's late answer is posted to a shard.
    std::vector<std::unique_ptr<document_store>> stores_; // same index as settings_.monorail
    resource_catalog resources_;                          // MonoRail's, with the stores above
    std::unique_ptr<demo_publisher> demo_;

    std::mutex emptied_mutex_;
    std::condition_variable emptied_;
    unsigned empty_shards_ = 0; // guarded by emptied_mutex_
    bool stopped_ = false;
};

} // namespace herald
