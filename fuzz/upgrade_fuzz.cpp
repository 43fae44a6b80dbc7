// libFuzzer: what a client controls in an upgrade request — its path, query string and Cookie
// header — through the endpoint matcher and the upgrade request's readers.
// Input: path, '\n', query, '\n', cookie header.
#include "session/upgrade_request.hpp"
#include "transport/endpoint_match.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

const std::vector<std::string> patterns = {"/pushwss",        "/api/{token}", "/live/*",
                                           "/rooms/{room}/*", "/{a}/{b}",     "/*"};

std::string_view take_line(std::string_view& rest) {
    const auto end = rest.find('\n');
    const auto line = rest.substr(0, end);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
    return line;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view rest(reinterpret_cast<const char*>(data), size);
    const auto path = take_line(rest);
    const auto query = take_line(rest);
    const auto cookies = rest;

    const auto match = herald::match_endpoint(patterns, path);
    if (!match) {
        if (path.empty() || path.front() == '/') {
            std::abort(); // "/*" covers every path (a request target is "/…")
        }
        return 0;
    }
    const std::string& pattern = patterns[match->index];
    std::size_t declared = 0;
    for (char c : pattern) {
        declared += c == '{' ? 1 : 0;
    }
    if (match->params.size() != declared) {
        std::abort();
    }
    for (const auto& [name, value] : match->params) {
        if (value.empty() || value.size() > path.size()) {
            std::abort(); // a parameter is a non-empty piece of the path, never longer once decoded
        }
    }

    herald::upgrade_request request;
    request.path = path;
    request.query = query;
    request.headers = {{"Cookie", cookies}};
    for (std::string_view name : {"token", "session", "", "a"}) {
        const auto q = request.query_param(name);
        const auto c = request.cookie(name);
        if (c && c->size() > cookies.size()) {
            std::abort();
        }
        if (q && q->size() > query.size()) {
            std::abort();
        }
    }
    return 0;
}
