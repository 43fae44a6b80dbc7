#include "backend/bus_backend.hpp"

#include "util/log.hpp"

#include <boost/asio/post.hpp>

#include <fmt/format.h>
#include <random>

namespace herald {
namespace {

// How often deadlines are checked: a timeout fires at most this late.
constexpr std::chrono::milliseconds sweep_period{50};

} // namespace

bus_backend::bus_backend(bus_port& bus, backend_settings settings, std::uint16_t node_id)
    : bus_(bus)
    , settings_(std::move(settings))
    , id_prefix_(fmt::format("{:04x}-{:08x}-", node_id, std::random_device{}()))
    , work_(io_.get_executor())
    , sweep_timer_(io_) {
    // Answered right on the bus thread: the pending table is locked, and the completion posts
    // to the session's shard, so a hop through this object's own thread would only add latency.
    bus_.on_reply([this](std::string_view correlation_id, std::string_view body) {
        answer(std::string(correlation_id), std::string(body));
    });
}

bus_backend::~bus_backend() {
    stop();
}

void bus_backend::start() {
    if (thread_.joinable()) {
        return;
    }
    expire();
    thread_ = std::thread([this] { io_.run(); });
}

void bus_backend::stop() {
    if (!thread_.joinable()) {
        return;
    }
    io_.stop();
    thread_.join();
}

void bus_backend::ask(std::string_view, std::string request, completion done) {
    std::unique_lock lock(mutex_);
    if (pending_.size() >= settings_.max_pending) {
        counters_.replies[static_cast<std::size_t>(backend_status::overloaded)].add(); // locked
        lock.unlock();
        failures_.note(backend_status::overloaded, "[backend] max_pending requests are pending");
        done({backend_status::overloaded, "more than [backend] max_pending requests pending"});
        return;
    }
    std::string id = id_prefix_ + fmt::format("{:x}", ++next_id_);
    pending_.emplace(id, pending{std::move(done)});
    deadlines_.emplace_back(clock::now() + settings_.timeout, id);
    counters_.pending.add();
    lock.unlock();
    // `done` runs on the bus thread; a failure may come from inside this call.
    bus_.send_request({settings_.queue, id, std::move(request)},
                      [this, id](std::string_view error) {
                          if (!error.empty()) {
                              finish(id, backend_status::unavailable, std::string(error));
                          }
                      });
}

void bus_backend::answer(const std::string& correlation_id, std::string body) {
    bool waiting = false;
    {
        std::lock_guard lock(mutex_);
        waiting = pending_.find(correlation_id) != pending_.end();
        if (!waiting) {
            counters_.late_answers.add(); // its writers hold the lock, as every counter's here
        }
    }
    if (!waiting) {
        if (late_log_.allow()) {
            log::warn("back end: an answer for request {} that is not waiting (late, answered "
                      "twice, or not this node's); {} so far",
                      correlation_id, late_log_.occurrences());
        }
        return;
    }
    if (body.size() > settings_.max_answer_bytes) {
        finish(correlation_id, backend_status::bad_answer,
               fmt::format("an answer over [backend] max_answer_bytes ({})",
                           settings_.max_answer_bytes));
        return;
    }
    finish(correlation_id, backend_status::answered, std::move(body));
}

void bus_backend::finish(const std::string& correlation_id, backend_status status,
                         std::string body) {
    completion done;
    {
        std::lock_guard lock(mutex_);
        auto it = pending_.find(correlation_id);
        if (it == pending_.end()) {
            return; // already timed out, or answered
        }
        done = std::move(it->second.done);
        pending_.erase(it);
        counters_.pending.sub();
        counters_.replies[static_cast<std::size_t>(status)].add();
    }
    failures_.note(status, body);
    done({status, std::move(body)}); // outside the lock: it posts to the session's shard
}

void bus_backend::expire() {
    const auto now = clock::now();
    std::vector<std::string> due;
    {
        std::lock_guard lock(mutex_);
        while (!deadlines_.empty() && deadlines_.front().first <= now) {
            due.push_back(std::move(deadlines_.front().second));
            deadlines_.pop_front(); // one answered already is simply gone from pending_
        }
    }
    for (const auto& id : due) {
        finish(id, backend_status::timeout, "no answer in time");
    }
    sweep_timer_.expires_after(sweep_period);
    sweep_timer_.async_wait([this](const error_code& ec) {
        if (!ec) {
            expire();
        }
    });
}

} // namespace herald
