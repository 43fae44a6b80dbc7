#pragma once
// The one contract between Herald and an application back end, whatever carries it (HTTP or a
// broker): a JSON request with a common envelope and the kind's own members, and a JSON
// answer. docs/backend.md shows every kind with examples. Pure text in and out, fuzzed.

#include <boost/system/result.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herald {

// How a request to the back end ended, as the asking session sees it.
enum class backend_status {
    answered,    // the back end answered; the body is its JSON
    timeout,     // no answer within [backend] timeout_ms
    unavailable, // the back end could not be reached, or answered with an HTTP error
    overloaded,  // too many requests pending (per node or per session): not sent
    bad_answer,  // an answer that is not the contract's JSON, or too large
};
std::string_view to_string(backend_status s);

struct backend_reply {
    backend_status status = backend_status::answered;
    std::string body; // answered: the back end's JSON; otherwise why, for the log
};

// The members every request carries, before the kind's own.
struct backend_envelope {
    std::string_view kind; // connect, authenticate, subscribe, action, touch, lifecycle, method
    std::uint16_t node = 0;
    std::uint64_t session = 0; // 0: none yet (connect)
    std::string_view endpoint; // the endpoint's configured path
    std::string_view dialect;
    std::string_view remote_address;
    std::string_view identity_json = "null"; // {"subject":…,"grants":[…]} or null
};

// {"kind":…,"node":…,"session":"<16 hex>",…,"identity":…<members>}; `members` is
// ",\"k\":v…" (or empty), already JSON.
std::string render_backend_request(const backend_envelope& envelope, std::string_view members);
// {"subject":S,"grants":[…]}
std::string render_identity(std::string_view subject, const std::vector<std::string>& grants);

// Something the back end tells Herald to do to the session that asked.
struct backend_command {
    enum class kind { subscribe, unsubscribe, set_identity, register_as, send, disconnect };
    kind what = kind::send;
    std::string exchange;                   // subscribe, unsubscribe
    std::optional<std::string> routing_key; // subscribe (required), unsubscribe (all if absent)
    std::string subject;                    // set_identity, register_as: the identity
    std::uint32_t lifetime = 0;             // register_as: seconds (0: the default)
    std::uint32_t max_connections = 0;      // register_as (0: the default)
    bool acknowledge = false;               // register_as: keep mail until acknowledged
    std::vector<std::string> grants;        // set_identity
    std::string event;                      // send
    std::string payload = "{}";             // send: JSON text
    std::uint16_t code = 4000;              // disconnect: the close code (4000–4999)
    std::string reason;                     // disconnect
};

// touch: a delegated subscription the back end no longer allows.
struct backend_revocation {
    std::uint64_t session = 0;
    std::string exchange;
    std::string routing_key;
};

// An answer, for every kind: each kind reads the members it needs.
struct backend_answer {
    std::optional<bool> allow;           // connect, authenticate, subscribe
    std::optional<std::string> identity; // connect, authenticate: the subject
    std::vector<std::string> grants;     // with identity: "exchange:routing-key" patterns
    std::optional<std::string> reason;   // a refusal's reason, shown to the client
    std::optional<std::string> error;    // the back end failed: BackendError for the client
    std::optional<std::string> event;    // action: the event name of the reply
    std::optional<std::string> payload;  // action, method: JSON text of the result
    std::vector<backend_command> commands;
    std::vector<backend_revocation> revoke; // touch
};

// Bounds on an answer's lists, so a confused back end cannot make one answer expensive.
inline constexpr std::size_t max_backend_commands = 64;
inline constexpr std::size_t max_backend_grants = 1024;
inline constexpr std::size_t max_backend_revocations = 100000;

// The answer, or why it breaks the contract (one readable line for the log).
boost::system::result<backend_answer, std::string> parse_backend_answer(std::string_view json);

} // namespace herald
