#include "session/upgrade_request.hpp"

#include <algorithm>
#include <gtest/gtest.h>
#include <memory>

namespace herald {
namespace {

upgrade_request sample() {
    upgrade_request r;
    r.path = "/api/abc";
    r.query = "token=a%20b&empty=&flag&token=second";
    r.path_params.emplace_back("token", "abc");
    r.headers = {{"Host", "x"},
                 {"Cookie", "session=s1; theme=\"dark\""},
                 {"cookie", "late=1"},
                 {"Authorization", "Bearer t"}};
    return r;
}

TEST(upgrade_request, headers_are_found_whatever_their_case) {
    const auto r = sample();
    EXPECT_EQ(r.header("authorization"), "Bearer t");
    EXPECT_EQ(r.header("HOST"), "x");
    EXPECT_EQ(r.header("x-missing"), std::nullopt);
}

TEST(upgrade_request, cookies_are_read_from_every_cookie_header_and_unquoted) {
    const auto r = sample();
    EXPECT_EQ(r.cookie("session"), "s1");
    EXPECT_EQ(r.cookie("theme"), "dark");
    EXPECT_EQ(r.cookie("late"), "1");
    EXPECT_EQ(r.cookie("sess"), std::nullopt);
}

TEST(upgrade_request, query_parameters_are_percent_decoded_and_the_first_wins) {
    const auto r = sample();
    EXPECT_EQ(r.query_param("token"), "a b");
    EXPECT_EQ(r.query_param("empty"), "");
    EXPECT_EQ(r.query_param("flag"), "");
    EXPECT_EQ(r.query_param("nothing"), std::nullopt);
}

TEST(upgrade_request, a_query_that_is_not_valid_percent_encoding_holds_no_parameters) {
    upgrade_request r;
    r.query = "token=%zz";
    EXPECT_EQ(r.query_param("token"), std::nullopt);
}

// The fuzzer found Boost.URL 1.81's parse_query reading such a view up to a NUL.
TEST(upgrade_request, a_query_is_read_only_to_the_end_of_its_view) {
    const std::string_view text = "token=abc HTTP/1.1";
    auto buffer = std::make_unique<char[]>(text.size()); // no NUL behind it
    std::copy(text.begin(), text.end(), buffer.get());
    upgrade_request r;
    r.query = std::string_view(buffer.get(), 9);
    EXPECT_EQ(r.query_param("token"), "abc");
}

TEST(upgrade_request, path_parameters_are_found_by_name) {
    const auto r = sample();
    EXPECT_EQ(r.path_param("token"), "abc");
    EXPECT_EQ(r.path_param("other"), std::nullopt);
}

} // namespace
} // namespace herald
