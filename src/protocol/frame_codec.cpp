#include "protocol/frame_codec.hpp"

#include <algorithm>
#include <cstring>
#include <simdjson.h>

namespace herald::ws {
namespace {

constexpr std::size_t max_control_payload = 125; // RFC 6455 §5.5
constexpr std::size_t max_close_reason = max_control_payload - 2;

std::uint8_t byte_at(std::span<const char> bytes, std::size_t i) {
    return static_cast<std::uint8_t>(bytes[i]);
}

std::uint64_t read_big_endian(std::span<const char> bytes, std::size_t from, std::size_t count) {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < count; ++i) {
        value = (value << 8) | byte_at(bytes, from + i);
    }
    return value;
}

void append_big_endian(std::string& out, std::uint64_t value, std::size_t count) {
    for (std::size_t i = count; i-- > 0;) {
        out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
    }
}

// Writes FIN|opcode and the shortest length encoding; `mask_bit` is 0x80 for client frames.
void append_header(std::string& out, opcode op, std::size_t payload_bytes, bool fin,
                   std::uint8_t mask_bit) {
    out.push_back(static_cast<char>((fin ? 0x80 : 0x00) | static_cast<std::uint8_t>(op)));
    if (payload_bytes < 126) {
        out.push_back(static_cast<char>(mask_bit | payload_bytes));
    } else if (payload_bytes <= 0xFFFF) {
        out.push_back(static_cast<char>(mask_bit | 126));
        append_big_endian(out, payload_bytes, 2);
    } else {
        out.push_back(static_cast<char>(mask_bit | 127));
        append_big_endian(out, payload_bytes, 8);
    }
}

// XORs with the 4-byte key; eight bytes per step because every client byte passes through here.
// memcpy keeps unaligned access defined, and compiles to plain loads and stores.
void apply_mask(char* data, std::size_t size, const char* key) {
    char key8[8];
    std::memcpy(key8, key, 4);
    std::memcpy(key8 + 4, key, 4);
    std::uint64_t mask;
    std::memcpy(&mask, key8, sizeof mask);
    std::size_t i = 0;
    for (; i + 8 <= size; i += 8) {
        std::uint64_t word;
        std::memcpy(&word, data + i, sizeof word);
        word ^= mask;
        std::memcpy(data + i, &word, sizeof word);
    }
    for (; i < size; ++i) {
        data[i] = static_cast<char>(data[i] ^ key[i % 4]);
    }
}

bool is_utf8(std::string_view text) {
    return simdjson::validate_utf8(text.data(), text.size());
}

// Codes an endpoint may put in a close frame (RFC 6455 §7.4; 1012-1014 are IANA-registered).
// 1005, 1006 and 1015 are reserved for reporting locally and must never be sent.
bool close_status_allowed_on_wire(std::uint16_t status) {
    return (status >= 1000 && status <= 1003) || (status >= 1007 && status <= 1014) ||
           (status >= 3000 && status <= 4999);
}

bool is_control(std::uint8_t op) {
    return (op & 0x08) != 0;
}

bool is_known_opcode(std::uint8_t op) {
    switch (static_cast<opcode>(op)) {
    case opcode::continuation:
    case opcode::text:
    case opcode::binary:
    case opcode::close:
    case opcode::ping:
    case opcode::pong:
        return true;
    }
    return false;
}

message::kind kind_of(opcode op) {
    switch (op) {
    case opcode::text:
        return message::kind::text;
    case opcode::binary:
        return message::kind::binary;
    case opcode::ping:
        return message::kind::ping;
    case opcode::pong:
        return message::kind::pong;
    case opcode::close:
    case opcode::continuation:
        break;
    }
    return message::kind::close;
}

} // namespace

void append_frame(std::string& out, opcode op, std::string_view payload, bool fin) {
    append_header(out, op, payload.size(), fin, 0x00);
    out.append(payload);
}

std::string make_frame(opcode op, std::string_view payload) {
    std::string out;
    out.reserve(frame_header_size(payload.size()) + payload.size());
    append_frame(out, op, payload);
    return out;
}

std::string make_close_frame(close_code code, std::string_view reason) {
    // A close frame is a control frame, so status + reason must fit in 125 bytes. Cut a longer
    // reason at a character boundary rather than send a frame the client must reject.
    if (reason.size() > max_close_reason) {
        std::size_t cut = max_close_reason;
        while (cut > 0 && (static_cast<std::uint8_t>(reason[cut]) & 0xC0) == 0x80) {
            --cut;
        }
        reason = reason.substr(0, cut);
    }
    std::string out;
    out.reserve(2 + 2 + reason.size());
    append_header(out, opcode::close, 2 + reason.size(), true, 0x00);
    append_big_endian(out, static_cast<std::uint16_t>(code), 2);
    out.append(reason);
    return out;
}

std::size_t frame_header_size_of(std::string_view frame) {
    if (frame.size() < 2) {
        return frame.size();
    }
    const auto length = static_cast<unsigned char>(frame[1]) & 0x7F;
    const std::size_t size = length == 126 ? 4 : length == 127 ? 10 : 2;
    return std::min(size, frame.size());
}

std::size_t frame_header_size(std::size_t payload_bytes) {
    if (payload_bytes < 126) {
        return 2;
    }
    return payload_bytes <= 0xFFFF ? 4 : 10;
}

void append_masked_frame(std::string& out, opcode op, std::string_view payload,
                         std::uint32_t mask_key, bool fin) {
    append_header(out, op, payload.size(), fin, 0x80);
    // The key goes on the wire most significant byte first, so 0x11223344 masks with 11 22 33 44.
    const char key[4] = {
        static_cast<char>((mask_key >> 24) & 0xFF),
        static_cast<char>((mask_key >> 16) & 0xFF),
        static_cast<char>((mask_key >> 8) & 0xFF),
        static_cast<char>(mask_key & 0xFF),
    };
    out.append(key, 4);
    const std::size_t start = out.size();
    out.append(payload);
    apply_mask(out.data() + start, payload.size(), key);
}

void message_reader::decode_frame(std::span<char> bytes, std::size_t max_message_bytes, step& s) {
    const auto fail = [&](close_code code) {
        // The session closes after a failure; it may linger for the closing handshake, so
        // do not keep a half-assembled message alive meanwhile.
        std::string().swap(fragments_);
        fragmented_ = opcode::continuation;
        s.result = step::kind::fail;
        s.failure = code;
    };

    if (bytes.size() < 2) {
        return;
    }
    // Everything decidable from the first two bytes is checked before waiting for more, so a
    // bad peer is dropped as early as possible.
    const std::uint8_t b0 = byte_at(bytes, 0);
    const std::uint8_t b1 = byte_at(bytes, 1);
    const bool fin = (b0 & 0x80) != 0;
    const std::uint8_t op_bits = b0 & 0x0F;
    if ((b0 & 0x70) != 0 || !is_known_opcode(op_bits) || (b1 & 0x80) == 0) {
        return fail(close_code::protocol_error);
    }
    const auto op = static_cast<opcode>(op_bits);
    const bool control = is_control(op_bits);
    const std::uint8_t length7 = b1 & 0x7F;
    if (control && (!fin || length7 > max_control_payload)) {
        return fail(close_code::protocol_error);
    }
    if (op == opcode::continuation && !in_fragmented_message()) {
        return fail(close_code::protocol_error);
    }
    if ((op == opcode::text || op == opcode::binary) && in_fragmented_message()) {
        return fail(close_code::protocol_error);
    }

    std::size_t header = 2;
    std::uint64_t length = length7;
    if (length7 == 126) {
        header = 4;
        if (bytes.size() < header) {
            return;
        }
        length = read_big_endian(bytes, 2, 2);
    } else if (length7 == 127) {
        header = 10;
        if (bytes.size() < header) {
            return;
        }
        length = read_big_endian(bytes, 2, 8);
        if ((length >> 63) != 0) {
            return fail(close_code::protocol_error);
        }
    }
    if (!control) {
        // Refuse on the header alone: waiting for the payload would mean buffering it.
        const std::size_t so_far = op == opcode::continuation ? fragments_.size() : 0;
        if (so_far > max_message_bytes || length > max_message_bytes - so_far) {
            return fail(close_code::message_too_big);
        }
    }
    header += 4; // masking key
    if (bytes.size() < header || length > bytes.size() - header) {
        return; // leave the partial frame masked: the caller hands it back to us
    }
    const auto size = static_cast<std::size_t>(length);
    char* const payload = bytes.data() + header;
    apply_mask(payload, size, payload - 4);
    s.frame_bytes = header + size;
    const std::string_view data(payload, size);

    switch (op) {
    case opcode::ping:
    case opcode::pong:
        s.result = step::kind::deliver;
        s.msg = message{kind_of(op), data};
        return;
    case opcode::close:
        if (size == 0) {
            s.result = step::kind::deliver;
            s.msg = message{message::kind::close, data, 1005}; // empty, but still inside the input
            return;
        }
        if (size == 1) {
            return fail(close_code::protocol_error);
        }
        {
            const auto status = static_cast<std::uint16_t>(read_big_endian(bytes, header, 2));
            if (!close_status_allowed_on_wire(status)) {
                return fail(close_code::protocol_error);
            }
            const auto reason = data.substr(2);
            if (!is_utf8(reason)) {
                return fail(close_code::invalid_payload);
            }
            s.result = step::kind::deliver;
            s.msg = message{message::kind::close, reason, status};
        }
        return;
    case opcode::text:
    case opcode::binary:
        if (!fin) {
            fragmented_ = op;
            fragments_.assign(data);
            s.result = step::kind::fragment;
            return;
        }
        // Whole message in one frame: hand out the view into the input, no copy.
        if (op == opcode::text && !is_utf8(data)) {
            return fail(close_code::invalid_payload);
        }
        s.result = step::kind::deliver;
        s.msg = message{kind_of(op), data};
        return;
    case opcode::continuation:
        fragments_.append(data);
        if (!fin) {
            s.result = step::kind::fragment;
            return;
        }
        {
            // UTF-8 is checked on the whole: a character may straddle two fragments.
            const opcode whole = fragmented_;
            s.reassembled.swap(fragments_);
            fragmented_ = opcode::continuation;
            if (whole == opcode::text && !is_utf8(s.reassembled)) {
                return fail(close_code::invalid_payload);
            }
            s.result = step::kind::deliver;
            s.msg = message{kind_of(whole), s.reassembled};
        }
        return;
    }
    fail(close_code::protocol_error); // unreachable: the opcode was checked above
}

} // namespace herald::ws
