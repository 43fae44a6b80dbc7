#include "bus/registry.hpp"

#include "bus/amqp/amqp_bus.hpp"
#include "bus/memory_bus.hpp"
#include "bus/redis/redis_bus_factory.hpp"

#include <array>
#include <fmt/format.h>

namespace herald {
namespace {

struct bus_kind_entry {
    std::string_view name;
    std::array<std::string_view, 2> schemes; // URL prefixes, without "://"
    bus_factory (*make)(const bus_settings&);
};

bus_factory memory(const bus_settings& settings) {
    return [settings](boost::asio::any_io_executor) {
        return std::make_unique<memory_bus>(
            [settings](std::string_view exchange) { return settings.kind_of(exchange); },
            settings.mailbox_file);
    };
}

// One line per bus. A URL "memory" (or none) is the memory bus.
const std::array<bus_kind_entry, 3> all = {{
    {"memory", {"memory", ""}, memory},
    {"amqp", {"amqp", ""}, make_amqp_bus_factory}, // no amqps: TLS is not supported yet
    {"redis", {"redis", ""}, redis_bus_factory},   // no TLS: hiredis 0.14 has none
}};

std::string_view scheme_of(std::string_view url) {
    const auto end = url.find("://");
    return end == std::string_view::npos ? url : url.substr(0, end);
}

const bus_kind_entry* entry_for(std::string_view url) {
    const auto scheme = scheme_of(url);
    for (const auto& e : all) {
        for (const auto s : e.schemes) {
            if (!s.empty() && s == scheme) {
                return &e;
            }
        }
    }
    return nullptr;
}

} // namespace

boost::system::result<bus_factory, std::string> bus_for(const bus_settings& settings) {
    if (settings.urls.empty()) {
        return memory(settings);
    }
    const auto* first = entry_for(settings.urls.front());
    if (first == nullptr) {
        return fmt::format("\"{}\" names no bus: use memory, amqp://… or redis://…",
                           masked_url(settings.urls.front()));
    }
    for (const auto& url : settings.urls) {
        if (entry_for(url) != first) {
            return fmt::format("\"{}\" is not a {} URL like the first: a node uses one kind of bus",
                               masked_url(url), first->name);
        }
    }
    return first->make(settings);
}

std::string bus_kind(const bus_settings& settings) {
    if (settings.urls.empty()) {
        return "memory";
    }
    const auto* e = entry_for(settings.urls.front());
    return e ? std::string(e->name) : "unknown";
}

} // namespace herald
