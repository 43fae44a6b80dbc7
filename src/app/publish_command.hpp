#pragma once

#include <string>

namespace herald {

struct publish_options {
    std::string url = "http://127.0.0.1:5005";
    std::string api_key; // default: HERALD_API_KEY
    std::string exchange;
    std::string routing_key;
    std::string event;
    std::string payload = "{}"; // JSON text, sent as is
};

// `herald publish`: POSTs one event to a node's /api/publish. Prints the answer; returns the
// process exit code.
int run_publish(const publish_options& options);

} // namespace herald
