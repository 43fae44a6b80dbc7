#pragma once
// The exact bytes of a JSON value inside a document simdjson has already validated: payloads
// reach clients as they were published, never re-serialized.

#include <simdjson.h>
#include <string>

namespace herald::json_raw {

// The value's JSON text without trailing whitespace; "null" if simdjson cannot delimit it.
std::string text_of(simdjson::ondemand::value value);

} // namespace herald::json_raw
