#pragma once
// The one logging front door. spdlog, written to stderr; level from --log-level.

#include <spdlog/spdlog.h>
#include <string_view>

namespace herald::log {

// Returns false when `level` names no level (trace, debug, info, warn, error, off).
bool set_level(std::string_view level);

using spdlog::debug;
using spdlog::error;
using spdlog::info;
using spdlog::warn;

} // namespace herald::log
