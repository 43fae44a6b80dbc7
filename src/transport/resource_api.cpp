#include "transport/resource_api.hpp"

#include "bus/bus_port.hpp"
#include "protocol/json_raw.hpp"
#include "stores/waterline.hpp"
#include "transport/transport_context.hpp"
#include "util/percent.hpp"

#include <fmt/format.h>

namespace herald {
namespace {

namespace http = boost::beast::http;

http_response answer(const write_result& result) {
    switch (result.status) {
    case store_status::ok:
        break;
    case store_status::unavailable:
        return json_error(503, "store_unavailable", result.error);
    case store_status::overloaded:
        return json_error(503, "store_overloaded", result.error);
    case store_status::failed:
        return json_error(500, "store_failed", result.error);
    }
    if (result.event.empty()) {
        return json_error(404, "not_found", "no document of that id");
    }
    return json_ok(result.event == "created" ? 201 : 200,
                   fmt::format(R"({{"event":"{}","record":{}}})", result.event, result.record));
}

} // namespace

std::optional<http_response> write_resource(transport_context& node, const http_request& request,
                                            std::string_view rest, const http_responder& later) {
    const auto method = request.method();
    if (method != http::verb::put && method != http::verb::post && method != http::verb::delete_) {
        return method_not_allowed("PUT, POST, DELETE");
    }
    if (auto refused = refuse_caller(node, request)) {
        return refused;
    }
    const auto slash = rest.find('/');
    const auto name = percent_decode(rest.substr(0, slash));
    const auto id =
        slash == std::string_view::npos ? std::nullopt : percent_decode(rest.substr(slash + 1));
    if (!name || !id) {
        return json_error(404, "not_found", "use /api/resources/{resource}/{id}");
    }
    const resource* target = node.resources ? node.resources->find(*name) : nullptr;
    if (target == nullptr) {
        return json_error(404, "unknown_resource", fmt::format("no resource \"{}\"", *name));
    }
    if (target->store == nullptr || !target->store->takes_writes()) {
        return json_error(405, "read_only_resource",
                          "this resource's documents are written by its own database's clients");
    }
    if (!waterline::fits_id(*id)) {
        return json_error(400, "invalid_id",
                          "an id is 1 to 200 bytes without '.', '*', '#' or NUL (it becomes the "
                          "last part of a routing key)");
    }
    write_request write{target->collection, *id, {}};
    if (method != http::verb::delete_) {
        write.document = request.body();
        const auto read = json_raw::for_each_member(write.document, [](auto, auto&) {
            return false; // validated whole before the first member; nothing more to see
        });
        if (read != json_raw::object_read::ok) {
            return json_error(
                400, read == json_raw::object_read::not_json ? "invalid_json" : "invalid_document",
                "the body must be one JSON object: the document");
        }
    }
    if (!node.bus.is_ready()) {
        // Written now, the change would reach no watcher: the caller tries again later.
        return json_error(503, "bus_not_ready", node.bus.not_ready_reason());
    }
    // The store answers on its thread; the change goes to the bus from there (bus_port takes
    // any thread). On a broker the caller is answered once the broker took the change, as
    // /api/publish is: a change the caller was told of cannot be overtaken by the caller's next
    // publish, nor lost unsaid when the broker is away.
    target->store->write(std::move(write), [later, &node, target, id = *id](write_result result) {
        if (result.status != store_status::ok || result.event.empty()) {
            later(answer(result));
            return;
        }
        bus_event change{node.resources->waterline_exchange,
                         waterline::routing_key(target->identity, result.event, id),
                         {},
                         waterline::body(result.event, result.record),
                         {}};
        if (node.bus.takes_every_event()) {
            node.bus.publish(std::move(change), nullptr);
            later(answer(result));
            return;
        }
        node.bus.publish(std::move(change), [later, result](std::string_view error) {
            if (error.empty()) {
                later(answer(result));
                return;
            }
            later(json_error(503, "change_not_published",
                             fmt::format("the document is written, but its change did not reach "
                                         "the broker, so no watcher sees it: {}",
                                         error)));
        });
    });
    return std::nullopt;
}

} // namespace herald
