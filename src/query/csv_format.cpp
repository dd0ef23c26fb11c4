// How Athena prints values in CSV results, as DuckDB SQL over the result columns (engine.hpp RunSelect).
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>

#include "query/dialect_datetime.hpp"
#include "query/statement.hpp"
#include "query/type_tree.hpp"

namespace cenote::query::internal {
namespace {

std::string Render(const std::string& ref, const TypeNode& t, int depth);

// Inside arrays, maps and rows Athena prints NULL as "null".
std::string RenderNested(const std::string& ref, const TypeNode& t, int depth) {
  return "coalesce(" + Render(ref, t, depth) + ", 'null')";
}

std::string Render(const std::string& ref, const TypeNode& t, int depth) {
  const std::string& b = t.base;
  std::string var = "__cenote_e" + std::to_string(depth);
  if (b == "VARCHAR") return ref;
  if (b == "DOUBLE") return "__cenote_java_double(" + ref + ")";
  if (b == "FLOAT") return "__cenote_java_real(" + ref + ")";
  if (b == "TIMESTAMP" || b == "TIMESTAMP_S" || b == "TIMESTAMP_MS" || b == "TIMESTAMP_NS")
    return "strftime(" + ref + ", '%Y-%m-%d %H:%M:%S.%g')";
  if (b == "TIMESTAMP WITH TIME ZONE") return "strftime(" + ref + ", '%Y-%m-%d %H:%M:%S.%g UTC')";
  if (b == "TIME") return "strftime(DATE '1970-01-01' + " + ref + ", '%H:%M:%S.%g')";
  // Trino's two interval types: year to month as "Y-M", day to second as "D HH:MM:SS.mmm" (dialect.cpp).
  if (b == "INTERVAL") return "__cenote_interval_text(" + ref + ")";
  if (IsZonedTimestamp(t)) return ZonedTimestampText(ref, t);
  if (b == "BLOB") return "rtrim(regexp_replace(lower(hex(" + ref + ")), '(..)', '\\1 ', 'g'))";
  // array_to_string of an empty list is NULL; a NULL container must stay NULL.
  if (b == "LIST" || b == "ARRAY") {
    return "CASE WHEN " + ref + " IS NOT NULL THEN '[' || coalesce(array_to_string(list_transform(" + ref +
           ", lambda " + var + ": " + RenderNested(var, t.children[0].second, depth + 1) +
           "), ', '), '') || ']' END";
  }
  if (b == "MAP") {
    // Entries in Java HashMap order where the key type's Java hashCode is known (dialect_functions.cpp).
    const std::string& key = t.children[0].second.base;
    std::string hash;
    if (key == "VARCHAR") hash = "__cenote_java_string_hash";
    if (key == "BIGINT") hash = "__cenote_java_long_hash";
    if (key == "INTEGER" || key == "SMALLINT" || key == "TINYINT") hash = "__cenote_java_int_hash";
    std::string entries = "map_entries(" + ref + ")";
    if (!hash.empty()) {
      entries = "__cenote_java_map_entries(" + ref + ", list_transform(map_keys(" + ref + "), lambda " + var +
                "k: " + hash + "(" + var + "k)))";
    }
    return "CASE WHEN " + ref + " IS NOT NULL THEN '{' || coalesce(array_to_string(list_transform(" +
           entries + ", lambda " + var + ": " + RenderNested(var + ".key", t.children[0].second, depth + 1) +
           " || '=' || " + RenderNested(var + ".value", t.children[1].second, depth + 1) +
           "), ', '), '') || '}' END";
  }
  if (b == "STRUCT") {
    std::string out = "CASE WHEN " + ref + " IS NOT NULL THEN '{' || ";
    for (std::size_t i = 0; i < t.children.size(); ++i) {
      if (i > 0) out += " || ', ' || ";
      // An anonymous row's fields are read by position.
      const std::string& name = t.children[i].first;
      const std::string field = name.empty() ? std::to_string(i + 1) : QuoteLiteral(name);
      out += QuoteLiteral((name.empty() ? FieldLabel(t, i) : name) + "=") + " || " +
             RenderNested("struct_extract(" + ref + ", " + field + ")", t.children[i].second, depth + 1);
    }
    return out + " || '}' END";
  }
  return "CAST(" + ref + " AS VARCHAR)";
}

}  // namespace

std::string JavaNumberText(double value, bool is_float) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  if (value == 0) return std::signbit(value) ? "-0.0" : "0.0";
  char buf[64];
  auto res = is_float ? std::to_chars(buf, buf + sizeof(buf), static_cast<float>(value),
                                      std::chars_format::scientific)
                      : std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::scientific);
  std::string sci(buf, res.ptr);  // "-1.2345e+07": the shortest digits
  std::string out;
  std::size_t i = 0;
  if (sci[0] == '-') {
    out += '-';
    i = 1;
  }
  std::size_t e = sci.find('e');
  std::string digits;
  for (std::size_t k = i; k < e; ++k)
    if (sci[k] != '.') digits += sci[k];
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  int exponent = std::atoi(sci.c_str() + e + 1);  // value = d.ddd x 10^exponent
  double magnitude = std::fabs(is_float ? static_cast<double>(static_cast<float>(value)) : value);
  if (magnitude >= 1e-3 && magnitude < 1e7) {
    int point = exponent + 1;  // digits before the decimal point
    if (point <= 0) {
      out += "0." + std::string(static_cast<std::size_t>(-point), '0') + digits;
    } else if (static_cast<std::size_t>(point) >= digits.size()) {
      out += digits + std::string(static_cast<std::size_t>(point) - digits.size(), '0') + ".0";
    } else {
      out += digits.substr(0, static_cast<std::size_t>(point)) + "." +
             digits.substr(static_cast<std::size_t>(point));
    }
    return out;
  }
  out += digits.substr(0, 1) + "." + (digits.size() > 1 ? digits.substr(1) : "0") + "E" +
         std::to_string(exponent);
  return out;
}

std::string AthenaTextExpression(const std::string& ref, const std::string& duckdb_type) {
  auto t = ParseDuckDbType(duckdb_type);
  if (!t) return "CAST(" + ref + " AS VARCHAR)";
  return Render(ref, *t, 0);
}

}  // namespace cenote::query::internal
