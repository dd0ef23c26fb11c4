// Trino's type checks that DuckDB's binder does not make (dialect.cpp adds the calls):
// __cenote_check_operator(left, right, info) fails the statement while DuckDB binds it when the two operand
// types cannot be compared in Trino (varchar = integer, date < varchar(10), ...), as Trino's analyzer does:
// "TYPE_MISMATCH: line 1:12: Cannot apply operator: varchar(1) = integer". `left` and `right` are probes
// of the operands' types (CASE WHEN false THEN <operand> END, always NULL), `info` a constant
// "<offset>|<operator>|<left literal type>|<right literal type>" (a string literal's varchar(n), otherwise
// empty). When the types match the call is TRUE for every row and folds to a constant, so
// `a = b AND __cenote_check_operator(...)` plans as `a = b` (filter pushdown included).
#include <cstdint>
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

void CheckOperatorBind(duckdb_bind_info info) {
  if (duckdb_scalar_function_bind_get_argument_count(info) != 3) return;
  duckdb_expression left = duckdb_scalar_function_bind_get_argument(info, 0);
  duckdb_expression right = duckdb_scalar_function_bind_get_argument(info, 1);
  duckdb_logical_type lt = duckdb_expression_return_type(left);
  duckdb_logical_type rt = duckdb_expression_return_type(right);
  const Family lf = FamilyOf(lt), rf = FamilyOf(rt);
  if (lf != Family::kOther && rf != Family::kOther && lf != rf) {
    std::vector<std::string> parts = Split(ConstantText(info, 2), '|');
    parts.resize(4);
    const std::string lname = parts[2].empty() ? TrinoName(lt) : parts[2];
    const std::string rname = parts[3].empty() ? TrinoName(rt) : parts[3];
    // "@<offset>|<operator>@": turned into "line L:C" against the statement's text (engine_errors.cpp).
    const std::string message = "TYPE_MISMATCH: @" + parts[0] + "|" + parts[1] +
                                "@ Cannot apply operator: " + lname + " " + parts[1] + " " + rname;
    duckdb_scalar_function_bind_set_error(info, message.c_str());
  }
  duckdb_destroy_logical_type(&lt);
  duckdb_destroy_logical_type(&rt);
  duckdb_destroy_expression(&left);
  duckdb_destroy_expression(&right);
}

void CheckOperatorFunction(duckdb_function_info, duckdb_data_chunk input, duckdb_vector output) {
  auto* out = static_cast<bool*>(duckdb_vector_get_data(output));
  const idx_t rows = duckdb_data_chunk_get_size(input);
  for (idx_t row = 0; row < rows; ++row) out[row] = true;
}

}  // namespace

bool RegisterTrinoTypeFunctions(duckdb_connection con) {
  duckdb_scalar_function f = duckdb_create_scalar_function();
  duckdb_scalar_function_set_name(f, "__cenote_check_operator");
  duckdb_logical_type any = duckdb_create_logical_type(DUCKDB_TYPE_ANY);
  duckdb_logical_type varchar = duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
  duckdb_logical_type boolean = duckdb_create_logical_type(DUCKDB_TYPE_BOOLEAN);
  duckdb_scalar_function_add_parameter(f, any);
  duckdb_scalar_function_add_parameter(f, any);
  duckdb_scalar_function_add_parameter(f, varchar);
  duckdb_scalar_function_set_return_type(f, boolean);
  duckdb_scalar_function_set_function(f, CheckOperatorFunction);
  duckdb_scalar_function_set_bind(f, CheckOperatorBind);
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
