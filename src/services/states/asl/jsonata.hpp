// A documented subset of the JSONata expression language, as Step Functions' JSONata query language uses it
// ("{% expression %}" strings in Arguments, Output, Assign, Condition, Items, ItemSelector, Seconds,
// Timestamp, Error, Cause), with the variables $states (input, context, result, errorOutput) and the
// workflow's own variables (Assign).
//
// Supported: literals (numbers, strings, true, false, null), variables ($states, $name), paths (a.b.c mapping
// over arrays), wildcards (* and **), predicates and indexes ([n], [-1], [condition]), array and object
// constructors, arithmetic (+ - * / %), string concatenation (&), comparisons (= != < <= > >= in), and / or,
// the conditional ?:, blocks `( e1; e2 )` with variable bindings `$x := e`, lambdas `function($a, $b) { e }`
// (closures, recursion bounded by depth), functions as values, the chain operator ~>, regular expressions
// /re/ (flags i and m; ECMAScript syntax, as JavaScript's), and the functions $string $number $boolean $not
// $exists $count $sum $max $min $average $length $substring $substringBefore $substringAfter $uppercase
// $lowercase $trim $pad $contains $split $join $replace $match (strings or regexes) $keys $lookup $merge
// $append $reverse $sort (with a comparator) $distinct $zip $spread $round $floor $ceil $abs $power $sqrt
// $formatBase $type $now $millis $toMillis $fromMillis (ISO 8601, no picture strings) $map $filter $reduce
// $single $sift $each $error $assert $base64encode $base64decode $encodeUrl(Component) $decodeUrl(Component),
// and Step Functions' $partition $range $hash $random $uuid $parse.
// Not supported (an error names them): parent (%), positional and context variable binding (# and @),
// $formatNumber/$formatInteger/$parseInteger, picture strings, $eval, transforms (|...|).
//
// Errors: States.QueryEvaluationError (AWS's name for a failed JSONata evaluation). Pure; thread-safe.
#pragma once

#include <boost/json.hpp>
#include <optional>
#include <string_view>

#include "common/result.hpp"

namespace cenote::states::asl {

// "{% expr %}" -> "expr"; nullopt when `text` is not a JSONata template.
std::optional<std::string_view> JsonataExpression(std::string_view text);

// The value of `expression` with `variables` bound ("states" -> {...}, "x" -> ...). Undefined (no match) is
// nullopt.
Result<std::optional<boost::json::value>> EvaluateJsonata(std::string_view expression,
                                                          const boost::json::object& variables);

// Evaluates every "{% %}" string inside `v` (objects and arrays recursively); other values are copied.
// A template whose value is undefined leaves its member out (as Step Functions does).
Result<boost::json::value> ApplyJsonata(const boost::json::value& v, const boost::json::object& variables);

// Whether `expression` parses.
bool ValidJsonata(std::string_view expression);

}  // namespace cenote::states::asl
