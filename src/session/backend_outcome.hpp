#pragma once
// A back-end reply as a dialect needs it: the parsed answer, or one of two failures its client
// is told about (timeout, error) with a detail fit for the client. Every dialect reads replies
// the same way; only the words it sends differ.

#include "protocol/backend_message.hpp"

#include <string>
#include <string_view>

namespace herald {

struct backend_outcome {
    enum class kind { answered, timeout, failed };
    kind what = kind::failed;
    backend_answer answer; // answered
    std::string detail;    // failed: why, worded for the client (no addresses, no internals)
};

// `request_kind` names the request in the log line a broken answer gets (rate-limited).
backend_outcome read_backend_reply(backend_reply reply, std::string_view request_kind);

} // namespace herald
