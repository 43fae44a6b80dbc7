#include "protocol/broker_message.hpp"

#include <gtest/gtest.h>

namespace herald {
namespace {

TEST(broker_message, myxi_push_event_bodies_keep_their_payload_bytes) {
    const auto m = parse_broker_message(R"({"event":"E","payload":{ "q" : 1.50 }})");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->event, "E");
    EXPECT_EQ(m->payload, R"({ "q" : 1.50 })");
    EXPECT_EQ(m->extra, "");
}

TEST(broker_message, other_members_are_kept_in_their_order) {
    const auto m = parse_broker_message(R"({"id":7,"event":"E","payload":[1],"at":"x"})");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->extra, R"("id":7,"at":"x")");
}

TEST(broker_message, a_missing_payload_is_an_empty_object) {
    const auto m = parse_broker_message(R"({"event":"E"})");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->payload, "{}");
}

TEST(broker_message, what_is_not_an_object_with_a_string_event_is_refused_with_a_reason) {
    EXPECT_EQ(parse_broker_message("[1]").error(), "not a JSON object");
    EXPECT_EQ(parse_broker_message("{\"event\":").error(), "not JSON");
    EXPECT_EQ(parse_broker_message("hello").error(), "not JSON");
    EXPECT_EQ(parse_broker_message(R"({"payload":1})").error(), "no \"event\"");
    EXPECT_EQ(parse_broker_message(R"({"event":1})").error(), "\"event\" is not a string");
}

TEST(broker_message, escaped_keys_are_written_back_escaped) {
    const auto m = parse_broker_message(R"({"event":"E","a\"b":1})");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->extra, R"("a\"b":1)");
}

} // namespace
} // namespace herald
