#include "services/states/asl/interpreter.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <regex>

#include "common/encoding.hpp"
#include "common/random.hpp"
#include "services/states/asl/choice.hpp"
#include "services/states/asl/json_path.hpp"
#include "services/states/asl/jsonata.hpp"

namespace cenote::states::asl {

namespace {

// AWS's quota: an execution's history holds at most 25,000 events.
constexpr std::int64_t kMaxEvents = 25'000;
// Transitions one Step makes before it yields (a Pass loop must not hold the caller forever).
constexpr int kStepBudget = 20'000;

std::string Escape(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

const json::object* Obj(const json::object& o, std::string_view k) {
  auto it = o.find(k);
  return it != o.end() && it->value().is_object() ? &it->value().as_object() : nullptr;
}
std::string Str(const json::object& o, std::string_view k, std::string def = "") {
  auto it = o.find(k);
  return it != o.end() && it->value().is_string() ? std::string(it->value().get_string()) : def;
}
std::int64_t Int(const json::object& o, std::string_view k, std::int64_t def = 0) {
  auto it = o.find(k);
  if (it == o.end()) return def;
  if (it->value().is_int64()) return it->value().get_int64();
  if (it->value().is_uint64()) return static_cast<std::int64_t>(it->value().get_uint64());
  if (it->value().is_double()) return static_cast<std::int64_t>(it->value().get_double());
  return def;
}
double Num(const json::object& o, std::string_view k, double def) {
  auto it = o.find(k);
  if (it == o.end() || !it->value().is_number()) return def;
  return it->value().to_number<double>();
}
bool Has(const json::object& o, std::string_view k) { return o.contains(k); }

struct Failure {
  std::string error;
  std::string cause;
};

Failure FromError(const Error& e) { return Failure{e.code, e.message}; }

// States.ALL matches every error except States.Runtime and States.DataLimitExceeded (not catchable);
// States.TaskFailed matches every error of a Task except States.Timeout.
bool ErrorMatches(const json::array& names, const std::string& error, bool task) {
  for (const auto& n : names) {
    if (!n.is_string()) continue;
    const std::string_view name = n.get_string();
    if (name == error) return true;
    if (name == "States.ALL" && error != "States.Runtime" && error != "States.DataLimitExceeded") return true;
    if (name == "States.TaskFailed" && task && error != "States.Timeout" && error != "States.Runtime" &&
        error != "States.HeartbeatTimeout")
      return true;
  }
  return false;
}

std::string ResourceType(const std::string& resource) {
  // arn:aws:states:::lambda:invoke -> "lambda"; arn:aws:states:::aws-sdk:s3:listBuckets -> "aws-sdk:s3"
  std::string rest = resource;
  if (rest.starts_with("arn:aws:states:::")) {
    rest = rest.substr(17);
    if (rest.starts_with("aws-sdk:")) {
      const std::size_t c = rest.find(':', 8);
      return rest.substr(0, c);
    }
    return rest.substr(0, rest.find(':'));
  }
  if (rest.starts_with("arn:aws:lambda:")) return "lambda";
  if (rest.find(":activity:") != std::string::npos) return "activity";
  return "";
}
std::string ResourceName(const std::string& resource) {
  std::string rest = resource;
  if (rest.starts_with("arn:aws:states:::")) {
    rest = rest.substr(17);
    if (rest.starts_with("aws-sdk:")) {
      const std::size_t c = rest.find(':', 8);
      return rest.substr(c + 1);
    }
    const std::size_t c = rest.find(':');
    return c == std::string::npos ? rest : rest.substr(c + 1);
  }
  return resource;
}
bool IsLegacyLambda(const std::string& resource) { return resource.starts_with("arn:aws:lambda:"); }

// arn:aws:states:<region>:<account>:activity:<name>: a task handed to workers (GetActivityTask).
bool IsActivity(const std::string& resource) {
  if (!resource.starts_with("arn:aws:states:")) return false;
  std::size_t at = 0;
  for (int i = 0; i < 5 && at != std::string::npos; ++i) at = resource.find(':', at + 1);
  return at != std::string::npos && resource.compare(at + 1, 9, "activity:") == 0;
}

class Runner {
 public:
  Runner(const json::object& definition, const ExecutionInfo& info, TaskRunner& tasks, json::object& run,
         std::int64_t now, Advance& out)
      : definition_(definition),
        info_(info),
        tasks_(tasks),
        run_(run),
        now_(now),
        out_(out),
        next_id_(Int(run, "next_id", 1)) {}
  // The run's event counter is written back once: a frame is a reference into the run document, which must
  // not gain members while one is held (a boost::json object may move its values when it grows).
  ~Runner() { run_["next_id"] = next_id_; }
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  std::int64_t NextId() const { return next_id_; }

  void Emit(json::object& frame, std::string type, std::string_view details_key = {},
            json::object details = {}) {
    const std::int64_t id = next_id_++;
    json::object e{{"id", id},
                   {"previousEventId", Int(frame, "prev", 0)},
                   {"timestamp", now_},
                   {"type", std::move(type)}};
    if (!details_key.empty()) e[details_key] = std::move(details);
    frame["prev"] = id;
    out_.events.push_back(std::move(e));
  }

  void Wake(std::int64_t at) {
    if (at < 0) return;
    if (out_.wake_ms < 0 || at < out_.wake_ms) out_.wake_ms = at;
  }

  const json::object* Scope(const std::string& scope) const {
    if (scope.empty()) return &definition_;
    // A JSON pointer into the definition ("/States/P/Branches/0"), walked in place.
    const json::object* at = &definition_;
    std::size_t i = 1;
    while (i <= scope.size() && at != nullptr) {
      const std::size_t slash = scope.find('/', i);
      std::string token(scope.substr(i, slash == std::string::npos ? std::string::npos : slash - i));
      std::string name;
      for (std::size_t j = 0; j < token.size(); ++j) {
        if (token[j] == '~' && j + 1 < token.size()) {
          name += token[j + 1] == '1' ? '/' : '~';
          ++j;
        } else {
          name += token[j];
        }
      }
      auto it = at->find(name);
      if (it == at->end()) return nullptr;
      const json::value* next = &it->value();
      if (next->is_array()) {
        // Branches/<n>
        i = slash == std::string::npos ? scope.size() + 1 : slash + 1;
        const std::size_t slash2 = scope.find('/', i);
        const std::string idx(scope.substr(i, slash2 == std::string::npos ? std::string::npos : slash2 - i));
        const std::size_t n = static_cast<std::size_t>(std::stoul(idx));
        if (n >= next->as_array().size()) return nullptr;
        next = &next->as_array()[n];
        i = slash2 == std::string::npos ? scope.size() + 1 : slash2 + 1;
      } else {
        i = slash == std::string::npos ? scope.size() + 1 : slash + 1;
      }
      at = next->is_object() ? &next->as_object() : nullptr;
    }
    return at;
  }

  json::value Context(const json::object& frame, const json::object& state, const std::string& token,
                      const json::value* item, std::int64_t item_index) const {
    json::object execution{{"Id", info_.execution_arn},
                           {"Input", run_.contains("input") ? run_.at("input") : json::value(json::object{})},
                           {"Name", info_.name},
                           {"RoleArn", info_.role_arn},
                           {"StartTime", FormatTimestamp(info_.start_ms)},
                           {"RedriveCount", info_.redrive_count}};
    json::object ctx{
        {"Execution", std::move(execution)},
        {"State", json::object{{"EnteredTime", FormatTimestamp(Int(frame, "entered", now_))},
                               {"Name", Str(frame, "state")},
                               {"RetryCount", RetryCount(frame)}}},
        {"StateMachine", json::object{{"Id", info_.state_machine_arn}, {"Name", info_.state_machine_name}}}};
    if (!token.empty()) ctx["Task"] = json::object{{"Token", token}};
    if (item != nullptr)
      ctx["Map"] = json::object{{"Item", json::object{{"Index", item_index}, {"Value", *item}}}};
    (void)state;
    return ctx;
  }

  static std::int64_t RetryCount(const json::object& frame) {
    std::int64_t n = 0;
    if (const auto it = frame.find("retries"); it != frame.end() && it->value().is_array()) {
      for (const auto& v : it->value().as_array()) n += v.is_int64() ? v.get_int64() : 0;
    }
    return n;
  }

  // InputPath: "$" by default; null gives {}.
  Result<json::value> InputPath(const json::object& state, const json::value& input, const json::value& ctx) {
    auto it = state.find("InputPath");
    if (it == state.end()) return input;
    if (it->value().is_null()) return json::value(json::object{});
    return EvaluatePath(it->value().get_string(), input, ctx);
  }
  Result<json::value> OutputPath(const json::object& state, const json::value& output,
                                 const json::value& ctx) {
    auto it = state.find("OutputPath");
    if (it == state.end()) return output;
    if (it->value().is_null()) return json::value(json::object{});
    return EvaluatePath(it->value().get_string(), output, ctx);
  }
  Result<json::value> ResultPath(const json::object& state, const json::value& raw, json::value result) {
    auto it = state.find("ResultPath");
    if (it == state.end()) return result;
    if (it->value().is_null()) return raw;
    return ApplyResultPath(it->value().get_string(), raw, std::move(result));
  }
  // ---- the JSONata query language: $states and the workflow's variables

  bool Jsonata(const json::object& state) const {
    const std::string q = Str(state, "QueryLanguage");
    if (!q.empty()) return q == "JSONata";
    return Str(definition_, "QueryLanguage") == "JSONata";
  }
  static json::object Bindings(const json::object& frame, const json::value& input, const json::value& ctx,
                               const json::value* result = nullptr,
                               const json::value* error_output = nullptr) {
    json::object vars;
    if (auto it = frame.find("vars"); it != frame.end() && it->value().is_object())
      vars = it->value().as_object();
    json::object states{{"input", input}, {"context", ctx}};
    if (result != nullptr) states["result"] = *result;
    if (error_output != nullptr) states["errorOutput"] = *error_output;
    vars["states"] = std::move(states);
    return vars;
  }
  // A state's (or Catcher's, or Choice rule's) Output and Assign: both see the bindings from before the
  // assignment, as AWS evaluates them.
  static Result<json::value> JsonataOutput(json::object& frame, const json::object& spec,
                                           const json::object& vars, json::value default_output) {
    json::value output = std::move(default_output);
    if (auto it = spec.find("Output"); it != spec.end()) {
      CENOTE_ASSIGN_OR_RETURN(output, ApplyJsonata(it->value(), vars));
    }
    if (auto it = spec.find("Assign"); it != spec.end()) {
      CENOTE_ASSIGN_OR_RETURN(json::value assigned, ApplyJsonata(it->value(), vars));
      if (!assigned.is_object()) return MakeError("States.QueryEvaluationError", "Assign must be an object");
      if (!frame.contains("vars") || !frame["vars"].is_object()) frame["vars"] = json::object{};
      json::object& fv = frame["vars"].as_object();
      for (auto& [k, v] : assigned.as_object()) fv[k] = std::move(v);
    }
    return output;
  }

  Result<json::value> Effective(const json::object& frame, const json::object& state, const json::value& raw,
                                const json::value& ctx, std::string_view field = "Parameters") {
    if (Jsonata(state)) {
      auto it = state.find("Arguments");
      if (it == state.end()) return raw;
      return ApplyJsonata(it->value(), Bindings(frame, raw, ctx));
    }
    CENOTE_ASSIGN_OR_RETURN(json::value in, InputPath(state, raw, ctx));
    auto it = state.find(field);
    if (it == state.end()) return in;
    return ApplyTemplate(it->value(), in, ctx);
  }
  // ResultSelector -> ResultPath -> OutputPath on a state's result.
  Result<json::value> Output(json::object& frame, const json::object& state, const json::value& raw,
                             json::value result, const json::value& ctx) {
    if (Jsonata(state)) {
      const json::object vars = Bindings(frame, raw, ctx, &result);
      return JsonataOutput(frame, state, vars, result);
    }
    if (auto it = state.find("ResultSelector"); it != state.end()) {
      CENOTE_ASSIGN_OR_RETURN(result, ApplyTemplate(it->value(), result, ctx));
    }
    CENOTE_ASSIGN_OR_RETURN(json::value merged, ResultPath(state, raw, std::move(result)));
    return OutputPath(state, merged, ctx);
  }

  std::string TypeOf(const json::object& state) const { return Str(state, "Type"); }

  void Exited(json::object& frame, const json::object& state, const json::value& output) {
    Emit(frame, TypeOf(state) + "StateExited", "stateExitedEventDetails",
         json::object{{"name", Str(frame, "state")},
                      {"output", ToJsonText(output)},
                      {"outputDetails", json::object{{"truncated", false}}}});
  }

  // Moves the frame to the state's Next (or ends the branch) with `output`.
  void Transition(json::object& frame, const json::object& state, json::value output,
                  bool exited_event = true) {
    if (exited_event) Exited(frame, state, output);
    frame.erase("task");
    frame.erase("children");
    frame.erase("delivered");
    frame["retries"] = json::array{};
    if (state.contains("Next") && !(state.contains("End") && state.at("End") == json::value(true))) {
      frame["state"] = Str(state, "Next");
      frame["input"] = std::move(output);
      frame["phase"] = "enter";
    } else {
      frame["status"] = "SUCCEEDED";
      frame["output"] = std::move(output);
      frame["phase"] = "done";
    }
  }

  void FailFrame(json::object& frame, const Failure& f) {
    frame.erase("task");
    frame.erase("children");
    frame["status"] = "FAILED";
    frame["error"] = f.error;
    frame["cause"] = f.cause;
    frame["phase"] = "done";
  }

  // An error in the current state: a matching Retrier (with attempts left) schedules the state again after
  // its backoff; else a matching Catcher moves to its Next with {Error, Cause} at its ResultPath; else the
  // branch fails.
  void HandleError(json::object& frame, const json::object& state, const Failure& f, bool task) {
    const std::string type = TypeOf(state);
    if (const auto it = state.find("Retry"); it != state.end() && it->value().is_array()) {
      const auto& retriers = it->value().as_array();
      json::array counts = frame.contains("retries") && frame.at("retries").is_array()
                               ? frame.at("retries").as_array()
                               : json::array{};
      while (counts.size() < retriers.size()) counts.push_back(0);
      for (std::size_t i = 0; i < retriers.size(); ++i) {
        if (!retriers[i].is_object()) continue;
        const json::object& r = retriers[i].as_object();
        const json::array* names = Obj(r, "ErrorEquals") ? nullptr : nullptr;
        (void)names;
        auto en = r.find("ErrorEquals");
        if (en == r.end() || !en->value().is_array() || !ErrorMatches(en->value().as_array(), f.error, task))
          continue;
        const std::int64_t attempts = counts[i].is_int64() ? counts[i].get_int64() : 0;
        const std::int64_t max_attempts = Int(r, "MaxAttempts", 3);
        if (attempts < max_attempts) {
          double delay = Num(r, "IntervalSeconds", 1) * std::pow(Num(r, "BackoffRate", 2.0), attempts);
          if (Has(r, "MaxDelaySeconds")) delay = std::min(delay, Num(r, "MaxDelaySeconds", delay));
          if (Str(r, "JitterStrategy") == "FULL") {
            std::uint64_t x = 0;
            FillRandom(&x, sizeof(x));
            delay = delay * static_cast<double>(x % 1'000'001) / 1'000'000.0;
          }
          counts[i] = attempts + 1;
          frame["retries"] = std::move(counts);
          frame["phase"] = "retry_wait";
          frame["until"] = now_ + static_cast<std::int64_t>(delay * 1000.0);
          frame.erase("task");
          frame.erase("children");
          frame.erase("delivered");
          return;
        }
        break;  // the first matching retrier decides; when it is exhausted, Catch decides
      }
    }
    if (const auto it = state.find("Catch"); it != state.end() && it->value().is_array()) {
      for (const auto& c : it->value().as_array()) {
        if (!c.is_object()) continue;
        const json::object& catcher = c.as_object();
        auto en = catcher.find("ErrorEquals");
        if (en == catcher.end() || !en->value().is_array() ||
            !ErrorMatches(en->value().as_array(), f.error, task))
          continue;
        json::value error_output = json::object{{"Error", f.error}, {"Cause", f.cause}};
        json::value raw = frame.contains("input") ? frame.at("input") : json::value(json::object{});
        json::value output = error_output;
        if (Jsonata(state)) {
          // $states.errorOutput; the Catcher's Output (default: the error output) and Assign.
          const json::object vars =
              Bindings(frame, raw, Context(frame, state, "", nullptr, 0), nullptr, &error_output);
          auto out = JsonataOutput(frame, catcher, vars, error_output);
          if (!out) {
            FailFrame(frame, FromError(out.error()));
            return;
          }
          output = std::move(*out);
        } else if (auto rp = catcher.find("ResultPath"); rp != catcher.end()) {
          if (rp->value().is_null()) {
            output = raw;
          } else {
            auto applied = ApplyResultPath(rp->value().get_string(), raw, error_output);
            if (!applied) {
              FailFrame(frame, FromError(applied.error()));
              return;
            }
            output = std::move(*applied);
          }
        }
        Exited(frame, state, output);
        frame.erase("task");
        frame.erase("children");
        frame.erase("delivered");
        frame["retries"] = json::array{};
        frame["state"] = Str(catcher, "Next");
        frame["input"] = std::move(output);
        frame["phase"] = "enter";
        return;
      }
    }
    (void)type;
    FailFrame(frame, f);
  }

  // ---- the states

  // Runs `frame` until it waits or ends.
  void RunFrame(json::object& frame) {
    const std::string scope = Str(frame, "scope");
    const json::object* branch = Scope(scope);
    const json::object* states = branch ? Obj(*branch, "States") : nullptr;
    while (Str(frame, "phase") != "done") {
      if (budget_-- <= 0 || next_id_ > kMaxEvents) {
        if (next_id_ > kMaxEvents) {
          FailFrame(frame, Failure{"States.Runtime",
                                   "The execution reached the maximum number of history events (25000)."});
          return;
        }
        Wake(now_);
        return;
      }
      const std::string name = Str(frame, "state");
      const json::object* state = states ? Obj(*states, name) : nullptr;
      if (state == nullptr) {
        FailFrame(frame, Failure{"States.Runtime", "The state '" + name + "' does not exist."});
        return;
      }
      const std::string phase = Str(frame, "phase");
      if (phase == "enter") {
        frame["entered"] = now_;
        Emit(frame, TypeOf(*state) + "StateEntered", "stateEnteredEventDetails",
             json::object{{"name", name},
                          {"input", ToJsonText(frame.at("input"))},
                          {"inputDetails", json::object{{"truncated", false}}}});
        frame["phase"] = "start";
        continue;
      }
      if (!Dispatch(frame, *state, phase, scope)) return;
    }
  }

  // One step of the current state; false when the frame must wait.
  bool Dispatch(json::object& frame, const json::object& state, const std::string& phase,
                const std::string& scope) {
    const std::string type = TypeOf(state);
    const json::value raw = frame.contains("input") ? frame.at("input") : json::value(json::object{});
    const json::value ctx = Context(frame, state, "", nullptr, 0);
    auto fail = [&](const Error& e) {
      // Errors of the state's own processing (paths, templates, intrinsics) are the state's errors.
      HandleError(frame, state, FromError(e), false);
      return true;
    };
    if (Jsonata(state) && (type == "Pass" || type == "Succeed" || type == "Fail" || type == "Choice" ||
                           (type == "Wait" && phase == "start"))) {
      return DispatchJsonata(frame, state, type, raw, ctx, fail);
    }
    if (type == "Pass") {
      auto eff = Effective(frame, state, raw, ctx);
      if (!eff) return fail(eff.error());
      json::value result = state.contains("Result") ? state.at("Result") : *eff;
      auto rp = ResultPath(state, raw, std::move(result));
      if (!rp) return fail(rp.error());
      auto out = OutputPath(state, *rp, ctx);
      if (!out) return fail(out.error());
      Transition(frame, state, std::move(*out));
      return true;
    }
    if (type == "Succeed") {
      auto in = InputPath(state, raw, ctx);
      if (!in) return fail(in.error());
      auto out = OutputPath(state, *in, ctx);
      if (!out) return fail(out.error());
      Exited(frame, state, *out);
      frame["status"] = "SUCCEEDED";
      frame["output"] = std::move(*out);
      frame["phase"] = "done";
      return true;
    }
    if (type == "Fail") {
      Failure f;
      f.error = Str(state, "Error");
      f.cause = Str(state, "Cause");
      for (auto [field, target] : {std::pair{"ErrorPath", &f.error}, std::pair{"CausePath", &f.cause}}) {
        if (!state.contains(field)) continue;
        const std::string expr = Str(state, field);
        auto v =
            expr.starts_with("States.") ? EvaluateIntrinsic(expr, raw, ctx) : EvaluatePath(expr, raw, ctx);
        if (!v) {
          FailFrame(frame, FromError(v.error()));
          return true;
        }
        *target = v->is_string() ? std::string(v->get_string()) : ToJsonText(*v);
      }
      FailFrame(frame, f);
      return true;
    }
    if (type == "Choice") {
      auto in = InputPath(state, raw, ctx);
      if (!in) return fail(in.error());
      std::string next;
      if (const auto it = state.find("Choices"); it != state.end() && it->value().is_array()) {
        for (const auto& rule : it->value().as_array()) {
          if (!rule.is_object()) continue;
          auto m = EvaluateRule(rule.as_object(), *in, ctx);
          if (!m) {
            FailFrame(frame, FromError(m.error()));
            return true;
          }
          if (*m) {
            next = Str(rule.as_object(), "Next");
            break;
          }
        }
      }
      if (next.empty()) next = Str(state, "Default");
      if (next.empty()) {
        FailFrame(frame, Failure{"States.NoChoiceMatched",
                                 "No Choice Rules matched and no Default state was specified."});
        return true;
      }
      auto out = OutputPath(state, *in, ctx);
      if (!out) return fail(out.error());
      Exited(frame, state, *out);
      frame["state"] = next;
      frame["input"] = std::move(*out);
      frame["phase"] = "enter";
      frame["retries"] = json::array{};
      return true;
    }
    if (type == "Wait") {
      if (phase == "start") {
        auto in = InputPath(state, raw, ctx);
        if (!in) return fail(in.error());
        std::int64_t until = now_;
        if (state.contains("Seconds")) {
          until = Int(frame, "entered", now_) + Int(state, "Seconds") * 1000;
        } else if (state.contains("Timestamp")) {
          until = ParseTimestamp(Str(state, "Timestamp")).value_or(now_);
        } else if (state.contains("SecondsPath")) {
          auto v = EvaluatePath(Str(state, "SecondsPath"), *in, ctx);
          if (!v) return fail(v.error());
          if (!v->is_number() || v->to_number<double>() < 0) {
            return fail(MakeError(
                "States.Runtime",
                "The SecondsPath parameter does not reference a valid integer value: " + ToJsonText(*v)));
          }
          until = Int(frame, "entered", now_) + static_cast<std::int64_t>(v->to_number<double>() * 1000);
        } else if (state.contains("TimestampPath")) {
          auto v = EvaluatePath(Str(state, "TimestampPath"), *in, ctx);
          if (!v) return fail(v.error());
          auto t = v->is_string() ? ParseTimestamp(v->get_string()) : std::nullopt;
          if (!t) {
            return fail(MakeError("States.Runtime",
                                  "The TimestampPath parameter does not reference a valid ISO-8601 extended "
                                  "offset date-time format string: " +
                                      ToJsonText(*v)));
          }
          until = *t;
        }
        frame["until"] = until;
        frame["effective"] = std::move(*in);
        frame["phase"] = "wait";
      }
      const std::int64_t until = Int(frame, "until", now_);
      if (now_ < until) {
        Wake(until);
        return false;
      }
      const json::value in = frame.contains("effective") ? frame.at("effective") : raw;
      frame.erase("effective");
      auto out = OutputPath(state, in, ctx);
      if (!out) return fail(out.error());
      Transition(frame, state, std::move(*out));
      return true;
    }
    if (phase == "retry_wait") {
      const std::int64_t until = Int(frame, "until", now_);
      if (now_ < until) {
        Wake(until);
        return false;
      }
      frame["phase"] = "start";
      return true;
    }
    if (type == "Task") return RunTask(frame, state, phase, raw);
    if (type == "Parallel" || type == "Map") return RunBranches(frame, state, phase, raw, scope);
    FailFrame(frame, Failure{"States.Runtime", "Unsupported state type " + type});
    return true;
  }

  // Pass, Succeed, Fail, Choice and a Wait's start in the JSONata query language.
  template <typename FailFn>
  bool DispatchJsonata(json::object& frame, const json::object& state, const std::string& type,
                       const json::value& raw, const json::value& ctx, FailFn& fail) {
    const json::object vars = Bindings(frame, raw, ctx);
    if (type == "Pass" || type == "Succeed") {
      auto out = JsonataOutput(frame, state, vars, raw);
      if (!out) return fail(out.error());
      if (type == "Pass") {
        Transition(frame, state, std::move(*out));
      } else {
        Exited(frame, state, *out);
        frame["status"] = "SUCCEEDED";
        frame["output"] = std::move(*out);
        frame["phase"] = "done";
      }
      return true;
    }
    if (type == "Fail") {
      Failure f;
      for (auto [field, target] : {std::pair{"Error", &f.error}, std::pair{"Cause", &f.cause}}) {
        auto it = state.find(field);
        if (it == state.end()) continue;
        auto v = ApplyJsonata(it->value(), vars);
        if (!v) {
          FailFrame(frame, FromError(v.error()));
          return true;
        }
        *target = v->is_string() ? std::string(v->get_string()) : ToJsonText(*v);
      }
      FailFrame(frame, f);
      return true;
    }
    if (type == "Choice") {
      const json::object* matched = nullptr;
      if (const auto it = state.find("Choices"); it != state.end() && it->value().is_array()) {
        for (const auto& rule : it->value().as_array()) {
          if (!rule.is_object()) continue;
          auto c = rule.as_object().find("Condition");
          if (c == rule.as_object().end()) continue;
          auto v = ApplyJsonata(c->value(), vars);
          if (!v) return fail(v.error());
          if (!v->is_bool()) {
            return fail(
                MakeError("States.QueryEvaluationError",
                          "The Condition of a Choice rule must evaluate to a boolean: " + ToJsonText(*v)));
          }
          if (v->get_bool()) {
            matched = &rule.as_object();
            break;
          }
        }
      }
      std::string next = matched ? Str(*matched, "Next") : Str(state, "Default");
      if (next.empty()) {
        FailFrame(frame, Failure{"States.NoChoiceMatched",
                                 "No Choice Rules matched and no Default state was specified."});
        return true;
      }
      // A rule's Output and Assign take precedence over the state's.
      const json::object& spec =
          matched && (matched->contains("Output") || matched->contains("Assign")) ? *matched : state;
      auto out = JsonataOutput(frame, spec, vars, raw);
      if (!out) return fail(out.error());
      Exited(frame, state, *out);
      frame["state"] = next;
      frame["input"] = std::move(*out);
      frame["phase"] = "enter";
      frame["retries"] = json::array{};
      return true;
    }
    // Wait: Seconds or Timestamp may be expressions; the state's Output and Assign apply when it ends.
    std::int64_t until = now_;
    if (auto it = state.find("Seconds"); it != state.end()) {
      auto v = ApplyJsonata(it->value(), vars);
      if (!v) return fail(v.error());
      if (!v->is_number() || v->to_number<double>() < 0) {
        return fail(MakeError("States.QueryEvaluationError", "Seconds must be a non-negative number"));
      }
      until = Int(frame, "entered", now_) + static_cast<std::int64_t>(v->to_number<double>() * 1000);
    } else if (auto ts = state.find("Timestamp"); ts != state.end()) {
      auto v = ApplyJsonata(ts->value(), vars);
      if (!v) return fail(v.error());
      auto t = v->is_string() ? ParseTimestamp(v->get_string()) : std::nullopt;
      if (!t)
        return fail(MakeError("States.QueryEvaluationError", "Timestamp must be an RFC 3339 timestamp"));
      until = *t;
    }
    auto out = JsonataOutput(frame, state, vars, raw);
    if (!out) return fail(out.error());
    frame["until"] = until;
    frame["effective"] = std::move(*out);
    frame["phase"] = "wait";
    return true;
  }

  Result<bool> EvaluateRule(const json::object& rule, const json::value& input, const json::value& ctx) {
    return EvaluateChoiceRule(rule, input, ctx);
  }

  // ---- Task

  json::object TaskDetails(const std::string& resource) const {
    return json::object{{"resourceType", ResourceType(resource)}, {"resource", ResourceName(resource)}};
  }

  bool RunTask(json::object& frame, const json::object& state, const std::string& phase,
               const json::value& raw) {
    const std::string resource = Str(state, "Resource");
    const bool legacy = IsLegacyLambda(resource);
    if (phase == "start") {
      std::string token;
      const bool activity = IsActivity(resource);
      if (resource.ends_with(".waitForTaskToken") || activity) token = NewTaskToken(info_.execution_arn);
      const json::value ctx = Context(frame, state, token, nullptr, 0);
      auto params = Effective(frame, state, raw, ctx);
      if (!params) {
        HandleError(frame, state, FromError(params.error()), false);
        return true;
      }
      std::int64_t timeout_s = Int(state, "TimeoutSeconds", 0);
      std::int64_t heartbeat_s = Int(state, "HeartbeatSeconds", 0);
      if (state.contains("TimeoutSecondsPath")) {
        auto v = EvaluatePath(Str(state, "TimeoutSecondsPath"), raw, ctx);
        if (v && v->is_number()) timeout_s = v->to_number<std::int64_t>();
      }
      if (state.contains("HeartbeatSecondsPath")) {
        auto v = EvaluatePath(Str(state, "HeartbeatSecondsPath"), raw, ctx);
        if (v && v->is_number()) heartbeat_s = v->to_number<std::int64_t>();
      }
      json::object task{{"resource", resource},   {"parameters", *params},      {"token", token},
                        {"timeout_s", timeout_s}, {"heartbeat_s", heartbeat_s}, {"started", now_}};
      if (const json::object* cred = Obj(state, "Credentials")) task["role"] = Str(*cred, "RoleArn");
      frame["task"] = task;
      if (legacy) {
        json::object d{{"resource", resource}, {"input", ToJsonText(*params)}};
        if (timeout_s > 0) d["timeoutInSeconds"] = timeout_s;
        Emit(frame, "LambdaFunctionScheduled", "lambdaFunctionScheduledEventDetails", std::move(d));
        Emit(frame, "LambdaFunctionStarted");
      } else if (activity) {
        json::object d{{"resource", resource},
                       {"input", ToJsonText(*params)},
                       {"inputDetails", json::object{{"truncated", false}}}};
        if (timeout_s > 0) d["timeoutInSeconds"] = timeout_s;
        if (heartbeat_s > 0) d["heartbeatInSeconds"] = heartbeat_s;
        Emit(frame, "ActivityScheduled", "activityScheduledEventDetails", std::move(d));
      } else {
        json::object d = TaskDetails(resource);
        d["region"] = RegionOf(resource);
        d["parameters"] = ToJsonText(*params);
        if (timeout_s > 0) d["timeoutInSeconds"] = timeout_s;
        if (heartbeat_s > 0) d["heartbeatInSeconds"] = heartbeat_s;
        Emit(frame, "TaskScheduled", "taskScheduledEventDetails", std::move(d));
        Emit(frame, "TaskStarted", "taskStartedEventDetails", TaskDetails(resource));
      }
      TaskOutcome o = tasks_.Start(info_, Request(frame, state));
      return Settle(frame, state, o, raw);
    }
    // task_wait: a token, a poll, a timeout or a heartbeat timeout. An activity's worker taking the task
    // (GetActivityTask) is recorded first.
    if (frame.contains("task") && frame.at("task").is_object()) {
      json::object& t = frame["task"].as_object();
      if (t.contains("worker") && !t.contains("worker_recorded")) {
        t["worker_recorded"] = true;
        json::object d;
        if (t.at("worker").is_string() && !t.at("worker").get_string().empty())
          d["workerName"] = t.at("worker");
        Emit(frame, "ActivityStarted", "activityStartedEventDetails", std::move(d));
      }
    }
    if (frame.contains("delivered")) {
      const json::object d = frame.at("delivered").as_object();
      frame.erase("delivered");
      TaskOutcome o;
      if (d.contains("error") || d.contains("cause")) {
        o.kind = TaskOutcome::Kind::kFailed;
        o.error = Str(d, "error");
        o.cause = Str(d, "cause");
      } else {
        o.output = d.contains("output") ? d.at("output") : json::value(json::object{});
      }
      return Settle(frame, state, o, raw);
    }
    json::object& task = frame["task"].as_object();  // after the erase above: it may move frame's members
    const std::int64_t started = Int(task, "started", now_);
    const std::int64_t timeout_s = Int(task, "timeout_s", 0), heartbeat_s = Int(task, "heartbeat_s", 0);
    if (timeout_s > 0 && now_ >= started + timeout_s * 1000)
      return TimedOut(frame, state, "States.Timeout", "");
    if (heartbeat_s > 0 && now_ >= Int(task, "beat", started) + heartbeat_s * 1000) {
      return TimedOut(frame, state, "States.HeartbeatTimeout", "");
    }
    if (task.contains("poll_at")) {
      const std::int64_t at = Int(task, "poll_at", now_);
      if (now_ >= at) {
        TaskOutcome o = tasks_.Poll(info_, Request(frame, state));
        return Settle(frame, state, o, raw);
      }
      Wake(at);
    }
    if (timeout_s > 0) Wake(started + timeout_s * 1000);
    if (heartbeat_s > 0) Wake(Int(task, "beat", started) + heartbeat_s * 1000);
    return false;
  }

  static std::string RegionOf(const std::string& resource) {
    // arn:aws:lambda:<region>:... names it; optimized integrations run in the execution's region.
    std::size_t at = 0;
    for (int i = 0; i < 3 && at != std::string::npos; ++i) at = resource.find(':', at + 1);
    if (at == std::string::npos) return "";
    const std::size_t end = resource.find(':', at + 1);
    return resource.substr(at + 1, end == std::string::npos ? std::string::npos : end - at - 1);
  }

  TaskRequest Request(const json::object& frame, const json::object& state) const {
    const json::object& task = frame.at("task").as_object();
    TaskRequest r;
    r.state_name = Str(frame, "state");
    r.resource = Str(task, "resource");
    r.parameters = task.contains("parameters") ? task.at("parameters") : json::value(json::object{});
    r.token = Str(task, "token");
    r.timeout_s = Int(task, "timeout_s");
    r.heartbeat_s = Int(task, "heartbeat_s");
    if (task.contains("handle")) r.handle = task.at("handle");
    r.credentials_role = Str(task, "role");
    (void)state;
    return r;
  }

  bool TimedOut(json::object& frame, const json::object& state, const std::string& error,
                const std::string& cause) {
    const std::string resource = Str(state, "Resource");
    if (IsLegacyLambda(resource)) {
      Emit(frame, "LambdaFunctionTimedOut", "lambdaFunctionTimedOutEventDetails",
           json::object{{"error", error}, {"cause", cause}});
    } else if (IsActivity(resource)) {
      Emit(frame, "ActivityTimedOut", "activityTimedOutEventDetails",
           json::object{{"error", error}, {"cause", cause}});
    } else {
      json::object d = TaskDetails(resource);
      d["error"] = error;
      d["cause"] = cause;
      Emit(frame, "TaskTimedOut", "taskTimedOutEventDetails", std::move(d));
    }
    HandleError(frame, state, Failure{error, cause}, true);
    return true;
  }

  bool Settle(json::object& frame, const json::object& state, const TaskOutcome& o, const json::value& raw) {
    const std::string resource = Str(state, "Resource");
    const bool legacy = IsLegacyLambda(resource);
    json::object& task = frame["task"].as_object();
    switch (o.kind) {
      case TaskOutcome::Kind::kSucceeded: {
        if (legacy || IsActivity(resource)) {
          Emit(frame, legacy ? "LambdaFunctionSucceeded" : "ActivitySucceeded",
               legacy ? "lambdaFunctionSucceededEventDetails" : "activitySucceededEventDetails",
               json::object{{"output", ToJsonText(o.output)},
                            {"outputDetails", json::object{{"truncated", false}}}});
        } else {
          json::object d = TaskDetails(resource);
          d["output"] = ToJsonText(o.output);
          d["outputDetails"] = json::object{{"truncated", false}};
          Emit(frame, "TaskSucceeded", "taskSucceededEventDetails", std::move(d));
        }
        const json::value ctx = Context(frame, state, "", nullptr, 0);
        auto out = Output(frame, state, raw, o.output, ctx);
        if (!out) {
          HandleError(frame, state, FromError(out.error()), false);
          return true;
        }
        Transition(frame, state, std::move(*out));
        return true;
      }
      case TaskOutcome::Kind::kFailed: {
        if (legacy || IsActivity(resource)) {
          Emit(frame, legacy ? "LambdaFunctionFailed" : "ActivityFailed",
               legacy ? "lambdaFunctionFailedEventDetails" : "activityFailedEventDetails",
               json::object{{"error", o.error}, {"cause", o.cause}});
        } else {
          json::object d = TaskDetails(resource);
          d["error"] = o.error;
          d["cause"] = o.cause;
          Emit(frame, "TaskFailed", "taskFailedEventDetails", std::move(d));
        }
        HandleError(frame, state, Failure{o.error, o.cause}, true);
        return true;
      }
      case TaskOutcome::Kind::kAwaitToken:
        frame["phase"] = "task_wait";
        if (Int(task, "timeout_s") > 0) Wake(Int(task, "started") + Int(task, "timeout_s") * 1000);
        if (Int(task, "heartbeat_s") > 0) Wake(Int(task, "started") + Int(task, "heartbeat_s") * 1000);
        if (o.submitted) {
          json::object d = TaskDetails(resource);
          d["output"] = ToJsonText(o.output);
          d["outputDetails"] = json::object{{"truncated", false}};
          Emit(frame, "TaskSubmitted", "taskSubmittedEventDetails", std::move(d));
        }
        return false;
      case TaskOutcome::Kind::kPoll:
        frame["phase"] = "task_wait";
        task["poll_at"] = o.poll_after_ms;
        task["handle"] = o.handle;
        if (o.submitted) {
          json::object d = TaskDetails(resource);
          d["output"] = ToJsonText(o.output);
          d["outputDetails"] = json::object{{"truncated", false}};
          Emit(frame, "TaskSubmitted", "taskSubmittedEventDetails", std::move(d));
        }
        Wake(o.poll_after_ms);
        return false;
    }
    return false;
  }

  // ---- Parallel and Map

  bool RunBranches(json::object& frame, const json::object& state, const std::string& phase,
                   const json::value& raw, const std::string& scope) {
    const bool is_map = TypeOf(state) == "Map";
    const std::string name = Str(frame, "state");
    const std::string base = scope + "/States/" + Escape(name);
    if (phase == "map_run") return PollMapRun(frame, state, raw);
    if (phase == "start") {
      const json::value ctx = Context(frame, state, "", nullptr, 0);
      json::array children;
      if (!is_map) {
        auto eff = Effective(frame, state, raw, ctx);
        if (!eff) {
          HandleError(frame, state, FromError(eff.error()), false);
          return true;
        }
        Emit(frame, "ParallelStateStarted");
        const json::array* branches = state.contains("Branches") && state.at("Branches").is_array()
                                          ? &state.at("Branches").as_array()
                                          : nullptr;
        for (std::size_t i = 0; branches && i < branches->size(); ++i) {
          const json::object& b = (*branches)[i].as_object();
          children.push_back(NewFrame(frame, base + "/Branches/" + std::to_string(i), Str(b, "StartAt"), *eff,
                                      static_cast<std::int64_t>(i), Int(frame, "prev")));
        }
        frame["children"] = std::move(children);
        frame["results"] = json::array(frame["children"].as_array().size());
        frame["started"] = static_cast<std::int64_t>(frame["children"].as_array().size());
        frame["items"] = static_cast<std::int64_t>(frame["children"].as_array().size());
      } else {
        auto in = InputPath(state, raw, ctx);
        if (!in) {
          HandleError(frame, state, FromError(in.error()), false);
          return true;
        }
        json::value items_v = *in;
        if (const json::object* reader = Obj(state, "ItemReader")) {
          // Distributed Map: the items come from S3 (a listing, or a JSON / JSONL / CSV object).
          TaskRequest r;
          r.state_name = Str(frame, "state");
          r.resource = Str(*reader, "Resource");
          r.parameters = json::object{};
          if (auto p = reader->find("Parameters"); p != reader->end()) {
            auto params = ApplyTemplate(p->value(), *in, ctx);
            if (!params) {
              HandleError(frame, state, FromError(params.error()), false);
              return true;
            }
            r.parameters = std::move(*params);
          }
          const json::object* config = Obj(*reader, "ReaderConfig");
          auto read = tasks_.ReadItems(info_, r, config ? *config : json::object{});
          if (!read) {
            HandleError(frame, state, FromError(read.error()), false);
            return true;
          }
          items_v = std::move(*read);
        } else if (Jsonata(state) && state.contains("Items")) {
          auto v = ApplyJsonata(state.at("Items"), Bindings(frame, raw, ctx));
          if (!v) {
            HandleError(frame, state, FromError(v.error()), false);
            return true;
          }
          items_v = std::move(*v);
        } else if (state.contains("ItemsPath")) {
          auto v = EvaluatePath(Str(state, "ItemsPath"), *in, ctx);
          if (!v) {
            HandleError(frame, state, FromError(v.error()), false);
            return true;
          }
          items_v = std::move(*v);
        }
        if (!items_v.is_array()) {
          HandleError(
              frame, state,
              Failure{"States.Runtime", "Map state input must be an array but was: " + ToJsonText(items_v)},
              false);
          return true;
        }
        // ItemSelector (or Parameters) shapes each item, with $$.Map.Item.Index and Value.
        const json::array& items = items_v.as_array();
        json::array inputs;
        const json::value* selector = state.contains("ItemSelector") ? &state.at("ItemSelector")
                                      : state.contains("Parameters") ? &state.at("Parameters")
                                                                     : nullptr;
        for (std::size_t i = 0; i < items.size(); ++i) {
          if (selector == nullptr) {
            inputs.push_back(items[i]);
            continue;
          }
          const json::value item_ctx = Context(frame, state, "", &items[i], static_cast<std::int64_t>(i));
          auto sel = Jsonata(state) ? ApplyJsonata(*selector, Bindings(frame, raw, item_ctx))
                                    : ApplyTemplate(*selector, *in, item_ctx);
          if (!sel) {
            HandleError(frame, state, FromError(sel.error()), false);
            return true;
          }
          inputs.push_back(std::move(*sel));
        }
        // ItemBatcher: then the iterations get {"Items": [...], "BatchInput": ...}, each batch at most
        // MaxItemsPerBatch(Path) items and MaxInputBytesPerBatch(Path) bytes (256 KiB at most, as on AWS; an
        // item larger than that is a batch of its own).
        std::vector<std::int64_t> counts(inputs.size(), 1);
        if (const json::object* batcher = Obj(state, "ItemBatcher")) {
          auto limit = [&](std::string_view field) -> std::int64_t {
            if (batcher->contains(field)) return Int(*batcher, field, 0);
            const std::string path = std::string(field) + "Path";
            if (batcher->contains(path)) {
              auto v = EvaluatePath(Str(*batcher, path), *in, ctx);
              if (v && v->is_number()) return v->to_number<std::int64_t>();
            }
            return 0;
          };
          std::int64_t per = limit("MaxItemsPerBatch");
          std::int64_t bytes = limit("MaxInputBytesPerBatch");
          if (per <= 0) per = std::numeric_limits<std::int64_t>::max();
          if (bytes <= 0 || bytes > 256 * 1024) bytes = 256 * 1024;
          json::value batch_input;
          bool has_batch_input = false;
          if (auto bi = batcher->find("BatchInput"); bi != batcher->end()) {
            auto v = Jsonata(state) ? ApplyJsonata(bi->value(), Bindings(frame, raw, ctx))
                                    : ApplyTemplate(bi->value(), *in, ctx);
            if (!v) {
              HandleError(frame, state, FromError(v.error()), false);
              return true;
            }
            batch_input = std::move(*v);
            has_batch_input = true;
          }
          // {"Items":[],"BatchInput":...}: the envelope every batch carries.
          const std::int64_t envelope =
              11 +
              (has_batch_input ? 14 + static_cast<std::int64_t>(json::serialize(batch_input).size()) : 0);
          counts.clear();
          json::array batches;
          json::array chunk;
          std::int64_t size = envelope;
          auto close = [&] {
            counts.push_back(static_cast<std::int64_t>(chunk.size()));
            json::object batch{{"Items", std::move(chunk)}};
            if (has_batch_input) batch["BatchInput"] = batch_input;
            batches.push_back(std::move(batch));
            chunk = json::array{};
            size = envelope;
          };
          for (auto& item : inputs) {
            const std::int64_t n = static_cast<std::int64_t>(json::serialize(item).size()) + 1;
            if (!chunk.empty() && (static_cast<std::int64_t>(chunk.size()) >= per || size + n > bytes))
              close();
            chunk.push_back(std::move(item));
            size += n;
          }
          if (!chunk.empty()) close();
          inputs = std::move(batches);
        }
        Emit(frame, "MapStateStarted", "mapStateStartedEventDetails",
             json::object{{"length", static_cast<std::int64_t>(inputs.size())}});
        if (const json::object* proc = Obj(state, "ItemProcessor"); proc && info_.map_runs) {
          const json::object* pc = Obj(*proc, "ProcessorConfig");
          if (pc && Str(*pc, "Mode") == "DISTRIBUTED") {
            return StartMapRun(frame, state, raw, *in, ctx, *proc, *pc, std::move(inputs), std::move(counts));
          }
        }
        frame["results"] = json::array(inputs.size());
        frame["items"] = static_cast<std::int64_t>(inputs.size());
        frame["item_inputs"] = std::move(inputs);
        frame["children"] = json::array{};
        frame["started"] = 0;
      }
      frame["failures"] = 0;
      frame["phase"] = "branches";
    }
    // Start Map iterations up to MaxConcurrency (0: all).
    json::array& children = frame["children"].as_array();
    const std::int64_t total = Int(frame, "items");
    if (is_map) {
      std::int64_t limit = Int(state, "MaxConcurrency", 0);
      if (state.contains("MaxConcurrencyPath")) {
        auto v = EvaluatePath(Str(state, "MaxConcurrencyPath"), raw, Context(frame, state, "", nullptr, 0));
        if (v && v->is_number()) limit = v->to_number<std::int64_t>();
      }
      const std::string processor = state.contains("ItemProcessor") ? "ItemProcessor" : "Iterator";
      const json::object* proc = Obj(state, processor);
      std::int64_t running = 0;
      for (const auto& c : children) {
        if (Str(c.as_object(), "phase") != "done") ++running;
      }
      json::array& inputs = frame["item_inputs"].as_array();
      while (Int(frame, "started") < total && (limit <= 0 || running < limit)) {
        const std::int64_t i = Int(frame, "started");
        frame["started"] = i + 1;
        json::object child = NewFrame(frame, base + "/" + processor, proc ? Str(*proc, "StartAt") : "",
                                      inputs[static_cast<std::size_t>(i)], i, Int(frame, "prev"));
        Emit(child, "MapIterationStarted", "mapIterationStartedEventDetails",
             json::object{{"name", name}, {"index", i}});
        inputs[static_cast<std::size_t>(i)] = nullptr;  // handed to the iteration
        children.push_back(std::move(child));
        ++running;
      }
    }
    // Advance every running branch.
    bool any_running = false;
    std::optional<Failure> failed;
    for (auto& c : children) {
      json::object& child = c.as_object();
      if (Str(child, "phase") != "done") {
        RunFrame(child);
        if (Str(child, "phase") == "done") {
          const std::int64_t index = Int(child, "index");
          if (is_map) {
            const bool ok = Str(child, "status") == "SUCCEEDED";
            Emit(child, ok ? "MapIterationSucceeded" : "MapIterationFailed",
                 ok ? "mapIterationSucceededEventDetails" : "mapIterationFailedEventDetails",
                 json::object{{"name", name}, {"index", index}});
          }
          if (Str(child, "status") == "SUCCEEDED") {
            frame["results"].as_array()[static_cast<std::size_t>(index)] =
                child.contains("output") ? child.at("output") : nullptr;
          } else {
            frame["failures"] = Int(frame, "failures") + 1;
            if (!failed) failed = Failure{Str(child, "error"), Str(child, "cause")};
          }
        }
      }
      if (Str(child, "phase") != "done") any_running = true;
    }
    // Finished iterations keep only their result: drop their frames (a Map of 10,000 items stays small).
    if (is_map) {
      json::array kept;
      for (auto& c : children) {
        if (Str(c.as_object(), "phase") != "done") kept.push_back(std::move(c));
      }
      frame["children"] = std::move(kept);
    }
    const std::int64_t failures = Int(frame, "failures");
    if (failed || failures > 0) {
      bool tolerated = false;
      Failure f = failed.value_or(Failure{"States.BranchFailed", ""});
      if (is_map && f.error != "States.Runtime" &&
          (state.contains("ToleratedFailureCount") || state.contains("ToleratedFailurePercentage"))) {
        const std::int64_t count = Int(state, "ToleratedFailureCount", -1);
        const double pct = Num(state, "ToleratedFailurePercentage", -1);
        tolerated = true;
        if (count >= 0 && failures > count) tolerated = false;
        if (pct >= 0 && total > 0 && 100.0 * static_cast<double>(failures) / static_cast<double>(total) > pct)
          tolerated = false;
        if (!tolerated) {
          f = Failure{"States.ExceedToleratedFailureThreshold",
                      "The specified tolerated failure threshold was exceeded"};
        }
      }
      if (!tolerated) {
        Emit(frame, is_map ? "MapStateFailed" : "ParallelStateFailed");
        HandleError(frame, state, f, false);
        return true;
      }
    }
    if (any_running || (is_map && Int(frame, "started") < total)) {
      if (is_map && Int(frame, "started") < total) return RunBranches(frame, state, "branches", raw, scope);
      return false;
    }
    Emit(frame, is_map ? "MapStateSucceeded" : "ParallelStateSucceeded");
    json::value results = frame["results"];
    frame.erase("results");
    frame.erase("item_inputs");
    const json::value ctx = Context(frame, state, "", nullptr, 0);
    auto out = Output(frame, state, raw, std::move(results), ctx);
    if (!out) {
      HandleError(frame, state, FromError(out.error()), false);
      return true;
    }
    Transition(frame, state, std::move(*out));
    return true;
  }

  // ---- Distributed Map: a Map Run of child executions

  // A Map's number field, or its *Path (JSONPath) read from the state's input.
  double MapNumber(const json::object& frame, const json::object& state, const json::value& raw,
                   std::string_view field, double def) {
    if (state.contains(field)) return Num(state, field, def);
    const std::string path_field = std::string(field) + "Path";
    if (state.contains(path_field)) {
      auto v = EvaluatePath(Str(state, path_field), raw, Context(frame, state, "", nullptr, 0));
      if (v && v->is_number()) return v->to_number<double>();
    }
    return def;
  }

  bool StartMapRun(json::object& frame, const json::object& state, const json::value& raw,
                   const json::value& in, const json::value& ctx, const json::object& proc,
                   const json::object& config, json::array inputs, std::vector<std::int64_t> counts) {
    MapRunRequest r;
    r.key = Str(frame, "scope") + "/" + Escape(Str(frame, "state")) + "#" +
            std::to_string(Int(frame, "index")) + "#" + std::to_string(Int(frame, "entered")) + "#" +
            std::to_string(RetryCount(frame));
    r.state_name = Str(frame, "state");
    r.label = Str(state, "Label");
    r.processor = proc;
    r.processor.erase("ProcessorConfig");
    if (!r.processor.contains("QueryLanguage") && definition_.contains("QueryLanguage")) {
      r.processor["QueryLanguage"] = definition_.at("QueryLanguage");
    }
    r.execution_type = Str(config, "ExecutionType", "STANDARD");
    r.inputs = std::move(inputs);
    r.item_counts = std::move(counts);
    r.max_concurrency = static_cast<std::int64_t>(MapNumber(frame, state, raw, "MaxConcurrency", 0));
    r.tolerated_count = static_cast<std::int64_t>(MapNumber(frame, state, raw, "ToleratedFailureCount", -1));
    r.tolerated_percentage = MapNumber(frame, state, raw, "ToleratedFailurePercentage", -1);
    const json::object* rw = Obj(state, "ResultWriter");
    if (rw != nullptr) {
      if (auto wc = rw->find("WriterConfig"); wc != rw->end()) r.writer_config = wc->value();
    }
    if (rw != nullptr && rw->contains("Resource")) {
      const char* field = Jsonata(state) ? "Arguments" : "Parameters";
      json::value params = json::object{};
      if (auto p = rw->find(field); p != rw->end()) {
        auto v = Jsonata(state) ? ApplyJsonata(p->value(), Bindings(frame, raw, ctx))
                                : ApplyTemplate(p->value(), in, ctx);
        if (!v) {
          HandleError(frame, state, FromError(v.error()), false);
          return true;
        }
        params = std::move(*v);
      }
      if (!params.is_object() || !params.as_object().contains("Bucket") ||
          !params.as_object().at("Bucket").is_string()) {
        HandleError(frame, state,
                    Failure{"States.ResultWriterFailed", "The ResultWriter's Parameters must name a Bucket"},
                    false);
        return true;
      }
      r.result_writer = std::move(params);
    }
    auto started = tasks_.StartMapRun(info_, r);
    if (!started) {
      HandleError(frame, state, FromError(started.error()), false);
      return true;
    }
    frame.erase("item_inputs");
    frame.erase("children");
    frame["map_run"] = started->first;
    Emit(frame, started->second ? "MapRunRedriven" : "MapRunStarted",
         started->second ? "mapRunRedrivenEventDetails" : "mapRunStartedEventDetails",
         started->second ? json::object{{"mapRunArn", started->first}, {"redriveCount", info_.redrive_count}}
                         : json::object{{"mapRunArn", started->first}});
    frame["phase"] = "map_run";
    return true;
  }

  // The Map Run's state: the Map state ends when it does.
  bool PollMapRun(json::object& frame, const json::object& state, const json::value& raw) {
    const MapRunStatus s = tasks_.MapRunState(info_, Str(frame, "map_run"));
    if (s.status == "RUNNING") {
      // The Map Run wakes the execution when it ends; this is only a fallback.
      Wake(now_ + 10'000);
      return false;
    }
    frame.erase("map_run");
    if (s.status == "SUCCEEDED") {
      Emit(frame, "MapRunSucceeded");
      Emit(frame, "MapStateSucceeded");
      frame.erase("results");
      const json::value ctx = Context(frame, state, "", nullptr, 0);
      auto out = Output(frame, state, raw, s.output, ctx);
      if (!out) {
        HandleError(frame, state, FromError(out.error()), false);
        return true;
      }
      Transition(frame, state, std::move(*out));
      return true;
    }
    if (s.status == "ABORTED") {
      Emit(frame, "MapRunAborted");
      Emit(frame, "MapStateAborted");
    } else {
      Emit(frame, "MapRunFailed", "mapRunFailedEventDetails",
           json::object{{"error", s.error}, {"cause", s.cause}});
      Emit(frame, "MapStateFailed");
    }
    HandleError(frame, state, Failure{s.error, s.cause}, false);
    return true;
  }

  // A branch or iteration: it reads the variables of its parent's scope (as copies: AWS scopes them).
  static json::object NewFrame(const json::object& parent, std::string scope, std::string start,
                               json::value input, std::int64_t index, std::int64_t prev) {
    json::object f{{"scope", std::move(scope)},
                   {"state", std::move(start)},
                   {"input", std::move(input)},
                   {"phase", "enter"},
                   {"index", index},
                   {"prev", prev},
                   {"retries", json::array{}}};
    if (auto it = parent.find("vars"); it != parent.end()) f["vars"] = it->value();
    return f;
  }

  const json::object& definition_;
  const ExecutionInfo& info_;
  TaskRunner& tasks_;
  json::object& run_;
  const std::int64_t now_;
  Advance& out_;
  std::int64_t next_id_;
  int budget_ = kStepBudget;
};

json::object* FindTokenFrame(json::object& frame, const std::string& token) {
  if (auto t = frame.find("task"); t != frame.end() && t->value().is_object()) {
    if (Str(t->value().as_object(), "token") == token && Str(frame, "phase") == "task_wait") return &frame;
  }
  if (auto c = frame.find("children"); c != frame.end() && c->value().is_array()) {
    for (auto& child : c->value().as_array()) {
      if (json::object* f = FindTokenFrame(child.as_object(), token)) return f;
    }
  }
  return nullptr;
}

void EndExecution(json::object& run, json::object& frame, std::int64_t now, Advance& out, Runner& r) {
  (void)now;
  // Events first: `frame` lives in `run`, which gains members below.
  const std::string status = Str(frame, "status");
  if (status == "SUCCEEDED") {
    json::value output = frame.contains("output") ? frame.at("output") : json::value(json::object{});
    r.Emit(
        frame, "ExecutionSucceeded", "executionSucceededEventDetails",
        json::object{{"output", ToJsonText(output)}, {"outputDetails", json::object{{"truncated", false}}}});
    run["status"] = "SUCCEEDED";
    run["output"] = std::move(output);
  } else {
    const std::string error = Str(frame, "error"), cause = Str(frame, "cause");
    r.Emit(frame, "ExecutionFailed", "executionFailedEventDetails",
           json::object{{"error", error}, {"cause", cause}});
    run["status"] = "FAILED";
    run["error"] = error;
    run["cause"] = cause;
  }
  out.done = true;
  out.wake_ms = -1;
}

}  // namespace

Interpreter::Interpreter(const json::object& definition, const ExecutionInfo& info, TaskRunner& runner)
    : definition_(definition), info_(info), runner_(runner) {}

json::object Interpreter::NewRun(const json::value& input) {
  return json::object{{"status", "RUNNING"}, {"input", input}, {"next_id", 1}, {"started", false}};
}

Advance Interpreter::Step(json::object& run, std::int64_t now_ms) {
  Advance out;
  if (Str(run, "status") != "RUNNING") {
    out.done = true;
    return out;
  }
  Runner r(definition_, info_, runner_, run, now_ms, out);
  if (!run.contains("frame")) {
    json::object top{{"scope", ""},
                     {"state", Str(definition_, "StartAt")},
                     {"input", run["input"]},
                     {"phase", "enter"},
                     {"index", 0},
                     {"prev", 0},
                     {"retries", json::array{}}};
    json::object details{{"input", ToJsonText(run["input"])},
                         {"inputDetails", json::object{{"truncated", false}}},
                         {"roleArn", info_.role_arn}};
    if (run.contains("alias_arn")) details["stateMachineAliasArn"] = run["alias_arn"];
    if (run.contains("version_arn")) details["stateMachineVersionArn"] = run["version_arn"];
    r.Emit(top, "ExecutionStarted", "executionStartedEventDetails", std::move(details));
    run["frame"] = std::move(top);
  }
  // The execution's own TimeoutSeconds.
  if (const std::int64_t t = Int(definition_, "TimeoutSeconds", 0); t > 0) {
    if (now_ms >= info_.start_ms + t * 1000) {
      r.Emit(run["frame"].as_object(), "ExecutionTimedOut", "executionTimedOutEventDetails",
             json::object{{"error", "States.Timeout"}, {"cause", ""}});
      run["status"] = "TIMED_OUT";
      run["error"] = "States.Timeout";
      run["cause"] = "";
      out.done = true;
      return out;
    }
  }
  json::object& frame = run["frame"].as_object();
  r.RunFrame(frame);
  if (Str(frame, "phase") == "done") {
    EndExecution(run, frame, now_ms, out, r);
    return out;
  }
  if (const std::int64_t t = Int(definition_, "TimeoutSeconds", 0); t > 0) r.Wake(info_.start_ms + t * 1000);
  return out;
}

bool Interpreter::Deliver(json::object& run, const std::string& token, const TaskOutcome& outcome,
                          bool heartbeat, std::int64_t now_ms) {
  if (Str(run, "status") != "RUNNING" || !run.contains("frame")) return false;
  json::object* f = FindTokenFrame(run["frame"].as_object(), token);
  if (f == nullptr) return false;
  if (heartbeat) {
    json::object& task = (*f)["task"].as_object();
    task["beat"] = now_ms;
    // GetActivityTask: the worker that took the task (recorded as ActivityStarted at the next step).
    if (outcome.output.is_object()) {
      if (const json::value* worker = outcome.output.as_object().if_contains("worker"))
        task["worker"] = *worker;
    }
    return true;
  }
  if (outcome.kind == TaskOutcome::Kind::kFailed) {
    (*f)["delivered"] = json::object{{"error", outcome.error}, {"cause", outcome.cause}};
  } else {
    (*f)["delivered"] = json::object{{"output", outcome.output}};
  }
  return true;
}

Advance Interpreter::Abort(json::object& run, const std::string& error, const std::string& cause,
                           std::int64_t now_ms) {
  Advance out;
  if (Str(run, "status") != "RUNNING") return out;
  {
    Runner r(definition_, info_, runner_, run, now_ms, out);
    json::object dummy{{"prev", 0}};
    json::object& frame = run.contains("frame") ? run["frame"].as_object() : dummy;
    json::object d;
    if (!error.empty()) d["error"] = error;
    if (!cause.empty()) d["cause"] = cause;
    r.Emit(frame, "ExecutionAborted", "executionAbortedEventDetails", std::move(d));
  }
  run["status"] = "ABORTED";
  run["error"] = error;
  run["cause"] = cause;
  out.done = true;
  return out;
}

namespace {

// Puts every failed branch back at the state that failed (Map iterations and Parallel branches that did
// not succeed are run again; those that did keep their results).
bool Reopen(json::object& frame) {
  if (Str(frame, "status") != "FAILED") return false;
  frame.erase("status");
  frame.erase("error");
  frame.erase("cause");
  frame["retries"] = json::array{};
  frame["phase"] = "start";
  frame.erase("task");
  frame.erase("children");
  return true;
}

}  // namespace

Result<Advance> Interpreter::Redrive(json::object& run, std::int64_t now_ms) {
  const std::string status = Str(run, "status");
  if (status != "FAILED" && status != "TIMED_OUT" && status != "ABORTED") {
    return MakeError("ExecutionNotRedrivable", "Execution is not redrivable.");
  }
  if (!run.contains("frame")) return MakeError("ExecutionNotRedrivable", "Execution is not redrivable.");
  if (Str(run["frame"].as_object(), "status") != "FAILED" &&
      Str(run["frame"].as_object(), "phase") == "done") {
    return MakeError("ExecutionNotRedrivable", "Execution is not redrivable.");
  }
  run["status"] = "RUNNING";
  run.erase("error");
  run.erase("cause");
  json::object& frame = run["frame"].as_object();  // after the erases: they may move run's members
  if (Str(frame, "status") == "FAILED") {
    Reopen(frame);
  } else if (Str(frame, "phase") == "task_wait" || Str(frame, "phase") == "wait") {
    frame["phase"] = "start";
  }
  Advance out;
  Runner r(definition_, info_, runner_, run, now_ms, out);
  r.Emit(frame, "ExecutionRedriven", "executionRedrivenEventDetails",
         json::object{{"redriveCount", info_.redrive_count}});
  out.wake_ms = now_ms;
  return out;
}

bool AwaitsToken(json::object& run, const std::string& token) {
  if (Str(run, "status") != "RUNNING" || !run.contains("frame") || !run["frame"].is_object()) return false;
  return FindTokenFrame(run["frame"].as_object(), token) != nullptr;
}

std::string NewTaskToken(const std::string& execution_arn) {
  return Base64Encode(execution_arn + "#" + RandomHex(24), Base64Alphabet::kUrlSafe);
}

std::string ExecutionOfToken(const std::string& token) {
  auto d = Base64Decode(token, kWireBase64);
  if (!d) return "";
  const std::size_t hash = d->rfind('#');
  if (hash == std::string::npos || !d->starts_with("arn:")) return "";
  return d->substr(0, hash);
}

}  // namespace cenote::states::asl
