#pragma once

#include "app/config.hpp"
#include "app/node_context.hpp"
#include "auth/jwt_verifier.hpp"
#include "util/net.hpp"

#include <memory>
#include <vector>

namespace herald {

class bus_thread;
class demo_publisher;
class listener;
class shard;

// One node: the shards, the listener, the bus thread. start() and stop() hold the only
// start-up and shut-down order. Owned by the main thread.
class server {
public:
    // Binds the port and prepares everything; throws config_error or system_error.
    explicit server(config settings);
    ~server();

    void start();
    // Stops accepting, says Shutdown to every session, closes them with 1001 spread over
    // shutdown_time, then stops the bus and the shards. Returns when everything is down.
    void stop();

    tcp::endpoint local_endpoint() const;
    std::uint16_t node_id() const { return node_->session_ids.node_id(); }

private:
    std::string render_metrics() const;

    config settings_;
    jwt_verifier jwt_;
    std::unique_ptr<bus_thread> bus_;
    std::unique_ptr<node_context> node_;
    std::vector<std::unique_ptr<shard>> shards_;
    std::unique_ptr<listener> listener_;
    std::unique_ptr<demo_publisher> demo_;
    bool stopped_ = false;
};

} // namespace herald
