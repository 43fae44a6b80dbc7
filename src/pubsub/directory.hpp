#pragma once
// Who is on a shard, for events addressed to sessions rather than to topics: every session,
// those of one endpoint, one session by its id, those of an identity.

#include "pubsub/topic.hpp"
#include "util/string_map.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace herald {

// What a session offers the directory: a way to take a frame of its dialect.
class addressee {
public:
    virtual void deliver(const shared_frame& frame) = 0;
    // Newer sessions of an identity it registered as took its place (max_connections): end.
    virtual void supersede() = 0;

protected:
    ~addressee() = default;
};

// Told when this shard's first session of an identity in a dialect comes or its last one leaves,
// so the node asks its bus for the identity's events only while someone here has it.
class directory_observer {
public:
    virtual void identity_wanted(std::string_view identity, dialect_id dialect) = 0;
    virtual void identity_unwanted(std::string_view identity, dialect_id dialect) = 0;
    // A session registered as the identity (each registration: it refreshes the identity's
    // lifetime), and a registered session left it (`last`: the shard's last one). The node
    // watches the identity's mailbox in between, and tells the other nodes of each.
    virtual void registered(std::string_view /*identity*/, std::uint64_t /*session*/,
                            std::chrono::seconds /*lifetime*/, std::uint32_t /*max_connections*/,
                            bool /*acknowledge*/) {}
    virtual void unregistered(std::string_view /*identity*/, std::uint64_t /*session*/,
                              bool /*last*/) {}

protected:
    ~directory_observer() = default;
};

// Where an addressed event goes, as the node resolved it from the wire (protocol/addressing.hpp):
// the endpoint by its index.
struct session_address {
    enum class kind : std::uint8_t { all, endpoint, session, identity };
    session_address::kind to = kind::all;
    std::uint32_t endpoint = 0;      // kind::endpoint
    std::vector<std::uint64_t> skip; // kind::endpoint: sorted session ids left out
    std::uint64_t session = 0;       // kind::session
    std::string identity;            // kind::identity
};

// The sessions of one shard by id, endpoint and identity.
// Lives on its shard's thread and is never touched from another thread.
class directory {
public:
    explicit directory(directory_observer* observer = nullptr)
        : observer_(observer) {}
    directory(const directory&) = delete;
    directory& operator=(const directory&) = delete;

    // A session opened (its id is unique: shard/session_id_maker.hpp); `who` must stay valid
    // until remove(id).
    void add(std::uint64_t id, std::uint32_t endpoint, dialect_id dialect, addressee& who);
    // The session ended: it leaves its identities too. Nothing when it was not here.
    void remove(std::uint64_t id);
    bool contains(std::uint64_t id) const { return sessions_.contains(id); }

    // Identities of a session (a token's subject, a name it registered as). False when the
    // session is not here or already has it.
    bool add_identity(std::uint64_t id, std::string_view identity);
    // Registers the session as the identity (adding it when the session lacks it): its
    // mailbox is watched while a registered session of it is here. False when the session is
    // not here.
    bool register_identity(std::uint64_t id, std::string_view identity,
                           std::chrono::seconds lifetime, std::uint32_t max_connections,
                           bool acknowledge = false);
    // What the node hears of registrations anywhere in the cluster, in the order the bus
    // brings them, for identities this shard has registered sessions of: the newest
    // `max_connections` (of the newest registration) stay, and the shard's sessions that fall
    // out are superseded. A departure leaves the order.
    void heard_registration(std::string_view identity, std::uint64_t session,
                            std::uint32_t max_connections);
    void heard_departure(std::string_view identity, std::uint64_t session);
    bool remove_identity(std::uint64_t id, std::string_view identity);
    // The session's identities, in the order they were added.
    std::span<const std::string> identities_of(std::uint64_t id) const;
    // The identities a session registered as (with a mailbox), in the order registered.
    std::span<const std::string> registered_as(std::uint64_t id) const;

    // Each returns how many sessions received a frame (those whose dialect has one).
    std::size_t deliver(const session_address& to, const rendered_event& event) const;
    std::size_t deliver_all(const rendered_event& event) const;
    // `skip`: sorted session ids left out.
    std::size_t deliver_endpoint(std::uint32_t endpoint, std::span<const std::uint64_t> skip,
                                 const rendered_event& event) const;
    std::size_t deliver_session(std::uint64_t id, const rendered_event& event) const;
    std::size_t deliver_identity(std::string_view identity, const rendered_event& event) const;

    std::size_t session_count() const { return sessions_.size(); }
    std::size_t identity_count() const { return identities_.size(); }

private:
    struct session {
        addressee* who;
        std::uint32_t endpoint;
        dialect_id dialect;
        // Null until the session has an identity: most sessions never do, and each one costs
        // every open session's memory.
        std::unique_ptr<std::vector<std::string>> identities;
        // Those of `identities` it registered as (mailboxes), in the same order of adding.
        std::unique_ptr<std::vector<std::string>> registered;
    };
    struct identity_sessions {
        std::vector<session*> sessions; // nodes of sessions_: stable while they live
        std::array<std::uint32_t, max_dialects> per_dialect{};
        std::uint32_t registered = 0; // sessions registered as it
        // While registered > 0: registrations heard cluster-wide, oldest first.
        std::vector<std::uint64_t> order;
    };

    void leave_identity(std::uint64_t id, session& s, std::string_view identity);
    static bool hand(const session& s, const rendered_event& event);

    std::unordered_map<std::uint64_t, session> sessions_;
    string_map<identity_sessions> identities_;
    directory_observer* observer_;
};

} // namespace herald
