#include "protocol/mail_ids.hpp"

#include <gtest/gtest.h>

namespace herald::mail_ids {
namespace {

TEST(mail_ids, a_list_of_1_to_100_strings_of_1_to_64_bytes_is_read_in_order) {
    EXPECT_EQ(read_member(R"({"mail":["17","x"]})"), (std::vector<std::string>{"17", "x"}));
    EXPECT_TRUE(read_member(R"({"mail":[")" + std::string(64, '0') + "\"]}"));
    std::string hundred = "[";
    for (int i = 0; i < 100; ++i) {
        hundred += (i == 0 ? "\"" : ",\"") + std::to_string(i) + "\"";
    }
    EXPECT_EQ(read_member(R"({"mail":)" + hundred + "]}")->size(), 100u);
    EXPECT_FALSE(read_member(R"({"mail":)" + hundred + R"(,"100"]})"));
}

TEST(mail_ids, anything_else_is_no_list) {
    for (const char* text :
         {R"({})", R"({"mail":[]})", R"({"mail":"1"})", R"({"mail":[1]})", R"({"mail":[""]})",
          R"({"mail":["1",null]})", R"(["1"])", R"("mail")", "null", "{", ""}) {
        EXPECT_FALSE(read_member(text)) << text;
    }
    EXPECT_FALSE(read_member(R"({"mail":[")" + std::string(65, 'x') + "\"]}"));
}

TEST(mail_ids, the_id_of_kept_mail_is_the_string_member_mail_of_the_extra_members) {
    EXPECT_EQ(of_extra(R"("a":1,"mail":"17")"), "17");
    EXPECT_EQ(of_extra(R"("mail":"a\"b")"), "a\"b");
    EXPECT_FALSE(of_extra(""));
    EXPECT_FALSE(of_extra(R"("a":"mail")"));
    EXPECT_FALSE(of_extra(R"("mail":17)"));
}

TEST(mail_ids, the_answer_splits_the_ids_asked_by_whether_they_were_removed) {
    EXPECT_EQ(acknowledged_members({"1", "2", "3"}, {"3", "1"}),
              R"("mail":["1","3"],"unknown":["2"])");
    EXPECT_EQ(acknowledged_members({"1"}, {}), R"("mail":[],"unknown":["1"])");
}

} // namespace
} // namespace herald::mail_ids
