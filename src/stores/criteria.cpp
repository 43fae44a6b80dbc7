#include "stores/criteria.hpp"

#include <simdjson.h>

namespace herald {
namespace {

criterion::kind kind_of(simdjson::dom::element_type type) {
    using t = simdjson::dom::element_type;
    switch (type) {
    case t::STRING:
        return criterion::kind::string;
    case t::INT64:
    case t::UINT64:
    case t::DOUBLE:
        return criterion::kind::number;
    case t::BOOL:
        return criterion::kind::boolean;
    case t::NULL_VALUE:
        return criterion::kind::null;
    case t::OBJECT:
        return criterion::kind::object;
    case t::ARRAY:
        return criterion::kind::array;
    }
    return criterion::kind::null;
}

// "a.b" as its parts, or why not.
std::optional<std::string> split_path(std::string_view key, const criteria_limits& limits,
                                      std::vector<std::string>& parts) {
    if (key.empty()) {
        return "a params key is empty";
    }
    std::size_t start = 0;
    for (;;) {
        const std::size_t dot = key.find('.', start);
        const std::string_view part =
            key.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        if (part.empty()) {
            return "the params key \"" + std::string(key.substr(0, 64)) + "\" has an empty part";
        }
        if (part.size() > limits.max_key_bytes) {
            return "a params key part is longer than " + std::to_string(limits.max_key_bytes) +
                   " bytes";
        }
        if (part.find_first_of(std::string_view("\"\0", 2)) != std::string_view::npos) {
            return "a params key may not hold a double quote or a NUL";
        }
        parts.emplace_back(part);
        if (parts.size() > limits.max_path_parts) {
            return "a params key has more than " + std::to_string(limits.max_path_parts) + " parts";
        }
        if (dot == std::string_view::npos) {
            return std::nullopt;
        }
        start = dot + 1;
    }
}

} // namespace

criteria_read read_criteria(std::string_view params, const criteria_limits& limits) {
    criteria_read out;
    if (params.empty() || params == "null") {
        return out;
    }
    thread_local simdjson::dom::parser parser;
    const simdjson::padded_string padded(params);
    simdjson::dom::element root;
    simdjson::dom::object object;
    if (parser.parse(padded).get(root) != simdjson::SUCCESS) {
        out.problem = "params is not valid JSON";
        return out;
    }
    if (root.get_object().get(object) != simdjson::SUCCESS) {
        out.problem = "params must be an object";
        return out;
    }
    for (auto [key, value] : object) {
        if (out.criteria.size() == limits.max_criteria) {
            out.problem =
                "params has more than " + std::to_string(limits.max_criteria) + " members";
            return out;
        }
        criterion c;
        if (auto problem = split_path(key, limits, c.path)) {
            out.problem = std::move(problem);
            return out;
        }
        c.value = simdjson::minify(value);
        if (c.value.size() > limits.max_value_bytes) {
            out.problem = "a params value is longer than " +
                          std::to_string(limits.max_value_bytes) + " bytes of JSON";
            return out;
        }
        c.type = kind_of(value.type());
        out.criteria.push_back(std::move(c));
    }
    return out;
}

} // namespace herald
