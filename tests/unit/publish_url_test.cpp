#include "app/api_commands.hpp"

#include <gtest/gtest.h>

using herald::parse_api_url;
const auto parse_publish_url = [](std::string_view url) {
    return parse_api_url(url);
};

TEST(publish_url, host_and_port_post_to_api_publish) {
    const auto target = parse_publish_url("http://127.0.0.1:5005");
    ASSERT_TRUE(target);
    EXPECT_EQ(target->host, "127.0.0.1");
    EXPECT_EQ(target->port, "5005");
    EXPECT_EQ(target->host_header, "127.0.0.1:5005");
    EXPECT_EQ(target->path, "/api/publish");
}

TEST(publish_url, without_a_port_it_is_80) {
    const auto target = parse_publish_url("http://herald.internal/");
    ASSERT_TRUE(target);
    EXPECT_EQ(target->port, "80");
    EXPECT_EQ(target->host_header, "herald.internal");
    EXPECT_EQ(target->path, "/api/publish");
}

TEST(publish_url, an_ipv6_address_is_written_in_brackets) {
    const auto target = parse_publish_url("http://[::1]:5005");
    ASSERT_TRUE(target);
    EXPECT_EQ(target->host, "::1");
    EXPECT_EQ(target->host_header, "[::1]:5005");
}

TEST(publish_url, a_path_is_the_prefix_herald_is_mounted_under) {
    EXPECT_EQ(parse_publish_url("http://proxy/herald")->path, "/herald/api/publish");
    EXPECT_EQ(parse_publish_url("http://proxy/herald/")->path, "/herald/api/publish");
    EXPECT_EQ(parse_publish_url("http://proxy/herald/api/publish")->path, "/herald/api/publish");
    EXPECT_EQ(parse_publish_url("http://proxy:81/api/publish")->path, "/api/publish");
}

TEST(publish_url, anything_but_an_http_url_with_a_host_is_refused) {
    for (const char* url : {"", "localhost:5005", "https://h:1", "ws://h:1", "http://",
                            "http:///path", "http://h:1/?q=1", "http://h:1/#f", "http://h:port"}) {
        EXPECT_FALSE(parse_publish_url(url)) << url;
    }
}

TEST(api_url, herald_send_posts_to_api_send_under_the_same_prefix) {
    EXPECT_EQ(herald::parse_api_url("http://proxy/herald", "/api/send")->path, "/herald/api/send");
    EXPECT_EQ(herald::parse_api_url("http://proxy:81/api/send", "/api/send")->path, "/api/send");
}
