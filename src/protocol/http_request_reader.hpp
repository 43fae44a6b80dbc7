#pragma once
// Reads HTTP/1.1 requests from a byte stream with every part of a request bounded, so that a
// peer cannot make a connection hold more than the limits' worth of bytes it has not finished
// sending. No sockets here: the connection feeds bytes and acts on the outcome, and the reader
// is fuzzed on its own.

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace herald {

using http_request = boost::beast::http::request<boost::beast::http::string_body>;

struct http_request_limits {
    // The header section: request line, header fields and the empty line, CRLFs included. The
    // trailer section of a chunked body (its fields and the empty line) has the same limit.
    std::size_t max_header_bytes = 16 * 1024;
    // One chunk-size line with its extensions and CRLF. Real clients send a few hex digits;
    // extensions are the one place a chunked body can make a parser hold an unbounded line.
    std::size_t max_chunk_line_bytes = 4 * 1024;
    // The body after the framing is removed: Content-Length, or the chunk sizes added up.
    std::size_t max_body_bytes = 1024 * 1024;
};

// Why a request was refused. The connection answers `status` with {error, detail} and closes:
// after any of these the stream cannot be trusted to be at a request boundary.
struct http_rejection {
    unsigned status = 0;
    std::string error;  // a stable word: headers_too_large, bad_request, body_too_large, ...
    std::string detail; // for people
};

// Reads one HTTP/1.1 request at a time from a byte stream. Holds at most the limits' worth of
// unparsed bytes of the request in progress, and refuses a request as soon as a part of it
// goes over its limit; what arrived behind a complete request stays buffered for the next one
// (pipelining) or for whoever takes the socket over (an upgrade). The fields of a chunked
// body's trailer section are checked and dropped: RFC 9110 §6.5.1 forbids merging them into
// the header. Used on one connection's thread.
class http_request_reader {
public:
    enum class status { need_more, complete, rejected };

    explicit http_request_reader(http_request_limits limits = {});

    // Parses `bytes` behind what is buffered. Once a request is complete, further bytes are
    // only buffered until next_request(); once rejected, they are dropped.
    status feed(std::string_view bytes);
    // Parses what is already buffered: after next_request(), for a pipelined request.
    status resume();

    const http_request& request() const;     // valid after complete
    const http_rejection& rejection() const; // valid after rejected

    // Starts the next request on a keep-alive connection, keeping the buffered bytes. Only
    // after complete: a rejected stream stays rejected.
    void next_request();
    // The bytes received after the complete request, e.g. the first WebSocket frames behind an
    // upgrade. Leaves the reader empty.
    std::string take_buffered();

    // Some bytes of the current request have arrived (the handshake-timeout metric counts only
    // peers that started one).
    bool started() const;
    // Bytes received and not yet parsed.
    std::size_t buffered_bytes() const { return buffer_.size() - parsed_; }

private:
    using parser_type = boost::beast::http::request_parser<boost::beast::http::string_body>;

    // Where the reader is in the request. Beast reads the header section and the body; the
    // chunked framing is delimited here first so that Beast only ever sees a whole chunk line,
    // a whole last chunk with its trailer section, or chunk data.
    enum class phase : std::uint8_t {
        header,     // the header section, up to its empty line
        body,       // Content-Length bytes
        chunk_line, // a chunk-size line, behind the CRLF that ends the previous chunk's data
        chunk_data, // the data of a chunk
        trailer,    // the last chunk's line is in; waiting for the end of the trailer section
        done,
    };

    void start_request();
    std::size_t parse(std::string_view input);
    std::size_t parse_header(std::string_view input);
    std::size_t parse_body(std::string_view input);
    std::size_t parse_chunk_line(std::string_view input);
    std::size_t parse_chunk_data(std::string_view input);
    std::size_t parse_trailer(std::string_view input);
    bool check_framing();
    void reject(unsigned code, std::string error, std::string detail);
    void reject(const boost::system::error_code& ec);

    http_request_limits limits_;
    std::optional<parser_type> parser_;
    status status_ = status::need_more;
    http_rejection rejection_;

    // Received bytes; [0, parsed_) are parsed and dropped lazily, so that a request arriving
    // a byte at a time costs linear time, not a copy of the whole buffer per byte.
    std::string buffer_;
    std::size_t parsed_ = 0;

    phase phase_ = phase::header;
    std::size_t header_bytes_ = 0;  // of the header section, parsed so far
    std::uint64_t chunk_left_ = 0;  // bytes of the current chunk's data not parsed yet
    bool after_chunk_data_ = false; // the pending chunk line begins with the data's CRLF
    std::size_t searched_ = 0;      // bytes of the pending chunk line or trailer searched
    std::size_t trailer_start_ = 0; // offset of the trailer section in the pending bytes
    std::optional<boost::beast::http::request_header<>> header_; // before trailer fields
};

} // namespace herald
