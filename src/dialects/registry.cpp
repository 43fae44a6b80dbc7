#include "dialects/registry.hpp"

#include "dialects/datadealer/datadealer_dialect.hpp"
#include "dialects/echo/echo_dialect.hpp"
#include "dialects/myxi/myxi_dialect.hpp"
#include "dialects/piped/piped_dialect.hpp"
#include "dialects/plezi/plezi_dialect.hpp"

#include <array>

namespace herald {
namespace {

const myxi_dialect myxi;
const echo_dialect echo;
const piped_dialect piped;
const datadealer_dialect datadealer;
const plezi_dialect plezi;

// One line per dialect. The order is the dialects' ids; append, never reorder mid-release.
constexpr std::array<const dialect*, 5> all = {&myxi, &echo, &piped, &datadealer, &plezi};
static_assert(all.size() <= max_dialects, "raise max_dialects in pubsub/topic.hpp");

} // namespace

std::span<const dialect* const> dialects() {
    return all;
}

std::optional<dialect_id> find_dialect(std::string_view name) {
    for (std::size_t i = 0; i < all.size(); ++i) {
        if (all[i]->name() == name) {
            return static_cast<dialect_id>(i);
        }
    }
    return std::nullopt;
}

std::string dialect_names() {
    std::string names;
    for (const auto* d : all) {
        names += names.empty() ? "\"" : ", \"";
        names += d->name();
        names += '"';
    }
    return names;
}

} // namespace herald
