#include "transport/touch_rounds.hpp"

#include "protocol/json_text.hpp"
#include "shard/shard.hpp"
#include "transport/dialect_host.hpp"
#include "util/log.hpp"
#include "util/log_limiter.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <fmt/format.h>
#include <unordered_map>

namespace herald {

struct touch_rounds::state : std::enable_shared_from_this<touch_rounds::state> {
    state(std::vector<shard*> all, backend& b, const exchange_policies& e,
          const session_id_maker& i, std::chrono::seconds every, net::steady_timer& t)
        : shards(std::move(all))
        , application(b)
        , exchanges(e)
        , ids(i)
        , interval(every)
        , timer(t) {}

    std::vector<shard*> shards;
    backend& application;
    const exchange_policies& exchanges;
    const session_id_maker& ids;
    std::chrono::seconds interval;
    // On the first shard, as everything below. Owned by touch_rounds, which outlives the
    // shard's thread; handlers that outlive it (held by other threads) never run again.
    net::steady_timer& timer;
    std::atomic<bool> stopped{false};
    log_limiter failures;

    std::uint64_t round = 0;
    std::size_t reports = 0;         // shards heard from this round
    std::vector<std::string> items;  // the round's subscriptions, as JSON objects
    std::size_t awaited_answers = 0; // requests of this round not answered yet

    void schedule();
    void begin_round();
    void receive(std::uint64_t of_round, std::vector<std::string> part);
    void send();
    void take_answer(backend_reply reply);
    void post_home(std::function<void()> work) {
        net::post(shards.front()->context(), [self = shared_from_this(), work = std::move(work)] {
            if (!self->stopped) {
                work();
            }
        });
    }
};

namespace {

using revocations = std::unordered_map<std::uint64_t, std::vector<topic>>;

// On the shard's thread: the shard's sessions that hold delegated subscriptions.
std::vector<std::string> gather(shard& s) {
    std::vector<std::string> items;
    s.for_each_connection([&](shard_connection& c) {
        auto* session = dynamic_cast<dialect_host*>(&c);
        session_core* core = session ? session->core() : nullptr;
        if (core == nullptr) {
            return;
        }
        const auto keys = core->delegated_topic_keys();
        if (keys.empty()) {
            return;
        }
        const std::string identity = core->identity_json();
        for (auto key : keys) {
            std::string item = fmt::format(R"({{"session":"{:016x}","identity":{},"exchange":)",
                                           session->session_id(), identity);
            json_text::append_string(item, exchange_of(key));
            item += R"(,"routing_key":)";
            json_text::append_string(item, routing_key_of(key));
            item += '}';
            items.push_back(std::move(item));
        }
    });
    return items;
}

// On the shard's thread: takes what the back end revoked from the sessions that still hold it.
void revoke_on(shard& s, const revocations& wanted) {
    std::vector<std::pair<std::shared_ptr<dialect_host>, const std::vector<topic>*>> found;
    s.for_each_connection([&](shard_connection& c) {
        auto* session = dynamic_cast<dialect_host*>(&c);
        if (session) {
            if (auto it = wanted.find(session->session_id()); it != wanted.end()) {
                found.emplace_back(session->host_ref(), &it->second);
            }
        }
    });
    // After the walk: telling a client may end its session, which leaves the shard's list.
    for (const auto& [session, topics] : found) {
        session->revoke(*topics);
    }
}

} // namespace

void touch_rounds::state::schedule() {
    timer.expires_after(interval);
    timer.async_wait([self = shared_from_this()](error_code ec) {
        if (!ec && !self->stopped) {
            self->begin_round();
        }
    });
}

void touch_rounds::state::begin_round() {
    ++round;
    reports = 0;
    items.clear();
    for (shard* s : shards) {
        net::post(s->context(), [self = shared_from_this(), s, of_round = round] {
            auto part = gather(*s);
            self->post_home([self, of_round, part = std::move(part)]() mutable {
                self->receive(of_round, std::move(part));
            });
        });
    }
}

void touch_rounds::state::receive(std::uint64_t of_round, std::vector<std::string> part) {
    if (of_round != round) {
        return;
    }
    items.insert(items.end(), std::make_move_iterator(part.begin()),
                 std::make_move_iterator(part.end()));
    if (++reports == shards.size()) {
        send();
    }
}

void touch_rounds::state::send() {
    if (items.empty()) {
        schedule();
        return;
    }
    for (std::size_t first = 0; first < items.size(); first += max_subscriptions_per_touch) {
        const std::size_t end = std::min(items.size(), first + max_subscriptions_per_touch);
        std::string body =
            fmt::format(R"({{"kind":"touch","node":{},"subscriptions":[)", ids.node_id());
        for (std::size_t i = first; i < end; ++i) {
            body += i > first ? "," : "";
            body += items[i];
        }
        body += "]}";
        ++awaited_answers;
        application.ask("touch", std::move(body), [self = shared_from_this()](backend_reply r) {
            self->post_home(
                [self, r = std::move(r)]() mutable { self->take_answer(std::move(r)); });
        });
    }
    items.clear();
}

void touch_rounds::state::take_answer(backend_reply reply) {
    std::string problem;
    if (reply.status != backend_status::answered) {
        problem = fmt::format("{}: {}", to_string(reply.status), reply.body);
    } else if (auto answer = parse_backend_answer(reply.body); !answer) {
        problem = "an answer that breaks the contract: " + answer.error();
    } else {
        // Only delegated subscriptions of this node's sessions can be revoked this way.
        std::vector<revocations> by_shard(shards.size());
        for (auto& r : answer->revoke) {
            const unsigned s = ids.shard_of(r.session);
            if (session_id_maker::node_of(r.session) == ids.node_id() && s < shards.size() &&
                exchanges.access_of(r.exchange) == exchange_access::backend) {
                by_shard[s][r.session].push_back({std::move(r.exchange), std::move(r.routing_key)});
            }
        }
        for (std::size_t s = 0; s < shards.size(); ++s) {
            if (!by_shard[s].empty()) {
                net::post(shards[s]->context(), [s = shards[s], wanted = std::move(by_shard[s])] {
                    revoke_on(*s, wanted);
                });
            }
        }
    }
    if (!problem.empty() && failures.allow()) {
        log::warn("back end: a re-check of delegated subscriptions failed, they are kept ({}); "
                  "{} so far",
                  problem, failures.occurrences());
    }
    if (--awaited_answers == 0) {
        schedule();
    }
}

touch_rounds::touch_rounds(std::vector<shard*> shards, backend& application,
                           const exchange_policies& exchanges, const session_id_maker& ids,
                           std::chrono::seconds interval)
    : timer_(shards.front()->context())
    , state_(std::make_shared<state>(std::move(shards), application, exchanges, ids, interval,
                                     timer_)) {}

touch_rounds::~touch_rounds() {
    state_->stopped = true;
}

void touch_rounds::start() {
    net::post(state_->shards.front()->context(), [s = state_] { s->schedule(); });
}

void touch_rounds::stop() {
    state_->stopped = true;
    net::post(state_->shards.front()->context(), [s = state_] { s->timer.cancel(); });
}

} // namespace herald
