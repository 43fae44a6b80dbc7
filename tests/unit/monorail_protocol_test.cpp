#include "dialects/monorail/monorail_protocol.hpp"

#include <gtest/gtest.h>

namespace herald {
namespace {

namespace mr = monorail;

TEST(MonorailProtocol, ReadsOnWssFieldsAndTheSpecsType) {
    auto r = mr::read_request(R"({"handler":"query","resource":"nodes","params":{"name":"x"}})");
    ASSERT_TRUE(r.ok);
    EXPECT_EQ(r.ok->kind, mr::handler::query);
    EXPECT_EQ(r.ok->resource, "nodes");
    EXPECT_EQ(r.ok->params, R"({"name":"x"})");
    auto spec = mr::read_request(R"({"handler":"watch","type":"skus"})");
    ASSERT_TRUE(spec.ok);
    EXPECT_EQ(spec.ok->resource, "skus");
    EXPECT_EQ(spec.ok->params, "");
    auto both = mr::read_request(R"({"type":"a","handler":"all","resource":"b"})");
    EXPECT_EQ(both.ok->resource, "b"); // on-wss's field wins
}

TEST(MonorailProtocol, MessengerJsLiteralAndNullsAreRequests) {
    auto r = mr::read_request(R"({"handler": "init"})");
    ASSERT_TRUE(r.ok);
    EXPECT_EQ(r.ok->kind, mr::handler::init);
    auto nulls = mr::read_request(R"({"handler":"all","resource":null,"params":null})");
    ASSERT_TRUE(nulls.ok);
    EXPECT_EQ(nulls.ok->resource, "");
    EXPECT_EQ(nulls.ok->params, "");
}

TEST(MonorailProtocol, RefusesWhatIsNoRequestWithAReason) {
    EXPECT_EQ(mr::read_request("{").why.error, "invalid_json");
    EXPECT_EQ(mr::read_request("[]").why.error, "invalid_message");
    EXPECT_EQ(mr::read_request(R"({"handler":1})").why.error, "invalid_message");
    EXPECT_EQ(mr::read_request(R"({"handler":"all","resource":3})").why.error, "invalid_message");
    auto unknown = mr::read_request(R"({"handler":"fly"})");
    ASSERT_TRUE(unknown.ok);
    EXPECT_EQ(unknown.ok->kind, mr::handler::unknown);
    EXPECT_EQ(unknown.ok->name, "fly");
}

TEST(MonorailProtocol, ThePathsLastSegmentIsTheResource) {
    EXPECT_EQ(mr::resource_of_path("/nodes"), "nodes");
    EXPECT_EQ(mr::resource_of_path("/api/2.0/skus?x=1"), "skus");
    EXPECT_EQ(mr::resource_of_path("/"), "");
}

TEST(MonorailProtocol, RendersRepliesInBothShapes) {
    EXPECT_EQ(mr::session("00010000000000ff"), R"({"handler":"session","id":"00010000000000ff"})");
    EXPECT_EQ(mr::list("nodes", {R"({"id":1})", R"({"id":2})"}, false),
              R"({"handler":"list","resource":"nodes","items":[{"id":1},{"id":2}]})");
    EXPECT_EQ(mr::list("nodes", {}, true),
              R"({"handler":"list","resource":"nodes","items":[],"truncated":true})");
    EXPECT_EQ(mr::item("skus", R"({"id":"s"})"),
              R"({"handler":"item","resource":"skus","id":{"id":"s"},"data":{"id":"s"}})");
    EXPECT_EQ(mr::removed("skus", ""), R"({"handler":"remove","resource":"skus","params":{}})");
    EXPECT_EQ(mr::error("n\"", "e", "m"),
              R"({"handler":"error","resource":"n\"","params":{"error":"e","message":"m"}})");
}

TEST(MonorailProtocol, AWaterlineChangeIsAnItemOrARemove) {
    const auto record = mr::record_of(R"({"event":"created","record":{"id":"n1"}})");
    ASSERT_TRUE(record);
    EXPECT_EQ(mr::change("nodes", "nodes.created.n1", *record),
              R"({"handler":"item","resource":"nodes","id":["created","n1"],"data":{"id":"n1"}})");
    EXPECT_EQ(
        mr::change("nodes", "nodes.destroyed.n1", *record),
        R"({"handler":"remove","resource":"nodes","id":"n1","params":{"id":"n1"},"data":{"id":"n1"}})");
    EXPECT_EQ(mr::change("nodes", "nodes.tag-added.n1", "{}"),
              R"({"handler":"item","resource":"nodes","id":["tag-added","n1"],"data":{}})");
    EXPECT_FALSE(mr::change("nodes", "nodes.n1", "{}"));
    EXPECT_FALSE(mr::change("nodes", "nodes..n1", "{}"));
    EXPECT_FALSE(mr::record_of(R"({"event":"created"})"));
    EXPECT_EQ(mr::identity_of("graphobjects.updated.x"), "graphobjects");
}

TEST(MonorailProtocol, AnMqMessageKeepsItsBodyOrQuotesWhatIsNotJson) {
    EXPECT_EQ(mr::mq_item("graph.started", R"({"a":1})"),
              R"({"handler":"item","resource":"mq","id":"graph.started","data":{"a":1}})");
    EXPECT_EQ(mr::mq_item("log", "plain text"),
              R"({"handler":"item","resource":"mq","id":"log","data":"plain text"})");
}

} // namespace
} // namespace herald
