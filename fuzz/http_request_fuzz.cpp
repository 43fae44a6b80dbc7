// libFuzzer: the HTTP request reader on arbitrary bytes arriving in arbitrary pieces.
//
// Input: byte 0 picks the largest piece, byte 1 seeds the piece sizes, the rest is the wire.
// The wire is read once whole and once in pieces, answering each request like a keep-alive
// connection; in pieces, the reader is sometimes fed another piece before the answer, like a
// connection that reads on while it writes. Both must see the same requests, and neither may
// ever hold more unparsed bytes than the limits allow plus what was fed since the last answer.
#include "protocol/http_request_reader.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using herald::http_request_limits;
using herald::http_request_reader;
using status = http_request_reader::status;
namespace http = boost::beast::http;

// Small, so that inputs of a few hundred bytes reach every limit.
constexpr http_request_limits limits{
    .max_header_bytes = 256, .max_chunk_line_bytes = 32, .max_body_bytes = 512};

// Most a reader may hold after it asked for more: a whole last-chunk line (behind the CRLF of
// the previous chunk's data) and a trailer section one byte short of the limit.
constexpr std::size_t most_pending = 2 + limits.max_chunk_line_bytes + limits.max_header_bytes;

void check(bool ok) {
    if (!ok) {
        std::abort();
    }
}

struct seen {
    std::string method;
    std::string target;
    unsigned version;
    std::vector<std::pair<std::string, std::string>> fields;
    std::string body;
    bool operator==(const seen&) const = default;
};

seen copy(const herald::http_request& r) {
    seen s{std::string(r.method_string()), std::string(r.target()), r.version(), {}, r.body()};
    for (const auto& f : r) {
        s.fields.emplace_back(std::string(f.name_string()), std::string(f.value()));
    }
    return s;
}

// What a connection relies on in an accepted request.
void check_request(const herald::http_request& r) {
    check(r.body().size() <= limits.max_body_bytes);
    check(r.version() == 10 || r.version() == 11);
    if (r.count(http::field::transfer_encoding) > 0) {
        // The framing that let a body past: chunked alone, never beside a Content-Length.
        check(r.count(http::field::content_length) == 0);
        check(r.version() == 11);
    }
}

void check_rejection(const herald::http_rejection& r) {
    const bool known = (r.status == 400 && r.error == "bad_request") ||
                       (r.status == 413 && r.error == "body_too_large") ||
                       (r.status == 431 && r.error == "headers_too_large") ||
                       (r.status == 501 && r.error == "not_implemented");
    check(known && !r.detail.empty());
}

struct result {
    std::vector<seen> requests;
    status last = status::need_more;
};

// Checks the outcome of one feed() or resume(); `fed` bytes arrived since the reader last
// asked for more.
void check_step(const http_request_reader& reader, status s, std::size_t fed) {
    switch (s) {
    case status::need_more:
        check(reader.buffered_bytes() <= most_pending);
        break;
    case status::complete:
        check(reader.started());
        check(reader.buffered_bytes() <= most_pending + fed);
        check_request(reader.request());
        break;
    case status::rejected:
        check(reader.buffered_bytes() == 0);
        check_rejection(reader.rejection());
        break;
    }
}

// Piece sizes and whether to feed one more piece before answering a complete request.
struct splitter {
    std::size_t max_piece;
    std::uint32_t state;

    std::uint32_t next() {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        return state;
    }
    std::size_t piece() { return max_piece == 0 ? std::size_t(-1) : 1 + next() % max_piece; }
    bool read_on() { return max_piece != 0 && next() % 4 == 0; }
};

result read(std::string_view wire, splitter split) {
    http_request_reader reader(limits);
    result out;
    std::size_t offset = 0;
    const auto feed = [&](std::size_t& fed) {
        const std::size_t piece = std::min(split.piece(), wire.size() - offset);
        const std::size_t before = reader.buffered_bytes();
        const bool was_complete = out.last == status::complete;
        out.last = reader.feed(wire.substr(offset, piece));
        offset += piece;
        fed += piece;
        check_step(reader, out.last, fed);
        if (was_complete) {
            check(out.last == status::complete);
            check(reader.buffered_bytes() == before + piece);
        } else if (out.last == status::need_more) {
            check(reader.buffered_bytes() <= before + piece);
        }
    };
    while (offset < wire.size() && out.last != status::rejected) {
        std::size_t fed = 0;
        feed(fed);
        while (out.last == status::complete) {
            const auto request = copy(reader.request());
            if (offset < wire.size() && split.read_on()) {
                feed(fed);
                check(copy(reader.request()) == request);
            }
            out.requests.push_back(request);
            check(out.requests.size() <= wire.size()); // every request takes bytes
            reader.next_request();
            out.last = reader.resume();
            check_step(reader, out.last, fed);
        }
    }
    const std::size_t left = reader.buffered_bytes();
    check(reader.take_buffered().size() == left);
    check(reader.buffered_bytes() == 0);
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) {
        return 0;
    }
    static constexpr std::size_t largest[] = {1, 2, 3, 7, 16, 64, 257, 4096};
    const splitter split{largest[data[0] % std::size(largest)], data[1] * 2654435761u + 1};
    const std::string_view wire(reinterpret_cast<const char*>(data) + 2, size - 2);

    const result whole = read(wire, splitter{0, 0});
    const result pieces = read(wire, split);

    // However the bytes were split, the same requests come out. Where the stream went wrong,
    // the readers may differ on how (400 or 431) and on when: a garbage start line is refused
    // at once when whole, but only once the header section is complete or over its limit when
    // it trickles in.
    check(whole.requests == pieces.requests);
    check(whole.last != status::complete && pieces.last != status::complete);
    return 0;
}
