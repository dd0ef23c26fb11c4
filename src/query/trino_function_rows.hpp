// Row-at-a-time plumbing for the engine's C scalar functions (trino_functions_*.cpp): reading the
// arguments of one row, writing or nulling the result, registering overloads under one name. Included
// only where duckdb.h already is.
#pragma once

#include <duckdb.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace cenote::query::internal {

// The argument columns of one call (a flat data chunk, as DuckDB hands C functions their input).
class ArgRows {
 public:
  explicit ArgRows(duckdb_data_chunk chunk) {
    const idx_t n = duckdb_data_chunk_get_column_count(chunk);
    for (idx_t i = 0; i < n; ++i) {
      duckdb_vector v = duckdb_data_chunk_get_vector(chunk, i);
      data_.push_back(duckdb_vector_get_data(v));
      valid_.push_back(duckdb_vector_get_validity(v));
    }
    rows_ = duckdb_data_chunk_get_size(chunk);
  }
  idx_t rows() const { return rows_; }
  // Whether every argument of the row is non-NULL.
  bool AllValid(idx_t row) const {
    for (std::uint64_t* v : valid_)
      if (v != nullptr && !duckdb_validity_row_is_valid(v, row)) return false;
    return true;
  }
  std::string_view Text(idx_t col, idx_t row) const {
    auto* s = static_cast<duckdb_string_t*>(data_[col]) + row;
    return {duckdb_string_t_data(s), duckdb_string_t_length(*s)};
  }
  double Double(idx_t col, idx_t row) const { return static_cast<double*>(data_[col])[row]; }
  float Float(idx_t col, idx_t row) const { return static_cast<float*>(data_[col])[row]; }
  std::int64_t Bigint(idx_t col, idx_t row) const { return static_cast<std::int64_t*>(data_[col])[row]; }

 private:
  std::vector<void*> data_;
  std::vector<std::uint64_t*> valid_;
  idx_t rows_ = 0;
};

inline void SetNullRow(duckdb_vector out, idx_t row) {
  duckdb_vector_ensure_validity_writable(out);
  duckdb_validity_set_row_invalid(duckdb_vector_get_validity(out), row);
}

inline void SetText(duckdb_vector out, idx_t row, std::string_view s) {
  duckdb_vector_assign_string_element_len(out, row, s.data(), s.size());
}

// Calls one(args, row) for every row whose arguments are all non-NULL; the others give NULL (Trino's
// functions are NULL on NULL input).
template <typename Fn>
void EachRow(duckdb_data_chunk input, duckdb_vector output, Fn one) {
  ArgRows args(input);
  for (idx_t row = 0; row < args.rows(); ++row) {
    if (!args.AllValid(row)) {
      SetNullRow(output, row);
      continue;
    }
    one(args, row);
  }
}

// One overload: parameter types, result type, implementation.
struct Overload {
  std::vector<duckdb_type> params;
  duckdb_type result;
  duckdb_scalar_function_t fn;
};

// Registers the overloads as one function set named `name`; false when DuckDB refuses it.
inline bool RegisterOverloads(duckdb_connection con, const char* name,
                              std::initializer_list<Overload> overloads) {
  duckdb_scalar_function_set set = duckdb_create_scalar_function_set(name);
  bool ok = true;
  for (const Overload& o : overloads) {
    duckdb_scalar_function f = duckdb_create_scalar_function();
    duckdb_scalar_function_set_name(f, name);
    for (duckdb_type p : o.params) {
      duckdb_logical_type t = duckdb_create_logical_type(p);
      duckdb_scalar_function_add_parameter(f, t);
      duckdb_destroy_logical_type(&t);
    }
    duckdb_logical_type r = duckdb_create_logical_type(o.result);
    duckdb_scalar_function_set_return_type(f, r);
    duckdb_destroy_logical_type(&r);
    duckdb_scalar_function_set_function(f, o.fn);
    ok = ok && duckdb_add_scalar_function_to_set(set, f) == DuckDBSuccess;
    duckdb_destroy_scalar_function(&f);
  }
  ok = ok && duckdb_register_scalar_function_set(con, set) == DuckDBSuccess;
  duckdb_destroy_scalar_function_set(&set);
  return ok;
}

}  // namespace cenote::query::internal
