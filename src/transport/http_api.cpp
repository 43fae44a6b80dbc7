#include "transport/http_api.hpp"

#include "bus/bus_port.hpp"
#include "protocol/addressing.hpp"
#include "protocol/json_text.hpp"
#include "protocol/publish_request.hpp"
#include "transport/endpoint_match.hpp"
#include "transport/resource_api.hpp"
#include "transport/transport_context.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/status.hpp>

#include <algorithm>
#include <fmt/format.h>
#include <openssl/crypto.h>

namespace herald {
namespace web {
extern const std::string_view index_html;
}

namespace http = boost::beast::http;

http_response json_ok(unsigned status, std::string body) {
    return {status, "application/json", std::move(body), {}};
}

http_response method_not_allowed(std::string_view allow) {
    auto r = json_error(405, "method_not_allowed", fmt::format("use {}", allow));
    r.extra_headers = fmt::format("Allow: {}\r\n", allow);
    return r;
}

namespace {

bool same_secret(std::string_view given, std::string_view expected) {
    // Constant time for equal lengths, so the key cannot be guessed byte by byte.
    return given.size() == expected.size() &&
           CRYPTO_memcmp(given.data(), expected.data(), given.size()) == 0;
}

// A batch is answered once every event of it has an answer from the bus: 202 when the broker
// took them all, 503 with the reason (and how many it took) otherwise. `counted_as` names the
// count in the answer: {"published":N}, {"sent":N}.
struct pending_batch {
    std::size_t left;
    std::size_t confirmed = 0;
    std::string error;
    http_responder answer;
    std::string_view counted_as;
};

void on_published(pending_batch& batch, std::string_view error) {
    if (error.empty()) {
        ++batch.confirmed;
    } else if (batch.error.empty()) {
        batch.error = std::string(error);
    }
    if (--batch.left > 0) {
        return;
    }
    if (batch.error.empty()) {
        batch.answer(
            json_ok(202, fmt::format(R"({{"{}":{}}})", batch.counted_as, batch.confirmed)));
        return;
    }
    auto r = json_error(503, "bus_unavailable", batch.error);
    r.body.pop_back(); // {"error":…,"detail":…} gets the count of what the broker took
    r.body += fmt::format(R"(,"{}":{}}})", batch.counted_as, batch.confirmed);
    batch.answer(std::move(r));
}

} // namespace

std::optional<http_response> refuse_caller(const transport_context& node,
                                           const http_request& request) {
    if (node.api_key.empty()) {
        return json_error(403, "publishing_disabled",
                          "no api_key is configured (api_key, --api-key or HERALD_API_KEY)");
    }
    const auto authorization = request[http::field::authorization];
    constexpr std::string_view scheme = "Bearer ";
    if (authorization.empty()) {
        auto r = json_error(401, "unauthorized", "send Authorization: Bearer <api key>");
        r.extra_headers = "WWW-Authenticate: Bearer\r\n";
        return r;
    }
    if (authorization.size() <= scheme.size() ||
        !same_secret(authorization.substr(scheme.size()), node.api_key) ||
        !boost::beast::iequals(authorization.substr(0, scheme.size()), scheme)) { // RFC 7235
        return json_error(403, "forbidden", "the API key is wrong");
    }
    return std::nullopt;
}

namespace {

// Hands the events to the bus, in order; answered at once on the memory bus, else once the
// broker took them all.
std::optional<http_response> publish_events(transport_context& node, std::vector<bus_event> events,
                                            const http_responder& later,
                                            std::string_view counted_as) {
    if (!node.bus.is_ready()) {
        return json_error(503, "bus_not_ready", node.bus.not_ready_reason());
    }
    if (node.bus.takes_every_event()) {
        // The memory bus cannot lose an event handed to it: answer now, as the fan-out may
        // take a while and the publisher's next request should not wait behind it.
        const auto count = events.size();
        for (auto& e : events) {
            node.bus.publish(std::move(e), {});
        }
        return json_ok(202, fmt::format(R"({{"{}":{}}})", counted_as, count));
    }
    // Every answer from the bus comes on the bus thread, so the batch needs no lock.
    auto batch =
        std::make_shared<pending_batch>(pending_batch{events.size(), 0, {}, later, counted_as});
    for (auto& e : events) {
        node.bus.publish(std::move(e),
                         [batch](std::string_view error) { on_published(*batch, error); });
    }
    return std::nullopt;
}

std::optional<http_response> publish(transport_context& node, const http_request& request,
                                     const http_responder& later) {
    if (auto refused = refuse_caller(node, request)) {
        return refused;
    }
    auto parsed = parse_publish_request(request.body(), [&node](std::string_view exchange) {
        return node.exchanges.serves(exchange);
    });
    if (!parsed) {
        return json_error(400, parsed.error().error, parsed.error().detail);
    }
    // Herald's own events on the addressing exchanges (registrations) are never a back end's:
    // one forged would close sessions.
    const auto names = node.addressing.all();
    for (const auto& e : *parsed) {
        if (e.event.starts_with(addressing::reserved_event_prefix) &&
            std::find(names.begin(), names.end(), e.exchange) != names.end()) {
            return json_error(400, "invalid_field",
                              "event names starting with \"herald:\" on Herald's addressing "
                              "exchanges are Herald's own");
        }
    }
    std::vector<bus_event> events;
    events.reserve(parsed->size());
    for (auto& e : *parsed) {
        events.push_back({std::move(e.exchange),
                          std::move(e.routing_key),
                          std::move(e.event),
                          std::move(e.payload),
                          {}});
    }
    return publish_events(node, std::move(events), later, "published");
}

// POST /api/send: an event addressed to sessions (protocol/addressing.hpp). A unicast to a
// session of this node that is not open is answered 404 failed_unicast at once; one to
// another node's session travels, and that node tells the lifecycle channel if it fails.
std::optional<http_response> send(transport_context& node, const http_request& request,
                                  const http_responder& later) {
    if (auto refused = refuse_caller(node, request)) {
        return refused;
    }
    auto parsed = addressing::parse_send_request(request.body(), [&node](std::string_view path) {
        return std::find(node.endpoint_paths.begin(), node.endpoint_paths.end(), path) !=
               node.endpoint_paths.end();
    });
    if (!parsed) {
        return json_error(400, parsed.error().error, parsed.error().detail);
    }
    const auto& to = parsed->to;
    if (to.kind == addressing::kind::session &&
        session_id_maker::node_of(to.session) == node.session_ids.node_id() &&
        (node.live == nullptr || !node.live->contains(to.session))) {
        auto r = json_error(
            404, "failed_unicast",
            fmt::format("no session {} on this node", addressing::session_id_text(to.session)));
        r.body.pop_back();
        r.body += fmt::format(R"(,"target":"{}","message":{{"event":)",
                              addressing::session_id_text(to.session));
        json_text::append_string(r.body, parsed->event);
        r.body += R"(,"payload":)" + parsed->payload + "}}";
        return r;
    }
    auto route = addressing::route_of(to, node.addressing);
    std::vector<bus_event> events;
    events.push_back({std::string(route.exchange), std::move(route.routing_key),
                      std::move(parsed->event), std::move(parsed->payload),
                      std::move(route.members)});
    return publish_events(node, std::move(events), later, "sent");
}

// POST /api/notify: a message for an identity's sessions, kept in its mailbox while none is
// connected (docs/backend.md#identities-and-mailboxes). Answered once the store has it.
std::optional<http_response> notify(transport_context& node, const http_request& request,
                                    const http_responder& later) {
    if (auto refused = refuse_caller(node, request)) {
        return refused;
    }
    auto parsed = addressing::parse_notify_request(request.body());
    if (!parsed) {
        return json_error(400, parsed.error().error, parsed.error().detail);
    }
    std::string body = R"({"event":)";
    json_text::append_string(body, parsed->event);
    body += R"(,"payload":)" + parsed->payload + "}";
    node.bus.notify(
        parsed->identity, std::move(body),
        [later, &node, identity = parsed->identity](notify_result result, std::string_view why) {
            switch (result) {
            case notify_result::stored_and_pushed:
                later(json_ok(202, R"({"notified":true})"));
                return;
            case notify_result::stored:
                // The nodes watching the mailbox (any node) take it at the signal.
                node.bus.publish({node.addressing.identity,
                                  identity,
                                  std::string(addressing::mail_signal),
                                  "{}",
                                  {}},
                                 nullptr);
                later(json_ok(202, R"({"notified":true})"));
                return;
            case notify_result::unknown_identity:
                later(json_error(404, "unknown_identity", why));
                return;
            case notify_result::full:
                later(json_error(507, "mailbox_full", why));
                return;
            case notify_result::unavailable:
                later(json_error(503, "mailbox_unavailable", why));
                return;
            }
        });
    return std::nullopt;
}

} // namespace

http_response json_error(unsigned status, std::string_view error, std::string_view detail) {
    std::string body = R"({"error":)";
    json_text::append_string(body, error);
    body += R"(,"detail":)";
    json_text::append_string(body, detail);
    body += '}';
    return json_ok(status, std::move(body));
}

std::optional<http_response> handle_http(transport_context& node, const http_request& request,
                                         const http_responder& later) {
    std::string_view target = request.target();
    target = target.substr(0, target.find('?'));
    const auto method = request.method();
    const bool get = method == http::verb::get;

    if (target == "/api/publish") {
        if (method != http::verb::post) {
            return method_not_allowed("POST");
        }
        return publish(node, request, later);
    }
    if (target == "/api/send") {
        if (method != http::verb::post) {
            return method_not_allowed("POST");
        }
        return send(node, request, later);
    }
    if (target == "/api/notify") {
        if (method != http::verb::post) {
            return method_not_allowed("POST");
        }
        return notify(node, request, later);
    }
    if (target.starts_with(resources_path)) {
        return write_resource(node, request, target.substr(resources_path.size()), later);
    }
    if (target == "/healthz") {
        return get ? json_ok(200, R"({"status":"ok"})") : method_not_allowed("GET");
    }
    if (target == "/readyz") {
        if (!get) {
            return method_not_allowed("GET");
        }
        if (node.draining.load()) {
            return json_error(503, "draining", "the node is shutting down");
        }
        if (!node.bus.is_ready()) {
            return json_error(503, "bus_not_ready", node.bus.not_ready_reason());
        }
        return json_ok(200, R"({"status":"ready"})");
    }
    if (target == "/metrics") {
        if (!get) {
            return method_not_allowed("GET");
        }
        return http_response{
            200, "text/plain; version=0.0.4; charset=utf-8", node.render_metrics(), {}};
    }
    if (target == "/" || target == "/index.html") {
        if (!get) {
            return method_not_allowed("GET");
        }
        return http_response{200, "text/html; charset=utf-8", std::string(web::index_html), {}};
    }
    if (match_endpoint(node.endpoint_paths, target)) {
        auto r = json_error(426, "upgrade_required",
                            "this is a WebSocket endpoint: connect with a WebSocket client");
        r.extra_headers = "Upgrade: websocket\r\n";
        return r;
    }
    return json_error(404, "not_found", fmt::format("no route for {}", target));
}

std::string serialize(const http_response& r, bool keep_alive) {
    return fmt::format("HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n"
                       "Cache-Control: no-store\r\nConnection: {}\r\n{}\r\n{}",
                       r.status, http::obsolete_reason(static_cast<http::status>(r.status)),
                       r.content_type, r.body.size(), keep_alive ? "keep-alive" : "close",
                       r.extra_headers, r.body);
}

} // namespace herald
