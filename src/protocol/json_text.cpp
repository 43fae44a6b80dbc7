#include "protocol/json_text.hpp"

#include <cstdio>

namespace herald::json_text {

void append_string(std::string& out, std::string_view s) {
    out.push_back('"');
    std::size_t clean_from = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c != '"' && c != '\\') {
            continue;
        }
        out.append(s.substr(clean_from, i - clean_from));
        clean_from = i + 1;
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        case '\b':
            out += "\\b";
            break;
        case '\f':
            out += "\\f";
            break;
        default: {
            char escaped[8];
            std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
            out += escaped;
        }
        }
    }
    out.append(s.substr(clean_from));
    out.push_back('"');
}

std::string quote(std::string_view s) {
    std::string out;
    out.reserve(s.size() + 2);
    append_string(out, s);
    return out;
}

} // namespace herald::json_text
