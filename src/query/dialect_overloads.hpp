// Typed macro overloads over arguments DuckDB cannot type while it picks the overload (dialect.cpp's
// RewriteDialect runs this last). DuckDB chooses among a macro's typed overloads (__cenote_length(x BLOB),
// (x)) by binding each argument on its own; an argument holding an aggregate, a window function, GROUPING
// or unnest cannot be bound there, so every typed overload "matches": ceil(avg(x)) fails with "multiple
// overloads match" and length(max(s)) takes the BLOB overload. Such an argument is handed to the macro
// through a lambda over a one-element list, whose parameter DuckDB binds with the argument's type:
//   __cenote_ceil(avg(x))  ->  list_transform([avg(x)], lambda __cenote_o1: __cenote_ceil(__cenote_o1))[1]
// Internal to src/query.
#pragma once

#include <boost/json/value.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace cenote::query::internal {

// Wraps the arguments of every call of an overloaded macro in `statement` that hold an aggregate, window
// function, GROUPING or unnest (outside subqueries, which bind on their own).
void GuardOverloadedMacroArguments(boost::json::value& statement);

// Whether `name` is one of DialectMacros() with typed overloads, or a macro whose body calls one on its
// parameters (unit-tested against duckdb_functions()).
bool IsOverloadedMacro(std::string_view name);
// Whether `name` is an aggregate function of DuckDB or a dialect macro that aggregates (unit-tested
// against duckdb_functions()).
bool IsAggregateName(std::string_view name);
// The dialect macros among them (the sandbox policy's aggregate functions, statement.hpp).
std::vector<std::string> AggregateMacroNames();

}  // namespace cenote::query::internal
