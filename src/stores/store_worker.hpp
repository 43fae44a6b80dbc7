#pragma once
// The thread a document store works on, so that no query ever blocks a shard: jobs run one at
// a time, in the order given, and at most `max_queued` wait; past that a job is refused at
// once (the caller answers overloaded) instead of queueing without bound.

#include "stores/document_store.hpp"

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace herald {

// Owned by its store. run() from any thread; the jobs run on the worker's own thread. stop()
// finishes the running job, drops the waiting ones (each job must then answer nothing: stop
// means nobody waits) and joins.
class store_worker {
public:
    explicit store_worker(std::size_t max_queued = 1024)
        : max_queued_(max_queued) {}
    ~store_worker() { stop(); }
    store_worker(const store_worker&) = delete;
    store_worker& operator=(const store_worker&) = delete;

    // `idle` runs on the worker between jobs, at least every `idle_every` (a store polling its
    // connection: PostgreSQL's notifications); may be empty.
    void start(std::function<void()> idle = {},
               std::chrono::milliseconds idle_every = std::chrono::milliseconds(250));
    // False when the queue is full or the worker is stopped: the job was not taken.
    bool run(std::function<void()> job);
    // A store's request: `work` returns its Result (find_result, write_result) on the worker,
    // handed to `done` there; a request the queue refuses is answered overloaded at once.
    template <class Work, class Result> void answer(Work work, std::function<void(Result)> done) {
        auto job = [work = std::move(work), done]() mutable {
            done(work());
        };
        if (!run(std::move(job))) {
            Result refused;
            refused.status = store_status::overloaded;
            refused.error = "the document store has too many requests waiting";
            done(std::move(refused));
        }
    }
    void stop();

private:
    void loop();

    const std::size_t max_queued_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void()>> jobs_;
    std::function<void()> idle_;
    std::chrono::milliseconds idle_every_{250};
    bool stopping_ = false;
    bool started_ = false;
    std::thread thread_;
};

} // namespace herald
