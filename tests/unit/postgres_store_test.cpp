// The postgres store against a real PostgreSQL: the one scripts/brokers starts (its URL in
// HERALD_TEST_POSTGRES_URL; scripts/test exports it). The outage test stops and starts that
// server through scripts/brokers, so it needs HERALD_TEST_BROKERS_DIR too. ctest runs these
// tests one at a time (RESOURCE_LOCK postgres, CMakeLists.txt).
#include "stores/postgres/postgres_sql.hpp"
#include "stores/postgres/postgres_store.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <mutex>
#include <set>
#include <signal.h>
#include <sstream>
#include <thread>
#include <unistd.h>

namespace herald {
namespace {

using namespace std::chrono_literals;

const std::filesystem::path source_dir =
    std::filesystem::path(__FILE__).parent_path().parent_path().parent_path();

// The changes a store reported, waited for by the test's thread.
class changes_seen {
public:
    void add(document_change change) {
        {
            std::lock_guard lock(mutex_);
            changes_.push_back(std::move(change));
        }
        arrived_.notify_all();
    }
    // The next change, or one with an empty event after `wait`.
    document_change next(std::chrono::milliseconds wait = 10s) {
        std::unique_lock lock(mutex_);
        if (!arrived_.wait_for(lock, wait, [this] { return !changes_.empty(); })) {
            return {};
        }
        auto change = std::move(changes_.front());
        changes_.pop_front();
        return change;
    }

private:
    std::mutex mutex_;
    std::condition_variable arrived_;
    std::deque<document_change> changes_;
};

class PostgresStore : public ::testing::Test {
protected:
    void SetUp() override {
        const char* url = std::getenv("HERALD_TEST_POSTGRES_URL");
        if (url == nullptr || *url == '\0') {
            GTEST_SKIP() << "HERALD_TEST_POSTGRES_URL is not set: start a server with "
                            "scripts/brokers start DIR and export DIR/env";
        }
        url_ = url;
        table_ = "herald_test_" + std::to_string(::getpid());
        channel_ = table_;
        sql("DROP TABLE IF EXISTS " + table_ + " CASCADE");
        sql("CREATE TABLE " + table_ + " (id text PRIMARY KEY, document jsonb NOT NULL)");
    }
    void TearDown() override {
        if (store_) {
            store_->stop();
        }
        if (!url_.empty()) {
            sql("DROP TABLE IF EXISTS " + table_ + " CASCADE");
        }
    }

    // A connection of the test's own, quiet about notices ("does not exist, skipping").
    PGconn* connect() {
        PGconn* conn = PQconnectdb(url_.c_str());
        PQsetNoticeProcessor(
            conn, [](void*, const char*) {}, nullptr);
        return conn;
    }
    // Runs SQL (one or more statements) on a connection of the test's own.
    void sql(const std::string& text) {
        PGconn* conn = connect();
        ASSERT_EQ(PQstatus(conn), CONNECTION_OK) << PQerrorMessage(conn);
        PGresult* result = PQexec(conn, text.c_str());
        const auto status = PQresultStatus(result);
        EXPECT_TRUE(status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
            << text << ": " << PQerrorMessage(conn);
        PQclear(result);
        PQfinish(conn);
    }
    void start(std::chrono::milliseconds timeout = 5000ms, bool listen = false) {
        store_ = std::make_unique<postgres_store>(
            postgres_settings{url_, listen ? channel_ : "", timeout});
        if (listen) {
            store_->start([this](document_change c) { changes_.add(std::move(c)); });
        } else {
            store_->start({});
        }
    }
    find_result find(std::string_view params, std::size_t limit = 100,
                     std::string collection = {}) {
        auto read = read_criteria(params);
        EXPECT_FALSE(read.problem);
        std::promise<find_result> answer;
        store_->find({collection.empty() ? table_ : collection, std::move(read.criteria), limit},
                     [&](find_result r) { answer.set_value(std::move(r)); });
        return answer.get_future().get();
    }
    // Herald's trigger (docs/sql/herald_documents.sql) on the test's table, on its own channel.
    void install_trigger() {
        std::ifstream file(source_dir / "docs/sql/herald_documents.sql");
        std::stringstream text;
        text << file.rdbuf();
        ASSERT_FALSE(text.str().empty());
        sql(text.str());
        sql("CREATE TRIGGER herald_documents AFTER INSERT OR UPDATE OR DELETE ON " + table_ +
            " FOR EACH ROW EXECUTE FUNCTION herald_notify('" + channel_ + "')");
    }

    std::string url_;
    std::string table_;
    std::string channel_;
    std::unique_ptr<postgres_store> store_;
    changes_seen changes_;
};

TEST_F(PostgresStore, FindsByEqualityOnNestedFieldsOfEveryType) {
    sql("INSERT INTO " + table_ + R"( VALUES
        ('a', '{"name":"a","obm":{"port":623},"on":true,"tags":["x"],"gone":null,"o":{"k":1,"l":2}}'),
        ('b', '{"name":"b","obm":{"port":624},"on":false,"n":"623"}'))");
    start();
    EXPECT_EQ(find("{}").documents.size(), 2u);
    EXPECT_EQ(find(R"({"obm.port":623})").documents.size(), 1u);
    EXPECT_EQ(find(R"({"obm.port":623.0})").documents.size(), 1u); // numbers as numbers
    EXPECT_EQ(find(R"({"obm.port":6.23e2})").documents.size(), 1u);
    EXPECT_EQ(find(R"({"name":"b","on":false})").documents.size(), 1u);
    EXPECT_EQ(find(R"({"on":true})").documents.size(), 1u);
    EXPECT_EQ(find(R"({"tags":["x"]})").documents.size(), 1u);
    EXPECT_EQ(find(R"({"tags":["x","y"]})").documents.size(), 0u);
    EXPECT_EQ(find(R"({"o":{"l":2,"k":1}})").documents.size(), 1u); // objects equal as JSON
    EXPECT_EQ(find(R"({"gone":null})").documents.size(), 2u);       // null or missing
    EXPECT_EQ(find(R"({"name":"623"})").documents.size(), 0u);
    EXPECT_EQ(find(R"({"obm.port":"623"})").documents.size(), 0u); // a string is not a number
    EXPECT_EQ(find(R"({"n":623})").documents.size(), 0u);          // nor a number a string
    EXPECT_EQ(find(R"({"id":"b"})").documents,
              std::vector<std::string>{
                  R"({"n": "623", "id": "b", "on": false, "obm": {"port": 624}, "name": "b"})"});
    EXPECT_EQ(find(R"({"id":null})").documents.size(), 0u);
}

// make bench measured 400 gets/s against 5,000 queries/s on 2,000 rows: the id was compared as
// to_jsonb(id), row by row. A get by id is a lookup in the primary key's index.
TEST_F(PostgresStore, AnIdCriterionIsALookupInThePrimaryKeyIndex) {
    sql("INSERT INTO " + table_ + R"( VALUES ('5', '{}'), ('é', '{"name":"e"}'), ('n1', '{}'))");
    start();
    EXPECT_EQ(find(R"({"id":"5"})").documents, std::vector<std::string>{R"({"id": "5"})"});
    EXPECT_EQ(find(R"({"id":5})").documents.size(), 0u); // a number never equals a text id
    EXPECT_EQ(find(R"({"id":"\u00e9"})").documents,
              std::vector<std::string>{R"({"id": "é", "name": "e"})"});
    EXPECT_EQ(find(R"({"id":"n1","name":"x"})").documents.size(), 0u);

    // The statement's plan, with sequential scans priced out: only an index condition on the id
    // column avoids reading every row.
    auto read = read_criteria(R"({"id":"n1"})");
    const auto statement = postgres_sql::find(table_, read.criteria, 1);
    PGconn* conn = connect();
    PQclear(PQexec(conn, "SET enable_seqscan = off"));
    std::vector<const char*> values;
    for (const auto& p : statement.params) {
        values.push_back(p.c_str());
    }
    PGresult* plan =
        PQexecParams(conn, ("EXPLAIN " + statement.text).c_str(), static_cast<int>(values.size()),
                     nullptr, values.data(), nullptr, nullptr, 0);
    std::string text;
    for (int row = 0; row < PQntuples(plan); ++row) {
        text += PQgetvalue(plan, row, 0);
        text += '\n';
    }
    PQclear(plan);
    PQfinish(conn);
    EXPECT_NE(text.find("Index Cond: (id = "), std::string::npos) << text;
}

TEST_F(PostgresStore, ListsInIdOrderWithTheIdColumnAsTheDocumentsId) {
    sql("INSERT INTO " + table_ +
        R"( VALUES ('c', '{"id":"not c"}'), ('a', '{}'), ('b', '[1]'), ('d', '{"x":1}'))");
    start();
    auto all = find("{}");
    EXPECT_EQ(all.status, store_status::ok);
    EXPECT_EQ(all.documents, (std::vector<std::string>{R"({"id": "a"})", R"({"id": "c"})",
                                                       R"({"x": 1, "id": "d"})"}));
}

TEST_F(PostgresStore, CutsALongListAndSaysSo) {
    sql("INSERT INTO " + table_ + " SELECT i::text, '{}' FROM generate_series(1, 5) AS i");
    start();
    auto three = find("{}", 3);
    EXPECT_EQ(three.documents.size(), 3u);
    EXPECT_TRUE(three.truncated);
    EXPECT_FALSE(find("{}", 5).truncated);
}

TEST_F(PostgresStore, ATableThatDoesNotExistFailsWithTheServersWordsAndTheStoreGoesOn) {
    start();
    auto missing = find("{}", 10, "no_such_table_at_all");
    EXPECT_EQ(missing.status, store_status::failed);
    EXPECT_EQ(missing.error, "relation \"no_such_table_at_all\" does not exist");
    auto bad_name = find("{}", 10, "a.b.c");
    EXPECT_EQ(bad_name.status, store_status::failed);
    EXPECT_EQ(bad_name.error,
              "the collection \"a.b.c\" is not a table name (TABLE or SCHEMA.TABLE)");
    auto not_utf8 = find("{}", 10, "\xff");
    EXPECT_EQ(not_utf8.status, store_status::failed);
    EXPECT_EQ(not_utf8.error, "the collection name is not text in the database's encoding");
    EXPECT_EQ(find("{}", 10, "public." + table_).status, store_status::ok);
}

TEST_F(PostgresStore, AQueryOverTheTimeoutIsAnsweredUnavailableAndTheStoreGoesOn) {
    sql("CREATE VIEW " + table_ +
        "_slow AS SELECT 'x'::text AS id, '{}'::jsonb AS document FROM pg_sleep(5)");
    start(300ms);
    const auto began = std::chrono::steady_clock::now();
    auto slow = find("{}", 10, table_ + "_slow");
    EXPECT_LT(std::chrono::steady_clock::now() - began, 3s);
    EXPECT_EQ(slow.status, store_status::unavailable);
    EXPECT_EQ(slow.error, "the document store did not answer within 300 ms");
    EXPECT_EQ(find("{}").status, store_status::ok);
}

// A server process that stops answering (SIGSTOP: not even statement_timeout fires) is given
// up timeout_ms + 1 s after the query was sent; the next query connects anew.
TEST_F(PostgresStore, AServerThatHangsIsGivenUpAndTheNextQueryConnectsAnew) {
    start(300ms);
    ASSERT_EQ(find("{}").status, store_status::ok);
    PGconn* admin = connect();
    PGresult* found = PQexec(admin, ("SELECT pid FROM pg_stat_activity WHERE application_name = "
                                     "'herald' AND query LIKE '%" +
                                     table_ + "%'")
                                        .c_str());
    ASSERT_EQ(PQntuples(found), 1) << PQerrorMessage(admin);
    const pid_t backend = std::atoi(PQgetvalue(found, 0, 0));
    PQclear(found);
    ASSERT_EQ(::kill(backend, SIGSTOP), 0);
    const auto began = std::chrono::steady_clock::now();
    auto hung = find("{}");
    const auto took = std::chrono::steady_clock::now() - began;
    ::kill(backend, SIGCONT);
    PQclear(
        PQexec(admin, ("SELECT pg_terminate_backend(" + std::to_string(backend) + ")").c_str()));
    PQfinish(admin);
    EXPECT_EQ(hung.status, store_status::unavailable);
    EXPECT_EQ(hung.error, "the document store did not answer within 300 ms");
    // Not given up at statement_timeout (300 ms) but about a second later; the store's wait is
    // counted in whole milliseconds from just after `began`, so allow it a little short.
    EXPECT_GE(took, 1250ms);
    EXPECT_LT(took, 3s);
    EXPECT_EQ(find("{}").status, store_status::ok);
}

TEST_F(PostgresStore, AnUnreachableServerIsUnavailableNotAHang) {
    store_ = std::make_unique<postgres_store>(
        postgres_settings{"postgresql://postgres@127.0.0.1:1/postgres", "", 1000ms});
    store_->start({});
    auto down = find("{}");
    EXPECT_EQ(down.status, store_status::unavailable);
    EXPECT_EQ(down.error, "the document store is not available");
}

// Herald's trigger tells the store which row changed; the store publishes it as it is now.
TEST_F(PostgresStore, TheDocumentedTriggerReportsInsertsUpdatesAndDeletes) {
    install_trigger();
    start(5000ms, true);
    ASSERT_EQ(find("{}").status, store_status::ok); // connected and listening

    sql("INSERT INTO " + table_ + R"( VALUES ('n1', '{"name":"one"}'))");
    auto created = changes_.next();
    EXPECT_EQ(created.collection, table_);
    EXPECT_EQ(created.event, "created");
    EXPECT_EQ(created.id, "n1");
    EXPECT_EQ(created.record, R"({"id": "n1", "name": "one"})");

    sql("UPDATE " + table_ + R"( SET document = '{"name":"uno"}' WHERE id = 'n1')");
    auto updated = changes_.next();
    EXPECT_EQ(updated.event, "updated");
    EXPECT_EQ(updated.record, R"({"id": "n1", "name": "uno"})");

    sql("DELETE FROM " + table_ + " WHERE id = 'n1'");
    auto destroyed = changes_.next();
    EXPECT_EQ(destroyed.event, "destroyed");
    EXPECT_EQ(destroyed.id, "n1");
    EXPECT_EQ(destroyed.record, R"({"id":"n1","name":"uno"})");

    // Too big to travel in the notification: the record is only the id.
    sql("INSERT INTO " + table_ + " VALUES ('big', jsonb_build_object('x', repeat('x', 9000)))");
    EXPECT_EQ(changes_.next().event, "created");
    sql("DELETE FROM " + table_ + " WHERE id = 'big'");
    auto big = changes_.next();
    EXPECT_EQ(big.event, "destroyed");
    EXPECT_EQ(big.record, R"({"id":"big"})");
}

TEST_F(PostgresStore, AChangeIsPublishedWithTheRowAsItIsWhenTheStoreReadsIt) {
    install_trigger();
    start(5000ms, true);
    ASSERT_EQ(find("{}").status, store_status::ok);
    sql("BEGIN; INSERT INTO " + table_ + R"( VALUES ('n1', '{"v":1}'); UPDATE )" + table_ +
        R"( SET document = '{"v":2}'; COMMIT)");
    auto created = changes_.next();
    EXPECT_EQ(created.event, "created");
    EXPECT_EQ(created.record, R"({"v": 2, "id": "n1"})");
}

TEST_F(PostgresStore, AThousandChangesInOneTransactionAreEachPublishedOnce) {
    install_trigger();
    start(5000ms, true);
    ASSERT_EQ(find("{}").status, store_status::ok);
    sql("INSERT INTO " + table_ + " SELECT i::text, '{}' FROM generate_series(1, 1000) AS i");
    std::set<std::string> ids;
    for (int i = 0; i < 1000; ++i) {
        auto change = changes_.next();
        ASSERT_EQ(change.event, "created") << "after " << i << " changes";
        ids.insert(change.id);
    }
    EXPECT_EQ(ids.size(), 1000u);
    EXPECT_EQ(changes_.next(300ms).event, ""); // and nothing more
}

// The server stops (a fast shutdown closes the store's connection) and starts again.
TEST_F(PostgresStore, AStoppedServerIsUnavailableUntilItIsBackAndThenChangesFlowAgain) {
    const char* dir = std::getenv("HERALD_TEST_BROKERS_DIR");
    if (dir == nullptr || *dir == '\0') {
        GTEST_SKIP() << "HERALD_TEST_BROKERS_DIR is not set: the test cannot stop the server";
    }
    const std::string brokers =
        "bash " + (source_dir / "scripts/brokers").string() + " %s " + dir + " >/dev/null";
    auto command = [&](const char* what) {
        char line[4096];
        std::snprintf(line, sizeof line, brokers.c_str(), what);
        return std::system(line);
    };
    install_trigger();
    start(1000ms, true);
    ASSERT_EQ(find("{}").status, store_status::ok);

    ASSERT_EQ(command("stop-postgres"), 0);
    struct restart_at_the_end {
        std::function<int(const char*)> run;
        ~restart_at_the_end() { run("start-postgres 2>/dev/null"); }
    } restart{command};
    const auto began = std::chrono::steady_clock::now();
    auto down = find("{}");
    EXPECT_EQ(down.status, store_status::unavailable);
    EXPECT_LT(std::chrono::steady_clock::now() - began, 3s);

    ASSERT_EQ(command("start-postgres"), 0);
    // The store tries again at most 2 s apart: within 10 s it answers.
    auto until = std::chrono::steady_clock::now() + 10s;
    find_result back;
    while ((back = find("{}")).status != store_status::ok &&
           std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(100ms);
    }
    EXPECT_EQ(back.status, store_status::ok);
    // Listening again on the new connection.
    sql("INSERT INTO " + table_ + R"( VALUES ('after', '{}'))");
    auto change = changes_.next();
    EXPECT_EQ(change.event, "created");
    EXPECT_EQ(change.id, "after");
}

} // namespace
} // namespace herald
