#include "stores/postgres/postgres_sql.hpp"

namespace herald::postgres_sql {
namespace {

// A row as Herald shows it: the stored object with the id column as its "id" member. Rows whose
// document is not an object are skipped (there would be nowhere to put the id).
constexpr std::string_view record_column = "(document || jsonb_build_object('id', id))::text";
constexpr std::string_view only_objects = "jsonb_typeof(document) = 'object'";

std::string slot(std::size_t n) {
    return "$" + std::to_string(n);
}

// The test of one criterion, adding its parameters to `s`. The types stay apart because jsonb
// equality compares a string with a string only, numbers as numbers (623 = 623.0), and objects
// and arrays as JSON values; a null matches a missing field too, as in the sqlite store.
std::string condition(const criterion& c, statement& s) {
    // The id lives in its column: {"id": …} compares with it (and never matches null). Only a
    // JSON string can equal a text id; both tests read the parameter alone, so the planner folds
    // them into constants and a get by id is a lookup in the primary key's index (to_jsonb(id)
    // compared every row's id, converted, with the value).
    if (c.path.size() == 1 && c.path.front() == "id") {
        if (c.type == criterion::kind::null) {
            return "false";
        }
        s.params.push_back(c.value);
        const std::string value = slot(s.params.size()) + "::jsonb";
        return "(jsonb_typeof(" + value + ") = 'string' AND id = " + value + " #>> '{}')";
    }
    s.params.push_back(text_array(c.path));
    const std::string field = "document #> " + slot(s.params.size()) + "::text[]";
    if (c.type == criterion::kind::null) {
        return "(" + field + " IS NULL OR " + field + " = 'null'::jsonb)";
    }
    s.params.push_back(c.value);
    return field + " = " + slot(s.params.size()) + "::jsonb";
}

// SELECT <record> FROM <table> WHERE <only objects>: the start of both statements.
std::string select_records(std::string_view table) {
    std::string text = "SELECT ";
    text += record_column;
    text += " FROM ";
    text += table;
    text += " WHERE ";
    text += only_objects;
    return text;
}

} // namespace

std::optional<std::string> split_table_name(std::string_view collection,
                                            std::vector<std::string>& parts) {
    parts.clear();
    if (collection.find('\0') != std::string_view::npos) {
        return "the collection name holds a NUL";
    }
    std::size_t start = 0;
    for (;;) {
        const std::size_t dot = collection.find('.', start);
        const std::string_view part = collection.substr(
            start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        if (part.empty()) {
            return "the collection \"" + std::string(collection.substr(0, 64)) +
                   "\" is not a table name (TABLE or SCHEMA.TABLE)";
        }
        if (part.size() > max_identifier_bytes) {
            return "the collection \"" + std::string(collection.substr(0, 64)) +
                   "…\" has a name longer than 63 bytes";
        }
        parts.emplace_back(part);
        if (parts.size() > 2) {
            return "the collection \"" + std::string(collection.substr(0, 64)) +
                   "\" is not a table name (TABLE or SCHEMA.TABLE)";
        }
        if (dot == std::string_view::npos) {
            return std::nullopt;
        }
        start = dot + 1;
    }
}

std::string text_array(const std::vector<std::string>& parts) {
    std::string out = "{";
    for (const auto& part : parts) {
        if (out.size() > 1) {
            out += ',';
        }
        out += '"';
        for (const char ch : part) {
            if (ch == '"' || ch == '\\') {
                out += '\\';
            }
            out += ch;
        }
        out += '"';
    }
    out += '}';
    return out;
}

statement find(std::string_view table, const std::vector<criterion>& criteria, std::size_t limit) {
    statement s{select_records(table), {}};
    for (const auto& c : criteria) {
        s.text += " AND ";
        s.text += condition(c, s);
    }
    s.params.push_back(std::to_string(limit + 1));
    s.text += " ORDER BY id LIMIT " + slot(s.params.size()) + "::bigint";
    return s;
}

statement fetch(std::string_view table, std::string_view id) {
    return {select_records(table) + " AND id = $1", {std::string(id)}};
}

} // namespace herald::postgres_sql
