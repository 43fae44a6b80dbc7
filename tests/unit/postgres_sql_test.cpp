#include "stores/postgres/postgres_notification.hpp"
#include "stores/postgres/postgres_sql.hpp"
#include "stores/postgres/postgres_store.hpp"

#include <gtest/gtest.h>

namespace herald {
namespace {

std::vector<criterion> criteria_of(std::string_view params) {
    auto read = read_criteria(params);
    EXPECT_FALSE(read.problem);
    return read.criteria;
}

TEST(postgres_sql, ATableNameIsOneOrTwoPartsOfAtMost63Bytes) {
    std::vector<std::string> parts;
    EXPECT_FALSE(postgres_sql::split_table_name("nodes", parts));
    EXPECT_EQ(parts, std::vector<std::string>{"nodes"});
    EXPECT_FALSE(postgres_sql::split_table_name("inventory.nodes", parts));
    EXPECT_EQ(parts, (std::vector<std::string>{"inventory", "nodes"}));
    EXPECT_FALSE(postgres_sql::split_table_name(std::string(63, 'n'), parts));
    EXPECT_TRUE(postgres_sql::split_table_name(std::string(64, 'n'), parts));
    EXPECT_TRUE(postgres_sql::split_table_name("a.b.c", parts));
    EXPECT_TRUE(postgres_sql::split_table_name("a..b", parts));
    EXPECT_TRUE(postgres_sql::split_table_name("", parts));
    EXPECT_TRUE(postgres_sql::split_table_name(std::string("a\0b", 3), parts));
}

TEST(postgres_sql, APathIsATextArrayWithEveryElementQuoted) {
    EXPECT_EQ(postgres_sql::text_array({"obm", "host"}), R"({"obm","host"})");
    EXPECT_EQ(postgres_sql::text_array({"a,b}", "c\\d", "{x}"}), R"({"a,b}","c\\d","{x}"})");
}

TEST(postgres_sql, CriteriaTravelAsParametersNeverInTheText) {
    const auto s = postgres_sql::find(
        R"("nodes")", criteria_of(R"({"obm.host":"'; DROP TABLE x; --","gone":null})"), 10);
    EXPECT_EQ(s.text.find("DROP"), std::string::npos);
    EXPECT_EQ(s.params, (std::vector<std::string>{R"({"obm","host"})", R"("'; DROP TABLE x; --")",
                                                  R"({"gone"})", "11"}));
    EXPECT_EQ(s.text,
              "SELECT (document || jsonb_build_object('id', id))::text FROM \"nodes\" WHERE "
              "jsonb_typeof(document) = 'object' AND document #> $1::text[] = $2::jsonb AND "
              "(document #> $3::text[] IS NULL OR document #> $3::text[] = 'null'::jsonb) "
              "ORDER BY id LIMIT $4::bigint");
}

TEST(postgres_sql, AnIdCriterionComparesWithTheIdColumn) {
    const auto s = postgres_sql::find("t", criteria_of(R"({"id":"n1"})"), 1);
    EXPECT_NE(s.text.find("(jsonb_typeof($1::jsonb) = 'string' AND id = $1::jsonb #>> '{}')"),
              std::string::npos);
    EXPECT_EQ(s.params, (std::vector<std::string>{R"("n1")", "2"}));
}

TEST(postgres_notification, ReadsTheTriggersPayload) {
    auto change = read_table_change(
        R"({"id": "n1", "op": "DELETE", "old": {"x": 2, "id": "n1"}, "table": "nodes", "schema": "public"})");
    ASSERT_TRUE(change);
    EXPECT_EQ(change->op, table_change::operation::remove);
    EXPECT_EQ(change->id, "n1");
    EXPECT_EQ(change->old_record, R"({"x":2,"id":"n1"})");
    EXPECT_EQ(collection_of(*change), "nodes");
    change = read_table_change(R"({"id":"n2","op":"INSERT","table":"nodes","schema":"inv"})");
    ASSERT_TRUE(change);
    EXPECT_EQ(change->op, table_change::operation::insert);
    EXPECT_EQ(change->old_record, "");
    EXPECT_EQ(collection_of(*change), "inv.nodes");
}

TEST(postgres_notification, RefusesWhatIsNotTheTriggersPayload) {
    EXPECT_FALSE(read_table_change(""));
    EXPECT_FALSE(read_table_change("[]"));
    EXPECT_FALSE(read_table_change(R"({"id":"n","op":"TRUNCATE","table":"t","schema":"public"})"));
    EXPECT_FALSE(read_table_change(R"({"id":1,"op":"INSERT","table":"t","schema":"public"})"));
    EXPECT_FALSE(read_table_change(R"({"id":"n","op":"INSERT","table":"","schema":"public"})"));
    EXPECT_FALSE(read_table_change(R"({"id":"n","op":"INSERT","table":"t"})"));
    EXPECT_FALSE(read_table_change(std::string(8000, ' ')));
}

store_made make(store_options options) {
    return make_postgres_store(options);
}

TEST(postgres_store_options, NeedAUrlAndRefuseUnknownKeys) {
    EXPECT_EQ(make({}).problem, "url: required (a libpq conninfo or a postgresql:// URI)");
    EXPECT_TRUE(make({{"url", std::string("postgresql://h/db")}}).store);
    EXPECT_TRUE(make({{"url", std::string("host=h dbname=db")},
                      {"listen", std::string("")},
                      {"timeout_ms", std::int64_t{250}}})
                    .store);
    EXPECT_EQ(make({{"url", std::string("postgresql://h/db")}, {"file", std::string("x")}}).problem,
              "file: unknown key (a postgres store takes url, listen, timeout_ms)");
    EXPECT_EQ(make({{"url", std::int64_t{1}}}).problem, "url: must be a string");
    EXPECT_EQ(
        make({{"url", std::string("postgresql://h/db")}, {"timeout_ms", std::int64_t{0}}}).problem,
        "timeout_ms: must be a whole number of milliseconds, 1 to 600000");
    EXPECT_EQ(
        make({{"url", std::string("postgresql://h/db")}, {"listen", std::string(64, 'c')}}).problem,
        "listen: a channel name is at most 63 bytes");
    EXPECT_EQ(make({{"url", std::string("host=h nonsense=1")}}).problem.rfind("url: ", 0), 0u);
}

} // namespace
} // namespace herald
