// TestState: one state run on its own (with the given role for Task states), answering its output, error,
// next state and, at DEBUG/TRACE, the data after each processing step.
#include "common/random.hpp"
#include "services/states/asl/definition.hpp"
#include "services/states/asl/json_path.hpp"
#include "services/states/internal.hpp"

namespace cenote::states {

namespace {

constexpr std::string_view kTestStateName = "TestState";

void Targets(const json::object& state, std::set<std::string>& out) {
  if (auto n = GetString(state, "Next")) out.insert(*n);
  if (auto d = GetString(state, "Default")) out.insert(*d);
  for (std::string_view list : {"Choices", "Catch"}) {
    if (const json::array* a = GetArray(state, list)) {
      for (const auto& e : *a) {
        if (e.is_object()) {
          if (auto n = GetString(e.as_object(), "Next")) out.insert(*n);
        }
      }
    }
  }
}

// The JSONPath processing of a Pass or Task state, step by step (TestState's inspectionData).
json::object Inspect(const json::object& state, const json::value& input,
                     const std::optional<json::value>& result) {
  json::object d{{"input", asl::ToJsonText(input)}};
  json::value ctx = json::object{};
  json::value v = input;
  if (auto it = state.find("InputPath"); it != state.end()) {
    if (it->value().is_null()) {
      v = json::object{};
    } else if (auto r = asl::EvaluatePath(it->value().get_string(), input, ctx)) {
      v = *r;
    }
  }
  d["afterInputPath"] = asl::ToJsonText(v);
  if (auto it = state.find("Parameters"); it != state.end()) {
    if (auto r = asl::ApplyTemplate(it->value(), v, ctx)) v = *r;
  }
  d["afterParameters"] = asl::ToJsonText(v);
  if (!result) return d;
  json::value res = *result;
  d["result"] = asl::ToJsonText(res);
  if (auto it = state.find("ResultSelector"); it != state.end()) {
    if (auto r = asl::ApplyTemplate(it->value(), res, ctx)) res = *r;
    d["afterResultSelector"] = asl::ToJsonText(res);
  }
  json::value merged = res;
  if (auto it = state.find("ResultPath"); it != state.end()) {
    if (it->value().is_null()) {
      merged = input;
    } else if (auto r = asl::ApplyResultPath(it->value().get_string(), input, res)) {
      merged = *r;
    }
  }
  d["afterResultPath"] = asl::ToJsonText(merged);
  return d;
}

}  // namespace

Result<OperationOutput> TestState(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  const std::string text = GetString(p, "definition").value_or("");
  boost::system::error_code ec;
  json::value state_v = json::parse(text, ec);
  if (ec || !state_v.is_object()) {
    return services::MakeError(
        errors::kInvalidDefinition,
        {"Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION: the state is not a "
         "JSON object'"});
  }
  const json::object& state = state_v.as_object();
  std::set<std::string> targets;
  Targets(state, targets);
  json::object states{{kTestStateName, state}};
  for (const auto& t : targets) {
    if (t != kTestStateName) states[t] = json::object{{"Type", "Succeed"}};
  }
  json::object machine{{"StartAt", kTestStateName}, {"States", std::move(states)}};
  CENOTE_ASSIGN_OR_RETURN(json::object definition, asl::ParseDefinition(json::serialize(machine)));
  const std::string input_text = GetString(p, "input").value_or("{}");
  json::value input = json::parse(input_text, ec);
  if (ec) return services::MakeError(errors::kInvalidExecutionInput, {ec.message()});

  asl::ExecutionInfo info;
  info.name = NewUuidV4();
  info.execution_arn =
      "arn:aws:states:" + ctx.region + ":" + ctx.account_id() + ":execution:TestState:" + info.name;
  info.role_arn = GetString(p, "roleArn").value_or("");
  info.state_machine_arn = MachineArn(ctx.region, ctx.account_id(), "TestState");
  info.state_machine_name = "TestState";
  std::int64_t now = env.Now();
  info.start_ms = now;
  std::unique_ptr<asl::TaskRunner> runner = MakeTaskRunner(env);
  asl::Interpreter it(definition, info, *runner);
  json::object run = asl::Interpreter::NewRun(input);
  std::vector<json::object> events;
  std::string status;
  for (int round = 0; round < 1000; ++round) {
    asl::Advance a = it.Step(run, now);
    events.insert(events.end(), a.events.begin(), a.events.end());
    if (a.done) break;
    json::object& frame = run["frame"].as_object();
    if (GetString(frame, "phase") == "retry_wait") {
      status = "RETRIABLE";
      break;
    }
    if (GetString(frame, "phase") == "task_wait" && !GetObject(*GetObject(frame, "task"), "handle")) break;
    // A Wait (or a .sync poll) does not hold TestState: time moves on to when the state is due.
    if (a.wake_ms < 0) break;
    now = std::max(now, a.wake_ms);
  }
  // The last failure the state met (a failed task, a failed Map/Parallel branch).
  std::string error, cause;
  std::optional<json::value> task_result;
  for (const auto& e : events) {
    for (const auto& [k, v] : e) {
      if (!v.is_object() || !std::string_view(k).ends_with("EventDetails")) continue;
      const json::object& d = v.as_object();
      if (auto er = GetString(d, "error")) {
        error = *er;
        cause = GetString(d, "cause").value_or("");
      }
      if (GetString(e, "type") == "TaskSucceeded" || GetString(e, "type") == "LambdaFunctionSucceeded") {
        json::value parsed = json::parse(GetString(d, "output").value_or("null"), ec);
        if (!ec) task_result = std::move(parsed);
      }
    }
  }
  const std::string run_status = GetString(run, "status").value_or("RUNNING");
  json::object out;
  const json::object& frame = run["frame"].as_object();
  const std::string at = GetString(frame, "state").value_or("");
  if (status.empty()) {
    if (run_status == "FAILED") {
      status = "FAILED";
      error = GetString(run, "error").value_or(error);
      cause = GetString(run, "cause").value_or(cause);
    } else if (!error.empty()) {
      status = "CAUGHT_ERROR";
    } else {
      status = "SUCCEEDED";
    }
  }
  out["status"] = status;
  if (run_status == "SUCCEEDED") out["output"] = asl::ToJsonText(run["output"]);
  if (at != kTestStateName && (status == "SUCCEEDED" || status == "CAUGHT_ERROR")) out["nextState"] = at;
  if (status != "SUCCEEDED" && !error.empty()) {
    out["error"] = error;
    out["cause"] = cause;
  }
  const std::string level = GetString(p, "inspectionLevel").value_or("INFO");
  if (level == "DEBUG" || level == "TRACE") {
    std::optional<json::value> result = task_result;
    if (!result && GetString(state, "Type") == "Pass") {
      if (auto r = state.find("Result"); r != state.end()) result = r->value();
    }
    out["inspectionData"] = Inspect(state, input, result);
  }
  return out;
}

}  // namespace cenote::states
