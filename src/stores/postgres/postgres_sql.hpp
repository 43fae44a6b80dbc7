#pragma once
// The SQL text of the postgres store's queries, built without a connection so that it is
// unit-tested: criteria travel as parameters ($1, $2, …), never spliced into the text; only the
// table's name is, quoted by the caller (PQescapeIdentifier).

#include "stores/criteria.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herald::postgres_sql {

// PostgreSQL's longest identifier (NAMEDATALEN - 1); a longer one would be cut silently.
inline constexpr std::size_t max_identifier_bytes = 63;

// A collection as a table name: "nodes" or "schema.nodes". Refused (the reason, worded for a
// client): an empty part, more than two parts, a part over 63 bytes, a NUL.
std::optional<std::string> split_table_name(std::string_view collection,
                                            std::vector<std::string>& parts);

// A text[] literal of `parts`, each element quoted ({"a","b\\c"}), for `document #> $n::text[]`.
std::string text_array(const std::vector<std::string>& parts);

// A statement and its parameters, in text form, in order.
struct statement {
    std::string text;
    std::vector<std::string> params;
};

// The documents of `table` (already quoted) meeting every criterion, in id order, at most
// limit + 1 of them (the extra one says the list was cut). Each row is one column: the document
// with its "id" member set to the id column.
statement find(std::string_view table, const std::vector<criterion>& criteria, std::size_t limit);

// The document of one id, shaped as find's rows: for a change the database reported.
statement fetch(std::string_view table, std::string_view id);

} // namespace herald::postgres_sql
