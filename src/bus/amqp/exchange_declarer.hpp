#pragma once

#include "bus/amqp/amqp_connection.hpp"
#include "bus/backoff.hpp"
#include "bus/bus_settings.hpp"

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace herald {

// Declares exchanges as the bus settings describe them (Myxi's way by default: direct, not
// durable, not auto-deleted; a passive declare when `declare = false`): every configured one on
// each new connection, as Myxi did at start, and any other when the node first needs it (a
// bind, a publish), and again on every new connection. Remembers the ones the
// broker refused, with why, and asks again with backoff: the bus is not ready while any is
// refused. One log line when an exchange is refused (or refused for another reason), one when
// it is accepted again; none per retry.
//
// Lives on the I/O thread.
class exchange_declarer {
public:
    using clock = std::chrono::steady_clock;
    explicit exchange_declarer(const bus_settings& settings);

    // A new connection, on which nothing is declared yet: declares again every exchange the
    // node has used.
    void new_connection(amqp_connection& connection, clock::time_point now);
    // Empty when `name` is declared on this connection (declaring it now if needed); else why
    // not, naming the exchange. A refused exchange is asked for again only by retry().
    std::string ensure(amqp_connection& connection, const std::string& name, clock::time_point now);
    // The broker refused something else about `name` (a bind): treat it as refused.
    void refuse(const std::string& name, std::string why, clock::time_point now);
    // The node removed its last binding to `name`. An auto-delete exchange may be gone now, so
    // it is declared again before its next use.
    void unbound_all(const std::string& name);
    // Asks again for the refused exchanges once their backoff is over.
    void retry(amqp_connection& connection, clock::time_point now);

    bool healthy() const { return refused_.empty(); }
    // Why the first refused exchange is refused; empty when healthy.
    std::string refusal() const;
    std::optional<clock::time_point> next_retry() const;

private:
    // Empty when the broker took the declaration; else why not.
    std::string declare(amqp_connection& connection, const std::string& name);
    void note_refused(const std::string& name, std::string why, clock::time_point now);
    void note_accepted(const std::string& name);

    bus_settings settings_;
    std::set<std::string, std::less<>> declared_;             // on this connection
    std::set<std::string, std::less<>> known_;                // used on any connection
    std::map<std::string, std::string, std::less<>> refused_; // name → why
    std::map<std::string, std::string, std::less<>> logged_;  // what the log last said
    backoff backoff_;
    clock::time_point next_retry_{};
};

} // namespace herald
