#pragma once
// A MongoDB document as the JSON text a client gets: libbson's relaxed Extended JSON (an
// ObjectId reads {"$oid":"…"}, a date {"$date":"…"}), without the spaces libbson puts in, as
// the other stores answer. Pure, so it is unit-tested without a server.

#include <bson/bson.h>
#include <optional>
#include <string>

namespace herald {

// Nothing when libbson cannot give the document as JSON (a string that is not UTF-8).
std::optional<std::string> mongodb_document_json(const bson_t& document);

} // namespace herald
