#pragma once
// For the fuzz targets: what a parser's output renders must be JSON, or the run stops here.

#include <cstdlib>
#include <simdjson.h>
#include <string>

inline void must_be_json(const std::string& text) {
    thread_local simdjson::dom::parser parser;
    if (parser.parse(text).error() != simdjson::SUCCESS) {
        std::abort();
    }
}
