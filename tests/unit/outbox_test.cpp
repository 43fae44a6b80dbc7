#include "transport/outbox.hpp"

#include <cerrno>
#include <cstdint>
#include <deque>
#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace herald {
namespace {

// Stands in for sendmsg() with MSG_DONTWAIT: takes at most `per_call` bytes a call and `room`
// bytes in all (the free space of the socket buffer, which grows when the client reads),
// failing with EAGAIN when there is none; plays the scripted errors first.
struct fake_socket {
    std::size_t per_call = SIZE_MAX;
    std::size_t room = std::size_t{1} << 40;
    std::deque<int> errors;      // errno of the next calls, before any byte is taken
    bool takes_nothing = false;  // returns 0 without an error
    std::string received;        // every byte taken, in order
    std::vector<int> iov_counts; // one entry per call

    auto sender() {
        return [this](const iovec* iov, int count) -> ssize_t {
            iov_counts.push_back(count);
            if (!errors.empty()) {
                errno = errors.front();
                errors.pop_front();
                return -1;
            }
            if (takes_nothing) {
                return 0;
            }
            const std::size_t budget = std::min(per_call, room);
            if (budget == 0) {
                errno = EAGAIN;
                return -1;
            }
            std::size_t taken = 0;
            for (int i = 0; i < count && taken < budget; ++i) {
                const std::size_t n = std::min(iov[i].iov_len, budget - taken);
                received.append(static_cast<const char*>(iov[i].iov_base), n);
                taken += n;
            }
            room -= taken;
            return static_cast<ssize_t>(taken);
        };
    }

    void client_reads(std::size_t bytes) { room += bytes; }
};

shared_frame frame(std::string bytes) {
    return std::make_shared<const std::string>(std::move(bytes));
}

// A frame of `size` bytes, all `fill`, so the order of frames shows in what was received.
shared_frame frame_of(std::size_t size, char fill) {
    return frame(std::string(size, fill));
}

outbox::write_status write_to(outbox& box, fake_socket& socket, std::size_t& written) {
    return box.write(socket.sender(), written);
}

outbox::write_status write_to(outbox& box, fake_socket& socket) {
    std::size_t written = 0;
    return box.write(socket.sender(), written);
}

TEST(outbox, frames_leave_in_order_and_whole_across_partial_sends_that_cut_them) {
    outbox box(1000);
    box.push(frame("hello"));
    box.push(frame("-world-"));
    box.push(frame("abc"));
    box.push(frame("0123456789x"));
    fake_socket socket;
    socket.per_call = 4; // cuts frames 1, 2 and 4 in the middle, and spans frame 3

    std::size_t written = 0;
    EXPECT_EQ(write_to(box, socket, written), outbox::write_status::drained);
    EXPECT_EQ(socket.received, "hello-world-abc0123456789x");
    EXPECT_EQ(written, 26u);
    EXPECT_EQ(socket.iov_counts.size(), 7u); // ceil(26 / 4)
    EXPECT_TRUE(box.empty());
    EXPECT_EQ(box.pending_bytes(), 0u);
}

TEST(outbox, a_half_sent_frame_resumes_where_it_stopped_at_the_next_attempt) {
    outbox box(1000);
    box.push(frame("first"));
    box.push(frame("second"));
    fake_socket socket;
    socket.room = 7; // "first" and "se"

    EXPECT_EQ(write_to(box, socket), outbox::write_status::would_block);
    EXPECT_EQ(box.pending_bytes(), 4u);
    EXPECT_EQ(box.pending_frames(), 1u);
    socket.client_reads(100);
    EXPECT_EQ(write_to(box, socket), outbox::write_status::drained);
    EXPECT_EQ(socket.received, "firstsecond");
}

TEST(outbox, more_than_64_frames_are_written_over_several_calls) {
    outbox box(1 << 20);
    std::string expected;
    for (int i = 0; i < 150; ++i) {
        const char fill = static_cast<char>('A' + i % 26);
        box.push(frame_of(10, fill));
        expected.append(10, fill);
    }
    fake_socket socket;

    std::size_t written = 0;
    EXPECT_EQ(write_to(box, socket, written), outbox::write_status::drained);
    EXPECT_EQ(socket.iov_counts, (std::vector<int>{64, 64, 22}));
    EXPECT_EQ(socket.received, expected);
    EXPECT_EQ(written, 1500u);
}

TEST(outbox, eintr_is_retried) {
    outbox box(1000);
    box.push(frame("payload"));
    fake_socket socket;
    socket.errors = {EINTR, EINTR};

    EXPECT_EQ(write_to(box, socket), outbox::write_status::drained);
    EXPECT_EQ(socket.iov_counts.size(), 3u);
    EXPECT_EQ(socket.received, "payload");
}

TEST(outbox, eagain_gives_would_block_with_the_bytes_still_pending) {
    outbox box(1000);
    box.push(frame_of(100, 'a'));
    box.push(frame_of(100, 'b'));
    box.push(frame_of(100, 'c'));
    fake_socket socket;
    socket.room = 150;

    std::size_t written = 0;
    EXPECT_EQ(write_to(box, socket, written), outbox::write_status::would_block);
    EXPECT_EQ(written, 150u);
    EXPECT_EQ(box.pending_bytes(), 150u);
    EXPECT_EQ(box.pending_frames(), 2u);
    EXPECT_EQ(box.refused_bytes(), 150u);
    EXPECT_FALSE(box.is_slow_consumer());
}

TEST(outbox, another_errno_fails_and_leaves_it_for_the_caller) {
    outbox box(1000);
    box.push(frame("payload"));
    fake_socket socket;
    socket.errors = {ECONNRESET};

    std::size_t written = 1234;
    EXPECT_EQ(write_to(box, socket, written), outbox::write_status::failed);
    EXPECT_EQ(errno, ECONNRESET);
    EXPECT_EQ(written, 0u);
    EXPECT_EQ(box.pending_bytes(), 7u);
}

TEST(outbox, a_sender_that_takes_nothing_without_an_error_blocks_instead_of_spinning) {
    outbox box(1000);
    box.push(frame("payload"));
    fake_socket socket;
    socket.takes_nothing = true;

    EXPECT_EQ(write_to(box, socket), outbox::write_status::would_block);
    EXPECT_EQ(socket.iov_counts.size(), 1u);
    EXPECT_EQ(box.refused_bytes(), 7u);
}

TEST(outbox, an_empty_outbox_drains_without_calling_the_sender) {
    outbox box(1000);
    box.push(nullptr);
    box.push(frame(""));
    fake_socket socket;

    std::size_t written = 1234;
    EXPECT_EQ(write_to(box, socket, written), outbox::write_status::drained);
    EXPECT_EQ(written, 0u);
    EXPECT_TRUE(socket.iov_counts.empty());
}

TEST(outbox, pushing_far_past_the_limit_is_accepted_and_writes_nothing) {
    outbox box(1000);
    for (int i = 0; i < 300; ++i) {
        box.push(frame_of(100, 'x'));
    }
    EXPECT_EQ(box.pending_bytes(), 30000u);
    EXPECT_EQ(box.refused_bytes(), 0u);
    EXPECT_FALSE(box.is_slow_consumer());
}

TEST(outbox, a_fast_reader_is_not_a_slow_consumer_after_a_burst_far_above_the_limit) {
    // 300 events posted to the shard before it runs: all queued before the first write.
    outbox box(1000);
    for (int i = 0; i < 300; ++i) {
        box.push(frame_of(100, 'x'));
    }
    fake_socket socket;
    socket.room = 4000;

    EXPECT_EQ(write_to(box, socket), outbox::write_status::would_block);
    EXPECT_EQ(box.refused_bytes(), 26000u);
    EXPECT_FALSE(box.is_slow_consumer()); // the client has not had its chance yet

    socket.client_reads(26000); // it reads everything before the socket turns writable
    EXPECT_EQ(write_to(box, socket), outbox::write_status::drained);
    EXPECT_FALSE(box.is_slow_consumer());
    EXPECT_EQ(socket.received.size(), 30000u);
}

TEST(outbox, a_client_that_takes_nothing_is_a_slow_consumer_at_the_second_tick_over_the_limit) {
    // Four 100-byte events arrive between ticks; the client reads nothing.
    outbox box(1000);
    fake_socket socket;
    socket.room = 0;
    std::vector<std::size_t> refused;
    std::vector<bool> slow;
    for (int attempt = 0; attempt < 4; ++attempt) {
        for (int i = 0; i < 4; ++i) {
            box.push(frame_of(100, 'x'));
        }
        EXPECT_EQ(write_to(box, socket), outbox::write_status::would_block);
        refused.push_back(box.refused_bytes());
        slow.push_back(box.tick());
    }
    EXPECT_EQ(refused, (std::vector<std::size_t>{400, 800, 1200, 1600}));
    // 1200 is the first tick over the limit; 1600 the second, after the client's chance.
    EXPECT_EQ(slow, (std::vector<bool>{false, false, false, true}));
    // Bounded: the last refusal within the limit (800) plus what arrived since (2 x 400).
    EXPECT_EQ(box.pending_bytes(), 1600u);
}

TEST(outbox, refusals_over_the_limit_count_only_in_a_row) {
    outbox box(1000);
    box.push(frame_of(1500, 'x'));
    fake_socket socket;
    socket.room = 0;
    EXPECT_EQ(write_to(box, socket), outbox::write_status::would_block); // 1500 > 1000
    EXPECT_FALSE(box.tick());

    socket.client_reads(600);
    EXPECT_EQ(write_to(box, socket), outbox::write_status::would_block); // 900, within
    EXPECT_EQ(box.refused_bytes(), 900u);
    EXPECT_FALSE(box.tick());

    box.push(frame_of(500, 'y'));
    EXPECT_EQ(write_to(box, socket), outbox::write_status::would_block); // 1400 > 1000
    EXPECT_FALSE(box.tick());
    EXPECT_EQ(box.refused_bytes(), 1400u);
}

TEST(outbox, refused_bytes_drop_to_zero_after_a_drained_write) {
    outbox box(1000);
    box.push(frame_of(3000, 'x'));
    fake_socket socket;
    socket.room = 0;
    write_to(box, socket);
    box.tick();
    write_to(box, socket);
    ASSERT_TRUE(box.tick());
    ASSERT_EQ(box.refused_bytes(), 3000u);

    socket.client_reads(3000);
    EXPECT_EQ(write_to(box, socket), outbox::write_status::drained);
    EXPECT_EQ(box.refused_bytes(), 0u);
    EXPECT_FALSE(box.is_slow_consumer());
}

TEST(outbox, drop_unsent_keeps_a_half_sent_frame_and_drops_the_rest) {
    outbox box(1000);
    box.push(frame_of(100, 'a'));
    box.push(frame_of(100, 'b'));
    box.push(frame_of(100, 'c'));
    box.push(frame_of(100, 'd'));
    fake_socket socket;
    socket.room = 130; // all of 'a' and 30 bytes of 'b'
    write_to(box, socket);

    box.drop_unsent();
    EXPECT_EQ(box.pending_bytes(), 70u);
    EXPECT_EQ(box.pending_frames(), 1u);

    box.push(frame("CLOSE")); // what the session queues next
    socket.client_reads(1000);
    EXPECT_EQ(write_to(box, socket), outbox::write_status::drained);
    EXPECT_EQ(socket.received, std::string(100, 'a') + std::string(100, 'b') + "CLOSE");
}

TEST(outbox, drop_unsent_with_no_frame_started_drops_everything) {
    outbox box(1000);
    box.push(frame_of(100, 'a'));
    box.push(frame_of(100, 'b'));
    fake_socket socket;
    socket.room = 100; // exactly 'a'
    write_to(box, socket);

    box.drop_unsent();
    EXPECT_TRUE(box.empty());
    EXPECT_EQ(box.pending_frames(), 0u);
}

TEST(outbox, clear_drops_everything_and_releases_the_storage) {
    outbox box(1000);
    for (int i = 0; i < 100; ++i) {
        box.push(frame_of(10, 'x'));
    }
    box.clear();
    EXPECT_TRUE(box.empty());
    EXPECT_EQ(box.slot_capacity(), 0u);
}

TEST(outbox, the_storage_is_released_after_a_large_burst_drains) {
    outbox box(1 << 20);
    for (int i = 0; i < 1000; ++i) {
        box.push(frame_of(10, 'x'));
    }
    ASSERT_GE(box.slot_capacity(), 1000u);
    fake_socket socket;
    EXPECT_EQ(write_to(box, socket), outbox::write_status::drained);
    EXPECT_EQ(box.slot_capacity(), 0u);
}

TEST(outbox, a_small_outbox_keeps_its_storage_when_it_drains) {
    // A quiet session reuses its few slots rather than allocating for each event.
    outbox box(1000);
    for (int i = 0; i < 3; ++i) {
        box.push(frame_of(10, 'x'));
    }
    const std::size_t capacity = box.slot_capacity();
    fake_socket socket;
    EXPECT_EQ(write_to(box, socket), outbox::write_status::drained);
    EXPECT_EQ(box.slot_capacity(), capacity);
    EXPECT_LE(capacity, outbox::kept_capacity);
}

TEST(outbox, a_client_that_always_lags_a_little_does_not_grow_the_storage) {
    // Never drained, so never released: the written slots must still be reclaimed.
    outbox box(1000);
    fake_socket socket;
    socket.room = 0;
    std::size_t largest = 0;
    for (int i = 0; i < 10000; ++i) {
        box.push(frame_of(10, 'x'));
        socket.client_reads(10);
        if (i == 0) {
            socket.room = 5; // from now on the last 5 bytes always wait
        }
        EXPECT_EQ(write_to(box, socket), outbox::write_status::would_block);
        largest = std::max(largest, box.slot_capacity());
    }
    EXPECT_EQ(box.pending_bytes(), 5u);
    EXPECT_EQ(socket.received.size(), 10000u * 10 - 5);
    EXPECT_LE(largest, 64u);
}

TEST(outbox, a_written_frame_is_released_by_this_connection_at_once) {
    // Frames are shared: the last connection to send one frees it, not the last to drain.
    const shared_frame shared = frame_of(100, 'x');
    outbox first(1000);
    outbox second(1000);
    first.push(shared);
    second.push(shared);
    first.push(frame_of(100, 'y'));
    fake_socket socket;
    socket.room = 150; // all of the shared frame, half of the next

    EXPECT_EQ(write_to(first, socket), outbox::write_status::would_block);
    EXPECT_EQ(shared.use_count(), 2); // this test and `second`
    EXPECT_EQ(write_to(second, socket), outbox::write_status::would_block);
    EXPECT_EQ(shared.use_count(), 2);
    socket.client_reads(1000);
    EXPECT_EQ(write_to(second, socket), outbox::write_status::drained);
    EXPECT_EQ(shared.use_count(), 1);
}

TEST(outbox, a_reader_that_shrinks_a_burst_far_over_the_limit_is_never_a_slow_consumer) {
    outbox box(1000);
    for (int i = 0; i < 50; ++i) {
        box.push(frame_of(100, 'x')); // 5000 bytes land at once
    }
    fake_socket socket;
    socket.room = 600;
    for (int tick = 0; tick < 20 && !box.empty(); ++tick) {
        write_to(box, socket);
        EXPECT_FALSE(box.tick()) << "tick " << tick;
        socket.client_reads(600);     // the reader takes a little every tick
        box.push(frame_of(100, 'y')); // while events keep coming
    }
    EXPECT_FALSE(box.is_slow_consumer());
}

TEST(outbox, past_the_hard_limit_the_client_is_beyond_saving_at_once) {
    outbox box(1000);
    box.push(frame_of(outbox::hard_limit_factor * 1000, 'x'));
    EXPECT_FALSE(box.is_beyond_hard_limit());
    box.push(frame_of(1, 'y'));
    EXPECT_TRUE(box.is_beyond_hard_limit());
}

} // namespace
} // namespace herald
