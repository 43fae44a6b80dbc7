// libFuzzer: the client frame reader on arbitrary bytes arriving in arbitrary chunks, and the
// masked encoder round-tripped through it.
//
// Stream: the input is the wire. It is read once whole and once in chunks whose sizes come from
// the tail of the input, keeping the unconsumed bytes like a session does; both must agree.
// Round trip: a payload taken from the input is masked, fragmented around a ping, and read back.
#include "protocol/frame_codec.hpp"

#include <cstdint>
#include <cstdlib>
#include <fuzzer/FuzzedDataProvider.h>
#include <optional>
#include <simdjson.h>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace herald::ws;

constexpr std::size_t max_message_bytes = 4096;

void check(bool ok) {
    if (!ok) {
        std::abort();
    }
}

bool inside(std::string_view part, const char* begin, const char* end) {
    return part.data() >= begin && part.data() + part.size() <= end;
}

bool close_status_ok(std::uint16_t status) {
    return status == 1005 || (status >= 1000 && status <= 1003) ||
           (status >= 1007 && status <= 1014) || (status >= 3000 && status <= 4999);
}

struct seen {
    message::kind type;
    std::string payload;
    std::uint16_t close_status;
    bool operator==(const seen&) const = default;
};

struct stream_result {
    std::vector<seen> messages;
    std::optional<close_code> failure;
    std::size_t consumed = 0;
};

// Reads `pending` once, checks what a session relies on, and drops the consumed bytes.
// Returns false once reading must stop (a failure, or a close was delivered).
bool read_once(message_reader& reader, std::string& pending, stream_result& result) {
    const char* const begin = pending.data();
    const char* const end = begin + pending.size();
    std::vector<std::string_view> views;
    bool closed = false;
    const auto outcome =
        reader.read(std::span<char>(pending), max_message_bytes, [&](const message& m) {
            check(!closed);
            const bool control = m.type == message::kind::ping || m.type == message::kind::pong ||
                                 m.type == message::kind::close;
            // Control payloads and unfragmented messages are views into the input; only a
            // reassembled message lives elsewhere, and then wholly outside the input.
            if (control) {
                check(inside(m.payload, begin, end));
                check(m.payload.size() <= 125);
            } else {
                check(inside(m.payload, begin, end) ||
                      m.payload.data() + m.payload.size() <= begin || m.payload.data() >= end);
                check(m.payload.size() <= max_message_bytes);
            }
            if (m.type == message::kind::text || m.type == message::kind::close) {
                check(simdjson::validate_utf8(m.payload.data(), m.payload.size()));
            }
            if (m.type == message::kind::close) {
                check(close_status_ok(m.close_status));
                check(m.close_status != 1005 || m.payload.empty());
            } else {
                check(m.close_status == 0);
            }
            if (inside(m.payload, begin, end)) {
                views.push_back(m.payload);
            }
            result.messages.push_back({m.type, std::string(m.payload), m.close_status});
            closed = m.type == message::kind::close;
            return !closed;
        });
    check(outcome.consumed <= pending.size());
    for (std::string_view v : views) {
        check(v.data() + v.size() <= begin + outcome.consumed); // only whole frames delivered
    }
    result.consumed += outcome.consumed;
    if (outcome.failure) {
        const auto code = *outcome.failure;
        check(code == close_code::protocol_error || code == close_code::invalid_payload ||
              code == close_code::message_too_big);
        result.failure = code;
        return false;
    }
    pending.erase(0, outcome.consumed);
    return !closed;
}

void stream(const std::uint8_t* data, std::size_t size) {
    const std::string wire(reinterpret_cast<const char*>(data), size);

    stream_result whole;
    {
        message_reader reader;
        std::string pending = wire;
        read_once(reader, pending, whole);
    }

    stream_result chunked;
    message_reader reader;
    std::string pending;
    FuzzedDataProvider sizes(data, size);
    std::size_t offset = 0;
    while (offset < wire.size()) {
        const std::size_t chunk =
            std::min(sizes.ConsumeIntegralInRange<std::size_t>(1, 600), wire.size() - offset);
        pending.append(wire, offset, chunk);
        offset += chunk;
        if (!read_once(reader, pending, chunked)) {
            break;
        }
    }

    check(chunked.messages == whole.messages);
    check(chunked.failure == whole.failure);
    check(chunked.consumed == whole.consumed);
}

void round_trip(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    const auto key1 = in.ConsumeIntegral<std::uint32_t>();
    const auto key2 = in.ConsumeIntegral<std::uint32_t>();
    const bool text = in.ConsumeBool();
    const bool fragmented = in.ConsumeBool();
    const std::string payload = in.ConsumeRemainingBytesAsString();
    const opcode op = text ? opcode::text : opcode::binary;
    const std::size_t split = fragmented ? payload.size() / 2 : payload.size();
    const std::string_view first = std::string_view(payload).substr(0, split);
    const std::string_view second = std::string_view(payload).substr(split);
    const std::string_view ping = first.substr(0, 125);

    std::string unmasked;
    append_frame(unmasked, op, payload);
    check(unmasked.size() == frame_header_size(payload.size()) + payload.size());

    std::string wire;
    if (fragmented) {
        append_masked_frame(wire, op, first, key1, false);
        append_masked_frame(wire, opcode::ping, ping, key2);
        append_masked_frame(wire, opcode::continuation, second, key2);
    } else {
        append_masked_frame(wire, op, payload, key1);
    }

    stream_result got;
    message_reader reader;
    read_once(reader, wire, got);

    if (payload.size() > max_message_bytes) {
        check(got.failure == close_code::message_too_big);
    } else if (text && !simdjson::validate_utf8(payload.data(), payload.size())) {
        check(got.failure == close_code::invalid_payload);
    } else {
        check(!got.failure);
        std::vector<seen> expected;
        if (fragmented) {
            expected.push_back({message::kind::ping, std::string(ping), 0});
        }
        expected.push_back({text ? message::kind::text : message::kind::binary, payload, 0});
        check(got.messages == expected);
        check(!reader.in_fragmented_message());
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    stream(data, size);
    round_trip(data, size);
    return 0;
}
