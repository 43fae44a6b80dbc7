#pragma once

#include <cstdint>
#include <map>
#include <vector>

namespace herald {

// Publisher confirms on one channel: after confirm.select the broker numbers the channel's
// publishes 1, 2, 3 … and answers each number with basic.ack or basic.nack, possibly many at
// once ("multiple": every number up to this one). This maps those numbers back to the bus's
// publish ids.
//
// Lives on the I/O thread; reset with each new channel, whose numbering starts again at 1.
class confirm_tracker {
public:
    void reset();
    // The next basic.publish on the channel is for `publish_id` (0: nobody waits for it).
    void sent(std::uint64_t publish_id);
    // basic.ack or basic.nack: appends the ids it answers.
    void answered(std::uint64_t delivery_tag, bool multiple, std::vector<std::uint64_t>& ids);
    // Every id still waiting (the channel or connection is gone), removed.
    std::vector<std::uint64_t> take_all();

private:
    std::uint64_t last_tag_ = 0;
    std::map<std::uint64_t, std::uint64_t> waiting_; // delivery tag → publish id
};

} // namespace herald
