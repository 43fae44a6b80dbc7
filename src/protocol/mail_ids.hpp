#pragma once
// The ids of kept mail as every dialect's clients see and acknowledge them
// (docs/backend.md#acknowledgements): the id an event carries, the list a client sends, and
// the split of that list into what was removed and what was not. Pure text; no sockets.

#include <optional>
#include <simdjson.h>
#include <string>
#include <string_view>
#include <vector>

namespace herald::mail_ids {

// A client's list of ids: 1 to addressing::max_acknowledged_ids strings of 1 to
// addressing::max_mail_id_bytes bytes each. False (and `out` partly filled) for anything else.
bool read(simdjson::dom::element list, std::vector<std::string>& out);

// The list in the member "mail" of a JSON object's text, as read() reads it; nullopt when the
// text is no object, has no such member, or it is not such a list.
std::optional<std::vector<std::string>> read_member(std::string_view object_json);

// The id of kept mail, which address_router puts in an event's extra members as "mail":"<id>"
// ("\"k\":v,…", as event_view::extra); nullopt when there is none or it is not a string.
std::optional<std::string> of_extra(std::string_view extra);

// "mail":[removed…],"unknown":[the rest…]: the ids asked, each in the order sent, split by
// whether the store removed it. Members, to go inside the dialect's own object.
std::string acknowledged_members(const std::vector<std::string>& asked,
                                 const std::vector<std::string>& removed);

} // namespace herald::mail_ids
