#include "session/backend_outcome.hpp"

#include "util/log.hpp"
#include "util/log_limiter.hpp"

namespace herald {
namespace {

log_limiter broken_answers;

} // namespace

backend_outcome read_backend_reply(backend_reply reply, std::string_view request_kind) {
    backend_outcome out;
    switch (reply.status) {
    case backend_status::answered: {
        auto parsed = parse_backend_answer(reply.body);
        if (!parsed) {
            if (broken_answers.allow()) {
                log::warn("back end: an answer to a {} request breaks the contract ({}); {} so far",
                          request_kind, parsed.error(), broken_answers.occurrences());
            }
            out.detail = "the back end's answer was not understood";
            return out;
        }
        if (parsed->error) {
            out.detail = *parsed->error; // the back end's own words, meant for the client
            return out;
        }
        out.what = backend_outcome::kind::answered;
        out.answer = std::move(*parsed);
        return out;
    }
    case backend_status::timeout:
        out.what = backend_outcome::kind::timeout;
        return out;
    case backend_status::unavailable:
        out.detail = "the back end is unavailable";
        return out;
    case backend_status::overloaded:
        out.detail = "too many requests are waiting for the back end";
        return out;
    case backend_status::bad_answer:
        out.detail = "the back end's answer was not understood";
        return out;
    }
    out.detail = "the back end failed";
    return out;
}

} // namespace herald
