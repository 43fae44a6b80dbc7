#include "bus/sqlite_mailboxes.hpp"

#include "util/log.hpp"
#include "util/sqlite_statement.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <sqlite3.h>

namespace herald {
namespace {

constexpr std::int64_t purge_period_seconds = 60;

using statement = sqlite_statement;

std::int64_t wall_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

} // namespace

sqlite_mailboxes::sqlite_mailboxes(std::string file, mail_handler on_mail, clock now)
    : file_(std::move(file))
    , on_mail_(std::move(on_mail))
    , now_(now ? std::move(now) : clock(wall_seconds)) {}

sqlite_mailboxes::~sqlite_mailboxes() {
    sqlite3_close(db_);
}

bool sqlite_mailboxes::exec(const char* sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
        failure_ = error ? error : sqlite3_errmsg(db_);
        sqlite3_free(error);
        return false;
    }
    return true;
}

bool sqlite_mailboxes::ready() {
    if (db_ != nullptr || failed_) {
        return !failed_;
    }
    if (sqlite3_open(file_.c_str(), &db_) != SQLITE_OK) {
        failure_ = sqlite3_errmsg(db_);
    } else if (exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                    "CREATE TABLE IF NOT EXISTS identities(name TEXT PRIMARY KEY,"
                    " expires INTEGER NOT NULL, lifetime INTEGER NOT NULL,"
                    " max_messages INTEGER NOT NULL, max_bytes INTEGER NOT NULL,"
                    " messages INTEGER NOT NULL DEFAULT 0, bytes INTEGER NOT NULL DEFAULT 0);"
                    "CREATE TABLE IF NOT EXISTS mail(id INTEGER PRIMARY KEY AUTOINCREMENT,"
                    " identity TEXT NOT NULL, body BLOB NOT NULL);"
                    "CREATE INDEX IF NOT EXISTS mail_by_identity ON mail(identity, id);")) {
        log::info("mailboxes: kept in {}", file_);
        return true;
    }
    failed_ = true;
    log::error("mailboxes: cannot use {}: {}; notify answers unavailable", file_, failure_);
    return false;
}

bool sqlite_mailboxes::refresh(std::string_view identity, const mailbox_settings& settings) {
    if (!ready()) {
        return false;
    }
    const auto now = now_();
    purge_expired(now);
    forget_if_expired(identity, now); // a new life starts with an empty mailbox
    const auto lifetime = static_cast<std::int64_t>(settings.lifetime.count());
    statement upsert(db_, "INSERT INTO identities(name, expires, lifetime, max_messages, max_bytes)"
                          " VALUES(?1, ?2, ?3, ?4, ?5) ON CONFLICT(name) DO UPDATE SET"
                          " expires = ?2, lifetime = ?3, max_messages = ?4, max_bytes = ?5");
    if (!upsert || upsert.bind(1, identity)
                           .bind(2, now + lifetime)
                           .bind(3, lifetime)
                           .bind(4, static_cast<std::int64_t>(settings.max_messages))
                           .bind(5, static_cast<std::int64_t>(settings.max_bytes))
                           .step() != SQLITE_DONE) {
        log::error("mailboxes: cannot register \"{}\": {}", identity, sqlite3_errmsg(db_));
        return false;
    }
    return true;
}

// A registration: in acknowledge mode, everything not acknowledged is handed out again.
void sqlite_mailboxes::open_mailbox(std::string_view identity, const mailbox_settings& settings) {
    if (settings.acknowledge) {
        cursors_[std::string(identity)] = 0;
    }
    take_mail(identity, settings);
}

void sqlite_mailboxes::take_mail(std::string_view identity, const mailbox_settings& settings) {
    if (!refresh(identity, settings)) {
        return;
    }
    if (!settings.acknowledge) {
        forget_cursor(identity);
        take(identity);
        return;
    }
    take_unacknowledged(identity, cursors_[std::string(identity)]);
}

void sqlite_mailboxes::forget_cursor(std::string_view identity) {
    if (auto it = cursors_.find(identity); it != cursors_.end()) {
        cursors_.erase(it);
    }
}

void sqlite_mailboxes::close_mailbox(std::string_view identity) {
    forget_cursor(identity); // what is not acknowledged yet is due again at the next take
    // Its last session here left: its lifetime counts from now.
    if (db_ != nullptr) {
        statement refresh(db_, "UPDATE identities SET expires = ?2 + lifetime WHERE name = ?1");
        if (refresh) {
            refresh.bind(1, identity).bind(2, now_()).step();
        }
    }
}

void sqlite_mailboxes::notify(std::string_view identity, std::string body, notify_done done) {
    if (!ready()) {
        done(notify_result::unavailable, failure_);
        return;
    }
    const auto now = now_();
    purge_expired(now);
    statement find(db_, "SELECT expires, max_messages, max_bytes, messages, bytes"
                        " FROM identities WHERE name = ?1");
    if (!find || find.bind(1, identity).step() != SQLITE_ROW || find.integer(0) <= now) {
        done(notify_result::unknown_identity, "no such identity, or its lifetime has passed");
        return;
    }
    const auto size = static_cast<std::int64_t>(body.size());
    if (find.integer(3) + 1 > find.integer(1) || find.integer(4) + size > find.integer(2)) {
        ++full_;
        done(notify_result::full, "the identity's mailbox is full");
        return;
    }
    statement insert(db_, "INSERT INTO mail(identity, body) VALUES(?1, ?2)");
    statement count(db_, "UPDATE identities SET messages = messages + 1, bytes = bytes + ?2"
                         " WHERE name = ?1");
    const bool ok =
        insert && count && exec("BEGIN") &&
        insert.bind(1, identity).bind(2, std::string_view(body)).step() == SQLITE_DONE &&
        count.bind(1, identity).bind(2, size).step() == SQLITE_DONE && exec("COMMIT");
    if (!ok) {
        const std::string why = sqlite3_errmsg(db_);
        exec("ROLLBACK");
        log::error("mailboxes: cannot store mail for \"{}\": {}", identity, why);
        done(notify_result::unavailable, why);
        return;
    }
    // Whoever watches takes it when the node tells the identity's topic, as on every bus.
    done(notify_result::stored, {});
}

// Everything in the mailbox, oldest first, handed over and deleted in one transaction; the
// identity's lifetime starts again, as it does when it registers.
void sqlite_mailboxes::take(std::string_view identity) {
    statement select(db_, "SELECT body FROM mail WHERE identity = ?1 ORDER BY id");
    statement erase(db_, "DELETE FROM mail WHERE identity = ?1");
    statement reset(db_, "UPDATE identities SET messages = 0, bytes = 0,"
                         " expires = ?2 + lifetime WHERE name = ?1");
    if (!select || !erase || !reset || !exec("BEGIN")) {
        log::error("mailboxes: cannot take mail for \"{}\": {}", identity, sqlite3_errmsg(db_));
        return;
    }
    std::vector<mail> bodies;
    select.bind(1, identity);
    int stepped = SQLITE_ROW;
    while ((stepped = select.step()) == SQLITE_ROW) {
        bodies.push_back({{}, select.text(0)});
    }
    // Deleted only when every message was read: a read that failed half way deletes nothing.
    if (stepped != SQLITE_DONE || erase.bind(1, identity).step() != SQLITE_DONE ||
        reset.bind(1, identity).bind(2, now_()).step() != SQLITE_DONE || !exec("COMMIT")) {
        log::error("mailboxes: cannot take mail for \"{}\": {}", identity, sqlite3_errmsg(db_));
        exec("ROLLBACK");
        return;
    }
    if (!bodies.empty()) {
        on_mail_(identity, bodies);
    }
}

// Nothing is deleted: mail stays until acknowledged (or the identity's lifetime passes).
void sqlite_mailboxes::take_unacknowledged(std::string_view identity, std::int64_t& cursor) {
    statement select(db_, "SELECT id, body FROM mail WHERE identity = ?1 AND id > ?2 ORDER BY id");
    if (!select) {
        log::error("mailboxes: cannot take mail for \"{}\": {}", identity, sqlite3_errmsg(db_));
        return;
    }
    std::vector<mail> taken;
    select.bind(1, identity).bind(2, cursor);
    int stepped = SQLITE_ROW;
    while ((stepped = select.step()) == SQLITE_ROW) {
        taken.push_back({std::to_string(select.integer(0)), select.text(1)});
    }
    if (stepped != SQLITE_DONE) {
        log::error("mailboxes: cannot take mail for \"{}\": {}", identity, sqlite3_errmsg(db_));
        return;
    }
    if (!taken.empty()) {
        cursor = std::stoll(taken.back().id);
        on_mail_(identity, taken);
    }
}

void sqlite_mailboxes::acknowledge(const std::vector<std::string>& identities,
                                   const std::vector<std::string>& ids, acknowledge_done done) {
    std::vector<std::string> removed;
    if (db_ != nullptr && !failed_ && exec("BEGIN")) {
        for (const auto& id : ids) {
            if (remove_acknowledged(identities, id)) {
                removed.push_back(id);
            }
        }
        if (!exec("COMMIT")) {
            log::error("mailboxes: cannot remove acknowledged mail: {}", failure_);
            exec("ROLLBACK");
            removed.clear();
        }
    }
    done(std::move(removed));
}

// True when `id` is a message of one of `identities`, now gone with its share of the counts.
bool sqlite_mailboxes::remove_acknowledged(const std::vector<std::string>& identities,
                                           std::string_view id) {
    std::int64_t rowid = 0;
    const auto* end = id.data() + id.size();
    if (id.empty() || std::from_chars(id.data(), end, rowid).ptr != end || rowid <= 0 ||
        std::to_string(rowid) != id) {
        return false; // not one of ours: ids here are rowids, as handed out
    }
    statement find(db_, "SELECT identity, length(body) FROM mail WHERE id = ?1");
    if (!find || find.bind(1, rowid).step() != SQLITE_ROW) {
        return false;
    }
    const auto owner = find.text(0);
    if (std::find(identities.begin(), identities.end(), owner) == identities.end()) {
        return false;
    }
    statement erase(db_, "DELETE FROM mail WHERE id = ?1");
    statement count(db_, "UPDATE identities SET messages = messages - 1, bytes = bytes - ?2"
                         " WHERE name = ?1");
    return erase && count && erase.bind(1, rowid).step() == SQLITE_DONE &&
           count.bind(1, owner).bind(2, find.integer(1)).step() == SQLITE_DONE;
}

void sqlite_mailboxes::forget_if_expired(std::string_view identity, std::int64_t now) {
    statement mail(db_, "DELETE FROM mail WHERE identity = ?1 AND EXISTS"
                        " (SELECT 1 FROM identities WHERE name = ?1 AND expires <= ?2)");
    statement row(db_, "DELETE FROM identities WHERE name = ?1 AND expires <= ?2");
    if (!mail || !row || mail.bind(1, identity).bind(2, now).step() != SQLITE_DONE ||
        row.bind(1, identity).bind(2, now).step() != SQLITE_DONE) {
        log::warn("mailboxes: cannot forget expired \"{}\": {}", identity, sqlite3_errmsg(db_));
    }
}

void sqlite_mailboxes::purge_expired(std::int64_t now) {
    if (now < next_purge_) {
        return;
    }
    next_purge_ = now + purge_period_seconds;
    statement mail(db_, "DELETE FROM mail WHERE identity IN"
                        " (SELECT name FROM identities WHERE expires <= ?1)");
    statement identities(db_, "DELETE FROM identities WHERE expires <= ?1");
    if (!mail || !identities || mail.bind(1, now).step() != SQLITE_DONE ||
        identities.bind(1, now).step() != SQLITE_DONE) {
        log::warn("mailboxes: cannot purge expired identities: {}", sqlite3_errmsg(db_));
    }
}

} // namespace herald
