#pragma once

#include "util/net.hpp"

#include <boost/asio/steady_timer.hpp>

#include <cstdint>

namespace herald {

class bus_port;

// Publishes {"event":"tick"} on exchange "demo", routing key "clock", every second, so a
// newcomer sees events flow at once. Lives on the io_context it is given.
class demo_publisher {
public:
    demo_publisher(net::io_context& io, bus_port& bus);
    void start();
    void stop(); // any thread

private:
    void schedule();
    void publish();

    net::steady_timer timer_;
    bus_port& bus_;
    std::uint64_t count_ = 0;
    bool stopped_ = false;
};

} // namespace herald
