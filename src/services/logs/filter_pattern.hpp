// FilterPattern: CloudWatch Logs' filter and pattern syntax (FilterLogEvents, metric filters, subscription
// filters, TestMetricFilter), parsed once and matched against each event's message.
//
// The forms (AWS: "Filter pattern syntax for metric filters, subscription filters, filter log events"):
//   - ""                    every event;
//   - terms                 `ERROR Exception` (every term, case-sensitive, anywhere in the message),
//                           `"quoted term"` (spaces and punctuation kept), `-term` (the message must not
//                           contain it), `?ERROR ?WARN` (at least one of the ?-terms);
//   - %regex%               a regular expression found anywhere in the message (java_regex subset);
//   - JSON                  `{ $.eventType = "Update*" && ($.code > 400 || $.user.id IS NULL) }`: selectors
//                           `$.a.b`, `$.a[0]`, operators = != (strings with * wildcards, or numbers)
//                           < <= > >= (numbers), IS NULL, NOT EXISTS, IS TRUE, IS FALSE, && || ( ); a message
//                           that is not a JSON object never matches;
//   - space-delimited       `[ip, user, ..., status_code = 4* || status_code = 5*, bytes > 1000]`: the
//   message
//                           split at spaces ("..." and [...] are one field each, without their quotes or
//                           brackets), each field named and optionally compared, `...` standing for any
//                           number of fields; without `...` the number of fields must be the same.
// Parse answers InvalidParameterException (errors::kInvalidFilterPattern) for a pattern outside the syntax.
//
// Immutable after Parse: Matches may run concurrently.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace cenote::logs {

class FilterPattern {
 public:
  static Result<FilterPattern> Parse(std::string_view text);

  FilterPattern(FilterPattern&&) noexcept;
  FilterPattern& operator=(FilterPattern&&) noexcept;
  ~FilterPattern();

  bool Matches(std::string_view message) const;

  // For a matching message, the values TestMetricFilter reports as extractedValues: a space-delimited
  // pattern's fields by "$name" (unnamed ones "$1", "$2", ... by position) and a JSON pattern's selectors by
  // their text ("$.a.b"); empty for term patterns.
  std::map<std::string, std::string> ExtractedValues(std::string_view message) const;

  // True for the pattern that matches every event ("").
  bool MatchesEverything() const;

  struct Impl;

 private:
  explicit FilterPattern(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cenote::logs
