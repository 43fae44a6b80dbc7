#include "bus/redis/reply_message.hpp"

#include <simdjson.h>

namespace herald {
namespace {

reply_correlation_result refuse(std::string_view why) {
    return {boost::system::in_place_error, why};
}

} // namespace

reply_correlation_result reply_correlation_id(std::string_view body) {
    // One parser per thread (the bus thread, a test): it keeps its buffers between messages.
    thread_local simdjson::dom::parser parser;
    const simdjson::padded_string padded(body);
    simdjson::dom::element root;
    if (parser.parse(padded).get(root) != simdjson::SUCCESS) {
        return refuse("a reply that is not JSON");
    }
    simdjson::dom::object object;
    if (root.get_object().get(object) != simdjson::SUCCESS) {
        return refuse("a reply that is not a JSON object");
    }
    simdjson::dom::element field;
    if (object.at_key("correlation_id").get(field) != simdjson::SUCCESS) {
        return refuse("a reply without \"correlation_id\"");
    }
    std::string_view id;
    if (field.get_string().get(id) != simdjson::SUCCESS) {
        return refuse("a reply whose \"correlation_id\" is not a string");
    }
    return {boost::system::in_place_value, std::string(id)};
}

} // namespace herald
