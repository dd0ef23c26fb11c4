// Trino's type checks that DuckDB's binder does not make (dialect_type_checks.cpp adds the calls):
// __cenote_check_types(info, operands...) fails the statement while DuckDB binds it when Trino's analyzer
// cannot coerce the operands to one type (varchar = integer, x IN ('a', 1), CASE results of varchar and
// integer, ...), with Trino's message: "TYPE_MISMATCH: line 1:12: Cannot apply operator: varchar(1) =
// integer". The operands are probes of their types (CASE WHEN false THEN <operand> END, always NULL) or the
// literals themselves; `info` is a constant "<kind>|<offset>|<text>" followed by "|<offset>,<text>,<literal
// type>" per operand (a string literal's varchar(n)). When the types fit the call is TRUE for every row and
// folds to a constant, so `c AND __cenote_check_types(...)` plans as `c` (filter pushdown included).
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "query/trino_function_rows.hpp"
#include "query/trino_functions.hpp"

namespace cenote::query::internal {
namespace {

enum class Family { kOther, kNumeric, kString, kBoolean, kDateTime, kTime, kBinary, kInterval };

Family FamilyOf(duckdb_logical_type t) {
  if (char* alias = duckdb_logical_type_get_alias(t); alias != nullptr) {
    duckdb_free(alias);  // JSON and other aliased types: not checked
    return Family::kOther;
  }
  switch (duckdb_get_type_id(t)) {
    case DUCKDB_TYPE_TINYINT:
    case DUCKDB_TYPE_SMALLINT:
    case DUCKDB_TYPE_INTEGER:
    case DUCKDB_TYPE_BIGINT:
    case DUCKDB_TYPE_HUGEINT:
    case DUCKDB_TYPE_UTINYINT:
    case DUCKDB_TYPE_USMALLINT:
    case DUCKDB_TYPE_UINTEGER:
    case DUCKDB_TYPE_UBIGINT:
    case DUCKDB_TYPE_UHUGEINT:
    case DUCKDB_TYPE_FLOAT:
    case DUCKDB_TYPE_DOUBLE:
    case DUCKDB_TYPE_DECIMAL:
      return Family::kNumeric;
    case DUCKDB_TYPE_VARCHAR:
      return Family::kString;
    case DUCKDB_TYPE_BOOLEAN:
      return Family::kBoolean;
    case DUCKDB_TYPE_DATE:
    case DUCKDB_TYPE_TIMESTAMP:
    case DUCKDB_TYPE_TIMESTAMP_S:
    case DUCKDB_TYPE_TIMESTAMP_MS:
    case DUCKDB_TYPE_TIMESTAMP_NS:
    case DUCKDB_TYPE_TIMESTAMP_TZ:
      return Family::kDateTime;
    case DUCKDB_TYPE_TIME:
    case DUCKDB_TYPE_TIME_TZ:
      return Family::kTime;
    case DUCKDB_TYPE_BLOB:
      return Family::kBinary;
    case DUCKDB_TYPE_INTERVAL:
      return Family::kInterval;
    default:
      return Family::kOther;
  }
}

// Trino's name of a DuckDB type (for the types FamilyOf checks).
std::string TrinoName(duckdb_logical_type t) {
  switch (duckdb_get_type_id(t)) {
    case DUCKDB_TYPE_TINYINT:
      return "tinyint";
    case DUCKDB_TYPE_SMALLINT:
      return "smallint";
    case DUCKDB_TYPE_INTEGER:
      return "integer";
    case DUCKDB_TYPE_BIGINT:
    case DUCKDB_TYPE_HUGEINT:
    case DUCKDB_TYPE_UINTEGER:
    case DUCKDB_TYPE_UBIGINT:
    case DUCKDB_TYPE_UHUGEINT:
      return "bigint";
    case DUCKDB_TYPE_UTINYINT:
      return "smallint";
    case DUCKDB_TYPE_USMALLINT:
      return "integer";
    case DUCKDB_TYPE_FLOAT:
      return "real";
    case DUCKDB_TYPE_DOUBLE:
      return "double";
    case DUCKDB_TYPE_DECIMAL:
      return "decimal(" + std::to_string(duckdb_decimal_width(t)) + "," +
             std::to_string(duckdb_decimal_scale(t)) + ")";
    case DUCKDB_TYPE_VARCHAR:
      return "varchar";
    case DUCKDB_TYPE_BOOLEAN:
      return "boolean";
    case DUCKDB_TYPE_DATE:
      return "date";
    case DUCKDB_TYPE_TIMESTAMP_TZ:
      return "timestamp(3) with time zone";
    case DUCKDB_TYPE_TIMESTAMP_NS:
      return "timestamp(9)";
    case DUCKDB_TYPE_TIMESTAMP:
    case DUCKDB_TYPE_TIMESTAMP_S:
    case DUCKDB_TYPE_TIMESTAMP_MS:
      return "timestamp(3)";
    case DUCKDB_TYPE_TIME:
      return "time(3)";
    case DUCKDB_TYPE_TIME_TZ:
      return "time(3) with time zone";
    case DUCKDB_TYPE_BLOB:
      return "varbinary";
    case DUCKDB_TYPE_INTERVAL:
      return "interval day to second";
    default:
      return "unknown";
  }
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out(1);
  for (char c : s) {
    if (c == sep)
      out.emplace_back();
    else
      out.back() += c;
  }
  return out;
}

// The constant string argument `index` of the call being bound, or "" when it is not one.
std::string ConstantText(duckdb_bind_info info, idx_t index) {
  duckdb_expression e = duckdb_scalar_function_bind_get_argument(info, index);
  std::string out;
  if (e != nullptr && duckdb_expression_is_foldable(e)) {
    duckdb_client_context context = nullptr;
    duckdb_scalar_function_get_client_context(info, &context);
    duckdb_value value = nullptr;
    duckdb_error_data error = duckdb_expression_fold(context, e, &value);
    if (!duckdb_error_data_has_error(error) && value != nullptr) {
      if (char* text = duckdb_get_varchar(value); text != nullptr) {
        out = text;
        duckdb_free(text);
      }
    }
    if (value != nullptr) duckdb_destroy_value(&value);
    duckdb_destroy_error_data(&error);
    duckdb_destroy_client_context(&context);
  }
  if (e != nullptr) duckdb_destroy_expression(&e);
  return out;
}

// One operand as Trino's analyzer types it: its family and name, with what getCommonSuperType needs.
struct TrinoType {
  Family family = Family::kOther;  // kOther: not checked (NULL, JSON, nested, zoned values, ...)
  std::string name;
  int integer_rank = 0;    // tinyint 1, smallint 2, integer 3, bigint 4; 0 for other numerics
  int precision = 0;       // decimal precision (integers: the digits they need), timestamp precision
  int scale = 0;           // decimal scale
  bool floating = false;   // real or double
  bool with_zone = false;  // timestamp / time with time zone
  bool is_date = false;
  bool literal = false;  // a varchar literal: varchar(n)
  int length = 0;        // its n
};

TrinoType TypeOf(duckdb_logical_type t, const std::string& literal_text) {
  TrinoType out;
  out.family = FamilyOf(t);
  if (out.family == Family::kOther) return out;
  out.name = literal_text.empty() ? TrinoName(t) : literal_text;
  switch (duckdb_get_type_id(t)) {
    case DUCKDB_TYPE_TINYINT:
      out.integer_rank = 1, out.precision = 3;
      break;
    case DUCKDB_TYPE_SMALLINT:
    case DUCKDB_TYPE_UTINYINT:
      out.integer_rank = 2, out.precision = 5;
      break;
    case DUCKDB_TYPE_INTEGER:
    case DUCKDB_TYPE_USMALLINT:
      out.integer_rank = 3, out.precision = 10;
      break;
    case DUCKDB_TYPE_BIGINT:
    case DUCKDB_TYPE_HUGEINT:
    case DUCKDB_TYPE_UINTEGER:
    case DUCKDB_TYPE_UBIGINT:
    case DUCKDB_TYPE_UHUGEINT:
      out.integer_rank = 4, out.precision = 19;
      break;
    case DUCKDB_TYPE_FLOAT:
    case DUCKDB_TYPE_DOUBLE:
      out.floating = true;
      break;
    case DUCKDB_TYPE_DECIMAL:
      out.precision = duckdb_decimal_width(t), out.scale = duckdb_decimal_scale(t);
      break;
    case DUCKDB_TYPE_DATE:
      out.is_date = true;
      break;
    case DUCKDB_TYPE_TIMESTAMP_TZ:
    case DUCKDB_TYPE_TIME_TZ:
      out.with_zone = true;
      break;
    default:
      break;
  }
  if (!literal_text.empty()) {
    out.literal = true;
    out.length = std::atoi(literal_text.c_str() + literal_text.find('(') + 1);
  }
  return out;
}

// Trino's TypeCoercion.getCommonSuperType over the families Cenote checks: integers widen, integers and
// decimals widen to decimal, anything numeric to real or double; varchar(n) and varchar(m) to the longer;
// date to timestamp, timestamp to timestamp with time zone, time to time with time zone. Other families
// never meet (varchar is not coerced to numbers or dates). An unchecked type (kOther) gives the other.
std::optional<TrinoType> CommonSuperType(const TrinoType& a, const TrinoType& b) {
  if (a.family == Family::kOther) return b;
  if (b.family == Family::kOther) return a;
  if (a.family != b.family) return std::nullopt;
  if (a.name == b.name) return a;
  switch (a.family) {
    case Family::kNumeric: {
      if (a.floating || b.floating) {
        if (a.name == "double" || b.name == "double") return a.name == "double" ? a : b;
        return a.floating ? a : b;  // real
      }
      if (a.integer_rank > 0 && b.integer_rank > 0) return a.integer_rank > b.integer_rank ? a : b;
      TrinoType out = a;
      out.integer_rank = 0;
      out.scale = std::max(a.scale, b.scale);
      out.precision = std::min(38, std::max(a.precision - a.scale, b.precision - b.scale) + out.scale);
      out.name = "decimal(" + std::to_string(out.precision) + "," + std::to_string(out.scale) + ")";
      return out;
    }
    case Family::kString: {
      if (!a.literal) return a;
      if (!b.literal) return b;
      return a.length >= b.length ? a : b;
    }
    case Family::kDateTime: {
      if (a.with_zone) return a;
      if (b.with_zone) return b;
      return a.is_date ? b : a;
    }
    case Family::kTime:
      return a.with_zone ? a : b;
    default:
      return a;
  }
}

// The position marker engine_errors.cpp turns into "line L:C": "@<offset>|<text at the offset>@ ".
std::string At(const std::string& offset, const std::string& verify) {
  return "@" + offset + "|" + verify + "@ ";
}

// info: "<kind>|<offset>|<text>" and per probe "|<offset>,<text>,<literal type>" (dialect_type_checks.cpp).
void CheckTypesBind(duckdb_bind_info info) {
  const idx_t count = duckdb_scalar_function_bind_get_argument_count(info);
  if (count < 2) return;
  std::vector<std::string> parts = Split(ConstantText(info, 0), '|');
  if (parts.size() != 3 + (count - 1)) return;
  const std::string& kind = parts[0];
  std::vector<TrinoType> types;
  std::vector<std::vector<std::string>> where;
  for (idx_t i = 1; i < count; ++i) {
    std::vector<std::string> probe = Split(parts[2 + i], ',');
    probe.resize(3);
    duckdb_expression e = duckdb_scalar_function_bind_get_argument(info, i);
    duckdb_logical_type t = duckdb_expression_return_type(e);
    types.push_back(TypeOf(t, probe[2]));
    duckdb_destroy_logical_type(&t);
    duckdb_destroy_expression(&e);
    where.push_back(std::move(probe));
  }
  std::string message;
  if ((kind == "=" || kind == "<>" || kind == "<" || kind == ">" || kind == "<=" || kind == ">=") &&
      types.size() == 2) {
    if (!CommonSuperType(types[0], types[1]))
      message = At(parts[1], parts[2]) + "Cannot apply operator: " + types[0].name + " " + kind + " " +
                types[1].name;
  } else if (kind == "between" && types.size() == 3) {
    const std::optional<TrinoType> low = CommonSuperType(types[0], types[1]);
    if (!low || !CommonSuperType(*low, types[2]))
      message = At(parts[1], parts[2]) + "Cannot check if " + types[0].name + " is BETWEEN " + types[1].name +
                " and " + types[2].name;
  } else if (kind == "simplecase") {
    std::optional<TrinoType> common = types[0];
    for (std::size_t i = 1; i < types.size() && message.empty(); ++i) {
      common = CommonSuperType(*common, types[i]);
      if (!common)
        message = At(where[i][0], where[i][1]) +
                  "CASE operand type does not match WHEN clause operand type: " + types[0].name + " vs " +
                  types[i].name;
    }
  } else if (kind == "if" || kind == "nullif") {
    if (types.size() == 2 && !CommonSuperType(types[0], types[1]))
      message = At(parts[1], parts[2]) +
                (kind == "if" ? "Result types for IF must be the same: "
                              : "Types are not comparable with NULLIF: ") +
                types[0].name + " vs " + types[1].name;
  } else {
    // coerceToSingleType: the distinct types in order; the first that has no common super type with
    // those before it fails, at its first expression, naming the super type so far.
    const char* text = kind == "in"         ? "IN value and list items must be the same type: "
                       : kind == "case"     ? "All CASE results must be the same type: "
                       : kind == "coalesce" ? "All COALESCE operands must be the same type: "
                                            : nullptr;
    std::optional<TrinoType> super;
    for (std::size_t i = 0; text != nullptr && i < types.size(); ++i) {
      if (types[i].family == Family::kOther) continue;
      if (!super) {
        super = types[i];
        continue;
      }
      std::optional<TrinoType> next = CommonSuperType(*super, types[i]);
      if (!next) {
        message = At(where[i][0], where[i][1]) + text + super->name;
        break;
      }
      super = next;
    }
  }
  if (!message.empty()) {
    message = "TYPE_MISMATCH: " + message;
    duckdb_scalar_function_bind_set_error(info, message.c_str());
  }
}

void CheckTypesFunction(duckdb_function_info, duckdb_data_chunk input, duckdb_vector output) {
  auto* out = static_cast<bool*>(duckdb_vector_get_data(output));
  const idx_t rows = duckdb_data_chunk_get_size(input);
  for (idx_t row = 0; row < rows; ++row) out[row] = true;
}

// Trino's name of a type, nested ones too (array(integer), map(varchar, bigint), row(a integer)).
std::string TrinoNestedName(duckdb_logical_type t) {
  std::string out;
  switch (duckdb_get_type_id(t)) {
    case DUCKDB_TYPE_LIST:
    case DUCKDB_TYPE_ARRAY: {
      duckdb_logical_type child = duckdb_get_type_id(t) == DUCKDB_TYPE_LIST ? duckdb_list_type_child_type(t)
                                                                            : duckdb_array_type_child_type(t);
      out.append("array(").append(TrinoNestedName(child)).append(")");
      duckdb_destroy_logical_type(&child);
      return out;
    }
    case DUCKDB_TYPE_MAP: {
      duckdb_logical_type key = duckdb_map_type_key_type(t);
      duckdb_logical_type value = duckdb_map_type_value_type(t);
      out.append("map(").append(TrinoNestedName(key)).append(", ").append(TrinoNestedName(value)).append(")");
      duckdb_destroy_logical_type(&key);
      duckdb_destroy_logical_type(&value);
      return out;
    }
    case DUCKDB_TYPE_STRUCT: {
      out = "row(";
      const idx_t n = duckdb_struct_type_child_count(t);
      for (idx_t i = 0; i < n; ++i) {
        char* name = duckdb_struct_type_child_name(t, i);
        duckdb_logical_type child = duckdb_struct_type_child_type(t, i);
        if (i > 0) out.append(", ");
        out.append(name != nullptr ? name : "").append(" ").append(TrinoNestedName(child));
        if (name != nullptr) duckdb_free(name);
        duckdb_destroy_logical_type(&child);
      }
      return out.append(")");
    }
    default:
      return TrinoName(t);
  }
}

// __cenote_cast_check(x, "<offset>|<text>"): CAST(x AS VARCHAR) of a type Trino has no such cast for (a
// varbinary, an array, a map, a row; dialect.cpp's __cenote_varchar reaches it only for those) fails while
// DuckDB binds: "TYPE_MISMATCH: line 1:8: Cannot cast varbinary to varchar".
void CastCheckBind(duckdb_bind_info info) {
  if (duckdb_scalar_function_bind_get_argument_count(info) != 2) return;
  std::vector<std::string> where = Split(ConstantText(info, 1), '|');
  where.resize(2);
  duckdb_expression e = duckdb_scalar_function_bind_get_argument(info, 0);
  duckdb_logical_type t = duckdb_expression_return_type(e);
  const duckdb_type id = duckdb_get_type_id(t);
  // Other types pass (CREATE MACRO binds the body with x untyped).
  const bool refused = id == DUCKDB_TYPE_BLOB || id == DUCKDB_TYPE_LIST || id == DUCKDB_TYPE_ARRAY ||
                       id == DUCKDB_TYPE_MAP || id == DUCKDB_TYPE_STRUCT;
  std::string message =
      "TYPE_MISMATCH: " + At(where[0], where[1]) + "Cannot cast " + TrinoNestedName(t) + " to varchar";
  duckdb_destroy_logical_type(&t);
  duckdb_destroy_expression(&e);
  if (refused) duckdb_scalar_function_bind_set_error(info, message.c_str());
}

void CastCheckFunction(duckdb_function_info, duckdb_data_chunk input, duckdb_vector output) {
  const idx_t rows = duckdb_data_chunk_get_size(input);
  duckdb_vector_ensure_validity_writable(output);
  uint64_t* validity = duckdb_vector_get_validity(output);
  for (idx_t row = 0; row < rows; ++row) duckdb_validity_set_row_invalid(validity, row);
}

}  // namespace

bool RegisterTrinoTypeFunctions(duckdb_connection con) {
  {
    duckdb_scalar_function f = duckdb_create_scalar_function();
    duckdb_scalar_function_set_name(f, "__cenote_cast_check");
    duckdb_logical_type any = duckdb_create_logical_type(DUCKDB_TYPE_ANY);
    duckdb_logical_type varchar = duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
    duckdb_scalar_function_add_parameter(f, any);
    duckdb_scalar_function_add_parameter(f, varchar);
    duckdb_scalar_function_set_return_type(f, varchar);
    duckdb_scalar_function_set_function(f, CastCheckFunction);
    duckdb_scalar_function_set_bind(f, CastCheckBind);
    const bool ok = duckdb_register_scalar_function(con, f) == DuckDBSuccess;
    duckdb_destroy_logical_type(&any);
    duckdb_destroy_logical_type(&varchar);
    duckdb_destroy_scalar_function(&f);
    if (!ok) return false;
  }
  duckdb_scalar_function f = duckdb_create_scalar_function();
  duckdb_scalar_function_set_name(f, "__cenote_check_types");
  duckdb_logical_type any = duckdb_create_logical_type(DUCKDB_TYPE_ANY);
  duckdb_logical_type varchar = duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
  duckdb_logical_type boolean = duckdb_create_logical_type(DUCKDB_TYPE_BOOLEAN);
  duckdb_scalar_function_add_parameter(f, varchar);
  duckdb_scalar_function_set_varargs(f, any);
  duckdb_scalar_function_set_return_type(f, boolean);
  duckdb_scalar_function_set_function(f, CheckTypesFunction);
  duckdb_scalar_function_set_bind(f, CheckTypesBind);
  // The probes are NULL: the function must see them rather than answer NULL.
  duckdb_scalar_function_set_special_handling(f);
  const bool ok = duckdb_register_scalar_function(con, f) == DuckDBSuccess;
  duckdb_destroy_logical_type(&any);
  duckdb_destroy_logical_type(&varchar);
  duckdb_destroy_logical_type(&boolean);
  duckdb_destroy_scalar_function(&f);
  return ok;
}

}  // namespace cenote::query::internal
