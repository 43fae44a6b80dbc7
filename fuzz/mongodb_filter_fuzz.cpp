// libFuzzer: a query's params as a client sends them, read as criteria and made into a MongoDB
// filter. Whatever comes in, the filter is refused with a reason or is one {"$eq": <literal>}
// per field, with no name starting with '$' anywhere but those $eq (and a lone $oid).
#include "stores/mongodb/mongodb_filter.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

// No member name below `iter`'s document starts with '$' (its array indexes never do).
bool no_operator_names(bson_iter_t* iter) {
    while (bson_iter_next(iter)) {
        if (bson_iter_key(iter)[0] == '$') {
            return false;
        }
        if (BSON_ITER_HOLDS_DOCUMENT(iter) || BSON_ITER_HOLDS_ARRAY(iter)) {
            bson_iter_t child;
            if (!bson_iter_recurse(iter, &child) || !no_operator_names(&child)) {
                return false;
            }
        }
    }
    return true;
}

void check(const bson_t* filter, std::size_t fields) {
    if (!bson_validate(filter, BSON_VALIDATE_NONE, nullptr) || bson_count_keys(filter) != fields) {
        std::abort();
    }
    bson_iter_t field;
    bson_iter_init(&field, filter);
    while (bson_iter_next(&field)) {
        bson_iter_t test;
        if (bson_iter_key(&field)[0] == '$' || !BSON_ITER_HOLDS_DOCUMENT(&field) ||
            !bson_iter_recurse(&field, &test) || !bson_iter_next(&test) ||
            std::string_view(bson_iter_key(&test)) != "$eq") {
            std::abort();
        }
        if (BSON_ITER_HOLDS_DOCUMENT(&test) || BSON_ITER_HOLDS_ARRAY(&test)) {
            bson_iter_t value;
            if (!bson_iter_recurse(&test, &value) || !no_operator_names(&value)) {
                std::abort();
            }
        }
        if (bson_iter_next(&test)) {
            std::abort(); // one $eq and nothing beside it
        }
    }
    char* json = bson_as_canonical_extended_json(filter, nullptr);
    if (json == nullptr) {
        std::abort();
    }
    bson_free(json);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view params(reinterpret_cast<const char*>(data), size);
    const auto read = herald::read_criteria(params);
    if (read.problem) {
        if (read.problem->empty()) {
            std::abort(); // a refusal always says why
        }
        return 0;
    }
    const auto made = herald::make_mongodb_filter(read.criteria);
    if (!made.filter) {
        if (made.problem.empty()) {
            std::abort();
        }
        return 0;
    }
    check(made.filter.get(), read.criteria.size());
    return 0;
}
