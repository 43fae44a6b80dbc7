#include "transport/endpoint_match.hpp"

#include <gtest/gtest.h>

using herald::endpoint_path_problem;

namespace {
std::vector<std::string> endpoints(std::initializer_list<const char*> paths) {
    return {paths.begin(), paths.end()};
}

// The index of the matching endpoint, or nullopt.
std::optional<std::size_t> match_endpoint(const std::vector<std::string>& list,
                                          std::string_view path) {
    auto found = herald::match_endpoint(list, path);
    return found ? std::optional<std::size_t>(found->index) : std::nullopt;
}
} // namespace

TEST(endpoint_match, an_exact_path_matches_only_itself) {
    const auto list = endpoints({"/pushwss"});
    EXPECT_EQ(match_endpoint(list, "/pushwss"), 0u);
    EXPECT_EQ(match_endpoint(list, "/pushwss/"), std::nullopt);
    EXPECT_EQ(match_endpoint(list, "/pushws"), std::nullopt);
    EXPECT_EQ(match_endpoint(list, "/"), std::nullopt);
}

TEST(endpoint_match, a_prefix_endpoint_covers_its_path_and_everything_below) {
    const auto list = endpoints({"/live/*"});
    EXPECT_EQ(match_endpoint(list, "/live"), 0u);
    EXPECT_EQ(match_endpoint(list, "/live/"), 0u);
    EXPECT_EQ(match_endpoint(list, "/live/room/7"), 0u);
    EXPECT_EQ(match_endpoint(list, "/lively"), std::nullopt);
    EXPECT_EQ(match_endpoint(list, "/"), std::nullopt);
}

TEST(endpoint_match, slash_star_covers_every_path) {
    const auto list = endpoints({"/*"});
    for (const char* path : {"/", "/pushwss", "/anything/at/all", ""}) {
        EXPECT_EQ(match_endpoint(list, path), 0u) << path;
    }
}

TEST(endpoint_match, an_exact_path_beats_a_prefix_and_a_longer_prefix_beats_a_shorter) {
    const auto list = endpoints({"/*", "/live/*", "/live/admin"});
    EXPECT_EQ(match_endpoint(list, "/live/admin"), 2u);
    EXPECT_EQ(match_endpoint(list, "/live/admin/x"), 1u);
    EXPECT_EQ(match_endpoint(list, "/live"), 1u);
    EXPECT_EQ(match_endpoint(list, "/other"), 0u);
}

TEST(endpoint_match, a_parameter_takes_one_whole_segment_percent_decoded) {
    const std::vector<std::string> list = {"/api/{token}"};
    const auto found = herald::match_endpoint(list, "/api/abc%2Fdef");
    ASSERT_TRUE(found);
    ASSERT_EQ(found->params.size(), 1u);
    EXPECT_EQ(found->params[0].first, "token");
    EXPECT_EQ(found->params[0].second, "abc/def");
    EXPECT_EQ(match_endpoint(list, "/api/"), std::nullopt);
    EXPECT_EQ(match_endpoint(list, "/api"), std::nullopt);
    EXPECT_EQ(match_endpoint(list, "/api/a/b"), std::nullopt);
}

TEST(endpoint_match, parameters_and_a_prefix_combine) {
    const std::vector<std::string> list = {"/rooms/{room}/*"};
    const auto found = herald::match_endpoint(list, "/rooms/7/chat/x");
    ASSERT_TRUE(found);
    EXPECT_EQ(found->params[0].second, "7");
    EXPECT_EQ(match_endpoint(list, "/rooms/7"), 0u);
    EXPECT_EQ(match_endpoint(list, "/rooms"), std::nullopt);
}

TEST(endpoint_match, exact_beats_parameters_and_parameters_beat_a_prefix) {
    const auto list = endpoints({"/*", "/api/{token}", "/api/health", "/api/{a}/{b}"});
    EXPECT_EQ(match_endpoint(list, "/api/health"), 2u);
    EXPECT_EQ(match_endpoint(list, "/api/xyz"), 1u);
    EXPECT_EQ(match_endpoint(list, "/api/x/y"), 3u);
    EXPECT_EQ(match_endpoint(list, "/elsewhere"), 0u);
}

TEST(endpoint_match, more_literal_segments_win_among_parameter_patterns) {
    const auto list = endpoints({"/{a}/{b}", "/api/{b}"});
    EXPECT_EQ(match_endpoint(list, "/api/x"), 1u);
    EXPECT_EQ(match_endpoint(list, "/web/x"), 0u);
}

TEST(endpoint_match, malformed_patterns_are_explained) {
    EXPECT_TRUE(endpoint_path_problem("api"));
    EXPECT_TRUE(endpoint_path_problem("/a*"));
    EXPECT_TRUE(endpoint_path_problem("/a/*/b"));
    EXPECT_TRUE(endpoint_path_problem("/api/x{token}"));
    EXPECT_TRUE(endpoint_path_problem("/api/{a}/{a}"));
    EXPECT_TRUE(endpoint_path_problem("/api/{}"));
    EXPECT_FALSE(endpoint_path_problem("/api/{token}"));
    EXPECT_FALSE(endpoint_path_problem("/live/*"));
    EXPECT_FALSE(endpoint_path_problem("/*"));
}
