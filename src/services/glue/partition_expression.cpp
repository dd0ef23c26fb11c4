#include "services/glue/partition_expression.hpp"
#include "common/strings.hpp"

#include <cctype>
#include <cstdlib>
#include <optional>
#include <utility>

#include "services/glue/errors.hpp"

namespace cenote::glue {
namespace {

// Bounds recursion on hostile input ("((((((..." or "NOT NOT NOT ..."); Glue caps Expression at
// 2048 characters, so this only refuses absurd nesting.
constexpr int kMaxDepth = 200;

enum class TokenKind { kIdent, kQuotedIdent, kString, kNumber, kOp, kLParen, kRParen, kComma, kEnd };

struct Token {
  TokenKind kind;
  std::string text;  // identifier / unescaped string / number / operator
};

Result<std::vector<Token>> Tokenize(std::string_view in) {
  std::vector<Token> out;
  std::size_t i = 0;
  auto bad = [&](const std::string& why) {
    return InvalidInput("Invalid partition expression: " + why + " at position " + std::to_string(i) + ".");
  };
  while (i < in.size()) {
    const char c = in[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '(') {
      out.push_back({TokenKind::kLParen, "("});
      ++i;
    } else if (c == ')') {
      out.push_back({TokenKind::kRParen, ")"});
      ++i;
    } else if (c == ',') {
      out.push_back({TokenKind::kComma, ","});
      ++i;
    } else if (c == '\'') {
      std::string s;
      ++i;
      bool closed = false;
      while (i < in.size()) {
        if (in[i] == '\'') {
          if (i + 1 < in.size() && in[i + 1] == '\'') {
            s += '\'';
            i += 2;
            continue;
          }
          ++i;
          closed = true;
          break;
        }
        s += in[i++];
      }
      if (!closed) return bad("unterminated string literal");
      out.push_back({TokenKind::kString, std::move(s)});
    } else if (c == '"' || c == '`') {
      const char quote = c;
      std::string s;
      ++i;
      bool closed = false;
      while (i < in.size()) {
        if (in[i] == quote) {
          ++i;
          closed = true;
          break;
        }
        s += in[i++];
      }
      if (!closed) return bad("unterminated quoted identifier");
      if (s.empty()) return bad("empty quoted identifier");
      out.push_back({TokenKind::kQuotedIdent, std::move(s)});
    } else if (std::isdigit(static_cast<unsigned char>(c)) || c == '.' ||
               ((c == '-' || c == '+') && i + 1 < in.size() &&
                (std::isdigit(static_cast<unsigned char>(in[i + 1])) || in[i + 1] == '.'))) {
      std::size_t start = i;
      ++i;
      bool dot = (c == '.');
      bool digits = std::isdigit(static_cast<unsigned char>(c)) != 0;
      while (i < in.size()) {
        const char d = in[i];
        if (std::isdigit(static_cast<unsigned char>(d))) {
          digits = true;
          ++i;
        } else if (d == '.' && !dot) {
          dot = true;
          ++i;
        } else {
          break;
        }
      }
      if (!digits) return bad("malformed number");
      if (i < in.size() && (std::isalpha(static_cast<unsigned char>(in[i])) || in[i] == '_')) {
        return bad("malformed number");
      }
      out.push_back({TokenKind::kNumber, std::string(in.substr(start, i - start))});
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_' ||
               static_cast<unsigned char>(c) >= 0x80) {
      std::size_t start = i;
      while (i < in.size() && (std::isalnum(static_cast<unsigned char>(in[i])) || in[i] == '_' ||
                               static_cast<unsigned char>(in[i]) >= 0x80)) {
        ++i;
      }
      out.push_back({TokenKind::kIdent, std::string(in.substr(start, i - start))});
    } else if (c == '=') {
      out.push_back({TokenKind::kOp, "="});
      ++i;
    } else if (c == '!' && i + 1 < in.size() && in[i + 1] == '=') {
      out.push_back({TokenKind::kOp, "<>"});
      i += 2;
    } else if (c == '<' || c == '>') {
      // "< >" with a space is how the Glue documentation prints <>; accept it.
      std::size_t j = i + 1;
      if (c == '<') {
        while (j < in.size() && in[j] == ' ') ++j;
        if (j < in.size() && in[j] == '>') {
          out.push_back({TokenKind::kOp, "<>"});
          i = j + 1;
          continue;
        }
      }
      if (i + 1 < in.size() && in[i + 1] == '=') {
        out.push_back({TokenKind::kOp, std::string(1, c) + "="});
        i += 2;
      } else {
        out.push_back({TokenKind::kOp, std::string(1, c)});
        ++i;
      }
    } else {
      return bad(std::string("unexpected character '") + c + "'");
    }
  }
  out.push_back({TokenKind::kEnd, ""});
  return out;
}

enum class ValueType { kNumeric, kString };

std::optional<ValueType> KeyValueType(const std::string& type) {
  std::string t = AsciiLower(type);
  if (auto p = t.find('('); p != std::string::npos) t = t.substr(0, p);
  while (!t.empty() && t.back() == ' ') t.pop_back();
  if (t == "tinyint" || t == "smallint" || t == "int" || t == "integer" || t == "bigint" || t == "long" ||
      t == "decimal") {
    return ValueType::kNumeric;
  }
  if (t == "string" || t == "char" || t == "varchar" || t == "date" || t == "timestamp") {
    return ValueType::kString;
  }
  return std::nullopt;
}

std::optional<long double> ParseNumber(const std::string& s) {
  std::size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  if (b == e) return std::nullopt;
  std::string t = s.substr(b, e - b);
  // strtold also takes "inf", "nan" and hex; partition values are decimal numbers only.
  for (char c : t) {
    if (!std::isdigit(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '+') return std::nullopt;
  }
  char* end = nullptr;
  long double v = std::strtold(t.c_str(), &end);
  if (end != t.c_str() + t.size()) return std::nullopt;
  return v;
}

// SQL LIKE: % any run, _ one character (bytes; partition values are compared byte-wise as Glue does
// for ASCII). Iterative with one backtrack point: O(n*m) worst case, no recursion.
bool Like(const std::string& s, const std::string& p) {
  std::size_t si = 0, pi = 0, star_p = std::string::npos, star_s = 0;
  while (si < s.size()) {
    if (pi < p.size() && (p[pi] == '_' || p[pi] == s[si]) && p[pi] != '%') {
      ++si;
      ++pi;
    } else if (pi < p.size() && p[pi] == '%') {
      star_p = pi++;
      star_s = si;
    } else if (star_p != std::string::npos) {
      pi = star_p + 1;
      si = ++star_s;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '%') ++pi;
  return pi == p.size();
}

}  // namespace

struct Operand {
  int column = -1;  // index into values, or -1 for a literal
  ValueType column_type = ValueType::kString;
  std::string literal;
};

struct PartitionExpression::Node {
  enum class Kind { kAnd, kOr, kNot, kCompare, kBetween, kIn, kLike, kIsNull };
  Kind kind;
  std::string op;  // kCompare
  bool negated = false;
  std::vector<std::shared_ptr<const Node>> children;  // kAnd, kOr, kNot
  std::vector<Operand> operands;                      // the tested operand first
};

namespace {

using Node = PartitionExpression::Node;
using NodePtr = std::shared_ptr<const Node>;

class Parser {
 public:
  Parser(std::vector<Token> tokens, const std::vector<PartitionKey>& keys)
      : tokens_(std::move(tokens)), keys_(keys) {}

  Result<NodePtr> ParseAll() {
    auto n = ParseOr(0);
    if (!n) return n;
    if (Peek().kind != TokenKind::kEnd) return Bad("unexpected '" + Peek().text + "'");
    return n;
  }

 private:
  const Token& Peek() const { return tokens_[pos_]; }
  bool IsKeyword(const char* kw) const {
    return Peek().kind == TokenKind::kIdent && AsciiLower(Peek().text) == kw;
  }
  bool AcceptKeyword(const char* kw) {
    if (!IsKeyword(kw)) return false;
    ++pos_;
    return true;
  }
  static bool IsReserved(const std::string& word) {
    const std::string w = AsciiLower(word);
    return w == "and" || w == "or" || w == "not" || w == "between" || w == "in" || w == "like" || w == "is" ||
           w == "null";
  }
  Error Bad(const std::string& why) const {
    return InvalidInput("Invalid partition expression: " + why + ".");
  }

  Result<NodePtr> ParseOr(int depth) {
    if (depth > kMaxDepth) return Bad("expression is nested too deeply");
    auto left = ParseAnd(depth + 1);
    if (!left) return left;
    NodePtr acc = std::move(left).value();
    while (AcceptKeyword("or")) {
      auto right = ParseAnd(depth + 1);
      if (!right) return right;
      auto n = std::make_shared<Node>();
      n->kind = Node::Kind::kOr;
      n->children = {acc, std::move(right).value()};
      acc = std::move(n);
    }
    return acc;
  }

  Result<NodePtr> ParseAnd(int depth) {
    auto left = ParseNot(depth + 1);
    if (!left) return left;
    NodePtr acc = std::move(left).value();
    while (AcceptKeyword("and")) {
      auto right = ParseNot(depth + 1);
      if (!right) return right;
      auto n = std::make_shared<Node>();
      n->kind = Node::Kind::kAnd;
      n->children = {acc, std::move(right).value()};
      acc = std::move(n);
    }
    return acc;
  }

  Result<NodePtr> ParseNot(int depth) {
    if (depth > kMaxDepth) return Bad("expression is nested too deeply");
    if (AcceptKeyword("not")) {
      auto inner = ParseNot(depth + 1);
      if (!inner) return inner;
      auto n = std::make_shared<Node>();
      n->kind = Node::Kind::kNot;
      n->children = {std::move(inner).value()};
      return NodePtr(std::move(n));
    }
    return ParsePrimary(depth + 1);
  }

  Result<NodePtr> ParsePrimary(int depth) {
    if (Peek().kind == TokenKind::kLParen) {
      ++pos_;
      auto inner = ParseOr(depth + 1);
      if (!inner) return inner;
      if (Peek().kind != TokenKind::kRParen) return Bad("missing ')'");
      ++pos_;
      return inner;
    }
    CENOTE_ASSIGN_OR_RETURN(auto lhs, ParseOperand());
    auto n = std::make_shared<Node>();
    n->operands.push_back(std::move(lhs));
    if (AcceptKeyword("is")) {
      n->kind = Node::Kind::kIsNull;
      n->negated = AcceptKeyword("not");
      if (!AcceptKeyword("null")) return Bad("expected NULL after IS");
      return NodePtr(std::move(n));
    }
    n->negated = AcceptKeyword("not");
    if (AcceptKeyword("between")) {
      n->kind = Node::Kind::kBetween;
      CENOTE_ASSIGN_OR_RETURN(auto lo, ParseOperand());
      if (!AcceptKeyword("and")) return Bad("expected AND in BETWEEN");
      CENOTE_ASSIGN_OR_RETURN(auto hi, ParseOperand());
      n->operands.push_back(std::move(lo));
      n->operands.push_back(std::move(hi));
      return NodePtr(std::move(n));
    }
    if (AcceptKeyword("in")) {
      n->kind = Node::Kind::kIn;
      if (Peek().kind != TokenKind::kLParen) return Bad("expected '(' after IN");
      ++pos_;
      while (true) {
        CENOTE_ASSIGN_OR_RETURN(auto item, ParseOperand());
        n->operands.push_back(std::move(item));
        if (Peek().kind == TokenKind::kComma) {
          ++pos_;
          continue;
        }
        if (Peek().kind == TokenKind::kRParen) {
          ++pos_;
          break;
        }
        return Bad("expected ',' or ')' in IN list");
      }
      return NodePtr(std::move(n));
    }
    if (AcceptKeyword("like")) {
      n->kind = Node::Kind::kLike;
      CENOTE_ASSIGN_OR_RETURN(auto pattern, ParseOperand());
      n->operands.push_back(std::move(pattern));
      return NodePtr(std::move(n));
    }
    if (n->negated) return Bad("expected BETWEEN, IN or LIKE after NOT");
    if (Peek().kind != TokenKind::kOp) {
      return Bad(Peek().kind == TokenKind::kEnd ? "incomplete condition"
                                                : "expected an operator before '" + Peek().text + "'");
    }
    n->kind = Node::Kind::kCompare;
    n->op = Peek().text;
    ++pos_;
    CENOTE_ASSIGN_OR_RETURN(auto rhs, ParseOperand());
    n->operands.push_back(std::move(rhs));
    return NodePtr(std::move(n));
  }

  Result<Operand> ParseOperand() {
    const Token& t = Peek();
    Operand o;
    switch (t.kind) {
      case TokenKind::kString:
      case TokenKind::kNumber:
        o.literal = t.text;
        ++pos_;
        return o;
      case TokenKind::kIdent:
        if (IsReserved(t.text)) return Bad("unexpected keyword " + t.text);
        [[fallthrough]];
      case TokenKind::kQuotedIdent: {
        const std::string name = AsciiLower(t.text);
        for (std::size_t k = 0; k < keys_.size(); ++k) {
          if (AsciiLower(keys_[k].name) == name) {
            auto type = KeyValueType(keys_[k].type);
            if (!type) {
              return InvalidInput("Unsupported partition key type " + keys_[k].type + " for key " +
                                  keys_[k].name +
                                  " in the expression; supported types are string, char, varchar, date, "
                                  "timestamp, tinyint, smallint, int, bigint, long and decimal.");
            }
            o.column = static_cast<int>(k);
            o.column_type = *type;
            ++pos_;
            return o;
          }
        }
        return InvalidInput("Unknown partition key " + t.text + " in the expression.");
      }
      case TokenKind::kEnd:
        return Bad("incomplete condition");
      default:
        return Bad("unexpected '" + t.text + "'");
    }
  }

  std::vector<Token> tokens_;
  const std::vector<PartitionKey>& keys_;
  std::size_t pos_ = 0;
};

const std::string& Text(const Operand& o, const std::vector<std::string>& values) {
  static const std::string kEmpty;
  if (o.column < 0) return o.literal;
  return static_cast<std::size_t>(o.column) < values.size() ? values[o.column] : kEmpty;
}

// -1, 0, 1; nullopt when the operands cannot be compared (a non-numeric value for a numeric key).
std::optional<int> Compare(const Operand& a, const Operand& b, const std::vector<std::string>& values) {
  const bool numeric = (a.column >= 0 && a.column_type == ValueType::kNumeric) ||
                       (b.column >= 0 && b.column_type == ValueType::kNumeric);
  const std::string& x = Text(a, values);
  const std::string& y = Text(b, values);
  if (numeric) {
    auto nx = ParseNumber(x);
    auto ny = ParseNumber(y);
    if (!nx || !ny) return std::nullopt;
    return *nx < *ny ? -1 : (*nx > *ny ? 1 : 0);
  }
  int c = x.compare(y);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

bool Eval(const Node& n, const std::vector<std::string>& values) {
  switch (n.kind) {
    case Node::Kind::kAnd:
      return Eval(*n.children[0], values) && Eval(*n.children[1], values);
    case Node::Kind::kOr:
      return Eval(*n.children[0], values) || Eval(*n.children[1], values);
    case Node::Kind::kNot:
      return !Eval(*n.children[0], values);
    case Node::Kind::kCompare: {
      auto c = Compare(n.operands[0], n.operands[1], values);
      if (!c) return false;
      if (n.op == "=") return *c == 0;
      if (n.op == "<>") return *c != 0;
      if (n.op == "<") return *c < 0;
      if (n.op == "<=") return *c <= 0;
      if (n.op == ">") return *c > 0;
      return *c >= 0;  // ">="
    }
    case Node::Kind::kBetween: {
      auto lo = Compare(n.operands[0], n.operands[1], values);
      auto hi = Compare(n.operands[0], n.operands[2], values);
      if (!lo || !hi) return false;
      return (*lo >= 0 && *hi <= 0) != n.negated;
    }
    case Node::Kind::kIn: {
      bool found = false;
      for (std::size_t i = 1; i < n.operands.size() && !found; ++i) {
        auto c = Compare(n.operands[0], n.operands[i], values);
        found = c && *c == 0;
      }
      return found != n.negated;
    }
    case Node::Kind::kLike:
      return Like(Text(n.operands[0], values), Text(n.operands[1], values)) != n.negated;
    case Node::Kind::kIsNull: {
      const bool is_null =
          n.operands[0].column >= 0 && Text(n.operands[0], values) == "__HIVE_DEFAULT_PARTITION__";
      return is_null != n.negated;
    }
  }
  return false;
}

}  // namespace

Result<PartitionExpression> PartitionExpression::Parse(std::string_view text,
                                                       const std::vector<PartitionKey>& keys) {
  CENOTE_ASSIGN_OR_RETURN(auto tokens, Tokenize(text));
  PartitionExpression expr;
  if (tokens.size() == 1) return expr;  // blank: everything
  Parser parser(std::move(tokens), keys);
  CENOTE_ASSIGN_OR_RETURN(auto root, parser.ParseAll());
  expr.root_ = std::move(root);
  return expr;
}

bool PartitionExpression::Matches(const std::vector<std::string>& values) const {
  return root_ == nullptr || Eval(*root_, values);
}

}  // namespace cenote::glue
