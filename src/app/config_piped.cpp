#include "app/config_piped.hpp"

#include "dialects/registry.hpp"

#include <cstdlib>
#include <fmt/format.h>

namespace herald {
namespace {

std::string variable(const char* name, const char* otherwise) {
    const char* value = std::getenv(name);
    return value && *value ? value : otherwise;
}

std::string variable(const char* name) {
    return variable(name, "");
}

} // namespace

std::optional<std::string> piped_bus_url_from_environment() {
    const auto host = variable("RABBIT_HOST");
    if (host.empty()) {
        return std::nullopt;
    }
    std::string url = "amqp://";
    if (const auto login = variable("RABBIT_LOGIN"); !login.empty()) {
        url += login + ":" + variable("RABBIT_PASSWORD") + "@";
    }
    url += host;
    if (const auto port = variable("RABBIT_PORT"); !port.empty()) {
        url += ":" + port;
    }
    url += "/" + variable("RABBIT_VHOST");
    if (const auto heartbeat = variable("RABBIT_HEARTBEAT"); !heartbeat.empty()) {
        url += "?heartbeat=" + heartbeat;
    }
    return url;
}

void apply_piped_topology(config& c) {
    const dialect* piped = nullptr;
    for (const auto& e : c.endpoints) {
        if (dialects()[e.dialect]->name() == "piped") {
            piped = dialects()[e.dialect];
        }
    }
    const bool on_rabbitmq = !c.bus.urls.empty() && c.bus.urls.front().starts_with("amqp");
    const bool has_backend = !c.backend.url.empty() || !c.backend.queue.empty();
    if (piped == nullptr || !on_rabbitmq || has_backend) {
        return; // methods go to the back end's contract, events through the piped exchange
    }
    if (!c.node_id) {
        throw config_error("config: node_id: a Piped endpoint on RabbitMQ without [backend] uses "
                           "Piped's per-node queues, which need --node-id N, as Piped does");
    }
    const auto id = std::to_string(*c.node_id);
    piped_topology t;
    t.exchange_in = variable("RABBIT_PREFIX_EXCHANGE_IN", "exchange-in-") + id;
    t.exchange_out = variable("RABBIT_PREFIX_EXCHANGE_OUT", "exchange-out-") + id;
    t.queue_in = variable("RABBIT_PREFIX_QUEUE_IN", "queue-in-") + id;
    t.queue_out = variable("RABBIT_PREFIX_QUEUE_OUT", "queue-out-") + id;
    t.mass = variable("RABBIT_MASS_EXHANGE_NAME", "");
    if (t.mass.empty()) {
        t.mass = variable("RABBIT_MASS_EXCHANGE_NAME", "exchange-mass");
    }
    t.token_exchange = std::string(piped->own_exchanges().front().name);
    for (const auto* name : {&t.exchange_in, &t.exchange_out, &t.mass}) {
        std::erase_if(c.bus.exchanges, [&](const auto& e) { return e.name == *name; });
        exchange_settings fanout;
        fanout.name = *name;
        fanout.kind = exchange_kind::fanout;
        fanout.durable = true; // as Piped declares them
        c.bus.exchanges.push_back(std::move(fanout));
    }
    c.piped.methods_exchange = t.exchange_out;
    c.bus.piped = std::move(t);
}

} // namespace herald
