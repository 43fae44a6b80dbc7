#pragma once

#include "auth/exchange_policies.hpp"
#include "backend/backend.hpp"
#include "shard/session_id_maker.hpp"
#include "util/net.hpp"

#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <memory>
#include <vector>

namespace herald {

class shard;

// Myxi's touch_interval, node-wide: every interval, the subscriptions the back end decided on
// (exchanges with access "backend"), from every shard, go to the back end together: one
// request per round, or a few of at most max_subscriptions_per_touch each. Those it revokes
// are taken from their sessions, whose clients are told (Myxi: Unsubscribed with auto: true).
// A round starts `interval` after the previous one has ended, so rounds never overlap.
// Its state lives on the first shard's thread; each shard gathers its own part on its thread.
// stop() before the shards stop; destroy after they have stopped and before they are
// destroyed (the timer is on the first shard).
class touch_rounds {
public:
    static constexpr std::size_t max_subscriptions_per_touch = 10000;

    touch_rounds(std::vector<shard*> shards, backend& application,
                 const exchange_policies& exchanges, const session_id_maker& ids,
                 std::chrono::seconds interval);
    ~touch_rounds();
    touch_rounds(const touch_rounds&) = delete;
    touch_rounds& operator=(const touch_rounds&) = delete;

    void start(); // any thread
    void stop();  // any thread; a round in progress is abandoned

    struct state;

private:
    net::steady_timer timer_;
    std::shared_ptr<state> state_; // shared with the handlers of a round in progress
};

} // namespace herald
