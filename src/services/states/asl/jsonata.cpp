#if defined(__GNUC__) && !defined(__clang__)
// g++ 12's -Wrestrict false positive on std::string concatenation (as services' internal.hpp files note).
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include "services/states/asl/jsonata.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/encoding.hpp"
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
    kCall,
    kLambda,      // function($a, $b) { body }: params in `params`, body kids[0]
    kBlock,       // ( e1; e2; ... ): the last value, with a scope of its own
    kBind,        // $name := kids[0]
    kChain,       // kids[0] ~> kids[1]
    kRegex,       // /pattern/flags: pattern in `name`, flags in `literal`
    kWildcard,    // *: every field's value
    kDescendants  // **: every value below
  };
  Kind kind = Kind::kLiteral;
  json::value literal;
  std::string name;  // variable / field / function / operator
  std::vector<std::unique_ptr<Node>> kids;
  std::vector<std::pair<std::unique_ptr<Node>, std::unique_ptr<Node>>> pairs;  // object constructor
  std::vector<std::string> params;                                             // lambda parameters
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
    // $name := value (right-associative, the lowest precedence).
    Spaces();
    if (i_ < t_.size() && t_[i_] == '$') {
      std::size_t j = i_ + 1;
      while (j < t_.size() && (IsAsciiAlnum(t_[j]) || t_[j] == '_')) ++j;
      std::size_t k = j;
      while (k < t_.size() && IsAsciiSpace(t_[k])) ++k;
      if (t_.substr(k).starts_with(":=")) {
        NodePtr n = Make(Node::Kind::kBind);
        n->name = std::string(t_.substr(i_ + 1, j - i_ - 1));
        i_ = k + 2;
        CENOTE_ASSIGN_OR_RETURN(NodePtr value, Expression());
        n->kids.push_back(std::move(value));
        return n;
      }
    }
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
    while (Eat("~>")) {
      CENOTE_ASSIGN_OR_RETURN(NodePtr f, Concat());
      NodePtr n = Make(Node::Kind::kChain);
      n->kids.push_back(std::move(a));
      n->kids.push_back(std::move(f));
      a = std::move(n);
    }
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
      NodePtr block = Make(Node::Kind::kBlock);
      if (Eat(")")) return block;
      do {
        CENOTE_ASSIGN_OR_RETURN(NodePtr e, Expression());
        block->kids.push_back(std::move(e));
      } while (Eat(";"));
      if (!Eat(")")) return Bad("expected )");
      return block;
    }
    if (c == '/') {  // a regular expression (an operand position: '/' elsewhere divides)
      ++i_;
      std::string pattern;
      while (i_ < t_.size() && t_[i_] != '/') {
        if (t_[i_] == '\\' && i_ + 1 < t_.size()) pattern += t_[i_++];
        pattern += t_[i_++];
      }
      if (i_ >= t_.size()) return Bad("unterminated regular expression");
      ++i_;
      std::string flags;
      while (i_ < t_.size() && (t_[i_] == 'i' || t_[i_] == 'm')) flags += t_[i_++];
      if (pattern.empty()) return Bad("empty regular expression");
      NodePtr n = Make(Node::Kind::kRegex);
      n->name = std::move(pattern);
      n->literal = json::value(flags);
      return n;
    }
    if (c == '*') {
      ++i_;
      if (i_ < t_.size() && t_[i_] == '*') {
        ++i_;
        return Make(Node::Kind::kDescendants);
      }
      return Make(Node::Kind::kWildcard);
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
        return Lambda();
      } else {
        n->kind = Node::Kind::kName;
        n->name = word;
      }
      return n;
    }
    return Bad(std::string("'") + c + "' is not supported");
  }

  // function($a, $b) { body }
  Result<NodePtr> Lambda() {
    NodePtr n = Make(Node::Kind::kLambda);
    if (!Eat("(")) return Bad("expected ( after function");
    if (!Eat(")")) {
      do {
        Spaces();
        if (i_ >= t_.size() || t_[i_] != '$') return Bad("expected a $parameter");
        const std::size_t from = ++i_;
        while (i_ < t_.size() && (IsAsciiAlnum(t_[i_]) || t_[i_] == '_')) ++i_;
        n->params.emplace_back(t_.substr(from, i_ - from));
      } while (Eat(","));
      if (!Eat(")")) return Bad("expected )");
    }
    if (!Eat("{")) return Bad("expected { before the function's body");
    CENOTE_ASSIGN_OR_RETURN(NodePtr body, Expression());
    if (!Eat("}")) return Bad("expected }");
    n->kids.push_back(std::move(body));
    return n;
  }

  std::string_view t_;
  std::size_t i_ = 0;
};

// Functions and regular expressions are values in JSONata; here they are objects with one marker member
// whose value indexes the evaluator's tables (they never reach a state's output: see ApplyJsonata).
constexpr std::string_view kFunctionMarker = "\u0001function";
constexpr std::string_view kRegexMarker = "\u0001regex";

std::optional<std::size_t> Marked(const json::value& v, std::string_view marker) {
  if (!v.is_object() || v.as_object().size() != 1) return std::nullopt;
  const json::value* id = v.as_object().if_contains(marker);
  if (id == nullptr || !id->is_int64()) return std::nullopt;
  return static_cast<std::size_t>(id->get_int64());
}

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

// The built-in functions that may be passed as values ($map(xs, $string)).
bool IsBuiltin(const std::string& name) {
  static const std::set<std::string> kNames = {"string",
                                               "number",
                                               "boolean",
                                               "not",
                                               "exists",
                                               "count",
                                               "sum",
                                               "max",
                                               "min",
                                               "average",
                                               "length",
                                               "substring",
                                               "substringBefore",
                                               "substringAfter",
                                               "uppercase",
                                               "lowercase",
                                               "trim",
                                               "pad",
                                               "contains",
                                               "split",
                                               "join",
                                               "replace",
                                               "match",
                                               "keys",
                                               "lookup",
                                               "merge",
                                               "append",
                                               "reverse",
                                               "sort",
                                               "distinct",
                                               "round",
                                               "floor",
                                               "ceil",
                                               "abs",
                                               "sqrt",
                                               "power",
                                               "type",
                                               "now",
                                               "millis",
                                               "map",
                                               "filter",
                                               "reduce",
                                               "single",
                                               "sift",
                                               "each",
                                               "zip",
                                               "spread",
                                               "error",
                                               "assert",
                                               "formatBase",
                                               "toMillis",
                                               "fromMillis",
                                               "base64encode",
                                               "base64decode",
                                               "encodeUrlComponent",
                                               "encodeUrl",
                                               "decodeUrlComponent",
                                               "decodeUrl",
                                               "partition",
                                               "range",
                                               "hash",
                                               "random",
                                               "uuid",
                                               "parse"};
  return kNames.contains(name);
}

class Evaluator {
 public:
  explicit Evaluator(const json::object& vars) : vars_(vars), scope_(std::make_shared<Scope>()) {}

  Result<Value> Eval(const Node& n, const Value& ctx) {
    if (++depth_ > kMaxDepth) {
      --depth_;
      return Fail("The JSONata expression recursed too deeply");
    }
    auto r = EvalNode(n, ctx);
    --depth_;
    return r;
  }

  // Variables bound by blocks (`$x := ...`) and lambda parameters; a closure keeps its defining scope.
  struct Scope {
    json::object vars;
    std::shared_ptr<Scope> parent;
  };
  // A function value: a closure or a built-in.
  struct Function {
    const Node* lambda = nullptr;
    std::string builtin;
    std::shared_ptr<Scope> scope;
    Value ctx;
  };

  static bool IsFunctionValue(const Value& v) { return v && Marked(*v, kFunctionMarker).has_value(); }

 private:
  static constexpr int kMaxDepth = 500;

  Value NewFunction(Function f) {
    functions_.push_back(std::move(f));
    json::object o;
    o[kFunctionMarker] = static_cast<std::int64_t>(functions_.size() - 1);
    return Value(json::value(std::move(o)));
  }

  const Function* FunctionOf(const Value& v) const {
    if (!v) return nullptr;
    auto id = Marked(*v, kFunctionMarker);
    return id && *id < functions_.size() ? &functions_[*id] : nullptr;
  }

  const std::regex* RegexOf(const Value& v) const {
    if (!v) return nullptr;
    auto id = Marked(*v, kRegexMarker);
    return id && *id < regexes_.size() ? &regexes_[*id] : nullptr;
  }

  // A variable: the innermost scope binding it, then the state's variables, then a built-in function.
  Value Lookup(const std::string& name) {
    for (const Scope* s = scope_.get(); s != nullptr; s = s->parent.get()) {
      if (auto it = s->vars.find(name); it != s->vars.end()) return Value(it->value());
    }
    if (auto it = vars_.find(name); it != vars_.end()) return Value(it->value());
    if (IsBuiltin(name))
      return NewFunction(Function{.lambda = nullptr, .builtin = name, .scope = {}, .ctx = {}});
    return Value();
  }

  // The number of arguments a function takes (higher-order functions pass that many: value, index, array).
  static std::size_t Arity(const Function& f) { return f.lambda ? f.lambda->params.size() : 1; }

  Result<Value> Apply(const Function& f, std::vector<Value> args, const Value& ctx) {
    if (!f.lambda) return CallBuiltin(f.builtin, std::move(args), ctx);
    auto frame = std::make_shared<Scope>();
    frame->parent = f.scope;
    for (std::size_t i = 0; i < f.lambda->params.size() && i < args.size(); ++i) {
      if (args[i]) frame->vars[f.lambda->params[i]] = std::move(*args[i]);
    }
    std::shared_ptr<Scope> saved = scope_;
    scope_ = frame;
    auto r = Eval(*f.lambda->kids[0], f.ctx);
    scope_ = saved;
    return r;
  }

  Result<Value> ApplyValue(const Value& fn, std::vector<Value> args, const Value& ctx,
                           const std::string& what) {
    const Function* f = FunctionOf(fn);
    if (f == nullptr) return Fail(what + ": the argument must be a function");
    const Function copy = *f;  // Apply may grow functions_
    return Apply(copy, std::move(args), ctx);
  }

  Result<Value> EvalNode(const Node& n, const Value& ctx) {
    switch (n.kind) {
      case Node::Kind::kLiteral:
        return Value(n.literal);
      case Node::Kind::kVariable: {
        if (n.name.empty()) return ctx;
        return Lookup(n.name);
      }
      case Node::Kind::kLambda:
        return NewFunction(Function{.lambda = &n, .builtin = {}, .scope = scope_, .ctx = ctx});
      case Node::Kind::kBlock: {
        auto frame = std::make_shared<Scope>();
        frame->parent = scope_;
        std::shared_ptr<Scope> saved = scope_;
        scope_ = frame;
        Value last;
        for (const auto& k : n.kids) {
          auto r = Eval(*k, ctx);
          if (!r) {
            scope_ = saved;
            return r.error();
          }
          last = std::move(*r);
        }
        scope_ = saved;
        return last;
      }
      case Node::Kind::kBind: {
        CENOTE_ASSIGN_OR_RETURN(Value v, Eval(*n.kids[0], ctx));
        if (v) {
          scope_->vars[n.name] = *v;
        } else {
          scope_->vars.erase(n.name);
        }
        return v;
      }
      case Node::Kind::kChain: {
        CENOTE_ASSIGN_OR_RETURN(Value input, Eval(*n.kids[0], ctx));
        const Node& f = *n.kids[1];
        if (f.kind == Node::Kind::kCall) return Call(f, ctx, &input);
        CENOTE_ASSIGN_OR_RETURN(Value fn, Eval(f, ctx));
        return ApplyValue(fn, {std::move(input)}, ctx, "~>");
      }
      case Node::Kind::kRegex: {
        auto flags = std::regex::ECMAScript;
        const std::string f(n.literal.is_string() ? n.literal.get_string() : "");
        if (f.find('i') != std::string::npos) flags |= std::regex::icase;
        if (f.find('m') != std::string::npos) flags |= std::regex::multiline;
        try {
          regexes_.emplace_back(n.name, flags);
        } catch (const std::regex_error&) {
          return Fail("The regular expression /" + n.name + "/ is not valid");
        }
        json::object o;
        o[kRegexMarker] = static_cast<std::int64_t>(regexes_.size() - 1);
        return Value(json::value(std::move(o)));
      }
      case Node::Kind::kWildcard: {
        if (!ctx) return Value();
        json::array out;
        auto add = [&](const json::value& v) {
          if (v.is_array()) {
            for (const auto& x : v.as_array()) out.push_back(x);
          } else {
            out.push_back(v);
          }
        };
        if (ctx->is_object()) {
          for (const auto& [k, v] : ctx->as_object()) add(v);
        } else if (ctx->is_array()) {
          for (const auto& e : ctx->as_array()) {
            if (e.is_object()) {
              for (const auto& [k, v] : e.as_object()) add(v);
            }
          }
        }
        return Collapse(std::move(out));
      }
      case Node::Kind::kDescendants: {
        if (!ctx) return Value();
        json::array out;
        std::function<void(const json::value&)> walk = [&](const json::value& v) {
          if (v.is_object()) {
            for (const auto& [k, x] : v.as_object()) {
              if (!x.is_array()) out.push_back(x);
              walk(x);
            }
          } else if (v.is_array()) {
            for (const auto& x : v.as_array()) {
              if (!x.is_array()) out.push_back(x);
              walk(x);
            }
          }
        };
        walk(*ctx);
        return Collapse(std::move(out));
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

  // $name(args), or with `~>` the chained value as the first argument.
  Result<Value> Call(const Node& n, const Value& ctx, const Value* chained = nullptr) {
    std::vector<Value> a;
    if (chained != nullptr) a.push_back(*chained);
    for (const auto& k : n.kids) {
      CENOTE_ASSIGN_OR_RETURN(Value v, Eval(*k, ctx));
      a.push_back(std::move(v));
    }
    // A variable bound to a function (a lambda, or a built-in passed around) is called as one; a variable
    // holding data does not hide the built-in of that name (workflow variables share the namespace).
    for (const Scope* sc = scope_.get(); sc != nullptr; sc = sc->parent.get()) {
      if (auto it = sc->vars.find(n.name);
          it != sc->vars.end() && FunctionOf(Value(it->value())) != nullptr) {
        return ApplyValue(Value(it->value()), std::move(a), ctx, "$" + n.name);
      }
    }
    return CallBuiltin(n.name, std::move(a), ctx);
  }

  // Calls `fn` for a higher-order function with as many of (value, index, array) as it takes.
  Result<Value> Each(const Function& fn, const json::value& v, std::size_t i, const json::value& all,
                     const Value& ctx) {
    std::vector<Value> args{Value(v)};
    if (Arity(fn) > 1) args.push_back(Value(json::value(static_cast<std::int64_t>(i))));
    if (Arity(fn) > 2) args.push_back(Value(all));
    return Apply(fn, std::move(args), ctx);
  }

  static constexpr std::size_t kMaxRegexInput = 64 * 1024;  // std::regex recurses: keep inputs bounded

  Result<Value> CallBuiltin(const std::string& f, std::vector<Value> a, const Value& ctx) {
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
    // ---- higher-order functions
    if (f == "map" || f == "filter" || f == "single") {
      const Function* fp = FunctionOf(arg(1));
      if (fp == nullptr) return Fail("$" + f + ": the second argument must be a function");
      const Function fn = *fp;
      if (!arg(0)) return Value();
      const json::value all = arg(0)->is_array() ? *arg(0) : json::value(json::array{*arg(0)});
      json::array out;
      for (std::size_t i = 0; i < all.as_array().size(); ++i) {
        const json::value& v = all.as_array()[i];
        CENOTE_ASSIGN_OR_RETURN(Value r, Each(fn, v, i, all, ctx));
        if (f == "map") {
          if (r) out.push_back(std::move(*r));
        } else if (Truthy(r)) {
          out.push_back(v);
        }
      }
      if (f == "single") {
        if (out.size() != 1)
          return Fail("$single: expected exactly one matching value, found " + std::to_string(out.size()));
        return Value(std::move(out[0]));
      }
      return Collapse(std::move(out));
    }
    if (f == "reduce") {
      const Function* fp = FunctionOf(arg(1));
      if (fp == nullptr) return Fail("$reduce: the second argument must be a function");
      const Function fn = *fp;
      if (Arity(fn) < 2) return Fail("$reduce: the function must take at least two arguments");
      json::array items = Seq(arg(0));
      if (items.empty()) return arg(2);
      std::size_t i = 0;
      Value acc = arg(2);
      if (!acc) acc = items[i++];
      const json::value all(items);
      for (; i < items.size(); ++i) {
        std::vector<Value> args{acc, Value(items[i])};
        if (Arity(fn) > 2) args.push_back(Value(json::value(static_cast<std::int64_t>(i))));
        if (Arity(fn) > 3) args.push_back(Value(all));
        CENOTE_ASSIGN_OR_RETURN(acc, Apply(fn, std::move(args), ctx));
      }
      return acc;
    }
    if (f == "sift" || f == "each") {
      const Function* fp = FunctionOf(arg(1));
      if (fp == nullptr) return Fail("$" + f + ": the second argument must be a function");
      const Function fn = *fp;
      if (!arg(0) || !arg(0)->is_object()) return Value();
      json::object kept;
      json::array results;
      for (const auto& [k, v] : arg(0)->as_object()) {
        std::vector<Value> args{Value(v)};
        if (Arity(fn) > 1) args.push_back(Value(json::value(k)));
        if (Arity(fn) > 2) args.push_back(arg(0));
        CENOTE_ASSIGN_OR_RETURN(Value r, Apply(fn, std::move(args), ctx));
        if (f == "sift") {
          if (Truthy(r)) kept[k] = v;
        } else if (r) {
          results.push_back(std::move(*r));
        }
      }
      if (f == "each") return Collapse(std::move(results));
      if (kept.empty()) return Value();
      return Value(json::value(std::move(kept)));
    }
    if (f == "sort" && a.size() > 1) {
      const Function* fp = FunctionOf(arg(1));
      if (fp == nullptr) return Fail("$sort: the second argument must be a function");
      const Function fn = *fp;
      json::array items = Seq(arg(0));
      // The comparator answers true when its first argument goes after its second.
      std::optional<Error> failure;
      std::vector<json::value> v(items.begin(), items.end());
      std::stable_sort(v.begin(), v.end(), [&](const json::value& x, const json::value& y) {
        if (failure) return false;
        auto r = Apply(fn, {Value(y), Value(x)}, ctx);
        if (!r) {
          failure = r.error();
          return false;
        }
        return Truthy(*r);
      });
      if (failure) return *failure;
      return Value(json::value(json::array(v.begin(), v.end())));
    }
    if (f == "zip") {
      std::size_t n = a.empty() ? 0 : SIZE_MAX;
      std::vector<json::array> lists;
      for (const Value& v : a) {
        lists.push_back(Seq(v));
        n = std::min(n, lists.back().size());
      }
      json::array out;
      for (std::size_t i = 0; i < n; ++i) {
        json::array tuple;
        for (const auto& l : lists) tuple.push_back(l[i]);
        out.push_back(json::value(std::move(tuple)));
      }
      return Value(json::value(std::move(out)));
    }
    if (f == "spread") {
      json::array out;
      for (const auto& e : Seq(arg(0))) {
        if (!e.is_object()) {
          out.push_back(e);
          continue;
        }
        for (const auto& [k, v] : e.as_object()) out.push_back(json::value(json::object{{k, v}}));
      }
      return Collapse(std::move(out));
    }
    if (f == "error") return Fail(arg(0) ? str(0) : "$error() function evaluated");
    if (f == "assert") {
      if (!arg(0) || !arg(0)->is_bool()) return Fail("$assert: the condition must be a boolean");
      if (!arg(0)->get_bool()) return Fail(arg(1) ? str(1) : "$assert() statement failed");
      return Value();
    }
    // ---- regular expressions (std::regex, ECMAScript: JSONata's are JavaScript's)
    if (const std::regex* re = RegexOf(arg(1));
        re != nullptr && (f == "contains" || f == "match" || f == "replace" || f == "split")) {
      if (!arg(0)) return Value();
      if (!arg(0)->is_string()) return Fail("$" + f + ": the first argument must be a string");
      const std::string text(arg(0)->get_string());
      if (text.size() > kMaxRegexInput)
        return Fail("$" + f + ": the string is too long for a regular expression");
      try {
        if (f == "contains") return Value(json::value(std::regex_search(text, *re)));
        std::int64_t limit = INT64_MAX;
        const std::size_t limit_arg = f == "replace" ? 3 : 2;
        if (arg(limit_arg) && arg(limit_arg)->is_number())
          limit = static_cast<std::int64_t>(arg(limit_arg)->to_number<double>());
        json::array matches;
        std::string replaced, last_piece;
        std::size_t last = 0;
        std::int64_t count = 0;
        for (auto it = std::sregex_iterator(text.begin(), text.end(), *re);
             it != std::sregex_iterator() && count < limit; ++it, ++count) {
          const std::smatch& m = *it;
          if (m.length(0) == 0) return Fail("$" + f + ": the regular expression matches an empty string");
          const std::size_t at = static_cast<std::size_t>(m.position(0));
          if (f == "match") {
            json::array groups;
            for (std::size_t g = 1; g < m.size(); ++g) groups.push_back(json::value(m[g].str()));
            matches.push_back(json::object{{"match", m.str(0)},
                                           {"index", static_cast<std::int64_t>(at)},
                                           {"groups", std::move(groups)}});
          } else if (f == "split") {
            matches.push_back(json::value(text.substr(last, at - last)));
          } else {
            replaced += text.substr(last, at - last);
            if (const Function* rf = FunctionOf(arg(2)); rf != nullptr) {
              json::array groups;
              for (std::size_t g = 1; g < m.size(); ++g) groups.push_back(json::value(m[g].str()));
              const Function fn = *rf;
              CENOTE_ASSIGN_OR_RETURN(Value r,
                                      Apply(fn,
                                            {Value(json::object{{"match", m.str(0)},
                                                                {"index", static_cast<std::int64_t>(at)},
                                                                {"groups", std::move(groups)}})},
                                            ctx));
              if (!r || !r->is_string())
                return Fail("$replace: the replacement function must return a string");
              replaced += r->get_string();
            } else {
              // $0 is the match, $1..$9 the groups, $$ a dollar sign.
              const std::string to = str(2);
              for (std::size_t i = 0; i < to.size(); ++i) {
                if (to[i] == '$' && i + 1 < to.size() && to[i + 1] == '$') {
                  replaced += '$';
                  ++i;
                } else if (to[i] == '$' && i + 1 < to.size() && IsAsciiDigit(to[i + 1])) {
                  const std::size_t g = static_cast<std::size_t>(to[++i] - '0');
                  if (g < m.size()) replaced += m[g].str();
                } else {
                  replaced += to[i];
                }
              }
            }
          }
          last = at + static_cast<std::size_t>(m.length(0));
        }
        if (f == "match") return Collapse(std::move(matches));
        if (f == "split") {
          matches.push_back(json::value(text.substr(last)));
          if (arg(2) && arg(2)->is_number())
            matches.resize(std::min(matches.size(), arg(2)->to_number<std::size_t>()));
          return Value(json::value(std::move(matches)));
        }
        return Value(json::value(replaced + text.substr(last)));
      } catch (const std::regex_error&) {
        return Fail("$" + f + ": the regular expression could not be evaluated");
      }
    }
    // ---- more strings, numbers, dates
    if (f == "pad") {
      if (!arg(0)) return Value();
      std::string s = str(0);
      CENOTE_ASSIGN_OR_RETURN(double width_d, num(1));
      const std::string fill = arg(2) ? str(2) : " ";
      const std::int64_t width = static_cast<std::int64_t>(width_d);
      const std::size_t target = static_cast<std::size_t>(width < 0 ? -width : width);
      std::string padding;
      while (!fill.empty() && s.size() + padding.size() < target) padding += fill;
      padding.resize(target > s.size() ? target - s.size() : 0);
      return Value(json::value(width < 0 ? padding + s : s + padding));
    }
    if (f == "formatBase") {
      if (!arg(0)) return Value();
      CENOTE_ASSIGN_OR_RETURN(double x, num(0));
      int radix = 10;
      if (arg(1)) {
        CENOTE_ASSIGN_OR_RETURN(double r, num(1));
        radix = static_cast<int>(r);
      }
      if (radix < 2 || radix > 36) return Fail("$formatBase: the radix must be between 2 and 36");
      std::int64_t v = static_cast<std::int64_t>(std::llround(x));
      const bool negative = v < 0;
      std::uint64_t u = negative ? static_cast<std::uint64_t>(-(v + 1)) + 1 : static_cast<std::uint64_t>(v);
      std::string digits;
      do {
        digits += "0123456789abcdefghijklmnopqrstuvwxyz"[u % static_cast<std::uint64_t>(radix)];
        u /= static_cast<std::uint64_t>(radix);
      } while (u != 0);
      if (negative) digits += '-';
      std::reverse(digits.begin(), digits.end());
      return Value(json::value(digits));
    }
    if (f == "toMillis") {
      if (!arg(0)) return Value();
      if (arg(1)) return Fail("$toMillis: picture strings are not supported (ISO 8601 timestamps only)");
      auto ms = ParseTimestamp(str(0));
      if (!ms) return Fail("$toMillis: '" + str(0) + "' is not an ISO 8601 timestamp");
      return Value(json::value(*ms));
    }
    if (f == "fromMillis") {
      if (!arg(0)) return Value();
      if (arg(1)) return Fail("$fromMillis: picture strings are not supported (ISO 8601 output only)");
      CENOTE_ASSIGN_OR_RETURN(double ms, num(0));
      return Value(json::value(FormatTimestamp(static_cast<std::int64_t>(ms))));
    }
    if (f == "base64encode") return arg(0) ? Value(json::value(Base64Encode(str(0)))) : Value();
    if (f == "base64decode") {
      if (!arg(0)) return Value();
      auto d = Base64Decode(str(0));
      if (!d) return Fail("$base64decode: the argument is not Base64");
      return Value(json::value(*d));
    }
    if (f == "encodeUrlComponent" || f == "encodeUrl") {
      return arg(0) ? Value(json::value(UriEncode(str(0), f == "encodeUrlComponent"))) : Value();
    }
    if (f == "decodeUrlComponent" || f == "decodeUrl")
      return arg(0) ? Value(json::value(UriDecode(str(0)))) : Value();
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
  std::shared_ptr<Scope> scope_;  // the innermost scope (blocks and lambda calls push one)
  std::vector<Function> functions_;
  std::deque<std::regex> regexes_;  // stable addresses
  int depth_ = 0;
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
      if (Marked(*r, kFunctionMarker) || Marked(*r, kRegexMarker))
        return Fail("The JSONata expression '" + std::string(*expr) + "' returned a function, not a value");
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
          if (r && (Marked(*r, kFunctionMarker) || Marked(*r, kRegexMarker)))
            return Fail("The JSONata expression '" + std::string(*expr) +
                        "' returned a function, not a value");
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
