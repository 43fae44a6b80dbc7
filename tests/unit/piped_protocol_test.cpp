#include "dialects/piped/piped_protocol.hpp"

#include <gtest/gtest.h>

namespace herald::piped {
namespace {

TEST(piped_protocol, a_method_keeps_its_id_and_payload_as_sent) {
    const auto call = parse_method(R"({"id": "a-1", "method":"get-article","payload":{"n": 1}})");
    ASSERT_TRUE(call);
    EXPECT_EQ(call->id, R"("a-1")");
    EXPECT_EQ(call->method, "get-article");
    EXPECT_EQ(call->payload, R"({"n":1})");
}

TEST(piped_protocol, a_result_has_an_id_only_when_the_call_had_one) {
    auto call = *parse_method(R"({"method":"m"})");
    EXPECT_EQ(result(call, R"({"x":1})"), R"({"type":"result","method":"m","payload":{"x":1}})");
    call.id = "7";
    EXPECT_EQ(result(call, std::nullopt), R"({"id":7,"type":"result","method":"m"})");
}

TEST(piped_protocol, the_back_end_gets_pipeds_key_order_with_the_token) {
    const auto call = *parse_method(R"({"payload":{},"method":"m","id":1})");
    EXPECT_EQ(request_members(call, "t-9"), R"(,"id":1,"method":"m","token":"t-9","payload":{})");
}

TEST(piped_protocol, errors_are_readable_and_quote_at_most_a_hundred_bytes) {
    const auto bad = parse_method(std::string(300, 'x'));
    ASSERT_FALSE(bad);
    EXPECT_TRUE(bad.error().starts_with("Can not parse JSON"));
    EXPECT_TRUE(bad.error().ends_with(": " + std::string(100, 'x') + "…")) << bad.error();
    EXPECT_EQ(parse_method(R"({"id":1})").error(),
              R"(Method is not specified: the message needs a string "method")");
    EXPECT_EQ(parse_method("\xff\xfe").error().find("\xff"), std::string::npos);
}

TEST(piped_protocol, an_application_event_drops_token_and_type_and_keeps_other_members) {
    EXPECT_EQ(application_event("e", R"({"a":1})", R"("token":"t","type":"x","at":5)"),
              R"({"type":"event","event":"e","payload":{"a":1},"at":5})");
}

} // namespace
} // namespace herald::piped
