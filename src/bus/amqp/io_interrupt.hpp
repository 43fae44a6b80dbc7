#pragma once

#include <atomic>
#include <mutex>

namespace herald {

// How the bus thread stops the bus's I/O thread, which spends its time in poll() and in
// rabbitmq-c's blocking calls. raise() sets a flag and makes fd() readable, which ends any
// poll that includes it (a TCP connect, a backoff pause, the wait for frames); cut() shuts the
// broker socket down, which makes a blocking rabbitmq-c call (login, an RPC, a send the broker
// does not read) fail at once.
//
// Thread-safe: the bus thread calls raise() and cut(); the I/O thread the rest.
class io_interrupt {
public:
    io_interrupt();
    ~io_interrupt();
    io_interrupt(const io_interrupt&) = delete;
    io_interrupt& operator=(const io_interrupt&) = delete;

    void raise();
    bool raised() const { return raised_.load(std::memory_order_acquire); }
    int fd() const { return event_fd_; }

    // The I/O thread's current broker socket. Kept as a dup of its own, so that cut() never
    // hits a descriptor number rabbitmq-c has closed and the process has handed out again.
    void arm(int socket_fd);
    void disarm();
    // Shuts the armed socket down, and any socket armed after this.
    void cut();

private:
    std::atomic<bool> raised_{false};
    int event_fd_ = -1;
    std::mutex mutex_;
    int socket_ = -1; // the dup; guarded by mutex_
    bool cut_ = false;
};

} // namespace herald
