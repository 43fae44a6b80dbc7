#pragma once
// One libpq connection with bounded waits: connecting gives up after the connect timeout, and a
// statement that has not answered by its deadline is abandoned (the connection is dropped), so a
// server that hangs never holds the store's thread for longer than that.

#include "stores/document_store.hpp"
#include "stores/postgres/postgres_sql.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

struct pg_conn;
struct pg_result;

namespace herald {

// The rows of a statement that succeeded, or why it did not: unavailable (the server is gone,
// did not answer in time, or cancelled the statement for its statement_timeout) or failed (the
// server refused it: its message, e.g. relation "x" does not exist).
struct postgres_answer {
    store_status status = store_status::ok;
    std::string error;
    std::vector<std::string> rows; // the first column of each row, as text
    // The connection was found gone before any answer (a server restarted since the last
    // statement): the same statement may be tried once more on a new connection.
    bool retry = false;
};

// Owned by its store and used on the store's worker thread only.
class postgres_connection {
public:
    postgres_connection(std::string url, std::chrono::milliseconds timeout);
    ~postgres_connection();
    postgres_connection(const postgres_connection&) = delete;
    postgres_connection& operator=(const postgres_connection&) = delete;

    bool open() const { return conn_ != nullptr; }
    // Connects and sets statement_timeout; false with the reason (nothing secret: no password).
    bool connect(std::string& why);
    void close();
    // Runs one statement; on a lost connection or a missed deadline the connection is closed.
    postgres_answer run(const postgres_sql::statement& statement);
    // "name" quoted as an identifier, for the connection's encoding.
    std::string quote(std::string_view name);
    // Reads what the server sent meanwhile (notifications, a goodbye) without waiting; false
    // (and closed) when the connection is gone.
    bool poll();
    // Each notification received so far: its channel and payload.
    void take_notifications(const std::function<void(std::string_view, std::string_view)>& take);

private:
    // Waits until the socket is readable or `deadline`; false on the deadline.
    bool wait_readable(std::chrono::steady_clock::time_point deadline);

    const std::string url_;
    const std::chrono::milliseconds timeout_;
    pg_conn* conn_ = nullptr;
};

} // namespace herald
