// Athena's row-level DML on Iceberg tables (Trino's grammar, engine v3): DELETE FROM t [WHERE c],
// UPDATE t SET col = expr, ... [WHERE c] and MERGE INTO t [[AS] a] USING src [[AS] s] ON c WHEN [NOT]
// MATCHED [AND c] THEN UPDATE SET ... | DELETE | INSERT [(cols)] VALUES (...). The parsers split a
// statement into its parts and keep each expression as the user's text (the engine checks and runs it);
// they are pure.
//
// Errors: code "SYNTAX_ERROR" with a message as Trino's parser words it ("line 1:C: mismatched input ...").
#pragma once

#include <string>
#include <vector>

#include "common/result.hpp"

namespace cenote::athena::iceberg {

struct Assignment {
  std::string column;  // lower-case
  std::string expr;    // as written
};

struct DeleteStatement {
  std::string where;  // "" = every row
};

struct UpdateStatement {
  std::vector<Assignment> set;
  std::string where;  // "" = every row
};

struct MergeClause {
  enum class Action { kUpdate, kDelete, kInsert };
  bool matched = true;
  std::string condition;  // the AND condition, "" = none
  Action action = Action::kDelete;
  std::vector<Assignment> set;              // UPDATE
  std::vector<std::string> insert_columns;  // INSERT (lower-case; empty = every column in order)
  std::vector<std::string> insert_values;   // INSERT, as written
};

struct MergeStatement {
  std::string target_alias;    // the alias written, or the table name
  std::string source;          // a table name or a parenthesized query, as written
  std::string source_alias;    // "" when none was written
  std::string source_columns;  // the alias's column list, "(a, b)" as written ("" = none)
  std::string on;
  std::vector<MergeClause> clauses;
};

struct OptimizeStatement {
  std::string where;  // "" = the whole table
};

Result<DeleteStatement> ParseDeleteStatement(const std::string& sql);
// OPTIMIZE t REWRITE DATA USING BIN_PACK [WHERE predicate].
Result<OptimizeStatement> ParseOptimizeStatement(const std::string& sql);
Result<UpdateStatement> ParseUpdateStatement(const std::string& sql);
Result<MergeStatement> ParseMergeStatement(const std::string& sql);

// The top-level conjuncts of `condition` (split at AND outside parentheses and CASE ... END) that compare two
// column references qualified by a name: "t.id = s.id" -> {{"t", "id"}, {"s", "id"}} (names lower-case,
// quoted ones unquoted). Other conjuncts are left out; an OR at the top level yields none.
struct QualifiedColumn {
  std::string qualifier;
  std::string column;
};
std::vector<std::pair<QualifiedColumn, QualifiedColumn>> ColumnEqualities(const std::string& condition);

}  // namespace cenote::athena::iceberg
