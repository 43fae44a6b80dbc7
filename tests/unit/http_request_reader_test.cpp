#include "protocol/http_request_reader.hpp"

#include <chrono>
#include <cstddef>
#include <gtest/gtest.h>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace herald {
namespace {

using status = http_request_reader::status;

// Small limits, so that every boundary is a short string.
constexpr http_request_limits small{
    .max_header_bytes = 256, .max_chunk_line_bytes = 32, .max_body_bytes = 1024};

// A request as the test saw it, comparable across ways of feeding the same bytes.
struct seen {
    std::string method;
    std::string target;
    unsigned version = 0;
    std::vector<std::pair<std::string, std::string>> fields;
    std::string body;

    bool operator==(const seen&) const = default;
};

std::ostream& operator<<(std::ostream& os, const seen& s) {
    os << s.method << ' ' << s.target << " HTTP/" << s.version / 10 << '.' << s.version % 10;
    for (const auto& [name, value] : s.fields) {
        os << " | " << name << ": " << value;
    }
    return os << " | body " << s.body.size() << " bytes";
}

seen copy(const http_request& r) {
    seen s{std::string(r.method_string()), std::string(r.target()), r.version(), {}, r.body()};
    for (const auto& f : r) {
        s.fields.emplace_back(std::string(f.name_string()), std::string(f.value()));
    }
    return s;
}

// What reading a whole stream gave: the complete requests in order, then how it stopped.
struct outcome {
    std::vector<seen> requests;
    status last = status::need_more;
    unsigned rejected_with = 0;
    std::string error;
    std::string leftover;
};

// Feeds `wire` in pieces of `piece` bytes, answering every complete request like a keep-alive
// connection does (next_request(), then resume() for pipelined bytes).
outcome read_stream(std::string_view wire, std::size_t piece, http_request_limits limits = small) {
    http_request_reader reader(limits);
    outcome out;
    for (std::size_t offset = 0; offset < wire.size() && out.last != status::rejected;
         offset += piece) {
        out.last = reader.feed(wire.substr(offset, piece));
        while (out.last == status::complete) {
            out.requests.push_back(copy(reader.request()));
            reader.next_request();
            out.last = reader.resume();
        }
    }
    if (out.last == status::rejected) {
        out.rejected_with = reader.rejection().status;
        out.error = reader.rejection().error;
    }
    out.leftover = reader.take_buffered();
    return out;
}

outcome read_whole(std::string_view wire, http_request_limits limits = small) {
    return read_stream(wire, wire.size() + 1, limits);
}

// A header section of exactly `bytes` bytes: `head`, one padding field, and the empty line.
std::string header_of_size(std::size_t bytes, std::string_view head = "GET / HTTP/1.1\r\n") {
    const std::size_t overhead = head.size() + std::string_view("X-Pad: a\r\n\r\n").size() - 1;
    EXPECT_GT(bytes, overhead);
    return std::string(head) + "X-Pad: " + std::string(bytes - overhead, 'a') + "\r\n\r\n";
}

// A chunk line of exactly `bytes` bytes, CRLF included, for a chunk of `size_hex` bytes.
std::string chunk_line_of_size(std::size_t bytes, std::string_view size_hex = "1") {
    const std::size_t overhead = size_hex.size() + std::string_view(";x=\r\n").size();
    EXPECT_GT(bytes, overhead);
    return std::string(size_hex) + ";x=" + std::string(bytes - overhead, 'a') + "\r\n";
}

constexpr std::string_view chunked_head =
    "POST /publish HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";

} // namespace

TEST(http_request_reader, reads_a_simple_get) {
    http_request_reader reader(small);
    ASSERT_EQ(reader.feed("GET /live?x=1 HTTP/1.1\r\nHost: example\r\n\r\n"), status::complete);
    const auto& r = reader.request();
    EXPECT_EQ(r.method(), boost::beast::http::verb::get);
    EXPECT_EQ(r.target(), "/live?x=1");
    EXPECT_EQ(r.version(), 11u);
    EXPECT_EQ(r[boost::beast::http::field::host], "example");
    EXPECT_TRUE(r.body().empty());
    EXPECT_TRUE(r.keep_alive());
    EXPECT_EQ(reader.buffered_bytes(), 0u);
}

TEST(http_request_reader, reads_a_post_body_by_content_length) {
    http_request_reader reader(small);
    EXPECT_EQ(reader.feed("POST /publish HTTP/1.1\r\nContent-Length: 11\r\n\r\nhello"),
              status::need_more);
    ASSERT_EQ(reader.feed(" world"), status::complete);
    EXPECT_EQ(reader.request().body(), "hello world");
}

TEST(http_request_reader, reads_a_chunked_body_with_extensions) {
    const std::string wire = std::string(chunked_head) + "5;name=value;quoted=\"a b\"\r\nhello\r\n"
                                                         "6 ; bare\r\n world\r\n"
                                                         "0;last\r\n\r\n";
    http_request_reader reader(small);
    ASSERT_EQ(reader.feed(wire), status::complete);
    EXPECT_EQ(reader.request().body(), "hello world");
    EXPECT_EQ(reader.buffered_bytes(), 0u);
}

TEST(http_request_reader, drops_trailer_fields_instead_of_merging_them_into_the_header) {
    const std::string wire = std::string(chunked_head) +
                             "5\r\nhello\r\n0\r\nUpgrade: websocket\r\nX-Checksum: 1\r\n\r\n";
    http_request_reader reader(small);
    ASSERT_EQ(reader.feed(wire), status::complete);
    const auto& r = reader.request();
    EXPECT_EQ(r.body(), "hello");
    EXPECT_EQ(r.count(boost::beast::http::field::upgrade), 0u);
    EXPECT_EQ(r.count("X-Checksum"), 0u);
    EXPECT_EQ(r[boost::beast::http::field::host], "h");
}

TEST(http_request_reader, reads_pipelined_requests_one_after_another) {
    const std::string wire = "GET /a HTTP/1.1\r\n\r\n"
                             "POST /b HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc" +
                             std::string(chunked_head) + "2\r\nde\r\n0\r\n\r\n" +
                             "GET /c HTTP/1.1\r\n";
    http_request_reader reader(small);
    ASSERT_EQ(reader.feed(wire), status::complete);
    EXPECT_EQ(reader.request().target(), "/a");
    // Complete means "answer first": more bytes only queue up.
    EXPECT_EQ(reader.feed("\r\n"), status::complete);
    EXPECT_EQ(reader.request().target(), "/a");

    reader.next_request();
    ASSERT_EQ(reader.resume(), status::complete);
    EXPECT_EQ(reader.request().target(), "/b");
    EXPECT_EQ(reader.request().body(), "abc");

    reader.next_request();
    ASSERT_EQ(reader.resume(), status::complete);
    EXPECT_EQ(reader.request().target(), "/publish");
    EXPECT_EQ(reader.request().body(), "de");

    reader.next_request();
    ASSERT_EQ(reader.resume(), status::complete);
    EXPECT_EQ(reader.request().target(), "/c");

    reader.next_request();
    EXPECT_EQ(reader.resume(), status::need_more);
    EXPECT_FALSE(reader.started());
    EXPECT_EQ(reader.buffered_bytes(), 0u);
}

TEST(http_request_reader, reads_the_same_requests_however_the_bytes_are_split) {
    const std::string wire = "GET /a HTTP/1.1\r\nHost: h\r\nX-Folded: a\r\n\r\n"
                             "POST /b HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello" +
                             std::string(chunked_head) +
                             "3;x=\"q;\\\"\"\r\nabc\r\n1\r\nd\r\n0\r\nX-Sum: 9\r\n\r\n" +
                             "GET /end HTTP/1.1\r\n\r\n";
    const outcome whole = read_whole(wire);
    ASSERT_EQ(whole.requests.size(), 4u);
    ASSERT_EQ(whole.last, status::need_more);
    EXPECT_EQ(whole.requests[2].body, "abcd");

    for (std::size_t split = 0; split <= wire.size(); ++split) {
        http_request_reader reader(small);
        std::vector<seen> requests;
        status s = reader.feed(std::string_view(wire).substr(0, split));
        const auto drain = [&] {
            while (s == status::complete) {
                requests.push_back(copy(reader.request()));
                reader.next_request();
                s = reader.resume();
            }
        };
        drain();
        s = reader.feed(std::string_view(wire).substr(split));
        drain();
        EXPECT_EQ(s, status::need_more) << "split at " << split;
        EXPECT_EQ(requests, whole.requests) << "split at " << split;
    }
    for (std::size_t piece : {1, 2, 3, 7, 64}) {
        const outcome pieces = read_stream(wire, piece);
        EXPECT_EQ(pieces.last, status::need_more) << piece << "-byte pieces";
        EXPECT_EQ(pieces.requests, whole.requests) << piece << "-byte pieces";
    }
}

TEST(http_request_reader, costs_linear_time_when_a_request_arrives_a_byte_at_a_time) {
    // Big enough that a parser copying or rescanning its buffer per byte would take hours:
    // 256 KiB of header fields, 256 KiB of chunked body in 64-byte chunks with extensions,
    // and 256 KiB of trailer fields.
    const http_request_limits big{
        .max_header_bytes = 1 << 20, .max_chunk_line_bytes = 4096, .max_body_bytes = 1 << 20};
    std::string fields;
    for (int i = 0; fields.size() < (256u << 10); ++i) {
        fields += "X-Field-" + std::to_string(i) + ": " + std::string(40, 'v') + "\r\n";
    }
    std::string wire = "POST /publish HTTP/1.1\r\nTransfer-Encoding: chunked\r\n" + fields + "\r\n";
    std::string body;
    while (body.size() < (256u << 10)) {
        wire += "40;ext=" + std::string(50, 'e') + "\r\n" + std::string(64, 'b') + "\r\n";
        body += std::string(64, 'b');
    }
    wire += "0\r\n" + fields + "\r\n";

    const auto start = std::chrono::steady_clock::now();
    http_request_reader reader(big);
    status s = status::need_more;
    for (char c : wire) {
        ASSERT_EQ(s, status::need_more);
        s = reader.feed(std::string_view(&c, 1));
    }
    const auto elapsed = std::chrono::steady_clock::now() - start;
    ASSERT_EQ(s, status::complete);
    EXPECT_EQ(reader.request().body(), body);
    // About a second under ASan; quadratic work on 768 KiB would be minutes at least.
    EXPECT_LT(elapsed, std::chrono::seconds(30));
}

// --- limits: each one just under (accepted) and just over (rejected) -----------------------

TEST(http_request_reader, accepts_a_header_section_of_exactly_max_header_bytes) {
    const outcome o = read_whole(header_of_size(small.max_header_bytes));
    EXPECT_EQ(o.last, status::need_more);
    EXPECT_EQ(o.requests.size(), 1u);
    const outcome bytewise = read_stream(header_of_size(small.max_header_bytes), 1);
    EXPECT_EQ(bytewise.requests.size(), 1u);
}

TEST(http_request_reader, rejects_a_header_section_one_byte_over_with_431) {
    const std::string wire = header_of_size(small.max_header_bytes + 1);
    // Whole, in pieces, and a byte at a time: Beast consumes complete fields as it goes, which
    // must not stretch the limit.
    for (std::size_t piece : {wire.size(), std::size_t{100}, std::size_t{1}}) {
        const outcome o = read_stream(wire, piece);
        EXPECT_EQ(o.last, status::rejected) << piece;
        EXPECT_EQ(o.rejected_with, 431u) << piece;
        EXPECT_EQ(o.error, "headers_too_large") << piece;
    }
}

TEST(http_request_reader, rejects_a_header_section_of_many_small_fields_over_the_limit) {
    std::string wire = "GET / HTTP/1.1\r\n";
    while (wire.size() < small.max_header_bytes) {
        wire += "A: b\r\n";
    }
    for (std::size_t piece : {wire.size(), std::size_t{7}, std::size_t{1}}) {
        http_request_reader reader(small);
        status s = status::need_more;
        for (std::size_t offset = 0; offset < wire.size() && s == status::need_more;
             offset += piece) {
            s = reader.feed(std::string_view(wire).substr(offset, piece));
            EXPECT_LT(reader.buffered_bytes(), small.max_header_bytes);
        }
        ASSERT_EQ(s, status::rejected) << piece;
        EXPECT_EQ(reader.rejection().status, 431u);
        EXPECT_EQ(reader.rejection().error, "headers_too_large");
        EXPECT_EQ(reader.rejection().detail, "request headers are over 256 bytes");
    }
}

TEST(http_request_reader, accepts_a_request_line_that_fills_the_header_limit) {
    const std::size_t line = small.max_header_bytes - 2; // the empty line ends the section
    const std::string target =
        "/" + std::string(line - std::string_view("GET  HTTP/1.1\r\n").size() - 1, 't');
    http_request_reader reader(small);
    ASSERT_EQ(reader.feed("GET " + target + " HTTP/1.1\r\n\r\n"), status::complete);
    EXPECT_EQ(reader.request().target(), target);
}

TEST(http_request_reader, rejects_a_request_line_over_the_header_limit_with_431) {
    // No CRLF at all: rejected once the limit's worth has arrived, not when the line ends.
    http_request_reader reader(small);
    const std::string start = "GET /" + std::string(small.max_header_bytes - 6, 't');
    ASSERT_EQ(start.size(), small.max_header_bytes - 1);
    EXPECT_EQ(reader.feed(start), status::need_more);
    ASSERT_EQ(reader.feed("t"), status::rejected);
    EXPECT_EQ(reader.rejection().status, 431u);
    EXPECT_EQ(reader.rejection().error, "headers_too_large");
    EXPECT_EQ(reader.buffered_bytes(), 0u);
}

TEST(http_request_reader, accepts_one_header_field_that_fills_the_header_limit) {
    const std::string wire = header_of_size(small.max_header_bytes, "GET / HTTP/1.1\r\n");
    http_request_reader reader(small);
    ASSERT_EQ(reader.feed(wire), status::complete);
    EXPECT_EQ(reader.request()["X-Pad"].size(), small.max_header_bytes - 27);
}

TEST(http_request_reader, rejects_one_header_field_over_the_header_limit_with_431) {
    http_request_reader reader(small);
    EXPECT_EQ(reader.feed("GET / HTTP/1.1\r\nX-Long: "), status::need_more);
    status s = status::need_more;
    std::size_t fed = 24;
    while (s == status::need_more) {
        s = reader.feed("aaaaaaaa");
        fed += 8;
        EXPECT_LT(reader.buffered_bytes(), small.max_header_bytes);
    }
    ASSERT_EQ(s, status::rejected);
    EXPECT_EQ(fed, small.max_header_bytes);
    EXPECT_EQ(reader.rejection().status, 431u);
    EXPECT_EQ(reader.rejection().error, "headers_too_large");
}

TEST(http_request_reader, accepts_a_chunk_line_of_exactly_max_chunk_line_bytes) {
    const std::string wire = std::string(chunked_head) +
                             chunk_line_of_size(small.max_chunk_line_bytes) + "x\r\n" +
                             chunk_line_of_size(small.max_chunk_line_bytes) + "y\r\n" +
                             chunk_line_of_size(small.max_chunk_line_bytes, "0") + "\r\n";
    for (std::size_t piece : {wire.size(), std::size_t{1}}) {
        const outcome o = read_stream(wire, piece);
        EXPECT_EQ(o.last, status::need_more) << piece;
        ASSERT_EQ(o.requests.size(), 1u) << piece;
        EXPECT_EQ(o.requests[0].body, "xy");
    }
}

TEST(http_request_reader, rejects_a_chunk_line_one_byte_over_with_400) {
    // As the first chunk, behind a chunk, and as the last chunk; whole and a byte at a time.
    const std::string over = chunk_line_of_size(small.max_chunk_line_bytes + 1);
    const std::string over_last = chunk_line_of_size(small.max_chunk_line_bytes + 1, "0");
    for (const std::string& wire :
         {std::string(chunked_head) + over + "x\r\n0\r\n\r\n",
          std::string(chunked_head) + "1\r\nx\r\n" + over + "y\r\n0\r\n\r\n",
          std::string(chunked_head) + over_last + "\r\n"}) {
        for (std::size_t piece : {wire.size(), std::size_t{1}}) {
            const outcome o = read_stream(wire, piece);
            EXPECT_EQ(o.last, status::rejected) << piece;
            EXPECT_EQ(o.rejected_with, 400u) << piece;
            EXPECT_EQ(o.error, "bad_request") << piece;
        }
    }
}

TEST(http_request_reader,
     rejects_a_never_ending_chunk_extension_before_buffering_more_than_the_limit) {
    // The attack: a chunk extension that runs for 32 MiB without CRLF. Here 1 MiB of it
    // arrives in 64 KiB reads with the default limits.
    const http_request_limits limits;
    const std::string start = std::string(chunked_head) + "1;ext=";
    const std::string wire = start + std::string((1u << 20) - start.size(), 'e');
    http_request_reader reader(limits);
    status s = status::need_more;
    std::size_t reads = 0;
    for (std::size_t offset = 0; offset < wire.size(); offset += 64 * 1024) {
        s = reader.feed(std::string_view(wire).substr(offset, 64 * 1024));
        ++reads;
        EXPECT_LT(reader.buffered_bytes(), limits.max_chunk_line_bytes);
        if (s != status::need_more) {
            break;
        }
    }
    ASSERT_EQ(s, status::rejected);
    EXPECT_EQ(reads, 1u);
    EXPECT_EQ(reader.rejection().status, 400u);
    EXPECT_EQ(reader.rejection().error, "bad_request");
    EXPECT_EQ(reader.rejection().detail, "a chunk line is over 4 KiB");
    // The rest of the stream is dropped, not kept.
    EXPECT_EQ(reader.feed(std::string(64 * 1024, 'e')), status::rejected);
    EXPECT_EQ(reader.buffered_bytes(), 0u);

    // In small reads it is refused as soon as the line reaches the limit.
    http_request_reader trickle(limits);
    EXPECT_EQ(trickle.feed(start), status::need_more);
    std::size_t fed = 6; // "1;ext="
    for (s = status::need_more; s == status::need_more; fed += 100) {
        s = trickle.feed(std::string(100, 'e'));
        EXPECT_LT(trickle.buffered_bytes(), limits.max_chunk_line_bytes);
    }
    EXPECT_EQ(s, status::rejected);
    EXPECT_GE(fed, limits.max_chunk_line_bytes);
    EXPECT_LT(fed, limits.max_chunk_line_bytes + 100);
}

TEST(http_request_reader, accepts_a_trailer_line_that_fills_the_trailer_limit) {
    // The trailer section is its fields and the empty line, like the header section.
    const std::size_t line = small.max_header_bytes - 2;
    const std::string field = "X-Sum: " + std::string(line - 9, 's') + "\r\n";
    ASSERT_EQ(field.size(), line);
    const std::string wire = std::string(chunked_head) + "1\r\nx\r\n0\r\n" + field + "\r\n";
    for (std::size_t piece : {wire.size(), std::size_t{1}}) {
        const outcome o = read_stream(wire, piece);
        EXPECT_EQ(o.last, status::need_more) << piece;
        ASSERT_EQ(o.requests.size(), 1u) << piece;
        EXPECT_EQ(o.requests[0].body, "x");
    }
}

TEST(http_request_reader, rejects_a_trailer_line_over_the_trailer_limit_with_431) {
    http_request_reader reader(small);
    EXPECT_EQ(reader.feed(std::string(chunked_head) + "1\r\nx\r\n0\r\nX-Sum: "), status::need_more);
    status s = status::need_more;
    while (s == status::need_more) {
        s = reader.feed("ssss");
        EXPECT_LT(reader.buffered_bytes(), small.max_header_bytes + small.max_chunk_line_bytes);
    }
    ASSERT_EQ(s, status::rejected);
    EXPECT_EQ(reader.rejection().status, 431u);
    EXPECT_EQ(reader.rejection().error, "headers_too_large");
    EXPECT_EQ(reader.rejection().detail, "request trailers are over 256 bytes");
}

TEST(http_request_reader, accepts_a_trailer_section_of_exactly_max_header_bytes) {
    std::string trailer = "A: 1\r\nB: 2\r\n";
    trailer +=
        "X-Pad: " + std::string(small.max_header_bytes - trailer.size() - 11, 'p') + "\r\n\r\n";
    ASSERT_EQ(trailer.size(), small.max_header_bytes);
    const std::string wire = std::string(chunked_head) + "1\r\nx\r\n0\r\n" + trailer;
    for (std::size_t piece : {wire.size(), std::size_t{1}}) {
        const outcome o = read_stream(wire, piece);
        EXPECT_EQ(o.last, status::need_more) << piece;
        EXPECT_EQ(o.requests.size(), 1u) << piece;
    }
}

TEST(http_request_reader, rejects_a_trailer_section_one_byte_over_with_431) {
    std::string trailer = "A: 1\r\nB: 2\r\n";
    trailer +=
        "X-Pad: " + std::string(small.max_header_bytes - trailer.size() - 10, 'p') + "\r\n\r\n";
    ASSERT_EQ(trailer.size(), small.max_header_bytes + 1);
    const std::string wire = std::string(chunked_head) + "1\r\nx\r\n0\r\n" + trailer;
    for (std::size_t piece : {wire.size(), std::size_t{1}}) {
        const outcome o = read_stream(wire, piece);
        EXPECT_EQ(o.last, status::rejected) << piece;
        EXPECT_EQ(o.rejected_with, 431u) << piece;
        EXPECT_EQ(o.error, "headers_too_large") << piece;
    }
}

TEST(http_request_reader, accepts_a_content_length_body_of_exactly_max_body_bytes) {
    const std::string wire =
        "POST / HTTP/1.1\r\nContent-Length: 1024\r\n\r\n" + std::string(1024, 'b');
    http_request_reader reader(small);
    ASSERT_EQ(reader.feed(wire), status::complete);
    EXPECT_EQ(reader.request().body().size(), 1024u);
}

TEST(http_request_reader, rejects_a_content_length_over_the_limit_as_soon_as_the_header_says_so) {
    http_request_reader reader(small);
    ASSERT_EQ(reader.feed("POST / HTTP/1.1\r\nContent-Length: 1025\r\n\r\n"), status::rejected);
    EXPECT_EQ(reader.rejection().status, 413u);
    EXPECT_EQ(reader.rejection().error, "body_too_large");
    EXPECT_EQ(reader.rejection().detail, "the body is over limits.max_http_body_bytes");
}

TEST(http_request_reader, accepts_a_chunked_body_of_exactly_max_body_bytes) {
    const std::string wire = std::string(chunked_head) + "200\r\n" + std::string(512, 'a') +
                             "\r\n1ff\r\n" + std::string(511, 'b') + "\r\n1\r\nc\r\n0\r\n\r\n";
    http_request_reader reader(small);
    ASSERT_EQ(reader.feed(wire), status::complete);
    EXPECT_EQ(reader.request().body().size(), 1024u);
}

TEST(http_request_reader, rejects_a_chunked_body_over_the_limit_at_the_chunk_that_goes_over) {
    http_request_reader reader(small);
    EXPECT_EQ(reader.feed(std::string(chunked_head) + "400\r\n" + std::string(1024, 'a') + "\r\n"),
              status::need_more);
    // Refused on the chunk's size line, before its data is sent.
    ASSERT_EQ(reader.feed("1\r\n"), status::rejected);
    EXPECT_EQ(reader.rejection().status, 413u);
    EXPECT_EQ(reader.rejection().error, "body_too_large");

    http_request_reader huge(small);
    ASSERT_EQ(huge.feed(std::string(chunked_head) + "ffffffffffff\r\n"), status::rejected);
    EXPECT_EQ(huge.rejection().status, 413u);
}

// --- framing: Transfer-Encoding and Content-Length (RFC 9112 §6) ---------------------------

struct framing_case {
    const char* fields;
    unsigned status;
    const char* error;
};

TEST(http_request_reader, checks_transfer_encoding_and_content_length_before_any_body_byte) {
    const framing_case cases[] = {
        {"Transfer-Encoding: gzip\r\nContent-Length: 5\r\n", 400, "bad_request"},
        {"Content-Length: 5\r\nTransfer-Encoding: gzip\r\n", 400, "bad_request"},
        {"Transfer-Encoding: gzip\r\n", 400, "bad_request"},
        {"Transfer-Encoding: chunked, gzip\r\n", 400, "bad_request"},
        {"Transfer-Encoding: gzip, chunked\r\n", 501, "not_implemented"},
        {"Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n", 501, "not_implemented"},
        {"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", 400, "bad_request"},
        {"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", 400, "bad_request"},
        {"Transfer-Encoding: gzip, chunked\r\nContent-Length: 5\r\n", 400, "bad_request"},
        {"Transfer-Encoding: chunked, chunked\r\n", 400, "bad_request"},
        {"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", 400, "bad_request"},
        {"Transfer-Encoding: chunked;x=1\r\n", 400, "bad_request"},
        {"Transfer-Encoding: \r\n", 400, "bad_request"},
        {"Transfer-Encoding: @\r\n", 400, "bad_request"},
        {"Content-Length: 5\r\nContent-Length: 6\r\n", 400, "bad_request"},
        {"Content-Length: 5, 6\r\n", 400, "bad_request"},
        {"Content-Length: -5\r\n", 400, "bad_request"},
    };
    for (const auto& c : cases) {
        // The header section alone: nothing of the body has arrived, yet the answer is known.
        http_request_reader reader(small);
        ASSERT_EQ(reader.feed(std::string("POST / HTTP/1.1\r\n") + c.fields + "\r\n"),
                  status::rejected)
            << c.fields;
        EXPECT_EQ(reader.rejection().status, c.status) << c.fields;
        EXPECT_EQ(reader.rejection().error, c.error) << c.fields;
    }
}

TEST(http_request_reader, rejects_transfer_encoding_gzip_with_content_length_with_400) {
    // The smuggling shape: a body that is itself a request.
    http_request_reader reader(small);
    ASSERT_EQ(reader.feed("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\nContent-Length: 20\r\n\r\n"
                          "GET /admin HTTP/1.1\r\n"),
              status::rejected);
    EXPECT_EQ(reader.rejection().status, 400u);
    EXPECT_EQ(reader.rejection().error, "bad_request");
    EXPECT_EQ(reader.rejection().detail, "Transfer-Encoding and Content-Length together");
    EXPECT_EQ(reader.buffered_bytes(), 0u);
}

TEST(http_request_reader, rejects_transfer_encoding_gzip_alone_with_400) {
    http_request_reader reader(small);
    ASSERT_EQ(reader.feed(
                  "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\nGET /admin HTTP/1.1\r\n\r\n"),
              status::rejected);
    EXPECT_EQ(reader.rejection().status, 400u);
    EXPECT_EQ(reader.rejection().detail, "Transfer-Encoding does not end in chunked");
}

TEST(http_request_reader, rejects_gzip_in_front_of_chunked_with_501) {
    http_request_reader reader(small);
    ASSERT_EQ(reader.feed("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n1\r\nx\r\n"),
              status::rejected);
    EXPECT_EQ(reader.rejection().status, 501u);
    EXPECT_EQ(reader.rejection().error, "not_implemented");
    EXPECT_EQ(reader.rejection().detail, "the transfer coding gzip is not implemented");
}

TEST(http_request_reader, rejects_transfer_encoding_with_content_length_with_400) {
    http_request_reader reader(small);
    ASSERT_EQ(
        reader.feed("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n"),
        status::rejected);
    EXPECT_EQ(reader.rejection().status, 400u);
    EXPECT_EQ(reader.rejection().error, "bad_request");
}

TEST(http_request_reader, rejects_two_different_content_lengths_with_400) {
    http_request_reader reader(small);
    ASSERT_EQ(reader.feed("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd"),
              status::rejected);
    EXPECT_EQ(reader.rejection().status, 400u);
    EXPECT_EQ(reader.rejection().error, "bad_request");
}

TEST(http_request_reader, accepts_a_repeated_content_length_with_the_same_value) {
    // RFC 9110 §8.6 allows reading "3" twice as 3.
    http_request_reader reader(small);
    ASSERT_EQ(reader.feed("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc"),
              status::complete);
    EXPECT_EQ(reader.request().body(), "abc");
}

TEST(http_request_reader, rejects_transfer_encoding_in_an_http_1_0_request_with_400) {
    http_request_reader reader(small);
    ASSERT_EQ(reader.feed("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"),
              status::rejected);
    EXPECT_EQ(reader.rejection().status, 400u);
}

TEST(http_request_reader, accepts_transfer_encoding_chunked_in_any_case_and_with_empty_elements) {
    http_request_reader reader(small);
    ASSERT_EQ(
        reader.feed("POST / HTTP/1.1\r\nTransfer-Encoding: , CHUNKED \r\n\r\n1\r\nx\r\n0\r\n\r\n"),
        status::complete);
    EXPECT_EQ(reader.request().body(), "x");
}

TEST(http_request_reader, rejects_chunk_data_not_followed_by_crlf_at_once) {
    http_request_reader reader(small);
    ASSERT_EQ(reader.feed(std::string(chunked_head) + "1\r\nxy"), status::rejected);
    EXPECT_EQ(reader.rejection().status, 400u);
    EXPECT_EQ(reader.rejection().detail, "chunk data is not followed by CRLF");
}

TEST(http_request_reader, rejects_a_chunk_line_ending_in_a_bare_lf) {
    http_request_reader reader(small);
    ASSERT_EQ(reader.feed(std::string(chunked_head) + "1;a\nx\r\n0\r\n\r\n"), status::rejected);
    EXPECT_EQ(reader.rejection().status, 400u);
    EXPECT_EQ(reader.rejection().error, "bad_request");
}

TEST(http_request_reader, rejects_a_malformed_request_line_with_the_parsers_message) {
    http_request_reader reader(small);
    ASSERT_EQ(reader.feed("GET / HTTP/9.9\r\n\r\n"), status::rejected);
    EXPECT_EQ(reader.rejection().status, 400u);
    EXPECT_EQ(reader.rejection().error, "bad_request");
    EXPECT_EQ(reader.rejection().detail, "bad version");
}

// --- the connection's view -----------------------------------------------------------------

TEST(http_request_reader, returns_the_bytes_after_an_upgrade_request_from_take_buffered) {
    const std::string upgrade = "GET /live HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
                                "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
    const std::string frames = "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58";
    http_request_reader reader(http_request_limits{});
    ASSERT_EQ(reader.feed(upgrade + frames.substr(0, 4)), status::complete);
    EXPECT_EQ(reader.request()[boost::beast::http::field::upgrade], "websocket");
    // Bytes that arrive before the connection hands over are kept too.
    EXPECT_EQ(reader.feed(frames.substr(4)), status::complete);
    EXPECT_EQ(reader.buffered_bytes(), frames.size());
    EXPECT_EQ(reader.take_buffered(), frames);
    EXPECT_EQ(reader.buffered_bytes(), 0u);
}

TEST(http_request_reader, says_a_request_started_once_its_first_byte_arrived) {
    http_request_reader reader(small);
    EXPECT_FALSE(reader.started());
    EXPECT_EQ(reader.feed(""), status::need_more);
    EXPECT_FALSE(reader.started());
    EXPECT_EQ(reader.feed("G"), status::need_more);
    EXPECT_TRUE(reader.started());
    ASSERT_EQ(reader.feed("ET / HTTP/1.1\r\n\r\nGE"), status::complete);
    reader.next_request();
    EXPECT_TRUE(reader.started()); // "GE" of the next one is here
}

TEST(http_request_reader, stays_rejected_and_holds_nothing_after_a_rejection) {
    http_request_reader reader(small);
    ASSERT_EQ(reader.feed("GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n"), status::rejected);
    EXPECT_EQ(reader.feed("GET / HTTP/1.1\r\n\r\n"), status::rejected);
    reader.next_request();
    EXPECT_EQ(reader.resume(), status::rejected);
    EXPECT_EQ(reader.buffered_bytes(), 0u);
    EXPECT_EQ(reader.take_buffered(), "");
}

} // namespace herald
