#pragma once
// A bus port that takes everything and says nothing: for tests of shards and connections,
// which need a port but no events.

#include "bus/bus_port.hpp"

namespace herald::testing {

struct quiet_bus final : bus_port {
    void publish(bus_event, bus::publish_done) override {}
    void add_interest(std::string, std::string, unsigned, dialect_id) override {}
    void remove_interest(std::string, std::string, unsigned, dialect_id) override {}
    bool takes_every_event() const override { return true; }
    bool is_ready() const override { return true; }
    std::string not_ready_reason() const override { return {}; }
    void send_request(bus_request, bus::publish_done) override {}
    bool carries_requests() const override { return false; }
    void on_reply(bus::reply_handler) override {}
};

} // namespace herald::testing
