#include "stores/store_worker.hpp"

#include "util/log.hpp"

#include <exception>

namespace herald {

void store_worker::start(std::function<void()> idle, std::chrono::milliseconds idle_every) {
    std::lock_guard lock(mutex_);
    if (started_) {
        return;
    }
    started_ = true;
    idle_ = std::move(idle);
    idle_every_ = idle_every;
    thread_ = std::thread([this] { loop(); });
}

bool store_worker::run(std::function<void()> job) {
    {
        std::lock_guard lock(mutex_);
        if (stopping_ || !started_ || jobs_.size() >= max_queued_) {
            return false;
        }
        jobs_.push_back(std::move(job));
    }
    wake_.notify_one();
    return true;
}

void store_worker::stop() {
    {
        std::lock_guard lock(mutex_);
        if (stopping_) {
            return;
        }
        stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) {
        thread_.join();
    }
    jobs_.clear();
}

void store_worker::loop() {
    auto last_idle = std::chrono::steady_clock::now();
    for (;;) {
        std::function<void()> job;
        {
            std::unique_lock lock(mutex_);
            wake_.wait_for(lock, idle_every_, [this] { return stopping_ || !jobs_.empty(); });
            if (stopping_) {
                return;
            }
            if (!jobs_.empty()) {
                job = std::move(jobs_.front());
                jobs_.pop_front();
            }
        }
        // A store's job must not throw; one that does is a bug, logged, and the worker goes on
        // so that the other sessions' queries are still answered.
        try {
            if (job) {
                job();
            }
            // Also between jobs of a busy store, so that its notifications are not starved.
            const auto now = std::chrono::steady_clock::now();
            if (idle_ && (!job || now - last_idle >= idle_every_)) {
                last_idle = now;
                idle_();
            }
        } catch (const std::exception& e) {
            log::error("document store: a job threw: {}", e.what());
        }
    }
}

} // namespace herald
