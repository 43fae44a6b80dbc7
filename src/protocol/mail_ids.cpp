#include "protocol/mail_ids.hpp"

#include "protocol/addressing.hpp"
#include "protocol/json_raw.hpp"
#include "protocol/json_text.hpp"

#include <algorithm>

namespace herald::mail_ids {

bool read(simdjson::dom::element list, std::vector<std::string>& out) {
    simdjson::dom::array ids;
    if (list.get(ids) != simdjson::SUCCESS || ids.size() == 0 ||
        ids.size() > addressing::max_acknowledged_ids) {
        return false;
    }
    for (simdjson::dom::element each : ids) {
        std::string_view id;
        if (each.get(id) != simdjson::SUCCESS || id.empty() ||
            id.size() > addressing::max_mail_id_bytes) {
            return false;
        }
        out.emplace_back(id);
    }
    return true;
}

std::optional<std::vector<std::string>> read_member(std::string_view object_json) {
    thread_local simdjson::dom::parser parser;
    simdjson::dom::element list;
    std::vector<std::string> ids;
    if (parser.parse(object_json.data(), object_json.size())["mail"].get(list) !=
            simdjson::SUCCESS ||
        !read(list, ids)) {
        return std::nullopt;
    }
    return ids;
}

std::optional<std::string> of_extra(std::string_view extra) {
    // Most events carry no id: they are not parsed.
    if (extra.find(R"("mail")") == std::string_view::npos) {
        return std::nullopt;
    }
    std::optional<std::string> id;
    json_raw::for_each_member(
        "{" + std::string(extra) + "}", [&](std::string_view key, auto& value) {
            std::string_view text;
            if (key == "mail" && value.get_string().get(text) == simdjson::SUCCESS) {
                id = std::string(text);
                return false;
            }
            return true;
        });
    return id;
}

std::string acknowledged_members(const std::vector<std::string>& asked,
                                 const std::vector<std::string>& removed) {
    std::string gone;
    std::string unknown;
    for (const auto& id : asked) {
        std::string& list =
            std::find(removed.begin(), removed.end(), id) != removed.end() ? gone : unknown;
        if (!list.empty()) {
            list += ',';
        }
        json_text::append_string(list, id);
    }
    return R"("mail":[)" + gone + R"(],"unknown":[)" + unknown + "]";
}

} // namespace herald::mail_ids
