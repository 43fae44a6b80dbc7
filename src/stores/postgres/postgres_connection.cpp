#include "stores/postgres/postgres_connection.hpp"

#include "util/log.hpp"

#include <algorithm>
#include <libpq-fe.h>
#include <memory>
#include <poll.h>

namespace herald {
namespace {

// Past statement_timeout the server cancels the statement itself; this much more is the time a
// server that hangs (or a network that lost it) gets before the connection is given up.
constexpr std::chrono::milliseconds grace{1000};

// libpq's messages end with a line break and may hold several lines, indented with tabs: one
// line for a client or the log.
std::string one_line(const char* message) {
    std::string text;
    for (const char* c = message ? message : ""; *c != '\0'; ++c) {
        const bool space = *c == '\n' || *c == '\t' || *c == ' ';
        if (!space) {
            text += *c;
        } else if (!text.empty() && text.back() != ' ') {
            text += ' ';
        }
    }
    if (!text.empty() && text.back() == ' ') {
        text.pop_back();
    }
    return text;
}

// The server's notices and warnings (and libpq's own, such as a FATAL that closed the
// connection) go to the log, not to stderr.
void log_notice(void*, const char* message) {
    log::debug("postgres store: the server says: {}", one_line(message));
}

struct result_free {
    void operator()(PGresult* r) const { PQclear(r); }
};
using result_ptr = std::unique_ptr<PGresult, result_free>;

} // namespace

postgres_connection::postgres_connection(std::string url, std::chrono::milliseconds timeout)
    : url_(std::move(url))
    , timeout_(timeout) {}

postgres_connection::~postgres_connection() {
    close();
}

void postgres_connection::close() {
    PQfinish(conn_);
    conn_ = nullptr;
}

bool postgres_connection::connect(std::string& why) {
    close();
    // libpq counts connect_timeout in whole seconds, at least 2.
    const auto seconds = std::to_string(std::max<long long>(2, (timeout_.count() + 999) / 1000));
    // dbname first: the url (a conninfo or a URI) is expanded there, and the keywords after it
    // take precedence.
    const char* keys[] = {"dbname", "connect_timeout", "application_name", nullptr};
    const char* values[] = {url_.c_str(), seconds.c_str(), "herald", nullptr};
    conn_ = PQconnectdbParams(keys, values, 1);
    if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) {
        why = one_line(conn_ ? PQerrorMessage(conn_) : "out of memory");
        close();
        return false;
    }
    PQsetNoticeProcessor(conn_, &log_notice, nullptr);
    // The server cancels any statement of ours that runs longer than the store's timeout.
    auto set = run(
        {"SELECT set_config('statement_timeout', $1, false)", {std::to_string(timeout_.count())}});
    if (set.status != store_status::ok) {
        why = set.error;
        close();
        return false;
    }
    return true;
}

std::string postgres_connection::quote(std::string_view name) {
    std::string quoted;
    if (conn_ == nullptr) {
        return quoted;
    }
    if (char* escaped = PQescapeIdentifier(conn_, name.data(), name.size())) {
        quoted = escaped;
        PQfreemem(escaped);
    }
    return quoted;
}

bool postgres_connection::wait_readable(std::chrono::steady_clock::time_point deadline) {
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            return false;
        }
        pollfd fd{PQsocket(conn_), POLLIN, 0};
        const int ready = ::poll(&fd, 1, static_cast<int>(left.count()));
        if (ready != 0) {
            return true; // readable, closed, or an error: PQconsumeInput tells which
        }
    }
}

postgres_answer postgres_connection::run(const postgres_sql::statement& statement) {
    if (conn_ == nullptr) {
        return {store_status::unavailable, "not connected", {}};
    }
    std::vector<const char*> params;
    params.reserve(statement.params.size());
    for (const auto& p : statement.params) {
        params.push_back(p.c_str());
    }
    auto lost = [this](std::string why, bool retry) {
        close();
        return postgres_answer{store_status::unavailable, std::move(why), {}, retry};
    };
    if (PQsendQueryParams(conn_, statement.text.c_str(), static_cast<int>(params.size()), nullptr,
                          params.data(), nullptr, nullptr, 0) == 0) {
        return lost(one_line(PQerrorMessage(conn_)), true);
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout_ + grace;
    postgres_answer answer;
    bool answered = false;
    for (;;) {
        while (PQisBusy(conn_) != 0) {
            if (!wait_readable(deadline)) {
                return lost("no answer within " + std::to_string(timeout_.count()) + " ms", false);
            }
            if (PQconsumeInput(conn_) == 0) {
                return lost(one_line(PQerrorMessage(conn_)), !answered);
            }
        }
        result_ptr result(PQgetResult(conn_));
        if (!result) {
            break;
        }
        if (answered) {
            continue; // one statement, one result; the rest (none expected) is drained
        }
        answered = true;
        const auto status = PQresultStatus(result.get());
        if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) {
            const int rows = PQntuples(result.get());
            answer.rows.reserve(static_cast<std::size_t>(rows));
            for (int row = 0; row < rows && PQnfields(result.get()) > 0; ++row) {
                answer.rows.emplace_back(
                    PQgetvalue(result.get(), row, 0),
                    static_cast<std::size_t>(PQgetlength(result.get(), row, 0)));
            }
            continue;
        }
        const char* state = PQresultErrorField(result.get(), PG_DIAG_SQLSTATE);
        const char* primary = PQresultErrorField(result.get(), PG_DIAG_MESSAGE_PRIMARY);
        const std::string code = state ? state : "";
        answer.error = one_line(primary ? primary : PQresultErrorMessage(result.get()));
        // 57014: cancelled, here by statement_timeout. Class 08 and 57P: the connection or the
        // server is going away. Both are worth another try later; anything else is this
        // statement's fault.
        if (code == "57014") {
            answer.status = store_status::unavailable;
            answer.error = "no answer within " + std::to_string(timeout_.count()) + " ms";
        } else if (code.rfind("08", 0) == 0 || code.rfind("57P", 0) == 0 ||
                   PQstatus(conn_) != CONNECTION_OK) {
            answer.status = store_status::unavailable;
            answer.retry = true;
        } else {
            answer.status = store_status::failed;
        }
    }
    if (answer.retry || PQstatus(conn_) != CONNECTION_OK) {
        close();
        if (answer.status == store_status::ok) {
            answer = {store_status::unavailable, "the connection was lost", {}, false};
        }
    }
    if (!answered && answer.status == store_status::ok) {
        return lost("the server sent no answer", true);
    }
    return answer;
}

bool postgres_connection::poll() {
    if (conn_ == nullptr) {
        return false;
    }
    if (PQconsumeInput(conn_) == 0 || PQstatus(conn_) != CONNECTION_OK) {
        close();
        return false;
    }
    return true;
}

void postgres_connection::take_notifications(
    const std::function<void(std::string_view, std::string_view)>& take) {
    if (conn_ == nullptr) {
        return;
    }
    while (PGnotify* notice = PQnotifies(conn_)) {
        take(notice->relname ? notice->relname : "", notice->extra ? notice->extra : "");
        PQfreemem(notice);
    }
}

} // namespace herald
