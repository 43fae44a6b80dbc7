#pragma once
// MonoRail's params (read by read_criteria) as a MongoDB query filter. Pure (libbson and
// simdjson, no connection), so it is unit-tested and fuzzed. Every criterion becomes
// {"<dotted path>": {"$eq": <literal value>}}: a client's value is data, never an operator.
// The exact rules are in docs/configuration.md ("The mongodb store").

#include "stores/criteria.hpp"

#include <bson/bson.h>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace herald {

// An owned bson_t (a class rather than a unique_ptr: bson_t's alignment attribute makes
// templates over it warn). Movable, not copyable; thread-agnostic.
class bson_ptr {
public:
    explicit bson_ptr(bson_t* b = nullptr)
        : b_(b) {}
    bson_ptr(bson_ptr&& other) noexcept
        : b_(std::exchange(other.b_, nullptr)) {}
    bson_ptr& operator=(bson_ptr&& other) noexcept {
        std::swap(b_, other.b_);
        return *this;
    }
    ~bson_ptr() {
        if (b_ != nullptr) {
            bson_destroy(b_);
        }
    }
    bson_t* get() const { return b_; }
    explicit operator bool() const { return b_ != nullptr; }

private:
    bson_t* b_;
};

struct mongodb_filter_limits {
    // Objects and arrays nested in one value; MongoDB itself stops at 100 levels.
    std::size_t max_depth = 32;
};

// The filter, or why not (worded for a client, `filter` then null). Refused: a path part or a
// member name inside a value that starts with '$' (MongoDB reads those as operators), a
// member name with a NUL, and values nested deeper than the limit. One exception is taken on
// purpose: a value that is exactly {"$oid":"<24 hex digits>"} (how this store writes an
// ObjectId) is that ObjectId, so a document read here can be asked for again by its _id.
struct mongodb_filter {
    bson_ptr filter;
    std::string problem;
};
mongodb_filter make_mongodb_filter(const std::vector<criterion>& criteria,
                                   const mongodb_filter_limits& limits = {});

} // namespace herald
