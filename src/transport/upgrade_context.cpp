#include "transport/upgrade_context.hpp"

namespace herald {

upgrade_request upgrade_context(const http_request& request, std::string_view path,
                                const endpoint& serving, std::string_view remote) {
    upgrade_request context;
    const std::string_view target = request.target();
    context.path = path;
    if (const auto q = target.find('?'); q != std::string_view::npos) {
        context.query = target.substr(q + 1);
    }
    context.options = &serving.options;
    for (const auto& field : request) {
        context.headers.emplace_back(field.name_string(), field.value());
    }
    context.remote_address = remote;
    return context;
}

} // namespace herald
