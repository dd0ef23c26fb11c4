// JSONata's number and date/time formatting functions, after XPath and XQuery Functions and Operators 3.1
// (format-integer §4.6.1, format-number §4.7, format-dateTime §9.8), as JSONata implements them:
//   $formatInteger(n, picture)   decimal digit patterns ("#,##0", "0001", any Unicode digit family),
//                                 grouping (regular or at fixed places), "I"/"i" (roman), "W"/"w"/"Ww"
//                                 (English words), "A"/"a" (letters); ";o" ordinal ("23rd", "twenty-third")
//   $parseInteger(s, picture)    the inverse
//   $formatNumber(n, picture, options)  sub-pictures (positive;negative), prefixes/suffixes, grouping,
//                                 fraction digits, percent and per-mille, exponents; the decimal format
//                                 options (decimal-separator, grouping-separator, exponent-separator,
//                                 zero-digit, digit, percent, per-mille, minus-sign, pattern-separator,
//                                 infinity, NaN)
//   $fromMillis(ms, picture, tz) / $toMillis(s, picture)  markers [Y] [M] [D] [d] [F] [W] [X] [w] [x] [H]
//                                 [h] [P] [m] [s] [f] [Z] [z] [C] [E] with presentation and width
//                                 modifiers; a timezone "+hhmm" / "-hhmm". Week-based components are
//                                 formatted; parsed as JSONata's reference implementation parses them
//                                 (ignored beside a year-month-day date, D3136 for a date given by week).
// Errors are States.QueryEvaluationError (AWS's name for a failed JSONata evaluation) with JSONata's error
// code (D3130...) in the message. Pure; thread-safe.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace cenote::states::asl {

Result<std::string> FormatInteger(double value, std::string_view picture);

Result<double> ParseInteger(std::string_view text, std::string_view picture);

// `options` may be null.
Result<std::string> FormatNumber(double value, std::string_view picture, const boost::json::object* options);

// `picture` empty: ISO 8601 with milliseconds; `timezone` empty: UTC.
Result<std::string> FormatDateTime(std::int64_t millis, std::string_view picture, std::string_view timezone);

// Nullopt when `text` does not match `picture`.
Result<std::optional<std::int64_t>> ParseDateTime(std::string_view text, std::string_view picture,
                                                  std::int64_t now_millis);

}  // namespace cenote::states::asl
