// libFuzzer: the payload of a PostgreSQL notification on the store's channel (anyone who can
// connect may NOTIFY on it). Whatever it is, it is refused or read into a change whose old
// record, when there is one, is a JSON object again.
#include "must_be_json.hpp"
#include "stores/postgres/postgres_notification.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view payload(reinterpret_cast<const char*>(data), size);
    const auto change = herald::read_table_change(payload);
    if (!change) {
        return 0;
    }
    if (change->schema.empty() || change->table.empty()) {
        std::abort();
    }
    if (!change->old_record.empty()) {
        if (change->old_record.front() != '{') {
            std::abort();
        }
        must_be_json(change->old_record);
    }
    return 0;
}
