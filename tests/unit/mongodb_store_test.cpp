#include "stores/mongodb/mongodb_store.hpp"

#include <arpa/inet.h>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <gtest/gtest.h>
#include <mongoc/mongoc.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace herald {
namespace {

using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;

store_made make(store_options options) {
    return make_document_store("mongodb", options);
}

// A loopback socket bound to a port of its own, listening or not; closed with the test.
class loopback_port {
public:
    explicit loopback_port(bool listening) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&address), length), 0);
        EXPECT_EQ(::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length), 0);
        port_ = ntohs(address.sin_port);
        if (listening) {
            EXPECT_EQ(::listen(fd_, 16), 0);
        }
    }
    ~loopback_port() { ::close(fd_); }
    int port() const { return port_; }

private:
    int fd_ = -1;
    int port_ = 0;
};

// The store's answer to `params`, or a failed result saying the answer never came.
find_result find(document_store& store, std::string_view params, std::size_t limit = 100,
                 std::chrono::milliseconds wait = 20s) {
    auto read = read_criteria(params);
    EXPECT_FALSE(read.problem);
    auto answer = std::make_shared<std::promise<find_result>>();
    auto future = answer->get_future();
    store.find({"nodes", std::move(read.criteria), limit},
               [answer](find_result r) { answer->set_value(std::move(r)); });
    if (future.wait_for(wait) != std::future_status::ready) {
        return {store_status::failed, "no answer within the wait", {}, false};
    }
    return future.get();
}

TEST(MongodbStoreOptions, RefusesUnknownKeysAndBadValuesNamingTheKey) {
    EXPECT_EQ(make({{"url", std::string("mongodb://h/x")}, {"file", std::string("x")}}).problem,
              "file: unknown key (a mongodb store takes url, database, timeout_ms)");
    EXPECT_EQ(make({}).problem, "url: required (mongodb://host:port/database)");
    EXPECT_EQ(make({{"url", std::int64_t{1}}}).problem, "url: must be a string");
    EXPECT_TRUE(make({{"url", std::string("http://h/x")}}).problem.starts_with("url: "));
    EXPECT_EQ(make({{"url", std::string("mongodb://h")}, {"timeout_ms", std::string("5")}}).problem,
              "timeout_ms: must be an integer");
    EXPECT_EQ(make({{"url", std::string("mongodb://h")}, {"timeout_ms", std::int64_t{0}}}).problem,
              "timeout_ms: must be from 1 to 600000");
    EXPECT_EQ(make({{"url", std::string("mongodb://h")}, {"database", true}}).problem,
              "database: must be a string");
}

TEST(MongodbStoreOptions, TheDatabaseIsTheOptionElseTheUrlsElseMonorail) {
    auto database = [](store_options options) {
        auto made = make(std::move(options));
        EXPECT_TRUE(made.store) << made.problem;
        return made.store ? static_cast<mongodb_store&>(*made.store).database() : "";
    };
    EXPECT_EQ(database({{"url", std::string("mongodb://h:1/pxe?appname=x")}}), "pxe");
    EXPECT_EQ(database({{"url", std::string("mongodb://h:1")}}), "monorail");
    EXPECT_EQ(database({{"url", std::string("mongodb://h:1/pxe")}, {"database", std::string("d")}}),
              "d");
}

TEST(MongodbStore, TakesNoWritesFromHerald) {
    auto made = make({{"url", std::string("mongodb://127.0.0.1:1")}});
    ASSERT_TRUE(made.store);
    EXPECT_FALSE(made.store->takes_writes());
}

TEST(MongodbStore, APortWhereNothingListensIsUnavailableWithinTheTimeout) {
    const loopback_port closed(false);
    auto made = make({{"url", "mongodb://127.0.0.1:" + std::to_string(closed.port())},
                      {"timeout_ms", std::int64_t{2000}}});
    ASSERT_TRUE(made.store) << made.problem;
    made.store->start({});
    for (int attempt = 0; attempt < 2; ++attempt) {
        const auto began = clock::now();
        const auto answer = find(*made.store, R"({"name":"n1"})");
        EXPECT_LT(clock::now() - began, 2000ms);
        EXPECT_EQ(answer.status, store_status::unavailable) << answer.error;
        EXPECT_EQ(answer.error, "the document store is not available");
    }
    made.store->stop();
}

TEST(MongodbStore, AServerThatAcceptsButNeverAnswersIsUnavailableWithinTheTimeout) {
    const loopback_port silent(true); // the kernel accepts; nobody reads or writes
    auto made = make({{"url", "mongodb://127.0.0.1:" + std::to_string(silent.port())},
                      {"timeout_ms", std::int64_t{500}}});
    ASSERT_TRUE(made.store) << made.problem;
    made.store->start({});
    const auto began = clock::now();
    const auto answer = find(*made.store, "{}");
    const auto took = clock::now() - began;
    EXPECT_EQ(answer.status, store_status::unavailable) << answer.error;
    EXPECT_GE(took, 400ms);  // it did wait for the server…
    EXPECT_LT(took, 1500ms); // …and no longer than its timeout allows
    made.store->stop();
}

TEST(MongodbStore, RefusedParamsFailAtOnceWithoutAskingTheServer) {
    const loopback_port silent(true);
    auto made = make({{"url", "mongodb://127.0.0.1:" + std::to_string(silent.port())},
                      {"timeout_ms", std::int64_t{10000}}});
    ASSERT_TRUE(made.store);
    made.store->start({});
    const auto answer = find(*made.store, R"({"name":{"$ne":null}})", 100, 1s);
    EXPECT_EQ(answer.status, store_status::failed);
    EXPECT_EQ(answer.error,
              R"(a member name inside a params value may not start with '$' ("$ne"): )"
              "MongoDB operators are not taken");
    made.store->stop();
}

// ---------------------------------------------------------------------------------------------
// Against a real mongod, when one is on PATH: started on a free port in a fresh directory,
// stopped by its PID.
class MongodbServer : public ::testing::Test {
protected:
    void SetUp() override {
        if (std::system("command -v mongod >/dev/null 2>&1") != 0) {
            GTEST_SKIP() << "no mongod on PATH (Debian ships none)";
        }
        dir_ = std::filesystem::temp_directory_path() /
               ("herald-mongod-" + std::to_string(::getpid()));
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_ / "db");
        int port = 0;
        {
            const loopback_port free_port(false);
            port = free_port.port();
        }
        const std::string port_text = std::to_string(port);
        const std::string db = (dir_ / "db").string();
        const std::string logfile = (dir_ / "mongod.log").string();
        std::vector<std::string> args = {"mongod",  "--dbpath",      db,          "--port",
                                         port_text, "--bind_ip",     "127.0.0.1", "--logpath",
                                         logfile,   "--nounixsocket"};
        std::vector<char*> argv;
        for (auto& a : args) {
            argv.push_back(a.data());
        }
        argv.push_back(nullptr);
        ASSERT_EQ(::posix_spawnp(&pid_, "mongod", nullptr, nullptr, argv.data(), environ), 0);
        url_ = "mongodb://127.0.0.1:" + port_text + "/herald_test";

        // A client of the test's own, that waits for the server to come up (selection retried
        // until it answers) and fills the collection.
        bson_error_t error;
        mongoc_uri_t* uri = mongoc_uri_new_with_error(
            (url_ + "?serverSelectionTryOnce=false&serverSelectionTimeoutMS=30000").c_str(),
            &error);
        ASSERT_NE(uri, nullptr) << error.message;
        client_ = mongoc_client_new_from_uri(uri);
        mongoc_uri_destroy(uri);
        bson_t* ping = BCON_NEW("ping", BCON_INT32(1));
        const bool up =
            mongoc_client_command_simple(client_, "admin", ping, nullptr, nullptr, &error);
        bson_destroy(ping);
        ASSERT_TRUE(up) << "mongod did not come up: " << error.message;
        collection_ = mongoc_client_get_collection(client_, "herald_test", "nodes");
    }
    void TearDown() override {
        if (collection_ != nullptr) {
            mongoc_collection_destroy(collection_);
        }
        if (client_ != nullptr) {
            mongoc_client_destroy(client_);
        }
        if (pid_ > 0) {
            ::kill(pid_, SIGTERM);
            int status = 0;
            ::waitpid(pid_, &status, 0);
        }
        if (!dir_.empty()) {
            std::filesystem::remove_all(dir_);
        }
    }
    void insert(std::string_view json) {
        bson_error_t error;
        bson_t* document = bson_new_from_json(reinterpret_cast<const std::uint8_t*>(json.data()),
                                              static_cast<ssize_t>(json.size()), &error);
        ASSERT_NE(document, nullptr) << error.message;
        ASSERT_TRUE(mongoc_collection_insert_one(collection_, document, nullptr, nullptr, &error))
            << error.message;
        bson_destroy(document);
    }
    std::unique_ptr<document_store> store() {
        auto made = make({{"url", url_}, {"timeout_ms", std::int64_t{5000}}});
        EXPECT_TRUE(made.store) << made.problem;
        made.store->start({});
        return std::move(made.store);
    }

    std::filesystem::path dir_;
    pid_t pid_ = 0;
    std::string url_;
    mongoc_client_t* client_ = nullptr;
    mongoc_collection_t* collection_ = nullptr;
};

TEST_F(MongodbServer, FindsByEqualityOnNestedFieldsOfEveryType) {
    insert(R"({"_id":1,"name":"a","obm":{"port":623},"on":true,"tags":["x"],"gone":null})");
    insert(R"({"_id":2,"name":"b","obm":{"port":624},"on":false})");
    auto s = store();
    EXPECT_EQ(find(*s, R"({"obm.port":623})").documents,
              std::vector<std::string>{
                  R"({"_id":1,"name":"a","obm":{"port":623},"on":true,"tags":["x"],"gone":null})"});
    EXPECT_EQ(find(*s, R"({"obm.port":623.0})").documents.size(), 1u);
    EXPECT_EQ(find(*s, R"({"name":"b","on":false})").documents.size(), 1u);
    EXPECT_EQ(find(*s, R"({"tags":["x"]})").documents.size(), 1u);
    EXPECT_EQ(find(*s, R"({"tags":"x"})").documents.size(), 1u);  // MongoDB: an element of it
    EXPECT_EQ(find(*s, R"({"gone":null})").documents.size(), 2u); // null or missing
    EXPECT_EQ(find(*s, R"({"obm":{"port":624}})").documents.size(), 1u);
    EXPECT_EQ(find(*s, R"({"obm.port":"623"})").documents.size(), 0u); // a string is no number
    EXPECT_EQ(find(*s, "{}").documents.size(), 2u);
    s->stop();
}

TEST_F(MongodbServer, AnswersInIdOrderAndCutsALongListSayingSo) {
    for (int id : {3, 1, 2, 5, 4}) {
        insert(R"({"_id":)" + std::to_string(id) + "}");
    }
    auto s = store();
    const auto three = find(*s, "{}", 3);
    EXPECT_EQ(three.documents,
              (std::vector<std::string>{R"({"_id":1})", R"({"_id":2})", R"({"_id":3})"}));
    EXPECT_TRUE(three.truncated);
    EXPECT_FALSE(find(*s, "{}", 5).truncated);
    s->stop();
}

TEST_F(MongodbServer, AnObjectIdAndADateReadAsRelaxedExtendedJsonAndTheIdFindsItAgain) {
    insert(R"({"_id":{"$oid":"5f0c6b1e2a3b4c5d6e7f8091"},"at":{"$date":"2020-01-02T03:04:05Z"}})");
    auto s = store();
    const auto all = find(*s, "{}");
    ASSERT_EQ(all.documents.size(), 1u);
    EXPECT_EQ(all.documents[0], R"({"_id":{"$oid":"5f0c6b1e2a3b4c5d6e7f8091"},)"
                                R"("at":{"$date":"2020-01-02T03:04:05Z"}})");
    EXPECT_EQ(find(*s, R"({"_id":{"$oid":"5f0c6b1e2a3b4c5d6e7f8091"}})").documents, all.documents);
    s->stop();
}

TEST_F(MongodbServer, AStoredOperatorLookalikeIsNotObeyed) {
    insert(R"({"_id":1,"name":"a"})");
    auto s = store();
    // Refused before the server sees it, so it never matches every document.
    EXPECT_EQ(find(*s, R"({"name":{"$ne":"z"}})").status, store_status::failed);
    EXPECT_EQ(find(*s, R"({"name":{"$gt":""}})").status, store_status::failed);
    s->stop();
}

TEST_F(MongodbServer, AStoppedServerIsUnavailableWithinTheTimeout) {
    insert(R"({"_id":1})");
    auto made = make({{"url", url_}, {"timeout_ms", std::int64_t{1000}}});
    ASSERT_TRUE(made.store);
    made.store->start({});
    EXPECT_EQ(find(*made.store, "{}").documents.size(), 1u);
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = 0;
    const auto began = clock::now();
    EXPECT_EQ(find(*made.store, "{}").status, store_status::unavailable);
    EXPECT_LT(clock::now() - began, 3000ms);
    made.store->stop();
}

} // namespace
} // namespace herald
