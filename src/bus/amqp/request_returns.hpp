#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace herald {

// Parts of the texts a refused request is answered with, so that a caller can tell a request
// the broker returned (no queue of that name) from one it refused (nack: a full queue that
// rejects publishes).
inline constexpr std::string_view request_returned = "the broker returned the request";
inline constexpr std::string_view request_nacked = "the broker did not take the request (nack)";

// Requests are published with the mandatory flag: when no queue has the request's name, the
// broker sends basic.return with the message (its routing key, the queue, and its properties, so
// its correlation_id), and then its confirm, an ordinary basic.ack. A return carries no delivery
// tag, and the confirms of routed requests may come after it, so this remembers, for each
// request awaiting its confirm, the correlation id and queue, marks the one a return names, and
// tells its ack apart from a real success.
//
// Lives on the I/O thread, beside the confirm_tracker; reset with each new channel. It holds
// only requests not yet confirmed, and a broker confirms an unroutable one at once.
class request_returns {
public:
    void reset() { waiting_.clear(); }
    // A request went out for publish `publish_id` (not 0).
    void sent(std::uint64_t publish_id, std::string correlation_id, std::string queue);
    // basic.return of a request to `queue` with this correlation id: marks the oldest such
    // request not yet marked (a caller may reuse an id; the broker returns in publish order).
    void returned(std::string_view correlation_id, std::string_view queue);

    struct outcome {
        std::string queue;
        bool returned = false;
    };
    // The confirm of `publish_id` came: what became of it when it was a request (removed), or
    // nothing when it was an event.
    std::optional<outcome> confirmed(std::uint64_t publish_id);

    std::size_t size() const { return waiting_.size(); }

private:
    struct entry {
        std::string correlation_id;
        outcome result;
    };
    std::map<std::uint64_t, entry> waiting_; // by publish id, so oldest first
};

} // namespace herald
