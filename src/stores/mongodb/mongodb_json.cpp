#include "stores/mongodb/mongodb_json.hpp"

#include <simdjson.h>

namespace herald {

std::optional<std::string> mongodb_document_json(const bson_t& document) {
    std::size_t length = 0;
    char* json = bson_as_relaxed_extended_json(&document, &length);
    if (json == nullptr) {
        return std::nullopt;
    }
    std::string compact(length, '\0');
    std::size_t compact_length = 0;
    if (simdjson::minify(json, length, compact.data(), compact_length) == simdjson::SUCCESS) {
        compact.resize(compact_length);
    } else {
        compact.assign(json, length); // not expected: libbson writes valid JSON
    }
    bson_free(json);
    return compact;
}

} // namespace herald
