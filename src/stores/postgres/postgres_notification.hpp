#pragma once
// The payload of a notification from Herald's trigger (docs/sql/herald_documents.sql): which
// row of which table changed, and for a delete the row as it was when it was small. Pure, so it
// is fuzzed (fuzz/postgres_notification_fuzz.cpp) and unit-tested.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace herald {

struct table_change {
    std::string schema;
    std::string table;
    enum class operation : unsigned char { insert, update, remove };
    operation op = operation::insert;
    std::string id;
    std::string old_record; // a delete's row as Herald shows it (minified JSON); may be empty
};

// PostgreSQL refuses NOTIFY payloads of 8000 bytes or more; anything longer is not ours.
inline constexpr std::size_t max_notification_bytes = 8000;

// {"schema":"public","table":"nodes","op":"DELETE","id":"n1","old":{…}}, or nothing when the
// payload is not one (not JSON, a member missing or of the wrong type, an unknown op, too long).
std::optional<table_change> read_table_change(std::string_view payload);

// The collection a change belongs to: the table's name, qualified unless it is in "public".
std::string collection_of(const table_change& change);

} // namespace herald
