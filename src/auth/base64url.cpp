#include "auth/base64url.hpp"

#include <cstdint>

namespace herald {

namespace {

constexpr std::string_view alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int sextet(char c) {
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '-') {
        return 62;
    }
    if (c == '_') {
        return 63;
    }
    return -1;
}

// One leftover character carries 6 bits, too few for a byte: no input ever encodes to that.
bool possible_length(std::size_t size) {
    return size % 4 != 1;
}

} // namespace

std::optional<std::string> base64url_decode(std::string_view in) {
    if (!possible_length(in.size())) {
        return std::nullopt;
    }
    std::string out;
    out.reserve(in.size() / 4 * 3 + 2);
    std::uint32_t bits = 0;
    int bit_count = 0;
    for (const char c : in) {
        const int value = sextet(c);
        if (value < 0) {
            return std::nullopt;
        }
        bits = (bits << 6) | static_cast<std::uint32_t>(value);
        bit_count += 6;
        if (bit_count >= 8) {
            bit_count -= 8;
            out.push_back(static_cast<char>((bits >> bit_count) & 0xff));
        }
    }
    return out;
}

bool is_base64url(std::string_view in) {
    if (!possible_length(in.size())) {
        return false;
    }
    for (const char c : in) {
        if (sextet(c) < 0) {
            return false;
        }
    }
    return true;
}

std::string base64url_encode(std::string_view in) {
    std::string out;
    out.reserve((in.size() * 4 + 2) / 3);
    std::uint32_t bits = 0;
    int bit_count = 0;
    for (const char c : in) {
        bits = (bits << 8) | static_cast<unsigned char>(c);
        bit_count += 8;
        while (bit_count >= 6) {
            bit_count -= 6;
            out.push_back(alphabet[(bits >> bit_count) & 0x3f]);
        }
    }
    if (bit_count > 0) {
        out.push_back(alphabet[(bits << (6 - bit_count)) & 0x3f]);
    }
    return out;
}

} // namespace herald
