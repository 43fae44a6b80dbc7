#include "bus/sqlite_mailboxes.hpp"

#include <filesystem>
#include <gtest/gtest.h>
#include <map>

namespace herald {
namespace {

// A store in a fresh file, with a clock the test moves, recording what it hands out.
struct fixture {
    std::filesystem::path file = std::filesystem::temp_directory_path() /
                                 ("herald-mailboxes-test-" + std::to_string(::getpid()) + "-" +
                                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::int64_t now = 1'000'000;
    std::map<std::string, std::vector<std::string>> taken;
    std::map<std::string, std::vector<std::string>> ids; // of the mail taken, in acknowledge mode
    std::unique_ptr<sqlite_mailboxes> store = open();

    fixture() = default;
    ~fixture() {
        store.reset();
        for (const char* suffix : {"", "-wal", "-shm"}) {
            std::filesystem::remove(file.string() + suffix);
        }
    }
    std::unique_ptr<sqlite_mailboxes> open() {
        return std::make_unique<sqlite_mailboxes>(
            file.string(),
            [this](std::string_view identity, std::vector<mail>& bodies) {
                for (const auto& m : bodies) {
                    taken[std::string(identity)].push_back(m.body);
                    if (!m.id.empty()) {
                        ids[std::string(identity)].push_back(m.id);
                    }
                }
            },
            [this] { return now; });
    }
    notify_result notify(std::string_view identity, std::string body) {
        notify_result result = notify_result::unavailable;
        store->notify(identity, std::move(body),
                      [&](notify_result r, std::string_view) { result = r; });
        return result;
    }
    std::vector<std::string> acknowledge(std::vector<std::string> identities,
                                         std::vector<std::string> acked) {
        std::vector<std::string> removed{"not called"};
        store->acknowledge(identities, acked, [&](std::vector<std::string> r) { removed = r; });
        return removed;
    }
};

const mailbox_settings hour{std::chrono::seconds(3600), 3, 100};

TEST(sqlite_mailboxes, mail_waits_while_unwatched_and_comes_in_order_at_the_next_open) {
    fixture f;
    f.store->open_mailbox("ann", hour);
    f.store->close_mailbox("ann");
    EXPECT_EQ(f.notify("ann", "1"), notify_result::stored);
    EXPECT_EQ(f.notify("ann", "2"), notify_result::stored);
    EXPECT_TRUE(f.taken.empty());
    f.store->open_mailbox("ann", hour);
    EXPECT_EQ(f.taken["ann"], (std::vector<std::string>{"1", "2"}));
    // Stored, it waits for the next open (the node's, at the tell): taken once, then gone.
    EXPECT_EQ(f.notify("ann", "3"), notify_result::stored);
    EXPECT_EQ(f.taken["ann"], (std::vector<std::string>{"1", "2"}));
    f.store->open_mailbox("ann", hour);
    f.store->open_mailbox("ann", hour);
    EXPECT_EQ(f.taken["ann"], (std::vector<std::string>{"1", "2", "3"}));
}

TEST(sqlite_mailboxes, an_identity_never_registered_or_past_its_lifetime_does_not_exist) {
    fixture f;
    EXPECT_EQ(f.notify("nobody", "x"), notify_result::unknown_identity);
    f.store->open_mailbox("ann", hour);
    f.store->close_mailbox("ann");
    f.now += 3599;
    EXPECT_EQ(f.notify("ann", "x"), notify_result::stored);
    f.now += 1;
    EXPECT_EQ(f.notify("ann", "y"), notify_result::unknown_identity);
    // Registering again makes it exist again, with an empty mailbox: its mail died with it.
    f.store->open_mailbox("ann", hour);
    EXPECT_TRUE(f.taken["ann"].empty());
}

TEST(sqlite_mailboxes, each_open_starts_the_lifetime_again) {
    fixture f;
    f.store->open_mailbox("ann", hour);
    f.now += 3000;
    f.store->open_mailbox("ann", hour); // the node opens a watched mailbox each minute
    f.now += 3000;
    EXPECT_EQ(f.notify("ann", "x"), notify_result::stored);
}

TEST(sqlite_mailboxes, a_mailbox_refuses_mail_beyond_its_count_or_its_bytes) {
    fixture f;
    f.store->open_mailbox("ann", hour);
    f.store->close_mailbox("ann");
    EXPECT_EQ(f.notify("ann", std::string(60, 'a')), notify_result::stored);
    EXPECT_EQ(f.notify("ann", std::string(41, 'b')), notify_result::full); // 101 bytes
    EXPECT_EQ(f.notify("ann", "c"), notify_result::stored);
    EXPECT_EQ(f.notify("ann", "d"), notify_result::stored);
    EXPECT_EQ(f.notify("ann", "e"), notify_result::full); // a fourth message
    EXPECT_EQ(f.store->full_count(), 2u);
}

TEST(sqlite_mailboxes, the_store_survives_its_process) {
    fixture f;
    f.store->open_mailbox("ann", hour);
    f.store->close_mailbox("ann");
    EXPECT_EQ(f.notify("ann", "kept"), notify_result::stored);
    f.store = f.open();
    f.store->open_mailbox("ann", hour);
    EXPECT_EQ(f.taken["ann"], (std::vector<std::string>{"kept"}));
}

TEST(sqlite_mailboxes, a_file_that_cannot_be_opened_makes_notify_unavailable) {
    sqlite_mailboxes store("/nonexistent-dir/x/mail.sqlite3", [](auto, auto&) {});
    notify_result result = notify_result::stored;
    std::string why;
    store.notify("ann", "x", [&](notify_result r, std::string_view w) {
        result = r;
        why = w;
    });
    EXPECT_EQ(result, notify_result::unavailable);
    EXPECT_FALSE(why.empty());
}

const mailbox_settings kept{std::chrono::seconds(3600), 3, 100, true};
using strings = std::vector<std::string>;

TEST(sqlite_mailboxes,
     in_acknowledge_mode_mail_stays_until_acknowledged_and_a_new_open_hands_it_out_again) {
    fixture f;
    f.store->open_mailbox("ann", kept);
    EXPECT_EQ(f.notify("ann", "1"), notify_result::stored);
    EXPECT_EQ(f.notify("ann", "2"), notify_result::stored);
    f.store->take_mail("ann", kept); // the tell
    ASSERT_EQ(f.taken["ann"], (strings{"1", "2"}));
    const auto first = f.ids["ann"];
    ASSERT_EQ(first.size(), 2U);
    // A take hands out only what is new; a registration everything not acknowledged.
    f.store->take_mail("ann", kept);
    EXPECT_EQ(f.taken["ann"].size(), 2U);
    EXPECT_EQ(f.acknowledge({"ann"}, {first[0]}), (strings{first[0]}));
    f.store->open_mailbox("ann", kept);
    EXPECT_EQ(f.taken["ann"], (strings{"1", "2", "2"}));
    EXPECT_EQ(f.ids["ann"].back(), first[1]);
    // The last session left: due again at the next take.
    f.store->close_mailbox("ann");
    f.store->take_mail("ann", kept);
    EXPECT_EQ(f.taken["ann"], (strings{"1", "2", "2", "2"}));
    EXPECT_EQ(f.acknowledge({"ann"}, {first[1]}), (strings{first[1]}));
    f.store->open_mailbox("ann", kept);
    EXPECT_EQ(f.taken["ann"].size(), 4U);
}

TEST(sqlite_mailboxes, an_acknowledgement_removes_only_mail_of_the_identities_named) {
    fixture f;
    f.store->open_mailbox("ann", kept);
    f.store->open_mailbox("bob", kept);
    f.notify("ann", "a");
    f.store->take_mail("ann", kept);
    const auto id = f.ids["ann"].at(0);
    EXPECT_EQ(f.acknowledge({"bob"}, {id, "abc", "-1", "99999999999999999999999"}), strings{});
    EXPECT_EQ(f.acknowledge({"bob", "ann"}, {id, id}), (strings{id}));
    f.store->open_mailbox("ann", kept);
    EXPECT_EQ(f.taken["ann"], (strings{"a"}));
}

TEST(sqlite_mailboxes, unacknowledged_mail_counts_against_the_bounds_until_acknowledged) {
    fixture f;
    f.store->open_mailbox("ann", kept);
    for (const char* body : {"1", "2", "3"}) {
        EXPECT_EQ(f.notify("ann", body), notify_result::stored);
    }
    f.store->take_mail("ann", kept);
    EXPECT_EQ(f.notify("ann", "4"), notify_result::full);
    EXPECT_EQ(f.acknowledge({"ann"}, {f.ids["ann"].at(0)}).size(), 1U);
    EXPECT_EQ(f.notify("ann", "4"), notify_result::stored);
}

TEST(sqlite_mailboxes, a_registration_without_acknowledge_takes_and_deletes_kept_mail) {
    fixture f;
    f.store->open_mailbox("ann", kept);
    f.notify("ann", "1");
    f.store->take_mail("ann", kept);
    f.store->open_mailbox("ann", hour);
    EXPECT_EQ(f.taken["ann"], (strings{"1", "1"}));
    EXPECT_EQ(f.ids["ann"].size(), 1U); // the second time without an id
    f.store->open_mailbox("ann", kept);
    EXPECT_EQ(f.taken["ann"].size(), 2U);
}

} // namespace
} // namespace herald
