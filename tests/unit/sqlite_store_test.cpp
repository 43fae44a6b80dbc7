#include "stores/sqlite/sqlite_store.hpp"

#include <cstdio>
#include <future>
#include <gtest/gtest.h>
#include <unistd.h>

namespace herald {
namespace {

// A store in a fresh file, answering synchronously for the test's sake.
class SqliteStore : public ::testing::Test {
protected:
    void SetUp() override {
        file_ = "/tmp/herald-sqlite-store-" + std::to_string(::getpid()) + ".sqlite3";
        std::remove(file_.c_str());
        store_ = std::make_unique<sqlite_store>(file_);
        store_->start({});
    }
    void TearDown() override {
        store_->stop();
        for (const char* end : {"", "-wal", "-shm"}) {
            std::remove((file_ + end).c_str());
        }
    }
    write_result put(std::string id, std::string document) {
        std::promise<write_result> answer;
        store_->write({"nodes", std::move(id), std::move(document)},
                      [&](write_result r) { answer.set_value(std::move(r)); });
        return answer.get_future().get();
    }
    find_result find(std::string_view params, std::size_t limit = 100) {
        auto read = read_criteria(params);
        EXPECT_FALSE(read.problem);
        std::promise<find_result> answer;
        store_->find({"nodes", std::move(read.criteria), limit},
                     [&](find_result r) { answer.set_value(std::move(r)); });
        return answer.get_future().get();
    }

    std::string file_;
    std::unique_ptr<sqlite_store> store_;
};

TEST_F(SqliteStore, APutCreatesThenUpdatesAndKeepsTheIdInTheDocument) {
    auto created = put("n1", R"({"name":"one"})");
    EXPECT_EQ(created.status, store_status::ok);
    EXPECT_EQ(created.event, "created");
    EXPECT_EQ(created.record, R"({"name":"one","id":"n1"})");
    auto updated = put("n1", R"({"name":"uno"})");
    EXPECT_EQ(updated.event, "updated");
    EXPECT_EQ(find("{}").documents, std::vector<std::string>{R"({"name":"uno","id":"n1"})"});
}

TEST_F(SqliteStore, FindsByEqualityOnNestedFieldsOfEveryType) {
    put("a", R"({"name":"a","obm":{"port":623},"on":true,"tags":["x"],"gone":null})");
    put("b", R"({"name":"b","obm":{"port":624},"on":false})");
    EXPECT_EQ(find(R"({"obm.port":623})").documents.size(), 1u);
    EXPECT_EQ(find(R"({"obm.port":623.0})").documents.size(), 1u);
    EXPECT_EQ(find(R"({"name":"b","on":false})").documents.size(), 1u);
    EXPECT_EQ(find(R"({"on":true})").documents.size(), 1u);
    EXPECT_EQ(find(R"({"tags":["x"]})").documents.size(), 1u);
    EXPECT_EQ(find(R"({"gone":null})").documents.size(), 2u); // null or missing
    EXPECT_EQ(find(R"({"name":"623"})").documents.size(), 0u);
    EXPECT_EQ(find(R"({"obm.port":"623"})").documents.size(), 0u); // a string is not a number
    EXPECT_EQ(find(R"({"id":"b"})").documents.size(), 1u);
}

TEST_F(SqliteStore, CutsALongListAndSaysSo) {
    for (int i = 0; i < 5; ++i) {
        put(std::to_string(i), "{}");
    }
    auto three = find("{}", 3);
    EXPECT_EQ(three.documents.size(), 3u);
    EXPECT_TRUE(three.truncated);
    EXPECT_FALSE(find("{}", 5).truncated);
}

TEST_F(SqliteStore, ARemoveReturnsTheRecordOnceAndThenNothing) {
    put("n1", R"({"name":"one"})");
    auto removed = put("n1", "");
    EXPECT_EQ(removed.event, "destroyed");
    EXPECT_EQ(removed.record, R"({"name":"one","id":"n1"})");
    EXPECT_EQ(put("n1", "").event, "");
    EXPECT_TRUE(find("{}").documents.empty());
}

TEST_F(SqliteStore, AFileThatCannotBeOpenedIsUnavailableNotFatal) {
    store_->stop();
    store_ = std::make_unique<sqlite_store>("/nonexistent-dir/x.sqlite3");
    store_->start({});
    EXPECT_EQ(find("{}").status, store_status::unavailable);
}

} // namespace
} // namespace herald
