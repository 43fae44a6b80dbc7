#include "bus/amqp/command_queue.hpp"

#include <algorithm>
#include <cerrno>
#include <poll.h>
#include <stdexcept>
#include <sys/eventfd.h>
#include <unistd.h>

namespace herald {

command_queue::command_queue()
    : event_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    if (event_fd_ < 0) {
        throw std::runtime_error("eventfd failed");
    }
}

command_queue::~command_queue() {
    ::close(event_fd_);
}

void command_queue::push(io_command command) {
    bool was_empty = false;
    {
        std::lock_guard lock(mutex_);
        was_empty = commands_.empty();
        commands_.push_back(std::move(command));
    }
    // One wake-up per batch: the I/O thread takes everything queued when it wakes.
    if (was_empty) {
        const std::uint64_t one = 1;
        [[maybe_unused]] const auto n = ::write(event_fd_, &one, sizeof one);
    }
}

std::vector<io_command> command_queue::take() {
    // Cleared before the swap: a push after the swap finds the queue empty and wakes us again.
    std::uint64_t count = 0;
    [[maybe_unused]] const auto n = ::read(event_fd_, &count, sizeof count);
    std::vector<io_command> out;
    std::lock_guard lock(mutex_);
    out.swap(commands_);
    return out;
}

bool command_queue::wait(int socket_fd, int interrupt_fd, std::chrono::milliseconds timeout) {
    pollfd fds[3] = {{event_fd_, POLLIN, 0}, {interrupt_fd, POLLIN, 0}, {socket_fd, POLLIN, 0}};
    const nfds_t count = socket_fd >= 0 ? 3 : 2;
    const int ms =
        static_cast<int>(std::clamp<std::chrono::milliseconds::rep>(timeout.count(), 0, 60'000));
    if (::poll(fds, count, ms) <= 0) {
        return false; // timeout, or EINTR: the caller's loop comes back here
    }
    return count == 3 && (fds[2].revents & (POLLIN | POLLHUP | POLLERR)) != 0;
}

} // namespace herald
