// How Athena prints values in CSV results, as DuckDB SQL over the result columns (engine.hpp RunSelect).
#include <string>

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
  if (b == "BLOB") return "rtrim(regexp_replace(lower(hex(" + ref + ")), '(..)', '\\1 ', 'g'))";
  // array_to_string of an empty list is NULL; a NULL container must stay NULL.
  if (b == "LIST" || b == "ARRAY") {
    return "CASE WHEN " + ref + " IS NOT NULL THEN '[' || coalesce(array_to_string(list_transform(" + ref +
           ", lambda " + var + ": " + RenderNested(var, t.children[0].second, depth + 1) +
           "), ', '), '') || ']' END";
  }
  if (b == "MAP") {
    return "CASE WHEN " + ref +
           " IS NOT NULL THEN '{' || coalesce(array_to_string(list_transform(map_entries(" + ref +
           "), lambda " + var + ": " + RenderNested(var + ".key", t.children[0].second, depth + 1) +
           " || '=' || " + RenderNested(var + ".value", t.children[1].second, depth + 1) +
           "), ', '), '') || '}' END";
  }
  if (b == "STRUCT") {
    std::string out = "CASE WHEN " + ref + " IS NOT NULL THEN '{' || ";
    for (std::size_t i = 0; i < t.children.size(); ++i) {
      if (i > 0) out += " || ', ' || ";
      out += QuoteLiteral(t.children[i].first + "=") + " || " +
             RenderNested("struct_extract(" + ref + ", " + QuoteLiteral(t.children[i].first) + ")",
                          t.children[i].second, depth + 1);
    }
    return out + " || '}' END";
  }
  return "CAST(" + ref + " AS VARCHAR)";
}

}  // namespace

std::string AthenaTextExpression(const std::string& ref, const std::string& duckdb_type) {
  auto t = ParseDuckDbType(duckdb_type);
  if (!t) return "CAST(" + ref + " AS VARCHAR)";
  return Render(ref, *t, 0);
}

}  // namespace cenote::query::internal
