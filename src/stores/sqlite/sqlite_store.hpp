#pragma once
// The embedded document store: one SQLite file holding every collection's JSON documents in
// one table, written through Herald's HTTP API (docs/configuration.md#storesname).

#include "stores/registry.hpp"
#include "stores/store_worker.hpp"

#include <string>

struct sqlite3;

namespace herald {

// Thread-safe as document_store promises: the connection is opened and used on the worker's
// thread only.
class sqlite_store final : public document_store {
public:
    explicit sqlite_store(std::string file);
    ~sqlite_store() override;

    void start(change_handler on_change) override;
    void stop() override;
    void find(find_request request, find_done done) override;
    void write(write_request request, write_done done) override;
    bool takes_writes() const override { return true; }

private:
    // On the worker: opens the file and the schema once; false (with the reason) when it
    // cannot, tried again at the next request.
    bool ready(std::string& why);
    find_result run_find(const find_request& request);
    write_result run_write(const write_request& request);

    std::string file_;
    store_worker worker_;
    sqlite3* db_ = nullptr; // the worker's
};

store_made make_sqlite_store(const store_options& options);

} // namespace herald
