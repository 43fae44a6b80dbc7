#include "dialects/datadealer/datadealer_protocol.hpp"

#include <gtest/gtest.h>

namespace herald::datadealer {
namespace {

TEST(datadealer_protocol, a_client_message_keeps_its_payload_as_sent) {
    const auto m = parse_client_message(R"({"pl": {"token": "abc"}, "ev":"client_connected"})");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->ev, "client_connected");
    EXPECT_EQ(m->pl, R"({"token": "abc"})");
    EXPECT_EQ(token_of(m->pl), "abc");
}

TEST(datadealer_protocol, a_message_without_pl_has_an_empty_object_and_one_without_ev_is_refused) {
    EXPECT_EQ(parse_client_message(R"({"ev":"x"})")->pl, "{}");
    EXPECT_FALSE(parse_client_message(R"({"pl":{}})"));
    EXPECT_FALSE(parse_client_message(R"({"ev":7})"));
    EXPECT_FALSE(parse_client_message(R"({"ev":""})"));
    EXPECT_FALSE(parse_client_message(R"([1])"));
    EXPECT_FALSE(parse_client_message(R"({"ev":"x",)"));
    EXPECT_EQ(token_of(R"({"token":7})"), std::nullopt);
    EXPECT_EQ(token_of("{}"), std::nullopt);
}

TEST(datadealer_protocol, a_back_ends_message_becomes_ev_and_pl_with_its_data_untouched) {
    EXPECT_EQ(from_broker(
                  R"({"token":"t","data":{"id":{"$oid":"5f1d"}, "n" : 1},"action":"node_ready"})"),
              R"({"ev":"node_ready","pl":{"id":{"$oid":"5f1d"}, "n" : 1}})");
    EXPECT_EQ(from_broker(R"({"action":"debug"})"), R"({"ev":"debug","pl":null})");
    EXPECT_EQ(from_broker(R"({"event":"x","payload":{}})"), std::nullopt);
    EXPECT_EQ(from_broker("not json"), std::nullopt);
}

TEST(datadealer_protocol, a_kick_names_its_sender_and_only_a_kick_is_one) {
    const auto published = from_broker(kick_message("00010000000000ab"));
    ASSERT_TRUE(published);
    EXPECT_EQ(*published, R"({"ev":"kick","pl":{"sender":"00010000000000ab"}})");
    EXPECT_EQ(kick_sender(*published), "00010000000000ab");
    EXPECT_EQ(kick_sender(R"({"ev":"kick","pl":null})"), "");
    EXPECT_EQ(kick_sender(R"({"ev":"debug","pl":{"sender":"x"}})"), std::nullopt);
}

TEST(datadealer_protocol, kept_mail_has_its_id_beside_ev_and_pl_and_the_answer_splits_the_ids) {
    EXPECT_EQ(event("Invoice", R"({"id":7})", "17"),
              R"({"ev":"Invoice","pl":{"id":7},"mail":"17"})");
    EXPECT_EQ(event("Invoice", "{}"), R"({"ev":"Invoice","pl":{}})");
    EXPECT_EQ(acknowledged({"1", "2"}, {"1"}),
              R"({"ev":"herald:acknowledged","pl":{"mail":["1"],"unknown":["2"]}})");
}

TEST(datadealer_protocol, errors_are_events_named_error) {
    EXPECT_EQ(error("no_identity", "who \"are\" you"),
              R"({"ev":"error","pl":{"error":"no_identity","detail":"who \"are\" you"}})");
}

} // namespace
} // namespace herald::datadealer
