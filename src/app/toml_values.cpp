#include "app/toml_values.hpp"

#include <fmt/format.h>

namespace herald {

[[noreturn]] void fail(std::string_view key, std::string_view problem) {
    throw config_error(fmt::format("config: {}: {}", key, problem));
}

std::int64_t integer(const toml::node& node, std::string_view key, std::int64_t min,
                     std::int64_t max) {
    auto value = node.value<std::int64_t>();
    if (!node.is_integer() || !value) {
        fail(key, "must be an integer");
    }
    if (*value < min || *value > max) {
        fail(key, fmt::format("must be between {} and {}", min, max));
    }
    return *value;
}

double number(const toml::node& node, std::string_view key, double min, double max) {
    auto value = node.value<double>();
    if (!(node.is_integer() || node.is_floating_point()) || !value) {
        fail(key, "must be a number");
    }
    if (*value < min || *value > max) {
        fail(key, fmt::format("must be between {} and {}", min, max));
    }
    return *value;
}

std::string text(const toml::node& node, std::string_view key) {
    if (!node.is_string()) {
        fail(key, "must be a string");
    }
    return std::string(*node.value<std::string_view>());
}

bool boolean(const toml::node& node, std::string_view key) {
    if (!node.is_boolean()) {
        fail(key, "must be true or false");
    }
    return *node.value<bool>();
}

const toml::table& table(const toml::node& node, std::string_view key) {
    if (!node.is_table()) {
        fail(key, "must be a table");
    }
    return *node.as_table();
}

decltype(setting::value) setting_value(const toml::node& node, std::string_view key) {
    if (const auto* b = node.as_boolean()) {
        return b->get();
    }
    if (const auto* i = node.as_integer()) {
        return i->get();
    }
    if (const auto* s = node.as_string()) {
        return s->get();
    }
    fail(key, "unknown key (a plug-in's settings are strings, booleans or integers)");
}

} // namespace herald
