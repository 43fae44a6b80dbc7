#pragma once

#include "session/dialect.hpp"

namespace herald {

// MonoRail (RackHD on-wss): {"handler":…} messages on a connection per resource; documents
// from stores or the back end; watches of RackHD's topic exchanges.
class monorail_dialect final : public dialect {
public:
    std::string_view name() const override { return "monorail"; }
    std::span<const std::string_view> action_names() const override;
    std::optional<std::string> option_problem(const dialect_option&) const override;
    void configure(const node_settings& node) override;
    std::unique_ptr<dialect_session> open(session_port& port, const session_env& env,
                                          const upgrade_request& request) const override;
    shared_frame render(const event_view& e) const override;

private:
    const resource_catalog* resources_ = nullptr; // the node's, from configure()
};

} // namespace herald
