#include "auth/exchange_policies.hpp"

namespace herald {

std::optional<exchange_access> exchange_policies::access_of(std::string_view exchange) const {
    if (exchange.empty()) {
        return std::nullopt; // nothing can be published to it
    }
    if (auto it = declared_.find(exchange); it != declared_.end()) {
        return it->second;
    }
    for (const auto& name : reserved_) {
        if (name == exchange) {
            return exchange_access::closed;
        }
    }
    if (declared_.empty()) {
        return exchange_access::open;
    }
    if (auto it = declared_.find("*"); it != declared_.end()) {
        return it->second;
    }
    return std::nullopt;
}

} // namespace herald
