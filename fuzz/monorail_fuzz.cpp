// libFuzzer: a MonoRail client's message, its params as query criteria, and the same bytes as a
// routing key and body from RackHD's exchanges. Whatever they are, each parses or is refused,
// and everything rendered from them is JSON.
#include "dialects/monorail/monorail_protocol.hpp"
#include "must_be_json.hpp"
#include "stores/criteria.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace mr = herald::monorail;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto read = mr::read_request(text);
    if (read.ok) {
        const auto& r = *read.ok;
        const auto criteria = herald::read_criteria(r.params);
        if (criteria.problem) {
            must_be_json(mr::error(r.resource, "invalid_params", *criteria.problem));
        } else {
            for (const auto& c : criteria.criteria) {
                must_be_json(c.value); // each value is JSON a store can bind
                for (const auto& part : c.path) {
                    if (part.empty() || part.find('"') != std::string::npos) {
                        std::abort();
                    }
                }
            }
        }
        must_be_json(mr::removed(r.resource, r.params));
        must_be_json(mr::session(r.name));
    } else {
        must_be_json(mr::error(mr::resource_of_path(text), read.why.error, read.why.detail));
    }
    if (const auto record = mr::record_of(text)) {
        must_be_json(*record);
        if (const auto change = mr::change("nodes", "nodes.created.x", *record)) {
            must_be_json(*change);
        }
    }
    must_be_json(mr::mq_item(text, text));
    if (const auto change = mr::change("nodes", text, "{}")) { // resources come from the config
        must_be_json(*change);
    }
    return 0;
}
