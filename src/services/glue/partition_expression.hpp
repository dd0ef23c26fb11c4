// PartitionExpression: the filter language of GetPartitions' `Expression` (AWS Glue API, GetPartitions:
// "SQL syntax similar to the SQL WHERE filter clause").
//
//   expr      := or
//   or        := and { OR and }
//   and       := not { AND not }
//   not       := NOT not | primary
//   primary   := '(' expr ')' | operand [NOT] ( cmp operand | BETWEEN operand AND operand
//                                             | IN '(' operand { ',' operand } ')' | LIKE operand )
//              | operand IS [NOT] NULL
//   cmp       := = | <> | != | > | >= | < | <=
//   operand   := column | 'string' (quote doubled to escape) | number
//   column    := identifier | "quoted" | `quoted`    (partition key names, case-insensitive)
//
// Keywords are case-insensitive. Comparisons take the type of the partition key involved: numeric for
// tinyint/smallint/int/integer/bigint/long/decimal, as strings for string/char/varchar/date/timestamp
// (ISO dates and timestamps order as strings). Naming a column that is not a partition key, or a key of
// a type Glue does not filter on (boolean, double, array, ...), is an error, as is any syntax error:
// Parse returns InvalidInputException with the reason. A partition value that does not parse as a number
// for a numeric key compares as not matching. IS NULL matches Hive's default partition
// (__HIVE_DEFAULT_PARTITION__) only: Glue partition values are never null.
//
// Thread safety: a parsed expression is immutable; Matches may be called concurrently.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace cenote::glue {

struct PartitionKey {
  std::string name;  // compared case-insensitively
  std::string type;  // Glue/Hive type: string, int, bigint, date, decimal(10,2), ...
};

class PartitionExpression {
 public:
  struct Node;  // the syntax tree (partition_expression.cpp)

  // Parses `text` against the table's partition keys. An empty or all-blank text matches everything.
  static Result<PartitionExpression> Parse(std::string_view text, const std::vector<PartitionKey>& keys);

  // `values` are the partition's values in key order (as many as keys).
  bool Matches(const std::vector<std::string>& values) const;

 private:
  std::shared_ptr<const Node> root_;  // null: matches everything
};

}  // namespace cenote::glue
