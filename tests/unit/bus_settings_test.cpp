#include "bus/bus_settings.hpp"

#include <gtest/gtest.h>

namespace herald {
namespace {

TEST(masked_url, passwords_never_show) {
    EXPECT_EQ(masked_url("amqp://user:secret@host:5672/vhost"), "amqp://user:****@host:5672/vhost");
    EXPECT_EQ(masked_url("redis://:secret@127.0.0.1:6379/0"), "redis://:****@127.0.0.1:6379/0");
    EXPECT_EQ(masked_url("redis://secret@host/1"), "redis://****@host/1");
    EXPECT_EQ(masked_url("amqp://a:b@c@host/"), "amqp://a:****@host/");
}

TEST(masked_url, urls_without_credentials_are_unchanged) {
    EXPECT_EQ(masked_url("amqp://host:5672/"), "amqp://host:5672/");
    EXPECT_EQ(masked_url("redis://host/0?x=a@b"), "redis://host/0?x=a@b");
    EXPECT_EQ(masked_url("memory"), "memory");
}

TEST(bus_settings, an_exchange_not_named_takes_the_wildcards_settings_and_its_own_name) {
    bus_settings s;
    s.exchanges.push_back({"nodes", exchange_kind::topic});
    s.exchanges.push_back({"*", exchange_kind::fanout, true});
    EXPECT_EQ(s.kind_of("nodes"), exchange_kind::topic);
    const auto other = s.exchange("other");
    EXPECT_EQ(other.name, "other");
    EXPECT_EQ(other.kind, exchange_kind::fanout);
    EXPECT_TRUE(other.durable);
    EXPECT_EQ(bus_settings{}.kind_of("any"), exchange_kind::direct);
}

} // namespace
} // namespace herald
