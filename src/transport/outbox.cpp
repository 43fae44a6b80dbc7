#include "transport/outbox.hpp"

#include <algorithm>
#include <cassert>

namespace herald {
namespace {

// Written slots are erased from the front once they are this many and at least half of the
// vector, so a client that always lags a little (never quite drained) does not grow the vector
// by one slot per frame it has ever been sent; the halving keeps the erase amortised O(1).
constexpr std::size_t compact_after = 32;

} // namespace

outbox::outbox(std::size_t max_refused_bytes)
    : max_refused_(max_refused_bytes) {}

void outbox::push(shared_frame frame) {
    if (!frame || frame->empty()) {
        return; // no bytes would ever advance past it
    }
    pending_ += frame->size();
    frames_.push_back(std::move(frame));
}

int outbox::gather(iovec* iov) const {
    int count = 0;
    for (std::size_t i = head_; i < frames_.size() && count < max_iovecs; ++i) {
        const std::size_t skip = i == head_ ? head_offset_ : 0;
        // iovec is shared by readv and writev, hence the non-const base; sendmsg only reads.
        iov[count++] = {const_cast<char*>(frames_[i]->data() + skip), frames_[i]->size() - skip};
    }
    return count;
}

void outbox::advance(std::size_t sent) {
    assert(sent <= pending_);
    sent = std::min(sent, pending_); // a sender claiming more than it was given is a bug
    pending_ -= sent;
    while (sent > 0) {
        const std::size_t rest = frames_[head_]->size() - head_offset_;
        if (sent < rest) {
            head_offset_ += sent;
            break;
        }
        sent -= rest;
        frames_[head_++].reset(); // the last connection to send a frame frees it
        head_offset_ = 0;
    }
    if (head_ == frames_.size()) {
        frames_.clear();
        head_ = 0;
        if (frames_.capacity() > kept_capacity) {
            std::vector<shared_frame>().swap(frames_); // idle connections hold no burst
        }
    } else if (head_ >= compact_after && head_ * 2 >= frames_.size()) {
        frames_.erase(frames_.begin(), frames_.begin() + static_cast<std::ptrdiff_t>(head_));
        head_ = 0;
    }
}

outbox::write_status outbox::note_would_block() {
    refused_ = pending_;
    return write_status::would_block;
}

outbox::write_status outbox::note_drained() {
    forget_refusals(); // the client caught up
    return write_status::drained;
}

bool outbox::tick() {
    // A strike is a tick that finds the kernel refusing over the limit while the client made no
    // headway since the previous tick: the backlog did not shrink. A fast reader handed a burst
    // larger than the limit shrinks it from tick to tick; a reader that takes less than arrives
    // grows it. Ticks are a quarter second apart, so the client always had its chance to read.
    const bool over = refused_ > max_refused_ && pending_ > max_refused_;
    if (!over || pending_ < pending_at_last_tick_) {
        strikes_ = 0;
    } else if (strikes_ < 2) {
        ++strikes_;
    }
    pending_at_last_tick_ = over ? pending_ : 0;
    return is_slow_consumer();
}

void outbox::forget_refusals() {
    refused_ = 0;
    strikes_ = 0;
    pending_at_last_tick_ = 0;
}

void outbox::drop_unsent() {
    if (head_offset_ == 0) {
        clear();
        return;
    }
    shared_frame started = std::move(frames_[head_]);
    const std::size_t offset = head_offset_;
    clear();
    head_offset_ = offset;
    pending_ = started->size() - offset;
    frames_.push_back(std::move(started));
}

void outbox::clear() {
    std::vector<shared_frame>().swap(frames_);
    head_ = 0;
    head_offset_ = 0;
    pending_ = 0;
    forget_refusals();
}

} // namespace herald
