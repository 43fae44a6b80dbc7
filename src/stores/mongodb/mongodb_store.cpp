#include "stores/mongodb/mongodb_store.hpp"

#include "stores/mongodb/mongodb_json.hpp"
#include "util/log.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <mongoc/mongoc.h>

namespace herald {
namespace {

// One answer's documents stop here (and say truncated), whatever `limit` allows: a MongoDB
// document may be 16 MiB of BSON, and this store does not choose what others write.
constexpr std::size_t max_answer_bytes = 32u << 20;

void log_from_mongoc(mongoc_log_level_t level, const char* domain, const char* message, void*) {
    switch (level) {
    case MONGOC_LOG_LEVEL_ERROR:
    case MONGOC_LOG_LEVEL_CRITICAL:
        log::error("mongoc {}: {}", domain, message);
        break;
    case MONGOC_LOG_LEVEL_WARNING:
        log::warn("mongoc {}: {}", domain, message);
        break;
    default:
        log::debug("mongoc {}: {}", domain, message);
        break;
    }
}

// libmongoc wants mongoc_init before any other call and mongoc_cleanup once at the end: a
// function-local static does both, once per process, whichever thread makes the first store.
// Every store is stopped before static destruction (they belong to the node).
void mongoc_once() {
    static const struct runtime {
        runtime() {
            mongoc_init();
            mongoc_log_set_handler(&log_from_mongoc, nullptr);
        }
        ~runtime() { mongoc_cleanup(); }
    } once;
}

// Errors that say no server could be reached or asked (down, unreachable, too slow, refusing
// our credentials) rather than that this query was wrong.
bool is_unavailable(const bson_error_t& error) {
    switch (error.domain) {
    case MONGOC_ERROR_SERVER_SELECTION:
    case MONGOC_ERROR_STREAM:
    case MONGOC_ERROR_CLIENT:
    case MONGOC_ERROR_PROTOCOL:
        return true;
    case MONGOC_ERROR_SERVER:
        // Unauthorized, AuthenticationFailed, MaxTimeMSExpired, shutting down, stepped down.
        for (std::uint32_t code : {13u, 18u, 50u, 91u, 189u, 10107u, 11600u, 11602u, 13435u}) {
            if (error.code == code) {
                return true;
            }
        }
        return false;
    default:
        return false;
    }
}

std::int64_t option_int(const store_options& options, std::string_view key, std::int64_t fallback,
                        std::string& problem) {
    for (const auto& o : options) {
        if (o.key == key) {
            if (const auto* number = std::get_if<std::int64_t>(&o.value)) {
                return *number;
            }
            problem = std::string(key) + ": must be an integer";
            return fallback;
        }
    }
    return fallback;
}

} // namespace

void mongoc_uri_deleter::operator()(mongoc_uri_t* uri) const {
    mongoc_uri_destroy(uri);
}

mongodb_store::mongodb_store(mongoc_uri_ptr uri, std::string database,
                             std::chrono::milliseconds timeout)
    : uri_(std::move(uri))
    , database_(std::move(database))
    , timeout_(timeout) {}

mongodb_store::~mongodb_store() {
    stop();
}

void mongodb_store::start(change_handler) {
    worker_.start();
}

void mongodb_store::stop() {
    worker_.stop();
    mongoc_client_destroy(client_);
    client_ = nullptr;
}

bool mongodb_store::ready(std::string& why) {
    if (client_ != nullptr) {
        return true;
    }
    bson_error_t error;
    client_ = mongoc_client_new_from_uri_with_error(uri_.get(), &error);
    if (client_ == nullptr) {
        why = error.message;
        return false;
    }
    // Version 2 tells server errors (MONGOC_ERROR_SERVER) from the driver's own.
    mongoc_client_set_error_api(client_, MONGOC_ERROR_API_VERSION_2);
    mongoc_client_set_appname(client_, "herald");
    return true;
}

find_result mongodb_store::unavailable(const std::string& why) {
    // Said once per outage, not once per request.
    if (!down_) {
        log::warn("document store: mongodb database {} is not available: {}", database_, why);
        down_ = true;
    }
    return {store_status::unavailable, "the document store is not available", {}, false};
}

void mongodb_store::find(find_request request, find_done done) {
    auto made = make_mongodb_filter(request.criteria);
    if (!made.filter) {
        done({store_status::failed, std::move(made.problem), {}, false});
        return;
    }
    // std::function wants a copyable job; the filter is shared by its one copy in flight.
    auto filter = std::make_shared<bson_ptr>(std::move(made.filter));
    worker_.answer(
        [this, request = std::move(request), filter] { return run_find(request, *filter->get()); },
        std::move(done));
}

find_result mongodb_store::run_find(const find_request& request, const bson_t& filter) {
    std::string why;
    if (!ready(why)) {
        return unavailable(why);
    }
    // One more than asked, to know whether the list was cut; in _id order, the order of
    // insertion for ObjectIds.
    const auto asked = static_cast<std::int64_t>(
        std::min<std::size_t>(request.limit, std::numeric_limits<std::int32_t>::max()));
    bson_t opts = BSON_INITIALIZER;
    bson_t sort;
    BSON_APPEND_DOCUMENT_BEGIN(&opts, "sort", &sort);
    BSON_APPEND_INT32(&sort, "_id", 1);
    bson_append_document_end(&opts, &sort);
    BSON_APPEND_INT64(&opts, "limit", asked + 1);
    BSON_APPEND_INT64(&opts, "maxTimeMS", timeout_.count());

    mongoc_collection_t* collection =
        mongoc_client_get_collection(client_, database_.c_str(), request.collection.c_str());
    mongoc_cursor_t* cursor = mongoc_collection_find_with_opts(collection, &filter, &opts, nullptr);
    find_result out;
    std::size_t bytes = 0;
    const bson_t* document = nullptr;
    while (mongoc_cursor_next(cursor, &document)) {
        if (out.documents.size() == request.limit || bytes > max_answer_bytes) {
            out.truncated = true;
            break;
        }
        auto json = mongodb_document_json(*document);
        if (!json) {
            // Invalid UTF-8 or BSON: no JSON to give it as, and libbson says no more.
            log::warn("document store: a document of {}.{} has no JSON form; left out", database_,
                      request.collection);
            continue;
        }
        bytes += json->size();
        out.documents.push_back(std::move(*json));
    }
    bson_error_t error;
    const bool failed = !out.truncated && mongoc_cursor_error(cursor, &error);
    mongoc_cursor_destroy(cursor);
    mongoc_collection_destroy(collection);
    bson_destroy(&opts);
    if (failed) {
        if (is_unavailable(error)) {
            return unavailable(error.message);
        }
        return {store_status::failed,
                std::string("the database refused the query: ") + error.message,
                {},
                false};
    }
    if (down_) {
        log::info("document store: mongodb database {} is available again", database_);
        down_ = false;
    }
    return out;
}

store_made make_mongodb_store(const store_options& options) {
    for (const auto& o : options) {
        if (o.key != "url" && o.key != "database" && o.key != "timeout_ms") {
            return {nullptr,
                    o.key + ": unknown key (a mongodb store takes url, database, timeout_ms)"};
        }
    }
    std::string problem;
    const std::string url = store_option_text(options, "url", "", problem);
    std::string database = store_option_text(options, "database", "", problem);
    const std::int64_t timeout_ms = option_int(options, "timeout_ms", 5000, problem);
    if (!problem.empty()) {
        return {nullptr, problem};
    }
    if (url.empty()) {
        return {nullptr, "url: required (mongodb://host:port/database)"};
    }
    if (timeout_ms < 1 || timeout_ms > 600000) {
        return {nullptr, "timeout_ms: must be from 1 to 600000"};
    }
    mongoc_once();
    bson_error_t error;
    mongoc_uri_ptr uri(mongoc_uri_new_with_error(url.c_str(), &error));
    if (!uri) {
        return {nullptr, std::string("url: ") + error.message};
    }
    // A down server answers unavailable within timeout_ms: finding a server, connecting to it
    // and each read are bounded by it (and the URL's own values give way).
    const auto ms = static_cast<std::int32_t>(timeout_ms);
    for (const char* key : {MONGOC_URI_SERVERSELECTIONTIMEOUTMS, MONGOC_URI_CONNECTTIMEOUTMS,
                            MONGOC_URI_SOCKETTIMEOUTMS}) {
        if (!mongoc_uri_set_option_as_int32(uri.get(), key, ms)) {
            return {nullptr, std::string("timeout_ms: libmongoc refused it for ") + key};
        }
    }
    if (database.empty()) {
        const char* named = mongoc_uri_get_database(uri.get());
        database = named != nullptr && *named != '\0' ? named : "monorail";
    }
    return {std::make_unique<mongodb_store>(std::move(uri), std::move(database),
                                            std::chrono::milliseconds(timeout_ms)),
            {}};
}

} // namespace herald
