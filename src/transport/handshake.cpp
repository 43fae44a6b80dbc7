#include "transport/handshake.hpp"

#include "util/ascii.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

namespace herald {

bool header_has_token(std::string_view value, std::string_view token) {
    while (!value.empty()) {
        const auto comma = value.find(',');
        if (ascii::iequals(ascii::trim(value.substr(0, comma)), token)) {
            return true;
        }
        if (comma == std::string_view::npos) {
            break;
        }
        value.remove_prefix(comma + 1);
    }
    return false;
}

std::optional<std::string> check_upgrade(const upgrade_headers& r) {
    if (r.method != "GET") {
        return "a WebSocket upgrade must be a GET request";
    }
    if (!header_has_token(r.upgrade, "websocket")) {
        return "missing Upgrade: websocket";
    }
    if (!header_has_token(r.connection, "upgrade")) {
        return "missing Connection: Upgrade";
    }
    if (ascii::trim(r.version) != "13") {
        return "Sec-WebSocket-Version must be 13";
    }
    // The key is 16 random bytes in base64: 24 characters ending in "==".
    const auto key = ascii::trim(r.key);
    if (key.size() != 24 || key.substr(22) != "==") {
        return "Sec-WebSocket-Key must be 16 bytes in base64";
    }
    return std::nullopt;
}

std::string accept_key(std::string_view key) {
    static constexpr std::string_view guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    std::string input(ascii::trim(key));
    input += guid;
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
    unsigned char encoded[4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1];
    const int length = EVP_EncodeBlock(encoded, digest, SHA_DIGEST_LENGTH);
    return std::string(reinterpret_cast<const char*>(encoded), static_cast<std::size_t>(length));
}

std::string switching_protocols_response(std::string_view key) {
    std::string response = "HTTP/1.1 101 Switching Protocols\r\n"
                           "Upgrade: websocket\r\n"
                           "Connection: Upgrade\r\n"
                           "Sec-WebSocket-Accept: ";
    response += accept_key(key);
    response += "\r\n\r\n";
    return response;
}

} // namespace herald
