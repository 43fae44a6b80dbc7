#include "dialects/registry.hpp"

#include "dialects/datadealer/datadealer_dialect.hpp"
#include "dialects/echo/echo_dialect.hpp"
#include "dialects/monorail/monorail_dialect.hpp"
#include "dialects/myxi/myxi_dialect.hpp"
#include "dialects/piped/piped_dialect.hpp"
#include "dialects/plezi/plezi_dialect.hpp"

#include <algorithm>
#include <array>

namespace herald {
namespace {

// Not const: configure_dialects hands each one its node's settings at start.
myxi_dialect myxi;
echo_dialect echo;
piped_dialect piped;
datadealer_dialect datadealer;
plezi_dialect plezi;
monorail_dialect monorail;

// One line per dialect. The order is the dialects' ids; append, never reorder mid-release.
constexpr std::array<dialect*, 6> all = {&myxi, &echo, &piped, &datadealer, &plezi, &monorail};
static_assert(all.size() <= max_dialects, "raise max_dialects in pubsub/topic.hpp");

} // namespace

std::span<const dialect* const> dialects() {
    static const std::array<const dialect*, all.size()> shared = [] {
        std::array<const dialect*, all.size()> out{};
        std::copy(all.begin(), all.end(), out.begin());
        return out;
    }();
    return shared;
}

void configure_dialects(const node_settings& node) {
    for (auto* d : all) {
        d->configure(node);
    }
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
