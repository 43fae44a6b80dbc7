#include "transport/endpoint_match.hpp"

#include "util/percent.hpp"

#include <fmt/format.h>

namespace herald {
namespace {

bool is_param(std::string_view segment) {
    return segment.size() >= 3 && segment.front() == '{' && segment.back() == '}';
}

// The next segment of `rest` ("/a/b" → "a"), consuming it and its leading '/'.
std::string_view next_segment(std::string_view& rest) {
    if (!rest.empty() && rest.front() == '/') {
        rest.remove_prefix(1);
    }
    const auto end = rest.find('/');
    const auto segment = rest.substr(0, end);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
    return segment;
}

struct candidate {
    int rank;         // 2: exact, 1: parameters, 0: prefix
    std::size_t more; // within a rank: literal segments, or the prefix's length
};

// Matches one pattern; fills `params` and returns how specific the match is.
std::optional<candidate> match_one(std::string_view pattern, std::string_view path,
                                   std::vector<std::pair<std::string_view, std::string>>& params) {
    params.clear();
    const bool prefix = pattern.ends_with("/*");
    std::string_view fixed = prefix ? pattern.substr(0, pattern.size() - 2) : pattern;
    if (!prefix && fixed.find('{') == std::string_view::npos) {
        if (fixed == path) {
            return candidate{2, 0};
        }
        return std::nullopt;
    }
    std::string_view rest = path;
    std::size_t literals = 0;
    bool has_params = false;
    while (!fixed.empty()) {
        const auto want = next_segment(fixed);
        if (rest.empty() || rest.front() != '/') {
            return std::nullopt;
        }
        const auto got = next_segment(rest);
        if (is_param(want)) {
            if (got.empty()) {
                return std::nullopt; // a parameter is never empty
            }
            has_params = true;
            // A segment that is not valid percent-encoding is taken as it is.
            auto decoded = percent_decode(got);
            params.emplace_back(want.substr(1, want.size() - 2),
                                decoded ? std::move(*decoded) : std::string(got));
        } else if (want != got) {
            return std::nullopt;
        } else {
            ++literals;
        }
    }
    if (prefix) {
        // `/live/*` covers `/live`, `/live/` and `/live/…`, but not `/lively`.
        if (!rest.empty() && rest.front() != '/') {
            return std::nullopt;
        }
        return candidate{has_params ? 1 : 0, has_params ? literals : pattern.size()};
    }
    if (!rest.empty()) {
        return std::nullopt;
    }
    return candidate{1, literals};
}

} // namespace

std::optional<endpoint_match> match_endpoint(std::span<const std::string> patterns,
                                             std::string_view path) {
    std::optional<endpoint_match> best;
    candidate best_rank{-1, 0};
    std::vector<std::pair<std::string_view, std::string>> params;
    for (std::size_t i = 0; i < patterns.size(); ++i) {
        const auto found = match_one(patterns[i], path, params);
        if (!found) {
            continue;
        }
        if (found->rank > best_rank.rank ||
            (found->rank == best_rank.rank && found->more > best_rank.more)) {
            best_rank = *found;
            best = endpoint_match{i, std::move(params)};
            params = {};
        }
    }
    return best;
}

std::optional<std::string> endpoint_path_problem(std::string_view pattern) {
    if (pattern.empty() || pattern[0] != '/') {
        return "must start with /";
    }
    if (pattern.find_first_of("?# ") != std::string_view::npos) {
        return "must be a plain path, without ?, # or spaces";
    }
    const auto star = pattern.find('*');
    if (star != std::string_view::npos &&
        !(pattern.ends_with("/*") && star == pattern.size() - 1)) {
        return "may hold * only as its last segment, as in /live/*";
    }
    std::string_view rest =
        pattern.ends_with("/*") ? pattern.substr(0, pattern.size() - 2) : pattern;
    std::vector<std::string_view> names;
    while (!rest.empty()) {
        const auto segment = next_segment(rest);
        const bool braces = segment.find_first_of("{}") != std::string_view::npos;
        if (braces && !is_param(segment)) {
            return fmt::format(
                "segment \"{}\": a parameter is a whole segment, as in /api/{{token}}", segment);
        }
        if (is_param(segment)) {
            const auto name = segment.substr(1, segment.size() - 2);
            if (name.find_first_of("{}") != std::string_view::npos) {
                return fmt::format("segment \"{}\": a parameter is a whole segment", segment);
            }
            for (auto seen : names) {
                if (seen == name) {
                    return fmt::format("names the parameter {} twice", name);
                }
            }
            names.push_back(name);
        }
    }
    return std::nullopt;
}

} // namespace herald
