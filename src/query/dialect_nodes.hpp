// Small builders and readers of DuckDB's JSON parse-tree nodes, shared by the dialect's rewriters
// (dialect.cpp, dialect_functions.cpp, dialect_datetime.cpp, dialect_overloads.cpp).
#pragma once

#include <boost/json.hpp>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "query/statement.hpp"

namespace cenote::query::internal {

// A node's "children" array, or nullptr.
inline boost::json::array* Children(boost::json::object& node) {
  boost::json::value* c = node.if_contains("children");
  return c != nullptr && c->is_array() ? &c->get_array() : nullptr;
}

// A function call node with nothing but its name and arguments.
inline boost::json::object NewFunction(std::string_view name, boost::json::array children) {
  namespace json = boost::json;
  return json::object{{"class", "FUNCTION"},
                      {"type", "FUNCTION"},
                      {"alias", ""},
                      {"query_location", 0},
                      {"function_name", json::string(name)},
                      {"schema", ""},
                      {"children", std::move(children)},
                      {"filter", nullptr},
                      {"order_bys", json::object{{"type", "ORDER_MODIFIER"}, {"orders", json::array{}}}},
                      {"distinct", false},
                      {"is_operator", false},
                      {"export_state", false},
                      {"catalog", ""}};
}

// A constant of DuckDB type `type_id` (VARCHAR, INTEGER, ...) holding `value`.
inline boost::json::object NewConstant(std::string_view type_id, boost::json::value value) {
  namespace json = boost::json;
  return json::object{
      {"class", "CONSTANT"},
      {"type", "VALUE_CONSTANT"},
      {"alias", ""},
      {"query_location", 0},
      {"value", json::object{{"type", json::object{{"id", json::string(type_id)}, {"type_info", nullptr}}},
                             {"is_null", false},
                             {"value", std::move(value)}}}};
}

// The untyped NULL constant (DuckDB's type NULL, as the parser gives a bare NULL).
inline boost::json::object NullConstant() {
  namespace json = boost::json;
  return json::object{{"class", "CONSTANT"},
                      {"type", "VALUE_CONSTANT"},
                      {"alias", ""},
                      {"query_location", 0},
                      {"value", json::object{{"type", json::object{{"id", "NULL"}, {"type_info", nullptr}}},
                                             {"is_null", true}}}};
}

// The NOT_SUPPORTED answer naming a construct DuckDB cannot express.
inline Error NotSupported(const std::string& what) {
  return MakeError(kNotSupported, "NOT_SUPPORTED: " + what);
}

}  // namespace cenote::query::internal
