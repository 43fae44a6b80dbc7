// libFuzzer: what a SockJS client controls: the body of xhr_send (and a websocket message),
// decoded as a JSON array of strings, and the path under the prefix.
// Input: path, '\n', body.
#include "protocol/sockjs.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const auto end = input.find('\n');
    const auto path = input.substr(0, end);
    const auto body = end == std::string_view::npos ? std::string_view{} : input.substr(end + 1);

    if (const auto route = herald::sockjs::route_of("/__sockjs__", path)) {
        if (!route->session.empty() && !herald::sockjs::is_valid_id(route->session)) {
            std::abort(); // a session route names a valid id, or none at all
        }
    }
    std::vector<std::string> messages;
    const auto status = herald::sockjs::decode_messages(body, messages);
    if (status != herald::sockjs::decode_status::ok && !messages.empty()) {
        std::abort(); // a refused body delivers nothing
    }
    std::string frame;
    for (const auto& m : messages) {
        herald::sockjs::append_to_array(frame, m);
    }
    herald::sockjs::finish_array(frame);
    return 0;
}
