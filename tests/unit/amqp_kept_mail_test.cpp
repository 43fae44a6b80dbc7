// The RabbitMQ bus's bookkeeping of mail held in acknowledge mode (kept_mail) and the words
// nodes send each other about it (mail_control): no broker needed.

#include "bus/amqp/kept_mail.hpp"
#include "bus/amqp/mail_control.hpp"

#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace herald {
namespace {

TEST(amqp_kept_mail, held_mail_comes_again_in_the_order_delivered_with_its_ids) {
    kept_mail kept;
    kept.add("ann", {"a-1", 1, 7, "one"});
    kept.add("bob", {"a-2", 2, 7, "two"});
    kept.add("ann", {"a-3", 3, 7, "three"});
    EXPECT_EQ(kept.of("ann"), (std::vector<mail>{{"a-1", "one"}, {"a-3", "three"}}));
    EXPECT_TRUE(kept.of("carl").empty());
}

TEST(amqp_kept_mail, taking_removes_only_ids_of_the_given_identities_and_leaves_the_rest) {
    kept_mail kept;
    kept.add("ann", {"a-1", 1, 7, "one"});
    kept.add("bob", {"a-2", 2, 7, "two"});
    kept.add("ann", {"a-3", 3, 7, "three"});
    std::vector<std::string> ids{"a-3", "a-2", "zzz"};
    std::vector<std::string> removed;
    std::vector<kept_mail::held> acked;
    kept.take({"ann"}, ids, removed, acked);
    EXPECT_EQ(removed, (std::vector<std::string>{"a-3"}));
    ASSERT_EQ(acked.size(), 1U);
    EXPECT_EQ(acked[0].delivery_tag, 3U);
    EXPECT_EQ(ids, (std::vector<std::string>{"a-2", "zzz"}));
    EXPECT_EQ(kept.of("ann"), (std::vector<mail>{{"a-1", "one"}}));
    // Twice is once.
    ids = {"a-3"};
    removed.clear();
    kept.take({"ann"}, ids, removed, acked);
    EXPECT_TRUE(removed.empty());
}

TEST(amqp_kept_mail, releasing_gives_everything_held_for_the_identity_back_once) {
    kept_mail kept;
    kept.add("ann", {"a-1", 1, 7, "one"});
    kept.add("ann", {"a-3", 3, 7, "three"});
    const auto back = kept.release("ann");
    ASSERT_EQ(back.size(), 2U);
    EXPECT_EQ(back[0].delivery_tag, 1U);
    EXPECT_EQ(back[1].delivery_tag, 3U);
    EXPECT_FALSE(kept.holds("ann"));
    EXPECT_TRUE(kept.release("ann").empty());
}

TEST(amqp_mail_control, a_word_reads_back_as_written) {
    const mail_control ack{mail_control::kind::ack, "00ff", {"00ff-1", "00ff-2"}};
    const auto body = encode_mail_control(ack);
    EXPECT_EQ(body, "ack\n00ff\n00ff-1\n00ff-2");
    const auto read = parse_mail_control(body);
    ASSERT_TRUE(read);
    EXPECT_EQ(read->what, mail_control::kind::ack);
    EXPECT_EQ(read->sender, "00ff");
    EXPECT_EQ(read->ids, ack.ids);
    const auto again =
        parse_mail_control(encode_mail_control({mail_control::kind::again, "ab", {}}));
    ASSERT_TRUE(again);
    EXPECT_EQ(again->what, mail_control::kind::again);
    EXPECT_EQ(again->sender, "ab");
}

TEST(amqp_mail_control, anything_else_is_no_word) {
    const std::vector<std::string> bodies{"",
                                          "ack",
                                          "nack\nx",
                                          "ack\n",
                                          "ack\nx\n",
                                          "ack\n\nid",
                                          "again\nx\nid",
                                          "{\"event\":1}",
                                          "ack\n" + std::string(256, 'x')};
    for (const auto& body : bodies) {
        EXPECT_FALSE(parse_mail_control(body)) << body;
    }
    // An acknowledgement carries at most 100 ids.
    std::string many = "ack\nx";
    for (int i = 0; i < 100; ++i) {
        many += "\nid";
    }
    ASSERT_TRUE(parse_mail_control(many));
    EXPECT_EQ(parse_mail_control(many)->ids.size(), 100U);
    EXPECT_FALSE(parse_mail_control(many + "\nid"));
}

} // namespace
} // namespace herald
