#pragma once
// The memory bus's mailboxes: one SQLite file, so that a restart of the single node loses no
// mail (docs/backend.md#identities-and-mailboxes).

#include "bus/bus.hpp"

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
    using mail_handler = std::function<void(std::string_view identity, std::vector<std::string>&)>;
    using clock = std::function<std::int64_t()>; // seconds; the wall clock unless a test says

    // The file is opened at the first call that needs it: a node that never registers an
    // identity creates none.
    sqlite_mailboxes(std::string file, mail_handler on_mail, clock now = {});
    ~sqlite_mailboxes() override;
    sqlite_mailboxes(const sqlite_mailboxes&) = delete;
    sqlite_mailboxes& operator=(const sqlite_mailboxes&) = delete;

    void open_mailbox(std::string_view identity, const mailbox_settings& settings) override;
    void close_mailbox(std::string_view identity) override;
    void notify(std::string_view identity, std::string body, notify_done done) override;

    std::uint64_t full_count() const { return full_; }

private:
    bool ready(); // opens the file and the schema once; false (logged) when it cannot
    void take(std::string_view identity);
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
};

} // namespace herald
