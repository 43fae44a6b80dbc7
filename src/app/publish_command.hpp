#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace herald {

struct publish_options {
    std::string url = "http://127.0.0.1:5005";
    std::string api_key; // default: HERALD_API_KEY
    std::string exchange;
    std::string routing_key;
    std::string event;
    std::string payload = "{}"; // JSON text, sent as is
};

// Where `herald publish` sends its request.
struct publish_target {
    std::string host; // name or IP address, IPv6 without brackets
    std::string port;
    std::string host_header; // as the URL wrote host and port
    std::string path;        // ends in /api/publish
};

// Reads http://HOST[:PORT][/PREFIX]. A path is the prefix Herald is mounted under behind a
// proxy, so /api/publish is appended unless the path already ends in it. Empty when the URL is
// not an http:// URL with a host.
std::optional<publish_target> parse_publish_url(std::string_view url);

// `herald publish`: POSTs one event to a node's /api/publish. Prints the answer; returns the
// process exit code.
int run_publish(const publish_options& options);

} // namespace herald
