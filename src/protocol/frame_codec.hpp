#pragma once
// RFC 6455 framing: server frames out (unmasked), client frames in (masked), and the
// reassembly of fragmented client messages. No sockets here, so it is fuzzed on its own.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

namespace herald::ws {

enum class opcode : std::uint8_t {
    continuation = 0x0,
    text = 0x1,
    binary = 0x2,
    close = 0x8,
    ping = 0x9,
    pong = 0xA,
};

// Close codes Herald sends: RFC 6455 §7.4.1 plus Herald's own in the 4000-4999 range.
enum class close_code : std::uint16_t {
    normal = 1000,           // answer to the client's close
    going_away = 1001,       // the server is shutting down
    protocol_error = 1002,   // a frame broke RFC 6455
    invalid_payload = 1007,  // a text message or close reason that is not UTF-8
    policy_violation = 1008, // the dialect cannot serve the session (a Piped path without token)
    message_too_big = 1009,  // a message over limits.max_message_bytes
    internal_error = 1011,   // the session's handler failed (a bug, or out of memory)
    slow_consumer = 4001,    // the client left over limits.max_outbox_bytes unread
    idle_timeout = 4002,     // nothing received for limits.idle_timeout
    superseded = 4003,       // newer sessions of an identity it registered as took its place
    kicked = 4004,           // DataDealer: a newer session of the same user kicked it
};

// Appends one server-to-client frame (never masked) to `out`.
void append_frame(std::string& out, opcode op, std::string_view payload, bool fin = true);
std::string make_frame(opcode op, std::string_view payload);
std::string make_close_frame(close_code code, std::string_view reason = {});
// Size of the header append_frame writes for a payload of `payload_bytes`.
std::size_t frame_header_size(std::size_t payload_bytes);
// The header size of a complete server frame (unmasked), read from the frame itself.
std::size_t frame_header_size_of(std::string_view frame);

// Appends one client-to-server frame, masked with `mask_key`: for tests and the benchmark.
void append_masked_frame(std::string& out, opcode op, std::string_view payload,
                         std::uint32_t mask_key, bool fin = true);

// One complete thing the client said: a whole data message or one control frame.
struct message {
    enum class kind : std::uint8_t { text, binary, ping, pong, close };
    kind type;
    std::string_view payload;       // for close: the reason only
    std::uint16_t close_status = 0; // for close: the status code, 1005 when absent
};

// Reassembles a client's frames into messages. One per session; used only on the session's
// thread. Holds memory only while a fragmented message is half-received.
class message_reader {
public:
    struct outcome {
        std::size_t consumed = 0;          // bytes of whole frames used from the input
        std::optional<close_code> failure; // the peer broke the protocol: close with this code
    };

    // Decodes every complete frame at the front of `bytes` (unmasking them in place) and calls
    // `on_message(const message&)` for each complete data message and each control frame, in
    // order. Stops at the first incomplete frame: the caller keeps bytes[consumed..] and calls
    // again once more bytes have arrived behind them. Stops at the first violation, too.
    // If on_message returns false, reading stops after that message (e.g. after a close).
    template <class OnMessage>
    outcome read(std::span<char> bytes, std::size_t max_message_bytes, OnMessage&& on_message);

    bool in_fragmented_message() const { return fragmented_ != opcode::continuation; }
    // Heap bytes held for a half-received message: 0 whenever none is, since memory per idle
    // connection is a headline figure.
    std::size_t buffered_bytes() const {
        return fragments_.capacity() > std::string().capacity() ? fragments_.capacity() : 0;
    }

private:
    // What decoding the frame at the front of the input gave. The template loop in read() only
    // calls back; every decision lives in decode_frame(), compiled once in frame_codec.cpp.
    struct step {
        enum class kind : std::uint8_t { incomplete, fragment, deliver, fail };
        step() = default;
        // Pinned in place: moving `reassembled` would move a short (SSO) payload away from
        // msg.payload's view.
        step(const step&) = delete;
        step& operator=(const step&) = delete;

        kind result = kind::incomplete;
        std::size_t frame_bytes = 0; // header + payload of the decoded frame
        message msg{};
        close_code failure = close_code::protocol_error;
        // Owns msg.payload of a reassembled message, so that the buffer is freed once the
        // callback has seen it and an idle reader keeps no allocation.
        std::string reassembled;
    };

    void decode_frame(std::span<char> bytes, std::size_t max_message_bytes, step& s);

    std::string fragments_;                    // payload so far of a fragmented message
    opcode fragmented_ = opcode::continuation; // text/binary while one is being assembled
};

template <class OnMessage>
message_reader::outcome message_reader::read(std::span<char> bytes, std::size_t max_message_bytes,
                                             OnMessage&& on_message) {
    outcome result;
    for (;;) {
        step s;
        decode_frame(bytes.subspan(result.consumed), max_message_bytes, s);
        switch (s.result) {
        case step::kind::incomplete:
            return result;
        case step::kind::fail:
            result.failure = s.failure;
            return result;
        case step::kind::fragment:
            result.consumed += s.frame_bytes;
            break;
        case step::kind::deliver:
            result.consumed += s.frame_bytes;
            // A callback returning void means "keep reading"; one returning bool may stop us.
            if constexpr (std::is_void_v<std::invoke_result_t<OnMessage&, const message&>>) {
                on_message(static_cast<const message&>(s.msg));
            } else if (!on_message(static_cast<const message&>(s.msg))) {
                return result;
            }
            break;
        }
    }
}

} // namespace herald::ws
