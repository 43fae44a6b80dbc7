#include "app/publish_command.hpp"

#include "protocol/json_text.hpp"
#include "util/net.hpp"

#include <boost/asio/connect.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <cstdlib>
#include <fmt/format.h>
#include <iostream>

namespace herald {

namespace http = boost::beast::http;

namespace {

struct http_target {
    std::string host;
    std::string port;
};

// Accepts http://host[:port][/...]; the path is always /api/publish.
bool parse_url(std::string_view url, http_target& out) {
    constexpr std::string_view scheme = "http://";
    if (url.substr(0, scheme.size()) != scheme) {
        return false;
    }
    url.remove_prefix(scheme.size());
    url = url.substr(0, url.find('/'));
    const auto colon = url.rfind(':');
    out.host = std::string(url.substr(0, colon));
    out.port = colon == std::string_view::npos ? "80" : std::string(url.substr(colon + 1));
    return !out.host.empty() && !out.port.empty();
}

} // namespace

int run_publish(const publish_options& o) {
    http_target target;
    if (!parse_url(o.url, target)) {
        std::cerr << "herald publish: --url must look like http://host:port\n";
        return 2;
    }
    std::string api_key = o.api_key;
    if (api_key.empty()) {
        if (const char* env = std::getenv("HERALD_API_KEY")) {
            api_key = env;
        }
    }
    std::string body = R"({"exchange":)" + json_text::quote(o.exchange) + R"(,"routing_key":)" +
                       json_text::quote(o.routing_key) + R"(,"event":)" +
                       json_text::quote(o.event) + R"(,"payload":)" + o.payload + "}";
    try {
        net::io_context io;
        tcp::resolver resolver(io);
        tcp::socket socket(io);
        net::connect(socket, resolver.resolve(target.host, target.port));
        http::request<http::string_body> request(http::verb::post, "/api/publish", 11);
        request.set(http::field::host, target.host);
        request.set(http::field::content_type, "application/json");
        if (!api_key.empty()) {
            request.set(http::field::authorization, "Bearer " + api_key);
        }
        request.body() = std::move(body);
        request.prepare_payload();
        http::write(socket, request);
        boost::beast::flat_buffer buffer;
        http::response<http::string_body> response;
        http::read(socket, buffer, response);
        std::cout << response.body() << '\n';
        return response.result_int() / 100 == 2 ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << "herald publish: " << o.url << ": " << e.what() << '\n';
        return 1;
    }
}

} // namespace herald
