#include "dialects/plezi/plezi_options.hpp"

namespace herald::plezi {

std::optional<std::string> option_problem(const dialect_option& o) {
    if (o.key == "auto_dispatch" || o.key == "echo") {
        if (!std::holds_alternative<bool>(o.value)) {
            return "must be true or false";
        }
        return std::nullopt;
    }
    if (o.key == "unknown_event") {
        const auto* how = std::get_if<std::string>(&o.value);
        if (how == nullptr || (*how != "error" && *how != "close")) {
            return R"(must be "error" (Plezi 0.12) or "close" (Plezi 0.14))";
        }
        return std::nullopt;
    }
    if (o.key == "redis_channel_name" || o.key == "controller") {
        const auto* name = std::get_if<std::string>(&o.value);
        if (name == nullptr || name->empty() || name->size() > 255) {
            return "must be a name of 1 to 255 bytes";
        }
        return std::nullopt;
    }
    return "unknown key (a plezi endpoint takes auto_dispatch, unknown_event, echo, "
           "redis_channel_name and controller)";
}

options read_options(const dialect_options& given) {
    options o;
    for (const auto& each : given) {
        if (each.key == "auto_dispatch") {
            o.auto_dispatch = std::get<bool>(each.value);
        } else if (each.key == "echo") {
            o.echo = std::get<bool>(each.value);
        } else if (each.key == "redis_channel_name") {
            o.redis_channel_name = std::get<std::string>(each.value);
        } else if (each.key == "controller") {
            o.controller = std::get<std::string>(each.value);
        } else if (each.key == "unknown_event") {
            o.unknown_event = std::get<std::string>(each.value) == "close"
                                  ? options::unknown::close
                                  : options::unknown::error;
        }
    }
    return o;
}

} // namespace herald::plezi
