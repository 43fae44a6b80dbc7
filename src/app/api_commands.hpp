#pragma once
// `herald publish` and `herald send`: one request to a node's HTTP API from the command line.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herald {

struct publish_options {
    std::string url = "http://127.0.0.1:5005";
    std::string api_key; // default: HERALD_API_KEY
    std::string exchange;
    std::string routing_key;
    std::string event;
    std::string payload = "{}"; // JSON text, sent as is
};

// `herald send`: one of all, endpoint, session or identity names the sessions.
struct send_options {
    std::string url = "http://127.0.0.1:5005";
    std::string api_key; // default: HERALD_API_KEY
    bool all = false;
    std::string endpoint;
    std::vector<std::string> skip; // with endpoint
    std::string session;
    std::string identity;
    std::string event;
    std::string payload = "{}"; // JSON text, sent as is
};

// Where a command sends its request.
struct publish_target {
    std::string host; // name or IP address, IPv6 without brackets
    std::string port;
    std::string host_header; // as the URL wrote host and port
    std::string path;        // ends in the API's path: /api/publish, /api/send
};

// Reads http://HOST[:PORT][/PREFIX]. A path is the prefix Herald is mounted under behind a
// proxy, so `api_path` is appended unless the path already ends in it. Empty when the URL is
// not an http:// URL with a host.
std::optional<publish_target> parse_api_url(std::string_view url,
                                            std::string_view api_path = "/api/publish");

// `herald publish`: POSTs one event to a node's /api/publish. Prints the answer; returns the
// process exit code.
int run_publish(const publish_options& options);
// `herald send`: POSTs one event addressed to sessions to a node's /api/send. Prints the answer;
// returns the process exit code (2: the options do not name exactly one address).
int run_send(const send_options& options);

} // namespace herald
