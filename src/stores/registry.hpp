#pragma once
// The kinds of document store, by the name a [stores.<name>] table gives as `kind`. One line
// per kind in registry.cpp; each kind lives in its own folder.

#include "stores/document_store.hpp"
#include "util/setting.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace herald {

// The keys of a [stores.<name>] table other than `kind`, in the order the configuration lists
// them.
using store_option = setting;
using store_options = settings;

// A store made from its options, or why not (worded for the start-up error line, naming the
// key: "url: must be a string"). Made at start; nothing connects before start().
struct store_made {
    std::unique_ptr<document_store> store;
    std::string problem;
};
store_made make_document_store(std::string_view kind, const store_options& options);

// "\"sqlite\", \"postgres\", …" for error messages.
std::string document_store_kinds();

// The string value of `key`, `fallback` when absent; `problem` is set when it is not a string.
std::string store_option_text(const store_options& options, std::string_view key,
                              std::string_view fallback, std::string& problem);

} // namespace herald
