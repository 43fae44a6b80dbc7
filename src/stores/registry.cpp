#include "stores/registry.hpp"

#include "stores/mongodb/mongodb_store.hpp"
#include "stores/postgres/postgres_store.hpp"
#include "stores/sqlite/sqlite_store.hpp"

#include <array>

namespace herald {
namespace {

struct kind {
    std::string_view name;
    store_made (*make)(const store_options&);
};

// One line per kind of store.
constexpr std::array kinds = {
    kind{"sqlite", &make_sqlite_store},
    kind{"mongodb", &make_mongodb_store},
    kind{"postgres", &make_postgres_store},
};

} // namespace

store_made make_document_store(std::string_view name, const store_options& options) {
    for (const auto& k : kinds) {
        if (k.name == name) {
            return k.make(options);
        }
    }
    return {nullptr, "kind: unknown kind of store; one of " + document_store_kinds()};
}

std::string document_store_kinds() {
    std::string names;
    for (const auto& k : kinds) {
        names += names.empty() ? "\"" : ", \"";
        names += k.name;
        names += '"';
    }
    return names;
}

std::string store_option_text(const store_options& options, std::string_view key,
                              std::string_view fallback, std::string& problem) {
    for (const auto& o : options) {
        if (o.key == key) {
            if (const auto* text = std::get_if<std::string>(&o.value)) {
                return *text;
            }
            problem = std::string(key) + ": must be a string";
            return {};
        }
    }
    return std::string(fallback);
}

} // namespace herald
