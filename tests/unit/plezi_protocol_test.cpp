#include "dialects/plezi/plezi_options.hpp"
#include "dialects/plezi/plezi_protocol.hpp"

#include <gtest/gtest.h>

namespace herald::plezi {
namespace {

TEST(plezi_protocol, an_event_keeps_its_name_its_eid_as_sent_and_the_whole_message) {
    const auto e = parse_event(R"({"event":"chat", "data":"hi", "_EID_": 17})");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->name, "chat");
    EXPECT_EQ(e->eid, "17");
    EXPECT_EQ(e->message, R"({"event":"chat","data":"hi","_EID_":17})");
}

TEST(plezi_protocol, the_ack_carries_the_eid_json_encoded_as_plezi_0_14_writes_it) {
    const auto e = parse_event(R"({"event":"x","_EID_":"a\"b"})");
    ASSERT_TRUE(e);
    EXPECT_EQ(ack(*e->eid), R"({"event":"_ack_","_EID_":"a\"b"})");
}

TEST(plezi_protocol, bad_json_a_non_object_deep_nesting_and_a_long_eid_are_refused) {
    EXPECT_EQ(parse_event("{\"event\":").error(), refusal::invalid_json);
    EXPECT_EQ(parse_event("\xff").error(), refusal::invalid_json);
    EXPECT_EQ(parse_event("[1]").error(), refusal::not_object);
    EXPECT_EQ(parse_event("\"chat\"").error(), refusal::not_object);
    EXPECT_EQ(parse_event(std::string(65, '[') + std::string(65, ']')).error(), refusal::too_deep);
    EXPECT_TRUE(parse_event("{\"a\":" + std::string(62, '[') + std::string(62, ']') + "}"));
    const std::string long_eid = "\"" + std::string(127, 'x') + "\"";
    EXPECT_EQ(parse_event(R"({"event":"x","_EID_":)" + long_eid + "}").error(),
              refusal::eid_too_long);
    EXPECT_TRUE(parse_event(R"({"event":"x","_EID_":")" + std::string(126, 'x') + "\"}"));
}

TEST(plezi_protocol, an_event_without_a_string_name_has_an_empty_one) {
    EXPECT_EQ(parse_event(R"({"event":5})")->name, "");
    EXPECT_EQ(parse_event(R"({})")->name, "");
}

TEST(plezi_protocol, reserved_and_underscored_names_are_not_dispatched) {
    EXPECT_TRUE(dispatchable("chat"));
    EXPECT_FALSE(dispatchable(""));
    EXPECT_FALSE(dispatchable("_ack_"));
    EXPECT_FALSE(dispatchable("on_open"));
    EXPECT_FALSE(dispatchable("write"));
}

TEST(plezi_protocol, an_error_has_plezi_0_12s_members) {
    EXPECT_EQ(error(404, "not found", R"({"event":"nope"})"),
              R"({"event":"err","status":404,"result":"not found","request":{"event":"nope"}})");
    EXPECT_EQ(error(400, "bad"), R"({"event":"err","status":400,"result":"bad"})");
}

TEST(plezi_protocol, a_string_is_written_as_it_is_an_object_as_json_and_nothing_else) {
    EXPECT_EQ(written(R"("hello \"you\"")"), R"(hello "you")");
    EXPECT_EQ(written(R"({"event":"chat","n":1})"), R"({"event":"chat","n":1})");
    EXPECT_EQ(written("[1]"), std::nullopt);
    EXPECT_EQ(written("null"), std::nullopt);
}

TEST(plezi_protocol, an_application_event_puts_its_name_first_or_wraps_its_data) {
    EXPECT_EQ(application_event("chat", R"({"message":"hi","event":"ignored"})"),
              R"({"event":"chat","message":"hi"})");
    EXPECT_EQ(application_event("chat", R"(["hi", 2])"), R"({"event":"chat","data":["hi",2]})");
    EXPECT_EQ(application_event("chat", R"("raw text")"), "raw text");
}

TEST(plezi_protocol, kept_mail_gets_its_id_last_and_a_string_payload_is_then_wrapped) {
    EXPECT_EQ(application_event("chat", R"({"message":"hi","_mail_":"forged"})", "17"),
              R"({"event":"chat","message":"hi","_mail_":"17"})");
    EXPECT_EQ(application_event("chat", R"("raw text")", "17"),
              R"({"event":"chat","data":"raw text","_mail_":"17"})");
    EXPECT_EQ(application_event("chat", "[1]", "17"),
              R"({"event":"chat","data":[1],"_mail_":"17"})");
    EXPECT_EQ(application_event("chat", R"({"_mail_":"forged","a":1})"),
              R"({"event":"chat","a":1})");
}

TEST(plezi_protocol, an_ack_mail_event_carries_its_ids_and_unusable_ones_are_none) {
    EXPECT_EQ(parse_event(R"({"event":"_ack_mail_","mail":["1","2"]})")->mail,
              (std::vector<std::string>{"1", "2"}));
    EXPECT_TRUE(parse_event(R"({"event":"_ack_mail_","mail":["1",2]})")->mail.empty());
    EXPECT_TRUE(parse_event(R"({"event":"_ack_mail_"})")->mail.empty());
    EXPECT_TRUE(parse_event(R"({"event":"chat","mail":["1"]})")->mail.empty());
    EXPECT_EQ(acknowledged({"1", "2"}, {"2"}),
              R"({"event":"_acked_mail_","mail":["2"],"unknown":["1"]})");
}

TEST(plezi_options, known_keys_with_the_right_types_are_taken_and_others_refused) {
    EXPECT_EQ(option_problem({"auto_dispatch", true}), std::nullopt);
    EXPECT_EQ(option_problem({"unknown_event", std::string("close")}), std::nullopt);
    EXPECT_TRUE(option_problem({"auto_dispatch", std::string("yes")}));
    EXPECT_TRUE(option_problem({"unknown_event", std::string("ignore")}));
    EXPECT_TRUE(option_problem({"autodispatch", true}));
    const auto o = read_options({{"auto_dispatch", true}, {"unknown_event", std::string("close")}});
    EXPECT_TRUE(o.auto_dispatch);
    EXPECT_EQ(o.unknown_event, options::unknown::close);
    EXPECT_FALSE(o.echo);
}

} // namespace
} // namespace herald::plezi
