// Event patterns (EventBridge) and filter policies (SNS): one language, parsed once, matched many times.
//
// EventBridge rules, archives and TestEventPattern select events with an event pattern; SNS subscriptions
// select messages with a filter policy written in the same language, over either the message attributes or
// the JSON message body. Both compile a JSON pattern into an EventPattern here and call Matches() per event.
//
// The language (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html):
//   - a pattern is a JSON object; a member whose value is an object matches the event's member of that name
//     as a nested object; a member whose value is an array is a leaf: it matches when ANY element of the
//     array matches ANY of the event's values there (an event array is flattened: every scalar in it is a
//     value);
//   - "$or": [ {...}, {...}, ... ] (at least two objects) at any object level: one of them must match;
//   - array elements: a string (exact, case-sensitive), a number (numeric equality: 300 = 300.0 = 3.0e2),
//     true, false, null (null is not "" and not absent), or one object with a single operator:
//       {"prefix": "s"} / {"prefix": {"equals-ignore-case": "s"}}, {"suffix": ...} likewise,
//       {"equals-ignore-case": "s"}, {"wildcard": "a*b"} (`\*` and `\\` escape; "**" is invalid),
//       {"anything-but": "s" | n | ["s", ...] | [n, ...] | {"prefix": "s"} | {"suffix": "s"} |
//                        {"equals-ignore-case": "s" | [...]} | {"wildcard": "s" | [...]}},
//       {"numeric": [">", 0, "<=", 5]} (=, <, <=, >, >=; one lower and one upper bound),
//       {"exists": true | false}, {"cidr": "10.0.0.0/24" | "2001:db8::/32"}.
//   String operators match only string values; numeric and numeric anything-but only number values;
//   string anything-but matches every present value that is not one of its strings (numbers, true, null too).
//   {"exists": false} matches when the field has no value at all (absent, an empty array, or an object where
//   a leaf was expected); a null value exists. Operators apply to leaves only: an object value has no leaf
//   value. Fields matched inside an array of objects must all come from the same element (AWS's array
//   consistency).
//
// Dialects differ only in validation: kEventBridge answers InvalidEventPatternException "Event pattern is not
// valid. Reason: ..."; the SNS dialects answer InvalidParameter "Invalid parameter: FilterPolicy: ...", limit
// a policy to 5 keys and 150 combinations, and the attribute scope refuses nested objects.
//
// Thread safety: an EventPattern is immutable after Parse; Matches() is const, allocates nothing and may run
// on many threads at once.
#pragma once

#include <boost/json.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace cenote::services {

enum class PatternDialect {
  kEventBridge,           // EventBridge event patterns (rules, archives, TestEventPattern).
  kSnsMessageAttributes,  // SNS FilterPolicyScope MessageAttributes (the default): flat, over attributes.
  kSnsMessageBody,        // SNS FilterPolicyScope MessageBody: nested, over the JSON message body.
};

struct PatternNode;  // The compiled form (event_pattern.cpp).

class EventPattern {
 public:
  // Parses and validates `pattern_json`. On failure the Error carries the dialect's code and message
  // (EventBridge: 400 InvalidEventPatternException; SNS: 400 InvalidParameter).
  static Result<EventPattern> Parse(std::string_view pattern_json, PatternDialect dialect);

  // True when `event` (an EventBridge event, an SNS message body, or MessageAttributesAsEvent's object)
  // matches. Allocation-free.
  bool Matches(const boost::json::value& event) const;

  // Leaf keys and value combinations, as SNS counts them for its limits (5 and 150).
  int key_count() const { return key_count_; }
  long long combinations() const { return combinations_; }

  EventPattern(EventPattern&&) noexcept;
  EventPattern& operator=(EventPattern&&) noexcept;
  ~EventPattern();

 private:
  EventPattern();
  std::unique_ptr<PatternNode> root_;
  int key_count_ = 0;
  long long combinations_ = 0;
};

// One SNS message attribute as Publish received it.
struct TypedAttribute {
  std::string_view name;
  std::string_view data_type;  // "String", "Number", "String.Array", "Binary", optionally ".custom"-suffixed.
  std::string_view string_value;  // StringValue (Binary attributes are ignored by filter policies).
};

// The object an SNS attribute-scope filter policy is matched against: String -> JSON string, Number -> JSON
// number (a value that does not parse as a number is left out), String.Array -> the parsed JSON array (left
// out when not a JSON array), Binary -> left out, as SNS documents.
boost::json::object MessageAttributesAsEvent(const std::vector<TypedAttribute>& attributes);

}  // namespace cenote::services
