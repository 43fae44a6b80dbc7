#include "auth/jose_header.hpp"

#include <simdjson.h>

namespace herald {

namespace {

bool is_jwt_ignoring_case(std::string_view typ) {
    return typ.size() == 3 && (typ[0] | 0x20) == 'j' && (typ[1] | 0x20) == 'w' &&
           (typ[2] | 0x20) == 't';
}

} // namespace

boost::system::result<jose_header, jwt_error> parse_jose_header(std::string_view json) {
    simdjson::dom::parser parser;
    simdjson::dom::object object;
    if (parser.parse(json.data(), json.size()).get(object) != simdjson::SUCCESS) {
        return jwt_error::malformed;
    }
    std::string_view alg;
    if (object["alg"].get(alg) != simdjson::SUCCESS) {
        return jwt_error::malformed;
    }
    // libjwt refuses any other "typ" after the fact; saying so here keeps that from being
    // reported as a bad signature.
    if (simdjson::dom::element typ; object["typ"].get(typ) == simdjson::SUCCESS) {
        std::string_view text;
        if (typ.get(text) != simdjson::SUCCESS || !is_jwt_ignoring_case(text)) {
            return jwt_error::malformed;
        }
    }
    // RFC 7515 §4.1.11: extensions listed in "crit" must be understood; we understand none.
    if (object["crit"].error() != simdjson::NO_SUCH_FIELD) {
        return jwt_error::malformed;
    }
    // Exact names: libjwt itself would also take "hs256" or "NONE".
    if (alg == "HS256") {
        return jose_header{jose_algorithm::hs256};
    }
    if (alg == "RS256") {
        return jose_header{jose_algorithm::rs256};
    }
    if (alg == "ES256") {
        return jose_header{jose_algorithm::es256};
    }
    return jwt_error::unsupported_algorithm;
}

} // namespace herald
