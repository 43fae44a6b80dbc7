#include "consumer_thread.hpp"

#include "broker_clients.hpp"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <future>
#include <pthread.h>
#include <sched.h>
#include <thread>
#include <unistd.h>

namespace herald_bench {
namespace {

// One message the consumer took: the publisher's stamp, or not_an_event.
struct record {
    std::int64_t sent_ns;
    std::int64_t received_ns;
};
constexpr std::int64_t not_an_event = -1;

class consumer_thread final : public bare_consumer, private delivery_sink {
public:
    explicit consumer_thread(run_state& run)
        : run_(run) {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) {
            die("pipe2: " + errno_text(errno));
        }
        read_fd_ = fds[0];
        write_fd_ = fds[1]; // blocking: a full pipe holds the consumer back, nothing is lost
        if (::fcntl(read_fd_, F_SETFL, O_NONBLOCK) != 0) {
            die("fcntl: " + errno_text(errno));
        }
        std::promise<void> subscribed;
        auto ready = subscribed.get_future();
        thread_ = std::thread([this, &subscribed] { serve(subscribed); });
        native_ = thread_.native_handle();
        ready.wait(); // a consumer that cannot start ends the process (die)
        run_.consumer_ready();
        run_.loop.watch(read_fd_, *this, EPOLLIN);
    }

    ~consumer_thread() override {
        stopping_ = true;
        // A consumer blocked on a full pipe would never see stopping_: empty it until it ends.
        while (!finished_) {
            discard_records();
            ::usleep(1000);
        }
        thread_.join();
        ::close(read_fd_);
        ::close(write_fd_);
    }
    consumer_thread(const consumer_thread&) = delete;
    consumer_thread& operator=(const consumer_thread&) = delete;

    double cpu_seconds() const override {
        clockid_t clock{};
        timespec used{};
        if (pthread_getcpuclockid(native_, &clock) != 0 || clock_gettime(clock, &used) != 0) {
            return 0;
        }
        return static_cast<double>(used.tv_sec) + static_cast<double>(used.tv_nsec) / 1e9;
    }

    // The load generator's side: whole records from the pipe.
    void on_ready(std::uint32_t) override {
        for (;;) {
            const ssize_t n = ::read(read_fd_, inbox_.data() + held_, inbox_.size() - held_);
            if (n <= 0) {
                if (n < 0 && errno != EAGAIN && errno != EINTR) {
                    die("reading the consumer's pipe: " + errno_text(errno));
                }
                return;
            }
            held_ += static_cast<std::size_t>(n);
            const std::size_t whole = held_ / sizeof(record);
            for (std::size_t i = 0; i < whole; ++i) {
                record r{};
                std::memcpy(&r, inbox_.data() + i * sizeof(record), sizeof r);
                if (r.sent_ns == not_an_event) {
                    run_.unexpected_message("a message without a \"t\" stamp");
                } else {
                    run_.delivered(r.sent_ns, r.received_ns);
                }
            }
            held_ -= whole * sizeof(record);
            std::memmove(inbox_.data(), inbox_.data() + whole * sizeof(record), held_);
        }
    }

private:
    // The consumer's thread.
    void serve(std::promise<void>& subscribed) {
        pin();
        event_loop loop;
        const auto consumer = run_.settings.target == target_kind::bare_amqp
                                  ? open_bare_amqp_consumer(run_.settings, loop, *this)
                                  : open_bare_redis_consumer(run_.settings, loop, *this);
        subscribed.set_value();
        while (!stopping_) {
            loop.run_once(10);
            send_records();
        }
        finished_ = true;
    }

    void discard_records() {
        while (::read(read_fd_, inbox_.data(), inbox_.size()) > 0) {
        }
    }

    void pin() const {
        if (run_.settings.consumer_cpu < 0) {
            return;
        }
        cpu_set_t cpus;
        CPU_ZERO(&cpus);
        CPU_SET(run_.settings.consumer_cpu, &cpus);
        if (const int error = pthread_setaffinity_np(pthread_self(), sizeof cpus, &cpus);
            error != 0) {
            die("--consumer-cpu " + std::to_string(run_.settings.consumer_cpu) + ": " +
                errno_text(error));
        }
    }

    void delivered(std::string_view message, std::int64_t received_ns) override {
        const auto sent = sent_time_of(message);
        outbox_.push_back({sent ? *sent : not_an_event, received_ns});
    }

    // What one turn of the loop took, in one write.
    void send_records() {
        const char* bytes = reinterpret_cast<const char*>(outbox_.data());
        std::size_t left = outbox_.size() * sizeof(record);
        while (left > 0) {
            const ssize_t n = ::write(write_fd_, bytes, left);
            if (n < 0) {
                if (errno == EINTR) {
                    continue;
                }
                die("writing the consumer's pipe: " + errno_text(errno));
            }
            bytes += n;
            left -= static_cast<std::size_t>(n);
        }
        outbox_.clear();
    }

    run_state& run_; // settings only, on the consumer's thread
    int read_fd_ = -1;
    int write_fd_ = -1;
    std::atomic<bool> stopping_ = false;
    std::atomic<bool> finished_ = false;
    std::thread thread_;
    pthread_t native_{};                  // thread_'s, for its CPU clock
    std::vector<record> outbox_;          // the consumer's thread
    std::array<char, 64 * 1024> inbox_{}; // the load generator's
    std::size_t held_ = 0;
};

} // namespace

std::unique_ptr<bare_consumer> start_bare_consumer(run_state& run) {
    return std::make_unique<consumer_thread>(run);
}

} // namespace herald_bench
