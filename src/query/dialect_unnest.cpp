// Trino's UNNEST as a FROM item (SELECT page, UNNEST section) rewritten over DuckDB's select-list unnest
// (RewriteUnnestTables in dialect_functions.hpp):
//   UNNEST(a1, ..., an) [WITH ORDINALITY] AS t(c1, ..., cm[, n])
//     -> (SELECT unnest(a1), ..., unnest(an)[, unnest(range(1, m + 1))]) AS t(c1, ..., cm[, n])
// DuckDB's select-list unnest pads the shorter lists with NULLs (Trino's zip) and keeps each array's order;
// its lateral table function handed the elements back reversed. A map argument gives two columns,
// unnest(map_keys(m)) and unnest(map_values(m)); an array of rows given as many aliases as fields gives one
// column per field (unnest(a, max_depth := 2)). m is the longest argument's length (ordinality from 1).
// `x LEFT JOIN UNNEST(...) AS t(...) ON true` becomes a cross join whose subquery unnests [NULL] for every
// argument when all are empty or NULL, so the left row stays with NULLs, in order (DuckDB's left lateral
// join also reversed the elements).
// The argument's type is not known in the parse tree: an argument written as an array of rows
// (ARRAY[ROW(...), ...] or a cast to an array of rows) gives one column per field; one argument given two
// aliases (besides the ordinality) otherwise is read as a map, given more as an array of rows; with
// several arguments, only those written as maps (map(...), map_from_entries, map_agg, ...) take two
// columns. A form that fits none of these is left to DuckDB (which answers it or fails it as before).
#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "query/dialect_functions.hpp"
#include "query/dialect_nodes.hpp"
#include "query/statement.hpp"

namespace cenote::query::internal {
namespace {

namespace json = boost::json;

constexpr std::size_t kMaxArguments = 10;  // greatest() over the lengths takes at most ten

json::object Operator(std::string_view name, json::value left, json::value right) {
  json::object f = NewFunction(name, json::array{std::move(left), std::move(right)});
  f["is_operator"] = true;
  return f;
}

// CASE WHEN empty THEN [NULL] ELSE list END
json::object PadEmpty(const json::value& empty, json::value list) {
  json::object null_list{{"class", "OPERATOR"},
                         {"type", "ARRAY_CONSTRUCTOR"},
                         {"alias", ""},
                         {"query_location", 0},
                         {"children", json::array{NullConstant()}}};
  return json::object{
      {"class", "CASE"},
      {"type", "CASE_EXPR"},
      {"alias", ""},
      {"query_location", 0},
      {"case_checks", json::array{json::object{{"when_expr", empty}, {"then_expr", null_list}}}},
      {"else_expr", std::move(list)}};
}

bool IsPlainUnnest(const json::object& o) {
  if (StringField(o, "type") != "TABLE_FUNCTION") return false;
  const json::value* function = o.if_contains("function");
  return function != nullptr && function->is_object() &&
         StringField(function->get_object(), "function_name") == "unnest" &&
         StringField(function->get_object(), "schema").empty();
}

// `true` as DuckDB parses it (CAST('t' AS BOOLEAN)) or a BOOLEAN constant true.
bool IsTrue(const json::value* v) {
  if (v == nullptr || !v->is_object()) return false;
  const json::object& o = v->get_object();
  const json::value* constant = &*v;
  if (StringField(o, "class") == "CAST") {
    const json::value* type = o.if_contains("cast_type");
    if (type == nullptr || !type->is_object() || StringField(type->get_object(), "id") != "BOOLEAN")
      return false;
    constant = o.if_contains("child");
  }
  if (constant == nullptr || !constant->is_object() ||
      StringField(constant->get_object(), "class") != "CONSTANT")
    return false;
  const json::value* value = constant->get_object().if_contains("value");
  if (value == nullptr || !value->is_object()) return false;
  const json::value* inner = value->get_object().if_contains("value");
  if (inner == nullptr) return false;
  if (inner->is_bool()) return inner->get_bool();
  return inner->is_string() && (inner->get_string() == "t" || inner->get_string() == "true");
}

bool IsMapSyntax(const json::value& arg) {
  if (!arg.is_object()) return false;
  const json::object& o = arg.get_object();
  if (StringField(o, "class") == "CAST") {
    const json::value* type = o.if_contains("cast_type");
    return type != nullptr && type->is_object() && StringField(type->get_object(), "id") == "MAP";
  }
  if (StringField(o, "class") != "FUNCTION") return false;
  static const char* const kMapFunctions[] = {
      "map",        "map_from_entries", "map_agg",          "multimap_agg", "map_concat",
      "map_filter", "transform_keys",   "transform_values", "map_zip_with", "map_union",
      "histogram",  "split_to_map",     "split_to_multimap"};
  const std::string name = StringField(o, "function_name");
  for (const char* f : kMapFunctions)
    if (name == f) return true;
  return false;
}

// The number of fields of the rows of an array written as ARRAY[ROW(...), ...] (or (a, b) rows) or cast
// to an array of rows; 0 when the argument is not written so.
std::size_t RowArrayFields(const json::value& arg) {
  if (!arg.is_object()) return 0;
  const json::object& o = arg.get_object();
  if (StringField(o, "class") == "CAST") {
    const json::value* type = o.if_contains("cast_type");
    if (type == nullptr || !type->is_object() || StringField(type->get_object(), "id") != "LIST") return 0;
    const json::value* info = type->get_object().if_contains("type_info");
    const json::value* child =
        info != nullptr && info->is_object() ? info->get_object().if_contains("child_type") : nullptr;
    if (child == nullptr || !child->is_object() || StringField(child->get_object(), "id") != "STRUCT")
      return 0;
    const json::value* child_info = child->get_object().if_contains("type_info");
    const json::value* fields = child_info != nullptr && child_info->is_object()
                                    ? child_info->get_object().if_contains("child_types")
                                    : nullptr;
    return fields != nullptr && fields->is_array() ? fields->get_array().size() : 0;
  }
  if (StringField(o, "type") != "ARRAY_CONSTRUCTOR") return 0;
  const json::value* children = o.if_contains("children");
  if (children == nullptr || !children->is_array() || children->get_array().empty()) return 0;
  const json::value& first = children->get_array().front();
  if (!first.is_object()) return 0;
  const json::object& e = first.get_object();
  if (StringField(e, "type") != "STRUCT_CONSTRUCTOR" &&
      !(StringField(e, "class") == "FUNCTION" && StringField(e, "function_name") == "row"))
    return 0;
  const json::value* fields = e.if_contains("children");
  return fields != nullptr && fields->is_array() ? fields->get_array().size() : 0;
}

enum class Kind { kArray, kMap, kRows };

// The subquery standing for TABLE_FUNCTION `o`, or nothing when the form is not one rewritten here (it is
// then left to DuckDB, which answers it or fails it as before).
std::optional<json::object> UnnestSubquery(json::object& o, bool pad) {
  const json::value* aliases = o.if_contains("column_name_alias");
  json::value* function = o.if_contains("function");
  if (aliases == nullptr || !aliases->is_array() || aliases->get_array().empty() || function == nullptr)
    return std::nullopt;
  json::array* args = Children(function->get_object());
  if (args == nullptr || args->empty() || args->size() > kMaxArguments) return std::nullopt;
  for (const json::value& a : *args)
    if (!a.is_object() || !StringField(a.get_object(), "alias").empty()) return std::nullopt;  // named params
  const std::string ordinality = StringField(o, "with_ordinality");
  if (ordinality != "WITH_ORDINALITY" && ordinality != "WITHOUT_ORDINALITY") return std::nullopt;
  const bool ordinal = ordinality == "WITH_ORDINALITY";
  const std::size_t n = args->size();
  if (aliases->get_array().size() < (ordinal ? 1u : 0u) + n) return std::nullopt;
  const std::size_t columns = aliases->get_array().size() - (ordinal ? 1 : 0);

  std::vector<Kind> kinds(n, Kind::kArray);
  if (n == 1) {
    const std::size_t fields = RowArrayFields((*args)[0]);
    if (fields > 0 && fields == columns)
      kinds[0] = Kind::kRows;
    else if (columns == 2 && fields == 0)
      kinds[0] = Kind::kMap;
    else if (columns >= 2)
      kinds[0] = Kind::kRows;
  } else {
    std::size_t produced = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t fields = RowArrayFields((*args)[i]);
      if (fields > 0) {
        kinds[i] = Kind::kRows;
        produced += fields;
      } else if (IsMapSyntax((*args)[i])) {
        kinds[i] = Kind::kMap;
        produced += 2;
      } else {
        produced += 1;
      }
    }
    if (produced != columns) return std::nullopt;
  }
  // Without ordinality or padding the lengths are not needed (nor a second copy of the arguments).
  const bool need_length = ordinal || pad;

  // Per argument: the lists unnested (one, or keys and values) and the length expression.
  std::vector<std::vector<json::value>> lists(n);
  json::array lengths;
  for (std::size_t i = 0; i < n; ++i) {
    json::value arg = (*args)[i];
    if (kinds[i] == Kind::kMap) {
      lists[i].push_back(NewFunction("map_keys", json::array{arg}));
      lists[i].push_back(NewFunction("map_values", json::array{arg}));
    } else {
      lists[i].push_back(arg);
    }
    if (need_length)
      lengths.push_back(json::object{
          {"class", "OPERATOR"},
          {"type", "OPERATOR_COALESCE"},
          {"alias", ""},
          {"query_location", 0},
          {"children",
           json::array{NewFunction("len", json::array{lists[i].front()}), NewConstant("BIGINT", 0)}}});
  }
  json::value longest;
  if (need_length)
    longest =
        lengths.size() == 1 ? std::move(lengths.front()) : json::value(NewFunction("greatest", lengths));
  json::value empty;
  if (pad) {
    empty = json::object{{"class", "COMPARISON"}, {"type", "COMPARE_EQUAL"},
                         {"alias", ""},           {"query_location", 0},
                         {"left", longest},       {"right", NewConstant("INTEGER", 0)}};
  }

  json::array select;
  for (std::size_t i = 0; i < n; ++i) {
    for (json::value& list : lists[i]) {
      json::array unnest_args{pad ? json::value(PadEmpty(empty, std::move(list))) : std::move(list)};
      if (kinds[i] == Kind::kRows) {
        json::object depth = NewConstant("INTEGER", 2);
        depth["alias"] = "max_depth";
        unnest_args.push_back(std::move(depth));
      }
      select.push_back(NewFunction("unnest", std::move(unnest_args)));
    }
  }
  if (ordinal) {
    json::value positions = NewFunction(
        "range", json::array{NewConstant("BIGINT", 1), Operator("+", longest, NewConstant("BIGINT", 1))});
    if (pad) positions = PadEmpty(empty, std::move(positions));
    select.push_back(NewFunction("unnest", json::array{std::move(positions)}));
  }

  json::object node{
      {"type", "SELECT_NODE"},
      {"modifiers", json::array{}},
      {"cte_map", json::object{{"map", json::array{}}}},
      {"select_list", std::move(select)},
      {"from_table",
       json::object{
           {"type", "EMPTY"}, {"alias", ""}, {"sample", nullptr}, {"query_location", std::uint64_t(-1)}}},
      {"where_clause", nullptr},
      {"group_expressions", json::array{}},
      {"group_sets", json::array{}},
      {"aggregate_handling", "STANDARD_HANDLING"},
      {"having", nullptr},
      {"sample", nullptr},
      {"qualify", nullptr}};
  return json::object{
      {"type", "SUBQUERY"},
      {"alias", o["alias"]},
      {"sample", o["sample"]},
      {"query_location", o["query_location"]},
      {"subquery", json::object{{"node", std::move(node)}, {"named_param_map", json::array{}}}},
      {"column_name_alias", *aliases}};
}

void RewriteUnnestTablesIn(json::value& v, int depth) {
  if (depth > 400) return;
  if (v.is_array()) {
    for (json::value& item : v.get_array()) RewriteUnnestTablesIn(item, depth + 1);
    return;
  }
  if (!v.is_object()) return;
  json::object& o = v.get_object();
  json::value* right = o.if_contains("right");
  if (StringField(o, "type") == "JOIN" && StringField(o, "join_type") == "LEFT" &&
      StringField(o, "ref_type") == "REGULAR" && right != nullptr && right->is_object() &&
      IsPlainUnnest(right->get_object()) && IsTrue(o.if_contains("condition"))) {
    if (json::value* left = o.if_contains("left")) RewriteUnnestTablesIn(*left, depth + 1);
    RewriteUnnestTablesIn(right->get_object()["function"], depth + 1);
    if (std::optional<json::object> subquery = UnnestSubquery(right->get_object(), true)) {
      *right = std::move(*subquery);
      o["join_type"] = "INNER";
      o["ref_type"] = "CROSS";
      o["condition"] = nullptr;
    }
    return;
  }
  for (auto& [key, child] : o)
    if (key != "cast_type") RewriteUnnestTablesIn(child, depth + 1);
  if (!IsPlainUnnest(o)) return;
  if (std::optional<json::object> subquery = UnnestSubquery(o, false)) v = std::move(*subquery);
}

}  // namespace

void RewriteUnnestTables(boost::json::value& statement) { RewriteUnnestTablesIn(statement, 0); }

}  // namespace cenote::query::internal
