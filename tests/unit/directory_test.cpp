#include "pubsub/directory.hpp"

#include <gtest/gtest.h>
#include <map>

namespace herald {
namespace {

struct inbox final : addressee {
    std::vector<std::string> frames;
    bool superseded = false;
    void deliver(const shared_frame& frame) override { frames.push_back(*frame); }
    void supersede() override { superseded = true; }
};

struct recording_observer final : directory_observer {
    std::vector<std::string> calls;
    void identity_wanted(std::string_view identity, dialect_id d) override {
        calls.push_back("+" + std::string(identity) + "/" + std::to_string(d));
    }
    void identity_unwanted(std::string_view identity, dialect_id d) override {
        calls.push_back("-" + std::string(identity) + "/" + std::to_string(d));
    }
};

// One frame for dialect 0, none for dialect 1 (a dialect that takes no events).
rendered_event event(std::string text) {
    rendered_event e;
    e.frames[0] = std::make_shared<const std::string>(std::move(text));
    return e;
}

struct fixture {
    recording_observer observer;
    directory sessions{&observer};
    std::map<std::uint64_t, inbox> boxes;
    void open(std::uint64_t id, std::uint32_t endpoint, dialect_id d = 0) {
        sessions.add(id, endpoint, d, boxes[id]);
    }
    std::size_t got(std::uint64_t id) { return boxes[id].frames.size(); }
};

TEST(directory, everyone_gets_a_multicast_once_but_a_dialect_without_a_frame) {
    fixture f;
    f.open(1, 0);
    f.open(2, 1);
    f.open(3, 1, 1);
    EXPECT_EQ(f.sessions.deliver_all(event("m")), 2u);
    EXPECT_EQ(f.got(1), 1u);
    EXPECT_EQ(f.got(2), 1u);
    EXPECT_EQ(f.got(3), 0u);
}

TEST(directory, a_broadcast_reaches_one_endpoint_but_the_skipped_sessions) {
    fixture f;
    f.open(1, 0);
    f.open(2, 1);
    f.open(3, 1);
    f.open(4, 1);
    const std::vector<std::uint64_t> skip{2, 4};
    EXPECT_EQ(f.sessions.deliver_endpoint(1, skip, event("b")), 1u);
    EXPECT_EQ(f.got(1), 0u);
    EXPECT_EQ(f.got(2), 0u);
    EXPECT_EQ(f.got(3), 1u);
    EXPECT_EQ(f.got(4), 0u);
}

TEST(directory, a_unicast_reaches_its_session_and_nobody_once_it_is_gone) {
    fixture f;
    f.open(1, 0);
    f.open(2, 0);
    EXPECT_EQ(f.sessions.deliver_session(2, event("u")), 1u);
    EXPECT_EQ(f.got(1), 0u);
    EXPECT_EQ(f.got(2), 1u);
    f.sessions.remove(2);
    EXPECT_FALSE(f.sessions.contains(2));
    EXPECT_EQ(f.sessions.deliver_session(2, event("u")), 0u);
    f.sessions.remove(2); // idempotent
}

TEST(directory, identities_are_wanted_from_their_first_session_of_a_dialect_to_their_last) {
    fixture f;
    f.open(1, 0);
    f.open(2, 0);
    f.open(3, 0, 1);
    EXPECT_TRUE(f.sessions.add_identity(1, "ann"));
    EXPECT_FALSE(f.sessions.add_identity(1, "ann"));
    EXPECT_TRUE(f.sessions.add_identity(2, "ann"));
    EXPECT_TRUE(f.sessions.add_identity(3, "ann"));
    EXPECT_TRUE(f.sessions.add_identity(1, "admins"));
    EXPECT_FALSE(f.sessions.add_identity(9, "ann")); // no such session
    EXPECT_EQ(f.observer.calls, (std::vector<std::string>{"+ann/0", "+ann/1", "+admins/0"}));
    EXPECT_EQ(f.sessions.deliver_identity("ann", event("i")), 2u); // 3's dialect has no frame
    EXPECT_EQ(f.sessions.identities_of(1).size(), 2u);

    EXPECT_TRUE(f.sessions.remove_identity(1, "ann"));
    EXPECT_FALSE(f.sessions.remove_identity(1, "ann"));
    f.sessions.remove(2);
    f.sessions.remove(1);
    f.sessions.remove(3);
    EXPECT_EQ(f.observer.calls, (std::vector<std::string>{"+ann/0", "+ann/1", "+admins/0", "-ann/0",
                                                          "-admins/0", "-ann/1"}));
    EXPECT_EQ(f.sessions.identity_count(), 0u);
    EXPECT_EQ(f.sessions.deliver_identity("ann", event("i")), 0u);
}

TEST(directory, deliver_dispatches_on_the_kind_of_address) {
    fixture f;
    f.open(1, 0);
    f.open(2, 1);
    f.sessions.add_identity(2, "bob");
    session_address to;
    to.to = session_address::kind::identity;
    to.identity = "bob";
    EXPECT_EQ(f.sessions.deliver(to, event("x")), 1u);
    to = {};
    to.to = session_address::kind::endpoint;
    to.endpoint = 0;
    EXPECT_EQ(f.sessions.deliver(to, event("x")), 1u);
    EXPECT_EQ(f.got(1), 1u);
    EXPECT_EQ(f.got(2), 1u);
}

} // namespace
} // namespace herald

namespace herald {
namespace {

struct mailbox_observer final : directory_observer {
    std::vector<std::string> calls;
    void identity_wanted(std::string_view, dialect_id) override {}
    void identity_unwanted(std::string_view, dialect_id) override {}
    void registered(std::string_view identity, std::uint64_t session, std::chrono::seconds lifetime,
                    std::uint32_t max_connections, bool /*acknowledge*/) override {
        calls.push_back("open " + std::string(identity) + " " + std::to_string(session) + " " +
                        std::to_string(lifetime.count()) + " " + std::to_string(max_connections));
    }
    void unregistered(std::string_view identity, std::uint64_t session, bool last) override {
        calls.push_back("left " + std::string(identity) + " " + std::to_string(session) +
                        (last ? " last" : ""));
    }
};

TEST(directory, each_registration_and_each_departure_of_a_registered_session_is_told) {
    mailbox_observer observer;
    directory sessions{&observer};
    inbox a, b;
    sessions.add(1, 0, 0, a);
    sessions.add(2, 0, 0, b);
    EXPECT_TRUE(sessions.register_identity(1, "ann", std::chrono::seconds(600), 1));
    EXPECT_EQ(sessions.identities_of(1).size(), 1u); // registering adds the identity
    EXPECT_TRUE(sessions.register_identity(2, "ann", std::chrono::seconds(900), 2));
    EXPECT_TRUE(sessions.register_identity(2, "ann", std::chrono::seconds(900), 2)); // refresh
    EXPECT_TRUE(sessions.add_identity(1, "bob")); // addressable only: no mailbox
    EXPECT_FALSE(sessions.register_identity(9, "ann", std::chrono::seconds(600), 1));
    sessions.remove(1);
    EXPECT_TRUE(sessions.remove_identity(2, "ann"));
    EXPECT_EQ(observer.calls,
              (std::vector<std::string>{"open ann 1 600 1", "open ann 2 900 2", "open ann 2 900 2",
                                        "left ann 1", "left ann 2 last"}));
}

TEST(directory, the_newest_registrations_heard_stay_and_older_local_sessions_are_superseded) {
    directory sessions;
    inbox a, b, c;
    sessions.add(1, 0, 0, a);
    sessions.add(2, 0, 0, b);
    sessions.add(3, 0, 0, c);
    for (std::uint64_t id : {1, 2, 3}) {
        sessions.register_identity(id, "ann", std::chrono::seconds(600), 2);
    }
    sessions.heard_registration("ann", 1, 2);
    sessions.heard_registration("ann", 2, 2);
    sessions.heard_registration("ann", 99, 2); // another node's: 1 falls out
    EXPECT_TRUE(a.superseded);
    EXPECT_FALSE(b.superseded);
    sessions.heard_departure("ann", 99);
    sessions.heard_registration("ann", 3, 2); // 2 and 3 are the newest two
    EXPECT_FALSE(b.superseded);
    EXPECT_FALSE(c.superseded);
    sessions.heard_registration("ann", 98, 1); // max_connections 1: only 98 stays
    EXPECT_TRUE(b.superseded);
    EXPECT_TRUE(c.superseded);
    sessions.heard_registration("bob", 5, 1); // nobody here registered as bob: nothing
}

} // namespace
} // namespace herald
