#pragma once
// A MongoDB collection per resource, read through libmongoc and never written by Herald: RackHD
// kept its records there (Waterline over MongoDB). docs/configuration.md, "The mongodb store".

#include "stores/mongodb/mongodb_filter.hpp"
#include "stores/registry.hpp"
#include "stores/store_worker.hpp"

#include <chrono>
#include <memory>
#include <string>

struct _mongoc_client_t;
struct _mongoc_uri_t;

namespace herald {

struct mongoc_uri_deleter {
    void operator()(_mongoc_uri_t* uri) const;
};
using mongoc_uri_ptr = std::unique_ptr<_mongoc_uri_t, mongoc_uri_deleter>;

// Thread-safe as document_store promises: params are turned into a filter on the caller's
// thread (pure); the client is made, used and destroyed on the worker's thread only (a
// mongoc_client_t is not thread-safe), after stop() on the stopping thread once the worker
// has joined.
class mongodb_store final : public document_store {
public:
    // `uri` already carries the timeouts (make_mongodb_store).
    mongodb_store(mongoc_uri_ptr uri, std::string database, std::chrono::milliseconds timeout);
    ~mongodb_store() override;

    void start(change_handler on_change) override;
    void stop() override;
    void find(find_request request, find_done done) override;

    const std::string& database() const { return database_; }

private:
    bool ready(std::string& why);
    find_result run_find(const find_request& request, const bson_t& filter);
    find_result unavailable(const std::string& why);

    mongoc_uri_ptr uri_;
    const std::string database_;
    const std::chrono::milliseconds timeout_;
    store_worker worker_;
    _mongoc_client_t* client_ = nullptr; // the worker's
    bool down_ = false;                  // the worker's: the last request found no server
};

// Options: url (required, mongodb:// or mongodb+srv://), database (default: the URL's, else
// "monorail"), timeout_ms (default 5000).
store_made make_mongodb_store(const store_options& options);

} // namespace herald
