#pragma once

#include "bus/bus.hpp"
#include "bus/sqlite_mailboxes.hpp"
#include "pubsub/routing_pattern.hpp"
#include "util/string_map.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace herald {

// The embedded bus: one node, no broker, no set-up. It honours the whole bus contract: ready
// as soon as it starts; a published event is delivered at once (from inside publish), in
// publish order, only when its topic is subscribed or a subscribed pattern matches it. It has
// no broker to carry requests to back-end workers: each request fails at once.
// Lives on the bus thread, like every bus.
class memory_bus final : public bus {
public:
    // How each exchange matches routing keys; every exchange is direct without it.
    using kind_resolver = std::function<exchange_kind(std::string_view exchange)>;
    // `mailbox_file`: the SQLite file of identities' mailboxes; empty: the bus keeps none.
    explicit memory_bus(kind_resolver kind_of = {}, std::string mailbox_file = {})
        : kind_of_(std::move(kind_of))
        , mailbox_file_(std::move(mailbox_file)) {}

    void start(handlers callbacks) override;
    void stop() override;
    void publish(bus_event event, publish_done done) override;
    void subscribe(std::string_view exchange, std::string_view routing_key) override;
    void unsubscribe(std::string_view exchange, std::string_view routing_key) override;
    bool takes_every_event() const override { return true; }
    bool carries_requests() const override { return false; }
    // Fails at once, from inside the call, saying so.
    void send_request(bus_request request, publish_done done) override;
    herald::mailboxes* mailboxes() override { return mailboxes_.get(); }

    static constexpr std::string_view no_requests =
        "the memory bus carries no requests to back ends (RabbitMQ and Redis buses do)";

private:
    bool subscribed(std::string_view exchange, std::string_view routing_key) const;

    kind_resolver kind_of_;
    std::string mailbox_file_;
    std::unique_ptr<sqlite_mailboxes> mailboxes_; // made at start, with the mail handler
    handlers callbacks_;
    bool running_ = false;
    // Exchange, then routing key: looked up with string_views, so publishing allocates nothing.
    string_map<string_set> subscriptions_;
};

// A bus_factory. The memory bus delivers synchronously, so it has no use for the executor.
std::unique_ptr<bus> make_memory_bus(boost::asio::any_io_executor bus_executor);

} // namespace herald
