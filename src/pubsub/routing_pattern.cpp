#include "pubsub/routing_pattern.hpp"

#include <vector>

namespace herald {
namespace {

std::vector<std::string_view> words_of(std::string_view s) {
    std::vector<std::string_view> words;
    for (;;) {
        const auto dot = s.find('.');
        words.push_back(s.substr(0, dot));
        if (dot == std::string_view::npos) {
            return words;
        }
        s.remove_prefix(dot + 1);
    }
}

} // namespace

bool topic_matches(std::string_view pattern, std::string_view routing_key) {
    const auto want = words_of(pattern);
    const auto got = words_of(routing_key); // "" is one empty word, as in RabbitMQ
    // Dynamic programming over (pattern word, key word): at most |pattern| x |key| steps, so a
    // pattern of many '#' cannot make matching exponential. can[j]: the pattern so far matches
    // the first j words of the key.
    std::vector<char> can(got.size() + 1, 0);
    can[0] = 1;
    for (const auto w : want) {
        std::vector<char> next(got.size() + 1, 0);
        if (w == "#") {
            char any = 0;
            for (std::size_t j = 0; j <= got.size(); ++j) {
                any = any || can[j];
                next[j] = any; // '#' takes zero or more words
            }
        } else {
            for (std::size_t j = 1; j <= got.size(); ++j) {
                next[j] = can[j - 1] && (w == "*" || w == got[j - 1]);
            }
        }
        can.swap(next);
    }
    return can[got.size()] != 0;
}

bool routing_key_matches(exchange_kind kind, std::string_view key, std::string_view routing_key) {
    switch (kind) {
    case exchange_kind::direct:
        return key == routing_key;
    case exchange_kind::topic:
        return topic_matches(key, routing_key);
    case exchange_kind::fanout:
        return true;
    }
    return false;
}

bool is_pattern(exchange_kind kind, std::string_view key) {
    switch (kind) {
    case exchange_kind::direct:
        return false;
    case exchange_kind::topic:
        return key.find_first_of("*#") != std::string_view::npos;
    case exchange_kind::fanout:
        return true;
    }
    return false;
}

} // namespace herald
