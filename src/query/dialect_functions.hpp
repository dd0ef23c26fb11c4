// More of the Trino dialect (dialect.cpp's RewriteDialect calls these): functions rewritten over DuckDB's
// syntax tree (dialect_functions.cpp) and Trino syntax DuckDB's parser rejects, rewritten as text before a
// second parse (dialect_syntax.cpp). Internal to src/query.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace cenote::query::internal {

// Rewrites the call `fn` (its lower-case name `name`) when it is one of the functions of
// dialect_functions.cpp; true when it did (the caller then leaves the node alone), false to let
// dialect.cpp's own rules run. NOT_SUPPORTED (or Trino's error) for a form without an equivalent.
Result<bool> RewriteFunctionCall(boost::json::object& fn, const std::string& name);

// reduce_agg(x, initial, (s, x) -> step, (s, t) -> combine) -> the four-argument reduce over list(x) with
// the identity as its output function (the fold runs over one group's values, so no combine is needed);
// dialect.cpp's reduce rewrite then does the rest.
Status ReduceAggAsReduce(boost::json::object& fn);

// CAST(<json expression> AS VARCHAR) (a JSON literal, CAST(... AS JSON), json_parse, json_extract):
// Trino's JSON-to-varchar cast (a JSON string's value, NULL for JSON null, an error for arrays and
// objects) in place of DuckDB's (the JSON text); true when it replaced the node.
bool RewriteCastOfJson(boost::json::value& cast);

// array || element and element || array (Trino's concatenation operator), where both sides are literals
// whose nesting differs by one: list_append / list_prepend. Leaves every other || alone.
void RewriteConcatOperator(boost::json::object& fn);

// X'0A FF' (Trino's varbinary literal), which DuckDB's parser reads as the text "x0A FF": from_hex('0AFF')
// wherever `parsed_text` (the text the statement was parsed from) has X' at the constant's position.
// SYNTAX_ERROR as Trino's for an odd number of digits or a character that is not one.
Status RewriteBinaryLiterals(boost::json::value& statement, const std::string& parsed_text);

// Trino's UNNEST as a FROM item (several arguments zipped, maps, arrays of rows, WITH ORDINALITY, LEFT JOIN
// ... ON true) as a subquery over DuckDB's select-list unnest, which keeps the arrays' order
// (dialect_unnest.cpp).
void RewriteUnnestTables(boost::json::value& statement);

// The macros the rewrites above rely on (installed with DialectMacros()).
const std::vector<std::string>& FunctionMacros();

// Trino syntax DuckDB cannot parse, as text DuckDB can: listagg(...) WITHIN GROUP (ORDER BY ...),
// json_object's KEY ... VALUE / 'k' : v members and ON NULL clauses, U&'...' Unicode literals, a simple
// CASE with predicate fragments (CASE a WHEN > 100 THEN ...). Aware of
// quotes and comments; returns `sql` unchanged when there is nothing to rewrite. The result is parsed and
// checked like any user text.
std::string RewriteTrinoSyntax(const std::string& sql);

}  // namespace cenote::query::internal
