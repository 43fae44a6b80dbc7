#include "app/publish_command.hpp"

#include "protocol/json_text.hpp"
#include "util/net.hpp"

#include <boost/asio/connect.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/url/parse.hpp>

#include <cstdlib>
#include <fmt/format.h>
#include <iostream>

namespace herald {

namespace http = boost::beast::http;

std::optional<publish_target> parse_publish_url(std::string_view url) {
    const auto parsed = boost::urls::parse_uri(url);
    if (!parsed || parsed->scheme_id() != boost::urls::scheme::http || parsed->host().empty() ||
        parsed->has_query() || parsed->has_fragment()) {
        return std::nullopt;
    }
    if (parsed->has_port() && parsed->port_number() == 0) { // empty, not a number, or 0
        return std::nullopt;
    }
    publish_target target;
    target.host = parsed->host_address();
    target.port = parsed->has_port() ? std::string(parsed->port()) : "80";
    target.host_header = parsed->encoded_host_and_port();
    std::string_view path = parsed->encoded_path();
    while (path.ends_with('/')) {
        path.remove_suffix(1);
    }
    constexpr std::string_view api = "/api/publish";
    target.path = path.ends_with(api) ? std::string(path) : std::string(path) + std::string(api);
    return target;
}

int run_publish(const publish_options& o) {
    const auto target = parse_publish_url(o.url);
    if (!target) {
        std::cerr << "herald publish: --url must look like http://host:port or "
                     "http://host:port/prefix\n";
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
        net::connect(socket, resolver.resolve(target->host, target->port));
        http::request<http::string_body> request(http::verb::post, target->path, 11);
        request.set(http::field::host, target->host_header);
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
