#include "dialects/plezi/plezi_redis_protocol.hpp"

#include "protocol/json_text.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fmt/format.h>
#include <new>
#include <simdjson.h>
#include <yaml-cpp/yaml.h>

namespace herald::plezi {
namespace {

// How Psych reads a plain scalar, for the types a safe_load allows here.
bool is_null(const std::string& s) {
    return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

bool equals_ignoring_case(std::string_view a, std::string_view lower) {
    return a.size() == lower.size() &&
           std::equal(a.begin(), a.end(), lower.begin(), [](char x, char y) {
               return (x >= 'A' && x <= 'Z' ? static_cast<char>(x - 'A' + 'a') : x) == y;
           });
}

std::optional<std::string_view> boolean(std::string_view s) {
    for (auto word : {"yes", "true", "on"}) {
        if (equals_ignoring_case(s, word)) {
            return "true";
        }
    }
    for (auto word : {"no", "false", "off"}) {
        if (equals_ignoring_case(s, word)) {
            return "false";
        }
    }
    return std::nullopt;
}

// A plain scalar that JSON can carry as a number as it is: -?(0|[1-9][0-9]*)(.[0-9]+)?
// ([eE][-+]?[0-9]+)?, short enough to be a Ruby Integer or Float Psych wrote.
bool is_json_number(std::string_view s) {
    auto digits = [&](std::size_t& i) {
        const std::size_t start = i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
            ++i;
        }
        return i > start;
    };
    if (s.empty() || s.size() > 32) {
        return false;
    }
    std::size_t i = s[0] == '-' ? 1 : 0;
    const std::size_t integer = i;
    if (!digits(i) || (s[integer] == '0' && i - integer > 1)) {
        return false;
    }
    if (i < s.size() && s[i] == '.') {
        ++i;
        if (!digits(i)) {
            return false;
        }
    }
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
            ++i;
        }
        if (!digits(i)) {
            return false;
        }
    }
    if (i != s.size()) {
        return false;
    }
    // And one a JSON reader takes: an integer of at most 18 digits (it fits 64 bits), or a
    // finite double (32E327 is not). Others stay strings.
    const bool integral = s.find_first_of(".eE") == std::string_view::npos;
    if (integral) {
        return s.size() - integer <= 18;
    }
    errno = 0;
    const double value = std::strtod(std::string(s).c_str(), nullptr);
    return errno != ERANGE && std::isfinite(value);
}

// Writes `node` as JSON; false when it is not plain data or the result would be too large.
bool write_json(const YAML::Node& node, std::string& out, std::size_t depth) {
    if (depth > max_redis_nesting || out.size() > max_redis_message_bytes) {
        return false;
    }
    const std::string& tag = node.Tag();
    // "?": a plain scalar or an untagged collection; "!": a quoted scalar. Any other tag is a
    // Ruby object (!ruby/object:…), which Plezi's safe_load refuses too.
    const bool plain = tag == "?" || tag.empty();
    if (!plain && tag != "!" && tag != "tag:yaml.org,2002:str") {
        return false;
    }
    switch (node.Type()) {
    case YAML::NodeType::Null:
        out += "null";
        return true;
    case YAML::NodeType::Scalar: {
        const std::string& s = node.Scalar();
        if (!plain) {
            json_text::append_string(out, s);
        } else if (s.size() > 1 && s.front() == ':') {
            // A Symbol: ":chat", or quoted, ":\"two words\"".
            std::string_view name = std::string_view(s).substr(1);
            if (name.size() >= 2 && (name.front() == '"' || name.front() == '\'') &&
                name.back() == name.front()) {
                name = name.substr(1, name.size() - 2);
            }
            json_text::append_string(out, name);
        } else if (is_null(s)) {
            out += "null";
        } else if (auto b = boolean(s)) {
            out += *b;
        } else if (is_json_number(s)) {
            out += s;
        } else {
            json_text::append_string(out, s);
        }
        return true;
    }
    case YAML::NodeType::Sequence: {
        out += '[';
        bool first = true;
        for (const auto& item : node) {
            if (!first) {
                out += ',';
            }
            first = false;
            if (!write_json(item, out, depth + 1)) {
                return false;
            }
        }
        out += ']';
        return true;
    }
    case YAML::NodeType::Map: {
        out += '{';
        bool first = true;
        for (const auto& member : node) {
            if (!first) {
                out += ',';
            }
            first = false;
            // A key is written as a string: JSON has no other keys. Psych writes only scalar
            // keys; a collection as a key would cost its whole size again, on every level.
            if (!member.first.IsScalar()) {
                return false;
            }
            std::string key;
            if (!write_json(member.first, key, depth + 1)) {
                return false;
            }
            if (key.front() != '"') {
                key = json_text::quote(key);
            }
            out += key;
            out += ':';
            if (!write_json(member.second, out, depth + 1)) {
                return false;
            }
        }
        out += '}';
        return true;
    }
    case YAML::NodeType::Undefined:
        break;
    }
    return false;
}

std::optional<std::string> text_member(simdjson::dom::object& o, std::string_view key) {
    std::string_view value;
    if (o[key].get(value) == simdjson::SUCCESS) {
        return std::string(value);
    }
    return std::nullopt;
}

} // namespace

std::optional<std::string> ruby_yaml_to_json(std::string_view yaml) {
    // Psych writes UTF-8. Anything else is refused: JSON text is UTF-8, and yaml-cpp would read
    // NUL bytes as UTF-16 or UTF-32 and make code points UTF-8 has none for.
    if (yaml.size() > max_redis_yaml_bytes || yaml.find('\0') != std::string_view::npos ||
        !simdjson::validate_utf8(yaml.data(), yaml.size())) {
        return std::nullopt;
    }
    try {
        const YAML::Node root = YAML::Load(std::string(yaml));
        std::string out;
        if (!write_json(root, out, 0) || out.size() > max_redis_message_bytes ||
            !simdjson::validate_utf8(out.data(), out.size())) {
            return std::nullopt;
        }
        return out;
    } catch (const YAML::Exception&) {
        return std::nullopt; // not YAML, or nested past yaml-cpp's own depth guard
    }
}

redis_result parse_redis_message(std::string_view body) {
    if (body.size() > max_redis_message_bytes) {
        return std::string_view("larger than 1 MiB");
    }
    // At most max_redis_nesting deep, as the YAML reader: a deeper message is dropped.
    thread_local simdjson::dom::parser parser = [] {
        simdjson::dom::parser p;
        if (p.allocate(4096, max_redis_nesting) != simdjson::SUCCESS) {
            throw std::bad_alloc();
        }
        return p;
    }();
    simdjson::dom::object object;
    std::string json;
    const auto first = body.find_first_not_of(" \t\r\n");
    if (first != std::string_view::npos && body[first] == '{') {
        json = std::string(body);
    } else {
        auto converted = ruby_yaml_to_json(body);
        if (!converted) {
            return std::string_view("neither JSON nor Ruby YAML of plain data");
        }
        json = std::move(*converted);
    }
    if (parser.parse(json).get(object) != simdjson::SUCCESS) {
        return std::string_view("not a Hash (an object)");
    }
    redis_message m;
    auto method = text_member(object, "method");
    if (!method || method->empty()) {
        return std::string_view("no method");
    }
    m.method = std::move(*method);
    simdjson::dom::array args;
    if (object["data"].get(args) != simdjson::SUCCESS) {
        return std::string_view("data is not an array of arguments");
    }
    m.data = simdjson::minify(args);
    m.type = text_member(object, "type").value_or("");
    m.target = text_member(object, "target");
    m.to_server = text_member(object, "to_server");
    m.server = text_member(object, "server");
    if (m.type.empty() && !m.target) {
        return std::string_view("neither type nor target");
    }
    return m;
}

std::string node_channel(std::uint16_t node) {
    return fmt::format("herald-{}", addressing::node_key(node));
}

std::vector<addressing::send_request> sends_of(const redis_message& m,
                                               std::span<const endpoint_controller> endpoints,
                                               std::uint16_t node) {
    std::vector<addressing::send_request> out;
    auto add = [&](addressing::address to) {
        out.push_back({std::move(to), m.method, m.data});
    };
    if (m.target) {
        const auto id = addressing::parse_session_id(*m.target);
        // The top 16 bits of an id name its node: another node's session is its to reach.
        if (id && (*id >> 48) == node) {
            add({addressing::kind::session, {}, *id, {}});
        }
        return out;
    }
    for (const auto& e : endpoints) {
        if (m.type == "all" || (!e.controller.empty() && e.controller == m.type)) {
            add({addressing::kind::endpoint, std::string(e.path), 0, {}});
        }
    }
    return out;
}

} // namespace herald::plezi
