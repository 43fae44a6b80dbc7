#pragma once

#include "dialects/plezi/plezi_options.hpp"
#include "dialects/plezi/plezi_protocol.hpp"
#include "session/dialect.hpp"
#include "session/session_core.hpp"

#include <string>

namespace herald::plezi {

// Labels of herald_actions_total{dialect="plezi"}, in this order.
enum class action_label : std::size_t { event, message, unknown, acknowledge, invalid };

// The close codes of the auto-dispatch mode (docs/protocol.md#the-plezi-dialect).
inline constexpr auto unsupported_data = static_cast<ws::close_code>(1003); // a binary message
inline constexpr auto unreadable = ws::close_code::invalid_payload;         // 1007: bad JSON
inline constexpr auto unknown_event =
    ws::close_code::policy_violation; // 1008: unknown_event="close"

} // namespace herald::plezi

namespace herald {

// A session on a Plezi endpoint: Plezi's callbacks (on_open, on_message, on_close,
// on_shutdown) and auto-dispatched events become back-end requests; what the back end answers
// is written to the client, and it writes later by addressing the session. _ack_mail_, in
// either mode, acknowledges kept mail and never reaches the back end. Lives on its shard's
// thread.
class plezi_session final : public dialect_session {
public:
    plezi_session(session_port& port, const session_env& env, const upgrade_request& request,
                  plezi::options settings);

    void on_open() override;
    void on_message(std::string_view payload, bool binary) override;
    void on_shutdown() override;
    void on_end() override;
    session_core* core() override { return &core_; }

private:
    void raw_message(std::string_view payload, bool binary);
    bool raw_acknowledgement(std::string_view text);
    void acknowledge(const plezi::client_event& e);
    void dispatch(std::string_view text);
    void ask_event(plezi::client_event e);
    void unknown(const std::string& message_json);
    // A back end's answer to a callback or event: its payload written, then its commands.
    void take_answer(backend_answer& answer);
    // A callback whose answer is not awaited (the session is ending).
    void tell(std::string_view kind);

    session_port& port_;
    const session_env& env_;
    session_core core_;
    plezi::options settings_;
    std::string path_;
    std::string query_;
};

} // namespace herald
