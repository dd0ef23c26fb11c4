// The JSONPath side of the Amazon States Language: paths (InputPath, OutputPath, ItemsPath, Choice
// Variables), reference paths (ResultPath), payload templates (Parameters, ResultSelector, ItemSelector:
// "key.$" members), the context object ("$$.") and the intrinsic functions (States.Format ... States.UUID).
//
// Errors are values: Error{code = the States.* error name, message = the cause AWS reports}.
// Pure functions over boost::json values; thread-safe.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace cenote::states::asl {

namespace json = boost::json;

// A parsed path: whether it selects exactly one node ("definite": only names and indices) and its steps.
// `Parse` accepts the JSONPath subset Step Functions documents: $, .name, ['name'], [n], [*], .*, [a,b],
// [start:end], ..name, and filters [?(@.a op literal)] / [?(@.a)].
struct Path;
Result<std::shared_ptr<const Path>> ParsePath(std::string_view text);

// The value `path` selects in `root`: one value for a definite path (absent when it matches nothing), an
// array of the matches for any other path (possibly empty).
std::optional<json::value> Select(const Path& path, const json::value& root);
bool IsDefinite(const Path& path);

// Evaluates `text` ("$..." or "$$..." with `context`) against `input`. A definite path that matches nothing
// is States.Runtime with AWS's cause ("Invalid path '$.x' : No results for path: $['x']").
Result<json::value> EvaluatePath(std::string_view text, const json::value& input, const json::value& context);

// A reference path (ResultPath): sets `value` at `path` in a copy of `input` ("$" replaces the input),
// creating intermediate objects. States.Runtime when the path goes through a non-object.
Result<json::value> ApplyResultPath(std::string_view path, const json::value& input, json::value value);

// A payload template: members named "key.$" are replaced by "key": the path's value ("$..."), the context
// object's ("$$..."), or an intrinsic function's result ("States.Array(...)"); other members are copied,
// nested objects and arrays recursively. `field` names the ASL field for error causes ("Parameters").
Result<json::value> ApplyTemplate(const json::value& tmpl, const json::value& input,
                                  const json::value& context);

// An intrinsic function call ("States.Format('{}', $.a)"). Errors: States.IntrinsicFailure (bad arguments)
// and States.Runtime (a path that matches nothing).
Result<json::value> EvaluateIntrinsic(std::string_view text, const json::value& input,
                                      const json::value& context);

// Checks a path, reference path or intrinsic at definition time; the error message says what is wrong.
bool ValidPath(std::string_view text);
bool ValidReferencePath(std::string_view text);
bool ValidIntrinsic(std::string_view text);

// RFC 3339 timestamps ("2016-03-14T01:59:00Z", fractions and offsets): milliseconds since the epoch.
std::optional<std::int64_t> ParseTimestamp(std::string_view text);
// "2016-03-14T01:59:00.123Z".
std::string FormatTimestamp(std::int64_t ms);

// The serialization AWS uses for JSON in strings (compact).
std::string ToJsonText(const json::value& v);

}  // namespace cenote::states::asl
