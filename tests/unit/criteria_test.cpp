#include "stores/criteria.hpp"

#include <gtest/gtest.h>

namespace herald {
namespace {

TEST(Criteria, NoParamsMeansEveryDocument) {
    EXPECT_TRUE(read_criteria("").criteria.empty());
    EXPECT_TRUE(read_criteria("null").criteria.empty());
    EXPECT_TRUE(read_criteria("{}").criteria.empty());
    EXPECT_FALSE(read_criteria("{}").problem);
}

TEST(Criteria, EachMemberIsAnEqualityOnItsDottedPath) {
    const auto read = read_criteria(R"({"name":"n1","obm.port": 623,"tags":["a", "b"]})");
    ASSERT_FALSE(read.problem) << *read.problem;
    ASSERT_EQ(read.criteria.size(), 3u);
    EXPECT_EQ(read.criteria[0], (criterion{{"name"}, "\"n1\"", criterion::kind::string}));
    EXPECT_EQ(read.criteria[1], (criterion{{"obm", "port"}, "623", criterion::kind::number}));
    EXPECT_EQ(read.criteria[2], (criterion{{"tags"}, "[\"a\",\"b\"]", criterion::kind::array}));
}

TEST(Criteria, RefusesWhatNoStoreCanAnswer) {
    EXPECT_EQ(read_criteria("[1]").problem, "params must be an object");
    EXPECT_EQ(read_criteria("{\"a\":").problem, "params is not valid JSON");
    EXPECT_TRUE(read_criteria(R"({"a..b":1})").problem);
    EXPECT_TRUE(read_criteria(R"({".a":1})").problem);
    EXPECT_TRUE(read_criteria(R"({"":1})").problem);
    EXPECT_TRUE(read_criteria(R"({"a\"b":1})").problem);
    EXPECT_TRUE(read_criteria(R"({"a\u0000b":1})").problem);
}

TEST(Criteria, KeepsToItsLimits) {
    std::string many = "{";
    for (int i = 0; i < 33; ++i) {
        many += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":1";
    }
    many += "}";
    EXPECT_EQ(read_criteria(many).problem, "params has more than 32 members");
    EXPECT_TRUE(read_criteria("{\"a\":\"" + std::string(5000, 'x') + "\"}").problem);
    std::string deep = "a";
    for (int i = 0; i < 16; ++i) {
        deep += ".a";
    }
    EXPECT_TRUE(read_criteria("{\"" + deep + "\":1}").problem);
}

} // namespace
} // namespace herald
