#include "protocol/addressing.hpp"

#include <gtest/gtest.h>

namespace herald::addressing {
namespace {

auto parse(std::string_view body) {
    return parse_send_request(body, [](std::string_view path) { return path == "/chat"; });
}

const exchange_names names{"app"};

TEST(addressing, session_ids_are_sixteen_hex_digits_in_either_case) {
    EXPECT_EQ(session_id_text(0x0001a3f09c2d7e11), "0001a3f09c2d7e11");
    EXPECT_EQ(parse_session_id("0001A3F09C2D7E11"), 0x0001a3f09c2d7e11u);
    EXPECT_EQ(parse_session_id("0001a3f09c2d7e1"), std::nullopt);
    EXPECT_EQ(parse_session_id("0001a3f09c2d7e11f"), std::nullopt);
    EXPECT_EQ(parse_session_id("0001a3f09c2d7e1g"), std::nullopt);
    EXPECT_EQ(node_key(1), "0001");
}

TEST(addressing, the_exchanges_are_named_after_the_prefix) {
    EXPECT_EQ(names.multicast, "app.multicast");
    EXPECT_EQ(names.broadcast, "app.broadcast");
    EXPECT_EQ(names.unicast, "app.unicast");
    EXPECT_EQ(names.identity, "app.identity");
}

TEST(addressing, a_send_request_keeps_the_payload_bytes_and_reads_each_address) {
    auto all = parse(R"({"to":"all","event":"E","payload":{ "b" : 1.50 }})");
    ASSERT_TRUE(all);
    EXPECT_EQ(all->to.kind, kind::all);
    EXPECT_EQ(all->event, "E");
    EXPECT_EQ(all->payload, R"({ "b" : 1.50 })");

    auto one = parse(R"({"to":{"session":"0002000000000001"},"event":"E"})");
    ASSERT_TRUE(one);
    EXPECT_EQ(one->to.kind, kind::session);
    EXPECT_EQ(one->to.session, 0x0002000000000001u);
    EXPECT_EQ(one->payload, "{}");

    auto who = parse(R"({"to":{"identity":"user-42"},"event":"E","payload":null})");
    ASSERT_TRUE(who);
    EXPECT_EQ(who->to.kind, kind::identity);
    EXPECT_EQ(who->to.name, "user-42");
    EXPECT_EQ(who->payload, "null");

    auto room = parse(R"({"to":{"endpoint":"/chat","skip":["0002000000000009","0002000000000001",)"
                      R"("0002000000000009"]},"event":"E"})");
    ASSERT_TRUE(room);
    EXPECT_EQ(room->to.kind, kind::endpoint);
    EXPECT_EQ(room->to.name, "/chat");
    EXPECT_EQ(room->to.skip, (std::vector<std::uint64_t>{0x0002000000000001, 0x0002000000000009}));
}

TEST(addressing, a_send_request_with_a_doubtful_address_is_refused_naming_the_field) {
    struct bad {
        std::string_view body;
        std::string_view error;
    };
    for (const auto& [body, error] : {
             bad{R"({"to":"al)", "invalid_json"},
             bad{R"([])", "invalid_field"},
             bad{R"({"event":"E"})", "invalid_field"},
             bad{R"({"to":"everyone","event":"E"})", "invalid_field"},
             bad{R"({"to":{},"event":"E"})", "invalid_field"},
             bad{R"({"to":{"session":7},"event":"E"})", "invalid_field"},
             bad{R"({"to":{"session":"0002000000000001","identity":"a"},"event":"E"})",
                 "invalid_field"},
             bad{R"({"to":{"endpoint":"/chat","extra":1},"event":"E"})", "invalid_field"},
             bad{R"({"to":{"endpoint":"/nowhere"},"event":"E"})", "unknown_endpoint"},
             bad{R"({"to":{"endpoint":"/chat","skip":"0002000000000001"},"event":"E"})",
                 "invalid_field"},
             bad{R"({"to":{"identity":"a\u0000b"},"event":"E"})", "invalid_field"},
             bad{R"({"to":"all","event":""})", "invalid_field"},
             bad{R"({"to":{"identity":"a"},"event":"herald:registered"})", "invalid_field"},
             bad{R"({"to":"all"})", "invalid_field"},
         }) {
        auto r = parse(body);
        ASSERT_FALSE(r) << body;
        EXPECT_EQ(r.error().error, error) << body;
        EXPECT_FALSE(r.error().detail.empty()) << body;
    }
}

TEST(addressing, a_skip_list_longer_than_the_bound_is_refused) {
    std::string body = R"({"to":{"endpoint":"/chat","skip":[)";
    for (std::size_t i = 0; i <= max_skip; ++i) {
        body += (i == 0 ? "" : ",") + std::string(R"("0002000000000001")");
    }
    body += R"(]},"event":"E"})";
    EXPECT_FALSE(parse(body));
}

TEST(addressing, each_address_travels_on_its_exchange_and_comes_back_the_same) {
    const std::vector<address> addresses{
        {kind::all, {}, 0, {}},
        {kind::endpoint, "/chat", 0, {0x0002000000000001, 0x0002000000000009}},
        {kind::endpoint, "/chat", 0, {}},
        {kind::session, {}, 0x00020000000000ff, {}},
        {kind::identity, "user-42", 0, {}},
    };
    for (const auto& to : addresses) {
        const auto route = route_of(to, names);
        auto back = read_received(names, route.exchange, route.routing_key, route.members);
        ASSERT_TRUE(back) << route.exchange;
        ASSERT_TRUE(*back) << route.exchange << ": " << back->error();
        EXPECT_EQ((*back)->to, to) << route.exchange;
        EXPECT_EQ((*back)->extra, "") << route.exchange;
    }
    EXPECT_EQ(route_of(addresses[3], names).routing_key, "0002");
}

TEST(addressing, a_received_event_keeps_its_other_members_bytes_and_drops_the_address) {
    auto r = read_received(names, "app.unicast", "0002",
                           R"("id":7,"session":"0002000000000001","at":{ "x" : 1.50 })");
    ASSERT_TRUE(r && *r);
    EXPECT_EQ((*r)->to.session, 0x0002000000000001u);
    EXPECT_EQ((*r)->extra, R"("id":7,"at":{ "x" : 1.50 })");
}

TEST(addressing, a_topic_event_is_not_addressed_and_a_unicast_must_name_its_session) {
    EXPECT_FALSE(read_received(names, "news", "", ""));
    EXPECT_FALSE(read_received(names, "herald.unicast", "0002", R"("session":"0002000000000001")"));
    auto none = read_received(names, "app.unicast", "0002", "");
    ASSERT_TRUE(none);
    EXPECT_FALSE(*none);
    auto bad = read_received(names, "app.unicast", "0002", R"("session":12)");
    ASSERT_TRUE(bad);
    EXPECT_FALSE(*bad);
    auto skip = read_received(names, "app.broadcast", "/chat", R"("skip":[1])");
    ASSERT_TRUE(skip);
    EXPECT_FALSE(*skip);
}

} // namespace
} // namespace herald::addressing
