#pragma once

#include <cerrno>
#include <cstddef>
#include <memory>
#include <string>
#include <sys/types.h>
#include <sys/uio.h>
#include <vector>

namespace herald {

// One complete WebSocket frame, built once and shared by every connection that sends it
// (the same alias as in pubsub/topic.hpp; repeating it keeps this header free of pubsub).
using shared_frame = std::shared_ptr<const std::string>;

// Frames waiting to leave one connection, in order, each shared with every other connection
// that sends it. Pushing never writes and never refuses: the slow-consumer rule looks only at
// what the kernel refused, so a burst that lands before the first write cannot by itself close
// a client that reads fast (uWebSockets' backpressure measures the same thing).
// Lives on its connection's shard thread.
class outbox {
public:
    enum class write_status {
        drained,     // everything was written
        would_block, // the kernel took what it could; wait until the socket is writable
        failed,      // the sender failed; errno says why
    };

    // sendmsg() takes up to IOV_MAX (1024) iovecs; 64 frames per call is already far more
    // than the kernel usually takes at once, and keeps the array small on the stack.
    static constexpr int max_iovecs = 64;
    // An idle connection keeps this many slots at most: a quiet session reuses them without
    // allocating, and the memory of a burst is returned once the burst has left.
    static constexpr std::size_t kept_capacity = 16;

    explicit outbox(std::size_t max_refused_bytes);
    outbox(const outbox&) = delete;
    outbox& operator=(const outbox&) = delete;

    // Always accepted; never writes. A null or empty frame has nothing to send and is ignored.
    void push(shared_frame frame);

    bool empty() const { return pending_ == 0; }
    // Bytes not yet written, including the unsent part of a half-sent frame.
    std::size_t pending_bytes() const { return pending_; }
    // Frames not yet written in full, counting a half-sent one.
    std::size_t pending_frames() const { return frames_.size() - head_; }

    // Writes as much as `send` takes. `send(const iovec* iov, int count) -> ssize_t` behaves
    // like sendmsg() with MSG_DONTWAIT: bytes written, or -1 with errno (EINTR: retried;
    // EAGAIN/EWOULDBLOCK: would_block; anything else: failed, with errno left as the sender
    // set it). A sender that takes nothing without an error counts as would_block, so this
    // never spins. `written` receives the bytes written by this call, whatever the outcome.
    template <class Send> write_status write(Send&& send, std::size_t& written);

    // The slow-consumer rule, checked on the owner's tick (every 250 ms), after it tried to
    // write: true once two ticks in a row find more than max_refused_bytes refused by the
    // kernel and no fewer bytes pending than the tick before. The client had a quarter second
    // between the ticks to read and did not keep up. A burst that the kernel only partly takes
    // is never enough: a fast reader shrinks the backlog from one tick to the next. Returns
    // is_slow_consumer().
    bool tick();
    bool is_slow_consumer() const { return strikes_ >= 2; }
    // Past this many pending bytes the client is a slow consumer at once, whatever the ticks
    // say: the memory one session may pin between two ticks while events flood in.
    bool is_beyond_hard_limit() const { return pending_ > hard_limit_factor * max_refused_; }
    static constexpr std::size_t hard_limit_factor = 8;
    // Pending bytes after the last attempt, if it would block; 0 after a drained write.
    std::size_t refused_bytes() const { return refused_; }
    std::size_t max_refused_bytes() const { return max_refused_; }

    // Drops every frame not yet started, keeping a half-sent frame: the peer must receive it
    // whole, or a close frame queued behind it would be read as garbage. The refusals counted
    // so far are forgotten, as the bytes they measured are gone.
    void drop_unsent();
    // Drops everything and releases the memory, forgetting past refusals.
    void clear();

    // Slots the storage holds; for tests and memory accounting.
    std::size_t slot_capacity() const { return frames_.capacity(); }

private:
    // Fills `iov` with the unsent bytes, from the head, up to max_iovecs entries; returns how
    // many it filled (at least 1 unless the outbox is empty).
    int gather(iovec* iov) const;
    // Marks `sent` bytes (at most pending_bytes()) as written, releasing finished frames.
    void advance(std::size_t sent);
    write_status note_would_block();
    write_status note_drained();
    void forget_refusals();

    std::vector<shared_frame> frames_;
    std::size_t head_ = 0;        // frames_[0..head_) are written (and already reset)
    std::size_t head_offset_ = 0; // bytes of frames_[head_] already written
    std::size_t pending_ = 0;     // bytes not yet written
    std::size_t refused_ = 0;     // pending_ after the last attempt, if it would block
    std::size_t max_refused_;
    std::size_t pending_at_last_tick_ = 0; // when over the limit then; else 0
    unsigned strikes_ = 0;                 // ticks in a row over the limit without headway
};

template <class Send> outbox::write_status outbox::write(Send&& send, std::size_t& written) {
    written = 0;
    while (!empty()) {
        iovec iov[max_iovecs];
        const int count = gather(iov);
        const ssize_t sent = send(static_cast<const iovec*>(iov), count);
        if (sent < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                return note_would_block();
            }
            return write_status::failed;
        }
        if (sent == 0) {
            return note_would_block();
        }
        advance(static_cast<std::size_t>(sent));
        written += static_cast<std::size_t>(sent);
    }
    return note_drained();
}

} // namespace herald
