#if defined(__GNUC__) && !defined(__clang__)
// g++ 12's -Wrestrict false positive on std::string concatenation (as services' internal.hpp files note).
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include "services/states/asl/jsonata.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/random.hpp"
#include "common/strings.hpp"
#include "services/states/asl/json_path.hpp"

namespace cenote::states::asl {

namespace json = boost::json;
using Value = std::optional<json::value>;  // nullopt: JSONata's undefined

namespace {

Error Fail(std::string message) { return MakeError("States.QueryEvaluationError", std::move(message)); }

struct Node {
  enum class Kind {
    kLiteral,
    kVariable,
    kName,
    kPath,
    kIndex,
    kArray,
    kObject,
    kUnary,
    kBinary,
    kCondition,
    kCall
  };
  Kind kind = Kind::kLiteral;
  json::value literal;
  std::string name;  // variable / field / function / operator
  std::vector<std::unique_ptr<Node>> kids;
  std::vector<std::pair<std::unique_ptr<Node>, std::unique_ptr<Node>>> pairs;  // object constructor
};
using NodePtr = std::unique_ptr<Node>;

NodePtr Make(Node::Kind k) {
  auto n = std::make_unique<Node>();
  n->kind = k;
  return n;
}

class Parser {
 public:
  explicit Parser(std::string_view t) : t_(t) {}

  Result<NodePtr> Run() {
    CENOTE_ASSIGN_OR_RETURN(NodePtr n, Expression());
    Spaces();
    if (i_ != t_.size()) return Bad("unexpected '" + std::string(t_.substr(i_, 1)) + "'");
    return n;
  }

 private:
  Error Bad(const std::string& what) const {
    return Fail("The JSONata expression '" + std::string(t_) + "' could not be parsed: " + what +
                " at position " + std::to_string(i_));
  }
  void Spaces() {
    while (i_ < t_.size() && IsAsciiSpace(t_[i_])) ++i_;
  }
  bool Eat(std::string_view s) {
    Spaces();
    if (t_.substr(i_).starts_with(s)) {
      i_ += s.size();
      return true;
    }
    return false;
  }
  bool Word(std::string_view w) {
    Spaces();
    if (t_.substr(i_).starts_with(w) &&
        (i_ + w.size() >= t_.size() || !(IsAsciiAlnum(t_[i_ + w.size()]) || t_[i_ + w.size()] == '_'))) {
      i_ += w.size();
      return true;
    }
    return false;
  }
  NodePtr Binary(std::string op, NodePtr a, NodePtr b) {
    NodePtr n = Make(Node::Kind::kBinary);
    n->name = std::move(op);
    n->kids.push_back(std::move(a));
    n->kids.push_back(std::move(b));
    return n;
  }

  Result<NodePtr> Expression() {
    CENOTE_ASSIGN_OR_RETURN(NodePtr c, Or());
    if (Eat("?")) {
      CENOTE_ASSIGN_OR_RETURN(NodePtr yes, Expression());
      NodePtr n = Make(Node::Kind::kCondition);
      n->kids.push_back(std::move(c));
      n->kids.push_back(std::move(yes));
      if (Eat(":")) {
        CENOTE_ASSIGN_OR_RETURN(NodePtr no, Expression());
        n->kids.push_back(std::move(no));
      }
      return n;
    }
    return c;
  }
  Result<NodePtr> Or() {
    CENOTE_ASSIGN_OR_RETURN(NodePtr a, And());
    while (Word("or")) {
      CENOTE_ASSIGN_OR_RETURN(NodePtr b, And());
      a = Binary("or", std::move(a), std::move(b));
    }
    return a;
  }
  Result<NodePtr> And() {
    CENOTE_ASSIGN_OR_RETURN(NodePtr a, Compare());
    while (Word("and")) {
      CENOTE_ASSIGN_OR_RETURN(NodePtr b, Compare());
      a = Binary("and", std::move(a), std::move(b));
    }
    return a;
  }
  Result<NodePtr> Compare() {
    CENOTE_ASSIGN_OR_RETURN(NodePtr a, Concat());
    for (std::string_view op : {"!=", "<=", ">=", "=", "<", ">"}) {
      if (Eat(op)) {
        CENOTE_ASSIGN_OR_RETURN(NodePtr b, Concat());
        return Binary(std::string(op), std::move(a), std::move(b));
      }
    }
    if (Word("in")) {
      CENOTE_ASSIGN_OR_RETURN(NodePtr b, Concat());
      return Binary("in", std::move(a), std::move(b));
    }
    return a;
  }
  Result<NodePtr> Concat() {
    CENOTE_ASSIGN_OR_RETURN(NodePtr a, Additive());
    while (Eat("&")) {
      CENOTE_ASSIGN_OR_RETURN(NodePtr b, Additive());
      a = Binary("&", std::move(a), std::move(b));
    }
    return a;
  }
  Result<NodePtr> Additive() {
    CENOTE_ASSIGN_OR_RETURN(NodePtr a, Multiplicative());
    while (true) {
      Spaces();
      if (i_ < t_.size() && (t_[i_] == '+' || t_[i_] == '-')) {
        const std::string op(1, t_[i_++]);
        CENOTE_ASSIGN_OR_RETURN(NodePtr b, Multiplicative());
        a = Binary(op, std::move(a), std::move(b));
      } else {
        return a;
      }
    }
  }
  Result<NodePtr> Multiplicative() {
    CENOTE_ASSIGN_OR_RETURN(NodePtr a, Unary());
    while (true) {
      Spaces();
      if (i_ < t_.size() && (t_[i_] == '*' || t_[i_] == '/' || t_[i_] == '%')) {
        const std::string op(1, t_[i_++]);
        CENOTE_ASSIGN_OR_RETURN(NodePtr b, Unary());
        a = Binary(op, std::move(a), std::move(b));
      } else {
        return a;
      }
    }
  }
  Result<NodePtr> Unary() {
    if (Eat("-")) {
      CENOTE_ASSIGN_OR_RETURN(NodePtr a, Unary());
      NodePtr n = Make(Node::Kind::kUnary);
      n->name = "-";
      n->kids.push_back(std::move(a));
      return n;
    }
    return Path();
  }
  Result<NodePtr> Path() {
    CENOTE_ASSIGN_OR_RETURN(NodePtr a, Primary());
    while (true) {
      Spaces();
      if (Eat("~>")) return Bad("the chain operator ~> is not supported");
      if (i_ < t_.size() && t_[i_] == '.' && !(i_ + 1 < t_.size() && IsAsciiDigit(t_[i_ + 1]))) {
        ++i_;
        CENOTE_ASSIGN_OR_RETURN(NodePtr step, Primary());
        NodePtr n = Make(Node::Kind::kPath);
        n->kids.push_back(std::move(a));
        n->kids.push_back(std::move(step));
        a = std::move(n);
      } else if (i_ < t_.size() && t_[i_] == '[') {
        ++i_;
        NodePtr n = Make(Node::Kind::kIndex);
        n->kids.push_back(std::move(a));
        if (!Eat("]")) {
          CENOTE_ASSIGN_OR_RETURN(NodePtr e, Expression());
          if (!Eat("]")) return Bad("expected ]");
          n->kids.push_back(std::move(e));
        }
        a = std::move(n);
      } else {
        return a;
      }
    }
  }
  Result<NodePtr> Primary() {
    Spaces();
    if (i_ >= t_.size()) return Bad("unexpected end");
    const char c = t_[i_];
    if (c == '(') {
      ++i_;
      CENOTE_ASSIGN_OR_RETURN(NodePtr e, Expression());
      if (!Eat(")")) return Bad("expected )");
      return e;
    }
    if (c == '[') {
      ++i_;
      NodePtr n = Make(Node::Kind::kArray);
      if (!Eat("]")) {
        do {
          CENOTE_ASSIGN_OR_RETURN(NodePtr e, Expression());
          n->kids.push_back(std::move(e));
        } while (Eat(","));
        if (!Eat("]")) return Bad("expected ]");
      }
      return n;
    }
    if (c == '{') {
      ++i_;
      NodePtr n = Make(Node::Kind::kObject);
      if (!Eat("}")) {
        do {
          CENOTE_ASSIGN_OR_RETURN(NodePtr k, Expression());
          if (!Eat(":")) return Bad("expected :");
          CENOTE_ASSIGN_OR_RETURN(NodePtr v, Expression());
          n->pairs.emplace_back(std::move(k), std::move(v));
        } while (Eat(","));
        if (!Eat("}")) return Bad("expected }");
      }
      return n;
    }
    if (c == '"' || c == '\'') {
      ++i_;
      std::string s;
      while (i_ < t_.size() && t_[i_] != c) {
        if (t_[i_] == '\\' && i_ + 1 < t_.size()) {
          const char e = t_[++i_];
          s += e == 'n' ? '\n' : e == 't' ? '\t' : e;
          ++i_;
          continue;
        }
        s += t_[i_++];
      }
      if (i_ >= t_.size()) return Bad("unterminated string");
      ++i_;
      NodePtr n = Make(Node::Kind::kLiteral);
      n->literal = json::value(s);
      return n;
    }
    if (IsAsciiDigit(c)) {
      const std::size_t from = i_;
      while (i_ < t_.size() && (IsAsciiDigit(t_[i_]) || t_[i_] == '.' || t_[i_] == 'e' || t_[i_] == 'E'))
        ++i_;
      boost::system::error_code ec;
      json::value v = json::parse(t_.substr(from, i_ - from), ec);
      if (ec) return Bad("bad number");
      NodePtr n = Make(Node::Kind::kLiteral);
      n->literal = std::move(v);
      return n;
    }
    if (c == '$') {
      ++i_;
      const std::size_t from = i_;
      while (i_ < t_.size() && (IsAsciiAlnum(t_[i_]) || t_[i_] == '_')) ++i_;
      std::string name(t_.substr(from, i_ - from));
      Spaces();
      if (i_ < t_.size() && t_[i_] == '(') {
        ++i_;
        NodePtr n = Make(Node::Kind::kCall);
        n->name = std::move(name);
        if (!Eat(")")) {
          do {
            CENOTE_ASSIGN_OR_RETURN(NodePtr e, Expression());
            n->kids.push_back(std::move(e));
          } while (Eat(","));
          if (!Eat(")")) return Bad("expected )");
        }
        return n;
      }
      NodePtr n = Make(Node::Kind::kVariable);
      n->name = std::move(name);
      return n;
    }
    if (c == '`') {
      ++i_;
      const std::size_t from = i_;
      while (i_ < t_.size() && t_[i_] != '`') ++i_;
      NodePtr n = Make(Node::Kind::kName);
      n->name = std::string(t_.substr(from, i_ - from));
      ++i_;
      return n;
    }
    if (IsAsciiAlpha(c) || c == '_') {
      const std::size_t from = i_;
      while (i_ < t_.size() && (IsAsciiAlnum(t_[i_]) || t_[i_] == '_')) ++i_;
      const std::string word(t_.substr(from, i_ - from));
      NodePtr n = Make(Node::Kind::kLiteral);
      if (word == "true") {
        n->literal = true;
      } else if (word == "false") {
        n->literal = false;
      } else if (word == "null") {
        n->literal = nullptr;
      } else if (word == "function") {
        return Bad("lambdas are not supported");
      } else {
        n->kind = Node::Kind::kName;
        n->name = word;
      }
      return n;
    }
    return Bad(std::string("'") + c + "' is not supported");
  }

  std::string_view t_;
  std::size_t i_ = 0;
};

bool Truthy(const Value& v) {
  if (!v) return false;
  const json::value& x = *v;
  if (x.is_bool()) return x.get_bool();
  if (x.is_number()) return x.to_number<double>() != 0;
  if (x.is_string()) return !x.get_string().empty();
  if (x.is_null()) return false;
  if (x.is_array()) {
    for (const auto& e : x.as_array()) {
      if (Truthy(e)) return true;
    }
    return false;
  }
  return !x.as_object().empty();
}

json::value Number(double d) {
  if (std::floor(d) == d && std::fabs(d) < 9e15) return json::value(static_cast<std::int64_t>(d));
  return json::value(d);
}

std::string AsString(const json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_double()) {
    const double d = v.get_double();
    if (std::floor(d) == d && std::fabs(d) < 9e15) return std::to_string(static_cast<std::int64_t>(d));
  }
  return ToJsonText(v);
}

// A sequence result: arrays of one element collapse to the element, empty ones to undefined.
Value Collapse(json::array a) {
  if (a.empty()) return std::nullopt;
  if (a.size() == 1) return std::move(a[0]);
  return json::value(std::move(a));
}

class Evaluator {
 public:
  explicit Evaluator(const json::object& vars) : vars_(vars) {}

  Result<Value> Eval(const Node& n, const Value& ctx) {
    switch (n.kind) {
      case Node::Kind::kLiteral:
        return Value(n.literal);
      case Node::Kind::kVariable: {
        if (n.name.empty()) return ctx;
        auto it = vars_.find(n.name);
        if (it == vars_.end()) return Value();
        return Value(it->value());
      }
      case Node::Kind::kName: {
        if (!ctx) return Value();
        return Field(*ctx, n.name);
      }
      case Node::Kind::kPath: {
        CENOTE_ASSIGN_OR_RETURN(Value base, Eval(*n.kids[0], ctx));
        if (!base) return Value();
        if (base->is_array()) {
          json::array out;
          for (const auto& e : base->as_array()) {
            CENOTE_ASSIGN_OR_RETURN(Value r, Eval(*n.kids[1], Value(e)));
            if (!r) continue;
            if (r->is_array()) {
              for (auto& x : r->as_array()) out.push_back(std::move(x));
            } else {
              out.push_back(std::move(*r));
            }
          }
          return Collapse(std::move(out));
        }
        return Eval(*n.kids[1], base);
      }
      case Node::Kind::kIndex: {
        CENOTE_ASSIGN_OR_RETURN(Value base, Eval(*n.kids[0], ctx));
        if (!base) return Value();
        if (n.kids.size() == 1) return base->is_array() ? base : Value(json::array{*base});
        json::array items = base->is_array() ? base->as_array() : json::array{*base};
        // A number selects by position; anything else filters with each item as the context.
        CENOTE_ASSIGN_OR_RETURN(Value probe, Eval(*n.kids[1], items.empty() ? Value() : Value(items[0])));
        if (probe && probe->is_number() && n.kids[1]->kind == Node::Kind::kLiteral) {
          std::int64_t i = static_cast<std::int64_t>(std::floor(probe->to_number<double>()));
          const std::int64_t size = static_cast<std::int64_t>(items.size());
          if (i < 0) i += size;
          if (i < 0 || i >= size) return Value();
          return Value(items[static_cast<std::size_t>(i)]);
        }
        json::array out;
        for (const auto& e : items) {
          CENOTE_ASSIGN_OR_RETURN(Value keep, Eval(*n.kids[1], Value(e)));
          if (keep && keep->is_number()) {
            // A computed index.
            std::int64_t i = static_cast<std::int64_t>(std::floor(keep->to_number<double>()));
            if (i < 0) i += static_cast<std::int64_t>(items.size());
            if (i >= 0 && static_cast<std::size_t>(i) < items.size())
              return Value(items[static_cast<std::size_t>(i)]);
            return Value();
          }
          if (Truthy(keep)) out.push_back(e);
        }
        return Collapse(std::move(out));
      }
      case Node::Kind::kArray: {
        json::array out;
        for (const auto& k : n.kids) {
          CENOTE_ASSIGN_OR_RETURN(Value v, Eval(*k, ctx));
          if (!v) continue;
          if (v->is_array() && k->kind != Node::Kind::kArray) {
            for (auto& x : v->as_array()) out.push_back(std::move(x));
          } else {
            out.push_back(std::move(*v));
          }
        }
        return Value(json::value(std::move(out)));
      }
      case Node::Kind::kObject: {
        json::object out;
        for (const auto& [k, v] : n.pairs) {
          CENOTE_ASSIGN_OR_RETURN(Value key, Eval(*k, ctx));
          if (!key || !key->is_string()) return Fail("An object key must be a string");
          CENOTE_ASSIGN_OR_RETURN(Value val, Eval(*v, ctx));
          if (val) out[key->get_string()] = std::move(*val);
        }
        return Value(json::value(std::move(out)));
      }
      case Node::Kind::kUnary: {
        CENOTE_ASSIGN_OR_RETURN(Value v, Eval(*n.kids[0], ctx));
        if (!v) return Value();
        if (!v->is_number()) return Fail("The operand of unary - must be a number");
        return Value(Number(-v->to_number<double>()));
      }
      case Node::Kind::kCondition: {
        CENOTE_ASSIGN_OR_RETURN(Value c, Eval(*n.kids[0], ctx));
        if (Truthy(c)) return Eval(*n.kids[1], ctx);
        if (n.kids.size() > 2) return Eval(*n.kids[2], ctx);
        return Value();
      }
      case Node::Kind::kBinary:
        return Binary(n, ctx);
      case Node::Kind::kCall:
        return Call(n, ctx);
    }
    return Value();
  }

 private:
  static Value Field(const json::value& v, const std::string& name) {
    if (v.is_object()) {
      auto it = v.as_object().find(name);
      if (it == v.as_object().end()) return Value();
      return Value(it->value());
    }
    if (v.is_array()) {
      json::array out;
      for (const auto& e : v.as_array()) {
        Value r = Field(e, name);
        if (!r) continue;
        if (r->is_array()) {
          for (auto& x : r->as_array()) out.push_back(std::move(x));
        } else {
          out.push_back(std::move(*r));
        }
      }
      return Collapse(std::move(out));
    }
    return Value();
  }

  Result<Value> Binary(const Node& n, const Value& ctx) {
    const std::string& op = n.name;
    CENOTE_ASSIGN_OR_RETURN(Value a, Eval(*n.kids[0], ctx));
    if (op == "and") {
      if (!Truthy(a)) return Value(json::value(false));
      CENOTE_ASSIGN_OR_RETURN(Value b, Eval(*n.kids[1], ctx));
      return Value(json::value(Truthy(b)));
    }
    if (op == "or") {
      if (Truthy(a)) return Value(json::value(true));
      CENOTE_ASSIGN_OR_RETURN(Value b, Eval(*n.kids[1], ctx));
      return Value(json::value(Truthy(b)));
    }
    CENOTE_ASSIGN_OR_RETURN(Value b, Eval(*n.kids[1], ctx));
    if (op == "&") return Value(json::value((a ? AsString(*a) : "") + (b ? AsString(*b) : "")));
    if (op == "+" || op == "-" || op == "*" || op == "/" || op == "%") {
      if (!a || !b) return Value();
      if (!a->is_number() || !b->is_number()) {
        return Fail("The operands of " + op + " must be numbers: " + ToJsonText(*a) + ", " + ToJsonText(*b));
      }
      const double x = a->to_number<double>(), y = b->to_number<double>();
      if (op == "+") return Value(Number(x + y));
      if (op == "-") return Value(Number(x - y));
      if (op == "*") return Value(Number(x * y));
      if (op == "/") return Value(Number(x / y));
      return Value(Number(std::fmod(x, y)));
    }
    if (op == "in") {
      if (!a || !b) return Value(json::value(false));
      if (b->is_array()) {
        for (const auto& e : b->as_array()) {
          if (Equal(*a, e)) return Value(json::value(true));
        }
        return Value(json::value(false));
      }
      return Value(json::value(Equal(*a, *b)));
    }
    if (!a || !b) return Value(json::value(false));
    if (op == "=") return Value(json::value(Equal(*a, *b)));
    if (op == "!=") return Value(json::value(!Equal(*a, *b)));
    if (a->is_number() && b->is_number()) {
      const double x = a->to_number<double>(), y = b->to_number<double>();
      return Value(json::value(op == "<" ? x < y : op == "<=" ? x <= y : op == ">" ? x > y : x >= y));
    }
    if (a->is_string() && b->is_string()) {
      const int c = a->get_string().compare(b->get_string());
      return Value(json::value(op == "<" ? c < 0 : op == "<=" ? c <= 0 : op == ">" ? c > 0 : c >= 0));
    }
    return Fail("The operands of " + op + " must be two numbers or two strings");
  }

  static bool Equal(const json::value& a, const json::value& b) {
    if (a.is_number() && b.is_number()) return a.to_number<double>() == b.to_number<double>();
    return a == b;
  }

  static json::array Seq(const Value& v) {
    if (!v) return {};
    if (v->is_array()) return v->as_array();
    return json::array{*v};
  }

  Result<Value> Call(const Node& n, const Value& ctx) {
    std::vector<Value> a;
    for (const auto& k : n.kids) {
      CENOTE_ASSIGN_OR_RETURN(Value v, Eval(*k, ctx));
      a.push_back(std::move(v));
    }
    const std::string& f = n.name;
    auto arg = [&](std::size_t i) -> const Value& {
      static const Value kNone;
      return i < a.size() ? a[i] : kNone;
    };
    auto str = [&](std::size_t i) -> std::string { return arg(i) ? AsString(*arg(i)) : ""; };
    auto num = [&](std::size_t i) -> Result<double> {
      if (!arg(i) || !arg(i)->is_number())
        return Fail("$" + f + ": argument " + std::to_string(i + 1) + " must be a number");
      return arg(i)->to_number<double>();
    };
    if (f == "string") return arg(0) ? Value(json::value(AsString(*arg(0)))) : Value();
    if (f == "number") {
      if (!arg(0)) return Value();
      if (arg(0)->is_number()) return arg(0);
      if (arg(0)->is_bool()) return Value(json::value(arg(0)->get_bool() ? 1 : 0));
      boost::system::error_code ec;
      json::value v = json::parse(str(0), ec);
      if (ec || !v.is_number()) return Fail("$number: cannot convert " + str(0) + " to a number");
      return Value(std::move(v));
    }
    if (f == "boolean") return arg(0) ? Value(json::value(Truthy(arg(0)))) : Value();
    if (f == "not") return arg(0) ? Value(json::value(!Truthy(arg(0)))) : Value();
    if (f == "exists") return Value(json::value(arg(0).has_value()));
    if (f == "count") return Value(json::value(static_cast<std::int64_t>(Seq(arg(0)).size())));
    if (f == "sum" || f == "max" || f == "min" || f == "average") {
      json::array s = Seq(arg(0));
      if (s.empty()) return f == "sum" ? Value(json::value(0)) : Value();
      double acc = f == "max" ? -HUGE_VAL : f == "min" ? HUGE_VAL : 0;
      for (const auto& e : s) {
        if (!e.is_number()) return Fail("$" + f + ": the array must hold numbers");
        const double d = e.to_number<double>();
        acc = f == "max" ? std::max(acc, d) : f == "min" ? std::min(acc, d) : acc + d;
      }
      if (f == "average") acc /= static_cast<double>(s.size());
      return Value(Number(acc));
    }
    if (f == "length") return arg(0) ? Value(json::value(static_cast<std::int64_t>(str(0).size()))) : Value();
    if (f == "substring") {
      if (!arg(0)) return Value();
      const std::string s = str(0);
      CENOTE_ASSIGN_OR_RETURN(double start_d, num(1));
      std::int64_t start = static_cast<std::int64_t>(start_d);
      const std::int64_t size = static_cast<std::int64_t>(s.size());
      if (start < 0) start = std::max<std::int64_t>(0, size + start);
      start = std::min(start, size);
      std::int64_t len = size - start;
      if (arg(2)) {
        CENOTE_ASSIGN_OR_RETURN(double l, num(2));
        len = std::clamp<std::int64_t>(static_cast<std::int64_t>(l), 0, size - start);
      }
      return Value(json::value(s.substr(static_cast<std::size_t>(start), static_cast<std::size_t>(len))));
    }
    if (f == "substringBefore" || f == "substringAfter") {
      if (!arg(0)) return Value();
      const std::string s = str(0), sep = str(1);
      const std::size_t at = s.find(sep);
      if (at == std::string::npos) return Value(json::value(s));
      return Value(json::value(f == "substringBefore" ? s.substr(0, at) : s.substr(at + sep.size())));
    }
    if (f == "uppercase") return arg(0) ? Value(json::value(AsciiUpper(str(0)))) : Value();
    if (f == "lowercase") return arg(0) ? Value(json::value(AsciiLower(str(0)))) : Value();
    if (f == "trim") {
      if (!arg(0)) return Value();
      std::string out;
      bool space = false;
      for (char c : std::string(TrimAsciiSpace(str(0)))) {
        if (IsAsciiSpace(c)) {
          if (!space) out += ' ';
          space = true;
        } else {
          out += c;
          space = false;
        }
      }
      return Value(json::value(out));
    }
    if (f == "contains")
      return arg(0) ? Value(json::value(str(0).find(str(1)) != std::string::npos)) : Value();
    if (f == "split") {
      if (!arg(0)) return Value();
      const std::string s = str(0), sep = str(1);
      json::array out;
      if (sep.empty()) {
        for (char c : s) out.push_back(json::value(std::string(1, c)));
      } else {
        std::size_t from = 0;
        while (true) {
          const std::size_t at = s.find(sep, from);
          out.push_back(json::value(s.substr(from, at == std::string::npos ? std::string::npos : at - from)));
          if (at == std::string::npos) break;
          from = at + sep.size();
        }
      }
      if (arg(2) && arg(2)->is_number()) out.resize(std::min(out.size(), arg(2)->to_number<std::size_t>()));
      return Value(json::value(std::move(out)));
    }
    if (f == "join") {
      std::string out;
      const json::array s = Seq(arg(0));
      for (std::size_t i = 0; i < s.size(); ++i) {
        if (i) out += str(1);
        if (!s[i].is_string()) return Fail("$join: the array must hold strings");
        out += s[i].get_string();
      }
      return Value(json::value(out));
    }
    if (f == "replace") {
      if (!arg(0)) return Value();
      std::string s = str(0);
      const std::string from = str(1), to = str(2);
      if (from.empty()) return Fail("$replace: the pattern must not be empty");
      for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
        s.replace(at, from.size(), to);
      }
      return Value(json::value(s));
    }
    if (f == "keys") {
      json::array out;
      for (const auto& e : Seq(arg(0))) {
        if (!e.is_object()) continue;
        for (const auto& [k, v] : e.as_object()) {
          if (std::find(out.begin(), out.end(), json::value(k)) == out.end()) out.push_back(json::value(k));
        }
      }
      return Collapse(std::move(out));
    }
    if (f == "lookup") return arg(0) ? Field(*arg(0), str(1)) : Value();
    if (f == "merge") {
      json::object out;
      for (const auto& e : Seq(arg(0))) {
        if (!e.is_object()) continue;
        for (const auto& [k, v] : e.as_object()) out[k] = v;
      }
      return Value(json::value(std::move(out)));
    }
    if (f == "append") {
      json::array out = Seq(arg(0));
      for (auto& e : Seq(arg(1))) out.push_back(std::move(e));
      return Value(json::value(std::move(out)));
    }
    if (f == "reverse") {
      json::array s = Seq(arg(0));
      std::reverse(s.begin(), s.end());
      return Value(json::value(std::move(s)));
    }
    if (f == "sort") {
      if (a.size() > 1) return Fail("$sort with a comparator function is not supported");
      json::array s = Seq(arg(0));
      bool numbers = std::all_of(s.begin(), s.end(), [](const json::value& v) { return v.is_number(); });
      bool strings = std::all_of(s.begin(), s.end(), [](const json::value& v) { return v.is_string(); });
      if (!numbers && !strings) return Fail("$sort: the array must hold only numbers or only strings");
      std::stable_sort(s.begin(), s.end(), [&](const json::value& x, const json::value& y) {
        return numbers ? x.to_number<double>() < y.to_number<double>() : x.get_string() < y.get_string();
      });
      return Value(json::value(std::move(s)));
    }
    if (f == "distinct") {
      json::array out;
      for (const auto& e : Seq(arg(0))) {
        if (std::none_of(out.begin(), out.end(), [&](const json::value& x) { return Equal(x, e); }))
          out.push_back(e);
      }
      return Value(json::value(std::move(out)));
    }
    if (f == "round" || f == "floor" || f == "ceil" || f == "abs" || f == "sqrt") {
      if (!arg(0)) return Value();
      CENOTE_ASSIGN_OR_RETURN(double x, num(0));
      if (f == "floor") return Value(Number(std::floor(x)));
      if (f == "ceil") return Value(Number(std::ceil(x)));
      if (f == "abs") return Value(Number(std::fabs(x)));
      if (f == "sqrt") return Value(Number(std::sqrt(x)));
      double scale = 1;
      if (arg(1)) {
        CENOTE_ASSIGN_OR_RETURN(double p, num(1));
        scale = std::pow(10.0, p);
      }
      // JSONata rounds half to even.
      const double v = x * scale;
      double r = std::round(v);
      if (std::fabs(v - std::trunc(v)) == 0.5) r = 2.0 * std::round(v / 2.0);
      return Value(Number(r / scale));
    }
    if (f == "power") {
      CENOTE_ASSIGN_OR_RETURN(double x, num(0));
      CENOTE_ASSIGN_OR_RETURN(double y, num(1));
      return Value(Number(std::pow(x, y)));
    }
    if (f == "type") {
      if (!arg(0)) return Value();
      const json::value& v = *arg(0);
      return Value(json::value(v.is_null()     ? "null"
                               : v.is_number() ? "number"
                               : v.is_string() ? "string"
                               : v.is_bool()   ? "boolean"
                               : v.is_array()  ? "array"
                                               : "object"));
    }
    if (f == "now") return Value(json::value(FormatTimestamp(UnixNowMs())));
    if (f == "millis") return Value(json::value(UnixNowMs()));
    // Step Functions' own functions.
    if (f == "partition" || f == "range" || f == "hash" || f == "uuid") {
      static const std::map<std::string, std::string> kIntrinsic = {{"partition", "States.ArrayPartition"},
                                                                    {"range", "States.ArrayRange"},
                                                                    {"hash", "States.Hash"},
                                                                    {"uuid", "States.UUID"}};
      json::object args;
      std::string call = kIntrinsic.at(f) + "(";
      for (std::size_t i = 0; i < a.size(); ++i) {
        if (i) call += ", ";
        args["a" + std::to_string(i)] = a[i] ? *a[i] : json::value(nullptr);
        call += "$.a" + std::to_string(i);
      }
      call += ")";
      auto r = EvaluateIntrinsic(call, json::value(args), json::object{});
      if (!r) return Fail("$" + f + ": " + r.error().message);
      return Value(std::move(*r));
    }
    if (f == "random") {
      std::uint64_t r = 0;
      if (arg(0) && arg(0)->is_number()) {
        r = static_cast<std::uint64_t>(arg(0)->to_number<double>()) * 6364136223846793005ULL +
            1442695040888963407ULL;
      } else {
        FillRandom(&r, sizeof(r));
      }
      return Value(json::value(static_cast<double>(r >> 11) / 9007199254740992.0));
    }
    if (f == "parse") {
      boost::system::error_code ec;
      json::value v = json::parse(str(0), ec);
      if (ec) return Fail("$parse: the argument is not valid JSON");
      return Value(std::move(v));
    }
    return Fail("The JSONata function $" + f + " is not supported");
  }

  const json::object& vars_;
};

}  // namespace

std::optional<std::string_view> JsonataExpression(std::string_view text) {
  std::string_view t = TrimAsciiSpace(text);
  if (t.size() < 4 || !t.starts_with("{%") || !t.ends_with("%}")) return std::nullopt;
  return TrimAsciiSpace(t.substr(2, t.size() - 4));
}

Result<std::optional<json::value>> EvaluateJsonata(std::string_view expression,
                                                   const json::object& variables) {
  CENOTE_ASSIGN_OR_RETURN(NodePtr root, Parser(expression).Run());
  Evaluator e(variables);
  return e.Eval(*root, Value());
}

Result<json::value> ApplyJsonata(const json::value& v, const json::object& variables) {
  if (v.is_string()) {
    if (auto expr = JsonataExpression(v.get_string())) {
      CENOTE_ASSIGN_OR_RETURN(Value r, EvaluateJsonata(*expr, variables));
      if (!r) return Fail("The JSONata expression '" + std::string(*expr) + "' returned nothing (undefined)");
      return std::move(*r);
    }
    return v;
  }
  if (v.is_array()) {
    json::array out;
    for (const auto& e : v.as_array()) {
      CENOTE_ASSIGN_OR_RETURN(json::value r, ApplyJsonata(e, variables));
      out.push_back(std::move(r));
    }
    return json::value(std::move(out));
  }
  if (v.is_object()) {
    json::object out;
    for (const auto& [k, e] : v.as_object()) {
      if (e.is_string()) {
        if (auto expr = JsonataExpression(e.get_string())) {
          CENOTE_ASSIGN_OR_RETURN(Value r, EvaluateJsonata(*expr, variables));
          if (r) out[k] = std::move(*r);
          continue;
        }
      }
      CENOTE_ASSIGN_OR_RETURN(json::value r, ApplyJsonata(e, variables));
      out[k] = std::move(r);
    }
    return json::value(std::move(out));
  }
  return v;
}

bool ValidJsonata(std::string_view expression) { return Parser(expression).Run().ok(); }

}  // namespace cenote::states::asl
