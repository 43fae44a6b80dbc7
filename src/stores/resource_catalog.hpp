#pragma once
// MonoRail's resources as the configuration declares them ([[resources]], [monorail]): each
// named resource is answered by a document store, by the back end, or (the `mq` resource) only
// watched on the broker. Built at start, immutable afterwards, read from every thread.

#include "stores/document_store.hpp"

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace herald {

struct resource {
    enum class source : unsigned char { store, backend, broker };
    std::string name;
    source from = source::store;
    std::string store_name;          // source::store: the [stores.<name>] it reads
    document_store* store = nullptr; // set by the server once the store is made
    std::string collection;          // the table or collection
    std::string identity;            // Waterline's identity: the first part of its routing keys
};

struct resource_catalog {
    std::vector<resource> resources;
    // RackHD's database changes: routing keys <identity>.<event>.<id>, bodies {event, record}.
    std::string waterline_exchange = "on.waterline";
    // What the broker resource (`mq`) may watch: topic exchanges, declared durable as RackHD
    // declares them.
    std::vector<std::string> watch_exchanges;
    std::size_t max_list = 1000; // items in one list; past it the list is cut and says so

    const resource* find(std::string_view name) const {
        const auto it = std::find_if(resources.begin(), resources.end(),
                                     [&](const resource& r) { return r.name == name; });
        return it == resources.end() ? nullptr : &*it;
    }
    // The resource whose changes carry this Waterline identity; the first declared wins.
    const resource* by_identity(std::string_view identity) const {
        const auto it = std::find_if(resources.begin(), resources.end(), [&](const resource& r) {
            return r.from != resource::source::broker && r.identity == identity;
        });
        return it == resources.end() ? nullptr : &*it;
    }
    bool watchable(std::string_view exchange) const {
        return std::find(watch_exchanges.begin(), watch_exchanges.end(), exchange) !=
               watch_exchanges.end();
    }
};

} // namespace herald
