#pragma once
// MonoRail's part of the configuration: document stores ([stores.<name>]), the resources they
// answer ([[resources]]), the exchanges watches may use ([monorail]), and the RackHD preset
// (docs/configuration.md#monorail-resources-and-stores).

#include "stores/registry.hpp"
#include "stores/resource_catalog.hpp"

#include <string>
#include <string_view>
#include <toml++/toml.h>
#include <vector>

namespace herald {

struct config;

struct store_config {
    std::string name;
    std::string kind;
    store_options options;
};

struct monorail_config {
    std::vector<store_config> stores;
    resource_catalog catalog; // store pointers unset: the server makes the stores
};

// The name of the store a resource reads when it names none, made as a SQLite file when no
// [stores.documents] is declared: zero set-up.
inline constexpr std::string_view default_store = "documents";

// preset = "rackhd": on-wss's port 9100, one MonoRail endpoint for every path, RackHD's
// resources on the embedded store and its 13 topic exchanges. Applied before the file's other
// keys, which override it.
void apply_preset(config& into, const toml::node& value);
void apply_stores(config& into, const toml::table& t);
void apply_resources(config& into, const toml::node& value);
void apply_monorail(config& into, const toml::table& t);
// After everything is read: each resource's store exists (the default one is added), each
// store's options are its kind's, the `mq` resource is there, and the exchanges are declared
// on the bus as RackHD declares them (topic, durable) and closed to other dialects' clients.
void validate_monorail(config& c);
// True when an endpoint speaks MonoRail: only then are stores made and resources served.
bool serves_monorail(const config& c);
// The exchanges MonoRail sessions watch, when a MonoRail endpoint exists; else none.
std::vector<std::string> monorail_exchanges(const config& c);

} // namespace herald
