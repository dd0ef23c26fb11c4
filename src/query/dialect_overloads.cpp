// Typed macro overloads over aggregate arguments (dialect_overloads.hpp).
#include "query/dialect_overloads.hpp"

#include <boost/json.hpp>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "query/dialect_nodes.hpp"
#include "query/statement.hpp"

namespace cenote::query::internal {
namespace {

namespace json = boost::json;

// The macros of DialectMacros() with typed overloads, and the macros whose bodies call one of them on
// their parameters (dialect_overloads_test.cpp derives both from duckdb_functions()).
const std::unordered_set<std::string>& OverloadedMacros() {
  static const std::unordered_set<std::string> names = {
      "__cenote_ceil",
      "__cenote_concat_ws",
      "__cenote_date_add_day",
      "__cenote_date_add_hour",
      "__cenote_date_add_millisecond",
      "__cenote_date_add_minute",
      "__cenote_date_add_month",
      "__cenote_date_add_quarter",
      "__cenote_date_add_second",
      "__cenote_date_add_week",
      "__cenote_date_add_year",
      "__cenote_date_parse_yy",
      "__cenote_date_trunc",
      "__cenote_divide",
      "__cenote_divide_try",
      "__cenote_interval_type",
      "__cenote_multiply",
      "__cenote_multiply_try",
      "__cenote_typeof",
      "__cenote_dt_minus",
      "__cenote_dt_plus",
      "__cenote_dt_plus_rev",
      "__cenote_floor",
      "__cenote_format_arg",
      "__cenote_length",
      "__cenote_lpad",
      "__cenote_regexp_join",
      "__cenote_reverse",
      "__cenote_rpad",
      "__cenote_sequence",
      "__cenote_sign",
      "__cenote_split_to_multimap",
      "__cenote_substr",
      "__cenote_to_iso8601",
      "__cenote_avg",
      "__cenote_round",
      "__cenote_truncate",
      "__cenote_varchar",
      "__cenote_varchar_of",
      // zoned timestamps (dialect_datetime.cpp): typed on the zoned value's struct
      "__cenote_at_timezone",
      "__cenote_concat",
      "__cenote_date_diff",
      "__cenote_sparse_cosine",
      "__cenote_sparse_cosine_distance",
      "__cenote_timezone_hour",
      "__cenote_timezone_minute",
      "__cenote_to_unixtime",
      "__cenote_tz_add_local",
      "__cenote_tz_add_local_v",
      "__cenote_tz_cast",
      "__cenote_tz_cmp",
      "__cenote_tz_instant",
      "__cenote_tz_local",
      "__cenote_tz_offset_minutes",
      "__cenote_tz_plus",
      "__cenote_tz_plus_v",
      "__cenote_tz_text",
      "__cenote_tz_varchar",
      "__cenote_tz_zone_of",
  };
  return names;
}

// DuckDB's aggregate functions (with the json extension's) and the dialect's macros that aggregate.
const std::unordered_set<std::string>& Aggregates() {
  static const std::unordered_set<std::string> names = {
      "any_value", "approx_count_distinct", "approx_quantile", "approx_top_k", "arbitrary", "arg_max",
      "arg_max_null", "arg_min", "arg_min_null", "argmax", "argmin", "array_agg", "avg", "bit_and", "bit_or",
      "bit_xor", "bitstring_agg", "bool_and", "bool_or", "corr", "count", "count_if", "count_star", "countif",
      "covar_pop", "covar_samp", "entropy", "favg", "first", "fsum", "group_concat", "histogram",
      "histogram_exact", "kahan_sum", "kurtosis", "kurtosis_pop", "last", "list", "listagg", "mad", "max",
      "max_by", "mean", "median", "min", "min_by", "mode", "product", "quantile", "quantile_cont",
      "quantile_disc", "regr_avgx", "regr_avgy", "regr_count", "regr_intercept", "regr_r2", "regr_slope",
      "regr_sxx", "regr_sxy", "regr_syy", "reservoir_quantile", "sem", "skewness", "stddev", "stddev_pop",
      "stddev_samp", "string_agg", "sum", "sum_no_overflow", "sumkahan", "var_pop", "var_samp", "variance",
      "json_group_array", "json_group_object", "json_group_structure",
      // dialect macros over list(...), sum(...)
      "__cenote_map_agg", "__cenote_set_agg", "__cenote_map_union", "__cenote_multimap_agg",
      "__cenote_approx_set", "__cenote_set_union", "__cenote_checksum", "__cenote_approx_most_frequent",
      "__cenote_avg"};
  return names;
}

std::string FunctionName(const json::object& o) {
  const std::string schema = Lower(StringField(o, "schema"));
  if (!schema.empty() && schema != "main") return "";
  return Lower(StringField(o, "function_name"));
}

// Whether `v` holds a node DuckDB cannot bind while it picks a macro overload (subqueries excluded).
bool NeedsBinding(const json::value& v, int depth) {
  if (depth > 400) return false;
  if (v.is_array()) {
    for (const json::value& item : v.get_array())
      if (NeedsBinding(item, depth + 1)) return true;
    return false;
  }
  if (!v.is_object()) return false;
  const json::object& o = v.get_object();
  const std::string cls = StringField(o, "class");
  if (cls == "SUBQUERY") return false;
  if (cls == "WINDOW") return true;
  if (cls == "OPERATOR" && StringField(o, "type") == "GROUPING_FUNCTION") return true;
  if (cls == "FUNCTION") {
    const std::string name = FunctionName(o);
    if (Aggregates().count(name) > 0 || name == "unnest" || name == "unlist") return true;
  }
  for (const auto& [key, child] : o) {
    if (key == "cast_type") continue;
    if (NeedsBinding(child, depth + 1)) return true;
  }
  return false;
}

json::object ColumnNode(const std::string& name) {
  return json::object{{"class", "COLUMN_REF"},
                      {"type", "COLUMN_REF"},
                      {"alias", ""},
                      {"query_location", 0},
                      {"column_names", json::array{json::string(name)}}};
}

// list_transform([arg], lambda param: body)[1]
json::object ThroughLambda(json::value arg, const std::string& param, json::value body) {
  json::object lambda{{"class", "LAMBDA"},   {"type", "LAMBDA"},         {"alias", ""},
                      {"query_location", 0}, {"lhs", ColumnNode(param)}, {"expr", std::move(body)}};
  json::object list = NewFunction("list_value", json::array{std::move(arg)});
  json::object transform = NewFunction("list_transform", json::array{std::move(list), std::move(lambda)});
  json::object one = NewConstant("INTEGER", 1);
  return json::object{{"class", "OPERATOR"},
                      {"type", "ARRAY_EXTRACT"},
                      {"alias", ""},
                      {"query_location", 0},
                      {"children", json::array{std::move(transform), std::move(one)}}};
}

void Guard(json::value& v, int depth, int& counter) {
  if (depth > 400) return;
  if (v.is_array()) {
    for (json::value& item : v.get_array()) Guard(item, depth + 1, counter);
    return;
  }
  if (!v.is_object()) return;
  json::object& o = v.get_object();
  for (auto& [key, child] : o) {
    if (key == "cast_type") continue;
    Guard(child, depth + 1, counter);
  }
  if (StringField(o, "class") != "FUNCTION" || OverloadedMacros().count(FunctionName(o)) == 0) return;
  json::array* args = Children(o);
  if (args == nullptr) return;
  std::vector<std::pair<std::string, json::value>> lifted;
  for (json::value& arg : *args) {
    if (!NeedsBinding(arg, 0)) continue;
    std::string param = "__cenote_o" + std::to_string(++counter);
    lifted.emplace_back(param, std::move(arg));
    arg = ColumnNode(param);
  }
  if (lifted.empty()) return;
  json::value alias = o["alias"];
  o["alias"] = "";
  json::value body = std::move(o);
  for (auto it = lifted.rbegin(); it != lifted.rend(); ++it)
    body = ThroughLambda(std::move(it->second), it->first, std::move(body));
  body.get_object()["alias"] = std::move(alias);
  v = std::move(body);
}

}  // namespace

void GuardOverloadedMacroArguments(json::value& statement) {
  int counter = 0;
  Guard(statement, 0, counter);
}

bool IsOverloadedMacro(std::string_view name) { return OverloadedMacros().count(std::string(name)) > 0; }
bool IsAggregateName(std::string_view name) { return Aggregates().count(std::string(name)) > 0; }

std::vector<std::string> AggregateMacroNames() {
  std::vector<std::string> out;
  for (const std::string& name : Aggregates())
    if (name.rfind("__cenote_", 0) == 0) out.push_back(name);
  return out;
}

}  // namespace cenote::query::internal
