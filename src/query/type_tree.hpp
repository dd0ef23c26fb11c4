// Parsed column types, shared by the type mapping (types.cpp), the binder and the result formatter.
// Internal to src/query.
#pragma once

#include <cctype>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/result.hpp"

namespace cenote::query::internal {

// One type in DuckDB's vocabulary. `base` is DuckDB's upper-case name (INTEGER, VARCHAR, DECIMAL,
// TIMESTAMP WITH TIME ZONE, ...) or one of the nested kinds LIST, ARRAY, STRUCT, MAP, UNION.
//   LIST/ARRAY: children[0] is the element (ARRAY has array_size); MAP: children[0] key, [1] value;
//   STRUCT/UNION: children are the named fields.
struct TypeNode {
  // Declared so that TypeNode is not an aggregate: with clang and libstdc++, checking whether the
  // aggregate is implicitly default-constructible instantiates std::pair<std::string, TypeNode> while it is
  // still being defined (a compile error in any Result<TypeNode>).
  TypeNode() = default;

  std::string base;
  int precision = 0;  // DECIMAL
  int scale = 0;
  std::int64_t array_size = 0;
  std::vector<std::pair<std::string, TypeNode>> children;
};

// "STRUCT(a INTEGER, \"b c\" VARCHAR)[]", "MAP(VARCHAR, BIGINT)", "DECIMAL(10,2)", "INTEGER[3]".
Result<TypeNode> ParseDuckDbType(const std::string& text);
// "array<struct<a:int>>", "map<string,int>", "decimal(10,2)", "varchar(10)". Case-insensitive.
Result<TypeNode> ParseGlueType(const std::string& text);
// Back to DuckDB's spelling (usable in CAST and read_csv's columns).
std::string DuckDbTypeName(const TypeNode& type);
// Quotes an identifier for DuckDB SQL ("a""b").
std::string QuoteIdentifier(const std::string& name);
// The name Athena shows for field i of a struct: its own (lower-case), or field<i> for an anonymous
// row's field (Trino's ROW(1, 'a') prints {field0=1, field1=a}).
inline std::string FieldLabel(const TypeNode& row, std::size_t i) {
  const std::string& name = row.children[i].first;
  if (name.empty()) return "field" + std::to_string(i);
  std::string out = name;
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}
// Quotes a string literal for DuckDB SQL ('it''s').
std::string QuoteLiteral(const std::string& value);

}  // namespace cenote::query::internal
