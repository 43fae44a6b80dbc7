#pragma once

#include "app/config.hpp"

#include <string>
#include <toml++/toml.h>

namespace herald {

// [sockjs]: heartbeats, session timeout, stream length and the session bound.
void apply_sockjs(config& into, const toml::table& t);
// An endpoint's `sockjs` key: true (the prefix /__sockjs__), false, or the prefix itself.
std::string sockjs_prefix_of(const toml::node& value, const std::string& key);
// Every SockJS prefix is unique and no endpoint's path lies under one; credentials are not
// taken over SockJS yet.
void validate_sockjs(const config& c);

} // namespace herald
