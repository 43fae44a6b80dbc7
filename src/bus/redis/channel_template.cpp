#include "bus/redis/channel_template.hpp"

#include "util/percent.hpp"

namespace herald {
namespace {

constexpr std::string_view exchange_slot = "{exchange}";
constexpr std::string_view routing_key_slot = "{routing_key}";

bool starts_with_at(std::string_view text, std::size_t at, std::string_view what) {
    return text.substr(at, what.size()) == what;
}

} // namespace

boost::system::result<redis_channel_template, std::string>
redis_channel_template::parse(std::string_view text) {
    // Literal text around the placeholders, in order; any other brace is literal text.
    std::string literals[3];
    std::size_t exchange_at = std::string_view::npos;
    std::size_t routing_key_at = std::string_view::npos;
    int part = 0;
    for (std::size_t i = 0; i < text.size();) {
        const bool is_exchange = starts_with_at(text, i, exchange_slot);
        const bool is_routing_key = !is_exchange && starts_with_at(text, i, routing_key_slot);
        if (!is_exchange && !is_routing_key) {
            literals[part].push_back(text[i]);
            ++i;
            continue;
        }
        auto& seen_at = is_exchange ? exchange_at : routing_key_at;
        if (seen_at != std::string_view::npos) {
            return {boost::system::in_place_error,
                    "the channel template \"" + std::string(text) + "\" repeats a placeholder"};
        }
        seen_at = i;
        ++part;
        i += is_exchange ? exchange_slot.size() : routing_key_slot.size();
    }
    if (routing_key_at == std::string_view::npos) {
        return {boost::system::in_place_error,
                "the channel template \"" + std::string(text) + "\" has no {routing_key}"};
    }
    redis_channel_template out;
    out.has_exchange_ = exchange_at != std::string_view::npos;
    out.exchange_first_ = out.has_exchange_ && exchange_at < routing_key_at;
    out.before_ = std::move(literals[0]);
    if (out.has_exchange_) {
        out.between_ = std::move(literals[1]);
        out.after_ = std::move(literals[2]);
        if (!out.between_.empty()) {
            out.stop_ = out.between_.front();
        }
    } else {
        out.after_ = std::move(literals[1]);
    }
    return out;
}

std::string redis_channel_template::escaped(std::string_view name) const {
    if (!stop_) {
        return std::string(name);
    }
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(name.size());
    for (const char c : name) {
        if (c == '%' || c == *stop_) {
            const auto byte = static_cast<unsigned char>(c);
            out.push_back('%');
            out.push_back(hex[byte >> 4]);
            out.push_back(hex[byte & 0xF]);
        } else {
            out.push_back(c);
        }
    }
    return out;
}

std::string redis_channel_template::channel(std::string_view exchange,
                                            std::string_view routing_key) const {
    std::string out = before_;
    if (!has_exchange_) {
        out += routing_key;
    } else if (exchange_first_) {
        out += escaped(exchange);
        out += between_;
        out += routing_key;
    } else {
        out += escaped(routing_key);
        out += between_;
        out += exchange;
    }
    out += after_;
    return out;
}

std::string redis_channel_template::pattern(std::string_view exchange) const {
    if (!has_exchange_) {
        return redis_glob_literal(before_) + '*' + redis_glob_literal(after_);
    }
    if (exchange_first_) {
        return redis_glob_literal(before_ + escaped(exchange) + between_) + '*' +
               redis_glob_literal(after_);
    }
    return redis_glob_literal(before_) + '*' +
           redis_glob_literal(between_ + std::string(exchange) + after_);
}

std::optional<std::string> redis_channel_template::routing_key(std::string_view exchange,
                                                               std::string_view channel) const {
    std::string prefix = before_;
    std::string suffix = after_;
    if (has_exchange_ && exchange_first_) {
        prefix += escaped(exchange);
        prefix += between_;
    } else if (has_exchange_) {
        suffix = between_ + std::string(exchange) + after_;
    }
    if (channel.size() < prefix.size() + suffix.size() || !channel.starts_with(prefix) ||
        !channel.ends_with(suffix)) {
        return std::nullopt;
    }
    const auto key = channel.substr(prefix.size(), channel.size() - prefix.size() - suffix.size());
    if (!has_exchange_ || exchange_first_ || !stop_) {
        return std::string(key);
    }
    // The routing key came first, so it was escaped: a raw separator in it means the channel
    // belongs to another exchange (or to nobody), and its escapes must decode.
    if (key.find(*stop_) != std::string_view::npos) {
        return std::nullopt;
    }
    return percent_decode(key);
}

std::string redis_glob_literal(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') {
            out.push_back('\\');
        }
        out.push_back(c);
    }
    return out;
}

} // namespace herald
