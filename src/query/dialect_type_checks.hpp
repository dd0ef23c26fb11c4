// Trino's analyzer type checks that DuckDB's binder does not make (DuckDB casts varchar to numbers and
// dates where Trino refuses). The rewrite below adds to the parsed statement a call of
// __cenote_check_types (trino_functions_types.cpp) next to each construct Trino checks; DuckDB binds the
// call with the operands' types and fails the statement with Trino's TYPE_MISMATCH when they cannot be
// coerced to one type, or folds it to TRUE, so the plan is unchanged. Internal to src/query.
#pragma once

#include <boost/json/value.hpp>

namespace cenote::query::internal {

// Adds the checks to `statement` (after RewriteDialect; QueryContext::check_operand_types):
//   comparison (=, <>, <, >, <=, >=)  `c`    -> `c AND check`  "Cannot apply operator: varchar = integer"
//   x [NOT] IN (v1, v2, ...)          `c`    -> `c AND check`  "IN value and list items must be the same
//   type: T" x [NOT] BETWEEN a AND b           `c`    -> `c AND check`  "Cannot check if T is BETWEEN T and
//   T" CASE ... THEN r1 ... ELSE rn END   the first WHEN gets `AND check`  "All CASE results must be the same
//   type: T" COALESCE(a, b, ...)               `e`    -> `CASE WHEN check THEN e END`  "All COALESCE operands
//   ..." if(c, a, b), nullif(a, b)          the condition gets `AND check` / as COALESCE
// Operands are handed over as typed NULL probes (CASE WHEN false THEN operand END); string literals as
// their varchar(n); positions as offsets into the parsed text. Constructs holding a subquery or a window
// function are not checked; neither are comparisons inside lambdas whose operands use the lambda's
// parameters.
void AddOperatorTypeChecks(boost::json::value& statement);

}  // namespace cenote::query::internal
