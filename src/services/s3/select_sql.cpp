// S3 Select's SQL: lexer, recursive-descent parser and translation to DuckDB SQL (select_sql.hpp).
#include "services/s3/select_sql.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <unordered_map>
#include <unordered_set>

#include "services/s3/errors.hpp"

namespace cenote::s3::select {

namespace {

using services::MakeError;

// AWS's limit on the expression (ExpressionTooLong).
constexpr std::size_t kMaxExpressionBytes = 256 * 1024;
// Nesting a recursive parser can take without exhausting the stack of a worker thread.
constexpr int kMaxDepth = 200;

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string LowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Column(std::size_t offset) { return std::to_string(offset + 1); }

// prefix + n (not `"_" + std::to_string(n)`, on which g++ 12 warns falsely with -Wrestrict).
std::string Numbered(std::string_view prefix, std::int64_t n) {
  std::string out(prefix);
  out += std::to_string(n);
  return out;
}

// ---- lexer

struct Token {
  enum class Kind { kIdent, kQuotedIdent, kString, kNumber, kSymbol, kEnd };
  Kind kind = Kind::kEnd;
  std::string text;  // identifiers as written; strings unescaped; symbols as written
  std::size_t offset = 0;
};

Result<std::vector<Token>> Lex(std::string_view in) {
  std::vector<Token> out;
  std::size_t i = 0;
  while (i < in.size()) {
    const char c = in[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    if (c == '-' && i + 1 < in.size() && in[i + 1] == '-') {  // comment to the end of the line
      while (i < in.size() && in[i] != '\n') ++i;
      continue;
    }
    Token t;
    t.offset = i;
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      std::size_t j = i;
      while (j < in.size() && (std::isalnum(static_cast<unsigned char>(in[j])) || in[j] == '_')) ++j;
      t.kind = Token::Kind::kIdent;
      t.text = std::string(in.substr(i, j - i));
      i = j;
    } else if (c == '\'' || c == '"') {
      // 'string' and "identifier", the quote doubled inside.
      std::string value;
      std::size_t j = i + 1;
      bool closed = false;
      while (j < in.size()) {
        if (in[j] == c) {
          if (j + 1 < in.size() && in[j + 1] == c) {
            value += c;
            j += 2;
            continue;
          }
          closed = true;
          ++j;
          break;
        }
        value += in[j++];
      }
      if (!closed) return MakeError(errors::kLexerInvalidChar, {Column(i)});
      t.kind = c == '\'' ? Token::Kind::kString : Token::Kind::kQuotedIdent;
      t.text = std::move(value);
      i = j;
    } else if (std::isdigit(static_cast<unsigned char>(c)) ||
               (c == '.' && i + 1 < in.size() && std::isdigit(static_cast<unsigned char>(in[i + 1])))) {
      std::size_t j = i;
      while (j < in.size() && std::isdigit(static_cast<unsigned char>(in[j]))) ++j;
      if (j < in.size() && in[j] == '.') {
        ++j;
        while (j < in.size() && std::isdigit(static_cast<unsigned char>(in[j]))) ++j;
      }
      if (j < in.size() && (in[j] == 'e' || in[j] == 'E')) {
        std::size_t k = j + 1;
        if (k < in.size() && (in[k] == '+' || in[k] == '-')) ++k;
        if (k < in.size() && std::isdigit(static_cast<unsigned char>(in[k]))) {
          j = k;
          while (j < in.size() && std::isdigit(static_cast<unsigned char>(in[j]))) ++j;
        }
      }
      t.kind = Token::Kind::kNumber;
      t.text = std::string(in.substr(i, j - i));
      i = j;
    } else {
      static const char* const kTwo[] = {"<=", ">=", "<>", "!=", "||"};
      t.kind = Token::Kind::kSymbol;
      for (const char* two : kTwo) {
        if (in.substr(i, 2) == two) t.text = two;
      }
      if (t.text.empty()) {
        if (std::string_view("=<>+-*/%(),.[];").find(c) == std::string_view::npos)
          return MakeError(errors::kLexerInvalidChar, {Column(i)});
        t.text = std::string(1, c);
      }
      i += t.text.size();
    }
    out.push_back(std::move(t));
  }
  Token end;
  end.offset = in.size();
  out.push_back(end);
  return out;
}

// ---- parser

// Words that end an expression or a clause: never read as a bare alias.
bool IsReserved(const std::string& upper) {
  static const std::unordered_set<std::string> kWords = {
      "SELECT", "FROM",   "WHERE",   "LIMIT", "AS",      "AND",      "OR",     "NOT",
      "IS",     "NULL",   "MISSING", "TRUE",  "FALSE",   "BETWEEN",  "IN",     "LIKE",
      "ESCAPE", "CASE",   "WHEN",    "THEN",  "ELSE",    "END",      "CAST",   "GROUP",
      "ORDER",  "BY",     "HAVING",  "JOIN",  "UNION",   "DISTINCT", "ON",     "INNER",
      "LEFT",   "RIGHT",  "FULL",    "OUTER", "CROSS",   "OFFSET",   "EXCEPT", "INTERSECT",
      "ALL",    "VALUES", "WITH",    "FOR",   "LEADING", "TRAILING", "BOTH"};
  return kWords.count(upper) > 0;
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : t_(std::move(tokens)) {}

  Result<Query> ParseQuery() {
    Query q;
    CENOTE_RETURN_IF_ERROR(Expect("SELECT"));
    if (IsKeyword("DISTINCT")) return Unsupported("SELECT DISTINCT");
    if (IsSymbol("*")) {
      Advance();
      q.star = true;
    } else {
      for (;;) {
        SelectItem item;
        CENOTE_ASSIGN_OR_RETURN(item.expr, ParseExpr());
        if (IsKeyword("AS")) {
          Advance();
          CENOTE_ASSIGN_OR_RETURN(item.alias, Identifier());
        } else if (Peek().kind == Token::Kind::kQuotedIdent ||
                   (Peek().kind == Token::Kind::kIdent && !IsReserved(Upper(Peek().text)))) {
          CENOTE_ASSIGN_OR_RETURN(item.alias, Identifier());
        }
        q.items.push_back(std::move(item));
        if (!IsSymbol(",")) break;
        Advance();
      }
    }
    if (!IsKeyword("FROM")) {
      if (Peek().kind == Token::Kind::kEnd) return MakeError(errors::kParseSelectMissingFrom);
      return UnexpectedToken();
    }
    Advance();
    if (Peek().kind != Token::Kind::kIdent || Upper(Peek().text) != "S3OBJECT") {
      if (IsSymbol("(")) return Unsupported("A subquery");
      return MakeError(errors::kInvalidDataSource);
    }
    Advance();
    CENOTE_ASSIGN_OR_RETURN(q.from_path, PathSteps(true));
    if (IsKeyword("AS")) {
      Advance();
      CENOTE_ASSIGN_OR_RETURN(q.alias, Identifier());
    } else if (Peek().kind == Token::Kind::kQuotedIdent ||
               (Peek().kind == Token::Kind::kIdent && !IsReserved(Upper(Peek().text)))) {
      CENOTE_ASSIGN_OR_RETURN(q.alias, Identifier());
    }
    if (IsSymbol(",") || IsKeyword("JOIN") || IsKeyword("INNER") || IsKeyword("LEFT") || IsKeyword("CROSS"))
      return Unsupported("A join");
    if (IsKeyword("WHERE")) {
      Advance();
      CENOTE_ASSIGN_OR_RETURN(Expr where, ParseExpr());
      q.where = std::move(where);
    }
    if (IsKeyword("GROUP")) return Unsupported("GROUP BY");
    if (IsKeyword("ORDER")) return Unsupported("ORDER BY");
    if (IsKeyword("HAVING")) return Unsupported("HAVING");
    if (IsKeyword("UNION") || IsKeyword("EXCEPT") || IsKeyword("INTERSECT"))
      return Unsupported("A set operation");
    if (IsKeyword("LIMIT")) {
      Advance();
      const Token& n = Peek();
      if (n.kind != Token::Kind::kNumber || n.text.find_first_not_of("0123456789") != std::string::npos ||
          n.text.size() > 18)
        return UnexpectedToken();
      q.limit = std::stoll(n.text);
      Advance();
    }
    if (IsKeyword("OFFSET")) return Unsupported("OFFSET");
    if (IsSymbol(";")) Advance();
    if (Peek().kind != Token::Kind::kEnd) return UnexpectedToken();
    return q;
  }

 private:
  const Token& Peek(std::size_t ahead = 0) const { return t_[std::min(pos_ + ahead, t_.size() - 1)]; }
  void Advance() {
    if (pos_ + 1 < t_.size()) ++pos_;
  }
  bool IsKeyword(const char* word, std::size_t ahead = 0) const {
    const Token& t = Peek(ahead);
    return t.kind == Token::Kind::kIdent && Upper(t.text) == word;
  }
  bool IsSymbol(const char* symbol) const {
    return Peek().kind == Token::Kind::kSymbol && Peek().text == symbol;
  }

  Error UnexpectedToken() const {
    const Token& t = Peek();
    std::string what = t.kind == Token::Kind::kEnd ? std::string("EOF") : t.text;
    if (t.kind == Token::Kind::kString) what = "'" + t.text + "'";
    if (t.kind == Token::Kind::kQuotedIdent) what = "\"" + t.text + "\"";
    return MakeError(errors::kParseUnexpectedToken, {what, Column(t.offset)});
  }
  static Error Unsupported(const std::string& what) { return MakeError(errors::kUnsupportedSyntax, {what}); }

  Status Expect(const char* keyword) {
    if (!IsKeyword(keyword)) return UnexpectedToken();
    Advance();
    return Status::Ok();
  }
  Status ExpectSymbol(const char* symbol) {
    if (!IsSymbol(symbol)) return UnexpectedToken();
    Advance();
    return Status::Ok();
  }

  Result<std::string> Identifier() {
    const Token& t = Peek();
    if (t.kind == Token::Kind::kQuotedIdent ||
        (t.kind == Token::Kind::kIdent && !IsReserved(Upper(t.text)))) {
      std::string name = t.text;
      Advance();
      return name;
    }
    return UnexpectedToken();
  }

  // .name, ["name"], [n], [*] steps after a path's head.
  Result<std::vector<PathStep>> PathSteps(bool allow_wildcard) {
    std::vector<PathStep> steps;
    for (;;) {
      if (IsSymbol(".")) {
        Advance();
        const Token& t = Peek();
        PathStep step;
        if (t.kind == Token::Kind::kIdent) {
          step.name = t.text;
        } else if (t.kind == Token::Kind::kQuotedIdent) {
          step.name = t.text;
          step.quoted = true;
        } else if (t.kind == Token::Kind::kSymbol && t.text == "*") {
          return Unsupported("A wildcard path (.*)");
        } else {
          return UnexpectedToken();
        }
        Advance();
        steps.push_back(std::move(step));
      } else if (IsSymbol("[")) {
        Advance();
        const Token& t = Peek();
        PathStep step;
        if (t.kind == Token::Kind::kSymbol && t.text == "*") {
          if (!allow_wildcard) return Unsupported("A wildcard path ([*]) outside FROM");
          step.kind = PathStep::Kind::kWildcard;
        } else if (t.kind == Token::Kind::kNumber &&
                   t.text.find_first_not_of("0123456789") == std::string::npos && t.text.size() <= 9) {
          step.kind = PathStep::Kind::kIndex;
          step.index = std::stoll(t.text);
        } else if (t.kind == Token::Kind::kString || t.kind == Token::Kind::kQuotedIdent) {
          step.name = t.text;
          step.quoted = true;
        } else {
          return UnexpectedToken();
        }
        Advance();
        CENOTE_RETURN_IF_ERROR(ExpectSymbol("]"));
        steps.push_back(std::move(step));
      } else {
        return steps;
      }
    }
  }

  Result<Expr> ParseExpr() {
    if (++depth_ > kMaxDepth) return Unsupported("An expression nested this deeply");
    auto e = ParseOr();
    --depth_;
    return e;
  }

  Result<Expr> ParseOr() {
    CENOTE_ASSIGN_OR_RETURN(Expr left, ParseAnd());
    while (IsKeyword("OR")) {
      Advance();
      CENOTE_ASSIGN_OR_RETURN(Expr right, ParseAnd());
      left = Binary(Expr::Kind::kOr, "", std::move(left), std::move(right));
    }
    return left;
  }

  Result<Expr> ParseAnd() {
    CENOTE_ASSIGN_OR_RETURN(Expr left, ParseNot());
    while (IsKeyword("AND")) {
      Advance();
      CENOTE_ASSIGN_OR_RETURN(Expr right, ParseNot());
      left = Binary(Expr::Kind::kAnd, "", std::move(left), std::move(right));
    }
    return left;
  }

  Result<Expr> ParseNot() {
    if (IsKeyword("NOT")) {
      std::size_t offset = Peek().offset;
      Advance();
      if (++depth_ > kMaxDepth) return Unsupported("An expression nested this deeply");
      CENOTE_ASSIGN_OR_RETURN(Expr inner, ParseNot());
      --depth_;
      Expr e;
      e.kind = Expr::Kind::kNot;
      e.offset = offset;
      e.args.push_back(std::move(inner));
      return e;
    }
    return ParsePredicate();
  }

  static Expr Binary(Expr::Kind kind, std::string op, Expr left, Expr right) {
    Expr e;
    e.kind = kind;
    e.text = std::move(op);
    e.offset = left.offset;
    e.args.push_back(std::move(left));
    e.args.push_back(std::move(right));
    return e;
  }

  Result<Expr> ParsePredicate() {
    CENOTE_ASSIGN_OR_RETURN(Expr left, ParseAdditive());
    for (;;) {
      if (Peek().kind == Token::Kind::kSymbol) {
        std::string op = Peek().text;
        if (op == "=" || op == "!=" || op == "<>" || op == "<" || op == "<=" || op == ">" || op == ">=") {
          Advance();
          CENOTE_ASSIGN_OR_RETURN(Expr right, ParseAdditive());
          left = Binary(Expr::Kind::kCompare, op == "<>" ? "!=" : op, std::move(left), std::move(right));
          continue;
        }
        return left;
      }
      if (IsKeyword("IS")) {
        Advance();
        Expr e;
        e.offset = left.offset;
        if (IsKeyword("NOT")) {
          Advance();
          e.negated = true;
        }
        if (IsKeyword("NULL")) {
          e.kind = Expr::Kind::kIsNull;
        } else if (IsKeyword("MISSING")) {
          e.kind = Expr::Kind::kIsMissing;
        } else {
          return UnexpectedToken();
        }
        Advance();
        e.args.push_back(std::move(left));
        left = std::move(e);
        continue;
      }
      bool negated = false;
      if (IsKeyword("NOT") && (IsKeyword("BETWEEN", 1) || IsKeyword("IN", 1) || IsKeyword("LIKE", 1))) {
        Advance();
        negated = true;
      }
      if (IsKeyword("BETWEEN")) {
        Advance();
        CENOTE_ASSIGN_OR_RETURN(Expr low, ParseAdditive());
        CENOTE_RETURN_IF_ERROR(Expect("AND"));
        CENOTE_ASSIGN_OR_RETURN(Expr high, ParseAdditive());
        Expr e;
        e.kind = Expr::Kind::kBetween;
        e.negated = negated;
        e.offset = left.offset;
        e.args.push_back(std::move(left));
        e.args.push_back(std::move(low));
        e.args.push_back(std::move(high));
        left = std::move(e);
        continue;
      }
      if (IsKeyword("IN")) {
        Advance();
        CENOTE_RETURN_IF_ERROR(ExpectSymbol("("));
        if (IsKeyword("SELECT")) return Unsupported("A subquery");
        Expr e;
        e.kind = Expr::Kind::kIn;
        e.negated = negated;
        e.offset = left.offset;
        e.args.push_back(std::move(left));
        for (;;) {
          CENOTE_ASSIGN_OR_RETURN(Expr item, ParseExpr());
          e.args.push_back(std::move(item));
          if (!IsSymbol(",")) break;
          Advance();
        }
        CENOTE_RETURN_IF_ERROR(ExpectSymbol(")"));
        left = std::move(e);
        continue;
      }
      if (IsKeyword("LIKE")) {
        Advance();
        Expr e;
        e.kind = Expr::Kind::kLike;
        e.negated = negated;
        e.offset = left.offset;
        e.args.push_back(std::move(left));
        CENOTE_ASSIGN_OR_RETURN(Expr pattern, ParseAdditive());
        e.args.push_back(std::move(pattern));
        if (IsKeyword("ESCAPE")) {
          Advance();
          CENOTE_ASSIGN_OR_RETURN(Expr escape, ParseAdditive());
          e.args.push_back(std::move(escape));
        }
        left = std::move(e);
        continue;
      }
      if (negated) return UnexpectedToken();
      return left;
    }
  }

  Result<Expr> ParseAdditive() {
    CENOTE_ASSIGN_OR_RETURN(Expr left, ParseMultiplicative());
    while (IsSymbol("+") || IsSymbol("-") || IsSymbol("||")) {
      std::string op = Peek().text;
      Advance();
      CENOTE_ASSIGN_OR_RETURN(Expr right, ParseMultiplicative());
      left = Binary(Expr::Kind::kArith, op, std::move(left), std::move(right));
    }
    return left;
  }

  Result<Expr> ParseMultiplicative() {
    CENOTE_ASSIGN_OR_RETURN(Expr left, ParseUnary());
    while (IsSymbol("*") || IsSymbol("/") || IsSymbol("%")) {
      std::string op = Peek().text;
      Advance();
      CENOTE_ASSIGN_OR_RETURN(Expr right, ParseUnary());
      left = Binary(Expr::Kind::kArith, op, std::move(left), std::move(right));
    }
    return left;
  }

  Result<Expr> ParseUnary() {
    if (IsSymbol("-") || IsSymbol("+")) {
      bool minus = IsSymbol("-");
      std::size_t offset = Peek().offset;
      Advance();
      if (++depth_ > kMaxDepth) return Unsupported("An expression nested this deeply");
      CENOTE_ASSIGN_OR_RETURN(Expr inner, ParseUnary());
      --depth_;
      if (!minus) return inner;
      Expr e;
      e.kind = Expr::Kind::kNegate;
      e.offset = offset;
      e.args.push_back(std::move(inner));
      return e;
    }
    return ParsePrimary();
  }

  Result<Expr> ParsePrimary() {
    const Token t = Peek();
    Expr e;
    e.offset = t.offset;
    switch (t.kind) {
      case Token::Kind::kEnd:
        return MakeError(errors::kParseExpectedExpression, {Column(t.offset)});
      case Token::Kind::kString:
        Advance();
        e.kind = Expr::Kind::kString;
        e.text = t.text;
        return e;
      case Token::Kind::kNumber:
        Advance();
        e.kind = Expr::Kind::kNumber;
        e.text = t.text;
        return e;
      case Token::Kind::kSymbol:
        if (t.text == "(") {
          Advance();
          if (IsKeyword("SELECT")) return Unsupported("A subquery");
          CENOTE_ASSIGN_OR_RETURN(Expr inner, ParseExpr());
          CENOTE_RETURN_IF_ERROR(ExpectSymbol(")"));
          return inner;
        }
        if (t.text == "*") return Unsupported("* inside an expression");
        return MakeError(errors::kParseExpectedExpression, {Column(t.offset)});
      case Token::Kind::kQuotedIdent:
        return ParsePath();
      case Token::Kind::kIdent:
        break;
    }
    const std::string word = Upper(t.text);
    if (word == "TRUE" || word == "FALSE") {
      Advance();
      e.kind = Expr::Kind::kBool;
      e.text = word == "TRUE" ? "true" : "false";
      return e;
    }
    if (word == "NULL") {
      Advance();
      e.kind = Expr::Kind::kNull;
      return e;
    }
    if (word == "MISSING") {
      Advance();
      e.kind = Expr::Kind::kMissing;
      return e;
    }
    if (word == "CASE") return ParseCase();
    if (word == "SELECT") return Unsupported("A subquery");
    if (IsReserved(word) && word != "CAST") return UnexpectedToken();
    if (Peek(1).kind == Token::Kind::kSymbol && Peek(1).text == "(") return ParseCall();
    return ParsePath();
  }

  Result<Expr> ParsePath() {
    Expr e;
    e.kind = Expr::Kind::kPath;
    e.offset = Peek().offset;
    PathStep head;
    head.name = Peek().text;
    head.quoted = Peek().kind == Token::Kind::kQuotedIdent;
    Advance();
    e.path.push_back(std::move(head));
    CENOTE_ASSIGN_OR_RETURN(std::vector<PathStep> rest, PathSteps(false));
    for (auto& step : rest) e.path.push_back(std::move(step));
    return e;
  }

  Result<Expr> ParseCase() {
    Expr e;
    e.kind = Expr::Kind::kCase;
    e.offset = Peek().offset;
    Advance();
    if (!IsKeyword("WHEN")) {
      CENOTE_ASSIGN_OR_RETURN(Expr operand, ParseExpr());
      e.args.push_back(std::move(operand));
      e.has_operand = true;
    }
    if (!IsKeyword("WHEN")) return UnexpectedToken();
    while (IsKeyword("WHEN")) {
      Advance();
      CENOTE_ASSIGN_OR_RETURN(Expr when, ParseExpr());
      CENOTE_RETURN_IF_ERROR(Expect("THEN"));
      CENOTE_ASSIGN_OR_RETURN(Expr then, ParseExpr());
      e.args.push_back(std::move(when));
      e.args.push_back(std::move(then));
    }
    if (IsKeyword("ELSE")) {
      Advance();
      CENOTE_ASSIGN_OR_RETURN(Expr otherwise, ParseExpr());
      e.args.push_back(std::move(otherwise));
      e.has_else = true;
    }
    CENOTE_RETURN_IF_ERROR(Expect("END"));
    return e;
  }

  Result<Expr> ParseCall() {
    Expr e;
    e.offset = Peek().offset;
    e.text = Upper(Peek().text);
    Advance();  // the name
    Advance();  // (
    if (e.text == "CAST") {
      e.kind = Expr::Kind::kCast;
      CENOTE_ASSIGN_OR_RETURN(Expr value, ParseExpr());
      e.args.push_back(std::move(value));
      CENOTE_RETURN_IF_ERROR(Expect("AS"));
      if (Peek().kind != Token::Kind::kIdent) return UnexpectedToken();
      e.text = Upper(Peek().text);
      Advance();
      if (IsSymbol("(")) {  // DECIMAL(10, 2), VARCHAR(20): the parameters do not change S3's result
        Advance();
        while (!IsSymbol(")")) {
          if (Peek().kind != Token::Kind::kNumber && !IsSymbol(",")) return UnexpectedToken();
          Advance();
        }
        Advance();
      }
      CENOTE_RETURN_IF_ERROR(ExpectSymbol(")"));
      return e;
    }
    if (e.text == "EXTRACT") {
      e.kind = Expr::Kind::kExtract;
      if (Peek().kind != Token::Kind::kIdent) return UnexpectedToken();
      e.text = Upper(Peek().text);
      Advance();
      CENOTE_RETURN_IF_ERROR(Expect("FROM"));
      CENOTE_ASSIGN_OR_RETURN(Expr value, ParseExpr());
      e.args.push_back(std::move(value));
      CENOTE_RETURN_IF_ERROR(ExpectSymbol(")"));
      return e;
    }
    if (e.text == "TRIM") {
      e.kind = Expr::Kind::kTrim;
      e.text = "BOTH";
      if (IsKeyword("LEADING") || IsKeyword("TRAILING") || IsKeyword("BOTH")) {
        e.text = Upper(Peek().text);
        Advance();
      }
      std::optional<Expr> first;
      if (!IsKeyword("FROM")) {
        CENOTE_ASSIGN_OR_RETURN(Expr value, ParseExpr());
        first = std::move(value);
      }
      if (IsKeyword("FROM")) {
        Advance();
        CENOTE_ASSIGN_OR_RETURN(Expr value, ParseExpr());
        e.args.push_back(std::move(value));
        if (first) e.args.push_back(std::move(*first));  // the characters to trim
      } else if (first) {
        e.args.push_back(std::move(*first));
      } else {
        return UnexpectedToken();
      }
      CENOTE_RETURN_IF_ERROR(ExpectSymbol(")"));
      return e;
    }
    e.kind = Expr::Kind::kCall;
    if (e.text == "DATE_ADD" || e.text == "DATE_DIFF") {
      // The first argument is a date part keyword, kept as a path of one name.
      if (Peek().kind != Token::Kind::kIdent) return UnexpectedToken();
      Expr part;
      part.kind = Expr::Kind::kPath;
      part.offset = Peek().offset;
      part.path.push_back(PathStep{PathStep::Kind::kName, Upper(Peek().text), false, 0});
      Advance();
      e.args.push_back(std::move(part));
      CENOTE_RETURN_IF_ERROR(ExpectSymbol(","));
    }
    if (IsSymbol("*")) {
      Expr star;
      star.kind = Expr::Kind::kStar;
      star.offset = Peek().offset;
      Advance();
      e.args.push_back(std::move(star));
    } else if (!IsSymbol(")")) {
      if (IsKeyword("DISTINCT")) return Unsupported("DISTINCT in an aggregate");
      for (;;) {
        CENOTE_ASSIGN_OR_RETURN(Expr arg, ParseExpr());
        e.args.push_back(std::move(arg));
        if (e.text == "SUBSTRING" && (IsKeyword("FROM") || IsKeyword("FOR"))) {
          // SUBSTRING(s FROM start [FOR length])
          if (IsKeyword("FROM")) {
            Advance();
            CENOTE_ASSIGN_OR_RETURN(Expr start, ParseExpr());
            e.args.push_back(std::move(start));
          }
          if (IsKeyword("FOR")) {
            Advance();
            CENOTE_ASSIGN_OR_RETURN(Expr length, ParseExpr());
            e.args.push_back(std::move(length));
          }
          break;
        }
        if (!IsSymbol(",")) break;
        Advance();
      }
    }
    CENOTE_RETURN_IF_ERROR(ExpectSymbol(")"));
    return e;
  }

  std::vector<Token> t_;
  std::size_t pos_ = 0;
  int depth_ = 0;
};

// ---- translation

std::string QuoteLiteral(std::string_view value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

std::string QuoteIdentifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// The static type of a translated expression, which decides the coercions S3 Select's dynamic typing
// implies (a CSV field compared with a number is read as a number).
enum class Type { kString, kNumber, kBool, kTimestamp, kJson, kNull, kOther };

struct Sql {
  std::string text;
  Type type = Type::kOther;
};

Type TypeOfDuckDb(const std::string& duck) {
  static const std::unordered_set<std::string> kNumbers = {
      "TINYINT",  "SMALLINT", "INTEGER",  "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
      "UINTEGER", "UBIGINT",  "UHUGEINT", "FLOAT",  "DOUBLE",  "REAL"};
  if (kNumbers.count(duck) > 0 || duck.rfind("DECIMAL", 0) == 0) return Type::kNumber;
  if (duck == "VARCHAR") return Type::kString;
  if (duck == "BOOLEAN") return Type::kBool;
  if (duck.rfind("TIMESTAMP", 0) == 0 || duck == "DATE") return Type::kTimestamp;
  if (duck == "JSON") return Type::kJson;
  return Type::kOther;
}

// S3 Select's TO_STRING pattern (Java DateTimeFormatter letters) -> strftime. Letters without an
// equivalent are refused.
Result<std::string> StrftimeFormat(const std::string& pattern) {
  std::string out;
  std::size_t i = 0;
  while (i < pattern.size()) {
    char c = pattern[i];
    if (c == '\'') {  // quoted literal text; '' is a quote
      std::size_t j = i + 1;
      if (j < pattern.size() && pattern[j] == '\'') {
        out += '\'';
        i = j + 1;
        continue;
      }
      while (j < pattern.size() && pattern[j] != '\'') {
        out += pattern[j] == '%' ? std::string("%%") : std::string(1, pattern[j]);
        ++j;
      }
      if (j >= pattern.size()) return MakeError(errors::kInvalidTimestampFormat, {pattern});
      i = j + 1;
      continue;
    }
    if (!std::isalpha(static_cast<unsigned char>(c))) {
      out += c == '%' ? std::string("%%") : std::string(1, c);
      ++i;
      continue;
    }
    std::size_t n = 1;
    while (i + n < pattern.size() && pattern[i + n] == c) ++n;
    i += n;
    switch (c) {
      case 'y':
        out += n == 2 ? "%y" : "%Y";
        break;
      case 'M':
        out += n == 1 ? "%-m" : n == 2 ? "%m" : n == 3 ? "%b" : "%B";
        break;
      case 'd':
        out += n == 1 ? "%-d" : "%d";
        break;
      case 'H':
        out += n == 1 ? "%-H" : "%H";
        break;
      case 'h':
        out += n == 1 ? "%-I" : "%I";
        break;
      case 'm':
        out += n == 1 ? "%-M" : "%M";
        break;
      case 's':
        out += n == 1 ? "%-S" : "%S";
        break;
      case 'S':
        out += n <= 3 ? "%g" : n <= 6 ? "%f" : "%n";
        break;
      case 'a':
        out += "%p";
        break;
      case 'X':
      case 'x':
        out += "%z";
        break;
      default:
        return MakeError(errors::kInvalidTimestampFormat, {pattern});
    }
  }
  return out;
}

class Translator {
 public:
  Translator(const Query& query, InputFormat input, const std::vector<query::SourceColumn>& columns,
             bool csv_header_names)
      : query_(query), input_(input), columns_(columns), csv_header_names_(csv_header_names) {}

  Result<Translation> Run(OutputFormat output) {
    Translation out;
    std::string select;
    auto add = [&](const std::string& rendered, std::string name, ValueKind kind) {
      if (!select.empty()) select += ", ";
      select += rendered + " AS " +
                QuoteIdentifier(Numbered("c", static_cast<std::int64_t>(out.columns.size() + 1)));
      out.columns.push_back(OutputColumn{std::move(name), kind});
    };
    if (query_.star) {
      if (input_ == InputFormat::kJson) {
        add("CAST(__r AS VARCHAR)", "_1", ValueKind::kRecord);
      } else {
        for (const auto& c : columns_) {
          Sql value{QuoteIdentifier(c.name), TypeOfDuckDb(c.duckdb_type)};
          add(Render(value, output), c.name, ValueKind::kText);
        }
      }
    } else {
      for (std::size_t i = 0; i < query_.items.size(); ++i) {
        const SelectItem& item = query_.items[i];
        CENOTE_ASSIGN_OR_RETURN(Sql value, Translate(item.expr));
        std::string name = item.alias.empty() ? DefaultName(item.expr, i) : item.alias;
        add(Render(value, output), std::move(name), ValueKind::kText);
      }
    }
    std::string sql = "SELECT " + select + " FROM " + From();
    if (query_.where) {
      CENOTE_ASSIGN_OR_RETURN(Sql where, Translate(*query_.where));
      sql += " WHERE " + AsBool(where);
    }
    if (query_.limit) sql += Numbered(" LIMIT ", *query_.limit);
    out.sql = std::move(sql);
    return out;
  }

 private:
  // The relation the query reads: `s3object` itself, or for JSON its records (one JSON column __r) after
  // the FROM path.
  std::string From() const {
    if (input_ != InputFormat::kJson) return "s3object";
    std::string from = "(SELECT json AS __r FROM s3object)";
    for (const PathStep& step : query_.from_path) {
      std::string next;
      switch (step.kind) {
        case PathStep::Kind::kWildcard:
          // Each element of an array record is a record of its own; other records stay as they are.
          next =
              "SELECT unnest(CASE WHEN json_type(__r) = 'ARRAY' THEN json_extract(__r, '$[*]') ELSE [__r] "
              "END) AS __r FROM " +
              from + " AS __p";
          break;
        case PathStep::Kind::kIndex:
        case PathStep::Kind::kName:
          next = "SELECT json_extract(__r, " + QuoteLiteral(JsonPath({step})) + ") AS __r FROM " + from +
                 " AS __p WHERE json_extract(__r, " + QuoteLiteral(JsonPath({step})) + ") IS NOT NULL";
          break;
      }
      from = "(" + next + ")";
    }
    return from + " AS __s";
  }

  // $."a"."b"[0] for json_extract (key names quoted; a quote or backslash in a key is refused before).
  static std::string JsonPath(const std::vector<PathStep>& steps) {
    std::string path = "$";
    for (const PathStep& s : steps) {
      if (s.kind == PathStep::Kind::kIndex) {
        path += Numbered("[", s.index);
        path += "]";
      } else {
        path += ".\"" + s.name + "\"";
      }
    }
    return path;
  }

  // The name JSON output gives a select item without an alias: a path's last name, else _N.
  static std::string DefaultName(const Expr& e, std::size_t index) {
    if (e.kind == Expr::Kind::kPath) {
      for (auto it = e.path.rbegin(); it != e.path.rend(); ++it) {
        if (it->kind == PathStep::Kind::kName) return it->name;
      }
    }
    return Numbered("_", static_cast<std::int64_t>(index + 1));
  }

  // ---- coercions

  static std::string AsNumber(const Sql& e) {
    switch (e.type) {
      case Type::kString:
      case Type::kJson:
        return "TRY_CAST(" + e.text + " AS DOUBLE)";
      case Type::kBool:
        return "CAST(" + e.text + " AS INTEGER)";
      default:
        return e.text;
    }
  }
  static std::string AsString(const Sql& e) {
    switch (e.type) {
      case Type::kString:
      case Type::kNull:
        return e.text;
      case Type::kJson:
        return "(" + e.text + " ->> '$')";
      case Type::kTimestamp:
        return TimestampText(e.text);
      default:
        return "CAST(" + e.text + " AS VARCHAR)";
    }
  }
  static std::string AsBool(const Sql& e) {
    switch (e.type) {
      case Type::kBool:
      case Type::kNull:
        return e.text;
      default:
        return "TRY_CAST(" + AsString(e) + " AS BOOLEAN)";
    }
  }
  static std::string AsTimestamp(const Sql& e) {
    switch (e.type) {
      case Type::kTimestamp:
      case Type::kNull:
        return e.text;
      default:
        return "CAST(" + AsString(e) + " AS TIMESTAMPTZ)";
    }
  }
  // ISO 8601 in UTC, as S3 Select prints timestamps.
  static std::string TimestampText(const std::string& ts) {
    return "strftime(CAST(" + ts + " AS TIMESTAMPTZ), '%Y-%m-%dT%H:%M:%S.%gZ')";
  }

  // Operands of a comparison (or IN, BETWEEN, NULLIF, CASE) made comparable: numbers if any side is one,
  // else timestamps, booleans, strings.
  static std::vector<std::string> Unify(const std::vector<Sql>& values) {
    auto any = [&](Type t) {
      return std::any_of(values.begin(), values.end(), [t](const Sql& v) { return v.type == t; });
    };
    std::vector<std::string> out;
    for (const Sql& v : values) {
      if (any(Type::kNumber)) {
        out.push_back(AsNumber(v));
      } else if (any(Type::kTimestamp)) {
        out.push_back(AsTimestamp(v));
      } else if (any(Type::kBool)) {
        out.push_back(AsBool(v));
      } else if (any(Type::kString) || any(Type::kJson)) {
        out.push_back(AsString(v));
      } else {
        out.push_back(v.text);
      }
    }
    return out;
  }
  static Type UnifiedType(const std::vector<Sql>& values) {
    Type result = Type::kNull;
    for (const Sql& v : values) {
      if (v.type == Type::kNull) continue;
      if (result == Type::kNull) {
        result = v.type;
      } else if (result != v.type) {
        if ((result == Type::kNumber || v.type == Type::kNumber)) {
          result = Type::kNumber;
        } else {
          result = Type::kString;
        }
      }
    }
    return result;
  }

  // Renders a result column as VARCHAR: its text for CSV output, its JSON for JSON output.
  static std::string Render(const Sql& e, OutputFormat output) {
    if (output == OutputFormat::kCsv) {
      if (e.type == Type::kOther) return "CAST(to_json(" + e.text + ") AS VARCHAR)";
      return "CAST(" + AsString(e) + " AS VARCHAR)";
    }
    switch (e.type) {
      case Type::kJson:
        return "CAST(" + e.text + " AS VARCHAR)";
      case Type::kTimestamp:
        return "CAST(to_json(" + TimestampText(e.text) + ") AS VARCHAR)";
      default:
        return "CAST(to_json(" + e.text + ") AS VARCHAR)";
    }
  }

  // ---- references

  // A path names the FROM alias first (s.a), or S3Object when there is no alias, or starts in the record.
  std::vector<PathStep> RecordPath(const Expr& e) const {
    std::vector<PathStep> steps = e.path;
    const PathStep& head = steps.front();
    auto matches = [&](const std::string& name) {
      return head.quoted ? head.name == name : LowerAscii(head.name) == LowerAscii(name);
    };
    if (steps.size() > 1 || input_ == InputFormat::kJson) {
      if ((!query_.alias.empty() && matches(query_.alias)) || (query_.alias.empty() && matches("s3object")))
        steps.erase(steps.begin());
    }
    return steps;
  }

  Result<Sql> Reference(const Expr& e) {
    std::vector<PathStep> steps = RecordPath(e);
    if (input_ == InputFormat::kJson) {
      if (steps.empty()) return Sql{"__r", Type::kJson};
      for (const PathStep& s : steps) {
        if (s.kind == PathStep::Kind::kName && s.name.find_first_of("\"\\") != std::string::npos)
          return MakeError(errors::kInvalidKeyPath, {s.name});
      }
      return Sql{"json_extract(__r, " + QuoteLiteral(JsonPath(steps)) + ")", Type::kJson};
    }
    if (steps.empty() || steps.front().kind != PathStep::Kind::kName)
      return MakeError(errors::kInvalidKeyPath, {PathText(e.path)});
    CENOTE_ASSIGN_OR_RETURN(const query::SourceColumn* column, FindColumn(steps.front()));
    Sql out{QuoteIdentifier(column->name), TypeOfDuckDb(column->duckdb_type)};
    if (steps.size() == 1) return out;
    if (input_ == InputFormat::kCsv) return MakeError(errors::kInvalidKeyPath, {PathText(e.path)});
    // Parquet: nested fields and list elements.
    for (std::size_t i = 1; i < steps.size(); ++i) {
      if (steps[i].kind == PathStep::Kind::kIndex) {
        out.text = "list_extract(" + out.text + Numbered(", ", steps[i].index + 1) + ")";
      } else {
        out.text = "struct_extract(" + out.text + ", " + QuoteLiteral(steps[i].name) + ")";
      }
    }
    out.type = Type::kOther;
    return out;
  }

  static std::string PathText(const std::vector<PathStep>& steps) {
    std::string out;
    for (const PathStep& s : steps) {
      if (s.kind == PathStep::Kind::kIndex) {
        out += Numbered("[", s.index);
        out += "]";
      } else {
        if (!out.empty()) out += ".";
        out += s.name;
      }
    }
    return out;
  }

  // A column by name (case-insensitively unless quoted) or, for CSV, by position (_N).
  Result<const query::SourceColumn*> FindColumn(const PathStep& step) const {
    const std::string& name = step.name;
    const bool header = input_ != InputFormat::kCsv || csv_header_names_;
    if (header) {
      const query::SourceColumn* found = nullptr;
      for (const auto& c : columns_) {
        if (step.quoted ? c.name == name : LowerAscii(c.name) == LowerAscii(name)) {
          if (found != nullptr && !step.quoted)
            return cenote::MakeError("AmbiguousFieldName",
                                     "Field name matches to multiple fields in the file: " + name, 400);
          found = &c;
        }
      }
      if (found != nullptr) return found;
    }
    if (input_ == InputFormat::kCsv && name.size() > 1 && name[0] == '_' &&
        name.find_first_not_of("0123456789", 1) == std::string::npos) {
      std::size_t index = name.size() > 9 ? 0 : static_cast<std::size_t>(std::stoul(name.substr(1)));
      if (index == 0 || index > columns_.size()) return MakeError(errors::kInvalidColumnIndex, {name});
      return &columns_[index - 1];
    }
    if (input_ == InputFormat::kCsv) return MakeError(errors::kMissingHeaders, {name});
    return cenote::MakeError("InvalidColumnIndex", "The column " + name + " is not in the file.", 400);
  }

  // ---- expressions

  Result<Sql> Translate(const Expr& e) {
    if (++depth_ > kMaxDepth)
      return MakeError(errors::kUnsupportedSyntax, {"An expression nested this deeply"});
    auto out = TranslateInner(e);
    --depth_;
    return out;
  }

  Result<std::vector<Sql>> TranslateAll(const std::vector<Expr>& args, std::size_t from = 0) {
    std::vector<Sql> out;
    for (std::size_t i = from; i < args.size(); ++i) {
      CENOTE_ASSIGN_OR_RETURN(Sql s, Translate(args[i]));
      out.push_back(std::move(s));
    }
    return out;
  }

  Result<Sql> TranslateInner(const Expr& e) {
    switch (e.kind) {
      case Expr::Kind::kString:
        return Sql{QuoteLiteral(e.text), Type::kString};
      case Expr::Kind::kNumber: {
        // Re-printed from the digits: integers as BIGINT (or DOUBLE past its range), others as DOUBLE.
        if (e.text.find_first_not_of("0123456789") == std::string::npos && e.text.size() <= 18)
          return Sql{e.text, Type::kNumber};
        char* end = nullptr;
        double v = std::strtod(e.text.c_str(), &end);
        if (end == nullptr || *end != '\0')
          return MakeError(errors::kParseExpectedExpression, {Column(e.offset)});
        char buf[64];
        std::snprintf(buf, sizeof(buf), "%.17g", v);
        return Sql{"CAST(" + QuoteLiteral(buf) + " AS DOUBLE)", Type::kNumber};
      }
      case Expr::Kind::kBool:
        return Sql{e.text, Type::kBool};
      case Expr::Kind::kNull:
      case Expr::Kind::kMissing:
        return Sql{"NULL", Type::kNull};
      case Expr::Kind::kPath:
        return Reference(e);
      case Expr::Kind::kStar:
        return MakeError(errors::kUnsupportedSyntax, {"* outside COUNT(*)"});
      case Expr::Kind::kNegate: {
        CENOTE_ASSIGN_OR_RETURN(Sql v, Translate(e.args[0]));
        return Sql{"(-" + AsNumber(v) + ")", Type::kNumber};
      }
      case Expr::Kind::kArith: {
        CENOTE_ASSIGN_OR_RETURN(Sql l, Translate(e.args[0]));
        CENOTE_ASSIGN_OR_RETURN(Sql r, Translate(e.args[1]));
        if (e.text == "||") return Sql{"(" + AsString(l) + " || " + AsString(r) + ")", Type::kString};
        return Sql{"(" + AsNumber(l) + " " + e.text + " " + AsNumber(r) + ")", Type::kNumber};
      }
      case Expr::Kind::kCompare: {
        CENOTE_ASSIGN_OR_RETURN(std::vector<Sql> v, TranslateAll(e.args));
        std::vector<std::string> u = Unify(v);
        return Sql{"(" + u[0] + " " + e.text + " " + u[1] + ")", Type::kBool};
      }
      case Expr::Kind::kAnd:
      case Expr::Kind::kOr: {
        CENOTE_ASSIGN_OR_RETURN(Sql l, Translate(e.args[0]));
        CENOTE_ASSIGN_OR_RETURN(Sql r, Translate(e.args[1]));
        const char* op = e.kind == Expr::Kind::kAnd ? " AND " : " OR ";
        return Sql{"(" + AsBool(l) + op + AsBool(r) + ")", Type::kBool};
      }
      case Expr::Kind::kNot: {
        CENOTE_ASSIGN_OR_RETURN(Sql v, Translate(e.args[0]));
        return Sql{"(NOT " + AsBool(v) + ")", Type::kBool};
      }
      case Expr::Kind::kIsNull: {
        CENOTE_ASSIGN_OR_RETURN(Sql v, Translate(e.args[0]));
        // A JSON null is NULL too; a missing member is both NULL and MISSING.
        std::string test = v.type == Type::kJson
                               ? "(" + v.text + " IS NULL OR json_type(" + v.text + ") = 'NULL')"
                               : "(" + v.text + " IS NULL)";
        return Sql{e.negated ? "(NOT " + test + ")" : test, Type::kBool};
      }
      case Expr::Kind::kIsMissing: {
        CENOTE_ASSIGN_OR_RETURN(Sql v, Translate(e.args[0]));
        // Only a JSON path can be missing (json_extract gives SQL NULL for an absent member, JSON null
        // for a present null); a CSV field or Parquet column never is.
        std::string test =
            v.type == Type::kJson || v.type == Type::kNull ? "(" + v.text + " IS NULL)" : "false";
        return Sql{e.negated ? "(NOT " + test + ")" : test, Type::kBool};
      }
      case Expr::Kind::kBetween: {
        CENOTE_ASSIGN_OR_RETURN(std::vector<Sql> v, TranslateAll(e.args));
        std::vector<std::string> u = Unify(v);
        return Sql{"(" + u[0] + (e.negated ? " NOT" : "") + " BETWEEN " + u[1] + " AND " + u[2] + ")",
                   Type::kBool};
      }
      case Expr::Kind::kIn: {
        CENOTE_ASSIGN_OR_RETURN(std::vector<Sql> v, TranslateAll(e.args));
        std::vector<std::string> u = Unify(v);
        std::string list;
        for (std::size_t i = 1; i < u.size(); ++i) list += (i > 1 ? ", " : "") + u[i];
        return Sql{"(" + u[0] + (e.negated ? " NOT" : "") + " IN (" + list + "))", Type::kBool};
      }
      case Expr::Kind::kLike: {
        CENOTE_ASSIGN_OR_RETURN(std::vector<Sql> v, TranslateAll(e.args));
        std::string sql = "(" + AsString(v[0]) + (e.negated ? " NOT" : "") + " LIKE " + AsString(v[1]);
        if (v.size() > 2) sql += " ESCAPE " + AsString(v[2]);
        return Sql{sql + ")", Type::kBool};
      }
      case Expr::Kind::kCase:
        return TranslateCase(e);
      case Expr::Kind::kCast:
        return TranslateCast(e);
      case Expr::Kind::kExtract: {
        static const std::unordered_map<std::string, std::string> kParts = {
            {"YEAR", "year"},
            {"MONTH", "month"},
            {"DAY", "day"},
            {"HOUR", "hour"},
            {"MINUTE", "minute"},
            {"SECOND", "second"},
            {"TIMEZONE_HOUR", "timezone_hour"},
            {"TIMEZONE_MINUTE", "timezone_minute"}};
        auto part = kParts.find(e.text);
        if (part == kParts.end()) return MakeError(errors::kIncorrectFunctionArguments, {"EXTRACT"});
        CENOTE_ASSIGN_OR_RETURN(Sql v, Translate(e.args[0]));
        return Sql{"date_part(" + QuoteLiteral(part->second) + ", " + AsTimestamp(v) + ")", Type::kNumber};
      }
      case Expr::Kind::kTrim: {
        CENOTE_ASSIGN_OR_RETURN(std::vector<Sql> v, TranslateAll(e.args));
        const char* fn = e.text == "LEADING" ? "ltrim" : e.text == "TRAILING" ? "rtrim" : "trim";
        std::string chars = v.size() > 1 ? AsString(v[1]) : std::string("' '");
        return Sql{std::string(fn) + "(" + AsString(v[0]) + ", " + chars + ")", Type::kString};
      }
      case Expr::Kind::kCall:
        return TranslateCall(e);
    }
    return MakeError(errors::kUnsupportedSyntax, {"This expression"});
  }

  Result<Sql> TranslateCase(const Expr& e) {
    CENOTE_ASSIGN_OR_RETURN(std::vector<Sql> v, TranslateAll(e.args));
    std::size_t i = 0;
    std::string sql = "CASE";
    std::optional<Sql> operand;
    if (e.has_operand) operand = v[i++];
    const std::size_t end = v.size() - (e.has_else ? 1 : 0);
    std::vector<Sql> results;
    for (std::size_t k = i + 1; k < end; k += 2) results.push_back(v[k]);
    if (e.has_else) results.push_back(v.back());
    const Type type = UnifiedType(results);
    auto result = [&](const Sql& r) {
      return type == Type::kNumber ? AsNumber(r) : type == Type::kString ? AsString(r) : r.text;
    };
    for (; i + 1 < end; i += 2) {
      if (operand) {
        std::vector<std::string> u = Unify({*operand, v[i]});
        sql += " WHEN " + u[0] + " = " + u[1];
      } else {
        sql += " WHEN " + AsBool(v[i]);
      }
      sql += " THEN " + result(v[i + 1]);
    }
    if (e.has_else) sql += " ELSE " + result(v.back());
    return Sql{sql + " END", type == Type::kNull ? Type::kOther : type};
  }

  Result<Sql> TranslateCast(const Expr& e) {
    CENOTE_ASSIGN_OR_RETURN(Sql v, Translate(e.args[0]));
    const std::string& t = e.text;
    // From JSON, a string value casts by its text, anything else by its JSON.
    std::string from = v.type == Type::kJson ? AsString(v) : v.text;
    if (t == "BOOL" || t == "BOOLEAN") return Sql{"CAST(" + from + " AS BOOLEAN)", Type::kBool};
    if (t == "INT" || t == "INTEGER" || t == "BIGINT" || t == "SMALLINT" || t == "TINYINT") {
      // S3 Select truncates a decimal value cast to an integer.
      if (v.type == Type::kString || v.type == Type::kJson)
        return Sql{"CAST(trunc(CAST(" + from + " AS DOUBLE)) AS BIGINT)", Type::kNumber};
      return Sql{"CAST(trunc(" + from + ") AS BIGINT)", Type::kNumber};
    }
    if (t == "FLOAT" || t == "DOUBLE" || t == "REAL" || t == "DECIMAL" || t == "NUMERIC")
      return Sql{"CAST(" + from + " AS DOUBLE)", Type::kNumber};
    if (t == "STRING" || t == "VARCHAR" || t == "CHAR" || t == "CHARACTER" || t == "TEXT")
      return Sql{"CAST(" + AsString(v) + " AS VARCHAR)", Type::kString};
    if (t == "TIMESTAMP") return Sql{AsTimestamp(v), Type::kTimestamp};
    return MakeError(errors::kInvalidCast, {t});
  }

  Result<Sql> TranslateCall(const Expr& e) {
    const std::string& f = e.text;
    auto arity = [&](std::size_t lo, std::size_t hi) -> Status {
      if (e.args.size() < lo || e.args.size() > hi)
        return MakeError(errors::kIncorrectFunctionArguments, {f});
      return Status::Ok();
    };
    if (f == "COUNT") {
      CENOTE_RETURN_IF_ERROR(arity(1, 1));
      if (e.args[0].kind == Expr::Kind::kStar) return Sql{"count(*)", Type::kNumber};
      CENOTE_ASSIGN_OR_RETURN(Sql v, Translate(e.args[0]));
      return Sql{"count(" + v.text + ")", Type::kNumber};
    }
    if (e.args.size() == 1 && e.args[0].kind == Expr::Kind::kStar)
      return MakeError(errors::kIncorrectFunctionArguments, {f});
    if (f == "SUM" || f == "AVG" || f == "MIN" || f == "MAX") {
      CENOTE_RETURN_IF_ERROR(arity(1, 1));
      CENOTE_ASSIGN_OR_RETURN(Sql v, Translate(e.args[0]));
      if ((f == "MIN" || f == "MAX") && (v.type == Type::kString || v.type == Type::kTimestamp))
        return Sql{LowerAscii(f) + "(" + v.text + ")", v.type};
      return Sql{LowerAscii(f) + "(" + AsNumber(v) + ")", Type::kNumber};
    }
    if (f == "COALESCE") {
      CENOTE_RETURN_IF_ERROR(arity(1, 64));
      CENOTE_ASSIGN_OR_RETURN(std::vector<Sql> v, TranslateAll(e.args));
      // A JSON null does not count as a value either.
      std::vector<Sql> values;
      for (Sql& s : v) {
        if (s.type == Type::kJson)
          s.text = "CASE WHEN json_type(" + s.text + ") = 'NULL' THEN NULL ELSE " + s.text + " END";
        values.push_back(s);
      }
      const Type type = UnifiedType(values);
      std::string sql = "coalesce(";
      for (std::size_t i = 0; i < values.size(); ++i) {
        if (i > 0) sql += ", ";
        sql += type == Type::kNumber ? AsNumber(values[i])
               : type == Type::kJson ? values[i].text
                                     : AsString(values[i]);
      }
      return Sql{sql + ")", type == Type::kNumber || type == Type::kJson ? type : Type::kString};
    }
    if (f == "NULLIF") {
      CENOTE_RETURN_IF_ERROR(arity(2, 2));
      CENOTE_ASSIGN_OR_RETURN(std::vector<Sql> v, TranslateAll(e.args));
      std::vector<std::string> u = Unify(v);
      return Sql{"CASE WHEN " + u[0] + " = " + u[1] + " THEN NULL ELSE " + v[0].text + " END", v[0].type};
    }
    if (f == "CHAR_LENGTH" || f == "CHARACTER_LENGTH") {
      CENOTE_RETURN_IF_ERROR(arity(1, 1));
      CENOTE_ASSIGN_OR_RETURN(Sql v, Translate(e.args[0]));
      return Sql{"length(" + AsString(v) + ")", Type::kNumber};
    }
    if (f == "LOWER" || f == "UPPER") {
      CENOTE_RETURN_IF_ERROR(arity(1, 1));
      CENOTE_ASSIGN_OR_RETURN(Sql v, Translate(e.args[0]));
      return Sql{LowerAscii(f) + "(" + AsString(v) + ")", Type::kString};
    }
    if (f == "SUBSTRING") {
      CENOTE_RETURN_IF_ERROR(arity(2, 3));
      CENOTE_ASSIGN_OR_RETURN(std::vector<Sql> v, TranslateAll(e.args));
      // S3 Select counts from 1 and lets the window start before the string (SUBSTRING('abc', 0, 2) = 'a').
      std::string start = "CAST(" + AsNumber(v[1]) + " AS BIGINT)";
      if (v.size() == 2)
        return Sql{"substring(" + AsString(v[0]) + ", greatest(" + start + ", 1))", Type::kString};
      std::string length = "CAST(" + AsNumber(v[2]) + " AS BIGINT)";
      return Sql{"substring(" + AsString(v[0]) + ", greatest(" + start + ", 1), greatest(" + start + " + " +
                     length + " - greatest(" + start + ", 1), 0))",
                 Type::kString};
    }
    if (f == "UTCNOW") {
      CENOTE_RETURN_IF_ERROR(arity(0, 0));
      return Sql{"get_current_timestamp()", Type::kTimestamp};
    }
    if (f == "TO_TIMESTAMP") {
      CENOTE_RETURN_IF_ERROR(arity(1, 1));
      CENOTE_ASSIGN_OR_RETURN(Sql v, Translate(e.args[0]));
      return Sql{"CAST(" + AsString(v) + " AS TIMESTAMPTZ)", Type::kTimestamp};
    }
    if (f == "TO_STRING") {
      CENOTE_RETURN_IF_ERROR(arity(2, 2));
      if (e.args[1].kind != Expr::Kind::kString) return MakeError(errors::kIncorrectFunctionArguments, {f});
      CENOTE_ASSIGN_OR_RETURN(std::string format, StrftimeFormat(e.args[1].text));
      CENOTE_ASSIGN_OR_RETURN(Sql v, Translate(e.args[0]));
      return Sql{"strftime(" + AsTimestamp(v) + ", " + QuoteLiteral(format) + ")", Type::kString};
    }
    if (f == "DATE_ADD" || f == "DATE_DIFF") {
      CENOTE_RETURN_IF_ERROR(arity(3, 3));
      static const std::unordered_map<std::string, std::string> kParts = {
          {"YEAR", "year"}, {"MONTH", "month"},   {"DAY", "day"},
          {"HOUR", "hour"}, {"MINUTE", "minute"}, {"SECOND", "second"}};
      auto part = kParts.find(e.args[0].path.empty() ? std::string() : e.args[0].path[0].name);
      if (part == kParts.end()) return MakeError(errors::kIncorrectFunctionArguments, {f});
      CENOTE_ASSIGN_OR_RETURN(std::vector<Sql> v, TranslateAll(e.args, 1));
      if (f == "DATE_DIFF")
        return Sql{"date_diff(" + QuoteLiteral(part->second) + ", " + AsTimestamp(v[0]) + ", " +
                       AsTimestamp(v[1]) + ")",
                   Type::kNumber};
      return Sql{
          "(" + AsTimestamp(v[1]) + " + to_" + part->second + "s(CAST(" + AsNumber(v[0]) + " AS BIGINT)))",
          Type::kTimestamp};
    }
    return MakeError(errors::kUnsupportedFunction, {f});
  }

  const Query& query_;
  const InputFormat input_;
  const std::vector<query::SourceColumn>& columns_;
  const bool csv_header_names_;
  int depth_ = 0;
};

}  // namespace

Result<Query> Parse(std::string_view expression) {
  if (expression.size() > kMaxExpressionBytes) return MakeError(errors::kExpressionTooLong);
  CENOTE_ASSIGN_OR_RETURN(std::vector<Token> tokens, Lex(expression));
  Parser parser(std::move(tokens));
  return parser.ParseQuery();
}

Result<Translation> Translate(const Query& query, InputFormat input,
                              const std::vector<query::SourceColumn>& columns, bool csv_header_names,
                              OutputFormat output) {
  if (input != InputFormat::kJson && !query.from_path.empty())
    return MakeError(errors::kUnsupportedSyntax, {"A path after S3Object for CSV or Parquet input"});
  Translator translator(query, input, columns, csv_header_names);
  return translator.Run(output);
}

}  // namespace cenote::s3::select
