#pragma once
// The memory bus's mailboxes: one SQLite file, so that a restart of the single node loses no
// mail (docs/backend.md#identities-and-mailboxes).

#include "bus/bus.hpp"
#include "util/string_map.hpp"

#include <cstdint>
#include <functional>
#include <string>

struct sqlite3;

namespace herald {

// Lives on the bus thread, like its bus; every call is synchronous (SQLite in WAL mode, synced
// at each commit's checkpoint: a process that dies loses nothing committed, a machine that
// loses power may lose the last commits).
class sqlite_mailboxes final : public mailboxes {
public:
    using mail_handler = std::function<void(std::string_view identity, std::vector<mail>&)>;
    using clock = std::function<std::int64_t()>; // seconds; the wall clock unless a test says

    // The file is opened at the first call that needs it: a node that never registers an
    // identity creates none.
    sqlite_mailboxes(std::string file, mail_handler on_mail, clock now = {});
    ~sqlite_mailboxes() override;
    sqlite_mailboxes(const sqlite_mailboxes&) = delete;
    sqlite_mailboxes& operator=(const sqlite_mailboxes&) = delete;

    void open_mailbox(std::string_view identity, const mailbox_settings& settings) override;
    void take_mail(std::string_view identity, const mailbox_settings& settings) override;
    void close_mailbox(std::string_view identity) override;
    void notify(std::string_view identity, std::string body, notify_done done) override;
    // A message's id is its rowid (AUTOINCREMENT: never used twice in the file).
    void acknowledge(const std::vector<std::string>& identities,
                     const std::vector<std::string>& ids, acknowledge_done done) override;

    std::uint64_t full_count() const { return full_; }

private:
    bool ready(); // opens the file and the schema once; false (logged) when it cannot
    // Registers (or refreshes) the identity; false (logged) when the store failed.
    bool refresh(std::string_view identity, const mailbox_settings& settings);
    void take(std::string_view identity);
    // Acknowledge mode: what is past the identity's cursor, which then moves past it.
    void take_unacknowledged(std::string_view identity, std::int64_t& cursor);
    void forget_cursor(std::string_view identity);
    bool remove_acknowledged(const std::vector<std::string>& identities, std::string_view id);
    void purge_expired(std::int64_t now);
    void forget_if_expired(std::string_view identity, std::int64_t now);
    bool exec(const char* sql);

    std::string file_;
    mail_handler on_mail_;
    clock now_;
    sqlite3* db_ = nullptr;
    bool failed_ = false;
    std::string failure_;
    std::int64_t next_purge_ = 0;
    std::uint64_t full_ = 0;
    // Mailboxes watched in acknowledge mode: the last id handed out. The node is the only one
    // on this file, so the cursor lives here; a restart hands everything out again.
    string_map<std::int64_t> cursors_;
};

} // namespace herald
