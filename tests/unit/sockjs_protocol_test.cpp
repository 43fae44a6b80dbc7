#include "protocol/frame_codec.hpp"
#include "protocol/sockjs.hpp"

#include <gtest/gtest.h>

namespace sockjs = herald::sockjs;
using sockjs::decode_status;
using sockjs::route_kind;

namespace {
std::vector<std::string> decoded(std::string_view body,
                                 decode_status expected = decode_status::ok) {
    std::vector<std::string> messages;
    EXPECT_EQ(sockjs::decode_messages(body, messages), expected) << body;
    return messages;
}
} // namespace

TEST(sockjs_frames, an_array_frame_quotes_each_message_as_a_json_string) {
    std::string frame;
    sockjs::append_to_array(frame, "hello");
    sockjs::append_to_array(frame, R"({"a":"b\c"})");
    sockjs::finish_array(frame);
    EXPECT_EQ(frame, R"(a["hello","{\"a\":\"b\\c\"}"])");
}

TEST(sockjs_frames, a_dialect_of_json_values_puts_each_message_in_as_the_value_it_is) {
    std::string frame;
    sockjs::append_to_array(frame, R"({"ev":"established","pl":{}})", true);
    sockjs::append_to_array(frame, R"({"ev":"debug","pl":null})", true);
    sockjs::finish_array(frame);
    EXPECT_EQ(frame, R"(a[{"ev":"established","pl":{}},{"ev":"debug","pl":null}])");
}

TEST(sockjs_frames, a_close_frame_carries_the_code_and_the_quoted_reason) {
    EXPECT_EQ(sockjs::close_frame(2010, "Another connection still open"),
              R"(c[2010,"Another connection still open"])");
    EXPECT_EQ(sockjs::server_close_frame(1000, "", "closed"), R"(c[3000,"Go away!"])");
    EXPECT_EQ(sockjs::server_close_frame(4001, "", "slow_consumer"), R"(c[4001,"slow_consumer"])");
}

TEST(sockjs_frames, the_payload_of_a_server_websocket_frame_is_found_behind_any_header_length) {
    for (std::size_t size : {0u, 5u, 125u, 126u, 65535u, 65536u}) {
        const std::string payload(size, 'x');
        const auto frame = herald::ws::make_frame(herald::ws::opcode::text, payload);
        EXPECT_EQ(sockjs::payload_of_ws_frame(frame), payload) << size;
    }
}

TEST(sockjs_messages, a_json_array_of_strings_gives_each_string_unescaped) {
    EXPECT_EQ(decoded(R"(["a","b\"c","\u00e9"])"),
              (std::vector<std::string>{"a", "b\"c", "\xc3\xa9"}));
    EXPECT_EQ(decoded("[]"), std::vector<std::string>{});
    EXPECT_EQ(decoded(R"("one")"), std::vector<std::string>{"one"});
}

TEST(sockjs_messages, an_empty_body_is_told_apart_from_broken_json) {
    decoded("", decode_status::empty);
    for (auto bad : {"[", "x", "[1]", R"(["a",2])", R"(["a"] x)", R"({"a":"b"})", "null", "[\"a"}) {
        EXPECT_TRUE(decoded(bad, decode_status::broken).empty()) << bad;
    }
}

TEST(sockjs_routes, the_prefix_serves_the_greeting_info_and_raw_websocket) {
    EXPECT_EQ(sockjs::route_of("/__sockjs__", "/__sockjs__")->kind, route_kind::greeting);
    EXPECT_EQ(sockjs::route_of("/__sockjs__", "/__sockjs__/")->kind, route_kind::greeting);
    EXPECT_EQ(sockjs::route_of("/__sockjs__", "/__sockjs__/info")->kind, route_kind::info);
    EXPECT_EQ(sockjs::route_of("/__sockjs__", "/__sockjs__/websocket")->kind,
              route_kind::raw_websocket);
    EXPECT_FALSE(sockjs::route_of("/__sockjs__", "/__sockjs__x"));
    EXPECT_FALSE(sockjs::route_of("/__sockjs__", "/other"));
}

TEST(sockjs_routes, a_session_path_names_its_session_and_transport) {
    const auto r = sockjs::route_of("/s", "/s/000/abc_d-1/xhr_streaming");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->kind, route_kind::xhr_streaming);
    EXPECT_EQ(r->session, "abc_d-1");
    EXPECT_EQ(sockjs::route_of("/s", "/s/0/a/xhr")->kind, route_kind::xhr);
    EXPECT_EQ(sockjs::route_of("/s", "/s/0/a/xhr_send")->kind, route_kind::xhr_send);
    EXPECT_EQ(sockjs::route_of("/s", "/s/0/a/eventsource")->kind, route_kind::eventsource);
    EXPECT_EQ(sockjs::route_of("/s", "/s/0/a/websocket")->kind, route_kind::websocket);
    EXPECT_EQ(sockjs::route_of("/s", "/s/0/a/htmlfile")->kind, route_kind::unknown_session);
}

TEST(sockjs_routes, session_and_server_ids_are_bounded_and_plain) {
    EXPECT_FALSE(sockjs::route_of("/s", "/s/0/a.b/xhr"));
    EXPECT_FALSE(sockjs::route_of("/s", "/s/0//xhr"));
    EXPECT_FALSE(sockjs::route_of("/s", "/s//a/xhr"));
    EXPECT_FALSE(sockjs::route_of("/s", "/s/0/a/xhr/more"));
    EXPECT_FALSE(sockjs::route_of("/s", "/s/0/" + std::string(65, 'a') + "/xhr"));
    EXPECT_TRUE(sockjs::route_of("/s", "/s/0/" + std::string(64, 'a') + "/xhr"));
    EXPECT_FALSE(sockjs::route_of("/s", "/s/0/a%20b/xhr"));
}
