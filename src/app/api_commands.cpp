#include "app/api_commands.hpp"

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

std::optional<publish_target> parse_api_url(std::string_view url, std::string_view api) {
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
    target.path = path.ends_with(api) ? std::string(path) : std::string(path) + std::string(api);
    return target;
}

namespace {

// POSTs `body` to the node's `api` path, prints the answer, returns the exit code: 0 for a 2xx,
// 1 for another answer or no answer, 2 for a URL that is not one.
int post(std::string_view command, std::string_view url, std::string api_key, std::string_view api,
         std::string body) {
    const auto target = parse_api_url(url, api);
    if (!target) {
        std::cerr << "herald " << command
                  << ": --url must look like http://host:port or http://host:port/prefix\n";
        return 2;
    }
    if (api_key.empty()) {
        if (const char* env = std::getenv("HERALD_API_KEY")) {
            api_key = env;
        }
    }
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
        std::cerr << "herald " << command << ": " << url << ": " << e.what() << '\n';
        return 1;
    }
}

} // namespace

int run_publish(const publish_options& o) {
    std::string body = R"({"exchange":)" + json_text::quote(o.exchange) + R"(,"routing_key":)" +
                       json_text::quote(o.routing_key) + R"(,"event":)" +
                       json_text::quote(o.event) + R"(,"payload":)" + o.payload + "}";
    return post("publish", o.url, o.api_key, "/api/publish", std::move(body));
}

int run_send(const send_options& o) {
    const int named = (o.all ? 1 : 0) + (o.endpoint.empty() ? 0 : 1) + (o.session.empty() ? 0 : 1) +
                      (o.identity.empty() ? 0 : 1);
    if (named != 1 || (!o.skip.empty() && o.endpoint.empty())) {
        std::cerr << "herald send: name exactly one of --all, --endpoint (with any --skip), "
                     "--session or --identity\n";
        return 2;
    }
    std::string to = R"("all")";
    if (!o.endpoint.empty()) {
        to = R"({"endpoint":)" + json_text::quote(o.endpoint);
        if (!o.skip.empty()) {
            to += R"(,"skip":[)";
            for (std::size_t i = 0; i < o.skip.size(); ++i) {
                to += (i == 0 ? "" : ",") + json_text::quote(o.skip[i]);
            }
            to += ']';
        }
        to += '}';
    } else if (!o.session.empty()) {
        to = R"({"session":)" + json_text::quote(o.session) + "}";
    } else if (!o.identity.empty()) {
        to = R"({"identity":)" + json_text::quote(o.identity) + "}";
    }
    std::string body = R"({"to":)" + to + R"(,"event":)" + json_text::quote(o.event) +
                       R"(,"payload":)" + o.payload + "}";
    return post("send", o.url, o.api_key, "/api/send", std::move(body));
}

} // namespace herald
