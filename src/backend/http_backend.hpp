#pragma once

#include "backend/backend.hpp"
#include "backend/backend_settings.hpp"
#include "backend/failure_log.hpp"
#include "util/net.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <deque>
#include <string>
#include <thread>
#include <vector>

namespace herald {

// The back end over HTTP/1.1: each request is a POST of its JSON to one URL, on a pool of at
// most `connections` keep-alive connections. Requests wait in one queue, in order; each has
// one deadline, from the ask, for queueing, connecting, writing and reading together.
// Owns its thread and io_context; everything but ask() and counters() runs there.
class http_backend final : public backend {
public:
    // Throws std::invalid_argument when the URL is not http://host[:port][/path].
    explicit http_backend(backend_settings settings);
    ~http_backend() override;

    void ask(std::string_view kind, std::string request, completion done) override;
    void start() override;
    void stop() override;
    const backend_counters& counters() const override { return counters_; }

private:
    using clock = std::chrono::steady_clock;
    struct job {
        std::string kind;
        std::string body;
        completion done;
        clock::time_point deadline;
    };

    void enqueue(job j);
    void finish(job& j, backend_status status, std::string body);
    net::awaitable<void> worker(std::size_t number);
    net::awaitable<backend_reply> post(tcp::socket& socket, const job& j, bool& reused);
    void expire_queued();

    backend_settings settings_;
    std::string host_;
    std::string port_;
    std::string target_;
    backend_counters counters_;
    backend_failure_log failures_;
    net::io_context io_{1};
    net::executor_work_guard<net::io_context::executor_type> work_;
    std::thread thread_;
    std::deque<job> queue_;
    std::vector<net::steady_timer*> idle_workers_; // each waits on its timer for a job
    net::steady_timer sweep_timer_;
    bool started_ = false;
};

} // namespace herald
