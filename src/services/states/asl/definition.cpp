#include "services/states/asl/definition.hpp"

#include <map>
#include <set>

#include "services/states/asl/choice.hpp"
#include "services/states/asl/json_path.hpp"
#include "services/states/asl/jsonata.hpp"

namespace cenote::states::asl {

namespace json = boost::json;

namespace {

const std::set<std::string, std::less<>> kCommon = {"Type", "Comment", "QueryLanguage"};
// Fields of each state type; JSONata's (Arguments, Output, Assign, Items) are allowed in both languages'
// lists and checked against the state's query language below.
const std::map<std::string, std::set<std::string, std::less<>>, std::less<>> kFields = {
    {"Pass",
     {"Next", "End", "InputPath", "OutputPath", "Parameters", "ResultPath", "Result", "Output", "Assign"}},
    {"Task",
     {"Next", "End", "InputPath", "OutputPath", "Parameters", "ResultPath", "ResultSelector", "Resource",
      "TimeoutSeconds", "TimeoutSecondsPath", "HeartbeatSeconds", "HeartbeatSecondsPath", "Retry", "Catch",
      "Credentials", "Arguments", "Output", "Assign"}},
    {"Choice", {"Choices", "Default", "InputPath", "OutputPath", "Output", "Assign"}},
    {"Wait",
     {"Next", "End", "InputPath", "OutputPath", "Seconds", "SecondsPath", "Timestamp", "TimestampPath",
      "Output", "Assign"}},
    {"Succeed", {"InputPath", "OutputPath", "Output"}},
    {"Fail", {"Error", "ErrorPath", "Cause", "CausePath"}},
    {"Parallel",
     {"Next", "End", "InputPath", "OutputPath", "Parameters", "ResultPath", "ResultSelector", "Branches",
      "Retry", "Catch", "Arguments", "Output", "Assign"}},
    {"Map",
     {"Next",
      "End",
      "InputPath",
      "OutputPath",
      "ItemsPath",
      "ItemSelector",
      "Parameters",
      "ResultPath",
      "ResultSelector",
      "Iterator",
      "ItemProcessor",
      "MaxConcurrency",
      "MaxConcurrencyPath",
      "Retry",
      "Catch",
      "ToleratedFailureCount",
      "ToleratedFailurePercentage",
      "ItemReader",
      "ResultWriter",
      "ItemBatcher",
      "Label",
      "ToleratedFailureCountPath",
      "ToleratedFailurePercentagePath",
      "Items",
      "Output",
      "Assign"}},
};
const std::set<std::string, std::less<>> kJsonataOnly = {"Arguments", "Output", "Assign", "Items"};
const std::set<std::string, std::less<>> kJsonPathOnly = {
    "InputPath", "OutputPath",  "Parameters",    "ResultPath", "ResultSelector",
    "ItemsPath", "SecondsPath", "TimestampPath", "ErrorPath",  "CausePath"};
// Fields this server does not run (named in the coverage doc): answered as unsupported rather than run
// wrongly.
const std::set<std::string, std::less<>> kUnsupported = {};

// Every "{% %}" string in `v` parses.
bool JsonataParses(const json::value& v) {
  if (v.is_string()) {
    auto e = JsonataExpression(v.get_string());
    return !e || ValidJsonata(*e);
  }
  if (v.is_array()) {
    for (const auto& x : v.as_array()) {
      if (!JsonataParses(x)) return false;
    }
  }
  if (v.is_object()) {
    for (const auto& [k, x] : v.as_object()) {
      if (!JsonataParses(x)) return false;
    }
  }
  return true;
}

class Checker {
 public:
  std::vector<Diagnostic> out;
  bool top_jsonata = false;  // the definition's QueryLanguage is JSONata

  void Add(std::string code, std::string message, std::string location) {
    out.push_back(Diagnostic{std::move(code), std::move(message), std::move(location)});
  }
  void Schema(std::string message, std::string location) {
    Add("SCHEMA_VALIDATION_FAILED", std::move(message), std::move(location));
  }

  static std::string Escape(std::string_view name) {
    std::string o;
    for (char c : name) {
      if (c == '~') {
        o += "~0";
      } else if (c == '/') {
        o += "~1";
      } else {
        o += c;
      }
    }
    return o;
  }

  void String(const json::object& s, std::string_view field, const std::string& at) {
    if (auto it = s.find(field); it != s.end() && !it->value().is_string()) {
      Schema("The value for the field '" + std::string(field) + "' must be a STRING",
             at + "/" + std::string(field));
    }
  }
  void Path(const json::object& s, std::string_view field, const std::string& at, bool nullable,
            bool reference) {
    auto it = s.find(field);
    if (it == s.end()) return;
    if (it->value().is_null() && nullable) return;
    if (!it->value().is_string()) {
      Schema("The value for the field '" + std::string(field) + "' must be a STRING",
             at + "/" + std::string(field));
      return;
    }
    std::string_view p = it->value().get_string();
    const bool ok = reference ? ValidReferencePath(p) : ValidPath(p);
    if (!ok) {
      Schema("The value for the field '" + std::string(field) + "' must be a valid " +
                 (reference ? "ReferencePath" : "JSONPath"),
             at + "/" + std::string(field));
    }
  }
  void PositiveInt(const json::object& s, std::string_view field, const std::string& at, std::int64_t min) {
    auto it = s.find(field);
    if (it == s.end()) return;
    if (it->value().is_string() && JsonataExpression(it->value().get_string())) return;  // checked when run
    const json::value& v = it->value();
    const bool is_int = v.is_int64() || v.is_uint64();
    if (!is_int || (v.is_int64() && v.get_int64() < min)) {
      Schema("The value for the field '" + std::string(field) + "' must be " +
                 (min > 0 ? "a positive INTEGER" : "a non-negative INTEGER"),
             at + "/" + std::string(field));
    }
  }

  void Template(const json::value& v, const std::string& at) {
    if (v.is_array()) {
      for (std::size_t i = 0; i < v.as_array().size(); ++i)
        Template(v.as_array()[i], at + "/" + std::to_string(i));
      return;
    }
    if (!v.is_object()) return;
    for (const auto& [k, child] : v.as_object()) {
      std::string_view key = k;
      if (key.ends_with(".$")) {
        if (!child.is_string()) {
          Schema("The value for the field '" + std::string(key) + "' must be a STRING",
                 at + "/" + Escape(key));
          continue;
        }
        std::string_view expr = child.get_string();
        const bool ok = expr.starts_with("States.") ? ValidIntrinsic(expr) : ValidPath(expr);
        if (!ok) {
          Schema("The value for the field '" + std::string(key) + "' must be a valid JSONPath or a valid " +
                     "intrinsic function call",
                 at + "/" + Escape(key));
        }
        continue;
      }
      Template(child, at + "/" + Escape(key));
    }
  }

  void Rules(const json::array& arr, std::string_view what, const std::string& at) {
    for (std::size_t i = 0; i < arr.size(); ++i) {
      const std::string here = at + "/" + std::to_string(i);
      if (!arr[i].is_object()) {
        Schema("The value for the field '" + std::string(what) + "' must be an OBJECT", here);
        continue;
      }
      const json::object& r = arr[i].as_object();
      auto en = r.find("ErrorEquals");
      if (en == r.end() || !en->value().is_array() || en->value().as_array().empty()) {
        Schema("These fields are required: [ErrorEquals]", here);
      }
      if (what == "Catch") {
        if (!r.contains("Next")) Schema("These fields are required: [Next]", here);
        Path(r, "ResultPath", here, true, true);
      } else {
        PositiveInt(r, "MaxAttempts", here, 0);
        PositiveInt(r, "IntervalSeconds", here, 1);
        PositiveInt(r, "MaxDelaySeconds", here, 1);
        if (auto b = r.find("BackoffRate");
            b != r.end() && (!b->value().is_number() || b->value().to_number<double>() < 1)) {
          Schema("The value for the field 'BackoffRate' must be a NUMBER greater than or equal to 1.0",
                 here + "/BackoffRate");
        }
        if (auto j = r.find("JitterStrategy");
            j != r.end() && (!j->value().is_string() ||
                             (j->value().get_string() != "FULL" && j->value().get_string() != "NONE"))) {
          Schema("The value for the field 'JitterStrategy' must be one of [FULL, NONE]",
                 here + "/JitterStrategy");
        }
      }
    }
  }

  void ChoiceRule(const json::object& r, const std::string& at, bool top) {
    const std::string_view op = ChoiceOperator(r);
    if (op.empty()) {
      Schema("The choice rule must have exactly one comparison operator", at);
      return;
    }
    if (top && !r.contains("Next")) Schema("These fields are required: [Next]", at);
    if (op == "And" || op == "Or") {
      const json::value& v = r.at(op);
      if (!v.is_array() || v.as_array().empty()) {
        Schema("The value for the field '" + std::string(op) + "' must be a non-empty ARRAY",
               at + "/" + std::string(op));
        return;
      }
      for (std::size_t i = 0; i < v.as_array().size(); ++i) {
        if (v.as_array()[i].is_object()) {
          ChoiceRule(v.as_array()[i].as_object(), at + "/" + std::string(op) + "/" + std::to_string(i),
                     false);
        }
      }
      return;
    }
    if (op == "Not") {
      if (!r.at(op).is_object()) {
        Schema("The value for the field 'Not' must be an OBJECT", at + "/Not");
      } else {
        ChoiceRule(r.at(op).as_object(), at + "/Not", false);
      }
      return;
    }
    if (!r.contains("Variable")) {
      Schema("These fields are required: [Variable]", at);
    } else {
      Path(r, "Variable", at, false, false);
    }
    const json::value& v = r.at(op);
    const bool path = op.ends_with("Path");
    bool ok = true;
    if (path) {
      ok = v.is_string() && ValidPath(v.get_string());
    } else if (op.starts_with("String")) {
      ok = v.is_string();
    } else if (op.starts_with("Numeric")) {
      ok = v.is_number();
    } else if (op.starts_with("Boolean") || op.starts_with("Is")) {
      ok = v.is_bool();
    } else if (op.starts_with("Timestamp")) {
      ok = v.is_string() && ParseTimestamp(v.get_string()).has_value();
    }
    if (!ok)
      Schema("The value for the field '" + std::string(op) + "' is not valid", at + "/" + std::string(op));
  }

  // One States object ("" the top, or a branch / item processor).
  void Machine(const json::object& m, const std::string& at) {
    for (const auto& [k, v] : m) {
      if (k != "StartAt" && k != "States" && k != "Comment" && k != "Version" && k != "TimeoutSeconds" &&
          k != "QueryLanguage" && !(at.size() > 0 && k == "ProcessorConfig")) {
        Schema("Field '" + std::string(k) + "' is not supported", at.empty() ? "/" : at);
      }
    }
    if (auto q = m.find("QueryLanguage");
        q != m.end() && q->value() != json::value("JSONPath") && q->value() != json::value("JSONata")) {
      Schema("The value for the field 'QueryLanguage' must be one of [JSONPath, JSONata]",
             at + "/QueryLanguage");
    }
    if (at.empty())
      top_jsonata = m.contains("QueryLanguage") && m.at("QueryLanguage") == json::value("JSONata");
    if (auto pc = m.find("ProcessorConfig"); pc != m.end() && pc->value().is_object()) {
      if (auto mode = pc->value().as_object().find("Mode");
          mode != pc->value().as_object().end() && mode->value() == json::value("DISTRIBUTED")) {
        // A Distributed Map without ItemReader runs its iterations as an inline Map does.
      }
    }
    auto start = m.find("StartAt");
    auto states = m.find("States");
    if (start == m.end() || states == m.end()) {
      std::string missing = start == m.end() && states == m.end() ? "StartAt, States"
                            : start == m.end()                    ? "StartAt"
                                                                  : "States";
      Schema("These fields are required: [" + missing + "]", at.empty() ? "/" : at);
      return;
    }
    if (!start->value().is_string()) {
      Schema("The value for the field 'StartAt' must be a STRING", at + "/StartAt");
      return;
    }
    if (!states->value().is_object() || states->value().as_object().empty()) {
      Schema("The value for the field 'States' must be a non-empty OBJECT", at + "/States");
      return;
    }
    PositiveInt(m, "TimeoutSeconds", at, 1);
    const json::object& st = states->value().as_object();
    const std::string start_at(start->value().get_string());
    if (!st.contains(start_at)) {
      Add("MISSING_TRANSITION_TARGET", "Missing 'Next' target: " + start_at, at + "/StartAt");
    }
    std::map<std::string, std::vector<std::string>> edges;
    for (const auto& [name_sv, sv] : st) {
      const std::string name(name_sv);
      const std::string here = at + "/States/" + Escape(name);
      if (name.size() > 80) Schema("State names must be at most 80 characters", here);
      if (!sv.is_object()) {
        Schema("The value for the field '" + name + "' must be an OBJECT", here);
        continue;
      }
      const json::object& s = sv.as_object();
      auto type_it = s.find("Type");
      if (type_it == s.end()) {
        Schema("These fields are required: [Type]", here);
        continue;
      }
      const std::string type = type_it->value().is_string() ? std::string(type_it->value().get_string()) : "";
      auto fields = kFields.find(type);
      if (fields == kFields.end()) {
        Schema(
            "The value for the field 'Type' must be one of [Pass, Task, Choice, Wait, Succeed, Fail, "
            "Parallel, "
            "Map]",
            here + "/Type");
        continue;
      }
      const bool jsonata =
          s.contains("QueryLanguage") ? s.at("QueryLanguage") == json::value("JSONata") : top_jsonata;
      if (auto q = s.find("QueryLanguage");
          q != s.end() && q->value() != json::value("JSONPath") && q->value() != json::value("JSONata")) {
        Schema("The value for the field 'QueryLanguage' must be one of [JSONPath, JSONata]",
               here + "/QueryLanguage");
      }
      for (const auto& [k, v] : s) {
        if (kCommon.contains(k)) continue;
        if (kUnsupported.contains(k)) {
          Schema("Field '" + std::string(k) + "' is not supported by this server", here + "/" + Escape(k));
          continue;
        }
        if (!fields->second.contains(k) || (jsonata && kJsonPathOnly.contains(k)) ||
            (!jsonata && kJsonataOnly.contains(k))) {
          Schema(
              "Field '" + std::string(k) + "' is not supported" +
                  (fields->second.contains(k) ? std::string(jsonata ? " in JSONata" : " in JSONPath") : ""),
              here);
          continue;
        }
        if (jsonata && !JsonataParses(v)) {
          Schema("The value for the field '" + std::string(k) + "' is not a valid JSONata expression",
                 here + "/" + Escape(k));
        }
      }
      String(s, "Comment", here);
      const bool terminal_type = type == "Choice" || type == "Succeed" || type == "Fail";
      const bool has_next = s.contains("Next"), has_end = s.contains("End");
      if (!terminal_type) {
        if (has_next && has_end) {
          Schema("Only one of 'Next' or 'End' can be present", here);
        } else if (!has_next && !has_end) {
          Schema("These fields are required: [Next or End]", here);
        }
        if (has_end && s.at("End") != json::value(true))
          Schema("The value for the field 'End' must be true", here + "/End");
        String(s, "Next", here);
        if (has_next && s.at("Next").is_string()) edges[name].emplace_back(s.at("Next").get_string());
      }
      for (std::string_view f : {"InputPath", "OutputPath"}) Path(s, f, here, true, false);
      Path(s, "ResultPath", here, true, true);
      for (std::string_view f : {"Parameters", "ResultSelector", "ItemSelector"}) {
        if (auto it = s.find(f); it != s.end()) {
          if (!it->value().is_object()) {
            Schema("The value for the field '" + std::string(f) + "' must be an OBJECT",
                   here + "/" + std::string(f));
          } else {
            Template(it->value(), here + "/" + std::string(f));
          }
        }
      }
      for (std::string_view f : {"Retry", "Catch"}) {
        if (auto it = s.find(f); it != s.end()) {
          if (!it->value().is_array()) {
            Schema("The value for the field '" + std::string(f) + "' must be an ARRAY",
                   here + "/" + std::string(f));
          } else {
            Rules(it->value().as_array(), f, here + "/" + std::string(f));
            if (f == "Catch") {
              for (const auto& c : it->value().as_array()) {
                if (c.is_object() && c.as_object().contains("Next") && c.as_object().at("Next").is_string())
                  edges[name].emplace_back(c.as_object().at("Next").get_string());
              }
            }
          }
        }
      }
      if (type == "Task") {
        if (!s.contains("Resource")) {
          Schema("These fields are required: [Resource]", here);
        } else if (!s.at("Resource").is_string() || !s.at("Resource").get_string().starts_with("arn:")) {
          Schema("The value for the field 'Resource' must be a valid ARN", here + "/Resource");
        }
        PositiveInt(s, "TimeoutSeconds", here, 1);
        PositiveInt(s, "HeartbeatSeconds", here, 1);
        Path(s, "TimeoutSecondsPath", here, false, false);
        Path(s, "HeartbeatSecondsPath", here, false, false);
        if (s.contains("TimeoutSeconds") && s.contains("TimeoutSecondsPath")) {
          Schema("Only one of 'TimeoutSeconds' or 'TimeoutSecondsPath' can be present", here);
        }
      } else if (type == "Choice") {
        auto c = s.find("Choices");
        if (c == s.end() || !c->value().is_array() || c->value().as_array().empty()) {
          Schema("These fields are required: [Choices]", here);
        } else {
          for (std::size_t i = 0; i < c->value().as_array().size(); ++i) {
            const json::value& r = c->value().as_array()[i];
            if (!r.is_object()) continue;
            if (jsonata) {
              const json::object& rule = r.as_object();
              if (!rule.contains("Condition") || !rule.contains("Next")) {
                Schema("These fields are required: [Condition, Next]",
                       here + "/Choices/" + std::to_string(i));
              } else if (!JsonataParses(rule.at("Condition"))) {
                Schema("The value for the field 'Condition' is not a valid JSONata expression",
                       here + "/Choices/" + std::to_string(i) + "/Condition");
              }
            } else {
              ChoiceRule(r.as_object(), here + "/Choices/" + std::to_string(i), true);
            }
            if (auto n = r.as_object().find("Next"); n != r.as_object().end() && n->value().is_string())
              edges[name].emplace_back(n->value().get_string());
          }
        }
        String(s, "Default", here);
        if (auto d = s.find("Default"); d != s.end() && d->value().is_string())
          edges[name].emplace_back(d->value().get_string());
      } else if (type == "Wait") {
        int n = 0;
        for (std::string_view f : {"Seconds", "SecondsPath", "Timestamp", "TimestampPath"})
          n += s.contains(f) ? 1 : 0;
        if (n != 1) {
          Schema("Exactly one of 'Seconds', 'SecondsPath', 'Timestamp' or 'TimestampPath' must be present",
                 here);
        }
        PositiveInt(s, "Seconds", here, 0);
        Path(s, "SecondsPath", here, false, false);
        Path(s, "TimestampPath", here, false, false);
        if (auto t = s.find("Timestamp");
            t != s.end() && (!t->value().is_string() || (!ParseTimestamp(t->value().get_string()) &&
                                                         !JsonataExpression(t->value().get_string())))) {
          Schema("The value for the field 'Timestamp' must be a valid RFC3339 timestamp",
                 here + "/Timestamp");
        }
      } else if (type == "Fail") {
        for (std::string_view f : {"Error", "Cause"}) String(s, f, here);
        if (s.contains("Error") && s.contains("ErrorPath"))
          Schema("Only one of 'Error' or 'ErrorPath' can be present", here);
        if (s.contains("Cause") && s.contains("CausePath"))
          Schema("Only one of 'Cause' or 'CausePath' can be present", here);
      } else if (type == "Parallel") {
        auto b = s.find("Branches");
        if (b == s.end() || !b->value().is_array() || b->value().as_array().empty()) {
          Schema("These fields are required: [Branches]", here);
        } else {
          for (std::size_t i = 0; i < b->value().as_array().size(); ++i) {
            const json::value& branch = b->value().as_array()[i];
            if (!branch.is_object()) {
              Schema("The value for the field 'Branches' must be an ARRAY of OBJECTs",
                     here + "/Branches/" + std::to_string(i));
            } else {
              Machine(branch.as_object(), here + "/Branches/" + std::to_string(i));
            }
          }
        }
      } else if (type == "Map") {
        const bool proc = s.contains("ItemProcessor"), iter = s.contains("Iterator");
        if (!proc && !iter) {
          Schema("These fields are required: [ItemProcessor]", here);
        } else {
          const char* f = proc ? "ItemProcessor" : "Iterator";
          if (!s.at(f).is_object()) {
            Schema(std::string("The value for the field '") + f + "' must be an OBJECT", here + "/" + f);
          } else {
            Machine(s.at(f).as_object(), here + "/" + f);
          }
        }
        Path(s, "ItemsPath", here, false, false);
        PositiveInt(s, "MaxConcurrency", here, 0);
        PositiveInt(s, "ToleratedFailureCount", here, 0);
        if (auto p = s.find("ToleratedFailurePercentage");
            p != s.end() && (!p->value().is_number() || p->value().to_number<double>() < 0 ||
                             p->value().to_number<double>() > 100)) {
          Schema("The value for the field 'ToleratedFailurePercentage' must be a NUMBER between 0 and 100",
                 here + "/ToleratedFailurePercentage");
        }
        if (s.contains("ItemSelector") && s.contains("Parameters")) {
          Schema("Only one of 'ItemSelector' or 'Parameters' can be present", here);
        }
        if (auto rw = s.find("ResultWriter"); rw != s.end()) {
          const json::object* pc = nullptr;
          if (auto ip = s.find("ItemProcessor"); ip != s.end() && ip->value().is_object()) {
            if (auto c = ip->value().as_object().find("ProcessorConfig");
                c != ip->value().as_object().end() && c->value().is_object())
              pc = &c->value().as_object();
          }
          const bool distributed = pc != nullptr && pc->contains("Mode") && pc->at("Mode") == "DISTRIBUTED";
          if (!distributed) {
            Schema("The field 'ResultWriter' is only supported for Map states in DISTRIBUTED mode",
                   here + "/ResultWriter");
          } else if (!rw->value().is_object()) {
            Schema("The value for the field 'ResultWriter' must be an OBJECT", here + "/ResultWriter");
          } else {
            // WriterConfig alone formats the Map's output; Resource with Parameters (Arguments) exports the
            // results to S3; all three export formatted results.
            const json::object& w = rw->value().as_object();
            if (auto wc = w.find("WriterConfig"); wc != w.end()) {
              if (!wc->value().is_object()) {
                Schema("The value for the field 'WriterConfig' must be an OBJECT",
                       here + "/ResultWriter/WriterConfig");
              } else {
                for (const auto& [k, v] : wc->value().as_object()) {
                  const bool known_value =
                      (k == "Transformation" && (v == "NONE" || v == "COMPACT" || v == "FLATTEN")) ||
                      (k == "OutputType" && (v == "JSON" || v == "JSONL"));
                  if (k != "Transformation" && k != "OutputType") {
                    Schema("Field '" + std::string(k) + "' is not supported",
                           here + "/ResultWriter/WriterConfig");
                  } else if (!known_value) {
                    Schema(
                        k == "Transformation"
                            ? "The value for the field 'Transformation' must be one of NONE, COMPACT, FLATTEN"
                            : "The value for the field 'OutputType' must be one of JSON, JSONL",
                        here + "/ResultWriter/WriterConfig/" + std::string(k));
                  }
                }
              }
            }
            const bool exports =
                w.contains("Resource") || w.contains("Parameters") || w.contains("Arguments");
            if (w.empty()) {
              Schema("The field 'ResultWriter' must contain WriterConfig, or Resource and Parameters",
                     here + "/ResultWriter");
            } else if (exports &&
                       (!w.contains("Resource") || w.at("Resource") != "arn:aws:states:::s3:putObject")) {
              Schema("The value for the field 'Resource' must be 'arn:aws:states:::s3:putObject'",
                     here + "/ResultWriter/Resource");
            }
          }
        }
        if (auto l = s.find("Label"); l != s.end()) {
          const bool ok =
              l->value().is_string() && !l->value().get_string().empty() &&
              l->value().get_string().size() <= 40 &&
              std::string_view(l->value().get_string()).find_first_of(" <>{}[]?*\"#%\\^|~`$&,;:/") ==
                  std::string_view::npos;
          if (!ok) {
            Schema(
                "The value for the field 'Label' must be a STRING of at most 40 characters without "
                "special characters",
                here + "/Label");
          }
        }
      } else if (type == "Pass" || type == "Succeed") {
      }
    }
    // Transition targets exist, and every state is reachable from StartAt.
    for (const auto& [from, tos] : edges) {
      for (const auto& to : tos) {
        if (!st.contains(to)) {
          Add("MISSING_TRANSITION_TARGET", "Missing 'Next' target: " + to,
              at + "/States/" + Escape(from) + "/Next");
        }
      }
    }
    std::set<std::string> seen;
    std::vector<std::string> todo{start_at};
    while (!todo.empty()) {
      std::string n = todo.back();
      todo.pop_back();
      if (!seen.insert(n).second) continue;
      for (const auto& t : edges[n]) todo.push_back(t);
    }
    for (const auto& [name, v] : st) {
      if (!seen.contains(std::string(name))) {
        Add("MISSING_TRANSITION_TARGET", "State \"" + std::string(name) + "\" is not reachable.",
            at + "/States/" + Escape(name));
      }
    }
  }
};

}  // namespace

std::vector<Diagnostic> CheckDefinition(std::string_view definition) {
  boost::system::error_code ec;
  json::value v = json::parse(definition, ec);
  if (ec) {
    return {
        Diagnostic{"INVALID_JSON_DESCRIPTION", "Unexpected character or end of input: " + ec.message(), ""}};
  }
  if (!v.is_object())
    return {Diagnostic{"INVALID_JSON_DESCRIPTION", "The definition must be a JSON object", ""}};
  Checker c;
  c.Machine(v.as_object(), "");
  return std::move(c.out);
}

Result<json::object> ParseDefinition(std::string_view definition) {
  std::vector<Diagnostic> d = CheckDefinition(definition);
  if (!d.empty()) {
    std::string msg = "Invalid State Machine Definition: '";
    for (std::size_t i = 0; i < d.size(); ++i) {
      if (i) msg += ", ";
      msg += d[i].code + ": " + d[i].message;
      if (!d[i].location.empty()) msg += " at " + d[i].location;
    }
    msg += "'";
    return MakeError("InvalidDefinition", msg);
  }
  return json::parse(definition).as_object();
}

}  // namespace cenote::states::asl
