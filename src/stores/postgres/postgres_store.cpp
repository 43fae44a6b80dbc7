#include "stores/postgres/postgres_store.hpp"

#include "protocol/json_text.hpp"
#include "util/log.hpp"

#include <algorithm>
#include <libpq-fe.h>

namespace herald {
namespace {

constexpr auto first_backoff = std::chrono::milliseconds(100);
constexpr auto max_backoff = std::chrono::milliseconds(2000);
// How often the worker looks for notifications and for a connection the server closed.
constexpr auto poll_every = std::chrono::milliseconds(100);

const char* const not_available = "the document store is not available";

find_result refused(store_status status, std::string error) {
    return {status, std::move(error), {}, false};
}

} // namespace

postgres_store::postgres_store(postgres_settings settings)
    : settings_(std::move(settings))
    , connection_(settings_.url, settings_.timeout) {}

postgres_store::~postgres_store() {
    stop();
}

void postgres_store::start(change_handler on_change) {
    on_change_ = std::move(on_change);
    worker_.start([this] { idle(); }, poll_every);
}

void postgres_store::stop() {
    worker_.stop();
    connection_.close();
}

void postgres_store::find(find_request request, find_done done) {
    worker_.answer([this, request = std::move(request)] { return run_find(request); },
                   std::move(done));
}

bool postgres_store::connected() {
    if (connection_.open()) {
        return true;
    }
    const auto now = std::chrono::steady_clock::now();
    if (now < next_attempt_) {
        return false;
    }
    std::string why;
    bool ok = connection_.connect(why);
    if (ok && on_change_ && !settings_.channel.empty()) {
        // Changes made while there was no connection are not heard: LISTEN hears from now on.
        auto listen = connection_.run({"LISTEN " + connection_.quote(settings_.channel), {}});
        if (listen.status != store_status::ok) {
            ok = false;
            why = "LISTEN: " + listen.error;
            connection_.close();
        }
    }
    if (!ok) {
        backoff_ = backoff_.count() == 0 ? first_backoff : std::min(backoff_ * 2, max_backoff);
        next_attempt_ = now + backoff_;
        if (!reported_down_) {
            log::warn("postgres store: cannot connect: {} (trying again, at most {} ms apart)", why,
                      max_backoff.count());
            reported_down_ = true;
        }
        return false;
    }
    if (reported_down_) {
        log::info("postgres store: connected again");
    }
    reported_down_ = false;
    backoff_ = std::chrono::milliseconds(0);
    return true;
}

void postgres_store::connection_lost(const std::string& why) {
    if (!reported_down_) {
        log::warn("postgres store: the connection was lost: {}", why);
        reported_down_ = true;
    }
}

find_result postgres_store::run_find(const find_request& request) {
    std::vector<std::string> parts;
    if (auto problem = postgres_sql::split_table_name(request.collection, parts)) {
        return refused(store_status::failed, *problem);
    }
    // A connection that was open before this request may have been closed by a server that
    // restarted since: one more try on a new one.
    for (int attempt = 0; attempt < 2; ++attempt) {
        if (!connected()) {
            return refused(store_status::unavailable, not_available);
        }
        std::string table;
        for (const auto& part : parts) {
            const std::string quoted = connection_.quote(part);
            if (quoted.empty()) {
                return refused(store_status::failed,
                               "the collection name is not text in the database's encoding");
            }
            table += table.empty() ? "" : ".";
            table += quoted;
        }
        auto answer = connection_.run(postgres_sql::find(table, request.criteria, request.limit));
        if (answer.status == store_status::ok) {
            find_result out;
            out.truncated = answer.rows.size() > request.limit;
            if (out.truncated) {
                answer.rows.resize(request.limit);
            }
            out.documents = std::move(answer.rows);
            return out;
        }
        if (answer.status == store_status::failed) {
            return refused(store_status::failed, answer.error);
        }
        if (!answer.retry) {
            // Timed out: the connection may still be good (statement_timeout) or was given up.
            return refused(store_status::unavailable,
                           "the document store did not answer within " +
                               std::to_string(settings_.timeout.count()) + " ms");
        }
        connection_lost(answer.error);
    }
    return refused(store_status::unavailable, not_available);
}

void postgres_store::idle() {
    if (!on_change_ || settings_.channel.empty()) {
        // Nothing to hear, but a goodbye from a server that shuts down is read now, so that the
        // next request connects anew instead of failing on a dead connection.
        if (connection_.open() && !connection_.poll()) {
            connection_lost("the server closed the connection");
        }
        return;
    }
    if (!connected()) {
        return;
    }
    if (!connection_.poll()) {
        connection_lost("the server closed the connection");
        return;
    }
    connection_.take_notifications([this](std::string_view channel, std::string_view payload) {
        if (channel == settings_.channel) {
            take(payload);
        }
    });
    publish_pending();
    if (dropped_changes_ > 0) {
        log::warn("postgres store: {} changes dropped: more than {} were waiting", dropped_changes_,
                  max_pending_changes);
        dropped_changes_ = 0;
    }
}

void postgres_store::take(std::string_view payload) {
    auto change = read_table_change(payload);
    if (!change) {
        log::debug("postgres store: a notification that is not Herald's trigger's: {}",
                   payload.substr(0, 200));
        return;
    }
    std::string key = collection_of(*change);
    key += '\0';
    key += change->id;
    const bool removed = change->op == table_change::operation::remove;
    auto found = pending_.find(key);
    if (found == pending_.end()) {
        if (pending_.size() >= max_pending_changes) {
            ++dropped_changes_;
            return;
        }
        std::string event = removed                                         ? "destroyed"
                            : change->op == table_change::operation::insert ? "created"
                                                                            : "updated";
        pending_order_.push_back(key);
        pending_.emplace(std::move(key), pending_change{std::move(*change), std::move(event)});
        return;
    }
    // A row that changes again before it is published is published once, as it is then: still
    // created if it was new, destroyed if it is gone, updated if it came back.
    auto& pending = found->second;
    if (removed) {
        pending.event = "destroyed";
    } else if (pending.event == "destroyed") {
        pending.event = "updated";
    }
    pending.change = std::move(*change);
}

void postgres_store::publish_pending() {
    for (std::size_t n = 0; n < changes_per_poll && !pending_order_.empty(); ++n) {
        auto found = pending_.find(pending_order_.front());
        auto& [change, event] = found->second;
        document_change out{collection_of(change), event, change.id, {}};
        if (event == "destroyed") {
            out.record = !change.old_record.empty()
                             ? change.old_record
                             : "{\"id\":" + json_text::quote(change.id) + "}";
        } else {
            if (!connected()) {
                return; // kept for after the reconnection
            }
            auto answer = connection_.run(postgres_sql::fetch(
                connection_.quote(change.schema) + "." + connection_.quote(change.table),
                change.id));
            if (answer.status == store_status::unavailable) {
                connection_lost(answer.error);
                return;
            }
            if (answer.status == store_status::failed) {
                log::warn("postgres store: cannot read the changed row {} of {}: {}", change.id,
                          out.collection, answer.error);
            }
            if (answer.rows.empty()) {
                // Gone since (its delete is on its way) or unreadable: nothing to publish.
                pending_.erase(found);
                pending_order_.pop_front();
                continue;
            }
            out.record = std::move(answer.rows.front());
        }
        pending_.erase(found);
        pending_order_.pop_front();
        on_change_(std::move(out));
    }
}

store_made make_postgres_store(const store_options& options) {
    std::string problem;
    postgres_settings settings;
    settings.url = store_option_text(options, "url", "", problem);
    settings.channel = store_option_text(options, "listen", settings.channel, problem);
    for (const auto& o : options) {
        if (o.key == "timeout_ms") {
            const auto* ms = std::get_if<std::int64_t>(&o.value);
            if (ms == nullptr || *ms < 1 || *ms > 600000) {
                return {nullptr, "timeout_ms: must be a whole number of milliseconds, 1 to 600000"};
            }
            settings.timeout = std::chrono::milliseconds(*ms);
        } else if (o.key != "url" && o.key != "listen") {
            return {nullptr,
                    o.key + ": unknown key (a postgres store takes url, listen, timeout_ms)"};
        }
    }
    if (!problem.empty()) {
        return {nullptr, problem};
    }
    if (settings.url.empty()) {
        return {nullptr, "url: required (a libpq conninfo or a postgresql:// URI)"};
    }
    char* error = nullptr;
    PQconninfoOption* parsed = PQconninfoParse(settings.url.c_str(), &error);
    if (parsed == nullptr) {
        std::string why = error ? error : "not a conninfo string or a postgresql:// URI";
        PQfreemem(error);
        while (!why.empty() && why.back() == '\n') {
            why.pop_back();
        }
        return {nullptr, "url: " + why};
    }
    PQconninfoFree(parsed);
    if (settings.channel.size() > postgres_sql::max_identifier_bytes) {
        return {nullptr, "listen: a channel name is at most 63 bytes"};
    }
    return {std::make_unique<postgres_store>(std::move(settings)), {}};
}

} // namespace herald
