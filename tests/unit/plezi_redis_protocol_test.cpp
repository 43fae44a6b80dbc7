#include "dialects/plezi/plezi_redis_protocol.hpp"

#include <gtest/gtest.h>

namespace herald::plezi {
namespace {

// "c: &c [*b, *b, …]": each level ten times the one before.
std::string fmt_alias(char name, char before) {
    std::string line = std::string(1, name) + ": &" + name + " [";
    for (int i = 0; i < 10; ++i) {
        line += (i ? ", *" : "*") + std::string(1, before);
    }
    return line + "]\n";
}

// Exactly what Ruby 3's Psych writes for Plezi 0.12's broadcast from ChatController:
// {method: :chat, data: ["hello", 2], type: "ChatController", server: "1b4e…"}.to_yaml
constexpr std::string_view broadcast_yaml = "---\n"
                                            ":method: :chat\n"
                                            ":data:\n"
                                            "- hello\n"
                                            "- 2\n"
                                            ":type: ChatController\n"
                                            ":server: 1b4e28ba-2fa1-11d2-883f-0016d3cca427\n";

// A unicast, {method: :notice, data: [{message: "hi"}], target: "0001000000000012",
// to_server: "herald-0001", type: :all, server: "…"}.to_yaml: Psych quotes a string that
// would read as a number (octal here).
constexpr std::string_view unicast_yaml = "---\n"
                                          ":method: :notice\n"
                                          ":data:\n"
                                          "- :message: hi\n"
                                          "  :urgent: true\n"
                                          ":target: '0001000000000012'\n"
                                          ":to_server: herald-0001\n"
                                          ":type: :all\n"
                                          ":server: 1b4e28ba-2fa1-11d2-883f-0016d3cca427\n";

TEST(plezi_redis_protocol, a_ruby_yaml_broadcast_reads_with_symbols_as_names) {
    const auto m = parse_redis_message(broadcast_yaml);
    ASSERT_TRUE(m) << m.error();
    EXPECT_EQ(m->method, "chat");
    EXPECT_EQ(m->data, R"(["hello",2])");
    EXPECT_EQ(m->type, "ChatController");
    EXPECT_EQ(m->server, "1b4e28ba-2fa1-11d2-883f-0016d3cca427");
    EXPECT_EQ(m->target, std::nullopt);
}

TEST(plezi_redis_protocol, a_ruby_yaml_unicast_keeps_a_quoted_id_a_string) {
    const auto m = parse_redis_message(unicast_yaml);
    ASSERT_TRUE(m) << m.error();
    EXPECT_EQ(m->data, R"([{"message":"hi","urgent":true}])");
    EXPECT_EQ(m->target, "0001000000000012");
    EXPECT_EQ(m->to_server, "herald-0001");
    EXPECT_EQ(m->type, "all");
}

TEST(plezi_redis_protocol, json_with_the_same_keys_is_read_too) {
    const auto m = parse_redis_message(R"({"method":"chat","data":[1],"type":"all"})");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->method, "chat");
    EXPECT_EQ(m->type, "all");
}

TEST(plezi_redis_protocol, messages_that_do_not_say_enough_are_refused) {
    EXPECT_FALSE(parse_redis_message("---\n:data: []\n:type: :all\n"));             // no method
    EXPECT_FALSE(parse_redis_message("---\n:method: :m\n:data: x\n:type: :all\n")); // data
    EXPECT_FALSE(parse_redis_message("---\n:method: :m\n:data: []\n"));             // no address
    EXPECT_FALSE(parse_redis_message("--- [1, 2]\n"));
    EXPECT_FALSE(parse_redis_message("{not json"));
    EXPECT_FALSE(parse_redis_message(":a: [\n"));
}

TEST(plezi_redis_protocol, ruby_objects_deep_nesting_and_alias_bombs_are_refused) {
    EXPECT_EQ(ruby_yaml_to_json("--- !ruby/object:Foo\na: 1\n"), std::nullopt);
    EXPECT_EQ(ruby_yaml_to_json(std::string(100, '[') + std::string(100, ']')), std::nullopt);
    std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
    for (char c = 'b'; c <= 'k'; ++c) {
        const char before = static_cast<char>(c - 1);
        bomb += fmt_alias(c, before);
    }
    EXPECT_EQ(ruby_yaml_to_json(bomb), std::nullopt);
}

TEST(plezi_redis_protocol, yaml_that_is_not_utf_8_is_refused) {
    EXPECT_EQ(ruby_yaml_to_json("---\n:type: Chat\xd6"
                                "Controller\n"),
              std::nullopt);
    // NUL bytes would make yaml-cpp read UTF-32.
    EXPECT_EQ(ruby_yaml_to_json(std::string("\x1e\0\0\0--- x", 9)), std::nullopt);
}

TEST(plezi_redis_protocol, plain_scalars_become_json_types_as_psych_reads_them) {
    EXPECT_EQ(ruby_yaml_to_json("[1, -2.5, true, no, ~, '7', 007, :sym, text]"),
              R"([1,-2.5,true,false,null,"7","007","sym","text"])");
    // Numbers JSON readers cannot hold stay strings.
    EXPECT_EQ(ruby_yaml_to_json("[32E327, 1234567890123456789012]"),
              R"(["32E327","1234567890123456789012"])");
}

TEST(plezi_redis_protocol, work_on_the_bus_thread_is_bounded) {
    // YAML over 64 KiB, a collection as a key, JSON nested past 64: each refused.
    std::string big = "[";
    while (big.size() < max_redis_yaml_bytes) {
        big += "1,";
    }
    big += "1]";
    EXPECT_EQ(ruby_yaml_to_json(big), std::nullopt);
    EXPECT_EQ(ruby_yaml_to_json("? [1, 2]\n: x\n"), std::nullopt);
    EXPECT_EQ(ruby_yaml_to_json("{a: 1}"), R"({"a":1})");
    std::string deep = R"({"method":"m","type":"all","data":[)";
    deep += std::string(70, '[') + std::string(70, ']') + "]}";
    EXPECT_FALSE(parse_redis_message(deep));
    EXPECT_TRUE(parse_redis_message(R"({"method":"m","type":"all","data":[[[1]]]})"));
}

} // namespace
} // namespace herald::plezi
