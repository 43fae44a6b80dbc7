#include "bus/amqp/io_interrupt.hpp"

#include <cstdint>
#include <fcntl.h>
#include <stdexcept>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

namespace herald {

io_interrupt::io_interrupt()
    : event_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    if (event_fd_ < 0) {
        throw std::runtime_error("eventfd failed");
    }
}

io_interrupt::~io_interrupt() {
    disarm();
    ::close(event_fd_);
}

void io_interrupt::raise() {
    raised_.store(true, std::memory_order_release);
    // Never read back: once raised, the descriptor stays readable for every later poll.
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto n = ::write(event_fd_, &one, sizeof one);
}

void io_interrupt::arm(int socket_fd) {
    std::lock_guard lock(mutex_);
    if (socket_ >= 0) {
        ::close(socket_);
    }
    socket_ = ::fcntl(socket_fd, F_DUPFD_CLOEXEC, 0);
    if (cut_ && socket_ >= 0) {
        ::shutdown(socket_, SHUT_RDWR);
    }
}

void io_interrupt::disarm() {
    std::lock_guard lock(mutex_);
    if (socket_ >= 0) {
        ::close(socket_);
        socket_ = -1;
    }
}

void io_interrupt::cut() {
    std::lock_guard lock(mutex_);
    cut_ = true;
    if (socket_ >= 0) {
        ::shutdown(socket_, SHUT_RDWR);
    }
}

} // namespace herald
