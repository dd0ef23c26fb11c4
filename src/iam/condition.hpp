// IAM condition operators: one compiled (operator, key, values) triple of a policy's Condition block, and its
// evaluation against the request's context keys (reference_policies_elements_condition_operators.md).
//
// Semantics, as AWS documents them:
//   - Several values for one key: OR for the positive operators, NOR for the negated ones (StringNotEquals,
//     StringNotEqualsIgnoreCase, StringNotLike, NumericNotEquals, DateNotEquals, NotIpAddress,
//     ArnNotEquals, ArnNotLike): "the string cannot match any of the values listed".
//   - Key absent from the request: positive operators are false, negated ones true; `...IfExists` is true;
//     `ForAllValues:` is true (the empty set is a subset of anything), `ForAnyValue:` false; `Null` tests
//     presence ("true": the key is absent).
//   - Several request values (multivalued keys such as aws:TagKeys): `ForAnyValue:` is true when some
//     request value matches (for a negated operator: when some request value matches none of the policy
//     values); `ForAllValues:` when every request value does (negated: when no request value matches any
//     policy value). Without a set operator a multivalued key behaves as `ForAnyValue:` for positive
//     operators and requires no request value to match for negated ones.
//   - Typed operators parse both sides: Numeric* as decimal numbers; Date* as W3C ISO 8601 dates
//     (YYYY-MM-DD, YYYY-MM-DDThh:mm[:ss[.s...]]TZD) or epoch seconds; IpAddress as IPv4/IPv6 CIDR (no prefix
//     means /32 or /128); Bool as "true"/"false" in any case; BinaryEquals compares the request value's raw
//     bytes with the policy's base64-decoded value. A request value that does not parse matches nothing.
//   - Policy variables are honoured in String*, Arn* and Bool values only (2012-10-17 policies).
//
// Immutable after Compile; Evaluate is const, allocation-free and thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "iam/context_keys.hpp"
#include "iam/pattern.hpp"

namespace cenote::iam {

enum class ConditionOperator : std::uint8_t {
  kStringEquals,
  kStringNotEquals,
  kStringEqualsIgnoreCase,
  kStringNotEqualsIgnoreCase,
  kStringLike,
  kStringNotLike,
  kNumericEquals,
  kNumericNotEquals,
  kNumericLessThan,
  kNumericLessThanEquals,
  kNumericGreaterThan,
  kNumericGreaterThanEquals,
  kDateEquals,
  kDateNotEquals,
  kDateLessThan,
  kDateLessThanEquals,
  kDateGreaterThan,
  kDateGreaterThanEquals,
  kBool,
  kBinaryEquals,
  kIpAddress,
  kNotIpAddress,
  kArnEquals,
  kArnLike,
  kArnNotEquals,
  kArnNotLike,
  kNull,
};

enum class SetOperator : std::uint8_t { kNone, kForAllValues, kForAnyValue };

// A parsed operator name such as "ForAnyValue:StringLikeIfExists".
struct OperatorName {
  ConditionOperator op = ConditionOperator::kStringEquals;
  SetOperator set = SetOperator::kNone;
  bool if_exists = false;
};
// nullopt for a name IAM does not know (operator names are case-sensitive; `Null` takes no IfExists).
std::optional<OperatorName> ParseOperatorName(std::string_view name);

// Whether the operator is a negated matching operator (NOR over its values).
bool IsNegated(ConditionOperator op);

// An IPv4 or IPv6 address range. IPv4 addresses are kept as themselves (4 bytes), never mapped into IPv6,
// so an IPv4 range never matches an IPv6 address and vice versa.
struct IpRange {
  std::array<std::uint8_t, 16> bytes{};
  std::uint8_t length = 4;  // 4 or 16
  std::uint8_t prefix = 32;
};
// "203.0.113.0/24", "2001:DB8::/32", "10.1.2.3" (/32 implied). nullopt when not an address or range.
std::optional<IpRange> ParseIpRange(std::string_view text);
bool IpRangeContains(const IpRange& range, const IpRange& address);

// Milliseconds since the Unix epoch for a W3C ISO 8601 date-time or a decimal epoch-seconds value.
std::optional<std::int64_t> ParseConditionDate(std::string_view text);
// A decimal number ("10", "-2.5", "1e3"); nullopt otherwise.
std::optional<double> ParseConditionNumber(std::string_view text);

class Condition {
 public:
  // Compiles one key of an operator block. `values` are the policy's values as strings (JSON numbers and
  // booleans already turned into their text). Fails (MalformedPolicyDocument) on an unknown operator or a
  // value its type cannot hold.
  static Result<Condition> Compile(std::string_view operator_name, std::string_view key,
                                   const std::vector<std::string>& values, bool variables);

  bool Evaluate(const ContextKeys& keys) const;

  const OperatorName& op() const { return op_; }
  const std::string& key() const { return key_; }  // lower-cased
  bool has_variables() const;

 private:
  bool MatchOne(std::string_view request_value, const ContextKeys& keys) const;

  OperatorName op_;
  std::string key_;
  std::vector<Pattern> strings_;  // String*, Bool
  std::vector<ArnPattern> arns_;
  std::vector<double> numbers_;
  std::vector<std::int64_t> dates_;
  std::vector<IpRange> ranges_;
  std::vector<std::string> binaries_;
  std::vector<bool> nulls_;
};

}  // namespace cenote::iam
