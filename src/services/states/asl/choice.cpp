#include "services/states/asl/choice.hpp"

#include <array>
#include <cmath>
#include <string>

#include "services/states/asl/json_path.hpp"

namespace cenote::states::asl {

namespace {

constexpr std::array<std::string_view, 39> kOperators = {"And",
                                                         "Or",
                                                         "Not",
                                                         "StringEquals",
                                                         "StringEqualsPath",
                                                         "StringLessThan",
                                                         "StringLessThanPath",
                                                         "StringGreaterThan",
                                                         "StringGreaterThanPath",
                                                         "StringLessThanEquals",
                                                         "StringLessThanEqualsPath",
                                                         "StringGreaterThanEquals",
                                                         "StringGreaterThanEqualsPath",
                                                         "StringMatches",
                                                         "NumericEquals",
                                                         "NumericEqualsPath",
                                                         "NumericLessThan",
                                                         "NumericLessThanPath",
                                                         "NumericGreaterThan",
                                                         "NumericGreaterThanPath",
                                                         "NumericLessThanEquals",
                                                         "NumericLessThanEqualsPath",
                                                         "NumericGreaterThanEquals",
                                                         "NumericGreaterThanEqualsPath",
                                                         "BooleanEquals",
                                                         "BooleanEqualsPath",
                                                         "TimestampEquals",
                                                         "TimestampEqualsPath",
                                                         "TimestampLessThan",
                                                         "TimestampLessThanPath",
                                                         "TimestampGreaterThan",
                                                         "TimestampGreaterThanPath",
                                                         "TimestampLessThanEquals",
                                                         "TimestampLessThanEqualsPath",
                                                         "TimestampGreaterThanEquals",
                                                         "TimestampGreaterThanEqualsPath",
                                                         "IsNull",
                                                         "IsPresent",
                                                         "IsNumeric"};
constexpr std::array<std::string_view, 3> kMoreOperators = {"IsString", "IsBoolean", "IsTimestamp"};

Error InvalidPath(std::string_view path) {
  return MakeError("States.Runtime", "Invalid path '" + std::string(path) +
                                         "': The choice state's condition path references an invalid value.");
}

// -1, 0, 1 by `cmp` suffix: Equals, LessThan, GreaterThan, LessThanEquals, GreaterThanEquals.
template <typename T>
bool Compare(std::string_view how, const T& a, const T& b) {
  if (how == "Equals") return a == b;
  if (how == "LessThan") return a < b;
  if (how == "GreaterThan") return a > b;
  if (how == "LessThanEquals") return a <= b;
  return a >= b;  // GreaterThanEquals
}

}  // namespace

std::string_view ChoiceOperator(const boost::json::object& rule) {
  for (std::string_view op : kOperators) {
    if (rule.contains(op)) return op;
  }
  for (std::string_view op : kMoreOperators) {
    if (rule.contains(op)) return op;
  }
  return {};
}

bool StringMatches(std::string_view text, std::string_view pattern) {
  // Tokens: literal chars and '*' wildcards; greedy backtracking match.
  std::string lit;
  std::vector<int> kind;  // 0 literal char, 1 star
  std::string chars;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '\\' && i + 1 < pattern.size()) {
      chars += pattern[++i];
      kind.push_back(0);
    } else if (pattern[i] == '*') {
      chars += '*';
      kind.push_back(1);
    } else {
      chars += pattern[i];
      kind.push_back(0);
    }
  }
  std::size_t t = 0, p = 0, star = std::string::npos, mark = 0;
  while (t < text.size()) {
    if (p < chars.size() && kind[p] == 0 && chars[p] == text[t]) {
      ++t;
      ++p;
    } else if (p < chars.size() && kind[p] == 1) {
      star = p++;
      mark = t;
    } else if (star != std::string::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < chars.size() && kind[p] == 1) ++p;
  return p == chars.size();
}

Result<bool> EvaluateChoiceRule(const boost::json::object& rule, const boost::json::value& input,
                                const boost::json::value& context) {
  namespace json = boost::json;
  if (auto it = rule.find("And"); it != rule.end() && it->value().is_array()) {
    for (const auto& r : it->value().as_array()) {
      CENOTE_ASSIGN_OR_RETURN(bool m, EvaluateChoiceRule(r.as_object(), input, context));
      if (!m) return false;
    }
    return true;
  }
  if (auto it = rule.find("Or"); it != rule.end() && it->value().is_array()) {
    for (const auto& r : it->value().as_array()) {
      CENOTE_ASSIGN_OR_RETURN(bool m, EvaluateChoiceRule(r.as_object(), input, context));
      if (m) return true;
    }
    return false;
  }
  if (auto it = rule.find("Not"); it != rule.end() && it->value().is_object()) {
    CENOTE_ASSIGN_OR_RETURN(bool m, EvaluateChoiceRule(it->value().as_object(), input, context));
    return !m;
  }
  const std::string_view op = ChoiceOperator(rule);
  auto var_it = rule.find("Variable");
  if (op.empty() || var_it == rule.end() || !var_it->value().is_string()) {
    return MakeError("States.Runtime", "The choice rule has no comparison operator");
  }
  const std::string variable(var_it->value().get_string());
  auto selected = EvaluatePath(variable, input, context);
  const json::value& operand = rule.at(op);
  if (op == "IsPresent") return selected.ok() == (operand.is_bool() && operand.get_bool());
  if (!selected) return InvalidPath(variable);
  const json::value& v = *selected;
  auto expect = [&](bool is) { return operand.is_bool() && operand.get_bool() == is; };
  if (op == "IsNull") return expect(v.is_null());
  if (op == "IsNumeric") return expect(v.is_number());
  if (op == "IsString") return expect(v.is_string());
  if (op == "IsBoolean") return expect(v.is_bool());
  if (op == "IsTimestamp") return expect(v.is_string() && ParseTimestamp(v.get_string()).has_value());
  json::value other = operand;
  std::string_view name = op;
  if (name.ends_with("Path")) {
    name.remove_suffix(4);
    if (!operand.is_string()) return InvalidPath("");
    auto r = EvaluatePath(operand.get_string(), input, context);
    if (!r) return InvalidPath(operand.get_string());
    other = std::move(*r);
  }
  if (name == "StringMatches") {
    return v.is_string() && other.is_string() && StringMatches(v.get_string(), other.get_string());
  }
  if (name.starts_with("String")) {
    if (!v.is_string() || !other.is_string()) return false;
    return Compare(name.substr(6), std::string_view(v.get_string()), std::string_view(other.get_string()));
  }
  if (name.starts_with("Numeric")) {
    if (!v.is_number() || !other.is_number()) return false;
    return Compare(name.substr(7), v.to_number<double>(), other.to_number<double>());
  }
  if (name == "BooleanEquals") return v.is_bool() && other.is_bool() && v.get_bool() == other.get_bool();
  if (name.starts_with("Timestamp")) {
    if (!v.is_string() || !other.is_string()) return false;
    auto a = ParseTimestamp(v.get_string()), b = ParseTimestamp(other.get_string());
    if (!a || !b) return false;
    return Compare(name.substr(9), *a, *b);
  }
  return MakeError("States.Runtime", "Unknown comparison operator " + std::string(op));
}

}  // namespace cenote::states::asl
