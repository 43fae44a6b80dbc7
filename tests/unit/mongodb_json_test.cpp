#include "stores/mongodb/mongodb_json.hpp"

#include <gtest/gtest.h>

namespace herald {
namespace {

// The JSON a client gets for the document written here in canonical Extended JSON.
std::optional<std::string> json_of(std::string_view extended) {
    bson_error_t error;
    bson_t* document = bson_new_from_json(reinterpret_cast<const std::uint8_t*>(extended.data()),
                                          static_cast<ssize_t>(extended.size()), &error);
    EXPECT_NE(document, nullptr) << error.message;
    if (document == nullptr) {
        return std::nullopt;
    }
    auto json = mongodb_document_json(*document);
    bson_destroy(document);
    return json;
}

TEST(MongodbJson, PlainValuesReadAsCompactJson) {
    EXPECT_EQ(json_of(R"({"name":"a b","n":{"$numberInt":"623"},"l":{"$numberLong":"7"},)"
                      R"("d":{"$numberDouble":"1.5"},"on":true,"z":null,"t":["x",{}]})"),
              R"({"name":"a b","n":623,"l":7,"d":1.5,"on":true,"z":null,"t":["x",{}]})");
}

TEST(MongodbJson, AnObjectIdAndADateReadAsRelaxedExtendedJson) {
    EXPECT_EQ(
        json_of(R"({"_id":{"$oid":"5f0c6b1e2a3b4c5d6e7f8091"},)"
                R"("at":{"$date":{"$numberLong":"1577934245000"}}})"),
        R"({"_id":{"$oid":"5f0c6b1e2a3b4c5d6e7f8091"},"at":{"$date":"2020-01-02T03:04:05Z"}})");
    EXPECT_EQ(json_of(R"({"at":{"$date":{"$numberLong":"-1000"}}})"),
              R"({"at":{"$date":{"$numberLong":"-1000"}}})");
}

TEST(MongodbJson, StringsKeepTheirEscapesAndSpaces) {
    EXPECT_EQ(json_of(R"({"s":"a \" b\n\u0000 é"})"), R"({"s":"a \" b\n\u0000 é"})");
}

TEST(MongodbJson, ADocumentWithAStringThatIsNotUtf8HasNoJson) {
    bson_t document = BSON_INITIALIZER;
    const char bad[] = "\xff\xfe";
    ASSERT_TRUE(bson_append_utf8(&document, "s", 1, bad, 2));
    EXPECT_FALSE(mongodb_document_json(document));
    bson_destroy(&document);
}

} // namespace
} // namespace herald
