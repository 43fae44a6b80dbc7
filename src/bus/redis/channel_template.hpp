#pragma once
// Where an exchange's events travel on Redis: its `channel` template (bus_settings), such as
// "{exchange}:{routing_key}", turned into channel names, into the one glob pattern that covers
// every channel of the exchange, and back from a channel to its routing key.

#include <boost/system/result.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace herald {

// A parsed template: literal text around {exchange} (at most once) and {routing_key} (exactly
// once). Immutable; any thread.
//
// A topic is an exchange and a routing key passed apart, and either may hold ':' (the bus
// contract), so "{exchange}:{routing_key}" alone would make ("a:b", "c") and ("a", "b:c") one
// channel. When both placeholders are present and text separates them, the one that comes first
// is written with '%' and the separator's first character percent-encoded ("a:b" becomes
// "a%3Ab"), which makes the channel name unambiguous. Names without those characters, which is
// every name a back end is likely to use, are written as they are: `PUBLISH widgets:1234 …`
// reaches exchange "widgets", routing key "1234".
class redis_channel_template {
public:
    static constexpr std::string_view fallback = "{exchange}:{routing_key}";

    // The template, or why it cannot be used.
    static boost::system::result<redis_channel_template, std::string> parse(std::string_view text);

    std::string channel(std::string_view exchange, std::string_view routing_key) const;

    // A Redis glob pattern (PSUBSCRIBE) matching every channel of `exchange`, and perhaps
    // others: what it matches is checked again with routing_key().
    std::string pattern(std::string_view exchange) const;

    // The routing key `channel` carries if it is a channel of `exchange`, else nullopt.
    std::optional<std::string> routing_key(std::string_view exchange,
                                           std::string_view channel) const;

private:
    redis_channel_template() = default;

    // The channel is before_ + first + between_ + second + after_, where first and second are
    // the exchange and the routing key in the template's order; without {exchange}, the channel
    // is before_ + routing key + after_ (between_ unused).
    std::string before_;
    std::string between_;
    std::string after_;
    bool has_exchange_ = false;
    bool exchange_first_ = true;
    // The character the first name must not hold unescaped, or none when nothing is escaped.
    std::optional<char> stop_;

    std::string escaped(std::string_view name) const;
};

// `text` with Redis glob characters (* ? [ ] \) escaped, so a pattern matches it literally.
std::string redis_glob_literal(std::string_view text);

} // namespace herald
