#pragma once

#include "bus/bus.hpp"

namespace herald {

// The embedded bus: one node, no broker. A published event is delivered at once, in publish
// order, on the bus thread.
class memory_bus final : public bus {
public:
    void start(event_handler on_event) override { on_event_ = std::move(on_event); }
    void stop() override { on_event_ = nullptr; }
    void publish(bus_event event) override;
    void subscribe(const std::string&) override {}
    void unsubscribe(const std::string&) override {}
    bool is_ready() const override { return true; }

private:
    event_handler on_event_;
};

} // namespace herald
