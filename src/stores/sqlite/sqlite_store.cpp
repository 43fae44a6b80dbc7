#include "stores/sqlite/sqlite_store.hpp"

#include "util/log.hpp"
#include "util/sqlite_statement.hpp"

#include <simdjson.h>
#include <sqlite3.h>

namespace herald {
namespace {

constexpr const char* schema = R"sql(
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
CREATE TABLE IF NOT EXISTS documents (
    collection TEXT NOT NULL,
    id TEXT NOT NULL,
    body TEXT NOT NULL,
    UNIQUE (collection, id)
);
)sql";

// $."a"."b": quoted, so any member name but one with a double quote (refused by read_criteria).
std::string json_path(const criterion& c) {
    std::string path = "$";
    for (const auto& part : c.path) {
        path += ".\"";
        path += part;
        path += '"';
    }
    return path;
}

// {"id":"…"}: every document keeps its id in its "id" member and in the id column alike.
bool is_id(const criterion& c) {
    return c.type == criterion::kind::string && c.path.size() == 1 && c.path.front() == "id";
}

// The SQL test of one criterion, with ?N placeholders from `next` on; Waterline's equality,
// as MongoDB reads it: a null matches a missing field too.
std::string condition(const criterion& c, int& next) {
    if (is_id(c)) {
        return "id = ?" + std::to_string(next++); // the (collection, id) index, not a scan
    }
    const std::string p = "?" + std::to_string(next++);
    switch (c.type) {
    case criterion::kind::string:
        return "(json_type(body, " + p + ") = 'text' AND json_extract(body, " + p + ") = ?" +
               std::to_string(next++) + ")";
    case criterion::kind::number:
        return "(json_type(body, " + p + ") IN ('integer', 'real') AND json_extract(body, " + p +
               ") = ?" + std::to_string(next++) + ")";
    case criterion::kind::boolean:
        return "(json_type(body, " + p + ") = " + (c.value == "true" ? "'true'" : "'false'") + ")";
    case criterion::kind::null:
        return "(json_type(body, " + p + ") IS NULL OR json_type(body, " + p + ") = 'null')";
    case criterion::kind::object:
    case criterion::kind::array:
        return "(json_extract(body, " + p + ") = json(?" + std::to_string(next++) + "))";
    }
    return "0";
}

void bind(sqlite_statement& s, const criterion& c, int& next) {
    if (!is_id(c)) {
        s.bind(next++, json_path(c));
    }
    switch (c.type) {
    case criterion::kind::string: {
        simdjson::dom::parser parser;
        std::string_view text;
        if (parser.parse(c.value).get_string().get(text) == simdjson::SUCCESS) {
            s.bind(next, text);
        }
        ++next;
        break;
    }
    case criterion::kind::number: {
        simdjson::dom::parser parser;
        auto value = parser.parse(c.value);
        std::int64_t whole = 0;
        double real = 0;
        if (value.get_int64().get(whole) == simdjson::SUCCESS) {
            s.bind(next, whole);
        } else if (value.get_double().get(real) == simdjson::SUCCESS) {
            s.bind(next, real);
        }
        ++next;
        break;
    }
    case criterion::kind::object:
    case criterion::kind::array:
        s.bind(next++, std::string_view(c.value));
        break;
    case criterion::kind::boolean:
    case criterion::kind::null:
        break;
    }
}

} // namespace

sqlite_store::sqlite_store(std::string file)
    : file_(std::move(file)) {}

sqlite_store::~sqlite_store() {
    stop();
}

void sqlite_store::start(change_handler) {
    worker_.start();
}

void sqlite_store::stop() {
    worker_.stop();
    sqlite3_close(db_);
    db_ = nullptr;
}

bool sqlite_store::ready(std::string& why) {
    if (db_ != nullptr) {
        return true;
    }
    if (sqlite3_open(file_.c_str(), &db_) != SQLITE_OK) {
        why = "cannot open the document file " + file_ + ": " + sqlite3_errmsg(db_);
        sqlite3_close(db_);
        db_ = nullptr;
        return false;
    }
    sqlite3_busy_timeout(db_, 5000);
    char* error = nullptr;
    if (sqlite3_exec(db_, schema, nullptr, nullptr, &error) != SQLITE_OK) {
        why = "cannot prepare the document file " + file_ + ": " +
              (error ? error : sqlite3_errmsg(db_));
        sqlite3_free(error);
        sqlite3_close(db_);
        db_ = nullptr;
        return false;
    }
    return true;
}

void sqlite_store::find(find_request request, find_done done) {
    worker_.answer([this, request = std::move(request)] { return run_find(request); },
                   std::move(done));
}

void sqlite_store::write(write_request request, write_done done) {
    worker_.answer([this, request = std::move(request)] { return run_write(request); },
                   std::move(done));
}

find_result sqlite_store::run_find(const find_request& request) {
    find_result out;
    std::string why;
    if (!ready(why)) {
        log::warn("document store: {}", why);
        return {store_status::unavailable, "the document store is not available", {}, false};
    }
    std::string sql = "SELECT body FROM documents WHERE collection = ?1";
    int next = 2;
    for (const auto& c : request.criteria) {
        sql += " AND ";
        sql += condition(c, next);
    }
    sql += " ORDER BY rowid LIMIT ?" + std::to_string(next);
    sqlite_statement s(db_, sql.c_str());
    if (!s) {
        return {store_status::failed, sqlite3_errmsg(db_), {}, false};
    }
    s.bind(1, std::string_view(request.collection));
    int slot = 2;
    for (const auto& c : request.criteria) {
        bind(s, c, slot);
    }
    // One more than asked, to know whether the list was cut.
    s.bind(next, static_cast<std::int64_t>(request.limit) + 1);
    int step = SQLITE_ROW;
    while ((step = s.step()) == SQLITE_ROW) {
        if (out.documents.size() == request.limit) {
            out.truncated = true;
            break;
        }
        out.documents.push_back(s.text(0));
    }
    if (step != SQLITE_ROW && step != SQLITE_DONE) {
        return {store_status::failed, sqlite3_errmsg(db_), {}, false};
    }
    return out;
}

write_result sqlite_store::run_write(const write_request& request) {
    std::string why;
    if (!ready(why)) {
        log::warn("document store: {}", why);
        return {store_status::unavailable, "the document store is not available", {}, {}};
    }
    auto failed = [this] {
        return write_result{store_status::failed, sqlite3_errmsg(db_), {}, {}};
    };
    sqlite_statement old(db_, "SELECT body FROM documents WHERE collection = ?1 AND id = ?2");
    if (!old) {
        return failed();
    }
    old.bind(1, std::string_view(request.collection)).bind(2, std::string_view(request.id));
    const int found = old.step();
    if (found != SQLITE_ROW && found != SQLITE_DONE) {
        return failed();
    }
    write_result out;
    if (request.document.empty()) {
        if (found == SQLITE_DONE) {
            return out; // nothing to remove
        }
        out.record = old.text(0);
        sqlite_statement remove(db_, "DELETE FROM documents WHERE collection = ?1 AND id = ?2");
        remove.bind(1, std::string_view(request.collection)).bind(2, std::string_view(request.id));
        if (!remove || remove.step() != SQLITE_DONE) {
            return failed();
        }
        out.event = "destroyed";
        return out;
    }
    // The document keeps its id in its "id" member, as RackHD's records do, so that a get
    // with {"id": …} finds it.
    sqlite_statement put(db_, R"sql(
        INSERT INTO documents (collection, id, body) VALUES (?1, ?2, json_set(json(?3), '$.id', ?2))
        ON CONFLICT (collection, id) DO UPDATE SET body = excluded.body
        RETURNING body)sql");
    if (!put) {
        return failed();
    }
    put.bind(1, std::string_view(request.collection))
        .bind(2, std::string_view(request.id))
        .bind(3, std::string_view(request.document));
    if (put.step() != SQLITE_ROW) {
        return failed();
    }
    out.record = put.text(0);
    out.event = found == SQLITE_ROW ? "updated" : "created";
    return out;
}

store_made make_sqlite_store(const store_options& options) {
    std::string problem;
    std::string file = store_option_text(options, "file", "herald-documents.sqlite3", problem);
    for (const auto& o : options) {
        if (o.key != "file") {
            return {nullptr, o.key + ": unknown key (a sqlite store takes file)"};
        }
    }
    if (!problem.empty()) {
        return {nullptr, problem};
    }
    return {std::make_unique<sqlite_store>(std::move(file)), {}};
}

} // namespace herald
