#pragma once
// The broker abstraction: the embedded memory bus now; RabbitMQ and Redis later.

#include <functional>
#include <string>

namespace herald {

// An application event as it travels through the bus.
struct bus_event {
    std::string exchange;
    std::string routing_key;
    std::string body; // a JSON object: {"event":E,"payload":P} plus any extra keys
};

// Lives on the bus thread: every call comes from it, and on_event is called on it.
class bus {
public:
    using event_handler = std::function<void(const bus_event&)>;
    virtual ~bus() = default;

    virtual void start(event_handler on_event) = 0;
    virtual void stop() = 0;
    virtual void publish(bus_event event) = 0;
    // Interest-based: the node asks only for topics (topic_key) some session wants.
    virtual void subscribe(const std::string& key) = 0;
    virtual void unsubscribe(const std::string& key) = 0;
    virtual bool is_ready() const = 0;
};

} // namespace herald
