#include "app/endpoint_match.hpp"

#include <gtest/gtest.h>

using herald::endpoint_config;
using herald::match_endpoint;

namespace {
std::vector<endpoint_config> endpoints(std::initializer_list<const char*> paths) {
    std::vector<endpoint_config> list;
    for (const char* p : paths) {
        list.push_back({p});
    }
    return list;
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
