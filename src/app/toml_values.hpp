#pragma once
// Reading one TOML value with its key: each throws a config_error that names the key and says
// what was wrong, so a bad setting stops Herald with one clear line.

#include "app/config.hpp"
#include "util/setting.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <toml++/toml.h>

namespace herald {

[[noreturn]] void fail(std::string_view key, std::string_view problem);
std::int64_t integer(const toml::node& node, std::string_view key, std::int64_t min,
                     std::int64_t max);
double number(const toml::node& node, std::string_view key, double min, double max);
std::string text(const toml::node& node, std::string_view key);
bool boolean(const toml::node& node, std::string_view key);
const toml::table& table(const toml::node& node, std::string_view key);
// A key the node does not know is a plug-in's to take or refuse (a dialect's, a store's): a
// string, boolean or integer, as every plug-in setting is.
decltype(setting::value) setting_value(const toml::node& node, std::string_view key);

} // namespace herald
