// The Amazon States Language interpreter on its own: JSONPath, payload templates, intrinsic functions,
// Choice rules, definition validation, and executions driven step by step with a scripted TaskRunner.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <functional>
#include <map>

#include "services/states/asl/choice.hpp"
#include "services/states/asl/definition.hpp"
#include "services/states/asl/interpreter.hpp"
#include "services/states/asl/json_path.hpp"
#include "services/states/asl/jsonata.hpp"

namespace cenote::states::asl {
namespace {

json::value J(std::string_view text) { return json::parse(text); }

TaskOutcome Succeeds(json::value output) {
  TaskOutcome o;
  o.output = std::move(output);
  return o;
}
TaskOutcome Fails(std::string error, std::string cause) {
  TaskOutcome o;
  o.kind = TaskOutcome::Kind::kFailed;
  o.error = std::move(error);
  o.cause = std::move(cause);
  return o;
}
TaskOutcome Awaits() {
  TaskOutcome o;
  o.kind = TaskOutcome::Kind::kAwaitToken;
  return o;
}

TEST(AslJsonPath, SelectsAndReportsMissingPaths) {
  const json::value in = J(R"j({"a":{"b":[1,2,3],"c":"x"},"items":[{"n":1,"ok":true},{"n":5,"ok":false}]})j");
  const json::value ctx = J(R"j({"Execution":{"Id":"arn:x"}})j");
  EXPECT_EQ(*EvaluatePath("$", in, ctx), in);
  EXPECT_EQ(*EvaluatePath("$.a.c", in, ctx), J(R"j("x")j"));
  EXPECT_EQ(*EvaluatePath("$.a.b[1]", in, ctx), J("2"));
  EXPECT_EQ(*EvaluatePath("$.a.b[-1]", in, ctx), J("3"));
  EXPECT_EQ(*EvaluatePath("$['a']['c']", in, ctx), J(R"j("x")j"));
  EXPECT_EQ(*EvaluatePath("$.a.b[*]", in, ctx), J("[1,2,3]"));
  EXPECT_EQ(*EvaluatePath("$.a.b[0:2]", in, ctx), J("[1,2]"));
  EXPECT_EQ(*EvaluatePath("$.items[*].n", in, ctx), J("[1,5]"));
  EXPECT_EQ(*EvaluatePath("$..n", in, ctx), J("[1,5]"));
  EXPECT_EQ(*EvaluatePath("$.items[?(@.n > 2)].n", in, ctx), J("[5]"));
  EXPECT_EQ(*EvaluatePath("$.items[?(@.ok == true)].n", in, ctx), J("[1]"));
  EXPECT_EQ(*EvaluatePath("$$.Execution.Id", in, ctx), J(R"j("arn:x")j"));
  auto missing = EvaluatePath("$.nope", in, ctx);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "States.Runtime");
  EXPECT_EQ(missing.error().message, "Invalid path '$.nope' : No results for path: $['nope']");
  EXPECT_FALSE(ValidPath("a.b"));
  EXPECT_FALSE(ValidPath("$.a["));
  EXPECT_TRUE(ValidReferencePath("$.a.b[0]"));
  EXPECT_FALSE(ValidReferencePath("$.a[*]"));
}

TEST(AslJsonPath, ResultPathAndTemplates) {
  const json::value in = J(R"j({"a":1,"nested":{"x":2}})j");
  EXPECT_EQ(*ApplyResultPath("$", in, J("5")), J("5"));
  EXPECT_EQ(*ApplyResultPath("$.r", in, J("5")), J(R"j({"a":1,"nested":{"x":2},"r":5})j"));
  EXPECT_EQ(*ApplyResultPath("$.nested.y.z", in, J("5")), J(R"j({"a":1,"nested":{"x":2,"y":{"z":5}}})j"));
  EXPECT_EQ(ApplyResultPath("$.a.b", in, J("5")).error().code, "States.Runtime");
  const json::value ctx = J(R"j({"Execution":{"Name":"e1"}})j");
  auto t = ApplyTemplate(J(R"j({"k":"v","a.$":"$.a","n":{"x.$":"$.nested.x"},"e.$":"$$.Execution.Name",
                                "f.$":"States.Format('{} and {}', $.a, $.nested.x)"})j"),
                         in, ctx);
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(*t, J(R"j({"k":"v","a":1,"n":{"x":2},"e":"e1","f":"1 and 2"})j"));
  auto bad = ApplyTemplate(J(R"j({"a.$":"$.missing"})j"), in, ctx);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "States.Runtime");
  EXPECT_EQ(bad.error().message,
            "The JSONPath '$.missing' specified for the field 'a.$' could not be found in the input "
            "'{\"a\":1,\"nested\":{\"x\":2}}'");
}

struct IntrinsicCase {
  const char* expr;
  const char* want;  // JSON, or "error:<code>"
};

TEST(AslIntrinsics, EveryFunction) {
  const json::value in = J(R"j({"arr":[1,2,2,3],"s":"a,b,,c","o1":{"a":1},"o2":{"b":2},"str":"hello"})j");
  const json::value ctx = json::object{};
  const IntrinsicCase cases[] = {
      {"States.Format('Hello {}!', $.str)", R"j("Hello hello!")j"},
      {"States.Format('\\{\\} {}', 1)", R"j("{} 1")j"},
      {"States.Format('{} {}', 1)", "error:States.IntrinsicFailure"},
      {"States.StringToJson('{\"x\":1}')", R"j({"x":1})j"},
      {"States.JsonToString($.o1)", R"j("{\"a\":1}")j"},
      {"States.Array(1, 'two', $.o1, null, true)", R"j([1,"two",{"a":1},null,true])j"},
      {"States.ArrayPartition($.arr, 3)", "[[1,2,2],[3]]"},
      {"States.ArrayContains($.arr, 3)", "true"},
      {"States.ArrayContains($.arr, 9)", "false"},
      {"States.ArrayRange(1, 9, 2)", "[1,3,5,7,9]"},
      {"States.ArrayRange(5, 1, -2)", "[5,3,1]"},
      {"States.ArrayGetItem($.arr, 3)", "3"},
      {"States.ArrayGetItem($.arr, 7)", "error:States.IntrinsicFailure"},
      {"States.ArrayLength($.arr)", "4"},
      {"States.ArrayUnique($.arr)", "[1,2,3]"},
      {"States.Base64Encode('Data to encode')", R"j("RGF0YSB0byBlbmNvZGU=")j"},
      {"States.Base64Decode('RGF0YSB0byBlbmNvZGU=')", R"j("Data to encode")j"},
      {"States.Hash('input data', 'SHA-1')", R"j("aaff4a450a104cd177d28d18d74485e8cae074b7")j"},
      {"States.Hash('abc', 'MD5')", R"j("900150983cd24fb0d6963f7d28e17f72")j"},
      {"States.Hash('abc', 'SHA-2')", "error:States.IntrinsicFailure"},
      {"States.JsonMerge($.o1, $.o2, false)", R"j({"a":1,"b":2})j"},
      {"States.MathAdd(111, -1)", "110"},
      {"States.StringSplit($.s, ',')", R"j(["a","b","c"])j"},
      {"States.StringSplit('This.is+a,test=string', '.+,=')", R"j(["This","is","a","test","string"])j"},
      {"States.ArrayLength(States.Array(1, 2))", "2"},
      {"States.Nope(1)", "error:States.IntrinsicFailure"},
  };
  for (const auto& c : cases) {
    auto r = EvaluateIntrinsic(c.expr, in, ctx);
    std::string_view want = c.want;
    if (want.starts_with("error:")) {
      ASSERT_FALSE(r.ok()) << c.expr;
      EXPECT_EQ(r.error().code, want.substr(6)) << c.expr;
    } else {
      ASSERT_TRUE(r.ok()) << c.expr << ": " << r.error().message;
      EXPECT_EQ(*r, J(want)) << c.expr;
    }
  }
  auto rnd = EvaluateIntrinsic("States.MathRandom(1, 10)", in, ctx);
  ASSERT_TRUE(rnd.ok());
  EXPECT_GE(rnd->as_int64(), 1);
  EXPECT_LT(rnd->as_int64(), 10);
  auto uuid = EvaluateIntrinsic("States.UUID()", in, ctx);
  ASSERT_TRUE(uuid.ok());
  EXPECT_EQ(uuid->as_string().size(), 36u);
  EXPECT_TRUE(ValidIntrinsic("States.Format('{}', $.a)"));
  EXPECT_FALSE(ValidIntrinsic("States.Format('{}', $.a"));
  EXPECT_FALSE(ValidIntrinsic("States.Unknown()"));
}

struct JsonataCase {
  const char* expr;
  const char* want;  // JSON, "undefined", or "error"
};

TEST(AslJsonata, DocumentedSubset) {
  const json::object vars = J(R"j({"states":{"input":{"a":2,"b":[1,2,3],"name":"Ada","o":{"k":"v"},
      "orders":[{"id":1,"qty":2,"price":5},{"id":2,"qty":1,"price":7}]}},"count":3})j")
                                .as_object();
  const JsonataCase cases[] = {
      {"$states.input.a", "2"},
      {"$states.input.a * 10 + 1", "21"},
      {"$states.input.b[1]", "2"},
      {"$states.input.b[-1]", "3"},
      {"$states.input.b[$ > 1]", "[2,3]"},
      {"$states.input.orders.id", "[1,2]"},
      {"$states.input.orders[qty > 1].price", "5"},
      {"$sum($states.input.orders.(qty * price))", "17"},
      {"$count($states.input.b)", "3"},
      {"$states.input.name & ' Lovelace'", R"j("Ada Lovelace")j"},
      {"$uppercase($states.input.name)", R"j("ADA")j"},
      {"$states.input.a > 1 ? 'big' : 'small'", R"j("big")j"},
      {"$states.input.a = 2 and $count <= 3", "true"},
      {"$states.input.missing", "undefined"},
      {"$exists($states.input.missing)", "false"},
      {"{'x': $states.input.a, 'list': [1, $states.input.a]}", R"j({"x":2,"list":[1,2]})j"},
      {"$string($states.input.o)", R"j("{\"k\":\"v\"}")j"},
      {"$join(['a','b'], '-')", R"j("a-b")j"},
      {"$split('a,b,c', ',')", R"j(["a","b","c"])j"},
      {"$substring('hello', 1, 3)", R"j("ell")j"},
      {"$round(2.5)", "2"},
      {"$max($states.input.b)", "3"},
      {"$merge([{'a':1},{'b':2}])", R"j({"a":1,"b":2})j"},
      {"$partition([1,2,3], 2)", "[[1,2],[3]]"},
      {"$range(1, 5, 2)", "[1,3,5]"},
      {"$hash('abc', 'MD5')", R"j("900150983cd24fb0d6963f7d28e17f72")j"},
      {"$parse('{\"z\":1}').z", "1"},
      {"2 in $states.input.b", "true"},
      {"$map($states.input.b, function($v){$v * 2})", "[2,4,6]"},
      {"$map($states.input.b, function($v, $i){$v + $i})", "[1,3,5]"},
      {"$map(['1','2'], $number)", "[1,2]"},
      {"$filter($states.input.orders, function($o){$o.qty > 1}).id", "1"},
      {"$reduce($states.input.b, function($acc, $v){$acc + $v})", "6"},
      {"$reduce($states.input.b, function($acc, $v){$acc + $v}, 10)", "16"},
      {"$single($states.input.orders, function($o){$o.id = 2}).price", "7"},
      {"$single($states.input.orders, function($o){$o.id > 0})", "error"},
      {"$sort($states.input.orders, function($l, $r){$l.price < $r.price}).id", "[2,1]"},
      {"$sift($states.input.o, function($v){$v = 'v'})", R"j({"k":"v"})j"},
      {"$each($states.input.o, function($v, $k){$k & '=' & $v})", R"j("k=v")j"},
      {"$states.input.b ~> $sum()", "6"},
      {"$states.input.name ~> $uppercase", R"j("ADA")j"},
      {"$states.input.name ~> $substring(1) ~> $lowercase()", R"j("da")j"},
      {"($x := 5; $y := $x * 2; $y + 1)", "11"},
      {"($f := function($n){ $n <= 1 ? 1 : $n * $f($n - 1) }; $f(5))", "120"},
      {"($add := function($a, $b){ $a + $b }; $map([1, 2], function($v){ $add($v, $count) }))", "[4,5]"},
      {"$contains('abc123', /[0-9]+/)", "true"},
      {"$contains('ABC', /b/i)", "true"},
      {"$match('a1b22', /[0-9]+/).match", R"j(["1","22"])j"},
      {"$match('key=value', /(\\w+)=(\\w+)/).groups", R"j(["key","value"])j"},
      {"$replace('hello world', /o/, '0')", R"j("hell0 w0rld")j"},
      {"$replace('John Smith', /(\\w+)\\s(\\w+)/, '$2, $1')", R"j("Smith, John")j"},
      {"$replace('a-b', /-/, function($m){ '[' & $m.match & ']' })", R"j("a[-]b")j"},
      {"$split('a1b2c', /[0-9]/)", R"j(["a","b","c"])j"},
      {"$states.input.o.*", R"j("v")j"},
      {"$count($states.input.orders.**)", "8"},  // each order itself and its three values
      {"$formatBase(255, 16)", R"j("ff")j"},
      {"$pad('ab', 4, '.')", R"j("ab..")j"},
      {"$pad('ab', -4)", R"j("  ab")j"},
      {"$zip([1,2],[3,4])", "[[1,3],[2,4]]"},
      {"$toMillis('2024-01-01T00:00:00Z')", "1704067200000"},
      {"$toMillis($fromMillis(1704067200000))", "1704067200000"},
      {"$base64decode($base64encode('hi'))", R"j("hi")j"},
      {"$encodeUrlComponent('a b&c')", R"j("a%20b%26c")j"},
      {"$error('boom')", "error"},
      {"$assert(1 = 2, 'nope')", "error"},
      {"$map($states.input.b, 5)", "error"},
      {"($f := function($n){ $f($n) }; $f(1))", "error"},
      {"1 +", "error"},
  };
  for (const auto& c : cases) {
    auto r = EvaluateJsonata(c.expr, vars);
    std::string_view want = c.want;
    if (want == "error") {
      EXPECT_FALSE(r.ok()) << c.expr;
      if (!r.ok()) {
        EXPECT_EQ(r.error().code, "States.QueryEvaluationError");
      }
      continue;
    }
    ASSERT_TRUE(r.ok()) << c.expr << ": " << r.error().message;
    if (want == "undefined") {
      EXPECT_FALSE(r->has_value()) << c.expr;
    } else {
      ASSERT_TRUE(r->has_value()) << c.expr;
      EXPECT_EQ(**r, J(want)) << c.expr << " gave " << json::serialize(**r);
    }
  }
  EXPECT_EQ(*JsonataExpression(" {% $a %} "), "$a");
  EXPECT_FALSE(JsonataExpression("$a").has_value());
  auto applied =
      ApplyJsonata(J(R"j({"k":"{% $states.input.a %}","gone":"{% $states.input.nope %}","lit":"x"})j"), vars);
  ASSERT_TRUE(applied.ok());
  EXPECT_EQ(*applied, J(R"j({"k":2,"lit":"x"})j"));
  // A function is not a value a state can output.
  auto fn = ApplyJsonata(J(R"j("{% function($v){ $v } %}")j"), vars);
  ASSERT_FALSE(fn.ok());
  EXPECT_EQ(fn.error().code, "States.QueryEvaluationError");
}

struct ChoiceCase {
  const char* rule;
  bool want;
};

TEST(AslChoice, EveryOperator) {
  const json::value in = J(R"j({"s":"abc","n":5,"b":true,"t":"2024-01-02T03:04:05Z","nul":null,"other":"abc",
                              "m":7,"t2":"2024-01-02T03:04:06+00:00","file":"log-2024.txt"})j");
  const ChoiceCase cases[] = {
      {R"j({"Variable":"$.s","StringEquals":"abc"})j", true},
      {R"j({"Variable":"$.s","StringEqualsPath":"$.other"})j", true},
      {R"j({"Variable":"$.s","StringLessThan":"abd"})j", true},
      {R"j({"Variable":"$.s","StringGreaterThan":"abd"})j", false},
      {R"j({"Variable":"$.s","StringLessThanEquals":"abc"})j", true},
      {R"j({"Variable":"$.s","StringGreaterThanEqualsPath":"$.other"})j", true},
      {R"j({"Variable":"$.file","StringMatches":"log-*.txt"})j", true},
      {R"j({"Variable":"$.file","StringMatches":"log-*.csv"})j", false},
      {R"j({"Variable":"$.n","NumericEquals":5})j", true},
      {R"j({"Variable":"$.n","NumericLessThanPath":"$.m"})j", true},
      {R"j({"Variable":"$.n","NumericGreaterThan":5})j", false},
      {R"j({"Variable":"$.n","NumericGreaterThanEquals":5})j", true},
      {R"j({"Variable":"$.n","NumericLessThanEquals":4.5})j", false},
      {R"j({"Variable":"$.s","NumericEquals":5})j", false},
      {R"j({"Variable":"$.b","BooleanEquals":true})j", true},
      {R"j({"Variable":"$.b","BooleanEqualsPath":"$.b"})j", true},
      {R"j({"Variable":"$.t","TimestampEquals":"2024-01-02T03:04:05Z"})j", true},
      {R"j({"Variable":"$.t","TimestampLessThanPath":"$.t2"})j", true},
      {R"j({"Variable":"$.t","TimestampGreaterThan":"2024-01-02T03:04:05Z"})j", false},
      {R"j({"Variable":"$.nul","IsNull":true})j", true},
      {R"j({"Variable":"$.s","IsNull":true})j", false},
      {R"j({"Variable":"$.missing","IsPresent":false})j", true},
      {R"j({"Variable":"$.s","IsPresent":true})j", true},
      {R"j({"Variable":"$.n","IsNumeric":true})j", true},
      {R"j({"Variable":"$.s","IsString":true})j", true},
      {R"j({"Variable":"$.b","IsBoolean":true})j", true},
      {R"j({"Variable":"$.t","IsTimestamp":true})j", true},
      {R"j({"Variable":"$.s","IsTimestamp":true})j", false},
      {R"j({"And":[{"Variable":"$.n","NumericEquals":5},{"Variable":"$.b","BooleanEquals":true}]})j", true},
      {R"j({"Or":[{"Variable":"$.n","NumericEquals":4},{"Variable":"$.b","BooleanEquals":false}]})j", false},
      {R"j({"Not":{"Variable":"$.n","NumericEquals":4}})j", true},
  };
  for (const auto& c : cases) {
    auto r = EvaluateChoiceRule(J(c.rule).as_object(), in, json::object{});
    ASSERT_TRUE(r.ok()) << c.rule << ": " << r.error().message;
    EXPECT_EQ(*r, c.want) << c.rule;
  }
  auto missing =
      EvaluateChoiceRule(J(R"j({"Variable":"$.zz","StringEquals":"a"})j").as_object(), in, json::object{});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "States.Runtime");
  EXPECT_TRUE(StringMatches("a*b", "a\\*b"));
  EXPECT_FALSE(StringMatches("axb", "a\\*b"));
  EXPECT_TRUE(StringMatches("anything", "*"));
}

struct DefinitionCase {
  const char* definition;
  const char* message;  // "" when valid; else a substring of the InvalidDefinition message
};

TEST(AslDefinition, ValidatesAsAwsDoes) {
  const DefinitionCase cases[] = {
      {R"j({"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}})j", ""},
      {R"j({"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Succeed"}}})j", ""},
      {R"j({"StartAt":"A","States":{"A":{"Type":"Pass","Nxt":"B","End":true}}})j",
       "SCHEMA_VALIDATION_FAILED: Field 'Nxt' is not supported at /States/A"},
      {R"j({"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"}}})j",
       "MISSING_TRANSITION_TARGET: Missing 'Next' target: B at /States/A/Next"},
      {R"j({"StartAt":"A","States":{"A":{"Type":"Pass","End":true},"B":{"Type":"Succeed"}}})j",
       "MISSING_TRANSITION_TARGET: State \"B\" is not reachable. at /States/B"},
      {R"j({"StartAt":"A","States":{"A":{"Type":"Bogus","End":true}}})j", "at /States/A/Type"},
      {R"j({"StartAt":"A","States":{"A":{"Type":"Pass","Next":7}}})j",
       "The value for the field 'Next' must be a STRING at /States/A/Next"},
      {R"j({"StartAt":"A","States":{"A":{"Type":"Pass"}}})j", "These fields are required"},
      {R"j({"StartAt":"A","States":{"A":{"Type":"Task","End":true}}})j",
       "These fields are required: [Resource]"},
      {R"j({"StartAt":"A","States":{"A":{"Type":"Pass","InputPath":"a.b","End":true}}})j",
       "The value for the field 'InputPath' must be a valid JSONPath at /States/A/InputPath"},
      {R"j({"StartAt":"A","States":{"A":{"Type":"Wait","End":true}}})j", "Exactly one of"},
      {R"j({"StartAt":"A","States":{"A":{"Type":"Choice","Choices":[{"Variable":"$.a","Next":"A"}]}}})j",
       "comparison operator"},
      {R"j({"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"x.$":"States.Nope()"},"End":true}}})j",
       "at /States/A/Parameters/x.$"},
      {R"j({"StartAt":"A","States":{"A":{"Type":"Map","ItemProcessor":{"StartAt":"B","States":{"B":{"Type":"Pass","Next":"C"}}},"End":true}}})j",
       "Missing 'Next' target: C at /States/A/ItemProcessor/States/B/Next"},
      {R"j({"StartAt":"A","QueryLanguage":"JSONata","States":{"A":{"Type":"Pass","Output":"{% $states.input %}","End":true}}})j",
       ""},
      {R"j({"StartAt":"A","QueryLanguage":"JSONata","States":{"A":{"Type":"Pass","Parameters":{},"End":true}}})j",
       "Field 'Parameters' is not supported in JSONata at /States/A"},
      {R"j({"StartAt":"A","States":{"A":{"Type":"Pass","Output":{},"End":true}}})j",
       "Field 'Output' is not supported in JSONPath at /States/A"},
      {R"j({"StartAt":"A","QueryLanguage":"JSONata","States":{"A":{"Type":"Pass","Output":"{% 1 + %}","End":true}}})j",
       "is not a valid JSONata expression at /States/A/Output"},
      {R"j(not json)j", "INVALID_JSON_DESCRIPTION"},
      // ResultWriter: Distributed Maps only, written with s3:putObject.
      {R"j({"StartAt":"A","States":{"A":{"Type":"Map","ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"B","States":{"B":{"Type":"Pass","End":true}}},"ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"b","Prefix":"p"}},"Label":"L","End":true}}})j",
       ""},
      {R"j({"StartAt":"A","States":{"A":{"Type":"Map","ItemProcessor":{"StartAt":"B","States":{"B":{"Type":"Pass","End":true}}},"ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"b"}},"End":true}}})j",
       "only supported for Map states in DISTRIBUTED mode at /States/A/ResultWriter"},
      {R"j({"StartAt":"A","States":{"A":{"Type":"Map","ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"B","States":{"B":{"Type":"Pass","End":true}}},"ResultWriter":{"Resource":"arn:aws:states:::s3:getObject"},"End":true}}})j",
       "at /States/A/ResultWriter/Resource"},
      {R"j({"StartAt":"A","States":{"A":{"Type":"Map","ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"B","States":{"B":{"Type":"Pass","End":true}}},"Label":"a:b","End":true}}})j",
       "at /States/A/Label"},
      // WriterConfig: alone (the Map's output formatted) or with an export; AWS's values only.
      {R"j({"StartAt":"A","States":{"A":{"Type":"Map","ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"B","States":{"B":{"Type":"Pass","End":true}}},"ResultWriter":{"WriterConfig":{"Transformation":"FLATTEN","OutputType":"JSONL"}},"End":true}}})j",
       ""},
      {R"j({"StartAt":"A","States":{"A":{"Type":"Map","ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"B","States":{"B":{"Type":"Pass","End":true}}},"ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"b"},"WriterConfig":{"Transformation":"COMPACT","OutputType":"JSON"}},"End":true}}})j",
       ""},
      {R"j({"StartAt":"A","States":{"A":{"Type":"Map","ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"B","States":{"B":{"Type":"Pass","End":true}}},"ResultWriter":{"WriterConfig":{"Transformation":"SQUASH"}},"End":true}}})j",
       "must be one of NONE, COMPACT, FLATTEN at /States/A/ResultWriter/WriterConfig/Transformation"},
      {R"j({"StartAt":"A","States":{"A":{"Type":"Map","ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"B","States":{"B":{"Type":"Pass","End":true}}},"ResultWriter":{"WriterConfig":{"OutputType":"CSV"}},"End":true}}})j",
       "must be one of JSON, JSONL at /States/A/ResultWriter/WriterConfig/OutputType"},
      {R"j({"StartAt":"A","States":{"A":{"Type":"Map","ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"B","States":{"B":{"Type":"Pass","End":true}}},"ResultWriter":{},"End":true}}})j",
       "at /States/A/ResultWriter"},
  };
  for (const auto& c : cases) {
    auto r = ParseDefinition(c.definition);
    if (std::string_view(c.message).empty()) {
      EXPECT_TRUE(r.ok()) << c.definition << ": " << r.error().message;
      continue;
    }
    ASSERT_FALSE(r.ok()) << c.definition;
    EXPECT_EQ(r.error().code, "InvalidDefinition");
    EXPECT_TRUE(r.error().message.starts_with("Invalid State Machine Definition: '")) << r.error().message;
    EXPECT_NE(r.error().message.find(c.message), std::string::npos) << r.error().message;
  }
}

// A TaskRunner answering from a script: resource -> outcome function; records every call.
class ScriptedTasks final : public TaskRunner {
 public:
  std::map<std::string, std::function<TaskOutcome(const TaskRequest&)>> script;
  std::vector<TaskRequest> calls;
  TaskOutcome Start(const ExecutionInfo&, const TaskRequest& r) override {
    calls.push_back(r);
    auto it = script.find(r.resource);
    if (it == script.end()) return Succeeds(r.parameters);
    return it->second(r);
  }
  TaskOutcome Poll(const ExecutionInfo&, const TaskRequest& r) override {
    calls.push_back(r);
    return Succeeds(json::object{{"polled", true}});
  }
  // Map Runs: the requests made, and the state every run reports.
  std::vector<MapRunRequest> map_runs;
  MapRunStatus map_run_status{"RUNNING", nullptr, "", ""};
  Result<std::pair<std::string, bool>> StartMapRun(const ExecutionInfo&, const MapRunRequest& r) override {
    map_runs.push_back(r);
    return std::pair<std::string, bool>{"arn:aws:states:us-east-1:000000000000:mapRun:sm/L:1", false};
  }
  MapRunStatus MapRunState(const ExecutionInfo&, const std::string&) override { return map_run_status; }
};

class AslRun : public ::testing::Test {
 protected:
  void Start(std::string_view definition, std::string_view input = "{}") {
    auto d = ParseDefinition(definition);
    ASSERT_TRUE(d.ok()) << d.error().message;
    definition_ = *d;
    info_.execution_arn = "arn:aws:states:us-east-1:000000000000:execution:sm:e1";
    info_.name = "e1";
    info_.state_machine_arn = "arn:aws:states:us-east-1:000000000000:stateMachine:sm";
    info_.state_machine_name = "sm";
    info_.start_ms = now_;
    run_ = Interpreter::NewRun(J(input));
  }
  Advance Step() {
    Interpreter it(definition_, info_, tasks_);
    Advance a = it.Step(run_, now_);
    for (const auto& e : a.events) events_.push_back(e);
    return a;
  }
  std::vector<std::string> Types() const {
    std::vector<std::string> out;
    for (const auto& e : events_) out.emplace_back(e.at("type").as_string());
    return out;
  }
  std::string Status() const { return std::string(run_.at("status").as_string()); }

  json::object definition_;
  ExecutionInfo info_;
  ScriptedTasks tasks_;
  json::object run_;
  std::vector<json::object> events_;
  std::int64_t now_ = 1'700'000'000'000;
};

TEST_F(AslRun, PassChainWithPathsAndHistory) {
  Start(R"j({"StartAt":"A","States":{
      "A":{"Type":"Pass","Result":{"x":1},"ResultPath":"$.r","Next":"B"},
      "B":{"Type":"Pass","Parameters":{"v.$":"$.r.x","name.$":"$$.Execution.Name"},"OutputPath":"$","Next":"C"},
      "C":{"Type":"Succeed","OutputPath":"$.v"}}})j",
        R"j({"in":true})j");
  Advance a = Step();
  EXPECT_TRUE(a.done);
  EXPECT_EQ(Status(), "SUCCEEDED");
  EXPECT_EQ(run_.at("output"), J("1"));
  EXPECT_EQ(Types(), (std::vector<std::string>{"ExecutionStarted", "PassStateEntered", "PassStateExited",
                                               "PassStateEntered", "PassStateExited", "SucceedStateEntered",
                                               "SucceedStateExited", "ExecutionSucceeded"}));
  // Ids count from 1; each event names the one before it.
  for (std::size_t i = 0; i < events_.size(); ++i) {
    EXPECT_EQ(events_[i].at("id").as_int64(), static_cast<std::int64_t>(i + 1));
    EXPECT_EQ(events_[i].at("previousEventId").as_int64(), static_cast<std::int64_t>(i));
  }
  EXPECT_EQ(events_[2].at("stateExitedEventDetails").at("output").as_string(),
            R"j({"in":true,"r":{"x":1}})j");
  EXPECT_EQ(events_.back().at("executionSucceededEventDetails").at("output").as_string(), "1");
}

TEST_F(AslRun, ChoiceDefaultAndNoMatch) {
  const char* def = R"j({"StartAt":"C","States":{
      "C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericGreaterThan":10,"Next":"Big"}],"Default":"Small"},
      "Big":{"Type":"Pass","Result":"big","End":true},
      "Small":{"Type":"Pass","Result":"small","End":true}}})j";
  Start(def, R"j({"n":11})j");
  Step();
  EXPECT_EQ(run_.at("output"), J(R"j("big")j"));
  Start(def, R"j({"n":1})j");
  Step();
  EXPECT_EQ(run_.at("output"), J(R"j("small")j"));
  Start(
      R"j({"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericEquals":1,"Next":"E"}]},
            "E":{"Type":"Succeed"}}})j",
      R"j({"n":2})j");
  Step();
  EXPECT_EQ(Status(), "FAILED");
  EXPECT_EQ(run_.at("error").as_string(), "States.NoChoiceMatched");
}

TEST_F(AslRun, WaitSecondsTimestampAndPaths) {
  Start(R"j({"StartAt":"W","States":{"W":{"Type":"Wait","SecondsPath":"$.s","Next":"T"},
            "T":{"Type":"Wait","TimestampPath":"$.at","End":true}}})j",
        R"j({"s":30,"at":"2023-11-14T22:20:00Z"})j");
  Advance a = Step();
  EXPECT_FALSE(a.done);
  EXPECT_EQ(a.wake_ms, now_ + 30'000);
  now_ += 29'999;
  EXPECT_EQ(Step().wake_ms, now_ + 1);
  now_ += 1;
  a = Step();  // 1700000030000 is 2023-11-14T22:13:50Z: the second wait is until 22:20:00
  EXPECT_EQ(a.wake_ms, 1'700'000'400'000);
  now_ = 1'700'000'400'000;
  EXPECT_TRUE(Step().done);
  EXPECT_EQ(Status(), "SUCCEEDED");
  EXPECT_NE(std::find(Types().begin(), Types().end(), "WaitStateExited"), Types().end());
}

TEST_F(AslRun, FailWithErrorPathAndCausePath) {
  Start(
      R"j({"StartAt":"F","States":{"F":{"Type":"Fail","ErrorPath":"$.e","CausePath":"States.Format('bad {}', $.n)"}}})j",
      R"j({"e":"MyError","n":3})j");
  Step();
  EXPECT_EQ(Status(), "FAILED");
  EXPECT_EQ(run_.at("error").as_string(), "MyError");
  EXPECT_EQ(run_.at("cause").as_string(), "bad 3");
  EXPECT_EQ(Types().back(), "ExecutionFailed");
}

TEST_F(AslRun, RetryBackoffThenCatch) {
  int attempts = 0;
  tasks_.script["arn:aws:states:::lambda:invoke"] = [&](const TaskRequest&) {
    ++attempts;
    return Fails("Boom", "it broke");
  };
  Start(R"j({"StartAt":"T","States":{
      "T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f"},
           "Retry":[{"ErrorEquals":["Other"],"MaxAttempts":5},
                    {"ErrorEquals":["States.ALL"],"IntervalSeconds":2,"BackoffRate":3,"MaxAttempts":2}],
           "Catch":[{"ErrorEquals":["Boom"],"ResultPath":"$.err","Next":"Handled"}],"End":true},
      "Handled":{"Type":"Pass","End":true}}})j",
        R"j({"k":1})j");
  Advance a = Step();
  EXPECT_EQ(attempts, 1);
  EXPECT_EQ(a.wake_ms, now_ + 2'000);  // IntervalSeconds
  now_ += 2'000;
  a = Step();
  EXPECT_EQ(attempts, 2);
  EXPECT_EQ(a.wake_ms, now_ + 6'000);  // x BackoffRate
  now_ += 6'000;
  a = Step();
  EXPECT_EQ(attempts, 3);
  EXPECT_TRUE(a.done);
  EXPECT_EQ(Status(), "SUCCEEDED");
  EXPECT_EQ(run_.at("output"), J(R"j({"k":1,"err":{"Error":"Boom","Cause":"it broke"}})j"));
  std::vector<std::string> t = Types();
  EXPECT_EQ(std::count(t.begin(), t.end(), "TaskScheduled"), 3);
  EXPECT_EQ(std::count(t.begin(), t.end(), "TaskFailed"), 3);
  EXPECT_EQ(std::count(t.begin(), t.end(), "TaskStateEntered"), 1);
  // The scheduled event carries AWS's details.
  for (const auto& e : events_) {
    if (e.at("type") == "TaskScheduled") {
      const auto& d = e.at("taskScheduledEventDetails").as_object();
      EXPECT_EQ(d.at("resourceType").as_string(), "lambda");
      EXPECT_EQ(d.at("resource").as_string(), "invoke");
      EXPECT_EQ(d.at("parameters").as_string(), R"j({"FunctionName":"f"})j");
    }
  }
}

TEST_F(AslRun, MaxDelayAndRuntimeErrorsAreNotCaught) {
  Start(
      R"j({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","InputPath":"$.missing",
            "Catch":[{"ErrorEquals":["States.ALL"],"Next":"H"}],"End":true},"H":{"Type":"Succeed"}}})j");
  Step();
  EXPECT_EQ(Status(), "FAILED");
  EXPECT_EQ(run_.at("error").as_string(), "States.Runtime");
}

TEST_F(AslRun, TaskTokenAwaitedAndDelivered) {
  tasks_.script["arn:aws:states:::sqs:sendMessage.waitForTaskToken"] = [](const TaskRequest&) {
    return Awaits();
  };
  Start(
      R"j({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Parameters":{"MessageBody":{"token.$":"$$.Task.Token"}},"HeartbeatSeconds":60,"End":true}}})j");
  Advance a = Step();
  EXPECT_FALSE(a.done);
  ASSERT_EQ(tasks_.calls.size(), 1u);
  const std::string token(tasks_.calls[0].parameters.at("MessageBody").at("token").as_string());
  EXPECT_EQ(ExecutionOfToken(token), info_.execution_arn);
  EXPECT_TRUE(AwaitsToken(run_, token));
  EXPECT_EQ(a.wake_ms, now_ + 60'000);  // the heartbeat deadline
  Interpreter it(definition_, info_, tasks_);
  now_ += 30'000;
  EXPECT_TRUE(it.Deliver(run_, token, {}, true, now_));
  EXPECT_EQ(Step().wake_ms, now_ + 60'000);  // the heartbeat moved the deadline
  EXPECT_FALSE(it.Deliver(run_, "other", {}, false, now_));
  TaskOutcome ok = Succeeds(J(R"j({"done":1})j"));
  EXPECT_TRUE(it.Deliver(run_, token, ok, false, now_));
  EXPECT_TRUE(Step().done);
  EXPECT_EQ(run_.at("output"), J(R"j({"done":1})j"));
}

TEST_F(AslRun, HeartbeatTimeoutFailsTheTask) {
  tasks_.script["arn:aws:states:::sqs:sendMessage.waitForTaskToken"] = [](const TaskRequest&) {
    return Awaits();
  };
  Start(
      R"j({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "TimeoutSeconds":100,"End":true}}})j");
  Step();
  now_ += 100'000;
  EXPECT_TRUE(Step().done);
  EXPECT_EQ(Status(), "FAILED");
  EXPECT_EQ(run_.at("error").as_string(), "States.Timeout");
  EXPECT_NE(std::find(Types().begin(), Types().end(), "TaskTimedOut"), Types().end());
}

TEST_F(AslRun, ParallelBranchesCollectResults) {
  Start(
      R"j({"StartAt":"P","States":{"P":{"Type":"Parallel","ResultSelector":{"first.$":"$[0]","second.$":"$[1]"},
      "Branches":[{"StartAt":"A","States":{"A":{"Type":"Pass","Result":1,"End":true}}},
                  {"StartAt":"B","States":{"B":{"Type":"Wait","Seconds":5,"Next":"B2"},"B2":{"Type":"Pass","Result":2,"End":true}}}],
      "End":true}}})j");
  Advance a = Step();
  EXPECT_FALSE(a.done);
  EXPECT_EQ(a.wake_ms, now_ + 5'000);
  now_ += 5'000;
  EXPECT_TRUE(Step().done);
  EXPECT_EQ(run_.at("output"), J(R"j({"first":1,"second":2})j"));
  std::vector<std::string> t = Types();
  EXPECT_NE(std::find(t.begin(), t.end(), "ParallelStateStarted"), t.end());
  EXPECT_NE(std::find(t.begin(), t.end(), "ParallelStateSucceeded"), t.end());
}

TEST_F(AslRun, MapWithItemSelectorConcurrencyAndToleratedFailures) {
  tasks_.script["arn:aws:states:::lambda:invoke"] = [](const TaskRequest& r) {
    if (r.parameters.at("v").as_int64() % 4 == 0) {
      return Fails("Bad", "multiple of 4");
    }
    return Succeeds(r.parameters.at("v"));
  };
  json::array items;
  for (int i = 1; i <= 1000; ++i) items.push_back(i);
  Start(R"j({"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","MaxConcurrency":10,
      "ToleratedFailurePercentage":30,
      "ItemSelector":{"v.$":"$$.Map.Item.Value","i.$":"$$.Map.Item.Index"},
      "ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}}},
      "End":true}}})j",
        json::serialize(json::object{{"items", items}}));
  Advance a = Step();
  ASSERT_TRUE(a.done) << Status();
  EXPECT_EQ(Status(), "SUCCEEDED");
  const json::array& out = run_.at("output").as_array();
  ASSERT_EQ(out.size(), 1000u);
  EXPECT_EQ(out[0], J("1"));
  EXPECT_TRUE(out[3].is_null());  // the failed iteration's slot
  std::vector<std::string> t = Types();
  EXPECT_EQ(std::count(t.begin(), t.end(), "MapIterationStarted"), 1000);
  EXPECT_EQ(std::count(t.begin(), t.end(), "MapIterationFailed"), 250);
  EXPECT_EQ(events_[1].at("type"), "MapStateEntered");
  EXPECT_EQ(events_[2].at("mapStateStartedEventDetails").at("length").as_int64(), 1000);
  // Over the tolerance: the Map fails with States.ExceedToleratedFailureThreshold.
  Start(R"j({"StartAt":"M","States":{"M":{"Type":"Map","ToleratedFailureCount":1,
      "ItemSelector":{"v.$":"$$.Map.Item.Value"},
      "ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}}},
      "End":true}}})j",
        "[4,8,1]");
  Step();
  EXPECT_EQ(Status(), "FAILED");
  EXPECT_EQ(run_.at("error").as_string(), "States.ExceedToleratedFailureThreshold");
}

TEST_F(AslRun, ItemBatcherBatchesSelectedItemsByCountAndBytes) {
  // Each selected item {"v":"aaaaaaaaaa"} is 18 bytes (+1 separator); with the 11-byte envelope, 50 bytes
  // hold two items; MaxItemsPerBatch 3 does not bind.
  Start(R"j({"StartAt":"M","States":{"M":{"Type":"Map",
      "ItemSelector":{"v.$":"$$.Map.Item.Value"},
      "ItemBatcher":{"MaxItemsPerBatch":3,"MaxInputBytesPerBatch":50},
      "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},
      "End":true}}})j",
        R"j(["aaaaaaaaaa","bbbbbbbbbb","cccccccccc","dddddddddd","eeeeeeeeee"])j");
  Step();
  ASSERT_EQ(Status(), "SUCCEEDED");
  EXPECT_EQ(run_.at("output"), J(R"j([{"Items":[{"v":"aaaaaaaaaa"},{"v":"bbbbbbbbbb"}]},
      {"Items":[{"v":"cccccccccc"},{"v":"dddddddddd"}]},{"Items":[{"v":"eeeeeeeeee"}]}])j"));
  // BatchInput is added to every batch; MaxItemsPerBatch binds.
  Start(R"j({"StartAt":"M","States":{"M":{"Type":"Map",
      "ItemBatcher":{"MaxItemsPerBatch":2,"BatchInput":{"job.$":"$.job"}},"ItemsPath":"$.items",
      "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},
      "End":true}}})j",
        R"j({"job":7,"items":[1,2,3]})j");
  Step();
  EXPECT_EQ(run_.at("output"),
            J(R"j([{"Items":[1,2],"BatchInput":{"job":7}},{"Items":[3],"BatchInput":{"job":7}}])j"));
}

TEST_F(AslRun, WriterConfigAloneFormatsWithoutAnExport) {
  info_.map_runs = true;
  Start(R"j({"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$",
      "ResultWriter":{"WriterConfig":{"Transformation":"FLATTEN","OutputType":"JSON"}},
      "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},
      "End":true}}})j",
        "[[1],[2]]");
  Step();
  ASSERT_EQ(tasks_.map_runs.size(), 1u);
  EXPECT_TRUE(tasks_.map_runs[0].result_writer.is_null());
  EXPECT_EQ(tasks_.map_runs[0].writer_config, J(R"j({"Transformation":"FLATTEN","OutputType":"JSON"})j"));
}

TEST_F(AslRun, DistributedMapStartsAMapRunAndEndsWithIt) {
  info_.map_runs = true;
  Start(R"j({"StartAt":"M","States":{"M":{"Type":"Map","Label":"L","MaxConcurrency":4,
      "ToleratedFailurePercentage":5,"ItemsPath":"$.items",
      "ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"b","Prefix.$":"$.out"}},
      "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},"StartAt":"P",
                       "States":{"P":{"Type":"Pass","End":true}}},
      "ResultPath":"$.result","End":true}}})j",
        R"j({"items":[1,2,3],"out":"runs"})j");
  Advance a = Step();
  ASSERT_FALSE(a.done);
  ASSERT_EQ(tasks_.map_runs.size(), 1u);
  const MapRunRequest& r = tasks_.map_runs[0];
  EXPECT_EQ(r.label, "L");
  EXPECT_EQ(r.execution_type, "EXPRESS");
  EXPECT_EQ(r.max_concurrency, 4);
  EXPECT_EQ(r.tolerated_count, -1);
  EXPECT_DOUBLE_EQ(r.tolerated_percentage, 5);
  EXPECT_EQ(r.inputs, J("[1,2,3]").as_array());
  EXPECT_EQ(r.result_writer, J(R"j({"Bucket":"b","Prefix":"runs"})j"));
  EXPECT_TRUE(r.writer_config.is_null());
  EXPECT_FALSE(r.processor.contains("ProcessorConfig"));
  EXPECT_EQ(r.processor.at("StartAt"), "P");
  EXPECT_EQ(events_.back().at("type"), "MapRunStarted");
  EXPECT_EQ(events_.back().at("mapRunStartedEventDetails").at("mapRunArn"),
            "arn:aws:states:us-east-1:000000000000:mapRun:sm/L:1");
  // Still running: the state waits; then the run's result is the Map's.
  Step();
  EXPECT_EQ(Status(), "RUNNING");
  EXPECT_EQ(tasks_.map_runs.size(), 1u);
  tasks_.map_run_status = MapRunStatus{"SUCCEEDED", J(R"j({"MapRunArn":"x"})j"), "", ""};
  Step();
  ASSERT_EQ(Status(), "SUCCEEDED");
  EXPECT_EQ(run_.at("output").at("result"), J(R"j({"MapRunArn":"x"})j"));
  std::vector<std::string> t = Types();
  EXPECT_NE(std::find(t.begin(), t.end(), "MapRunSucceeded"), t.end());
  EXPECT_EQ(std::find(t.begin(), t.end(), "MapIterationStarted"), t.end());
  // A failed run fails the Map with its error (a Catch can take it).
  Start(R"j({"StartAt":"M","States":{"M":{"Type":"Map",
      "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},
      "Catch":[{"ErrorEquals":["States.ExceedToleratedFailureThreshold"],"Next":"Caught"}],"End":true},
      "Caught":{"Type":"Pass","End":true}}})j",
        "[1]");
  events_.clear();
  tasks_.map_run_status =
      MapRunStatus{"FAILED", nullptr, "States.ExceedToleratedFailureThreshold", "too many"};
  Step();
  ASSERT_EQ(Status(), "SUCCEEDED");
  EXPECT_EQ(run_.at("output"),
            J(R"j({"Error":"States.ExceedToleratedFailureThreshold","Cause":"too many"})j"));
  t = Types();
  EXPECT_NE(std::find(t.begin(), t.end(), "MapRunFailed"), t.end());
}

TEST_F(AslRun, StateTimesAndContextObject) {
  Start(R"j({"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"entered.$":"$$.State.EnteredTime",
            "state.$":"$$.State.Name","sm.$":"$$.StateMachine.Name","start.$":"$$.Execution.StartTime"},"End":true}}})j");
  Step();
  EXPECT_EQ(run_.at("output"), J(R"j({"entered":"2023-11-14T22:13:20.000Z","state":"A","sm":"sm",
                                      "start":"2023-11-14T22:13:20.000Z"})j"));
}

TEST_F(AslRun, JsonataWorkflowWithVariables) {
  tasks_.script["arn:aws:states:::lambda:invoke"] = [](const TaskRequest& r) {
    return Succeeds(
        json::object{{"Payload", json::object{{"sum", r.parameters.at("Payload").at("x").as_int64() + 1}}}});
  };
  Start(R"j({"QueryLanguage":"JSONata","StartAt":"Init","States":{
      "Init":{"Type":"Pass","Assign":{"total":0,"label":"{% 'run-' & $states.input.id %}"},"Next":"Loop"},
      "Loop":{"Type":"Map","Items":"{% $states.input.values %}","ItemSelector":{"x":"{% $states.context.Map.Item.Value %}",
              "i":"{% $states.context.Map.Item.Index %}"},
              "ItemProcessor":{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
                 "Arguments":{"Payload":{"x":"{% $states.input.x %}"}},"Output":"{% $states.result.Payload.sum %}","End":true}}},
              "Assign":{"total":"{% $sum($states.result) %}"},"Output":"{% $states.result %}","Next":"Check"},
      "Check":{"Type":"Choice","Choices":[{"Condition":"{% $total > 10 %}","Next":"Big",
                                           "Output":{"label":"{% $label %}","total":"{% $total %}"}}],
               "Default":"Small"},
      "Small":{"Type":"Fail","Error":"TooSmall","Cause":"{% 'total ' & $string($total) %}"},
      "Big":{"Type":"Succeed"}}})j",
        R"j({"id":7,"values":[1,2,3,4]})j");
  Step();
  ASSERT_EQ(Status(), "SUCCEEDED") << json::serialize(run_);
  EXPECT_EQ(run_.at("output"), J(R"j({"label":"run-7","total":14})j"));
  Start(R"j({"QueryLanguage":"JSONata","StartAt":"T","States":{
      "T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Arguments":{"Payload":{"x":1}},
           "Catch":[{"ErrorEquals":["States.ALL"],"Output":{"err":"{% $states.errorOutput.Error %}"},"Next":"Done"}],"End":true},
      "Done":{"Type":"Succeed"}}})j");
  tasks_.script["arn:aws:states:::lambda:invoke"] = [](const TaskRequest&) { return Fails("Oops", "bad"); };
  Step();
  EXPECT_EQ(run_.at("output"), J(R"j({"err":"Oops"})j"));
}

TEST_F(AslRun, AbortAndRedrive) {
  int calls = 0;
  tasks_.script["arn:aws:states:::lambda:invoke"] = [&](const TaskRequest&) {
    return ++calls == 1 ? Fails("E", "c") : Succeeds(J("7"));
  };
  Start(R"j({"StartAt":"P","States":{"P":{"Type":"Pass","Next":"T"},
            "T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}}})j");
  Step();
  EXPECT_EQ(Status(), "FAILED");
  Interpreter it(definition_, info_, tasks_);
  auto a = it.Redrive(run_, now_);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->events[0].at("type"), "ExecutionRedriven");
  Step();
  EXPECT_EQ(Status(), "SUCCEEDED");
  EXPECT_EQ(calls, 2);
  std::vector<std::string> t = Types();
  EXPECT_EQ(std::count(t.begin(), t.end(), "PassStateEntered"), 1);  // redrive resumes at the failed state
  Start(R"j({"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":100,"End":true}}})j");
  Step();
  Advance stop = it.Abort(run_, "Stopped", "by test", now_);
  EXPECT_TRUE(stop.done);
  EXPECT_EQ(Status(), "ABORTED");
  EXPECT_EQ(stop.events[0].at("type"), "ExecutionAborted");
}

}  // namespace
}  // namespace cenote::states::asl
