#include "protocol/backend_message.hpp"

#include <gtest/gtest.h>

namespace herald {
namespace {

TEST(backend_message, a_request_carries_the_envelope_then_its_own_members) {
    const std::string identity = render_identity("user-1", {"orders:*"});
    const auto text =
        render_backend_request({"subscribe", 7, 0x00ab, "/pushwss", "myxi", "10.0.0.1", identity},
                               R"(,"exchange":"orders","routing_key":"1")");
    EXPECT_EQ(text,
              R"({"kind":"subscribe","node":7,"session":"00000000000000ab","endpoint":"/pushwss",)"
              R"("dialect":"myxi","remote_address":"10.0.0.1",)"
              R"("identity":{"subject":"user-1","grants":["orders:*"]},)"
              R"("exchange":"orders","routing_key":"1"})");
}

TEST(backend_message, a_request_before_any_session_has_no_session_member) {
    const auto text = render_backend_request({"connect", 1, 0, "/api/{token}", "piped", "::1"}, "");
    EXPECT_EQ(text.find("session"), std::string::npos);
    EXPECT_NE(text.find(R"("identity":null)"), std::string::npos);
}

TEST(backend_message, an_answer_gives_each_kind_its_members) {
    const auto a = parse_backend_answer(
        R"({"allow":true,"identity":"u","grants":["a:b"],"reason":"r","event":"E",)"
        R"("payload":{"x": [1, 2]}})");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->allow, true);
    EXPECT_EQ(a->identity, "u");
    EXPECT_EQ(a->grants, std::vector<std::string>{"a:b"});
    EXPECT_EQ(a->reason, "r");
    EXPECT_EQ(a->event, "E");
    EXPECT_EQ(a->payload, R"({"x":[1,2]})");
    EXPECT_FALSE(a->error);
}

TEST(backend_message, an_empty_object_is_an_answer_without_members) {
    const auto a = parse_backend_answer("{}");
    ASSERT_TRUE(a);
    EXPECT_FALSE(a->allow);
    EXPECT_FALSE(a->payload);
    EXPECT_TRUE(a->commands.empty());
}

TEST(backend_message, commands_are_read_in_order_with_their_fields) {
    const auto a = parse_backend_answer(
        R"({"commands":[{"command":"subscribe","exchange":"e","routing_key":12},)"
        R"({"command":"unsubscribe","exchange":"e"},)"
        R"({"command":"set_identity","identity":"u2","grants":["x:y"]},)"
        R"({"command":"send","event":"N","payload":"hi"},)"
        R"({"command":"disconnect","code":4403,"reason":"bye"}]})");
    ASSERT_TRUE(a) << a.error();
    ASSERT_EQ(a->commands.size(), 5u);
    using kind = backend_command::kind;
    EXPECT_EQ(a->commands[0].what, kind::subscribe);
    EXPECT_EQ(a->commands[0].routing_key, "12");
    EXPECT_EQ(a->commands[1].what, kind::unsubscribe);
    EXPECT_FALSE(a->commands[1].routing_key);
    EXPECT_EQ(a->commands[2].subject, "u2");
    EXPECT_EQ(a->commands[3].payload, R"("hi")");
    EXPECT_EQ(a->commands[4].code, 4403);
    EXPECT_EQ(a->commands[4].reason, "bye");
}

TEST(backend_message, register_as_names_an_identity_with_an_optional_lifetime_and_connections) {
    const auto a = parse_backend_answer(
        R"({"commands":[{"command":"register_as","identity":"ann","lifetime":3600,)"
        R"("max_connections":5},{"command":"register_as","identity":"bob"}]})");
    ASSERT_TRUE(a) << a.error();
    using kind = backend_command::kind;
    EXPECT_EQ(a->commands[0].what, kind::register_as);
    EXPECT_EQ(a->commands[0].subject, "ann");
    EXPECT_EQ(a->commands[0].lifetime, 3600u);
    EXPECT_EQ(a->commands[0].max_connections, 5u);
    EXPECT_EQ(a->commands[1].lifetime, 0u); // the default, chosen by the session
    EXPECT_EQ(a->commands[1].max_connections, 0u);
    for (const char* bad :
         {R"({"commands":[{"command":"register_as"}]})",
          R"({"commands":[{"command":"register_as","identity":""}]})",
          R"({"commands":[{"command":"register_as","identity":"a","lifetime":-1}]})",
          R"({"commands":[{"command":"register_as","identity":"a","max_connections":"2"}]})",
          R"({"commands":[{"command":"register_as","identity":"a","acknowledge":1}]})"}) {
        EXPECT_FALSE(parse_backend_answer(bad)) << bad;
    }
}

TEST(backend_message, register_as_may_ask_for_mail_kept_until_acknowledged) {
    const auto a = parse_backend_answer(
        R"({"commands":[{"command":"register_as","identity":"ann","acknowledge":true},)"
        R"({"command":"register_as","identity":"bob"}]})");
    ASSERT_TRUE(a) << a.error();
    EXPECT_TRUE(a->commands[0].acknowledge);
    EXPECT_FALSE(a->commands[1].acknowledge);
}

TEST(backend_message, a_disconnect_reason_is_cut_to_fit_a_close_frame_at_a_character_boundary) {
    std::string reason(121, 'a');
    reason += "\xC3\xA9\xC3\xA9"; // é é: the cut at 123 falls inside the second one
    const auto a = parse_backend_answer(R"({"commands":[{"command":"disconnect","reason":")" +
                                        reason + R"("}]})");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->commands[0].reason, reason.substr(0, 123));
    EXPECT_EQ(a->commands[0].code, 4000);
}

TEST(backend_message, answers_that_break_the_contract_say_why) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"not json", "not JSON"},
        {"[1]", "not a JSON object"},
        {R"({"allow":"yes"})", "\"allow\" must be true or false"},
        {R"({"identity":5})", "\"identity\" must be a string"},
        {R"({"identity":""})", "\"identity\" must not be empty"},
        {R"({"grants":"a:b"})", "\"grants\" must be an array of strings"},
        {R"({"commands":[{"command":"explode"}]})", "unknown command \"explode\""},
        {R"({"commands":[{"command":"subscribe","exchange":"e"}]})", "needs \"exchange\""},
        {R"({"commands":[{"command":"disconnect","code":1000}]})", "from 4000 to 4999"},
        {R"({"revoke":[{"session":"xyz"}]})", "16 hex digits"},
    };
    for (const auto& [text, why] : cases) {
        const auto a = parse_backend_answer(text);
        ASSERT_FALSE(a) << text;
        EXPECT_NE(a.error().find(why), std::string::npos) << text << ": " << a.error();
    }
}

TEST(backend_message, an_answer_with_too_many_commands_is_refused_whole) {
    std::string text = R"({"commands":[)";
    for (std::size_t i = 0; i <= max_backend_commands; ++i) {
        text += std::string(i ? "," : "") + R"({"command":"send","event":"E"})";
    }
    text += "]}";
    const auto a = parse_backend_answer(text);
    ASSERT_FALSE(a);
    EXPECT_NE(a.error().find("holds more than 64"), std::string::npos);
}

TEST(backend_message, revocations_name_a_session_and_a_subscription) {
    const auto a = parse_backend_answer(
        R"({"revoke":[{"session":"00000000000000ff","exchange":"e","routing_key":"k"}]})");
    ASSERT_TRUE(a);
    ASSERT_EQ(a->revoke.size(), 1u);
    EXPECT_EQ(a->revoke[0].session, 0xffu);
    EXPECT_EQ(a->revoke[0].exchange, "e");
    EXPECT_EQ(a->revoke[0].routing_key, "k");
}

} // namespace
} // namespace herald
