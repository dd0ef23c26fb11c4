// Choice rules (Amazon States Language, JSONPath): the comparison operators (String*, Numeric*, Boolean*,
// Timestamp* and their *Path forms, StringMatches), the type tests (IsNull, IsPresent, IsNumeric, IsString,
// IsBoolean, IsTimestamp) and the Boolean combinators And, Or, Not. Pure; thread-safe.
#pragma once

#include <boost/json.hpp>
#include <string_view>

#include "common/result.hpp"

namespace cenote::states::asl {

// Whether `rule` matches `input`. A Variable (or a *Path operand) that selects nothing is States.Runtime,
// except for IsPresent. A Variable of another type than the operator compares is no match.
Result<bool> EvaluateChoiceRule(const boost::json::object& rule, const boost::json::value& input,
                                const boost::json::value& context);

// The operator member of a rule ("StringEquals", "And", ...), or "" when it has none.
std::string_view ChoiceOperator(const boost::json::object& rule);

// StringMatches: '*' matches any run of characters; "\\*" a literal '*', "\\\\" a backslash.
bool StringMatches(std::string_view text, std::string_view pattern);

}  // namespace cenote::states::asl
