// Compiled IAM wildcard patterns: actions ("s3:Get*"), resources ("arn:aws:s3:::bucket/${aws:username}/*")
// and condition values (StringLike, ArnLike, and the exact operators when they carry policy variables).
//
// IAM's wildcards are `*` (any run of characters, including none and including '/') and `?` (exactly one
// character; here one UTF-8 code point). No regular expressions: a pattern is compiled once into literal
// runs, wildcards and variable references, and matching is a linear scan with backtracking to the last
// `*` (no allocation, no regex engine). Common shapes (exact, "*", "prefix*") take a shortcut.
//
// Policy variables (2012-10-17 policies only, reference_policies_variables.md): `${key}` is replaced by the
// single value of the context key (keys are case-insensitive), `${key, 'default'}` falls back to the quoted
// default ('' inside it is one quote), and `${*}`, `${?}`, `${$}` stand for the literal characters. A
// substituted value is always literal (a `*` in a tag value is not a wildcard). A variable with no value
// (absent or multivalued key, no default) makes the pattern match nothing, as AWS documents for Resource,
// NotResource and condition values. Text that is not a well-formed variable (`${` with no `}`) is literal.
//
// Immutable after Compile; Match is const and safe to call from any number of threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "iam/context_keys.hpp"

namespace cenote::iam {

struct PatternOptions {
  bool wildcards = true;     // `*` and `?` are wildcards (false: StringEquals, where they are literal)
  bool variables = false;    // `${...}` is a policy variable (2012-10-17 Resource and condition values)
  bool ignore_case = false;  // ASCII case-insensitive (actions; StringEqualsIgnoreCase)
};

class Pattern {
 public:
  Pattern() = default;  // matches only the empty string
  static Pattern Compile(std::string_view text, PatternOptions options);

  // Whether `subject` matches. `keys` resolves variables; without it (or when a variable has no value) a
  // pattern with variables matches nothing.
  bool Match(std::string_view subject, const ContextKeys* keys = nullptr) const;

  bool has_variables() const { return !variables_.empty(); }
  bool has_wildcards() const { return has_wildcards_; }
  bool matches_everything() const { return shape_ == Shape::kAll; }
  const std::string& source() const { return source_; }

 private:
  enum class Shape : std::uint8_t { kExact, kAll, kPrefix, kGeneral };
  enum class Kind : std::uint8_t { kLiteral, kAnyOne, kStar, kVariable };
  struct Piece {
    Kind kind;
    std::uint32_t begin = 0;  // kLiteral: range in literals_; kVariable: index in variables_
    std::uint32_t length = 0;
  };
  struct Variable {
    std::string key;  // lower-cased
    bool has_default = false;
    std::string default_value;
  };

  void AddLiteral(std::string_view text);

  std::string source_;
  std::string literals_;  // every literal run, lower-cased when ignore_case
  std::vector<Piece> pieces_;
  std::vector<Variable> variables_;
  Shape shape_ = Shape::kExact;
  bool ignore_case_ = false;
  bool has_wildcards_ = false;
};

// An ARN pattern (the Resource element, ArnEquals/ArnLike): the six colon-separated fields
// arn:partition:service:region:account:resource are matched one by one, so a `*` never crosses a colon
// except in the last field, which takes the rest of the ARN (reference_policies_elements_condition_operators
// .md, "ArnLike ... each of the six colon-delimited components of the ARN is checked separately"). The
// pattern "*" matches anything, ARN or not. A pattern with fewer fields matches ARNs field by field with
// its last field taking the rest.
// An ARN split once into its six fields, for matching it against many ArnPatterns (the evaluator splits the
// request's resource once per evaluation instead of once per pattern).
struct SplitArn {
  explicit SplitArn(std::string_view arn);
  std::string_view whole;
  std::string_view fields[6];
  std::size_t count = 0;
};

class ArnPattern {
 public:
  ArnPattern() = default;
  static ArnPattern Compile(std::string_view text, PatternOptions options);
  bool Match(std::string_view arn, const ContextKeys* keys = nullptr) const;
  bool Match(const SplitArn& arn, const ContextKeys* keys = nullptr) const;
  bool has_variables() const;
  const std::string& source() const { return source_; }

 private:
  std::string source_;
  bool all_ = false;
  bool exact_ = false;  // no wildcards or variables in any field: a plain string comparison
  std::vector<Pattern> fields_;
};

// Splits an ARN-like string at its first `max_fields - 1` colons (the last field keeps the rest). Returns
// the number of fields written to `out`.
std::size_t SplitArnFields(std::string_view arn, std::string_view* out, std::size_t max_fields);

}  // namespace cenote::iam
