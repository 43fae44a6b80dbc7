// libFuzzer: the bodies of POST /api/send and /api/notify, and a broker message's members as they
// arrive on an addressing exchange. What the API accepts must travel on the bus and come back the
// same.
#include "protocol/addressing.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace herald::addressing;
    const std::string_view body(reinterpret_cast<const char*>(data), size);
    const exchange_names names;
    const auto request =
        parse_send_request(body, [](std::string_view path) { return path == "/chat"; });
    if (request) {
        const auto route = route_of(request->to, names);
        const auto back = read_received(names, route.exchange, route.routing_key, route.members);
        if (!back || !*back || !((*back)->to == request->to)) {
            std::abort();
        }
    } else if (request.error().detail.empty()) {
        std::abort(); // a refusal always says why
    }
    const auto notified = parse_notify_request(body);
    if (!notified && notified.error().detail.empty()) {
        std::abort();
    }
    // The same bytes as the members of a received unicast and broadcast: refused or read,
    // never a crash.
    (void)read_received(names, names.unicast, "0001", body);
    (void)read_received(names, names.broadcast, "/chat", body);
    return 0;
}
