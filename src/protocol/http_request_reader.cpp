#include "protocol/http_request_reader.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/optional/optional.hpp>

#include <algorithm>
#include <cassert>
#include <limits>
#include <utility>
#include <vector>

namespace herald {

namespace http = boost::beast::http;
using boost::system::error_code;

namespace {

// "16 KiB" for the usual limits, the exact count for odd ones.
std::string describe_size(std::size_t bytes) {
    if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) == 0) {
        return std::to_string(bytes / (1024 * 1024)) + " MiB";
    }
    if (bytes >= 1024 && bytes % 1024 == 0) {
        return std::to_string(bytes / 1024) + " KiB";
    }
    return std::to_string(bytes) + " bytes";
}

bool is_hex_digit(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

unsigned hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return static_cast<unsigned>(c - '0');
    }
    if (c >= 'a' && c <= 'f') {
        return static_cast<unsigned>(c - 'a' + 10);
    }
    return static_cast<unsigned>(c - 'A' + 10);
}

// RFC 9110 §5.6.2.
bool is_tchar(char c) {
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
        return true;
    }
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string_view trim_ows(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               const auto lower = [](char c) {
                   return c >= 'A' && c <= 'Z' ? char(c + 32) : c;
               };
               return lower(x) == lower(y);
           });
}

struct coding {
    std::string_view name;
    bool has_parameters = false;
};

// Appends the codings of one Transfer-Encoding field value, in order. RFC 9110 §5.6.1 lets a
// list have empty elements, which are skipped. Parameters are only noted: the one coding
// accepted, chunked, must have none. Returns false when an element does not start with a token.
bool append_codings(std::string_view value, std::vector<coding>& codings) {
    while (!value.empty()) {
        const std::size_t comma = value.find(',');
        const std::string_view element = trim_ows(value.substr(0, comma));
        value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
        if (element.empty()) {
            continue;
        }
        const std::size_t semicolon = element.find(';');
        const std::string_view name = trim_ows(element.substr(0, semicolon));
        if (name.empty() || !std::all_of(name.begin(), name.end(), is_tchar)) {
            return false;
        }
        codings.push_back({name, semicolon != std::string_view::npos});
    }
    return true;
}

// last-chunk = 1*("0") [ chunk-ext ] CRLF (RFC 9112 §7.1). Beast reads the size the same way:
// the hex digits up to the first other character.
bool is_last_chunk(std::string_view line) {
    const auto digits_end = std::find_if_not(line.begin(), line.end(), is_hex_digit);
    return digits_end != line.begin() &&
           std::all_of(line.begin(), digits_end, [](char c) { return c == '0'; });
}

// The size of a chunk line Beast has accepted, so it is at most the body limit.
std::uint64_t chunk_size(std::string_view line) {
    std::uint64_t size = 0;
    for (char c : line) {
        if (!is_hex_digit(c)) {
            break;
        }
        size = std::min<std::uint64_t>(size, std::numeric_limits<std::uint64_t>::max() / 16) * 16 +
               hex_value(c);
    }
    return size;
}

} // namespace

http_request_reader::http_request_reader(http_request_limits limits)
    : limits_(limits) {
    start_request();
}

void http_request_reader::start_request() {
    parser_.emplace();
    // Beast's own header limit is only checked against the bytes it has not consumed yet (it
    // consumes each complete field as it goes), so the section could grow past it; the limit is
    // kept here instead, by never showing Beast more than the rest of the budget.
    parser_->header_limit(std::numeric_limits<std::uint32_t>::max());
    // No body limit until the framing is checked: Beast would answer 413 for a Content-Length
    // beside a Transfer-Encoding before check_framing() could answer 400.
    parser_->body_limit(boost::optional<std::uint64_t>());
    // One step per put(): the framing is checked between the header section and the first body
    // byte, and the chunked body is handed over one delimited piece at a time.
    parser_->eager(false);
    status_ = status::need_more;
    phase_ = phase::header;
    header_bytes_ = 0;
    chunk_left_ = 0;
    after_chunk_data_ = false;
    searched_ = 0;
    trailer_start_ = 0;
    header_.reset();
}

http_request_reader::status http_request_reader::feed(std::string_view bytes) {
    if (status_ == status::rejected) {
        return status_;
    }
    if (status_ == status::complete) {
        // Kept for the next request or for whoever takes the stream over. A connection stops
        // reading while it answers, so this is little more than what came with the request.
        if (parsed_ == buffer_.size()) {
            buffer_.clear();
            parsed_ = 0;
        }
        buffer_.append(bytes);
        return status_;
    }
    if (buffered_bytes() == 0) {
        // Nothing pending: parse straight from the caller's bytes and keep only what is left,
        // so a body streaming in is not copied here on its way into the request.
        buffer_.clear();
        parsed_ = 0;
        const std::size_t used = parse(bytes);
        if (status_ != status::rejected) {
            buffer_.append(bytes.substr(used));
        }
    } else {
        // Drop the parsed front only once it is at least half the buffer: the bytes moved then
        // never outnumber the bytes dropped, so a request trickling in costs linear time
        // instead of a copy of the whole buffer per read.
        if (parsed_ >= buffer_.size() - parsed_) {
            buffer_.erase(0, parsed_);
            parsed_ = 0;
        }
        buffer_.append(bytes);
        parsed_ += parse(std::string_view(buffer_).substr(parsed_));
    }
    if (status_ == status::rejected) {
        std::string().swap(buffer_);
        parsed_ = 0;
    }
    return status_;
}

http_request_reader::status http_request_reader::resume() {
    if (status_ != status::need_more) {
        return status_;
    }
    parsed_ += parse(std::string_view(buffer_).substr(parsed_));
    if (status_ == status::rejected) {
        std::string().swap(buffer_);
        parsed_ = 0;
    }
    return status_;
}

const http_request& http_request_reader::request() const {
    assert(status_ == status::complete);
    return parser_->get();
}

const http_rejection& http_request_reader::rejection() const {
    assert(status_ == status::rejected);
    return rejection_;
}

void http_request_reader::next_request() {
    if (status_ != status::complete) {
        return;
    }
    if (buffered_bytes() == 0) {
        // An idle keep-alive connection holds no buffer.
        std::string().swap(buffer_);
        parsed_ = 0;
    }
    start_request();
}

std::string http_request_reader::take_buffered() {
    std::string rest = parsed_ == 0 ? std::move(buffer_) : buffer_.substr(parsed_);
    std::string().swap(buffer_);
    parsed_ = 0;
    return rest;
}

bool http_request_reader::started() const {
    return status_ != status::need_more || buffered_bytes() > 0 || parser_->got_some();
}

std::size_t http_request_reader::parse(std::string_view input) {
    std::size_t used = 0;
    while (status_ == status::need_more) {
        const std::string_view rest = input.substr(used);
        const phase before = phase_;
        std::size_t n = 0;
        switch (phase_) {
        case phase::header:
            n = parse_header(rest);
            break;
        case phase::body:
            n = parse_body(rest);
            break;
        case phase::chunk_line:
            n = parse_chunk_line(rest);
            break;
        case phase::chunk_data:
            n = parse_chunk_data(rest);
            break;
        case phase::trailer:
            n = parse_trailer(rest);
            break;
        case phase::done:
            break;
        }
        used += n;
        // A phase that neither used bytes nor handed over to the next one waits for more.
        if (n == 0 && phase_ == before) {
            break;
        }
    }
    return used;
}

std::size_t http_request_reader::parse_header(std::string_view input) {
    if (input.empty()) {
        return 0;
    }
    const std::size_t budget = limits_.max_header_bytes - header_bytes_;
    const std::size_t window = std::min(input.size(), budget);
    error_code ec;
    const std::size_t used =
        window == 0 ? 0 : parser_->put(boost::asio::buffer(input.data(), window), ec);
    header_bytes_ += used;
    if (window == 0 || ec == http::error::need_more) {
        // Beast had every byte the budget allows and found no end of the header section.
        if (input.size() >= budget) {
            reject(431, "headers_too_large",
                   "request headers are over " + describe_size(limits_.max_header_bytes));
        }
        return used;
    }
    if (ec) {
        reject(ec);
        return used;
    }
    if (!parser_->is_header_done()) {
        return used;
    }
    if (!check_framing()) {
        return used;
    }
    parser_->body_limit(static_cast<std::uint64_t>(limits_.max_body_bytes));
    if (parser_->is_done()) {
        phase_ = phase::done;
        status_ = status::complete;
    } else if (parser_->chunked()) {
        phase_ = phase::chunk_line;
    } else {
        phase_ = phase::body;
    }
    return used;
}

// RFC 9112 §6.1 and §6.3: the rules that decide where the body ends, checked before any body
// byte is read, since two parties that disagree on them are how requests get smuggled.
bool http_request_reader::check_framing() {
    const http_request& request = parser_->get();
    const auto encodings = request.equal_range(http::field::transfer_encoding);
    if (encodings.first != encodings.second) {
        if (request.count(http::field::content_length) > 0) {
            // §6.1 lets a server reject this outright; honouring either header would let a
            // proxy that honours the other one smuggle a request past us.
            reject(400, "bad_request", "Transfer-Encoding and Content-Length together");
            return false;
        }
        if (request.version() < 11) {
            // §6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing.
            reject(400, "bad_request", "Transfer-Encoding in an HTTP/1.0 request");
            return false;
        }
        std::vector<coding> codings;
        for (auto it = encodings.first; it != encodings.second; ++it) {
            if (!append_codings(it->value(), codings)) {
                reject(400, "bad_request", "Transfer-Encoding is not a list of codings");
                return false;
            }
        }
        const auto is_chunked = [](const coding& c) {
            return iequals(c.name, "chunked");
        };
        if (codings.empty() || !is_chunked(codings.back())) {
            // §6.3: without chunked last, the body's length cannot be known.
            reject(400, "bad_request", "Transfer-Encoding does not end in chunked");
            return false;
        }
        if (std::find_if(codings.begin(), codings.end(), is_chunked) + 1 != codings.end()) {
            reject(400, "bad_request", "chunked is applied more than once");
            return false;
        }
        if (codings.back().has_parameters) {
            // RFC 9112 §7: chunked defines no parameters, and their presence SHOULD be treated
            // as an error; a proxy in front may well not read "chunked;x=1" as chunked.
            reject(400, "bad_request", "chunked with parameters");
            return false;
        }
        if (codings.size() > 1) {
            reject(501, "not_implemented",
                   "the transfer coding " + std::string(codings.front().name) +
                       " is not implemented");
            return false;
        }
        if (!parser_->chunked()) {
            // Beast did not read the value as chunked and would take the body as empty: the two
            // readings disagree, so neither is safe.
            reject(400, "bad_request", "Transfer-Encoding is not understood");
            return false;
        }
    }
    const auto length = parser_->content_length();
    if (length && *length > limits_.max_body_bytes) {
        // Said by the header, so answered before the body is sent.
        reject(413, "body_too_large", "the body is over limits.max_http_body_bytes");
        return false;
    }
    return true;
}

std::size_t http_request_reader::parse_body(std::string_view input) {
    if (input.empty()) {
        return 0;
    }
    error_code ec;
    const std::size_t used = parser_->put(boost::asio::buffer(input.data(), input.size()), ec);
    if (ec) {
        reject(ec);
        return used;
    }
    if (parser_->is_done()) {
        phase_ = phase::done;
        status_ = status::complete;
    }
    return used;
}

// Beast waits for a whole chunk line before it looks at it and has no limit on its length, so
// the line is delimited here first and handed over only once whole and within the limit.
std::size_t http_request_reader::parse_chunk_line(std::string_view input) {
    // Beast reads the CRLF that ends a chunk's data as the start of the next chunk line.
    const std::size_t crlf = after_chunk_data_ ? 2 : 0;
    if (crlf != 0 &&
        ((!input.empty() && input[0] != '\r') || (input.size() > 1 && input[1] != '\n'))) {
        reject(400, "bad_request", "chunk data is not followed by CRLF");
        return 0;
    }
    const std::size_t from = std::max(crlf, searched_);
    const std::size_t lf = from < input.size() ? input.find('\n', from) : std::string_view::npos;
    const auto too_long = [&] {
        reject(400, "bad_request",
               "a chunk line is over " + describe_size(limits_.max_chunk_line_bytes));
    };
    if (lf == std::string_view::npos) {
        searched_ = std::max(from, input.size());
        if (input.size() >= crlf + limits_.max_chunk_line_bytes) {
            too_long();
        }
        return 0;
    }
    const std::string_view line = input.substr(crlf, lf + 1 - crlf);
    if (line.size() > limits_.max_chunk_line_bytes) {
        too_long();
        return 0;
    }
    if (line.size() < 2 || line[line.size() - 2] != '\r') {
        // No chunk-size or chunk-ext character is a LF, so this is a bare LF, which Beast would
        // skip over while looking for CRLF.
        reject(400, "bad_request", "a chunk line does not end in CRLF");
        return 0;
    }
    if (is_last_chunk(line)) {
        // Beast reads the last chunk together with the trailer section: wait for all of it.
        phase_ = phase::trailer;
        trailer_start_ = lf + 1;
        searched_ = lf - 1; // the line's CRLF can begin the CRLFCRLF that ends the section
        return 0;
    }
    error_code ec;
    const std::size_t used = parser_->put(boost::asio::buffer(input.data(), lf + 1), ec);
    if (ec) {
        reject(ec);
        return used;
    }
    if (used != lf + 1) {
        reject(400, "bad_request", "malformed chunk line");
        return used;
    }
    chunk_left_ = chunk_size(line);
    after_chunk_data_ = true;
    searched_ = 0;
    phase_ = phase::chunk_data;
    return used;
}

std::size_t http_request_reader::parse_chunk_data(std::string_view input) {
    if (input.empty()) {
        return 0;
    }
    const std::size_t window =
        static_cast<std::size_t>(std::min<std::uint64_t>(input.size(), chunk_left_));
    error_code ec;
    const std::size_t used = parser_->put(boost::asio::buffer(input.data(), window), ec);
    if (ec) {
        reject(ec);
        return used;
    }
    chunk_left_ -= used;
    if (chunk_left_ == 0) {
        phase_ = phase::chunk_line;
        searched_ = 0;
    }
    return used;
}

std::size_t http_request_reader::parse_trailer(std::string_view input) {
    // Beast looks for the end of the trailer section the same way: the first CRLFCRLF from the
    // last chunk line's CRLF on.
    const std::size_t end = input.find("\r\n\r\n", searched_);
    const auto too_large = [&] {
        reject(431, "headers_too_large",
               "request trailers are over " + describe_size(limits_.max_header_bytes));
    };
    if (end == std::string_view::npos) {
        searched_ = std::max(searched_, input.size() >= 3 ? input.size() - 3 : 0);
        if (input.size() - trailer_start_ >= limits_.max_header_bytes) {
            too_large();
        }
        return 0;
    }
    const std::size_t eom = end + 4;
    if (eom - trailer_start_ > limits_.max_header_bytes) {
        too_large();
        return 0;
    }
    // Beast adds trailer fields to the header fields. RFC 9110 §6.5.1 forbids merging them
    // unless a field's definition allows it, and a trailer "Upgrade" or "Authorization" must
    // not pass for a header, so the header section is put back as it was.
    if (eom - trailer_start_ > 2) {
        header_ = parser_->get().base();
    }
    error_code ec;
    const std::size_t used = parser_->put(boost::asio::buffer(input.data(), eom), ec);
    if (ec) {
        reject(ec);
        return used;
    }
    if (used != eom || !parser_->is_done()) {
        reject(400, "bad_request", "malformed last chunk");
        return used;
    }
    if (header_) {
        parser_->get().base() = std::move(*header_);
        header_.reset();
    }
    phase_ = phase::done;
    status_ = status::complete;
    return used;
}

void http_request_reader::reject(unsigned code, std::string error, std::string detail) {
    status_ = status::rejected;
    phase_ = phase::done;
    rejection_ = {code, std::move(error), std::move(detail)};
}

void http_request_reader::reject(const error_code& ec) {
    if (ec == http::error::body_limit) {
        reject(413, "body_too_large", "the body is over limits.max_http_body_bytes");
    } else if (ec == http::error::header_limit) {
        reject(431, "headers_too_large",
               "request headers are over " + describe_size(limits_.max_header_bytes));
    } else {
        reject(400, "bad_request", ec.message());
    }
}

} // namespace herald
