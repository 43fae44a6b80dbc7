#pragma once
// The seam between MonoRail resources and the databases behind them. A document store answers
// equality queries over JSON documents kept in collections (a SQLite table, a PostgreSQL JSONB
// table, a MongoDB collection) and may write them. Each kind lives in its own folder under
// src/stores/ and is listed once in src/stores/registry.cpp.

#include "stores/criteria.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace herald {

// One query: documents of `collection` that meet every criterion (none: all of them), at most
// `limit` of them, in the store's natural order (insertion or id).
struct find_request {
    std::string collection;
    std::vector<criterion> criteria;
    std::size_t limit = 1000;
};

enum class store_status : std::uint8_t {
    ok,
    unavailable, // the database is down or refused: worth trying again later
    overloaded,  // too many requests waiting for this store
    failed,      // the database refused this request (its error is in `error`)
};

struct find_result {
    store_status status = store_status::ok;
    std::string error;                  // for a status other than ok, worded for a client
    std::vector<std::string> documents; // each one JSON object's text
    bool truncated = false;             // more documents matched than `limit`
};

// A write through Herald's HTTP API: the new document (put) or none (remove).
struct write_request {
    std::string collection;
    std::string id;
    std::string document; // JSON object text; empty for a remove
};

// What became of a write: `event` is RackHD's name of the change ("created", "updated",
// "destroyed"), `record` the document as stored (for a remove: as it was), for the change event.
struct write_result {
    store_status status = store_status::ok;
    std::string error;
    std::string event;  // empty: nothing changed (a remove of a missing id)
    std::string record; // JSON object text
};

// A change the database reported by itself (PostgreSQL's LISTEN/NOTIFY): the node publishes it
// to the watchers like a write through the API.
struct document_change {
    std::string collection;
    std::string event; // created, updated, destroyed
    std::string id;
    std::string record; // JSON object text
};

// A document store. Thread-safe: find and write may be called from any thread (the shards) and
// never block it: each store does its work on a thread of its own and calls `done` there, once,
// also when it cannot (status unavailable or overloaded). Callers carry the result back to
// their own thread. Nothing is called back after stop() returns.
class document_store {
public:
    using find_done = std::function<void(find_result)>;
    using write_done = std::function<void(write_result)>;
    using change_handler = std::function<void(document_change)>;

    virtual ~document_store() = default;
    // Starts the store's thread (and its connection, if any); `on_change` may be empty, and is
    // called on the store's thread for each change the database reports by itself.
    virtual void start(change_handler on_change) = 0;
    virtual void stop() = 0;
    virtual void find(find_request request, find_done done) = 0;
    // Only stores Herald writes to (sqlite) accept writes; the others answer failed.
    virtual void write(write_request /*request*/, write_done done) {
        done({store_status::failed, "this store is written by its own database's clients", {}, {}});
    }
    virtual bool takes_writes() const { return false; }
};

} // namespace herald
