#include "auth/jwt_claims.hpp"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <simdjson.h>

namespace herald {

using std::chrono::system_clock;

// Held by pointer: the object points into the parser, which must therefore never move.
struct jwt_claims::document {
    simdjson::dom::parser parser;
    simdjson::dom::object object;
};

namespace {

// The registered claims this gateway reads; everything else is ignored.
struct claim_elements {
    std::optional<simdjson::dom::element> exp;
    std::optional<simdjson::dom::element> nbf;
    std::optional<simdjson::dom::element> sub;
    std::optional<simdjson::dom::element> channels;
    std::optional<simdjson::dom::element> register_as;
};

// One pass over the members, the later of two equal names replacing the earlier.
claim_elements find_claims(simdjson::dom::object claims) {
    claim_elements found;
    for (const simdjson::dom::key_value_pair member : claims) {
        if (member.key == "exp") {
            found.exp = member.value;
        } else if (member.key == "nbf") {
            found.nbf = member.value;
        } else if (member.key == "sub") {
            found.sub = member.value;
        } else if (member.key == "channels") {
            found.channels = member.value;
        } else if (member.key == "register_as") {
            found.register_as = member.value;
        }
    }
    return found;
}

// A NumericDate (seconds since the epoch, integer or not) as a time point. Clamped to what
// system_clock can hold so that absurd values ("exp": 1e300) cannot overflow.
std::optional<system_clock::time_point> numeric_date(simdjson::dom::element value) {
    using seconds_f = std::chrono::duration<double>;
    constexpr double limit =
        std::chrono::duration_cast<std::chrono::seconds>(system_clock::duration::max()).count() -
        1.0;
    double seconds = 0;
    std::int64_t as_int = 0;
    std::uint64_t as_uint = 0;
    if (value.get(as_int) == simdjson::SUCCESS) {
        seconds = static_cast<double>(as_int);
    } else if (value.get(as_uint) == simdjson::SUCCESS) {
        seconds = static_cast<double>(as_uint);
    } else if (value.get(seconds) != simdjson::SUCCESS) {
        return std::nullopt;
    }
    if (seconds > limit) {
        seconds = limit;
    } else if (seconds < -limit) {
        seconds = -limit;
    }
    return system_clock::time_point(
        std::chrono::duration_cast<system_clock::duration>(seconds_f(seconds)));
}

// Anything but an array of strings grants nothing rather than failing the token: a grant that
// is not understood must not widen access, and the rest of the token is still valid.
std::vector<std::string> granted_channels(std::optional<simdjson::dom::element> claim) {
    std::vector<std::string> channels;
    simdjson::dom::array entries;
    if (!claim || claim->get(entries) != simdjson::SUCCESS) {
        return channels;
    }
    for (const simdjson::dom::element entry : entries) {
        if (std::string_view text; entry.get(text) == simdjson::SUCCESS) {
            channels.emplace_back(text);
        }
    }
    return channels;
}

// "register_as": a name, or an array of names and {"identity","lifetime","max_connections",
// "acknowledge"}
// objects. Entries that are not understood are left out, as grants are; at most 16 are read.
std::vector<registration> registrations(std::optional<simdjson::dom::element> claim) {
    std::vector<registration> out;
    if (!claim) {
        return out;
    }
    auto read = [&out](simdjson::dom::element entry) {
        registration r;
        std::string_view text;
        simdjson::dom::object object;
        if (entry.get(text) == simdjson::SUCCESS) {
            r.name = std::string(text);
        } else if (entry.get(object) == simdjson::SUCCESS &&
                   object["identity"].get(text) == simdjson::SUCCESS) {
            r.name = std::string(text);
            std::uint64_t number = 0;
            if (object["lifetime"].get(number) == simdjson::SUCCESS && number <= 0xffffffffu) {
                r.lifetime = static_cast<std::uint32_t>(number);
            }
            if (object["max_connections"].get(number) == simdjson::SUCCESS) {
                r.max_connections =
                    static_cast<std::uint32_t>(std::min<std::uint64_t>(number, 1000));
            }
            bool acknowledge = false;
            if (object["acknowledge"].get(acknowledge) == simdjson::SUCCESS) {
                r.acknowledge = acknowledge;
            }
        }
        if (!r.name.empty() && out.size() < 16) {
            out.push_back(std::move(r));
        }
    };
    if (simdjson::dom::array entries; claim->get(entries) == simdjson::SUCCESS) {
        for (const simdjson::dom::element entry : entries) {
            read(entry);
        }
    } else {
        read(*claim);
    }
    return out;
}

} // namespace

jwt_claims::jwt_claims(std::unique_ptr<const document> doc)
    : doc_(std::move(doc)) {}
jwt_claims::jwt_claims(jwt_claims&&) noexcept = default;
jwt_claims& jwt_claims::operator=(jwt_claims&&) noexcept = default;
jwt_claims::~jwt_claims() = default;

boost::system::result<jwt_claims, jwt_error> jwt_claims::parse(std::string_view json) {
    auto doc = std::make_unique<document>();
    if (doc->parser.parse(json.data(), json.size()).get(doc->object) != simdjson::SUCCESS) {
        return jwt_error::malformed;
    }
    return jwt_claims(std::move(doc));
}

boost::system::result<identity, jwt_error> jwt_claims::validate(system_clock::time_point now,
                                                                std::chrono::seconds leeway) const {
    const claim_elements claims = find_claims(doc_->object);
    identity who;
    if (claims.exp) {
        const auto exp = numeric_date(*claims.exp);
        if (!exp) {
            return jwt_error::malformed;
        }
        if (*exp <= now - leeway) {
            return jwt_error::expired;
        }
        who.expires_at = exp;
    }
    if (claims.nbf) {
        const auto nbf = numeric_date(*claims.nbf);
        if (!nbf) {
            return jwt_error::malformed;
        }
        if (*nbf > now + leeway) {
            return jwt_error::not_yet_valid;
        }
    }
    std::string_view subject;
    if (!claims.sub || claims.sub->get(subject) != simdjson::SUCCESS || subject.empty()) {
        return jwt_error::missing_subject;
    }
    who.subject = std::string(subject);
    who.channels = granted_channels(claims.channels);
    who.registrations = registrations(claims.register_as);
    return who;
}

} // namespace herald
