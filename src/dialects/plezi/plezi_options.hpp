#pragma once
// A Plezi endpoint's settings, the keys of its [[endpoints]] table besides the node's own:
// docs/configuration.md#endpoints. Read once per session from the endpoint's options.

#include "session/dialect_options.hpp"

#include <optional>
#include <string>

namespace herald::plezi {

struct options {
    // Plezi's @auto_dispatch: JSON events {"event":E,…} dispatched to the back end; otherwise
    // raw messages (Plezi's on_message), as Plezi's default is.
    bool auto_dispatch = false;
    // What an unknown event gets: Plezi 0.12's err event (404), or Plezi 0.14's close.
    enum class unknown { error, close };
    unknown unknown_event = unknown::error;
    // Raw mode on a node without a back end: each message is sent back as it came.
    bool echo = false;
    // Plezi 0.12's Redis scaling: the global channel this endpoint's Plezi app shares
    // (Plezi::Settings.redis_channel_name); empty: none.
    std::string redis_channel_name;
    // The controller class whose broadcasts (type: "ChatController") reach this endpoint.
    std::string controller;
};

// Why an option is refused (for the start-up line), or nullopt.
std::optional<std::string> option_problem(const dialect_option& o);
// Options already checked by option_problem.
options read_options(const dialect_options& given);

} // namespace herald::plezi
