#include "dialects/myxi/myxi_protocol.hpp"
#include "protocol/json_text.hpp"

#include <gtest/gtest.h>

namespace herald {
namespace {

TEST(myxi_parse, subscribe_with_a_numeric_routing_key_keeps_text_and_json) {
    auto a = myxi::parse_action(
        R"({"action":"Subscribe","tag":"abc123","payload":{"exchange":"widgets","routing_key":1234}})");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->kind, myxi::action_kind::subscribe);
    EXPECT_EQ(a->tag, R"("abc123")");
    EXPECT_EQ(*a->exchange, "widgets");
    ASSERT_EQ(a->routing_keys.size(), 1u);
    EXPECT_EQ(a->routing_keys[0].text, "1234");
    EXPECT_EQ(a->routing_keys[0].json, "1234");
}

TEST(myxi_parse, acknowledge_takes_1_to_100_ids_of_1_to_64_bytes) {
    auto a =
        myxi::parse_action(R"({"action":"Acknowledge","tag":1,"payload":{"mail":["17","x"]}})");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->kind, myxi::action_kind::acknowledge);
    EXPECT_EQ(a->mail, (std::vector<std::string>{"17", "x"}));
    std::string too_many = R"({"mail":["1")";
    for (int i = 0; i < 100; ++i) {
        too_many += R"(,"1")";
    }
    too_many += "]}";
    for (const std::string& payload :
         {std::string(R"({"mail":[]})"), std::string(R"({"mail":"17"})"),
          std::string(R"({"mail":[17]})"), std::string(R"({"mail":[""]})"),
          R"({"mail":[")" + std::string(65, 'x') + R"("]})", too_many}) {
        auto bad =
            myxi::parse_action(R"({"action":"Acknowledge","tag":1,"payload":)" + payload + "}");
        ASSERT_FALSE(bad) << payload;
        EXPECT_EQ(bad.error().detail, myxi::acknowledge_needs) << payload;
    }
    // Without payload.mail it parses; the session answers InvalidPayload for no ids.
    auto none = myxi::parse_action(R"({"action":"Acknowledge"})");
    ASSERT_TRUE(none);
    EXPECT_TRUE(none->mail.empty());
}

TEST(myxi_render, acknowledged_splits_the_ids_asked_by_whether_they_were_removed) {
    EXPECT_EQ(myxi::acknowledged(R"("k")", {"1", "2", "3"}, {"3", "1"}),
              R"({"event":"Acknowledged","tag":"k","payload":{"mail":["1","3"],"unknown":["2"]}})");
}

TEST(myxi_parse, routing_keys_array_gives_one_key_each) {
    auto a = myxi::parse_action(
        R"({"action":"Subscribe","payload":{"exchange":"w","routing_keys":["a",2]}})");
    ASSERT_TRUE(a);
    ASSERT_EQ(a->routing_keys.size(), 2u);
    EXPECT_EQ(a->routing_keys[0].json, R"("a")");
    EXPECT_EQ(a->routing_keys[1].text, "2");
    EXPECT_EQ(a->tag, "null");
}

TEST(myxi_parse, any_json_value_is_a_tag) {
    auto a = myxi::parse_action(R"({"action":"Ping","tag":{"n":[1, 2]}})");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->tag, R"({"n":[1,2]})");
}

TEST(myxi_parse, text_that_is_not_a_json_object_is_invalid_json) {
    for (const char* text : {"", "nope", "[1,2]", "\"s\"", "{\"action\":", "{\"a\":tru}"}) {
        auto a = myxi::parse_action(text);
        ASSERT_FALSE(a) << text;
        EXPECT_EQ(a.error().error, "InvalidJSON") << text;
        EXPECT_TRUE(a.error().tag.empty());
    }
}

TEST(myxi_parse, wrongly_typed_fields_are_invalid_payload_with_the_tag) {
    auto a = myxi::parse_action(
        R"({"action":"Subscribe","tag":7,"payload":{"exchange":5,"routing_key":"x"}})");
    ASSERT_FALSE(a);
    EXPECT_EQ(a.error().error, "InvalidPayload");
    EXPECT_EQ(a.error().tag, "7");
    EXPECT_NE(a.error().detail.find("exchange"), std::string::npos);

    auto b = myxi::parse_action(
        R"({"action":"Subscribe","payload":{"exchange":"w","routing_key":[1]}})");
    ASSERT_FALSE(b);
    EXPECT_NE(b.error().detail.find("routing_key"), std::string::npos);
}

TEST(myxi_parse, unknown_action_names_parse_as_other) {
    auto a = myxi::parse_action(R"({"action":"SayHello","tag":1})");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->kind, myxi::action_kind::other);
    EXPECT_EQ(a->name, "SayHello");
}

TEST(myxi_parse, an_unknown_action_is_other_whatever_its_payload) {
    auto a = myxi::parse_action(R"({"action":"SayHello","tag":1,"payload":{"exchange":5}})");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->kind, myxi::action_kind::other);
    auto b = myxi::parse_action(R"({"action":"SayHello","payload":"not an object"})");
    ASSERT_TRUE(b);
    EXPECT_EQ(b->kind, myxi::action_kind::other);
}

TEST(myxi_parse, an_empty_routing_keys_list_is_invalid_payload) {
    auto a = myxi::parse_action(
        R"({"action":"Unsubscribe","tag":2,"payload":{"exchange":"w","routing_keys":[]}})");
    ASSERT_FALSE(a);
    EXPECT_EQ(a.error().error, "InvalidPayload");
    EXPECT_EQ(a.error().tag, "2");
    EXPECT_NE(a.error().detail.find("routing_keys"), std::string::npos);
}

TEST(myxi_parse, authenticate_reads_token_or_session_token) {
    auto a = myxi::parse_action(R"({"action":"Authenticate","payload":{"session_token":"t"}})");
    ASSERT_TRUE(a);
    EXPECT_EQ(*a->token, "t");
}

TEST(myxi_render, welcome_has_the_session_id_and_no_tag) {
    EXPECT_EQ(myxi::welcome("186283241d812c21"),
              R"({"event":"Welcome","payload":{"id":"186283241d812c21"}})");
}

TEST(myxi_render, error_carries_tag_and_extra_fields) {
    EXPECT_EQ(
        myxi::error(R"("t")", "AlreadySubscribed", R"(,"exchange":"w")"),
        R"({"event":"Error","tag":"t","payload":{"error":"AlreadySubscribed","exchange":"w"}})");
}

TEST(myxi_render, application_event_keeps_the_payload_bytes_and_extra_members_and_adds_mq) {
    EXPECT_EQ(myxi::application_event("E", R"({ "q" : 5 })", R"("x":1)", "widgets", "12"),
              R"({"event":"E","payload":{ "q" : 5 },"x":1,"mq":{"e":"widgets","rk":"12"}})");
    EXPECT_EQ(myxi::application_event("E", "{}", "", "w", "k"),
              R"({"event":"E","payload":{},"mq":{"e":"w","rk":"k"}})");
}

TEST(json_text, control_characters_quotes_and_backslashes_are_escaped) {
    EXPECT_EQ(json_text::quote("a\"b\\c\n\x01"), R"("a\"b\\c\n\u0001")");
    EXPECT_EQ(json_text::quote("héllo"), "\"héllo\"");
}

} // namespace
} // namespace herald
