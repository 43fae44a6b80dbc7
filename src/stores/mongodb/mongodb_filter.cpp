#include "stores/mongodb/mongodb_filter.hpp"

#include <optional>
#include <simdjson.h>
#include <string_view>

namespace herald {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

bool starts_with_dollar(std::string_view name) {
    return !name.empty() && name.front() == '$';
}

int length_of(std::string_view text) {
    return static_cast<int>(text.size());
}

// {"$oid":"<24 hex>"} as its ObjectId; nullopt for any other value.
std::optional<bson_oid_t> object_id(element value) {
    simdjson::dom::object object;
    if (value.get_object().get(object) != simdjson::SUCCESS || object.size() != 1) {
        return std::nullopt;
    }
    const auto [name, inner] = *object.begin();
    std::string_view hex;
    if (name != "$oid" || inner.get_string().get(hex) != simdjson::SUCCESS || hex.size() != 24 ||
        !bson_oid_is_valid(hex.data(), hex.size())) {
        return std::nullopt;
    }
    bson_oid_t oid;
    bson_oid_init_from_string(&oid, std::string(hex).c_str());
    return oid;
}

// Appends one JSON value under `key` as the BSON value of the same type (an integer that fits
// int64 as int64, a larger one or a fraction as double); a problem for what may not go in.
class bson_writer {
public:
    explicit bson_writer(const mongodb_filter_limits& limits)
        : limits_(limits) {}

    std::string problem;

    bool append(bson_t* to, std::string_view key, element value, std::size_t depth) {
        const int k = length_of(key);
        switch (value.type()) {
        case element_type::STRING: {
            const std::string_view text = value.get_string().value_unsafe();
            return done(bson_append_utf8(to, key.data(), k, text.data(), length_of(text)));
        }
        case element_type::INT64:
            return done(bson_append_int64(to, key.data(), k, value.get_int64().value_unsafe()));
        case element_type::UINT64:
            return done(bson_append_double(to, key.data(), k,
                                           static_cast<double>(value.get_uint64().value_unsafe())));
        case element_type::DOUBLE:
            return done(bson_append_double(to, key.data(), k, value.get_double().value_unsafe()));
        case element_type::BOOL:
            return done(bson_append_bool(to, key.data(), k, value.get_bool().value_unsafe()));
        case element_type::NULL_VALUE:
            return done(bson_append_null(to, key.data(), k));
        case element_type::OBJECT:
        case element_type::ARRAY:
            return append_nested(to, key, value, depth + 1);
        }
        return fail("a params value has a type MongoDB cannot hold");
    }

private:
    bool append_nested(bson_t* to, std::string_view key, element value, std::size_t depth) {
        if (depth > limits_.max_depth) {
            return fail("a params value is nested deeper than " +
                        std::to_string(limits_.max_depth) + " levels");
        }
        bson_t child;
        const bool array = value.type() == element_type::ARRAY;
        const int k = length_of(key);
        if (!(array ? bson_append_array_begin(to, key.data(), k, &child)
                    : bson_append_document_begin(to, key.data(), k, &child))) {
            return fail("a params value is too large for MongoDB");
        }
        bool ok = true;
        if (array) {
            std::size_t index = 0;
            const simdjson::dom::array items = value.get_array().value_unsafe();
            for (element item : items) {
                const std::string name = std::to_string(index++);
                if (!(ok = append(&child, name, item, depth))) {
                    break;
                }
            }
        } else {
            const simdjson::dom::object members = value.get_object().value_unsafe();
            for (auto [name, item] : members) {
                if (starts_with_dollar(name)) {
                    ok = fail("a member name inside a params value may not start with '$' (\"" +
                              std::string(name.substr(0, 64)) +
                              "\"): MongoDB operators are not taken");
                } else if (name.find('\0') != std::string_view::npos) {
                    ok = fail("a member name inside a params value may not hold a NUL");
                } else {
                    ok = append(&child, name, item, depth);
                }
                if (!ok) {
                    break;
                }
            }
        }
        // Closed even after a failure, so that `to` is whole and can be destroyed.
        const bool closed =
            array ? bson_append_array_end(to, &child) : bson_append_document_end(to, &child);
        return ok && done(closed);
    }

    bool done(bool appended) { return appended || fail("a params value is too large for MongoDB"); }
    bool fail(std::string why) {
        if (problem.empty()) {
            problem = std::move(why);
        }
        return false;
    }

    const mongodb_filter_limits& limits_;
};

std::string dotted(const criterion& c) {
    std::string key;
    for (const auto& part : c.path) {
        key += key.empty() ? "" : ".";
        key += part;
    }
    return key;
}

} // namespace

mongodb_filter make_mongodb_filter(const std::vector<criterion>& criteria,
                                   const mongodb_filter_limits& limits) {
    mongodb_filter out{bson_ptr(bson_new()), {}};
    simdjson::dom::parser parser;
    bson_writer writer(limits);
    for (const auto& c : criteria) {
        for (const auto& part : c.path) {
            if (starts_with_dollar(part)) {
                return {bson_ptr(), "a params key part may not start with '$' (\"" +
                                        part.substr(0, 64) +
                                        "\"): MongoDB operators are not taken"};
            }
        }
        element value;
        if (parser.parse(c.value).get(value) != simdjson::SUCCESS) {
            return {bson_ptr(), "a params value is not valid JSON"};
        }
        const std::string key = dotted(c);
        // A field named twice would make a filter with a key twice, whose meaning BSON leaves
        // open.
        bson_iter_t named;
        if (bson_iter_init_find_w_len(&named, out.filter.get(), key.data(), length_of(key))) {
            return {bson_ptr(), "params name the field \"" + key.substr(0, 64) + "\" twice"};
        }
        bson_t test;
        if (!bson_append_document_begin(out.filter.get(), key.data(), length_of(key), &test)) {
            return {bson_ptr(), "params are too large for MongoDB"};
        }
        bool ok = false;
        if (const auto oid = object_id(value)) {
            ok = bson_append_oid(&test, "$eq", 3, &*oid);
        } else {
            ok = writer.append(&test, "$eq", value, 0);
        }
        ok = bson_append_document_end(out.filter.get(), &test) && ok;
        if (!ok) {
            return {bson_ptr(),
                    writer.problem.empty() ? "params are too large for MongoDB" : writer.problem};
        }
    }
    return out;
}

} // namespace herald
