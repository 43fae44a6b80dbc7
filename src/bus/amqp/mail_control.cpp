#include "bus/amqp/mail_control.hpp"

namespace herald {
namespace {

// The ids of one acknowledgement: at most the Acknowledge action's 100 (docs/protocol.md).
constexpr std::size_t max_ids = 100;
constexpr std::size_t max_line = 255;

} // namespace

std::string encode_mail_control(const mail_control& word) {
    std::string out = word.what == mail_control::kind::ack ? "ack" : "again";
    out += '\n';
    out += word.sender;
    for (const auto& id : word.ids) {
        out += '\n';
        out += id;
    }
    return out;
}

std::optional<mail_control> parse_mail_control(std::string_view body) {
    std::vector<std::string_view> lines;
    while (true) {
        const auto end = body.find('\n');
        const auto line = body.substr(0, end);
        // The kind, the sender, and at most max_ids ids.
        if (line.empty() || line.size() > max_line || lines.size() == max_ids + 2) {
            return std::nullopt;
        }
        lines.push_back(line);
        if (end == std::string_view::npos) {
            break;
        }
        body.remove_prefix(end + 1);
    }
    if (lines.size() < 2) {
        return std::nullopt;
    }
    mail_control word;
    if (lines[0] == "ack") {
        word.what = mail_control::kind::ack;
    } else if (lines[0] == "again" && lines.size() == 2) {
        word.what = mail_control::kind::again;
    } else {
        return std::nullopt;
    }
    word.sender = lines[1];
    for (std::size_t i = 2; i < lines.size(); ++i) {
        word.ids.emplace_back(lines[i]);
    }
    return word;
}

} // namespace herald
