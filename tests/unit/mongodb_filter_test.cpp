#include "stores/mongodb/mongodb_filter.hpp"

#include <gtest/gtest.h>

namespace herald {
namespace {

// The filter for `params` as canonical Extended JSON (which names every BSON type), or the
// problem prefixed with "refused: ".
std::string filter_of(std::string_view params, const mongodb_filter_limits& limits = {}) {
    const auto read = read_criteria(params);
    if (read.problem) {
        return "criteria: " + *read.problem;
    }
    const auto made = make_mongodb_filter(read.criteria, limits);
    if (!made.filter) {
        EXPECT_FALSE(made.problem.empty());
        return "refused: " + made.problem;
    }
    char* json = bson_as_canonical_extended_json(made.filter.get(), nullptr);
    std::string text(json);
    bson_free(json);
    return text;
}

bool refused(std::string_view params) {
    return filter_of(params).starts_with("refused: ");
}

TEST(MongodbFilter, NoParamsIsTheEmptyFilterThatMatchesEveryDocument) {
    EXPECT_EQ(filter_of("{}"), "{ }");
    EXPECT_EQ(filter_of(""), "{ }");
    EXPECT_EQ(filter_of("null"), "{ }");
}

TEST(MongodbFilter, EveryCriterionIsAnEqualityWithEqOnItsDottedPath) {
    EXPECT_EQ(filter_of(R"({"name":"n1","obm.host":"10.1.1.1"})"),
              R"({ "name" : { "$eq" : "n1" }, "obm.host" : { "$eq" : "10.1.1.1" } })");
}

TEST(MongodbFilter, EachJsonTypeBecomesTheBsonTypeOfTheSameValue) {
    EXPECT_EQ(filter_of(R"({"a":623})"), R"({ "a" : { "$eq" : { "$numberLong" : "623" } } })");
    EXPECT_EQ(filter_of(R"({"a":-9223372036854775808})"),
              R"({ "a" : { "$eq" : { "$numberLong" : "-9223372036854775808" } } })");
    EXPECT_EQ(filter_of(R"({"a":623.5})"),
              R"({ "a" : { "$eq" : { "$numberDouble" : "623.5" } } })");
    // Past int64: the nearest double, as MongoDB itself would store it from JSON.
    EXPECT_EQ(filter_of(R"({"a":18446744073709551615})"),
              R"({ "a" : { "$eq" : { "$numberDouble" : "18446744073709551616.0" } } })");
    EXPECT_EQ(filter_of(R"({"a":true,"b":false})"),
              R"({ "a" : { "$eq" : true }, "b" : { "$eq" : false } })");
    EXPECT_EQ(filter_of(R"({"a":null})"), R"({ "a" : { "$eq" : null } })");
    EXPECT_EQ(filter_of(R"({"a":"x\u0000y"})"), R"({ "a" : { "$eq" : "x\u0000y" } })");
    EXPECT_EQ(filter_of(R"({"a":"é"})"), R"({ "a" : { "$eq" : "é" } })");
}

TEST(MongodbFilter, ObjectsAndArraysAreLiteralValuesInTheirOrder) {
    EXPECT_EQ(filter_of(R"({"obm":{"port":623,"host":"h"}})"),
              R"({ "obm" : { "$eq" : { "port" : { "$numberLong" : "623" }, "host" : "h" } } })");
    EXPECT_EQ(filter_of(R"({"tags":["x",{"y":null},[]]})"),
              R"({ "tags" : { "$eq" : [ "x", { "y" : null }, [  ] ] } })");
    EXPECT_EQ(filter_of(R"({"o":{}})"), R"({ "o" : { "$eq" : {  } } })");
    // A dot inside a member name of a value is data, not a path.
    EXPECT_EQ(filter_of(R"({"o":{"a.b":1}})"),
              R"({ "o" : { "$eq" : { "a.b" : { "$numberLong" : "1" } } } })");
}

TEST(MongodbFilter, AnOperatorSentAsAValueIsRefusedNotObeyed) {
    EXPECT_EQ(filter_of(R"({"name":{"$ne":1}})"),
              R"(refused: a member name inside a params value may not start with '$' ("$ne"): )"
              "MongoDB operators are not taken");
    EXPECT_TRUE(refused(R"({"name":{"$where":"return true"}})"));
    EXPECT_TRUE(refused(R"({"name":{"$regex":".*"}})"));
    EXPECT_TRUE(refused(R"({"name":{"$gt":""}})"));
    EXPECT_TRUE(refused(R"({"name":{"ok":1,"$or":[]}})"));
    // Deep inside objects and arrays too, where a server could read a nested filter.
    EXPECT_TRUE(refused(R"({"a":{"b":{"c":{"$exists":true}}}})"));
    EXPECT_TRUE(refused(R"({"a":[1,{"$elemMatch":{}}]})"));
    // Extended JSON wrappers other than a lone $oid are not read as types either.
    EXPECT_TRUE(refused(R"({"a":{"$regularExpression":{"pattern":".*","options":""}}})"));
    EXPECT_TRUE(refused(R"({"a":{"$date":"2020-01-01T00:00:00Z"}})"));
    EXPECT_TRUE(refused(R"({"a":{"$numberLong":"1"}})"));
}

TEST(MongodbFilter, AKeyPartStartingWithDollarIsRefused) {
    EXPECT_EQ(filter_of(R"({"$where":"1"})"),
              R"(refused: a params key part may not start with '$' ("$where"): )"
              "MongoDB operators are not taken");
    EXPECT_TRUE(refused(R"({"$or":[{"a":1}]})"));
    EXPECT_TRUE(refused(R"({"a.$ne":1})"));
    EXPECT_TRUE(refused(R"({"a.b.$":1})"));
    // A dollar past the first byte names an ordinary field.
    EXPECT_EQ(filter_of(R"({"a$":1})"), R"({ "a$" : { "$eq" : { "$numberLong" : "1" } } })");
}

TEST(MongodbFilter, ALoneOidIsTheObjectIdSoADocumentCanBeAskedForAgainByItsId) {
    const auto read = read_criteria(R"({"_id":{"$oid":"5f0c6b1e2a3b4c5d6e7f8091"}})");
    const auto made = make_mongodb_filter(read.criteria);
    ASSERT_TRUE(made.filter) << made.problem;
    bson_iter_t it;
    ASSERT_TRUE(bson_iter_init(&it, made.filter.get()));
    ASSERT_TRUE(bson_iter_find_descendant(&it, "_id.$eq", &it));
    EXPECT_EQ(bson_iter_type(&it), BSON_TYPE_OID);
    char hex[25];
    bson_oid_to_string(bson_iter_oid(&it), hex);
    EXPECT_STREQ(hex, "5f0c6b1e2a3b4c5d6e7f8091");
    // Anything else with $oid is refused like any other '$' member.
    EXPECT_TRUE(refused(R"({"_id":{"$oid":"5f0c6b1e2a3b4c5d6e7f809"}})"));
    EXPECT_TRUE(refused(R"({"_id":{"$oid":"5f0c6b1e2a3b4c5d6e7f809g"}})"));
    EXPECT_TRUE(refused(R"({"_id":{"$oid":1}})"));
    EXPECT_TRUE(refused(R"({"_id":{"$oid":"5f0c6b1e2a3b4c5d6e7f8091","x":1}})"));
    EXPECT_TRUE(refused(R"({"a":{"b":{"$oid":"5f0c6b1e2a3b4c5d6e7f8091"}}})"));
    EXPECT_TRUE(refused(R"({"a":[{"$oid":"5f0c6b1e2a3b4c5d6e7f8091"}]})"));
}

TEST(MongodbFilter, AMemberNameWithANulInsideAValueIsRefused) {
    EXPECT_EQ(filter_of(R"({"a":{"b\u0000c":1}})"),
              "refused: a member name inside a params value may not hold a NUL");
}

TEST(MongodbFilter, AFieldNamedTwiceIsRefused) {
    EXPECT_EQ(filter_of(R"({"a":1,"a":2})"), R"(refused: params name the field "a" twice)");
    EXPECT_EQ(filter_of(R"({"a.b":1,"a.b":1})"), R"(refused: params name the field "a.b" twice)");
    // A path and its parent are two fields.
    EXPECT_FALSE(refused(R"({"a":{"b":1},"a.b":1})"));
}

TEST(MongodbFilter, NestingPastTheLimitIsRefused) {
    const mongodb_filter_limits two{2};
    EXPECT_FALSE(filter_of(R"({"a":{"b":[1]}})", two).starts_with("refused"));
    EXPECT_EQ(filter_of(R"({"a":{"b":[[1]]}})", two),
              "refused: a params value is nested deeper than 2 levels");
    std::string deep(40, '[');
    deep += std::string(40, ']');
    EXPECT_EQ(filter_of(R"({"a":)" + deep + "}"),
              "refused: a params value is nested deeper than 32 levels");
}

TEST(MongodbFilter, TheCriteriaLimitsStillHoldBeforeTheFilterIsMade) {
    std::string many = "{";
    for (int i = 0; i < 33; ++i) {
        many += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":1";
    }
    many += "}";
    EXPECT_TRUE(filter_of(many).starts_with("criteria: "));
    EXPECT_TRUE(filter_of(R"({"a":")" + std::string(5000, 'x') + "\"}").starts_with("criteria: "));
}

} // namespace
} // namespace herald
