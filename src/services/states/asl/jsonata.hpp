// A documented subset of the JSONata expression language, as Step Functions' JSONata query language uses it
// ("{% expression %}" strings in Arguments, Output, Assign, Condition, Items, ItemSelector, Seconds,
// Timestamp, Error, Cause), with the variables $states (input, context, result, errorOutput) and the
// workflow's own variables (Assign).
//
// Supported: literals (numbers, strings, true, false, null), variables ($states, $name), location paths
// (names are Unicode; a.b.c mapping over arrays, a step's array results flattened into the stream), wildcards
// (* and **), predicates ([n], [-1], [condition], [] to keep an array) applied to what each step produced,
// positional (`step#$i`) and context (`step@$v`, for joins) variable bindings and the parent operator (`%`,
// `%.%`, also through blocks and inner paths: `(a.b)[%.c]`), which make a path a tuple stream (predicates
// then filter the whole stream), order-by clauses (`a.b^(>c, d)`: a stable sort of the stream, T2007/T2008
// for mixed or non-sortable keys), group-by clauses (`a.b{key: value}`: the items grouped per key, the value
// evaluated over each group; T1003, D1009), the root input `$$`, array and object constructors, arithmetic (+
// - * / %), string concatenation (&), comparisons (= != < <= > >= in), and / or, the conditional ?:, blocks
// `(e1; e2)` with variable bindings `$x := e`, lambdas `function($a, $b) { e }` (or `λ`; closures, recursion
// bounded by depth; a signature `<n-n:n>` is read, not checked; `function($x){...}(5)` calls one in place),
// functions as values, partial application (`$f(?, 2)`), composition (`$f ~> $g`), a regular expression after
// ~> (its first match), comments /* */, numbers cast to strings as JavaScript writes them, the chain operator
// ~>, transforms `| location | update [, deletions] |` (functions that copy their argument and merge/delete
// fields of the objects the location selects), regular expressions /re/ (flags i and m; ECMAScript syntax, as
// JavaScript's), and the functions $string $number $boolean $not $exists $count $sum $max $min $average
// $length $substring $substringBefore $substringAfter $uppercase $lowercase $trim $pad $contains $split $join
// $replace $match (strings or regexes) $keys $lookup $merge $append $reverse $shuffle $sort (with a
// comparator) $distinct $zip $spread $round $floor $ceil $abs $power $sqrt $formatBase $formatNumber
// $formatInteger $parseInteger $type $now $millis $toMillis $fromMillis (ISO 8601 or XPath picture strings,
// with a timezone; see jsonata_format.hpp) $map $filter $reduce $single $sift $each $error $assert $eval
// $base64encode $base64decode $encodeUrl(Component) $decodeUrl(Component), and Step Functions' $partition
// $range $hash $random $uuid $parse; the built-ins' arguments are checked against JSONata's signatures
// (T0410, T0412).
// Ranges ([1..5], in array constructors) are supported.
// As JSONata's reference implementation, `%` cannot climb through a function call, a variable or a
// constructor, and $toMillis cannot parse week-based dates ([X] [W] [x] [w] with [F]: D3136).
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

// The value of `expression` with `variables` bound ("states" -> {...}, "x" -> ...) over `input` (the
// context and `$$`; Step Functions evaluates its expressions without one). Undefined (no match) is nullopt.
Result<std::optional<boost::json::value>> EvaluateJsonata(
    std::string_view expression, const boost::json::object& variables,
    const std::optional<boost::json::value>& input = std::nullopt);

// Evaluates every "{% %}" string inside `v` (objects and arrays recursively); other values are copied.
// A template whose value is undefined leaves its member out (as Step Functions does).
Result<boost::json::value> ApplyJsonata(const boost::json::value& v, const boost::json::object& variables);

// Whether `expression` parses.
bool ValidJsonata(std::string_view expression);

}  // namespace cenote::states::asl
