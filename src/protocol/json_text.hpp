#pragma once
// Small pieces of JSON text built by hand on the event path, where a DOM would cost more than
// the message itself.

#include <string>
#include <string_view>

namespace herald::json_text {

// Appends `s` as a quoted JSON string, escaping what RFC 8259 requires.
void append_string(std::string& out, std::string_view s);
std::string quote(std::string_view s);

} // namespace herald::json_text
