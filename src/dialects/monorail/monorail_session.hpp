#pragma once

#include "dialects/monorail/monorail_protocol.hpp"
#include "session/dialect.hpp"
#include "session/session_core.hpp"
#include "stores/resource_catalog.hpp"

#include <string>

namespace herald::monorail {

// Labels of herald_actions_total{dialect="monorail"}, in this order.
enum class action_label : std::size_t { init, query, all, get, watch, stop, unknown, invalid };

} // namespace herald::monorail

namespace herald {

// A session on a MonoRail endpoint: one resource per connection (the path's last segment, or
// the message's own), documents read from the resource's store or back end, and watches that
// are subscriptions to the broker's exchanges. Every reply is one message; no request is
// answered by silence. Lives on its shard's thread.
class monorail_session final : public dialect_session {
public:
    monorail_session(session_port& port, const session_env& env, const upgrade_request& request,
                     const resource_catalog& resources);

    void on_open() override {}
    void on_message(std::string_view payload, bool binary) override;
    session_core* core() override { return &core_; }

private:
    void read_from_store(const monorail::request& r, const resource& target);
    void read_from_backend(const monorail::request& r, const resource& target);
    // watch (on) or stop (off): the topic of the watch, subscribed or dropped.
    void watch(const monorail::request& r, const resource& target, bool on);
    void count(monorail::action_label label, bool ok);
    void refuse(std::string_view resource, std::string_view code, std::string_view message);

    session_port& port_;
    const session_env& env_;
    session_core core_;
    const resource_catalog& resources_;
    std::string path_resource_;
};

} // namespace herald
