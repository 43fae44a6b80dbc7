#include "stores/postgres/postgres_notification.hpp"

#include <simdjson.h>

namespace herald {

std::optional<table_change> read_table_change(std::string_view payload) {
    if (payload.size() >= max_notification_bytes) {
        return std::nullopt;
    }
    simdjson::dom::parser parser;
    simdjson::dom::object object;
    if (parser.parse(payload.data(), payload.size(), true).get_object().get(object) !=
        simdjson::SUCCESS) {
        return std::nullopt;
    }
    table_change change;
    std::string_view schema, table, op, id;
    if (object["schema"].get_string().get(schema) != simdjson::SUCCESS ||
        object["table"].get_string().get(table) != simdjson::SUCCESS ||
        object["op"].get_string().get(op) != simdjson::SUCCESS ||
        object["id"].get_string().get(id) != simdjson::SUCCESS || schema.empty() || table.empty()) {
        return std::nullopt;
    }
    if (op == "INSERT") {
        change.op = table_change::operation::insert;
    } else if (op == "UPDATE") {
        change.op = table_change::operation::update;
    } else if (op == "DELETE") {
        change.op = table_change::operation::remove;
    } else {
        return std::nullopt;
    }
    simdjson::dom::element old;
    if (object["old"].get(old) == simdjson::SUCCESS && old.is_object()) {
        change.old_record = simdjson::minify(old);
    }
    change.schema = schema;
    change.table = table;
    change.id = id;
    return change;
}

std::string collection_of(const table_change& change) {
    return change.schema == "public" ? change.table : change.schema + "." + change.table;
}

} // namespace herald
