#include "util/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace herald::log {

bool set_level(std::string_view name) {
    static const bool configured = [] {
        auto logger = spdlog::stderr_color_mt("herald");
        logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
        spdlog::set_default_logger(logger);
        return true;
    }();
    (void)configured;
    auto level = spdlog::level::from_str(std::string(name));
    if (level == spdlog::level::off && name != "off") {
        return false;
    }
    spdlog::set_level(level);
    return true;
}

} // namespace herald::log
