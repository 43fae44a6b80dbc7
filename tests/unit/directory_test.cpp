#include "pubsub/directory.hpp"

#include <gtest/gtest.h>
#include <map>

namespace herald {
namespace {

struct inbox final : addressee {
    std::vector<std::string> frames;
    void deliver(const shared_frame& frame) override { frames.push_back(*frame); }
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
    void mailbox_wanted(std::string_view identity, std::chrono::seconds lifetime) override {
        calls.push_back("open " + std::string(identity) + " " + std::to_string(lifetime.count()));
    }
    void mailbox_unwanted(std::string_view identity) override {
        calls.push_back("close " + std::string(identity));
    }
};

struct quiet final : addressee {
    void deliver(const shared_frame&) override {}
};

TEST(directory, a_mailbox_is_wanted_at_each_registration_until_the_last_registered_session_leaves) {
    mailbox_observer observer;
    directory sessions{&observer};
    quiet a, b;
    sessions.add(1, 0, 0, a);
    sessions.add(2, 0, 0, b);
    EXPECT_TRUE(sessions.register_identity(1, "ann", std::chrono::seconds(600)));
    EXPECT_EQ(sessions.identities_of(1).size(), 1u); // registering adds the identity
    EXPECT_TRUE(sessions.register_identity(2, "ann", std::chrono::seconds(900)));
    EXPECT_TRUE(sessions.register_identity(2, "ann", std::chrono::seconds(900))); // refresh
    EXPECT_TRUE(sessions.add_identity(1, "bob")); // addressable only: no mailbox
    EXPECT_FALSE(sessions.register_identity(9, "ann", std::chrono::seconds(600)));
    sessions.remove(1);
    EXPECT_TRUE(sessions.remove_identity(2, "ann"));
    EXPECT_EQ(observer.calls, (std::vector<std::string>{"open ann 600", "open ann 900",
                                                        "open ann 900", "close ann"}));
}

} // namespace
} // namespace herald
