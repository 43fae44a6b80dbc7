#include "protocol/publish_request.hpp"

#include <gtest/gtest.h>

namespace herald {
namespace {

// Every exchange is declared, except "undeclared".
auto parse(std::string_view body) {
    return parse_publish_request(
        body, [](std::string_view exchange) { return exchange != "undeclared"; });
}

TEST(publish_request, payload_bytes_pass_through_unchanged) {
    auto r = parse(
        R"({"exchange":"w","routing_key":12,"event":"E","payload":{ "b" : 1.50,  "a":[ ] }})");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->size(), 1u);
    EXPECT_EQ((*r)[0].routing_key, "12");
    EXPECT_EQ((*r)[0].event, "E");
    EXPECT_EQ((*r)[0].payload, R"({ "b" : 1.50,  "a":[ ] })");
}

TEST(publish_request, an_array_publishes_each_event) {
    auto r = parse(
        R"([{"exchange":"a","routing_key":"1","event":"E","payload":"s"},
            {"exchange":"b","routing_key":"2","event":"F","payload":3 }])");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->size(), 2u);
    EXPECT_EQ((*r)[0].event, "E");
    EXPECT_EQ((*r)[0].payload, R"("s")");
    EXPECT_EQ((*r)[1].event, "F");
    EXPECT_EQ((*r)[1].payload, "3");
}

TEST(publish_request, a_missing_payload_is_an_empty_object) {
    auto r = parse(R"({"exchange":"a","routing_key":"1","event":"E"})");
    ASSERT_TRUE(r);
    EXPECT_EQ((*r)[0].payload, "{}");
}

TEST(publish_request, errors_name_the_field) {
    auto r = parse(R"([{"exchange":"a","routing_key":"1","event":"E"},
                                       {"exchange":"a","routing_key":true,"event":"E"}])");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().error, "invalid_field");
    EXPECT_EQ(r.error().detail, "[1].routing_key must be a string or a number");

    auto bad_json = parse(R"({"exchange":"a",)");
    ASSERT_FALSE(bad_json);
    EXPECT_EQ(bad_json.error().error, "invalid_json");

    auto no_event = parse(R"({"exchange":"a","routing_key":"k"})");
    ASSERT_FALSE(no_event);
    EXPECT_EQ(no_event.error().detail, ".event must be a non-empty string");
}

TEST(publish_request, an_undeclared_exchange_refuses_the_whole_batch_and_names_the_event) {
    auto single = parse(R"({"exchange":"undeclared","routing_key":"k","event":"E"})");
    ASSERT_FALSE(single);
    EXPECT_EQ(single.error().error, "unknown_exchange");
    EXPECT_EQ(single.error().detail, R"(.exchange "undeclared" is not declared)");

    auto batch = parse(R"([{"exchange":"a","routing_key":"1","event":"E"},
                           {"exchange":"undeclared","routing_key":"1","event":"E"}])");
    ASSERT_FALSE(batch);
    EXPECT_EQ(batch.error().error, "unknown_exchange");
    EXPECT_EQ(batch.error().detail, R"([1].exchange "undeclared" is not declared)");
}

} // namespace
} // namespace herald
