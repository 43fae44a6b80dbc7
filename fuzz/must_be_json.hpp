#pragma once
// For fuzz targets: what a renderer produced must parse as JSON again, or the run stops.

#include <cstdlib>
#include <simdjson.h>
#include <string>

inline void must_be_json(const std::string& text) {
    thread_local simdjson::dom::parser parser;
    if (parser.parse(text).error() != simdjson::SUCCESS) {
        std::abort();
    }
}
