// Trino's analyzer type checks added to the parsed statement (dialect_type_checks.hpp).
#include "query/dialect_type_checks.hpp"

#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "query/dialect_nodes.hpp"
#include "query/statement.hpp"

namespace cenote::query::internal {
namespace {

namespace json = boost::json;

bool IsLiteral(const json::value& v) {
  if (!v.is_object()) return false;
  const json::object& o = v.get_object();
  if (StringField(o, "class") == "CONSTANT") {
    const json::value* value = o.if_contains("value");
    const json::value* is_null =
        value != nullptr && value->is_object() ? value->get_object().if_contains("is_null") : nullptr;
    return is_null != nullptr && is_null->is_bool() && !is_null->get_bool();
  }
  if (StringField(o, "class") == "CAST") {
    const json::value* child = o.if_contains("child");
    return child != nullptr && IsLiteral(*child);
  }
  return false;
}

// The constant's value object ({"type": {"id": ...}, "value": ...}), or nullptr.
const json::object* ConstantValue(const json::value& v) {
  if (!v.is_object() || StringField(v.get_object(), "class") != "CONSTANT") return nullptr;
  const json::value* value = v.get_object().if_contains("value");
  return value != nullptr && value->is_object() ? &value->get_object() : nullptr;
}

std::string ConstantTypeId(const json::object& value) {
  const json::value* type = value.if_contains("type");
  return type != nullptr && type->is_object() ? StringField(type->get_object(), "id") : "";
}

// varchar(n) for a string literal (n in characters), "" otherwise.
std::string LiteralTypeText(const json::value& v) {
  const json::object* value = ConstantValue(v);
  if (value == nullptr || ConstantTypeId(*value) != "VARCHAR") return "";
  const json::value* text = value->if_contains("value");
  if (text == nullptr || !text->is_string()) return "";
  std::size_t chars = 0;
  for (char c : text->get_string())
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++chars;
  return "varchar(" + std::to_string(chars) + ")";
}

// The node's offset into the parsed text, "" when it has none. Small offsets read back as int64, "none"
// (2^64 - 1) as uint64.
std::string Offset(const json::value& v) {
  if (!v.is_object()) return "";
  const json::value* at = v.get_object().if_contains("query_location");
  if (at == nullptr) return "";
  if (at->is_int64() && at->get_int64() >= 0) return std::to_string(at->get_int64());
  if (at->is_uint64() && at->get_uint64() < (std::uint64_t{1} << 32)) return std::to_string(at->get_uint64());
  return "";
}

// What the user's text holds at the node's offset, for engine_errors.cpp to check before it names the
// position (Trino-only syntax rewritten before the parse moves offsets): a string literal's quote, an
// integer literal's digits, a column's first name. "" when it cannot be told (no position
// is given).
std::string TextAt(const json::value& v) {
  if (const json::object* value = ConstantValue(v)) {
    const std::string id = ConstantTypeId(*value);
    const json::value* x = value->if_contains("value");
    if (id == "VARCHAR") return "'";
    if ((id == "INTEGER" || id == "BIGINT") && x != nullptr && x->is_int64())
      return std::to_string(x->get_int64());
    return "";
  }
  if (!v.is_object() || StringField(v.get_object(), "class") != "COLUMN_REF") return "";
  const json::value* names = v.get_object().if_contains("column_names");
  if (names == nullptr || !names->is_array() || names->get_array().empty() ||
      !names->get_array()[0].is_string())
    return "";
  std::string name(names->get_array()[0].get_string());
  if (name.find_first_of("|,@\"") != std::string::npos) return "";
  return name;
}

bool HoldsSubqueryOrWindow(const json::value& v, int depth) {
  if (depth > 400) return true;
  if (v.is_array()) {
    for (const json::value& item : v.get_array())
      if (HoldsSubqueryOrWindow(item, depth + 1)) return true;
    return false;
  }
  if (!v.is_object()) return false;
  const std::string cls = StringField(v.get_object(), "class");
  if (cls == "SUBQUERY" || cls == "WINDOW") return true;
  for (const auto& [key, child] : v.get_object())
    if (key != "cast_type" && HoldsSubqueryOrWindow(child, depth + 1)) return true;
  return false;
}

bool IsNull(const json::value& v) {
  const json::object* value = ConstantValue(v);
  if (value == nullptr) return false;
  const json::value* is_null = value->if_contains("is_null");
  return is_null != nullptr && is_null->is_bool() && is_null->get_bool();
}

json::object FalseCondition() {
  return json::object{{"class", "CAST"},
                      {"type", "OPERATOR_CAST"},
                      {"alias", ""},
                      {"query_location", 0},
                      {"child", NewConstant("VARCHAR", "f")},
                      {"cast_type", json::object{{"id", "BOOLEAN"}, {"type_info", nullptr}}},
                      {"try_cast", false}};
}

// `e` itself for a literal (its type as written), otherwise CASE WHEN false THEN e END: NULL of e's type
// (the optimizer folds it to a constant).
json::value Probe(const json::value& e) {
  if (IsLiteral(e)) return e;
  json::value then = e;
  if (then.is_object()) then.get_object()["alias"] = "";
  return json::object{{"class", "CASE"},
                      {"type", "CASE_EXPR"},
                      {"alias", ""},
                      {"query_location", 0},
                      {"case_checks", json::array{json::object{{"when_expr", FalseCondition()},
                                                               {"then_expr", std::move(then)}}}},
                      {"else_expr", NullConstant()}};
}

// __cenote_check_types('<kind>|<offset>|<text>|<probe>...', operands...), a probe's field being
// "<offset>,<text>,<literal type>" (trino_functions_types.cpp reads them).
json::object CheckCall(const std::string& kind, const std::string& offset, const std::string& text,
                       const std::vector<const json::value*>& operands) {
  std::string info = kind;
  info.append("|").append(offset).append("|").append(text);
  json::array args{NewConstant("VARCHAR", "")};
  for (const json::value* operand : operands) {
    info.append("|").append(Offset(*operand)).append(",").append(TextAt(*operand)).append(",");
    info.append(LiteralTypeText(*operand));
    args.push_back(Probe(*operand));
  }
  args[0] = NewConstant("VARCHAR", json::string(info));
  return NewFunction("__cenote_check_types", std::move(args));
}

json::object Conjunction(json::value left, json::value right, json::value alias) {
  return json::object{{"class", "CONJUNCTION"},
                      {"type", "CONJUNCTION_AND"},
                      {"alias", std::move(alias)},
                      {"query_location", 0},
                      {"children", json::array{std::move(left), std::move(right)}}};
}

// `v AND check`, keeping v's alias on the conjunction.
void AndCheck(json::value& v, json::object check) {
  json::object& o = v.get_object();
  json::value alias = o["alias"];
  o["alias"] = "";
  v = Conjunction(std::move(check), std::move(o), std::move(alias));
}

bool AnyHoldsSubqueryOrWindow(const std::vector<const json::value*>& operands) {
  for (const json::value* operand : operands)
    if (HoldsSubqueryOrWindow(*operand, 0)) return true;
  return false;
}

// The check of `v` when it is a construct Trino's analyzer type-checks, built from its operands as they
// are (before the checks inside them are added: a probe copies the operand).
std::optional<json::object> CheckFor(const json::value& v) {
  if (!v.is_object()) return std::nullopt;
  const json::object& o = v.get_object();
  const std::string cls = StringField(o, "class");
  const std::string type = StringField(o, "type");
  if (cls == "COMPARISON") {
    static const std::pair<const char*, const char*> kOperators[] = {{"COMPARE_EQUAL", "="},
                                                                     {"COMPARE_NOTEQUAL", "<>"},
                                                                     {"COMPARE_LESSTHAN", "<"},
                                                                     {"COMPARE_GREATERTHAN", ">"},
                                                                     {"COMPARE_LESSTHANOREQUALTO", "<="},
                                                                     {"COMPARE_GREATERTHANOREQUALTO", ">="}};
    const char* op = nullptr;
    for (const auto& [duck, trino] : kOperators)
      if (type == duck) op = trino;
    const json::value* left = o.if_contains("left");
    const json::value* right = o.if_contains("right");
    if (op == nullptr || left == nullptr || right == nullptr) return std::nullopt;
    if (AnyHoldsSubqueryOrWindow({left, right})) return std::nullopt;
    return CheckCall(op, Offset(v), op, {left, right});
  }
  // x NOT BETWEEN a AND b: the position is the NOT's (Trino's predicate starts there).
  if (cls == "OPERATOR" && type == "OPERATOR_NOT") {
    const json::value* children = o.if_contains("children");
    if (children == nullptr || !children->is_array() || children->get_array().size() != 1)
      return std::nullopt;
    const json::value& child = children->get_array()[0];
    if (!child.is_object() || StringField(child.get_object(), "class") != "BETWEEN" || !Offset(child).empty())
      return std::nullopt;
    const json::object& b = child.get_object();
    const json::value* input = b.if_contains("input");
    const json::value* lower = b.if_contains("lower");
    const json::value* upper = b.if_contains("upper");
    if (input == nullptr || lower == nullptr || upper == nullptr) return std::nullopt;
    if (AnyHoldsSubqueryOrWindow({input, lower, upper})) return std::nullopt;
    return CheckCall("between", Offset(v), "not", {input, lower, upper});
  }
  if (cls == "BETWEEN") {
    const json::value* input = o.if_contains("input");
    const json::value* lower = o.if_contains("lower");
    const json::value* upper = o.if_contains("upper");
    if (input == nullptr || lower == nullptr || upper == nullptr) return std::nullopt;
    if (AnyHoldsSubqueryOrWindow({input, lower, upper})) return std::nullopt;
    return CheckCall("between", Offset(v), "between", {input, lower, upper});
  }
  if (cls == "OPERATOR" &&
      (type == "COMPARE_IN" || type == "COMPARE_NOT_IN" || type == "OPERATOR_COALESCE")) {
    const json::value* children = o.if_contains("children");
    if (children == nullptr || !children->is_array() || children->get_array().size() < 2) return std::nullopt;
    std::vector<const json::value*> operands;
    for (const json::value& child : children->get_array()) operands.push_back(&child);
    if (AnyHoldsSubqueryOrWindow(operands)) return std::nullopt;
    return CheckCall(type == "OPERATOR_COALESCE" ? "coalesce" : "in", "", "", operands);
  }
  if (cls == "FUNCTION" && StringField(o, "function_name") == "nullif" && StringField(o, "schema").empty()) {
    const json::value* children = o.if_contains("children");
    if (children == nullptr || !children->is_array() || children->get_array().size() != 2)
      return std::nullopt;
    const json::array& args = children->get_array();
    if (AnyHoldsSubqueryOrWindow({&args[0], &args[1]})) return std::nullopt;
    return CheckCall("nullif", Offset(v), "nullif", {&args[0], &args[1]});
  }
  if (cls == "CASE") {
    const json::value* checks = o.if_contains("case_checks");
    const json::value* otherwise = o.if_contains("else_expr");
    if (checks == nullptr || !checks->is_array() || checks->get_array().empty() || otherwise == nullptr)
      return std::nullopt;
    std::vector<const json::value*> results;
    for (const json::value& check : checks->get_array()) {
      const json::value* then = check.is_object() ? check.get_object().if_contains("then_expr") : nullptr;
      if (then == nullptr) return std::nullopt;
      results.push_back(then);
    }
    if (!IsNull(*otherwise)) results.push_back(otherwise);
    if (results.size() < 2 || AnyHoldsSubqueryOrWindow(results)) return std::nullopt;
    // DuckDB's parser turns IF(c, a, b) into a CASE without a position.
    if (Offset(v).empty() && checks->get_array().size() == 1) return CheckCall("if", "", "", results);
    json::object call = CheckCall("case", "", "", results);
    // CASE x WHEN a ...: DuckDB's parser makes each WHEN `x = a` (without a position); Trino checks the
    // operand against each WHEN operand first.
    std::vector<const json::value*> operands;
    for (const json::value& check : checks->get_array()) {
      const json::value* when = check.get_object().if_contains("when_expr");
      if (when == nullptr || !when->is_object()) break;
      const json::object& c = when->get_object();
      const json::value* left = c.if_contains("left");
      const json::value* right = c.if_contains("right");
      if (StringField(c, "class") != "COMPARISON" || StringField(c, "type") != "COMPARE_EQUAL" ||
          !Offset(*when).empty() || left == nullptr || right == nullptr ||
          (!operands.empty() && *left != *operands[0]))
        break;
      if (operands.empty()) operands.push_back(left);
      operands.push_back(right);
    }
    if (operands.size() != checks->get_array().size() + 1 || AnyHoldsSubqueryOrWindow(operands)) return call;
    json::object simple = CheckCall("simplecase", "", "", operands);
    return Conjunction(std::move(simple), std::move(call), "");
  }
  return std::nullopt;
}

// Puts `check` where it is evaluated with `v` and does not change its value (CheckFor built it from v).
void Attach(json::value& v, json::object check) {
  json::object& o = v.get_object();
  const std::string cls = StringField(o, "class");
  if (cls == "CASE") {
    json::value& first = o["case_checks"].get_array()[0];
    json::value* when = first.is_object() ? first.get_object().if_contains("when_expr") : nullptr;
    if (when == nullptr) return;
    json::value condition = std::move(*when);
    *when = Conjunction(std::move(check), std::move(condition), "");
    return;
  }
  if (StringField(o, "type") != "OPERATOR_COALESCE" && StringField(o, "function_name") != "nullif") {
    AndCheck(v, std::move(check));
    return;
  }
  json::value alias = o["alias"];
  o["alias"] = "";
  json::value then = std::move(o);
  v = json::object{{"class", "CASE"},
                   {"type", "CASE_EXPR"},
                   {"alias", std::move(alias)},
                   {"query_location", 0},
                   {"case_checks", json::array{json::object{{"when_expr", std::move(check)},
                                                            {"then_expr", std::move(then)}}}},
                   {"else_expr", NullConstant()}};
}

void AddChecks(json::value& v, int depth) {
  if (depth > 400) return;
  if (v.is_array()) {
    for (json::value& item : v.get_array()) AddChecks(item, depth + 1);
    return;
  }
  if (!v.is_object()) return;
  std::optional<json::object> check = CheckFor(v);
  for (auto& [key, child] : v.get_object()) {
    if (key == "cast_type") continue;
    AddChecks(child, depth + 1);
  }
  if (check) Attach(v, std::move(*check));
}

// The operands' text without positions or aliases (what DuckDB's expression equality compares).
void StripPositions(json::value& v, int depth) {
  if (depth > 400) return;
  if (v.is_array()) {
    for (json::value& item : v.get_array()) StripPositions(item, depth + 1);
    return;
  }
  if (!v.is_object()) return;
  v.get_object().erase("query_location");
  v.get_object().erase("alias");
  for (auto& [key, child] : v.get_object()) StripPositions(child, depth + 1);
}

void CollectChecks(json::value& v, int depth, std::vector<json::object*>& out) {
  if (depth > 400) return;
  if (v.is_array()) {
    for (json::value& item : v.get_array()) CollectChecks(item, depth + 1, out);
    return;
  }
  if (!v.is_object()) return;
  json::object& o = v.get_object();
  if (StringField(o, "class") == "FUNCTION" && StringField(o, "function_name") == "__cenote_check_types") {
    out.push_back(&o);
    return;  // its probes hold no checks
  }
  for (auto& [key, child] : o)
    if (key != "cast_type") CollectChecks(child, depth + 1, out);
}

// DuckDB matches a SELECT expression with a GROUP BY expression by equality, which compares constants but
// not positions: the checks of equal expressions must be equal constants too. Each check takes the info
// (positions) of the first check with the same kind and operands.
void UnifyRepeatedChecks(json::value& statement) {
  std::vector<json::object*> checks;
  CollectChecks(statement, 0, checks);
  std::unordered_map<std::string, json::value> first;
  for (json::object* check : checks) {
    json::array& args = (*check)["children"].get_array();
    const std::string info(args[0].get_object()["value"].get_object()["value"].get_string());
    json::value operands = json::array(args.begin() + 1, args.end());
    StripPositions(operands, 0);
    const std::string key = info.substr(0, info.find('|')) + json::serialize(operands);
    auto [it, inserted] = first.emplace(key, args[0]);
    if (!inserted) args[0] = it->second;
  }
}

}  // namespace

void AddOperatorTypeChecks(json::value& statement) {
  AddChecks(statement, 0);
  UnifyRepeatedChecks(statement);
}

}  // namespace cenote::query::internal
