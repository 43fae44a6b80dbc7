#include "backend/http_backend.hpp"

// g++ 12 warns that Asio's coroutine frames are freed by a mismatched operator delete: a
// false positive of its coroutine lowering (Asio allocates and frees the frame with its own
// matching pair). Clang builds of this file see no such warning.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include "util/log.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>

#include <fmt/format.h>
#include <stdexcept>

namespace herald {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);
// How often queued requests are checked against their deadline while every connection is busy.
constexpr std::chrono::milliseconds sweep_period{50};
constexpr std::uint32_t max_answer_header_bytes = 16 * 1024;

backend_reply failure(backend_status status, std::string why) {
    return {status, std::move(why)};
}

bool timed_out(const error_code& ec) {
    return ec == beast::error::timeout;
}

// A reused keep-alive connection may have been closed by the server while idle: the request
// then fails before any answer byte, and is safe to send again on a new connection.
bool stale_connection(const error_code& ec) {
    return ec == http::error::end_of_stream || ec == net::error::eof ||
           ec == net::error::connection_reset || ec == net::error::broken_pipe;
}

} // namespace

http_backend::http_backend(backend_settings settings)
    : settings_(std::move(settings))
    , work_(io_.get_executor())
    , sweep_timer_(io_) {
    const auto url = boost::urls::parse_absolute_uri(settings_.url);
    if (!url || url->scheme() != "http" || url->encoded_host().empty()) {
        throw std::invalid_argument("must be an http://host[:port][/path] URL");
    }
    host_ = std::string(url->encoded_host_address());
    port_ = url->has_port() ? std::string(url->port()) : "80";
    target_ = std::string(url->encoded_path());
    if (target_.empty()) {
        target_ = "/";
    }
    if (url->has_query()) {
        target_ += "?" + std::string(url->encoded_query());
    }
    if (host_.starts_with('[') && host_.ends_with(']')) {
        host_ = host_.substr(1, host_.size() - 2); // the resolver takes an IPv6 literal bare
    }
}

http_backend::~http_backend() {
    stop();
}

void http_backend::start() {
    if (started_) {
        return;
    }
    started_ = true;
    for (std::size_t i = 0; i < settings_.connections; ++i) {
        net::co_spawn(io_, worker(i), net::detached);
    }
    expire_queued();
    thread_ = std::thread([this] { io_.run(); });
}

void http_backend::stop() {
    if (!thread_.joinable()) {
        return;
    }
    io_.stop();
    thread_.join();
}

void http_backend::ask(std::string_view kind, std::string request, completion done) {
    job j{std::string(kind), std::move(request), std::move(done), clock::now() + settings_.timeout};
    net::post(io_, [this, j = std::move(j)]() mutable { enqueue(std::move(j)); });
}

void http_backend::enqueue(job j) {
    if (static_cast<std::size_t>(counters_.pending.value()) >= settings_.max_pending) {
        counters_.replies[static_cast<std::size_t>(backend_status::overloaded)].add();
        failures_.note(backend_status::overloaded, "[backend] max_pending requests are pending");
        j.done({backend_status::overloaded, "more than [backend] max_pending requests pending"});
        return;
    }
    counters_.pending.add();
    queue_.push_back(std::move(j));
    if (!idle_workers_.empty()) {
        net::steady_timer* wake = idle_workers_.back();
        idle_workers_.pop_back();
        wake->cancel();
    }
}

void http_backend::finish(job& j, backend_status status, std::string body) {
    failures_.note(status, body);
    counters_.pending.sub();
    counters_.replies[static_cast<std::size_t>(status)].add();
    j.done({status, std::move(body)});
}

// Requests all have the same timeout, so the queue is in deadline order: only its front can
// be due.
void http_backend::expire_queued() {
    const auto now = clock::now();
    while (!queue_.empty() && queue_.front().deadline <= now) {
        job j = std::move(queue_.front());
        queue_.pop_front();
        finish(j, backend_status::timeout, "no connection to the back end was free in time");
    }
    sweep_timer_.expires_after(sweep_period);
    sweep_timer_.async_wait([this](const error_code& ec) {
        if (!ec) {
            expire_queued();
        }
    });
}

net::awaitable<void> http_backend::worker(std::size_t) {
    tcp::socket socket(io_);
    for (;;) {
        if (queue_.empty()) {
            net::steady_timer wake(io_, clock::time_point::max());
            idle_workers_.push_back(&wake);
            co_await wake.async_wait(use_tuple); // enqueue() cancels it: a job is there
            std::erase(idle_workers_, &wake);
            continue;
        }
        job j = std::move(queue_.front());
        queue_.pop_front();
        bool reused = false;
        backend_reply reply = co_await post(socket, j, reused);
        if (reply.status == backend_status::unavailable && reused) {
            reply = co_await post(socket, j, reused); // once, on a fresh connection
        }
        finish(j, reply.status, std::move(reply.body));
    }
}

// One request on `socket` (connected first if it is not); closes it when it cannot be reused.
// `reused` tells whether the request went out on a connection kept from before and failed as a
// stale one would: the caller may then try once more.
net::awaitable<backend_reply> http_backend::post(tcp::socket& socket, const job& j, bool& reused) {
    beast::tcp_stream stream(std::move(socket));
    const bool kept = stream.socket().is_open();
    reused = false;
    auto give_back = [&] {
        socket = stream.release_socket();
    };
    auto close = [&] {
        error_code ignored;
        stream.socket().close(ignored);
        give_back();
    };
    auto io_failure = [&](std::string_view step, const error_code& ec) {
        close();
        return failure(timed_out(ec) ? backend_status::timeout : backend_status::unavailable,
                       fmt::format("{} {}:{}: {}", step, host_, port_, ec.message()));
    };

    stream.expires_at(j.deadline);
    if (!kept) {
        tcp::resolver resolver(io_);
        auto [resolve_error, addresses] = co_await resolver.async_resolve(host_, port_, use_tuple);
        if (resolve_error) {
            co_return io_failure("resolving", resolve_error);
        }
        auto [connect_error, peer] = co_await stream.async_connect(addresses, use_tuple);
        if (connect_error) {
            co_return io_failure("connecting to", connect_error);
        }
    }

    http::request<http::string_body> request{http::verb::post, target_, 11};
    request.set(http::field::host, port_ == "80" ? host_ : host_ + ":" + port_);
    request.set(http::field::content_type, "application/json");
    request.set(http::field::user_agent, "herald");
    request.set("X-Herald-Kind", j.kind);
    request.keep_alive(true);
    request.body() = j.body;
    request.prepare_payload();
    auto [write_error, written] = co_await http::async_write(stream, request, use_tuple);
    if (write_error) {
        reused = kept && stale_connection(write_error);
        co_return io_failure("writing to", write_error);
    }

    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.header_limit(max_answer_header_bytes);
    parser.body_limit(settings_.max_answer_bytes);
    auto [read_error, read] = co_await http::async_read(stream, buffer, parser, use_tuple);
    if (read_error == http::error::body_limit || read_error == http::error::header_limit) {
        close();
        co_return failure(backend_status::bad_answer,
                          fmt::format("an answer over [backend] max_answer_bytes ({})",
                                      settings_.max_answer_bytes));
    }
    if (read_error) {
        reused = kept && !parser.got_some() && stale_connection(read_error);
        co_return io_failure("reading from", read_error);
    }
    auto& response = parser.get();
    if (response.keep_alive() && buffer.size() == 0) {
        give_back();
    } else {
        close(); // the server ends it, or sent more than one answer
    }
    const unsigned status = response.result_int();
    if (status < 200 || status > 299) {
        co_return failure(backend_status::unavailable,
                          fmt::format("the back end answered HTTP {}", status));
    }
    std::string body = std::move(response.body());
    if (body.empty()) {
        body = "{}"; // 204, or 200 with no body: an answer without members
    }
    co_return backend_reply{backend_status::answered, std::move(body)};
}

} // namespace herald
