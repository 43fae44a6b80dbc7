#pragma once
// The PostgreSQL document store: each collection is a table (id text PRIMARY KEY, document
// jsonb NOT NULL) that other programs write; Herald only reads it, and hears of its changes
// through LISTEN/NOTIFY from the trigger in docs/sql/herald_documents.sql
// (docs/configuration.md#the-postgres-store).

#include "stores/postgres/postgres_connection.hpp"
#include "stores/postgres/postgres_notification.hpp"
#include "stores/registry.hpp"
#include "stores/store_worker.hpp"

#include <chrono>
#include <cstddef>
#include <deque>
#include <string>
#include <unordered_map>

namespace herald {

struct postgres_settings {
    std::string url;                          // a libpq conninfo or a postgresql:// URI
    std::string channel = "herald_documents"; // empty: no LISTEN, no changes
    std::chrono::milliseconds timeout{5000};  // connect and statement timeout
};

// Thread-safe as document_store promises: the connection, the backoff and the pending changes
// belong to the worker's thread; find() only queues a job.
class postgres_store final : public document_store {
public:
    explicit postgres_store(postgres_settings settings);
    ~postgres_store() override;

    void start(change_handler on_change) override;
    void stop() override;
    void find(find_request request, find_done done) override;

    // Bounds on what a flood of notifications may cost: changes waiting to be published (one per
    // row: a row changed twice before it is published is published once), and how many are
    // published (one query each) between two jobs.
    static constexpr std::size_t max_pending_changes = 10000;
    static constexpr std::size_t changes_per_poll = 200;

private:
    // On the worker. Connects (and LISTENs) when there is no connection and the backoff allows;
    // false with the client's error when there is none.
    bool connected();
    void connection_lost(const std::string& why);
    find_result run_find(const find_request& request);
    void idle();
    void take(std::string_view payload);
    void publish_pending();

    struct pending_change {
        table_change change;
        std::string event; // created, updated, destroyed
    };

    const postgres_settings settings_;
    store_worker worker_;
    change_handler on_change_; // set before the worker starts
    postgres_connection connection_;
    std::chrono::steady_clock::time_point next_attempt_{};
    std::chrono::milliseconds backoff_{0};
    bool reported_down_ = false; // logged once per outage
    std::deque<std::string> pending_order_;
    std::unordered_map<std::string, pending_change> pending_;
    std::size_t dropped_changes_ = 0;
};

// Options: url (required), listen, timeout_ms.
store_made make_postgres_store(const store_options& options);

} // namespace herald
