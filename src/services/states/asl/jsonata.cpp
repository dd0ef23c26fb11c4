#if defined(__GNUC__) && !defined(__clang__)
// g++ 12's -Wrestrict false positive on std::string concatenation (as services' internal.hpp files note).
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include "services/states/asl/jsonata.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
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
#include "common/utf8.hpp"
#include "services/states/asl/json_path.hpp"
#include "services/states/asl/jsonata_format.hpp"

namespace cenote::states::asl {

namespace json = boost::json;
using Value = std::optional<json::value>;  // nullopt: JSONata's undefined

namespace {

Error Fail(std::string message) { return MakeError("States.QueryEvaluationError", std::move(message)); }

constexpr std::string_view kNoParent =
    "The object representing the 'parent' cannot be derived from this expression";

struct Node {
  enum class Kind {
    kLiteral,
    kVariable,
    kName,
    kPath,  // steps in kids, their predicates and bindings in `steps` (parallel to kids)
    kArray,
    kObject,
    kUnary,
    kBinary,
    kCondition,
    kCall,
    kLambda,       // function($a, $b) { body }: params in `params`, body kids[0]
    kBlock,        // ( e1; e2; ... ): the last value, with a scope of its own
    kBind,         // $name := kids[0]
    kChain,        // kids[0] ~> kids[1]
    kRegex,        // /pattern/flags: pattern in `name`, flags in `literal`
    kWildcard,     // *: every field's value
    kDescendants,  // **: every value below
    kParent,       // %: the context item the current one was reached from
    kTransform,    // | location | update [, delete] |: kids[0..2]
    kRange,        // [from..to] inside an array constructor: kids[0], kids[1]
    kSort,         // ^(term, <term, >term) in a path: the terms in kids, their directions in `descending`
    kInvoke,       // kids[0](kids[1], ...): a lambda called where it is defined
    kPlaceholder   // `?` among a call's arguments (a partial application)
  };
  // What follows a path step: predicates `[e]` (or `[]`, keep the result an array), `#$i` (positional
  // binding), `@$v` (context binding: the step's values bind $v, the context stays).
  struct Stage {
    std::unique_ptr<Node> filter;  // null: `#$name` after a predicate (index_var set)
    std::string index_var;
  };
  struct Step {
    std::vector<Stage> stages;
    std::string focus;  // @$focus
    std::string index;  // #$index (before any predicate)
  };
  Kind kind = Kind::kLiteral;
  json::value literal;
  std::string name;  // variable / field / function / operator
  std::vector<std::unique_ptr<Node>> kids;
  std::vector<std::pair<std::unique_ptr<Node>, std::unique_ptr<Node>>> pairs;  // object constructor, group-by
  std::vector<std::string> params;                                             // lambda parameters
  std::vector<Step> steps;                                                     // kPath
  bool keep_array = false;                                                     // kPath: a `[]` stage
  bool tuples = false;           // kPath: positional/context bindings or `%` make it a tuple stream
  bool grouped = false;          // kPath: a group-by clause (`pairs`) applies to its items
  std::vector<bool> descending;  // kSort
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
    auto parsed = Expression();
    if (unterminated_comment_) return Bad("S0106: a comment is not closed (no */)");
    CENOTE_ASSIGN_OR_RETURN(NodePtr n, std::move(parsed));
    Spaces();
    if (i_ != t_.size()) return Bad("unexpected '" + std::string(t_.substr(i_, 1)) + "'");
    return n;
  }
  bool UsesParent() const { return parents_seen_ > 0; }

 private:
  Error Bad(const std::string& what) const {
    return Fail("The JSONata expression '" + std::string(t_) + "' could not be parsed: " + what +
                " at position " + std::to_string(i_));
  }
  // A character of a name or variable: letters, digits, '_' and anything beyond ASCII (JSONata's names are
  // Unicode).
  static bool NameChar(char c) {
    return IsAsciiAlnum(c) || c == '_' || static_cast<unsigned char>(c) >= 0x80;
  }

  // Whitespace and /* comments */.
  void Spaces() {
    while (true) {
      while (i_ < t_.size() && IsAsciiSpace(t_[i_])) ++i_;
      if (!t_.substr(i_).starts_with("/*")) return;
      const std::size_t end = t_.find("*/", i_ + 2);
      if (end == std::string_view::npos) {
        unterminated_comment_ = true;
        i_ = t_.size();
        return;
      }
      i_ = end + 2;
    }
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
    if (t_.substr(i_).starts_with(w) && (i_ + w.size() >= t_.size() || !NameChar(t_[i_ + w.size()]))) {
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
      while (j < t_.size() && NameChar(t_[j])) ++j;
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
  // A location path: steps separated by '.', each with its predicates and bindings. A lone step without
  // any stays the plain node.
  Result<NodePtr> Path() {
    NodePtr path = Make(Node::Kind::kPath);
    const int parents_before = parents_seen_;
    while (true) {
      CENOTE_ASSIGN_OR_RETURN(NodePtr step, Primary());
      // A quoted string after a '.' names a field.
      if (!path->kids.empty() && step->kind == Node::Kind::kLiteral && step->literal.is_string()) {
        step->kind = Node::Kind::kName;
        step->name = std::string(step->literal.get_string());
      }
      while (true) {
        Node::Step info;
        CENOTE_RETURN_IF_ERROR(StepSuffixes(*path, step->kind == Node::Kind::kSort, info));
        path->kids.push_back(std::move(step));
        path->steps.push_back(std::move(info));
        // An order-by clause `^(<a, >b)` sorts the stream so far: a step of its own.
        if (!Eat("^(")) break;
        step = Make(Node::Kind::kSort);
        do {
          bool descending = false;
          if (Eat("<")) {
          } else if (Eat(">")) {
            descending = true;
          }
          CENOTE_ASSIGN_OR_RETURN(NodePtr term, Expression());
          step->kids.push_back(std::move(term));
          step->descending.push_back(descending);
        } while (Eat(","));
        if (!Eat(")")) return Bad("expected ) to close the order-by clause");
      }
      // A group-by clause `{ key: value, ... }` right after a step: the path's items grouped by key.
      Spaces();
      if (i_ < t_.size() && t_[i_] == '{') {
        if (path->grouped) return Bad("S0210: a step may have only one group-by clause");
        ++i_;
        CENOTE_RETURN_IF_ERROR(ObjectPairs(path->pairs));
        path->grouped = true;
      }
      Spaces();
      if (i_ < t_.size() && t_[i_] == '.' &&
          !(i_ + 1 < t_.size() && (IsAsciiDigit(t_[i_ + 1]) || t_[i_ + 1] == '.'))) {
        ++i_;
        continue;
      }
      break;
    }
    // A quoted string starting a path of several steps names a field too ("foo".bar).
    if (path->kids.size() > 1 && path->kids[0]->kind == Node::Kind::kLiteral &&
        path->kids[0]->literal.is_string()) {
      path->kids[0]->kind = Node::Kind::kName;
      path->kids[0]->name = std::string(path->kids[0]->literal.get_string());
    }
    if (parents_seen_ != parents_before) path->tuples = true;
    const Node::Step& only = path->steps[0];
    if (path->kids.size() == 1 && only.stages.empty() && only.focus.empty() && only.index.empty() &&
        !path->keep_array && !path->grouped && path->kids[0]->kind != Node::Kind::kParent)
      return std::move(path->kids[0]);
    return path;
  }
  // What may follow a step: predicates `[e]` (or `[]`), positional `#$i` and context `@$v` bindings.
  Status StepSuffixes(Node& path, bool after_sort, Node::Step& info) {
    while (true) {
      Spaces();
      if (i_ < t_.size() && t_[i_] == '[') {
        ++i_;
        if (Eat("]")) {
          path.keep_array = true;
          continue;
        }
        CENOTE_ASSIGN_OR_RETURN(NodePtr e, Expression());
        if (!Eat("]")) return Bad("expected ]");
        info.stages.push_back(Node::Stage{.filter = std::move(e), .index_var = {}});
      } else if (i_ < t_.size() && (t_[i_] == '#' || t_[i_] == '@')) {
        const char op = t_[i_++];
        Spaces();
        if (i_ >= t_.size() || t_[i_] != '$') return Bad(std::string("expected a $variable after ") + op);
        const std::size_t from = ++i_;
        while (i_ < t_.size() && NameChar(t_[i_])) ++i_;
        std::string var(t_.substr(from, i_ - from));
        if (op == '@') {
          if (!info.stages.empty()) return Bad("a context variable binding must precede any predicates");
          if (after_sort) return Bad("S0216: a context variable binding cannot follow an order-by clause");
          info.focus = std::move(var);
        } else if (info.stages.empty()) {
          info.index = std::move(var);
        } else {
          info.stages.push_back(Node::Stage{.filter = nullptr, .index_var = std::move(var)});
        }
        path.tuples = true;
      } else {
        return Status::Ok();
      }
    }
  }
  // `key: value, ...}` of an object constructor or a group-by clause (after its '{').
  Status ObjectPairs(std::vector<std::pair<NodePtr, NodePtr>>& pairs) {
    if (Eat("}")) return Status::Ok();
    do {
      CENOTE_ASSIGN_OR_RETURN(NodePtr k, Expression());
      if (!Eat(":")) return Bad("expected :");
      CENOTE_ASSIGN_OR_RETURN(NodePtr v, Expression());
      pairs.emplace_back(std::move(k), std::move(v));
    } while (Eat(","));
    if (!Eat("}")) return Bad("expected }");
    return Status::Ok();
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
        Spaces();
        if (i_ < t_.size() && t_[i_] == ')') break;  // after a final ';'
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
    if (c == '%') {
      ++i_;
      ++parents_seen_;
      return Make(Node::Kind::kParent);
    }
    if (c == '|') {  // | location | update [, delete] |
      ++i_;
      NodePtr n = Make(Node::Kind::kTransform);
      CENOTE_ASSIGN_OR_RETURN(NodePtr location, Expression());
      if (!Eat("|")) return Bad("expected | after the transform's location");
      CENOTE_ASSIGN_OR_RETURN(NodePtr update, Expression());
      n->kids.push_back(std::move(location));
      n->kids.push_back(std::move(update));
      if (Eat(",")) {
        CENOTE_ASSIGN_OR_RETURN(NodePtr deletions, Expression());
        n->kids.push_back(std::move(deletions));
      }
      if (!Eat("|")) return Bad("expected | to close the transform");
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
          if (Eat("..")) {
            NodePtr range = Make(Node::Kind::kRange);
            CENOTE_ASSIGN_OR_RETURN(NodePtr to, Expression());
            range->kids.push_back(std::move(e));
            range->kids.push_back(std::move(to));
            e = std::move(range);
          }
          n->kids.push_back(std::move(e));
        } while (Eat(","));
        if (!Eat("]")) return Bad("expected ]");
      }
      return n;
    }
    if (c == '{') {
      ++i_;
      NodePtr n = Make(Node::Kind::kObject);
      CENOTE_RETURN_IF_ERROR(ObjectPairs(n->pairs));
      return n;
    }
    if (c == '"' || c == '\'') {
      ++i_;
      std::string s;
      while (i_ < t_.size() && t_[i_] != c) {
        if (t_[i_] == '\\' && i_ + 1 < t_.size()) {
          const char e = t_[++i_];
          if (e == 'u') {
            // \uXXXX (JSON's escape, a surrogate pair combined): the code point in UTF-8.
            auto hex4 = [&](std::size_t at) -> std::optional<unsigned> {
              if (at + 4 > t_.size()) return std::nullopt;
              unsigned v = 0;
              for (std::size_t k = at; k < at + 4; ++k) {
                const char h = t_[k];
                const int d = IsAsciiDigit(h)          ? h - '0'
                              : (h >= 'a' && h <= 'f') ? h - 'a' + 10
                              : (h >= 'A' && h <= 'F') ? h - 'A' + 10
                                                       : -1;
                if (d < 0) return std::nullopt;
                v = v * 16 + static_cast<unsigned>(d);
              }
              return v;
            };
            auto first = hex4(i_ + 1);
            if (!first) return Bad("S0104: \\u must be followed by four hexadecimal digits");
            unsigned cp = *first;
            i_ += 5;
            if (cp >= 0xD800 && cp < 0xDC00 && t_.substr(i_).starts_with("\\u")) {
              if (auto low = hex4(i_ + 2); low && *low >= 0xDC00 && *low < 0xE000) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (*low - 0xDC00);
                i_ += 6;
              }
            }
            AppendUtf8(s, cp);
            continue;
          }
          // JSON's escapes (and the string's own quote).
          switch (e) {
            case '"':
            case '\'':
            case '\\':
            case '/':
              s += e;
              break;
            case 'b':
              s += '\b';
              break;
            case 'f':
              s += '\f';
              break;
            case 'n':
              s += '\n';
              break;
            case 'r':
              s += '\r';
              break;
            case 't':
              s += '\t';
              break;
            default:
              return Bad(std::string("S0103: unsupported escape sequence \\") + e);
          }
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
      while (i_ < t_.size() &&
             (IsAsciiDigit(t_[i_]) || (t_[i_] == '.' && !t_.substr(i_).starts_with("..")) || t_[i_] == 'e' ||
              t_[i_] == 'E' ||
              ((t_[i_] == '+' || t_[i_] == '-') && (t_[i_ - 1] == 'e' || t_[i_ - 1] == 'E'))))
        ++i_;
      boost::system::error_code ec;
      json::value v = json::parse(t_.substr(from, i_ - from), ec);
      if (ec) return Bad("bad number");
      if (v.is_double() && !std::isfinite(v.get_double())) return Bad("S0102: the number is out of range");
      NodePtr n = Make(Node::Kind::kLiteral);
      n->literal = std::move(v);
      return n;
    }
    if (c == '$' && t_.substr(i_).starts_with("$$")) {  // the root input
      i_ += 2;
      NodePtr n = Make(Node::Kind::kVariable);
      n->name = "$";
      return n;
    }
    if (c == '$') {
      ++i_;
      const std::size_t from = i_;
      while (i_ < t_.size() && NameChar(t_[i_])) ++i_;
      std::string name(t_.substr(from, i_ - from));
      Spaces();
      if (i_ < t_.size() && t_[i_] == '(') {
        ++i_;
        NodePtr n = Make(Node::Kind::kCall);
        n->name = std::move(name);
        if (!Eat(")")) {
          do {
            // `?`: a placeholder, making the call a partial application.
            Spaces();
            std::size_t after = i_ + 1;
            while (after < t_.size() && IsAsciiSpace(t_[after])) ++after;
            if (i_ < t_.size() && t_[i_] == '?' && after < t_.size() &&
                (t_[after] == ',' || t_[after] == ')')) {
              i_ = after;
              n->kids.push_back(Make(Node::Kind::kPlaceholder));
              continue;
            }
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
      if (i_ >= t_.size()) return Bad("S0105: unterminated quoted name (no closing backtick)");
      NodePtr n = Make(Node::Kind::kName);
      n->name = std::string(t_.substr(from, i_ - from));
      ++i_;
      return n;
    }
    if (t_.substr(i_).starts_with("\u03bb")) {  // λ: function
      i_ += 2;
      return Invoked();
    }
    if (IsAsciiAlpha(c) || c == '_' || static_cast<unsigned char>(c) >= 0x80) {
      const std::size_t from = i_;
      while (i_ < t_.size() && NameChar(t_[i_])) ++i_;
      const std::string word(t_.substr(from, i_ - from));
      NodePtr n = Make(Node::Kind::kLiteral);
      if (word == "true") {
        n->literal = true;
      } else if (word == "false") {
        n->literal = false;
      } else if (word == "null") {
        n->literal = nullptr;
      } else if (word == "function") {
        return Invoked();
      } else {
        n->kind = Node::Kind::kName;
        n->name = word;
      }
      return n;
    }
    return Bad(std::string("'") + c + "' is not supported");
  }

  // A lambda, called where it is defined when arguments follow: `function($x) { $x * 2 }(5)`.
  Result<NodePtr> Invoked() {
    CENOTE_ASSIGN_OR_RETURN(NodePtr f, Lambda());
    Spaces();
    if (i_ >= t_.size() || t_[i_] != '(') return f;
    ++i_;
    NodePtr n = Make(Node::Kind::kInvoke);
    n->kids.push_back(std::move(f));
    if (!Eat(")")) {
      do {
        CENOTE_ASSIGN_OR_RETURN(NodePtr e, Expression());
        n->kids.push_back(std::move(e));
      } while (Eat(","));
      if (!Eat(")")) return Bad("expected )");
    }
    return n;
  }

  // function($a, $b) { body } (or λ($a, $b) { body })
  Result<NodePtr> Lambda() {
    NodePtr n = Make(Node::Kind::kLambda);
    if (!Eat("(")) return Bad("expected ( after function");
    if (!Eat(")")) {
      do {
        Spaces();
        if (i_ >= t_.size() || t_[i_] != '$') return Bad("expected a $parameter");
        const std::size_t from = ++i_;
        while (i_ < t_.size() && NameChar(t_[i_])) ++i_;
        n->params.emplace_back(t_.substr(from, i_ - from));
      } while (Eat(","));
      if (!Eat(")")) return Bad("expected )");
    }
    // A signature `<n-n:n>` (its types are not checked here).
    Spaces();
    if (i_ < t_.size() && t_[i_] == '<') {
      int depth = 0;
      do {
        if (t_[i_] == '<') ++depth;
        if (t_[i_] == '>') --depth;
        ++i_;
      } while (depth > 0 && i_ < t_.size());
      if (depth > 0) return Bad("S0401: the function signature is not closed (no >)");
    }
    if (!Eat("{")) return Bad("expected { before the function's body");
    CENOTE_ASSIGN_OR_RETURN(NodePtr body, Expression());
    if (!Eat("}")) return Bad("expected }");
    n->kids.push_back(std::move(body));
    return n;
  }

  std::string_view t_;
  std::size_t i_ = 0;
  int parents_seen_ = 0;  // `%` parsed so far: a path holding one carries ancestry
  bool unterminated_comment_ = false;
};

// Functions and regular expressions are values in JSONata; here they are objects with one marker member
// whose value indexes the evaluator's tables (they never reach a state's output: see ApplyJsonata).
constexpr std::string_view kFunctionMarker = "\u0001function";
constexpr std::string_view kRegexMarker = "\u0001regex";
constexpr std::string_view kIdMarker = "\u0001id";  // a transform's hidden object ids

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

// A number as JSONata casts it to a string: rounded to 15 significant digits, then written as JavaScript
// writes numbers (the shortest digits that read back; plain notation from 1e-7 up to 1e21, else d.ddde+x).
std::string JsNumberText(double d) {
  if (!std::isfinite(d)) return d != d ? "NaN" : d > 0 ? "Infinity" : "-Infinity";
  if (d == 0) return "0";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.14e", d);
  const double r = std::strtod(buf, nullptr);
  auto res = std::to_chars(buf, buf + sizeof(buf), r, std::chars_format::scientific);
  const std::string sci(buf, res.ptr);  // [-]d[.ddd]e[+-]xx
  const bool negative = sci[0] == '-';
  const std::size_t e_at = sci.find('e');
  std::string digits;
  for (std::size_t i = negative ? 1 : 0; i < e_at; ++i) {
    if (sci[i] != '.') digits += sci[i];
  }
  const int n = std::stoi(sci.substr(e_at + 1)) + 1;  // the decimal point's position after the digits' first
  const int k = static_cast<int>(digits.size());
  std::string out = negative ? "-" : "";
  if (k <= n && n <= 21) {
    out += digits + std::string(static_cast<std::size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out += digits.substr(0, static_cast<std::size_t>(n)) + "." + digits.substr(static_cast<std::size_t>(n));
  } else if (-6 < n && n <= 0) {
    out += "0." + std::string(static_cast<std::size_t>(-n), '0') + digits;
  } else {
    out += digits.substr(0, 1);
    if (k > 1) out += "." + digits.substr(1);
    out += (n - 1 >= 0 ? "e+" : "e-") + std::to_string(std::abs(n - 1));
  }
  return out;
}

// A value as JSONata's $string writes it: JSON with numbers as above, functions as ""; `indent` > 0 puts
// each member on its own line, indented (JSON.stringify's third argument).
std::string JsText(const json::value& v, int indent = 0, int depth = 0) {
  if (v.is_double()) return JsNumberText(v.get_double());
  const std::string pad =
      indent ? "\n" + std::string(static_cast<std::size_t>(indent * (depth + 1)), ' ') : "";
  const std::string close = indent ? "\n" + std::string(static_cast<std::size_t>(indent * depth), ' ') : "";
  if (v.is_array()) {
    if (v.as_array().empty()) return "[]";
    std::string out = "[";
    for (std::size_t i = 0; i < v.as_array().size(); ++i) {
      if (i) out += ',';
      out += pad + JsText(v.as_array()[i], indent, depth + 1);
    }
    return out + close + "]";
  }
  if (v.is_object()) {
    if (Marked(v, kFunctionMarker) || Marked(v, kRegexMarker)) return "\"\"";
    std::string out = "{";
    bool first = true;
    for (const auto& [k, x] : v.as_object()) {
      if (k == kIdMarker) continue;
      if (!first) out += ',';
      first = false;
      out += pad + json::serialize(json::value(k)) + (indent ? ": " : ":") + JsText(x, indent, depth + 1);
    }
    if (first) return "{}";
    return out + close + "}";
  }
  return json::serialize(v);
}

std::string AsString(const json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_object() && (Marked(v, kFunctionMarker) || Marked(v, kRegexMarker))) return "";
  return JsText(v);
}

// A string's characters (Unicode code points, as JSONata counts them): the UTF-8 bytes of each.
std::vector<std::string_view> CodePoints(std::string_view s) {
  std::vector<std::string_view> out;
  for (std::size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    std::size_t n = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 1;
    n = std::min(n, s.size() - i);
    out.push_back(s.substr(i, n));
    i += n;
  }
  return out;
}

// The code points [from, to) of `cps` as JavaScript's Array.prototype.slice takes them (negative from the
// end).
std::string Slice(const std::vector<std::string_view>& cps, double from, double to) {
  const double size = static_cast<double>(cps.size());
  auto clamp = [&](double x) {
    x = std::trunc(x);
    return x < 0 ? std::max(0.0, size + x) : std::min(x, size);
  };
  const double a = clamp(from), b = clamp(to);
  std::string out;
  for (double k = a; k < b; ++k) out.append(cps[static_cast<std::size_t>(k)]);
  return out;
}

// The ISO 8601 forms $toMillis reads besides full timestamps (as JSONata's pattern admits them): a year, a
// year and month, a date, with or without a time, fraction and offset (Z, +hh:mm or +hhmm; none: UTC).
std::optional<std::int64_t> IsoMillis(const std::string& text) {
  static const std::regex kIso(
      "(\\d{4})(?:-(\\d{2}))?(?:-(\\d{2}))?(?:T(\\d{2}):(\\d{2}):(\\d{2}))?(?:\\.(\\d+))?(?:([+-])(\\d{2}):?("
      "\\d{2})|Z)?");
  std::smatch m;
  if (text.size() > 64 || !std::regex_match(text, m, kIso)) return std::nullopt;
  auto part = [&](std::size_t g, int otherwise) { return m[g].matched ? std::stoi(m[g].str()) : otherwise; };
  const int y = part(1, 0), mo = part(2, 1), d = part(3, 1), h = part(4, 0), mi = part(5, 0),
            sec = part(6, 0);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 24 || mi > 59 || sec > 59) return std::nullopt;
  // Days from 1970-01-01 of the civil date (the proleptic Gregorian calendar).
  const int yy = mo <= 2 ? y - 1 : y;
  const int era = (yy >= 0 ? yy : yy - 399) / 400;
  const int yoe = yy - era * 400;
  const int doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const std::int64_t days = static_cast<std::int64_t>(era) * 146097 + doe - 719468;
  std::int64_t ms = days * 86400000 + (h * 3600 + mi * 60 + sec) * 1000LL;
  if (m[7].matched) {
    std::string f = m[7].str();
    f.resize(3, '0');
    ms += std::stoi(f);
  }
  if (m[8].matched) {
    const int offset = std::stoi(m[9].str()) * 60 + std::stoi(m[10].str());
    ms -= (m[8].str() == "-" ? -1 : 1) * offset * 60000LL;
  }
  return ms;
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
                                               "shuffle",
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
                                               "parse",
                                               "eval",
                                               "formatNumber",
                                               "formatInteger",
                                               "parseInteger"};
  return kNames.contains(name);
}

class Evaluator {
 public:
  Evaluator(const json::object& vars, bool uses_parent, Value root)
      : vars_(vars), root_(std::move(root)), scope_(std::make_shared<Scope>()), uses_parent_(uses_parent) {}

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
    std::set<std::string> unset;  // bound to undefined here (hiding an outer binding)
    std::shared_ptr<Scope> parent;
  };
  // The items a path went through to reach the current one (`%` is `value`, `%.%` is `up->value`).
  struct Ancestor {
    json::value value;
    std::shared_ptr<const Ancestor> up;
    bool underivable = false;  // reached through a step `%` cannot see through (a function call, a variable)
  };
  // A function value: a closure or a built-in.
  struct Function {
    const Node* lambda = nullptr;
    std::string builtin;
    std::shared_ptr<Scope> scope;
    Value ctx;
    bool at_root = false;  // the context it was defined in is the input
    // A partial application ($f(?, 2)): `target` called with `bound`, its holes (nullopt) filled by the
    // arguments; or, with `then` set, a composition ($f ~> $g): `target`'s result passed to `then`.
    std::optional<std::size_t> target = std::nullopt;
    std::vector<std::optional<Value>> bound = {};
    std::optional<std::size_t> then = std::nullopt;
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
    if (name == "$") return root_;  // $$
    for (const Scope* s = scope_.get(); s != nullptr; s = s->parent.get()) {
      if (auto it = s->vars.find(name); it != s->vars.end()) return Value(it->value());
      if (s->unset.contains(name)) return Value();
    }
    if (auto it = vars_.find(name); it != vars_.end()) return Value(it->value());
    if (IsBuiltin(name))
      return NewFunction(
          Function{.lambda = nullptr, .builtin = name, .scope = {}, .ctx = {}, .at_root = false});
    return Value();
  }

  // The number of arguments a function takes (higher-order functions pass that many: value, index, array).
  static std::size_t Arity(const Function& f) { return f.lambda ? f.lambda->params.size() : 1; }

  Result<Value> Apply(const Function& f, std::vector<Value> args, const Value& ctx) {
    if (f.target && f.then) {
      const Function first = functions_[*f.target], second = functions_[*f.then];
      CENOTE_ASSIGN_OR_RETURN(Value mid, Apply(first, std::move(args), ctx));
      return Apply(second, {std::move(mid)}, ctx);
    }
    if (f.target) {
      std::vector<Value> full;
      std::size_t next = 0;
      for (const auto& b : f.bound) {
        if (b) {
          full.push_back(*b);
        } else {
          full.push_back(next < args.size() ? std::move(args[next++]) : Value());
        }
      }
      const Function target = functions_[*f.target];
      return Apply(target, std::move(full), ctx);
    }
    if (!f.lambda) return CallBuiltin(f.builtin, std::move(args), ctx);
    if (f.lambda->kind == Node::Kind::kTransform) {
      std::shared_ptr<Scope> saved = scope_;
      scope_ = f.scope;
      auto r = Transform(*f.lambda, args.empty() ? Value() : std::move(args[0]));
      scope_ = saved;
      return r;
    }
    auto frame = std::make_shared<Scope>();
    frame->parent = f.scope;
    for (std::size_t i = 0; i < f.lambda->params.size(); ++i) {
      if (i < args.size() && args[i]) {
        frame->vars[f.lambda->params[i]] = std::move(*args[i]);
      } else {
        frame->unset.insert(f.lambda->params[i]);
      }
    }
    std::shared_ptr<Scope> saved = scope_;
    scope_ = frame;
    const bool saved_at_root = std::exchange(at_root_, f.at_root);
    auto r = Eval(*f.lambda->kids[0], f.ctx);
    at_root_ = saved_at_root;
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
        return NewFunction(
            Function{.lambda = &n, .builtin = {}, .scope = scope_, .ctx = ctx, .at_root = at_root_});
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
          scope_->unset.erase(n.name);
        } else {
          scope_->vars.erase(n.name);
          scope_->unset.insert(n.name);
        }
        return v;
      }
      case Node::Kind::kChain: {
        CENOTE_ASSIGN_OR_RETURN(Value input, Eval(*n.kids[0], ctx));
        const Node& f = *n.kids[1];
        // A call takes the value as its first argument; a partial application is a function.
        if (f.kind == Node::Kind::kCall && !HasPlaceholder(f)) return Call(f, ctx, &input);
        CENOTE_ASSIGN_OR_RETURN(Value fn, Eval(f, ctx));
        if (RegexOf(fn) != nullptr) {
          // A regular expression applied: the first match ({match, index, groups}) or undefined.
          return CallBuiltin("match", {std::move(input), fn, Value(json::value(1))}, ctx);
        }
        if (FunctionOf(fn) == nullptr) return Fail("T2006: the right side of ~> must be a function");
        if (FunctionOf(input) != nullptr) {  // $f ~> $g: a function applying $f, then $g
          Function composed;
          composed.target = Marked(*input, kFunctionMarker);
          composed.then = Marked(*fn, kFunctionMarker);
          return NewFunction(std::move(composed));
        }
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
        if (!ctx || Marked(*ctx, kFunctionMarker) || Marked(*ctx, kRegexMarker)) return Value();
        json::array out;
        auto add = [&](const json::value& v) {
          if (v.is_array()) {
            for (const auto& x : v.as_array()) out.push_back(x);
          } else {
            out.push_back(v);
          }
        };
        if (ctx->is_object()) {
          for (const auto& [k, v] : ctx->as_object()) {
            if (k != kIdMarker) add(v);
          }
        } else if (ctx->is_array()) {
          for (const auto& e : ctx->as_array()) {
            if (e.is_object()) {
              for (const auto& [k, v] : e.as_object()) {
                if (k != kIdMarker) add(v);
              }
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
              if (k == kIdMarker) continue;
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
        if (!ctx->is_array()) out.push_back(*ctx);  // the value itself, then everything below it
        walk(*ctx);
        return Collapse(std::move(out));
      }
      case Node::Kind::kName: {
        if (!ctx) return Value();
        return Field(*ctx, n.name);
      }
      case Node::Kind::kPath:
        return EvalPath(n, ctx);
      case Node::Kind::kParent:
        if (!parents_ || parents_->underivable) return Fail(std::string(kNoParent));
        return Value(parents_->value);
      case Node::Kind::kSort:  // only a path step (EvalPath sorts its stream)
        return Fail("An order-by clause must follow a path step");
      case Node::Kind::kPlaceholder:
        return Fail("A ? placeholder is only allowed among a function's arguments");
      case Node::Kind::kInvoke: {
        CENOTE_ASSIGN_OR_RETURN(Value fn, Eval(*n.kids[0], ctx));
        std::vector<Value> args;
        for (std::size_t k = 1; k < n.kids.size(); ++k) {
          CENOTE_ASSIGN_OR_RETURN(Value v, Eval(*n.kids[k], ctx));
          args.push_back(std::move(v));
        }
        return ApplyValue(fn, std::move(args), ctx, "function");
      }
      case Node::Kind::kTransform:
        return NewFunction(
            Function{.lambda = &n, .builtin = {}, .scope = scope_, .ctx = ctx, .at_root = at_root_});
      case Node::Kind::kRange:  // only inside an array constructor, which expands it
        return Fail("The range operator .. is only allowed inside an array constructor");
      case Node::Kind::kArray: {
        json::array out;
        for (const auto& k : n.kids) {
          if (k->kind == Node::Kind::kRange) {
            // [from..to]: the integers from `from` to `to` (none when either is undefined or from > to).
            CENOTE_ASSIGN_OR_RETURN(Value from, Eval(*k->kids[0], ctx));
            CENOTE_ASSIGN_OR_RETURN(Value to, Eval(*k->kids[1], ctx));
            if (!from || !to) continue;
            auto integer = [](const json::value& v) {
              return v.is_number() && std::floor(v.to_number<double>()) == v.to_number<double>();
            };
            if (!integer(*from) || !integer(*to))
              return Fail("The operands of the range operator .. must be integers");
            const double a = from->to_number<double>(), b = to->to_number<double>();
            if (b - a >= 1e7) return Fail("The range operator .. may produce at most 10,000,000 items");
            for (double x = a; x <= b; ++x) out.push_back(Number(x));
            continue;
          }
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
        // Over its context: the items of an array (the input itself is one item), else the one value.
        std::vector<Tuple> items;
        if (ctx && ctx->is_array() && !at_root_) {
          for (const auto& e : ctx->as_array()) items.push_back(Tuple{Value(e), scope_, parents_, false});
        } else {
          items.push_back(Tuple{ctx, scope_, parents_, false});
        }
        return Group(n.pairs, std::move(items), false, at_root_);
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

  // One item of a path's stream: its value, the variables its steps bound (#$i, @$v) and the items it was
  // reached from (for `%`).
  struct Tuple {
    Value ctx;
    std::shared_ptr<Scope> scope;
    std::shared_ptr<const Ancestor> parents;
    bool after_focus = false;  // the last step was a context (@) binding
  };

  // Evaluates `e` for the tuple `t`: its value as the context, its bindings and ancestors in view.
  // `root`: the tuple's value is the input itself.
  Result<Value> EvalIn(const Node& e, const Tuple& t, bool root = false) {
    std::shared_ptr<Scope> saved_scope = scope_;
    std::shared_ptr<const Ancestor> saved_parents = parents_;
    const bool saved_at_root = std::exchange(at_root_, root);
    scope_ = t.scope;
    parents_ = t.parents;
    auto r = Eval(e, t.ctx);
    scope_ = std::move(saved_scope);
    parents_ = std::move(saved_parents);
    at_root_ = saved_at_root;
    return r;
  }

  // A predicate over a stream: a number (or numbers) selects by position (negative from the end), anything
  // else keeps the items for which it is truthy; `#$i` after a predicate binds the position in the stream.
  Result<std::vector<Tuple>> ApplyStages(const std::vector<Node::Stage>& stages, std::vector<Tuple> items) {
    for (const auto& stage : stages) {
      if (!stage.filter) {
        for (std::size_t i = 0; i < items.size(); ++i) {
          auto frame = std::make_shared<Scope>();
          frame->parent = items[i].scope;
          frame->vars[stage.index_var] = static_cast<std::int64_t>(i);
          items[i].scope = std::move(frame);
        }
        continue;
      }
      std::vector<Tuple> kept;
      const std::int64_t size = static_cast<std::int64_t>(items.size());
      auto position = [&](const json::value& v) {
        std::int64_t i = static_cast<std::int64_t>(std::floor(v.to_number<double>()));
        return i < 0 ? i + size : i;
      };
      for (std::size_t i = 0; i < items.size(); ++i) {
        CENOTE_ASSIGN_OR_RETURN(Value keep, EvalIn(*stage.filter, items[i]));
        bool selected = false;
        if (keep && keep->is_number()) {
          selected = position(*keep) == static_cast<std::int64_t>(i);
        } else if (keep && keep->is_array() && !keep->as_array().empty() &&
                   std::all_of(keep->as_array().begin(), keep->as_array().end(),
                               [](const json::value& x) { return x.is_number(); })) {
          for (const auto& x : keep->as_array())
            selected = selected || position(x) == static_cast<std::int64_t>(i);
        } else {
          selected = Truthy(keep);
        }
        if (selected) kept.push_back(std::move(items[i]));
      }
      items = std::move(kept);
    }
    return items;
  }

  // A location path, as JSONata evaluates one: each step maps every item of the stream (arrays a step
  // returns are flattened into it, except array constructors); a step's predicates filter what it produced
  // from each item (or, in a tuple stream, the whole stream); `@$v` binds the step's values to $v and
  // keeps the context; `#$i` binds each value's position; `%` climbs to the item a value was reached from.
  Result<Value> EvalPath(const Node& n, const Value& ctx) {
    CENOTE_ASSIGN_OR_RETURN(PathRun run, RunPath(n, InitialStream(n, Tuple{ctx, scope_, parents_, false})));
    if (n.grouped) return Group(n.pairs, std::move(run.stream), n.tuples);
    json::array out;
    for (auto& t : run.stream) {
      if (t.ctx) out.push_back(std::move(*t.ctx));
    }
    if (n.keep_array) return Value(json::value(std::move(out)));
    if (run.whole_array && out.size() == run.whole_array->as_array().size())
      return Value(std::move(*run.whole_array));
    return Collapse(std::move(out));
  }

  // The stream a path starts from: the items of an array context (unless the path starts with a
  // variable, or the context is the input), else the context.
  std::vector<Tuple> InitialStream(const Node& n, const Tuple& t) const {
    std::vector<Tuple> stream;
    // A lone step other than a field (a block, a call, a constructor with predicates) is evaluated once.
    const Node::Kind first = n.kids[0]->kind;
    const bool absolute = first == Node::Kind::kVariable;
    const bool lone = n.kids.size() == 1 && first != Node::Kind::kName && first != Node::Kind::kWildcard &&
                      first != Node::Kind::kDescendants;
    if (t.ctx && t.ctx->is_array() && !absolute && !lone && !at_root_) {
      for (const auto& e : t.ctx->as_array()) stream.push_back(Tuple{Value(e), t.scope, t.parents, false});
    } else {
      stream.push_back(Tuple{t.ctx, t.scope, t.parents, false});
    }
    return stream;
  }

  // The steps `%` can climb through: a field or wildcard (its item is the one it was read from), a block
  // or a path (their last step's). Others (a function call, a variable, a constructor) hide the parent.
  static bool ParentDerivable(const Node& step) {
    return step.kind == Node::Kind::kName || step.kind == Node::Kind::kWildcard ||
           step.kind == Node::Kind::kBlock || step.kind == Node::Kind::kPath;
  }

  struct PathRun {
    std::vector<Tuple> stream;
    std::optional<json::value> whole_array;  // JSONata keeps an array a path's last step returns as is
  };

  // A location path, as JSONata evaluates one: each step maps every item of the stream (arrays a step
  // returns are flattened into it, except array constructors); a step's predicates filter what it produced
  // from each item (or, in a tuple stream, the whole stream); `@$v` binds the step's values to $v and
  // keeps the context; `#$i` binds each value's position; `%` climbs to the item a value was reached from;
  // an order-by step sorts the whole stream.
  Result<PathRun> RunPath(const Node& n, std::vector<Tuple> stream) {
    // Past the first step the context is never the input itself.
    struct Restore {
      bool& flag;
      bool saved;
      ~Restore() { flag = saved; }
    } restore{at_root_, at_root_};
    std::optional<json::value> whole_array;
    for (std::size_t s = 0; s < n.kids.size(); ++s) {
      if (s > 0) at_root_ = false;
      const Node& step = *n.kids[s];
      const Node::Step& info = n.steps[s];
      const bool last = s + 1 == n.kids.size();
      if (step.kind == Node::Kind::kSort) {
        CENOTE_ASSIGN_OR_RETURN(stream, SortStream(step, std::move(stream)));
        if (!info.index.empty()) {
          for (std::size_t i = 0; i < stream.size(); ++i) {
            auto frame = std::make_shared<Scope>();
            frame->parent = stream[i].scope;
            frame->vars[info.index] = static_cast<std::int64_t>(i);
            stream[i].scope = std::move(frame);
          }
        }
        CENOTE_ASSIGN_OR_RETURN(stream, ApplyStages(info.stages, std::move(stream)));
        whole_array.reset();
        if (stream.empty()) break;
        continue;
      }
      std::vector<Tuple> next;
      std::size_t producing = 0;
      for (const Tuple& t : stream) {
        std::vector<Tuple> produced;
        if (step.kind == Node::Kind::kParent) {
          if (!t.parents || t.parents->underivable) return Fail(std::string(kNoParent));
          produced.push_back(Tuple{Value(t.parents->value), t.scope, t.parents->up, false});
        } else if (uses_parent_ && info.focus.empty() && info.index.empty() &&
                   (step.kind == Node::Kind::kBlock || (step.kind == Node::Kind::kPath && !step.grouped))) {
          // A block's or an inner path's items keep the ancestry they were reached by.
          CENOTE_ASSIGN_OR_RETURN(produced, AncestryTuples(step, t));
        } else {
          CENOTE_ASSIGN_OR_RETURN(Value r, EvalIn(step, t, at_root_));
          if (!r) continue;
          if (last && r->is_array() && info.stages.empty() && info.focus.empty() && info.index.empty())
            whole_array = *r;
          // The ancestor of what this step produces is its input; contiguous @ bindings count as one step.
          std::shared_ptr<const Ancestor> parents = t.parents;
          if (uses_parent_ && !(t.after_focus && !info.focus.empty())) {
            if (!ParentDerivable(step)) {
              parents = std::make_shared<const Ancestor>(Ancestor{json::value(), t.parents, true});
            } else if (t.ctx) {
              parents = std::make_shared<const Ancestor>(Ancestor{*t.ctx, t.parents, false});
            }
          }
          // An array constructor stays one value (outside a tuple stream), except as the first of several
          // steps, whose items the next step maps.
          // Predicates on a constructor select among its items.
          const bool constructed =
              step.kind == Node::Kind::kArray && !n.tuples && (s > 0 || last) && info.stages.empty();
          json::array values;
          if (r->is_array() && !constructed) {
            values = std::move(r->as_array());
          } else {
            values.push_back(std::move(*r));
          }
          for (std::size_t i = 0; i < values.size(); ++i) {
            Tuple u{Value(), t.scope, parents, !info.focus.empty()};
            if (!info.focus.empty() || !info.index.empty()) {
              auto frame = std::make_shared<Scope>();
              frame->parent = t.scope;
              if (!info.index.empty()) frame->vars[info.index] = static_cast<std::int64_t>(i);
              if (!info.focus.empty()) frame->vars[info.focus] = values[i];
              u.scope = std::move(frame);
            }
            u.ctx = info.focus.empty() ? Value(std::move(values[i])) : t.ctx;
            produced.push_back(std::move(u));
          }
        }
        if (!n.tuples) {
          // Outside a tuple stream a step's predicates apply to what it produced from each item.
          if (!info.stages.empty()) whole_array.reset();
          CENOTE_ASSIGN_OR_RETURN(produced, ApplyStages(info.stages, std::move(produced)));
        }
        if (!produced.empty()) ++producing;
        for (auto& u : produced) next.push_back(std::move(u));
      }
      if (n.tuples) {
        CENOTE_ASSIGN_OR_RETURN(next, ApplyStages(info.stages, std::move(next)));
      }
      stream = std::move(next);
      if (!last) whole_array.reset();
      if (producing != 1 || n.tuples) whole_array.reset();
      if (stream.empty()) break;
    }
    return PathRun{std::move(stream), std::move(whole_array)};
  }

  // The items `e` produces from `t` with their ancestry: an inner path's stream, a block's last
  // expression's, or the values of anything else (reached from `t` when a field or wildcard).
  Result<std::vector<Tuple>> AncestryTuples(const Node& e, const Tuple& t) {
    if (e.kind == Node::Kind::kPath && !e.grouped) {
      CENOTE_ASSIGN_OR_RETURN(PathRun run, RunPath(e, InitialStream(e, t)));
      return std::move(run.stream);
    }
    if (e.kind == Node::Kind::kBlock && !e.kids.empty()) {
      auto frame = std::make_shared<Scope>();
      frame->parent = t.scope;
      const Tuple inner{t.ctx, frame, t.parents, false};
      for (std::size_t k = 0; k + 1 < e.kids.size(); ++k) {
        CENOTE_ASSIGN_OR_RETURN(Value ignored, EvalIn(*e.kids[k], inner, at_root_));
        (void)ignored;
      }
      return AncestryTuples(*e.kids.back(), inner);
    }
    CENOTE_ASSIGN_OR_RETURN(Value r, EvalIn(e, t, at_root_));
    std::vector<Tuple> out;
    if (!r) return out;
    std::shared_ptr<const Ancestor> parents = t.parents;
    if (e.kind != Node::Kind::kName && e.kind != Node::Kind::kWildcard) {
      parents = std::make_shared<const Ancestor>(Ancestor{json::value(), t.parents, true});
    } else if (t.ctx) {
      parents = std::make_shared<const Ancestor>(Ancestor{*t.ctx, t.parents, false});
    }
    if (r->is_array()) {
      for (auto& v : r->as_array()) out.push_back(Tuple{Value(std::move(v)), t.scope, parents, false});
    } else {
      out.push_back(Tuple{std::move(r), t.scope, parents, false});
    }
    return out;
  }

  // An order-by clause: the stream stably sorted by its terms (each evaluated for every item, with the
  // item's bindings and ancestry), ascending unless `>`; items whose term is undefined go last. Terms must
  // be all numbers or all strings (T2007 when they mix, T2008 for other values), as JSONata requires.
  Result<std::vector<Tuple>> SortStream(const Node& sort, std::vector<Tuple> items) {
    const std::size_t terms = sort.kids.size();
    std::vector<Value> keys(items.size() * terms);
    for (std::size_t i = 0; i < items.size(); ++i) {
      for (std::size_t k = 0; k < terms; ++k) {
        CENOTE_ASSIGN_OR_RETURN(keys[i * terms + k], EvalIn(*sort.kids[k], items[i]));
      }
    }
    std::optional<Error> failure;
    auto compare = [&](std::size_t a, std::size_t b) -> int {
      for (std::size_t k = 0; k < terms; ++k) {
        const Value& x = keys[a * terms + k];
        const Value& y = keys[b * terms + k];
        if (!x) {
          if (!y) continue;
          return 1;
        }
        if (!y) return -1;
        const bool xs = x->is_string(), ys = y->is_string();
        if (!(xs || x->is_number()) || !(ys || y->is_number())) {
          failure = Fail(
              "T2008: The expressions within an order-by clause must evaluate to numeric or string "
              "values");
          return 0;
        }
        if (xs != ys) {
          failure = Fail("T2007: Type mismatch when comparing values " + ToJsonText(*x) + " and " +
                         ToJsonText(*y) + " in order-by clause");
          return 0;
        }
        int c = 0;
        if (xs) {
          c = x->get_string().compare(y->get_string());
        } else {
          const double dx = x->to_number<double>(), dy = y->to_number<double>();
          c = dx < dy ? -1 : dx > dy ? 1 : 0;
        }
        if (c == 0) continue;
        c = c < 0 ? -1 : 1;
        return sort.descending[k] ? -c : c;
      }
      return 0;
    };
    std::vector<std::size_t> order(items.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return !failure && compare(a, b) < 0; });
    if (failure) return *failure;
    std::vector<Tuple> out;
    out.reserve(items.size());
    for (const std::size_t i : order) out.push_back(std::move(items[i]));
    return out;
  }

  // $append's joining: undefined gives way, arrays are concatenated.
  static Value Joined(Value a, const Value& b) {
    if (!a) return b;
    if (!b) return a;
    json::array out = a->is_array() ? std::move(a->as_array()) : json::array{std::move(*a)};
    if (b->is_array()) {
      for (const auto& e : b->as_array()) out.push_back(e);
    } else {
      out.push_back(*b);
    }
    return Value(json::value(std::move(out)));
  }

  // An object as JavaScript orders its members: array-index keys ascending first, then the others in the
  // order they were added.
  static json::object JsOrdered(std::vector<std::pair<std::string, json::value>> members) {
    auto index = [](const std::string& k) -> std::optional<std::uint64_t> {
      if (k.empty() || k.size() > 10 || (k.size() > 1 && k[0] == '0')) return std::nullopt;
      if (!std::all_of(k.begin(), k.end(), [](char c) { return IsAsciiDigit(c); })) return std::nullopt;
      const std::uint64_t v = std::stoull(k);
      if (v >= 4294967295ULL) return std::nullopt;
      return v;
    };
    std::stable_sort(members.begin(), members.end(), [&](const auto& x, const auto& y) {
      const auto a = index(x.first), b = index(y.first);
      if (a && b) return *a < *b;
      return a.has_value() && !b.has_value();
    });
    json::object out;
    out.reserve(members.size());
    for (auto& [k, v] : members) out[k] = std::move(v);
    return out;
  }

  // An object constructor over a stream (a group-by clause after a path, or `{...}` over its context):
  // each item's keys (strings, T1003 otherwise) group the items; a key two different pairs produce is
  // D1009; each group's value is its pair's value expression over the group (the items joined into one
  // sequence, and in a tuple stream the items' variable bindings joined alike).
  // `root`: the one item is the input itself.
  Result<Value> Group(const std::vector<std::pair<NodePtr, NodePtr>>& pairs, std::vector<Tuple> items,
                      bool reduce, bool root = false) {
    if (items.empty() && !reduce) items.push_back(Tuple{Value(), scope_, parents_, false});
    struct Entry {
      std::vector<std::size_t> members;
      std::size_t pair = 0;
    };
    std::vector<std::string> order;
    std::map<std::string, Entry> groups;
    for (std::size_t i = 0; i < items.size(); ++i) {
      for (std::size_t p = 0; p < pairs.size(); ++p) {
        CENOTE_ASSIGN_OR_RETURN(Value key, EvalIn(*pairs[p].first, items[i], root));
        if (!key) continue;
        if (!key->is_string())
          return Fail("T1003: Key in object structure must evaluate to a string; got: " + ToJsonText(*key));
        const std::string k(key->get_string());
        auto it = groups.find(k);
        if (it == groups.end()) {
          order.push_back(k);
          groups[k] = Entry{{i}, p};
        } else if (it->second.pair != p) {
          return Fail("D1009: Multiple key definitions evaluate to same key: " + k);
        } else {
          it->second.members.push_back(i);
        }
      }
    }
    const std::shared_ptr<Scope> base = scope_;
    std::vector<std::pair<std::string, json::value>> members;
    for (const std::string& k : order) {
      const Entry& entry = groups[k];
      Tuple group{Value(), base, parents_, false};
      for (const std::size_t m : entry.members) group.ctx = Joined(std::move(group.ctx), items[m].ctx);
      if (reduce) {
        // The bindings the items' steps made (the frames above the path's scope), joined per name.
        std::vector<std::string> names;
        std::map<std::string, Value> joined;
        for (const std::size_t m : entry.members) {
          std::set<std::string> seen;
          for (const Scope* sc = items[m].scope.get(); sc != nullptr && sc != base.get();
               sc = sc->parent.get()) {
            for (const auto& [name, v] : sc->vars) {
              const std::string nm(name);
              if (!seen.insert(nm).second) continue;
              if (!joined.contains(nm)) names.push_back(nm);
              joined[nm] = Joined(std::move(joined[nm]), Value(v));
            }
          }
        }
        auto frame = std::make_shared<Scope>();
        frame->parent = base;
        for (const auto& nm : names) {
          if (joined[nm]) frame->vars[nm] = std::move(*joined[nm]);
        }
        group.scope = std::move(frame);
        group.parents = items[entry.members[0]].parents;
      }
      CENOTE_ASSIGN_OR_RETURN(Value v, EvalIn(*pairs[entry.pair].second, group, root));
      if (v) members.emplace_back(k, std::move(*v));
    }
    return Value(json::value(JsOrdered(std::move(members))));
  }

  // A transform applied to `input`: a copy of it where every object the location selects is merged with
  // the update object and loses the deleted fields (in the order the location lists them). To find the
  // selected objects inside the copy, each of its objects carries a hidden id member while the location is
  // evaluated (wildcards and $keys skip it).
  Result<Value> Transform(const Node& n, Value input) {
    if (!input) return Value();
    json::value copy = std::move(*input);
    std::int64_t next_id = 0;
    std::function<void(json::value&)> tag = [&](json::value& v) {
      if (v.is_object()) {
        for (auto& [k, x] : v.as_object()) tag(x);
        v.as_object()[kIdMarker] = next_id++;
      } else if (v.is_array()) {
        for (auto& x : v.as_array()) tag(x);
      }
    };
    tag(copy);
    const bool saved_at_root = std::exchange(at_root_, false);
    auto located = Eval(*n.kids[0], Value(copy));
    at_root_ = saved_at_root;
    CENOTE_ASSIGN_OR_RETURN(Value matches, std::move(located));
    std::vector<std::int64_t> ids;
    for (const auto& m : Seq(matches)) {
      if (!m.is_object()) continue;
      if (const json::value* id = m.as_object().if_contains(kIdMarker); id != nullptr && id->is_int64())
        ids.push_back(id->get_int64());
    }
    std::function<json::object*(json::value&, std::int64_t)> find = [&](json::value& v,
                                                                        std::int64_t id) -> json::object* {
      if (v.is_object()) {
        const json::value* own = v.as_object().if_contains(kIdMarker);
        if (own != nullptr && own->is_int64() && own->get_int64() == id) return &v.as_object();
        for (auto& [k, x] : v.as_object()) {
          if (json::object* o = find(x, id)) return o;
        }
      } else if (v.is_array()) {
        for (auto& x : v.as_array()) {
          if (json::object* o = find(x, id)) return o;
        }
      }
      return nullptr;
    };
    for (const std::int64_t id : ids) {
      json::object* target = find(copy, id);
      if (target == nullptr) continue;
      const Value match(Untagged(json::value(*target)));
      CENOTE_ASSIGN_OR_RETURN(Value update, Eval(*n.kids[1], match));
      if (update) {
        if (!update->is_object())
          return Fail("The second argument of the transform (the update) must evaluate to an object");
        for (const auto& [k, v] : update->as_object()) (*target)[k] = v;
      }
      if (n.kids.size() > 2) {
        CENOTE_ASSIGN_OR_RETURN(Value deletions, Eval(*n.kids[2], match));
        for (const auto& d : Seq(deletions)) {
          if (!d.is_string())
            return Fail("The third argument of the transform (the deletions) must evaluate to strings");
          EraseKeepingOrder(*target, d.get_string());
        }
      }
    }
    return Value(Untagged(std::move(copy)));
  }

  // boost::json's erase moves the last member into the gap; JSONata keeps the remaining members' order.
  static void EraseKeepingOrder(json::object& o, std::string_view key) {
    if (!o.contains(key)) return;
    json::object kept;
    kept.reserve(o.size());
    for (auto& [k, v] : o) {
      if (k != key) kept.emplace(k, std::move(v));
    }
    o = std::move(kept);
  }

  static json::value Untagged(json::value v) {
    if (v.is_object()) {
      EraseKeepingOrder(v.as_object(), kIdMarker);
      for (auto& [k, x] : v.as_object()) x = Untagged(std::move(x));
    } else if (v.is_array()) {
      for (auto& x : v.as_array()) x = Untagged(std::move(x));
    }
    return v;
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
      const double z = op == "+"   ? x + y
                       : op == "-" ? x - y
                       : op == "*" ? x * y
                       : op == "/" ? x / y
                                   : std::fmod(x, y);
      if (!std::isfinite(z)) return Fail("D1001: Number out of range: " + JsNumberText(z));
      return Value(Number(z));
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
    if (!a || !b) {
      if (op == "=" || op == "!=") return Value(json::value(false));
      return Value();  // an ordering comparison with undefined is undefined
    }
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
  static bool HasPlaceholder(const Node& call) {
    return std::any_of(call.kids.begin(), call.kids.end(),
                       [](const NodePtr& k) { return k->kind == Node::Kind::kPlaceholder; });
  }

  Result<Value> Call(const Node& n, const Value& ctx, const Value* chained = nullptr) {
    std::vector<Value> a;
    if (chained != nullptr) a.push_back(*chained);
    if (HasPlaceholder(n)) {
      // A partial application: a function of the `?` arguments.
      const Value target = Lookup(n.name);
      if (FunctionOf(target) == nullptr) return Fail("T1008: $" + n.name + " is not a function");
      Function partial;
      partial.target = Marked(*target, kFunctionMarker);
      for (auto& v : a) partial.bound.emplace_back(std::move(v));
      for (const auto& k : n.kids) {
        if (k->kind == Node::Kind::kPlaceholder) {
          partial.bound.emplace_back(std::nullopt);
          continue;
        }
        CENOTE_ASSIGN_OR_RETURN(Value v, Eval(*k, ctx));
        partial.bound.emplace_back(std::move(v));
      }
      return NewFunction(std::move(partial));
    }
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
    // Functions whose first argument may be left out take the context instead ($string(), within a path
    // `name.$uppercase()`, `$fromMillis()` over numbers), as JSONata's signatures with '-' do.
    static const std::map<std::string, std::size_t, std::less<>> kContextFirst = {{"string", 1},
                                                                                  {"length", 1},
                                                                                  {"substring", 2},
                                                                                  {"substringBefore", 2},
                                                                                  {"substringAfter", 2},
                                                                                  {"uppercase", 1},
                                                                                  {"lowercase", 1},
                                                                                  {"trim", 1},
                                                                                  {"pad", 2},
                                                                                  {"contains", 2},
                                                                                  {"split", 2},
                                                                                  {"match", 2},
                                                                                  {"replace", 3},
                                                                                  {"number", 1},
                                                                                  {"abs", 1},
                                                                                  {"floor", 1},
                                                                                  {"ceil", 1},
                                                                                  {"round", 1},
                                                                                  {"sqrt", 1},
                                                                                  {"formatNumber", 2},
                                                                                  {"formatBase", 1},
                                                                                  {"formatInteger", 2},
                                                                                  {"parseInteger", 2},
                                                                                  {"fromMillis", 1},
                                                                                  {"toMillis", 1},
                                                                                  {"boolean", 1},
                                                                                  {"base64encode", 1},
                                                                                  {"base64decode", 1},
                                                                                  {"encodeUrl", 1},
                                                                                  {"encodeUrlComponent", 1},
                                                                                  {"decodeUrl", 1},
                                                                                  {"decodeUrlComponent", 1}};
    if (auto it = kContextFirst.find(n.name); it != kContextFirst.end() && a.size() < it->second)
      a.insert(a.begin(), ctx);
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

  // $split's limit: the most parts kept (a non-negative number, rounded down; none: all of them).
  static Result<std::size_t> SplitLimit(const Value& limit) {
    if (!limit) return SIZE_MAX;
    if (!limit->is_number()) return Fail("T0410: the third argument of $split must be a number");
    const double l = limit->to_number<double>();
    if (!(l >= 0)) return Fail("D3020: the third argument of $split must be a non-negative number");
    return l >= 1e18 ? SIZE_MAX : static_cast<std::size_t>(std::floor(l));
  }

  static constexpr std::size_t kMaxRegexInput = 64 * 1024;  // std::regex recurses: keep inputs bounded

  // The signatures of JSONata's functions (its notation: s string, n number, b boolean, l null, a array,
  // o object, f function, j any JSON value, x anything; (..) a choice, <..> the members of an array; ?
  // optional, + one or more, - the context when left out). Step Functions' own functions are not listed.
  static const std::string* Signature(const std::string& f) {
    static const std::map<std::string, std::string, std::less<>> kSignatures = {{"sum", "a<n>"},
                                                                                {"count", "a"},
                                                                                {"max", "a<n>"},
                                                                                {"min", "a<n>"},
                                                                                {"average", "a<n>"},
                                                                                {"string", "x-b?"},
                                                                                {"substring", "s-nn?"},
                                                                                {"substringBefore", "s-s"},
                                                                                {"substringAfter", "s-s"},
                                                                                {"lowercase", "s-"},
                                                                                {"uppercase", "s-"},
                                                                                {"length", "s-"},
                                                                                {"trim", "s-"},
                                                                                {"pad", "s-ns?"},
                                                                                {"match", "s-fn?"},
                                                                                {"contains", "s-(sf)"},
                                                                                {"replace", "s-(sf)(sf)n?"},
                                                                                {"split", "s-(sf)n?"},
                                                                                {"join", "a<s>s?"},
                                                                                {"formatNumber", "n-so?"},
                                                                                {"formatBase", "n-n?"},
                                                                                {"formatInteger", "n-s"},
                                                                                {"parseInteger", "s-s"},
                                                                                {"number", "(nsb)-"},
                                                                                {"floor", "n-"},
                                                                                {"ceil", "n-"},
                                                                                {"round", "n-n?"},
                                                                                {"abs", "n-"},
                                                                                {"sqrt", "n-"},
                                                                                {"power", "n-n"},
                                                                                {"boolean", "x-"},
                                                                                {"not", "x-"},
                                                                                {"map", "af"},
                                                                                {"zip", "a+"},
                                                                                {"filter", "af"},
                                                                                {"single", "af?"},
                                                                                {"reduce", "afj?"},
                                                                                {"sift", "o-f?"},
                                                                                {"keys", "x-"},
                                                                                {"lookup", "x-s"},
                                                                                {"append", "xx"},
                                                                                {"exists", "x"},
                                                                                {"spread", "x-"},
                                                                                {"merge", "a<o>"},
                                                                                {"reverse", "a"},
                                                                                {"each", "o-f"},
                                                                                {"error", "s?"},
                                                                                {"assert", "bs?"},
                                                                                {"type", "x"},
                                                                                {"sort", "af?"},
                                                                                {"shuffle", "a"},
                                                                                {"distinct", "x"},
                                                                                {"encodeUrlComponent", "s-"},
                                                                                {"encodeUrl", "s-"},
                                                                                {"decodeUrlComponent", "s-"},
                                                                                {"decodeUrl", "s-"},
                                                                                {"base64encode", "s-"},
                                                                                {"base64decode", "s-"},
                                                                                {"fromMillis", "n-s?s?"},
                                                                                {"toMillis", "s-s?"},
                                                                                {"now", "s?s?"},
                                                                                {"millis", ""},
                                                                                {"eval", "sx?"}};
    auto it = kSignatures.find(f);
    return it == kSignatures.end() ? nullptr : &it->second;
  }

  // The arguments checked against the function's signature: T0410 for too many or a wrong type, T0412 for
  // an array member of the wrong type. Undefined arguments pass (the functions answer undefined).
  Status CheckSignature(const std::string& f, const std::vector<Value>& a) const {
    const std::string* sig = Signature(f);
    if (sig == nullptr) return Status::Ok();
    struct Param {
      std::string types;
      char member = 0;
      bool variadic = false;
    };
    std::vector<Param> params;
    for (std::size_t i = 0; i < sig->size();) {
      Param p;
      if ((*sig)[i] == '(') {
        const std::size_t close = sig->find(')', i);
        p.types = sig->substr(i + 1, close - i - 1);
        i = close + 1;
      } else {
        p.types = std::string(1, (*sig)[i++]);
      }
      if (i < sig->size() && (*sig)[i] == '<') {
        p.member = (*sig)[i + 1];
        i = sig->find('>', i) + 1;
      }
      while (i < sig->size() && ((*sig)[i] == '?' || (*sig)[i] == '+' || (*sig)[i] == '-')) {
        if ((*sig)[i] == '+') p.variadic = true;
        ++i;
      }
      params.push_back(std::move(p));
    }
    auto symbol = [this](const json::value& v) {
      if (v.is_object() && (FunctionOf(Value(v)) != nullptr || Marked(v, kRegexMarker))) return 'f';
      return v.is_string()   ? 's'
             : v.is_number() ? 'n'
             : v.is_bool()   ? 'b'
             : v.is_null()   ? 'l'
             : v.is_array()  ? 'a'
                             : 'o';
    };
    auto mismatch = [&](std::size_t i) {
      return Fail("T0410: Argument " + std::to_string(i + 1) + " of function $" + f +
                  " does not match function signature");
    };
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (i >= params.size() && (params.empty() || !params.back().variadic)) {
        if (!a[i]) continue;
        return mismatch(i);
      }
      const Param& p = params[std::min(i, params.size() - 1)];
      if (!a[i]) continue;
      const char sym = symbol(*a[i]);
      const bool ok = p.types.find('x') != std::string::npos || (p.types == "j" && sym != 'f') ||
                      p.types.find(sym) != std::string::npos ||
                      (p.types.find('a') != std::string::npos && sym != 'f');  // a value is an array of one
      if (!ok) return mismatch(i);
      if (p.member != 0 && p.types == "a") {
        const json::array members = a[i]->is_array() ? a[i]->as_array() : json::array{*a[i]};
        for (const auto& m : members) {
          if (symbol(m) != p.member)
            return Fail("T0412: Argument " + std::to_string(i + 1) + " of function $" + f +
                        " must be an array of " +
                        (p.member == 'n'   ? "numbers"
                         : p.member == 's' ? "strings"
                                           : "objects"));
        }
      }
    }
    return Status::Ok();
  }

  Result<Value> CallBuiltin(const std::string& f, std::vector<Value> a, const Value& ctx) {
    // $sift and $each over the context when given only the function.
    if ((f == "sift" || f == "each") && a.size() == 1 && FunctionOf(a[0]) != nullptr)
      a.insert(a.begin(), ctx);
    CENOTE_RETURN_IF_ERROR(CheckSignature(f, a));
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
    if (f == "single" && !arg(1)) {  // $single(array): its one value
      const json::array items = Seq(arg(0));
      if (items.size() != 1)
        return Fail("D3138/D3139: $single: expected exactly one value, found " +
                    std::to_string(items.size()));
      return Value(items[0]);
    }
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
      if (fn.lambda != nullptr && Arity(fn) < 2)
        return Fail("D3050: $reduce: the function must take at least two arguments");
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
    if (f == "eval") {
      // $eval(expr [, context]): the text parsed and evaluated here, with the caller's variables in scope.
      if (!arg(0)) return Value();
      if (!arg(0)->is_string()) return Fail("$eval: the first argument must be a string");
      Parser parser(arg(0)->get_string());
      auto root = parser.Run();
      if (!root) return Fail("$eval: " + root.error().message);
      uses_parent_ = uses_parent_ || parser.UsesParent();
      eval_trees_.push_back(std::move(*root));  // closures it creates point into it
      // The evaluated text's root input ($$) is its context.
      Value input = a.size() > 1 ? arg(1) : ctx;
      Value saved_root = std::exchange(root_, input);
      const bool saved_at_root = std::exchange(at_root_, true);
      auto r = Eval(*eval_trees_.back(), input);
      root_ = std::move(saved_root);
      at_root_ = saved_at_root;
      return r;
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
          CENOTE_ASSIGN_OR_RETURN(std::size_t limit, SplitLimit(arg(2)));
          matches.resize(std::min(matches.size(), limit));
          return Value(json::value(std::move(matches)));
        }
        return Value(json::value(replaced + text.substr(last)));
      } catch (const std::regex_error&) {
        return Fail("$" + f + ": the regular expression could not be evaluated");
      }
    }
    // ---- more strings, numbers, dates
    if (f == "pad") {
      // To |width| characters (code points), padded on the right (or the left when negative) with `fill`.
      if (!arg(0)) return Value();
      const std::string s = str(0);
      CENOTE_ASSIGN_OR_RETURN(double width_d, num(1));
      std::string fill = arg(2) ? str(2) : " ";
      if (fill.empty()) fill = " ";
      const double missing = std::trunc(std::fabs(width_d)) - static_cast<double>(CodePoints(s).size());
      if (!(missing > 0)) return Value(json::value(s));
      if (missing > 1e6) return Fail("$pad: the width is too large");
      std::string padding;
      const std::size_t fill_cps = CodePoints(fill).size();
      for (double have = 0; have < missing; have += static_cast<double>(fill_cps)) padding += fill;
      padding = Slice(CodePoints(padding), 0, missing);
      return Value(json::value(width_d < 0 ? padding + s : s + padding));
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
      if (arg(1)) {
        auto ms = ParseDateTime(str(0), str(1), UnixNowMs());
        if (!ms) return ms.error();
        return *ms ? Value(json::value(**ms)) : Value();
      }
      auto ms = ParseTimestamp(str(0));
      if (!ms) ms = IsoMillis(str(0));
      if (!ms) return Fail("D3110: $toMillis: '" + str(0) + "' is not an ISO 8601 timestamp");
      return Value(json::value(*ms));
    }
    if (f == "fromMillis" || f == "now") {
      // $fromMillis(ms [, picture [, timezone]]); $now([picture [, timezone]]).
      const std::size_t p = f == "now" ? 0 : 1;
      std::int64_t ms = UnixNowMs();
      if (f == "fromMillis") {
        if (!arg(0)) return Value();
        CENOTE_ASSIGN_OR_RETURN(double d, num(0));
        if (!(std::fabs(d) <= 8.64e15)) return Fail("$fromMillis: the timestamp is out of range");
        ms = static_cast<std::int64_t>(d);
      }
      if (!arg(p) && !arg(p + 1)) return Value(json::value(FormatTimestamp(ms)));
      auto text = FormatDateTime(ms, arg(p) ? str(p) : "", arg(p + 1) ? str(p + 1) : "");
      if (!text) return text.error();
      return Value(json::value(*text));
    }
    if (f == "formatInteger" || f == "formatNumber") {
      if (!arg(0)) return Value();
      CENOTE_ASSIGN_OR_RETURN(double x, num(0));
      if (!arg(1) || !arg(1)->is_string()) return Fail("$" + f + ": the picture must be a string");
      const json::object* options = arg(2) && arg(2)->is_object() ? &arg(2)->as_object() : nullptr;
      auto text = f == "formatInteger" ? FormatInteger(x, str(1)) : FormatNumber(x, str(1), options);
      if (!text) return text.error();
      return Value(json::value(*text));
    }
    if (f == "parseInteger") {
      if (!arg(0)) return Value();
      auto v = ParseInteger(str(0), str(1));
      if (!v) return v.error();
      return Value(Number(*v));
    }
    if (f == "base64encode") return arg(0) ? Value(json::value(Base64Encode(str(0)))) : Value();
    if (f == "base64decode") {
      if (!arg(0)) return Value();
      auto d = Base64Decode(str(0));
      if (!d) return Fail("$base64decode: the argument is not Base64");
      return Value(json::value(*d));
    }
    if (f == "encodeUrlComponent" || f == "encodeUrl") {
      // As JavaScript's encodeURIComponent / encodeURI: UTF-8 bytes as %XX except the characters each keeps.
      if (!arg(0)) return Value();
      const std::string keep = f == "encodeUrl" ? "-_.!~*'();/?:@&=+$,#" : "-_.!~*'()";
      std::string out;
      for (const char ch : str(0)) {
        const auto b = static_cast<unsigned char>(ch);
        if (IsAsciiAlnum(ch) || (b < 0x80 && keep.find(ch) != std::string::npos)) {
          out += ch;
        } else {
          out += '%';
          out += "0123456789ABCDEF"[b >> 4];
          out += "0123456789ABCDEF"[b & 0xF];
        }
      }
      return Value(json::value(out));
    }
    if (f == "decodeUrlComponent" || f == "decodeUrl")
      return arg(0) ? Value(json::value(UriDecode(str(0)))) : Value();
    if (f == "string") {
      if (!arg(0)) return Value();
      // $string(value, true): JSON indented by two spaces.
      if (arg(1) && Truthy(arg(1)) && !arg(0)->is_string()) return Value(json::value(JsText(*arg(0), 2)));
      return Value(json::value(AsString(*arg(0))));
    }
    if (f == "number") {
      if (!arg(0)) return Value();
      if (arg(0)->is_number()) return arg(0);
      if (arg(0)->is_bool()) return Value(json::value(arg(0)->get_bool() ? 1 : 0));
      if (!arg(0)->is_string()) return Fail("T0410: $number: cannot convert " + str(0) + " to a number");
      // Decimal text (leading zeros allowed), or 0x / 0o / 0b integers, as JSONata reads them.
      const std::string t = str(0);
      static const std::regex kDecimal("-?[0-9]+(\\.[0-9]+)?([Ee][-+]?[0-9]+)?");
      static const std::regex kRadix("0([xX][0-9A-Fa-f]+|[oO][0-7]+|[bB][01]+)");
      if (t.size() <= 400 && std::regex_match(t, kDecimal)) {
        const double d = std::strtod(t.c_str(), nullptr);
        if (!std::isfinite(d)) return Fail("D3030: $number: " + t + " is out of range");
        return Value(Number(d));
      }
      if (t.size() <= 70 && std::regex_match(t, kRadix)) {
        const int radix = (t[1] | 0x20) == 'x' ? 16 : (t[1] | 0x20) == 'o' ? 8 : 2;
        double d = 0;
        for (std::size_t k = 2; k < t.size(); ++k) {
          const char h = static_cast<char>(t[k] | 0x20);
          d = d * radix + (IsAsciiDigit(h) ? h - '0' : h - 'a' + 10);
        }
        return Value(Number(d));
      }
      return Fail("D3030: $number: cannot convert " + t + " to a number");
    }
    if (f == "boolean") {
      if (!arg(0)) return Value();
      if (FunctionOf(arg(0)) != nullptr) return Value(json::value(false));  // functions are false
      return Value(json::value(Truthy(arg(0))));
    }
    if (f == "not") return arg(0) ? Value(json::value(!Truthy(arg(0)))) : Value();
    if (f == "exists") return Value(json::value(arg(0).has_value()));
    if (f == "count") return Value(json::value(static_cast<std::int64_t>(Seq(arg(0)).size())));
    if (f == "sum" || f == "max" || f == "min" || f == "average") {
      if (!arg(0)) return Value();
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
    if (f == "length") {
      // Characters: Unicode code points.
      return arg(0) ? Value(json::value(static_cast<std::int64_t>(CodePoints(str(0)).size()))) : Value();
    }
    if (f == "substring") {
      // $substring(s, start [, length]) over code points; a negative start counts from the end.
      if (!arg(0)) return Value();
      const std::string s = str(0);
      const std::vector<std::string_view> cps = CodePoints(s);
      const double size = static_cast<double>(cps.size());
      CENOTE_ASSIGN_OR_RETURN(double start, num(1));
      if (size + start < 0) start = 0;
      if (!arg(2)) return Value(json::value(Slice(cps, start, size)));
      CENOTE_ASSIGN_OR_RETURN(double length, num(2));
      if (length <= 0) return Value(json::value(""));
      const double end = start >= 0 ? start + length : size + start + length;
      return Value(json::value(Slice(cps, start, end)));
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
    if (f == "contains") {
      if (!arg(0) || !arg(1)) return Value();
      return Value(json::value(str(0).find(str(1)) != std::string::npos));
    }
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
      CENOTE_ASSIGN_OR_RETURN(std::size_t limit, SplitLimit(arg(2)));
      out.resize(std::min(out.size(), limit));
      return Value(json::value(std::move(out)));
    }
    if (f == "join") {
      if (!arg(0)) return Value();
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
      if (from.empty()) return Fail("D3010: $replace: the pattern must not be empty");
      double limit = HUGE_VAL;  // the most replacements
      if (arg(3)) {
        CENOTE_ASSIGN_OR_RETURN(limit, num(3));
        if (limit < 0) return Fail("D3011: $replace: the limit must be a non-negative number");
      }
      double done = 0;
      for (std::size_t at = s.find(from); at != std::string::npos && done < limit;
           at = s.find(from, at + to.size()), ++done) {
        s.replace(at, from.size(), to);
      }
      return Value(json::value(s));
    }
    if (f == "keys") {
      json::array out;
      for (const auto& e : Seq(arg(0))) {
        if (!e.is_object() || Marked(e, kFunctionMarker) || Marked(e, kRegexMarker)) continue;
        for (const auto& [k, v] : e.as_object()) {
          if (k == kIdMarker) continue;
          if (std::find(out.begin(), out.end(), json::value(k)) == out.end()) out.push_back(json::value(k));
        }
      }
      return Collapse(std::move(out));
    }
    if (f == "lookup") return arg(0) ? Field(*arg(0), str(1)) : Value();
    if (f == "merge") {
      if (!arg(0)) return Value();
      json::object out;
      for (const auto& e : Seq(arg(0))) {
        if (!e.is_object()) continue;
        for (const auto& [k, v] : e.as_object()) out[k] = v;
      }
      return Value(json::value(std::move(out)));
    }
    if (f == "append") {
      if (!arg(1)) return arg(0);
      if (!arg(0)) return arg(1);
      json::array out = Seq(arg(0));
      for (auto& e : Seq(arg(1))) out.push_back(std::move(e));
      return Value(json::value(std::move(out)));
    }
    if (f == "reverse") {
      if (!arg(0)) return Value();
      json::array s = Seq(arg(0));
      std::reverse(s.begin(), s.end());
      return Value(json::value(std::move(s)));
    }
    if (f == "shuffle") {
      // A uniformly random permutation (Fisher-Yates), as JSONata's $shuffle.
      if (!arg(0)) return Value();
      json::array s = Seq(arg(0));
      for (std::size_t i = s.size(); i > 1; --i) {
        std::uint64_t r = 0;
        FillRandom(&r, sizeof(r));
        std::swap(s[i - 1], s[static_cast<std::size_t>(r % i)]);
      }
      return Value(json::value(std::move(s)));
    }
    if (f == "sort") {
      if (!arg(0)) return Value();
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
      if (!arg(0) || !arg(0)->is_array()) return arg(0);  // a single value is its own distinct values
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
      if (f == "sqrt") {
        if (x < 0) return Fail("D3060: $sqrt: the argument must not be negative");
        return Value(Number(std::sqrt(x)));
      }
      // JSONata rounds half to even, moving the decimal point in the number's text (4.525 is 452.5
      // hundredths, whatever its binary value).
      int places = 0;
      if (arg(1)) {
        CENOTE_ASSIGN_OR_RETURN(double p, num(1));
        if (std::fabs(p) > 400) return Fail("$round: the precision is out of range");
        places = static_cast<int>(std::trunc(p));
      }
      auto shifted = [](double v, int by) {
        char buf[64];
        auto res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
        const std::string text(buf, res.ptr);  // shortest digits: d.ddde+xx
        const std::size_t e = text.find('e');
        const std::string moved =
            text.substr(0, e) + "e" + std::to_string(std::stoi(text.substr(e + 1)) + by);
        return std::strtod(moved.c_str(), nullptr);
      };
      const double v = places ? shifted(x, places) : x;
      double r = std::floor(v + 0.5);
      if (std::fabs(r - v) == 0.5 && std::fmod(std::fabs(r), 2) == 1) r -= 1;
      if (places) r = shifted(r, -places);
      return Value(Number(r == 0 ? 0 : r));
    }
    if (f == "power") {
      if (!arg(0)) return Value();
      CENOTE_ASSIGN_OR_RETURN(double x, num(0));
      CENOTE_ASSIGN_OR_RETURN(double y, num(1));
      const double r = std::pow(x, y);
      if (!std::isfinite(r)) return Fail("D3061: $power: the result is out of range");
      return Value(Number(r));
    }
    if (f == "type") {
      if (!arg(0)) return Value();
      if (FunctionOf(arg(0)) != nullptr) return Value(json::value("function"));
      const json::value& v = *arg(0);
      return Value(json::value(v.is_null()     ? "null"
                               : v.is_number() ? "number"
                               : v.is_string() ? "string"
                               : v.is_bool()   ? "boolean"
                               : v.is_array()  ? "array"
                                               : "object"));
    }
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
  Value root_;  // the input ($$)
  // Whether the context is the input itself: an array input is one item (JSONata's outer wrapper), so a
  // path over it reads the array as a whole, where a path over an inner array maps its items.
  bool at_root_ = true;
  std::shared_ptr<Scope> scope_;             // the innermost scope (blocks and lambda calls push one)
  std::shared_ptr<const Ancestor> parents_;  // the current item's ancestors (innermost first), for `%`
  bool uses_parent_ = false;                 // whether the expression has a `%` (ancestry costs copies)
  std::vector<Function> functions_;
  std::deque<std::regex> regexes_;   // stable addresses
  std::vector<NodePtr> eval_trees_;  // expressions $eval parsed (functions they define point into them)
  int depth_ = 0;
};

}  // namespace

std::optional<std::string_view> JsonataExpression(std::string_view text) {
  std::string_view t = TrimAsciiSpace(text);
  if (t.size() < 4 || !t.starts_with("{%") || !t.ends_with("%}")) return std::nullopt;
  return TrimAsciiSpace(t.substr(2, t.size() - 4));
}

Result<std::optional<json::value>> EvaluateJsonata(std::string_view expression, const json::object& variables,
                                                   const std::optional<json::value>& input) {
  Parser parser(expression);
  CENOTE_ASSIGN_OR_RETURN(NodePtr root, parser.Run());
  Evaluator e(variables, parser.UsesParent(), input);
  return e.Eval(*root, input);
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
