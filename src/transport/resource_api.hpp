#pragma once
// Writes to MonoRail's documents through the HTTP API: PUT or POST
// /api/resources/{resource}/{id} stores a document, DELETE removes it; each change is then
// published on the bus as RackHD publishes its own (stores/waterline.hpp), so watchers see it
// (docs/backend.md#documents-of-monorail-resources).

#include "transport/http_api.hpp"

#include <optional>
#include <string_view>

namespace herald {

inline constexpr std::string_view resources_path = "/api/resources/";

// `rest` is the target after resources_path, without the query: "{resource}/{id}".
std::optional<http_response> write_resource(transport_context& node, const http_request& request,
                                            std::string_view rest, const http_responder& later);

} // namespace herald
