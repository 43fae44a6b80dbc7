#include "protocol/frame_codec.hpp"

#include <cstdint>
#include <gtest/gtest.h>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace herald::ws {
namespace {

constexpr std::uint32_t key = 0x37FA213D;
constexpr std::size_t big_limit = 1 << 20;

// A message as the test saw it: copied, because payload views die with the input.
struct seen {
    message::kind type;
    std::string payload;
    std::uint16_t close_status;

    bool operator==(const seen&) const = default;
};

std::ostream& operator<<(std::ostream& os, const seen& s) {
    return os << "{kind " << static_cast<int>(s.type) << ", " << s.payload.size() << " bytes, "
              << s.close_status << "}";
}

struct read_result {
    std::vector<seen> messages;
    std::size_t consumed = 0;
    std::optional<close_code> failure;
};

// Reads `wire` in one call, as a session does when everything has arrived at once.
read_result read_all(message_reader& reader, std::string wire,
                     std::size_t max_message_bytes = big_limit) {
    read_result r;
    const auto outcome =
        reader.read(std::span<char>(wire), max_message_bytes, [&](const message& m) {
            r.messages.push_back({m.type, std::string(m.payload), m.close_status});
            return true;
        });
    r.consumed = outcome.consumed;
    r.failure = outcome.failure;
    return r;
}

read_result read_all(std::string wire, std::size_t max_message_bytes = big_limit) {
    message_reader reader;
    return read_all(reader, std::move(wire), max_message_bytes);
}

// Feeds `wire` growing by one byte at a time, keeping the unconsumed tail like a session does.
read_result read_byte_by_byte(const std::string& wire, std::size_t max_message_bytes = big_limit) {
    message_reader reader;
    read_result r;
    std::string pending;
    for (char c : wire) {
        pending.push_back(c);
        const auto outcome =
            reader.read(std::span<char>(pending), max_message_bytes, [&](const message& m) {
                r.messages.push_back({m.type, std::string(m.payload), m.close_status});
                return true;
            });
        r.consumed += outcome.consumed;
        pending.erase(0, outcome.consumed);
        if (outcome.failure) {
            r.failure = outcome.failure;
            break;
        }
    }
    return r;
}

std::string masked(opcode op, std::string_view payload, bool fin = true) {
    std::string out;
    append_masked_frame(out, op, payload, key, fin);
    return out;
}

// A masked frame whose first byte is given raw, to set RSV bits or unknown opcodes.
std::string masked_raw(std::uint8_t first_byte, std::string_view payload) {
    std::string out = masked(opcode::binary, payload);
    out[0] = static_cast<char>(first_byte);
    return out;
}

// Masks the way RFC 6455 §5.3 words it, byte by byte, to check the word-at-a-time code against.
std::string reference_masked(opcode op, std::string_view payload, const char (&mask)[4]) {
    std::string out;
    out.push_back(static_cast<char>(0x80 | static_cast<std::uint8_t>(op)));
    if (payload.size() < 126) {
        out.push_back(static_cast<char>(0x80 | payload.size()));
    } else {
        out.push_back(static_cast<char>(0x80 | 126));
        out.push_back(static_cast<char>(payload.size() >> 8));
        out.push_back(static_cast<char>(payload.size() & 0xFF));
    }
    out.append(mask, 4);
    for (std::size_t i = 0; i < payload.size(); ++i) {
        out.push_back(static_cast<char>(payload[i] ^ mask[i % 4]));
    }
    return out;
}

std::string close_payload(std::uint16_t status, std::string_view reason = {}) {
    std::string p;
    p.push_back(static_cast<char>(status >> 8));
    p.push_back(static_cast<char>(status & 0xFF));
    p.append(reason);
    return p;
}

std::string pattern(std::size_t n) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) {
        s[i] = static_cast<char>('a' + i % 23);
    }
    return s;
}

// ---- encoder ----

TEST(frame_header_size, is_2_then_4_then_10_bytes_at_the_rfc_boundaries) {
    EXPECT_EQ(frame_header_size(0), 2u);
    EXPECT_EQ(frame_header_size(125), 2u);
    EXPECT_EQ(frame_header_size(126), 4u);
    EXPECT_EQ(frame_header_size(65535), 4u);
    EXPECT_EQ(frame_header_size(65536), 10u);
}

TEST(append_frame, small_payload_has_a_7_bit_length_and_no_mask) {
    const std::string frame = make_frame(opcode::text, "hi");
    EXPECT_EQ(frame, std::string("\x81\x02hi", 4));
}

TEST(append_frame, payload_of_126_bytes_uses_a_16_bit_length) {
    const std::string payload = pattern(126);
    const std::string frame = make_frame(opcode::binary, payload);
    ASSERT_EQ(frame.size(), 4 + payload.size());
    EXPECT_EQ(frame.substr(0, 4), std::string("\x82\x7E\x00\x7E", 4));
    EXPECT_EQ(frame.substr(4), payload);
}

TEST(append_frame, payload_of_65536_bytes_uses_a_64_bit_length) {
    const std::string payload = pattern(65536);
    const std::string frame = make_frame(opcode::binary, payload);
    ASSERT_EQ(frame.size(), 10 + payload.size());
    EXPECT_EQ(frame.substr(0, 10), std::string("\x82\x7F\x00\x00\x00\x00\x00\x01\x00\x00", 10));
    EXPECT_EQ(frame.substr(10), payload);
}

TEST(append_frame, without_fin_clears_the_fin_bit_and_appends_to_existing_bytes) {
    std::string out = "xy";
    append_frame(out, opcode::text, "ab", false);
    EXPECT_EQ(out, std::string("xy\x01\x02"
                               "ab",
                               6));
}

TEST(make_close_frame, writes_the_status_big_endian_then_the_reason) {
    EXPECT_EQ(make_close_frame(close_code::message_too_big, "big"), std::string("\x88\x05\x03\xF1"
                                                                                "big",
                                                                                7));
}

TEST(make_close_frame, cuts_a_long_reason_at_a_character_boundary_to_stay_a_control_frame) {
    std::string reason(122, 'r');
    reason += "\xC3\xA9\xC3\xA9"; // "éé": the 123-byte limit falls inside the first one
    const std::string frame = make_close_frame(close_code::normal, reason);
    ASSERT_LE(frame.size(), 2u + 125u);
    EXPECT_EQ(static_cast<std::uint8_t>(frame[1]), 2u + 122u);
    EXPECT_EQ(frame.substr(4), std::string(122, 'r'));
}

TEST(append_masked_frame, sets_the_mask_bit_and_writes_the_key_most_significant_byte_first) {
    std::string out;
    append_masked_frame(out, opcode::text, "ab", 0x11223344);
    EXPECT_EQ(out, std::string("\x81\x82\x11\x22\x33\x44", 6) + static_cast<char>('a' ^ 0x11) +
                       static_cast<char>('b' ^ 0x22));
}

TEST(append_masked_frame, masks_every_byte_with_key_byte_i_mod_4) {
    const char mask[4] = {'\x11', '\x22', '\x33', '\x44'};
    for (std::size_t n = 0; n < 300; n += (n < 40 ? 1 : 37)) {
        const std::string payload = pattern(n);
        std::string out;
        append_masked_frame(out, opcode::binary, payload, 0x11223344);
        EXPECT_EQ(out, reference_masked(opcode::binary, payload, mask)) << n;
    }
}

// ---- decoder: lengths and round trips ----

TEST(message_reader, small_126_and_65536_byte_messages_round_trip) {
    for (std::size_t n : {std::size_t{0}, std::size_t{5}, std::size_t{125}, std::size_t{126},
                          std::size_t{65535}, std::size_t{65536}}) {
        const std::string payload = pattern(n);
        const auto r = read_all(masked(opcode::binary, payload));
        EXPECT_FALSE(r.failure) << n;
        ASSERT_EQ(r.messages.size(), 1u) << n;
        EXPECT_EQ(r.messages[0], (seen{message::kind::binary, payload, 0})) << n;
        EXPECT_EQ(r.consumed, frame_header_size(n) + 4 + n) << n;
    }
}

TEST(message_reader, odd_sized_payloads_unmask_correctly_in_the_word_loop_and_the_tail) {
    for (std::size_t n = 0; n < 40; ++n) {
        const std::string payload = pattern(n);
        const auto r = read_all(masked(opcode::text, payload));
        ASSERT_EQ(r.messages.size(), 1u) << n;
        EXPECT_EQ(r.messages[0].payload, payload) << n;
    }
}

TEST(message_reader, unmasks_every_length_like_the_rfc_byte_by_byte_rule) {
    const char mask[4] = {'\x9C', '\x01', '\x7F', '\xE5'};
    for (std::size_t n = 0; n < 300; n += (n < 40 ? 1 : 37)) {
        const std::string payload = pattern(n);
        const auto r = read_all(reference_masked(opcode::binary, payload, mask));
        ASSERT_EQ(r.messages.size(), 1u) << n;
        EXPECT_EQ(r.messages[0].payload, payload) << n;
    }
}

TEST(message_reader, unfragmented_message_is_a_view_into_the_unmasked_input) {
    std::string wire = masked(opcode::text, "hello");
    message_reader reader;
    const char* seen_data = nullptr;
    const auto outcome = reader.read(std::span<char>(wire), big_limit, [&](const message& m) {
        seen_data = m.payload.data();
        return true;
    });
    EXPECT_FALSE(outcome.failure);
    EXPECT_EQ(seen_data, wire.data() + 6);
    EXPECT_EQ(wire.substr(6), "hello");
}

TEST(message_reader, several_frames_in_one_read_are_delivered_in_order) {
    const auto r = read_all(masked(opcode::text, "one") + masked(opcode::ping, "p") +
                            masked(opcode::binary, "two") + masked(opcode::pong, ""));
    EXPECT_FALSE(r.failure);
    const std::vector<seen> expected{{message::kind::text, "one", 0},
                                     {message::kind::ping, "p", 0},
                                     {message::kind::binary, "two", 0},
                                     {message::kind::pong, "", 0}};
    EXPECT_EQ(r.messages, expected);
}

TEST(message_reader, incomplete_frame_is_left_unconsumed_and_still_masked) {
    const std::string whole = masked(opcode::text, "hello");
    std::string wire = masked(opcode::text, "a") + whole.substr(0, whole.size() - 1);
    const std::string before = wire;
    message_reader reader;
    int calls = 0;
    const auto outcome = reader.read(std::span<char>(wire), big_limit, [&](const message&) {
        ++calls;
        return true;
    });
    EXPECT_FALSE(outcome.failure);
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(outcome.consumed, 7u);
    EXPECT_EQ(wire.substr(7), before.substr(7));
}

TEST(message_reader, fragmented_text_with_a_ping_between_fragments_delivers_ping_first) {
    const std::string wire = masked(opcode::text, "Hel", false) + masked(opcode::ping, "are?") +
                             masked(opcode::continuation, "lo, ", false) +
                             masked(opcode::continuation, "world");
    message_reader reader;
    const auto r = read_all(reader, wire);
    EXPECT_FALSE(r.failure);
    EXPECT_EQ(r.consumed, wire.size());
    const std::vector<seen> expected{{message::kind::ping, "are?", 0},
                                     {message::kind::text, "Hello, world", 0}};
    EXPECT_EQ(r.messages, expected);
    EXPECT_FALSE(reader.in_fragmented_message());
}

TEST(message_reader, reports_a_fragmented_message_in_progress_until_the_last_fragment) {
    message_reader reader;
    EXPECT_FALSE(reader.in_fragmented_message());
    auto r = read_all(reader, masked(opcode::binary, "ab", false));
    EXPECT_TRUE(r.messages.empty());
    EXPECT_TRUE(reader.in_fragmented_message());
    r = read_all(reader, masked(opcode::continuation, "cd"));
    ASSERT_EQ(r.messages.size(), 1u);
    EXPECT_EQ(r.messages[0], (seen{message::kind::binary, "abcd", 0}));
    EXPECT_FALSE(reader.in_fragmented_message());
}

TEST(message_reader, holds_no_buffer_once_a_fragmented_message_is_delivered) {
    message_reader reader;
    EXPECT_EQ(reader.buffered_bytes(), 0u);
    read_all(reader, masked(opcode::text, pattern(1000), false));
    EXPECT_GE(reader.buffered_bytes(), 1000u);
    const auto r = read_all(reader, masked(opcode::continuation, pattern(1000)));
    ASSERT_EQ(r.messages.size(), 1u);
    EXPECT_EQ(reader.buffered_bytes(), 0u);
}

TEST(message_reader, holds_no_buffer_after_failing_inside_a_fragmented_message) {
    message_reader reader;
    read_all(reader, masked(opcode::binary, pattern(1000), false));
    EXPECT_GE(reader.buffered_bytes(), 1000u);
    const auto r = read_all(reader, masked(opcode::binary, "x"));
    EXPECT_EQ(r.failure, close_code::protocol_error);
    EXPECT_EQ(reader.buffered_bytes(), 0u);
}

TEST(message_reader, byte_by_byte_input_gives_the_same_messages_as_one_read) {
    const std::string wire =
        masked(opcode::text, "first") + masked(opcode::binary, pattern(300), false) +
        masked(opcode::pong, "x") + masked(opcode::continuation, pattern(70000), false) +
        masked(opcode::continuation, "", false) + masked(opcode::continuation, "end") +
        masked(opcode::text, "\xE2\x82\xAC") + masked(opcode::close, close_payload(1000, "bye"));
    const auto whole = read_all(wire);
    const auto split = read_byte_by_byte(wire);
    EXPECT_FALSE(whole.failure);
    EXPECT_FALSE(split.failure);
    EXPECT_EQ(whole.consumed, wire.size());
    EXPECT_EQ(split.consumed, wire.size());
    ASSERT_EQ(whole.messages.size(), 5u);
    EXPECT_EQ(whole.messages[2].payload, pattern(300) + pattern(70000) + "end");
    EXPECT_EQ(whole.messages[4], (seen{message::kind::close, "bye", 1000}));
    EXPECT_EQ(split.messages, whole.messages);
}

TEST(message_reader, byte_by_byte_input_fails_with_the_same_code_as_one_read) {
    const std::string wire = masked(opcode::text, "ok") + masked(opcode::text, "a\xFF");
    const auto whole = read_all(wire);
    const auto split = read_byte_by_byte(wire);
    EXPECT_EQ(whole.failure, close_code::invalid_payload);
    EXPECT_EQ(split.failure, close_code::invalid_payload);
    EXPECT_EQ(split.messages, whole.messages);
    EXPECT_EQ(split.consumed, whole.consumed);
}

TEST(message_reader, stops_after_a_message_when_the_callback_returns_false) {
    std::string wire = masked(opcode::close, close_payload(1000)) + masked(opcode::text, "late");
    message_reader reader;
    int calls = 0;
    const auto outcome = reader.read(std::span<char>(wire), big_limit, [&](const message&) {
        ++calls;
        return false;
    });
    EXPECT_FALSE(outcome.failure);
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(outcome.consumed, 8u);
}

TEST(message_reader, a_callback_returning_void_reads_everything) {
    std::string wire = masked(opcode::text, "a") + masked(opcode::text, "b");
    message_reader reader;
    int calls = 0;
    const auto outcome =
        reader.read(std::span<char>(wire), big_limit, [&](const message&) { ++calls; });
    EXPECT_EQ(calls, 2);
    EXPECT_EQ(outcome.consumed, wire.size());
}

// ---- decoder: protocol errors ----

TEST(message_reader, unmasked_client_frame_is_a_protocol_error) {
    const auto r = read_all(masked(opcode::text, "ok") + make_frame(opcode::text, "hi"));
    EXPECT_EQ(r.failure, close_code::protocol_error);
    EXPECT_EQ(r.consumed, 8u); // up to the bad frame
    EXPECT_EQ(r.messages.size(), 1u);
}

TEST(message_reader, each_rsv_bit_set_is_a_protocol_error) {
    for (std::uint8_t rsv : {0x40, 0x20, 0x10}) {
        const auto r = read_all(masked_raw(static_cast<std::uint8_t>(0x82 | rsv), "x"));
        EXPECT_EQ(r.failure, close_code::protocol_error) << int(rsv);
        EXPECT_TRUE(r.messages.empty());
    }
}

TEST(message_reader, each_unknown_opcode_is_a_protocol_error) {
    for (std::uint8_t op : {3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
        const auto r = read_all(masked_raw(static_cast<std::uint8_t>(0x80 | op), "x"));
        EXPECT_EQ(r.failure, close_code::protocol_error) << int(op);
        EXPECT_EQ(r.consumed, 0u);
        // Known from the first two bytes: no need to wait for the rest of the frame.
        const auto early =
            read_all(masked_raw(static_cast<std::uint8_t>(0x80 | op), "x").substr(0, 2));
        EXPECT_EQ(early.failure, close_code::protocol_error) << int(op);
    }
}

TEST(message_reader, fragmented_control_frame_is_a_protocol_error) {
    for (opcode op : {opcode::ping, opcode::pong, opcode::close}) {
        const auto r = read_all(masked(op, "", false));
        EXPECT_EQ(r.failure, close_code::protocol_error) << int(op);
    }
}

TEST(message_reader, control_frame_of_126_bytes_is_a_protocol_error_but_125_is_fine) {
    EXPECT_FALSE(read_all(masked(opcode::ping, pattern(125))).failure);
    EXPECT_EQ(read_all(masked(opcode::ping, pattern(126))).failure, close_code::protocol_error);
    EXPECT_EQ(read_all(masked(opcode::pong, pattern(126))).failure, close_code::protocol_error);
}

TEST(message_reader, control_frame_with_an_oversized_length_fails_on_the_first_two_bytes) {
    const std::string header = masked(opcode::ping, pattern(200)).substr(0, 2);
    EXPECT_EQ(read_all(header).failure, close_code::protocol_error);
}

TEST(message_reader, continuation_without_a_message_in_progress_is_a_protocol_error) {
    const auto r = read_all(masked(opcode::continuation, "x"));
    EXPECT_EQ(r.failure, close_code::protocol_error);
    EXPECT_EQ(r.consumed, 0u);
}

TEST(message_reader, new_data_frame_inside_a_fragmented_message_is_a_protocol_error) {
    for (opcode op : {opcode::text, opcode::binary}) {
        const auto r = read_all(masked(opcode::text, "a", false) + masked(op, "b"));
        EXPECT_EQ(r.failure, close_code::protocol_error) << int(op);
        EXPECT_EQ(r.consumed, 7u);
        EXPECT_TRUE(r.messages.empty());
    }
}

TEST(message_reader, length_with_the_most_significant_bit_set_is_a_protocol_error) {
    std::string wire("\x82\xFF\x80\x00\x00\x00\x00\x00\x00\x01", 10);
    const auto r = read_all(wire, SIZE_MAX);
    EXPECT_EQ(r.failure, close_code::protocol_error);
}

TEST(message_reader, frame_over_the_limit_fails_with_1009_on_the_header_alone) {
    // Header and mask key only: the 5000-byte payload never arrives.
    const std::string header = masked(opcode::binary, pattern(5000)).substr(0, 8);
    const auto r = read_all(header, 4096);
    EXPECT_EQ(r.failure, close_code::message_too_big);
    EXPECT_EQ(r.consumed, 0u);
    // Even before the mask key is there.
    EXPECT_EQ(read_all(header.substr(0, 4), 4096).failure, close_code::message_too_big);
}

TEST(message_reader, frame_exactly_at_the_limit_is_accepted) {
    const auto r = read_all(masked(opcode::binary, pattern(4096)), 4096);
    EXPECT_FALSE(r.failure);
    ASSERT_EQ(r.messages.size(), 1u);
}

TEST(message_reader, fragments_adding_up_over_the_limit_fail_with_1009_on_the_header) {
    const std::string wire = masked(opcode::text, pattern(3000), false) +
                             masked(opcode::continuation, pattern(1000), false) +
                             masked(opcode::continuation, pattern(97)).substr(0, 6);
    message_reader reader;
    const auto r = read_all(reader, wire, 4096);
    EXPECT_EQ(r.failure, close_code::message_too_big);
    EXPECT_EQ(r.consumed, wire.size() - 6);
    EXPECT_FALSE(reader.in_fragmented_message());
}

TEST(message_reader, fragments_adding_up_to_exactly_the_limit_are_accepted) {
    const auto r = read_all(masked(opcode::text, pattern(3000), false) +
                                masked(opcode::continuation, pattern(1096)),
                            4096);
    EXPECT_FALSE(r.failure);
    ASSERT_EQ(r.messages.size(), 1u);
    EXPECT_EQ(r.messages[0].payload.size(), 4096u);
}

TEST(message_reader, control_frames_are_not_counted_against_the_message_limit) {
    const auto r = read_all(masked(opcode::ping, pattern(100)), 10);
    EXPECT_FALSE(r.failure);
    EXPECT_EQ(r.messages.size(), 1u);
}

// ---- decoder: UTF-8 ----

TEST(message_reader, text_that_is_not_utf8_is_invalid_payload) {
    for (const char* bad : {"\xFF", "\xC3", "\xED\xA0\x80", "\xC0\xAF", "ok\xF4\x90\x80\x80"}) {
        const auto r = read_all(masked(opcode::text, bad));
        EXPECT_EQ(r.failure, close_code::invalid_payload) << bad;
        EXPECT_TRUE(r.messages.empty());
    }
}

TEST(message_reader, binary_that_is_not_utf8_is_fine) {
    const auto r = read_all(masked(opcode::binary, "\xFF\xFE"));
    EXPECT_FALSE(r.failure);
    ASSERT_EQ(r.messages.size(), 1u);
}

TEST(message_reader, character_split_across_fragments_is_valid_when_the_whole_is) {
    // U+20AC (E2 82 AC) with its first byte in one fragment and the rest in the next.
    const auto r = read_all(masked(opcode::text, "price \xE2", false) +
                            masked(opcode::continuation, "\x82\xAC"));
    EXPECT_FALSE(r.failure);
    ASSERT_EQ(r.messages.size(), 1u);
    EXPECT_EQ(r.messages[0].payload, "price \xE2\x82\xAC");
}

TEST(message_reader, fragmented_text_that_is_invalid_as_a_whole_is_invalid_payload) {
    const std::string wire = masked(opcode::text, "\xE2\x82", false) +
                             masked(opcode::continuation, "x", false) +
                             masked(opcode::continuation, "\xAC");
    message_reader reader;
    const auto r = read_all(reader, wire);
    EXPECT_EQ(r.failure, close_code::invalid_payload);
    EXPECT_TRUE(r.messages.empty());
    EXPECT_FALSE(reader.in_fragmented_message());
}

// ---- decoder: close frames ----

TEST(message_reader, close_with_no_payload_gives_1005_and_no_reason) {
    const auto r = read_all(masked(opcode::close, ""));
    EXPECT_FALSE(r.failure);
    ASSERT_EQ(r.messages.size(), 1u);
    EXPECT_EQ(r.messages[0], (seen{message::kind::close, "", 1005}));
}

TEST(message_reader, close_with_a_status_and_reason_gives_both) {
    const auto r = read_all(masked(opcode::close, close_payload(4001, "slow \xC3\xA9")));
    EXPECT_FALSE(r.failure);
    ASSERT_EQ(r.messages.size(), 1u);
    EXPECT_EQ(r.messages[0], (seen{message::kind::close, "slow \xC3\xA9", 4001}));
}

TEST(message_reader, close_with_a_one_byte_payload_is_a_protocol_error) {
    EXPECT_EQ(read_all(masked(opcode::close, "\x03")).failure, close_code::protocol_error);
    // The byte after the frame would make 0x03E8 (1000): it must not be read as the status's
    // second byte.
    EXPECT_EQ(read_all(masked(opcode::close, "\x03") + "\xE8").failure, close_code::protocol_error);
}

TEST(message_reader, close_status_not_allowed_on_the_wire_is_a_protocol_error) {
    for (std::uint16_t status : {0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535}) {
        const auto r = read_all(masked(opcode::close, close_payload(status)));
        EXPECT_EQ(r.failure, close_code::protocol_error) << status;
        EXPECT_TRUE(r.messages.empty()) << status;
    }
}

TEST(message_reader, close_status_allowed_on_the_wire_is_delivered) {
    for (std::uint16_t status :
         {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999}) {
        const auto r = read_all(masked(opcode::close, close_payload(status)));
        EXPECT_FALSE(r.failure) << status;
        ASSERT_EQ(r.messages.size(), 1u) << status;
        EXPECT_EQ(r.messages[0].close_status, status);
    }
}

TEST(message_reader, close_reason_that_is_not_utf8_is_invalid_payload) {
    const auto r = read_all(masked(opcode::close, close_payload(1000, "bad \xFF")));
    EXPECT_EQ(r.failure, close_code::invalid_payload);
}

TEST(message_reader, close_between_fragments_is_delivered_at_once) {
    const auto r = read_all(masked(opcode::binary, "part", false) +
                            masked(opcode::close, close_payload(1001)));
    EXPECT_FALSE(r.failure);
    ASSERT_EQ(r.messages.size(), 1u);
    EXPECT_EQ(r.messages[0], (seen{message::kind::close, "", 1001}));
}

} // namespace
} // namespace herald::ws
