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
            [this](std::string_view identity, std::vector<std::string>& bodies) {
                auto& got = taken[std::string(identity)];
                got.insert(got.end(), bodies.begin(), bodies.end());
            },
            [this] { return now; });
    }
    notify_result notify(std::string_view identity, std::string body) {
        notify_result result = notify_result::unavailable;
        store->notify(identity, std::move(body),
                      [&](notify_result r, std::string_view) { result = r; });
        return result;
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

} // namespace
} // namespace herald
