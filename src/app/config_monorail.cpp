#include "app/config_monorail.hpp"

#include "app/config.hpp"
#include "app/toml_values.hpp"
#include "dialects/registry.hpp"

#include <algorithm>
#include <array>
#include <fmt/format.h>

namespace herald {
namespace {

// RackHD's resources (on-wss lib/ws-resources.js): name and Waterline identity.
constexpr std::array<std::pair<std::string_view, std::string_view>, 12> rackhd_resources = {{
    {"catalogs", "catalogs"},
    {"files", "files"},
    {"graphDefs", "graphdefinitions"},
    {"graphObjs", "graphobjects"},
    {"logs", "logs"},
    {"lookups", "lookups"},
    {"nodes", "nodes"},
    {"pollers", "workitems"},
    {"profiles", "profiles"},
    {"skus", "skus"},
    {"taskDefs", "taskdefinitions"},
    {"templates", "templates"},
}};

// on-core's exchanges, every one topic and durable (lib/common/constants.js).
constexpr std::array<std::string_view, 13> rackhd_exchanges = {
    "on.configuration", "on.dhcp",    "on.events",
    "on.http",          "on.logging", "on.task-graph-runner",
    "on.scheduler",     "on.task",    "on.tftp",
    "on.waterline",     "on.test",    "on.ssdp",
    "on.heartbeat"};

// A name of a resource, store or exchange: printable, no path separators.
void check_name(std::string_view name, const std::string& key) {
    if (name.empty() || name.size() > 200) {
        fail(key, "must be 1 to 200 bytes");
    }
    for (unsigned char ch : name) {
        if (ch < 0x21 || ch == 0x7f || ch == '/' || ch == '.' || ch == '*' || ch == '#') {
            fail(key, "may not hold spaces, control characters, '/', '.', '*' or '#'");
        }
    }
}

} // namespace

bool serves_monorail(const config& c) {
    const auto id = find_dialect("monorail");
    return std::any_of(c.endpoints.begin(), c.endpoints.end(),
                       [&](const auto& e) { return id && e.dialect == *id; });
}

void apply_preset(config& c, const toml::node& value) {
    const auto name = text(value, "preset");
    if (name != "rackhd") {
        fail("preset", "must be \"rackhd\"");
    }
    c.port = 9100;
    c.endpoints = {endpoint_config{"/*", *find_dialect("monorail")}};
    auto& catalog = c.monorail.catalog;
    catalog.resources.clear();
    for (const auto& [name, identity] : rackhd_resources) {
        catalog.resources.push_back({std::string(name), resource::source::store,
                                     std::string(default_store), nullptr, std::string(identity),
                                     std::string(identity)});
    }
    catalog.watch_exchanges.assign(rackhd_exchanges.begin(), rackhd_exchanges.end());
    catalog.waterline_exchange = "on.waterline";
}

void apply_stores(config& c, const toml::table& t) {
    for (auto&& [name, value] : t) {
        const std::string prefix = fmt::format("stores.{}", name.str());
        check_name(name.str(), prefix);
        store_config store{std::string(name.str()), {}, {}};
        for (auto&& [k, v] : table(value, prefix)) {
            const std::string key = fmt::format("{}.{}", prefix, k.str());
            if (k == "kind") {
                store.kind = text(v, key);
            } else {
                store.options.push_back({std::string(k.str()), setting_value(v, key)});
            }
        }
        if (store.kind.empty()) {
            fail(prefix + ".kind", "is required: one of " + document_store_kinds());
        }
        auto& stores = c.monorail.stores;
        std::erase_if(stores, [&](const auto& s) { return s.name == store.name; });
        stores.push_back(std::move(store));
    }
}

void apply_resources(config& c, const toml::node& value) {
    if (!value.is_array_of_tables()) {
        fail("resources", "must be an array of tables: [[resources]]");
    }
    auto& resources = c.monorail.catalog.resources;
    resources.clear();
    std::size_t index = 0;
    for (const auto& each : *value.as_array()) {
        resource r;
        r.store_name = std::string(default_store);
        for (auto&& [k, v] : *each.as_table()) {
            const std::string key = fmt::format("resources[{}].{}", index, k.str());
            if (k == "name") {
                r.name = text(v, key);
                check_name(r.name, key);
            } else if (k == "store") {
                r.store_name = text(v, key);
            } else if (k == "collection") {
                r.collection = text(v, key);
                if (r.collection.empty() || r.collection.size() > 200) {
                    fail(key, "must be 1 to 200 bytes");
                }
            } else if (k == "identity") {
                r.identity = text(v, key);
                check_name(r.identity, key);
            } else {
                fail(key, "unknown key");
            }
        }
        if (r.name.empty()) {
            fail(fmt::format("resources[{}].name", index), "is required");
        }
        if (std::any_of(resources.begin(), resources.end(),
                        [&](const auto& other) { return other.name == r.name; })) {
            fail(fmt::format("resources[{}].name", index),
                 fmt::format("\"{}\" is declared twice", r.name));
        }
        if (r.store_name == "backend") {
            r.from = resource::source::backend;
        } else if (r.store_name == "broker") {
            r.from = resource::source::broker;
        }
        if (r.collection.empty()) {
            r.collection = r.name;
        }
        if (r.identity.empty()) {
            r.identity = r.collection;
        }
        resources.push_back(std::move(r));
        ++index;
    }
}

void apply_monorail(config& c, const toml::table& t) {
    auto& catalog = c.monorail.catalog;
    for (auto&& [k, v] : t) {
        const std::string key = fmt::format("monorail.{}", k.str());
        if (k == "waterline_exchange") {
            catalog.waterline_exchange = text(v, key);
            if (catalog.waterline_exchange.empty() || catalog.waterline_exchange.size() > 255) {
                fail(key, "must be an exchange's name of 1 to 255 bytes");
            }
        } else if (k == "watch_exchanges") {
            const auto* list = v.as_array();
            if (list == nullptr) {
                fail(key, "must be an array of exchange names");
            }
            catalog.watch_exchanges.clear();
            for (const auto& name : *list) {
                auto exchange = text(name, key);
                if (exchange.empty() || exchange.size() > 255) {
                    fail(key, "each must be an exchange's name of 1 to 255 bytes");
                }
                catalog.watch_exchanges.push_back(std::move(exchange));
            }
        } else if (k == "max_list") {
            catalog.max_list = static_cast<std::size_t>(integer(v, key, 1, 1'000'000));
        } else {
            fail(key, "unknown key");
        }
    }
}

namespace {

// Each store made once to check its options; nothing connects before start.
void check_stores(const monorail_config& m) {
    for (const auto& s : m.stores) {
        if (auto made = make_document_store(s.kind, s.options); !made.store) {
            throw config_error(fmt::format("config: stores.{}.{}", s.name, made.problem));
        }
    }
}

} // namespace

void validate_monorail(config& c) {
    auto& m = c.monorail;
    if (!serves_monorail(c)) {
        // Nothing reads them: no store is made, none connects. A bad one still stops the start.
        check_stores(m);
        m.stores.clear();
        m.catalog.resources.clear();
        return;
    }
    auto& resources = m.catalog.resources;
    // RackHD's raw exchange resource: watched, never read.
    if (m.catalog.find("mq") == nullptr) {
        resources.push_back({"mq", resource::source::broker, {}, nullptr, {}, {}});
    }
    for (std::size_t i = 0; i < resources.size(); ++i) {
        const auto& r = resources[i];
        if (r.from != resource::source::store) {
            continue;
        }
        const auto found = std::find_if(m.stores.begin(), m.stores.end(),
                                        [&](const auto& s) { return s.name == r.store_name; });
        if (found != m.stores.end()) {
            continue;
        }
        if (r.store_name != default_store) {
            throw config_error(fmt::format(
                "config: resources[{}].store: no [stores.{}] is declared (or use \"backend\", "
                "\"broker\")",
                i, r.store_name));
        }
        m.stores.push_back({std::string(default_store), "sqlite", {}});
    }
    check_stores(m);
    const bool asks_backend = std::any_of(resources.begin(), resources.end(), [](const auto& r) {
        return r.from == resource::source::backend;
    });
    if (asks_backend && c.backend.url.empty() && c.backend.queue.empty()) {
        throw config_error(
            "config: resources: a resource with store = \"backend\" needs [backend] url or queue");
    }
    // As RackHD declares them: topic, durable; bodies are RackHD's own JSON, handed on whole.
    for (const auto& name : monorail_exchanges(c)) {
        auto found = std::find_if(c.bus.exchanges.begin(), c.bus.exchanges.end(),
                                  [&](const auto& e) { return e.name == name; });
        if (found == c.bus.exchanges.end()) {
            exchange_settings declared;
            declared.name = name;
            declared.kind = exchange_kind::topic;
            declared.durable = true;
            found = c.bus.exchanges.insert(c.bus.exchanges.end(), std::move(declared));
        }
        found->raw = true;
    }
}

std::vector<std::string> monorail_exchanges(const config& c) {
    std::vector<std::string> names;
    if (!serves_monorail(c)) {
        return names;
    }
    names.push_back(c.monorail.catalog.waterline_exchange);
    for (const auto& e : c.monorail.catalog.watch_exchanges) {
        if (std::find(names.begin(), names.end(), e) == names.end()) {
            names.push_back(e);
        }
    }
    return names;
}

} // namespace herald
