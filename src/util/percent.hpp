#pragma once
// Percent-decoding (RFC 3986 §2.1) of URL paths and queries that clients send.

#include <optional>
#include <string>
#include <string_view>

namespace herald {

// %XX becomes its byte; nullopt when a '%' is not followed by two hex digits. '+' stays '+'.
inline std::optional<std::string> percent_decode(std::string_view s) {
    const auto hex = [](char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    };
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') {
            out.push_back(s[i]);
            continue;
        }
        if (i + 2 >= s.size() || hex(s[i + 1]) < 0 || hex(s[i + 2]) < 0) {
            return std::nullopt;
        }
        out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
        i += 2;
    }
    return out;
}

} // namespace herald
