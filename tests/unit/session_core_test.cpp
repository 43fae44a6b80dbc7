#include "session/session_core.hpp"

#include <gtest/gtest.h>

namespace herald {
namespace {

using result = session_core::subscribe_result;

struct recording_port final : session_port {
    std::vector<std::string> frames;
    void send_text(std::string_view) override {}
    void send_binary(std::string_view) override {}
    void send_frame(const shared_frame& f) override { frames.push_back(*f); }
    void close(ws::close_code, std::string_view) override {}
    std::uint64_t session_id() const override { return 1; }
    void ask_backend(std::string_view, std::string_view, std::string,
                     backend_reply_handler) override {}
    bool has_backend() const override { return false; }
    void find_documents(document_store&, find_request, documents_handler) override {}
    void tell_backend(std::string_view, std::string_view, std::string) override {}
    void publish_raw(std::string_view, std::string_view, std::string) override {}
    void acknowledge_mail(std::vector<std::string>, acknowledged_handler) override {}
    void tell_lifecycle(lifecycle_event e, std::string_view identity,
                        std::string_view members) override {
        told.push_back(std::string(to_string(e)) + " " + std::string(identity) +
                       std::string(members));
    }
    std::vector<std::string> told;
};

struct recording_observer final : hub_observer {
    int wanted = 0;
    void topic_wanted(std::string_view, dialect_id) override { ++wanted; }
    void topic_unwanted(std::string_view, dialect_id) override { --wanted; }
};

struct fixture {
    limits limit;
    exchange_policies exchanges{{{"open", exchange_access::open},
                                 {"members", exchange_access::authenticated},
                                 {"accounts", exchange_access::backend}}};
    jwt_verifier jwt = *jwt_verifier::make({});
    session_rules rules{exchanges, jwt, std::chrono::seconds(0), limit};
    recording_observer observer;
    hub topics{&observer};
    directory addresses;
    shard_metrics metrics{1, 0};
    session_env env{topics, addresses, metrics, rules, 0, 0};
    recording_port port;
};

TEST(session_core, subscribing_reaches_the_hub_and_the_gauge) {
    fixture f;
    session_core core(f.port, f.env);
    EXPECT_EQ(core.subscribe("open", "k"), result::subscribed);
    EXPECT_EQ(core.subscribe("open", "k"), result::already_subscribed);
    EXPECT_EQ(f.metrics.subscriptions.value(), 1);
    EXPECT_EQ(f.observer.wanted, 1);
    EXPECT_EQ(core.subscription_bytes(), 5u);
}

TEST(session_core, policies_answer_before_anything_is_held) {
    fixture f;
    session_core core(f.port, f.env);
    EXPECT_EQ(core.subscribe("undeclared", "k"), result::unknown_exchange);
    EXPECT_EQ(core.subscribe("members", "k"), result::auth_required);
    EXPECT_EQ(core.subscribe(std::string_view("open\0x", 6), "k"), result::invalid_name);
    EXPECT_EQ(core.subscription_count(), 0u);
}

TEST(session_core, the_count_limit_refuses_new_topics_but_not_repeats) {
    fixture f;
    f.limit.max_subscriptions_per_session = 2;
    session_core core(f.port, f.env);
    core.subscribe("open", "1");
    core.subscribe("open", "2");
    EXPECT_EQ(core.subscribe("open", "3"), result::too_many);
    EXPECT_EQ(core.subscribe("open", "2"), result::already_subscribed);
}

TEST(session_core, the_byte_limit_counts_exchange_and_routing_key_and_frees_on_unsubscribe) {
    fixture f;
    f.limit.max_subscription_bytes_per_session = 20;
    session_core core(f.port, f.env);
    EXPECT_EQ(core.subscribe("open", std::string(16, 'a')), result::subscribed); // 4 + 16 = 20
    EXPECT_EQ(core.subscribe("open", "b"), result::too_large);
    EXPECT_TRUE(core.unsubscribe("open", std::string(16, 'a')));
    EXPECT_EQ(core.subscription_bytes(), 0u);
    EXPECT_EQ(core.subscribe("open", "b"), result::subscribed);
}

TEST(session_core, unsubscribe_each_drops_one_exchange_or_all) {
    fixture f;
    session_core core(f.port, f.env);
    core.subscribe("open", "1");
    core.subscribe("open", "2");
    EXPECT_EQ(core.unsubscribe_each("members").size(), 0u);
    EXPECT_EQ(core.unsubscribe_each("open"), (std::vector<topic>{{"open", "1"}, {"open", "2"}}));
    EXPECT_EQ(core.subscription_count(), 0u);
    EXPECT_EQ(f.metrics.subscriptions.value(), 0);
}

TEST(session_core, events_reach_the_port_and_a_destroyed_core_has_left_the_hub) {
    fixture f;
    {
        session_core core(f.port, f.env);
        core.subscribe("open", "k");
        rendered_event e;
        e.frames[0] = std::make_shared<const std::string>("frame");
        EXPECT_EQ(f.topics.publish(topic_key("open", "k"), e), 1u);
        EXPECT_EQ(f.port.frames, std::vector<std::string>{"frame"});
    }
    EXPECT_EQ(f.topics.topic_count(), 0u);
    EXPECT_EQ(f.observer.wanted, 0);
    EXPECT_EQ(f.metrics.subscriptions.value(), 0);
}

TEST(session_core, a_refused_token_leaves_the_session_anonymous) {
    fixture f;
    session_core core(f.port, f.env);
    auto result = core.authenticate("not.a.token", std::chrono::system_clock::now());
    EXPECT_FALSE(result);
    EXPECT_EQ(core.who(), nullptr);
    EXPECT_EQ(core.expire_identity(std::chrono::system_clock::now()), std::nullopt);
}

TEST(session_core, a_backend_exchange_is_asked_only_after_the_local_checks_pass) {
    fixture f;
    f.limit.max_subscriptions_per_session = 1;
    session_core core(f.port, f.env);
    EXPECT_EQ(core.subscribe("accounts", "1"), result::ask_backend);
    EXPECT_EQ(core.subscription_count(), 0u); // nothing is held while the back end decides
    EXPECT_EQ(core.subscribe("accounts", "1", true), result::subscribed);
    EXPECT_EQ(core.subscribe("accounts", "1"), result::already_subscribed);
    EXPECT_EQ(core.subscribe("accounts", "2"), result::too_many);
    EXPECT_EQ(core.subscribe(std::string_view("accounts\0", 9), "2"), result::invalid_name);
}

TEST(session_core, a_decided_subscription_still_needs_a_served_exchange) {
    fixture f;
    session_core core(f.port, f.env);
    EXPECT_EQ(core.subscribe("undeclared", "k", true), result::unknown_exchange);
}

TEST(session_core, the_back_ends_decisions_survive_the_same_subject_and_not_another) {
    fixture f;
    session_core core(f.port, f.env);
    core.set_identity({"user-1", {}, {}});
    core.subscribe("accounts", "1", true);
    core.subscribe("members", "m");
    EXPECT_TRUE(core.set_identity({"user-1", {"x:y"}, {}}).empty());
    EXPECT_EQ(core.delegated_topic_keys(),
              std::vector<std::string_view>{topic_key("accounts", "1")});
    const auto revoked = core.set_identity({"user-2", {}, {}});
    ASSERT_EQ(revoked.size(), 1u);
    EXPECT_EQ(revoked[0].exchange, "accounts");
    EXPECT_EQ(core.who()->subject, "user-2");
    EXPECT_EQ(core.subscription_count(), 1u); // members: any identity will do
}

TEST(session_core, lifecycle_events_tell_each_change_with_the_identity_when_asked_for) {
    fixture f;
    f.rules.lifecycle.to = lifecycle_rules::target::bus;
    session_core core(f.port, f.env);
    core.subscribe("open", "k");
    core.subscribe("open", "k"); // a repeat changes nothing and tells nothing
    core.set_identity({"u", {}, {}});
    core.set_identity({"u", {"a:b"}, {}}); // the same subject: not a new identity
    core.unsubscribe("open", "k");
    core.deauthenticate();
    EXPECT_EQ(
        f.port.told,
        (std::vector<std::string>{
            R"(subscribed null,"exchange":"open","routing_key":"k")",
            R"(authenticated {"subject":"u","grants":[]})",
            R"(unsubscribed {"subject":"u","grants":["a:b"]},"exchange":"open","routing_key":"k")",
            "authenticated null",
        }));
}

TEST(session_core, without_lifecycle_events_nothing_is_told) {
    fixture f;
    session_core core(f.port, f.env);
    core.subscribe("open", "k");
    core.set_identity({"u", {}, {}});
    EXPECT_TRUE(f.port.told.empty());
}

} // namespace
} // namespace herald
