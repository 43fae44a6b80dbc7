#include "bus/memory_bus.hpp"

namespace herald {

void memory_bus::publish(bus_event event) {
    if (on_event_) {
        on_event_(event);
    }
}

} // namespace herald
