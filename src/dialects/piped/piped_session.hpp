#pragma once

#include "dialects/piped/piped_protocol.hpp"
#include "session/dialect.hpp"
#include "session/session_core.hpp"

#include <string>

namespace herald::piped {

// The exchange that carries events addressed to a token (routing key: the token).
inline constexpr std::string_view events_exchange = "piped";

// Labels of herald_actions_total{dialect="piped"}, in this order.
enum class action_label : std::size_t { method, ping, acknowledge, invalid };

// A method the node answers, as `ping`: it acknowledges kept mail
// (docs/backend.md#acknowledgements), {"method":"herald:acknowledge","payload":{"mail":[ids]}},
// and its result's payload is {"mail":[removed…],"unknown":[the rest…]}. A name with a colon,
// which Piped applications' methods (kebab-case, such as get-article) do not use.
inline constexpr std::string_view acknowledge_method = "herald:acknowledge";
// The error message of an acknowledgement without usable ids.
inline constexpr std::string_view acknowledge_needs =
    "herald:acknowledge needs payload.mail: 1 to 100 mail ids, each a string of 1 to 64 bytes";

} // namespace herald::piped

namespace herald {

// A session on a Piped endpoint: the token's events arrive through a subscription to
// (piped, token); `ping` and `herald:acknowledge` are answered here; every other method goes to
// the back end and its answer comes back as a result. Lives on its shard's thread.
class piped_session final : public dialect_session {
public:
    piped_session(session_port& port, const session_env& env, const upgrade_request& request);

    void on_open() override;
    void on_message(std::string_view payload, bool binary) override;
    void on_end() override { core_.leave(); }
    session_core* core() override { return &core_; }

private:
    void call_backend(piped::method_call call);
    bool acknowledge(piped::method_call call);
    void send(const std::string& json) { port_.send_text(json); }

    session_port& port_;
    const session_env& env_;
    session_core core_;
    std::string token_;
};

} // namespace herald
