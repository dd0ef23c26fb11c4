#include "services/logs/insights.hpp"

#if defined(__GNUC__) && !defined(__clang__)
// GCC 12 reports a false -Wrestrict on `"x" + std::string + ...` (GCC bug 105329).
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <regex>
#include <set>

#include "common/clock.hpp"
#include "common/encoding.hpp"
#include "common/strings.hpp"
#include "query/engine.hpp"
#include "services/logs/errors.hpp"

namespace cenote::logs {

namespace json = boost::json;

namespace {

// ---- values

struct Val {
  enum class Kind { kNull, kNum, kStr, kTime } kind = Kind::kNull;
  double num = 0;
  std::string str;

  static Val Null() { return {}; }
  static Val Num(double v) { return Val{.kind = Kind::kNum, .num = v, .str = {}}; }
  static Val Time(double ms) { return Val{.kind = Kind::kTime, .num = ms, .str = {}}; }
  static Val Str(std::string s) { return Val{.kind = Kind::kStr, .num = 0, .str = std::move(s)}; }
  bool null() const { return kind == Kind::kNull; }
  bool numeric() const { return kind == Kind::kNum || kind == Kind::kTime; }
};

std::optional<double> ParseDouble(std::string_view text) {
  text = TrimAsciiSpace(text);
  if (text.empty()) return std::nullopt;
  double v = 0;
  const char* begin = text.data();
  if (*begin == '+') ++begin;
  auto [ptr, ec] = std::from_chars(begin, text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::string FormatNumber(double v) {
  if (std::floor(v) == v && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  char buf[64];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, ptr) : std::to_string(v);
}

std::string Text(const Val& v) {
  switch (v.kind) {
    case Val::Kind::kNull:
      return "";
    case Val::Kind::kNum:
      return FormatNumber(v.num);
    case Val::Kind::kTime:
      return FormatInsightsTime(static_cast<std::int64_t>(v.num));
    case Val::Kind::kStr:
      return v.str;
  }
  return "";
}

// Orders values as sort and min/max do: numbers numerically, otherwise as text; nulls first.

// ---- regular expressions: checked when the query is parsed, run by the query engine (RE2). Java's named
// groups `(?<name>...)` become RE2's `(?P<name>...)`; lookaround and back-references, which RE2 does not
// have, are refused when the query is parsed rather than failing it later.

class Regex {
 public:
  static Result<Regex> Compile(std::string pattern) {
    Regex r;
    std::string body = pattern;
    const bool icase = body.starts_with("(?i)");
    if (icase) body = body.substr(4);
    int group = 0;
    for (std::size_t i = 0; i < body.size(); ++i) {
      const char c = body[i];
      if (c == '\\' && i + 1 < body.size()) {
        if (IsAsciiDigit(body[i + 1]) && body[i + 1] != '0') return Unsupported(pattern, "back-references");
        r.sql_ += c;
        r.sql_ += body[++i];
        r.plain_ += c;
        r.plain_ += body[i];
        continue;
      }
      if (c == '(') {
        if (body.compare(i, 3, "(?=") == 0 || body.compare(i, 3, "(?!") == 0 ||
            body.compare(i, 4, "(?<=") == 0 || body.compare(i, 4, "(?<!") == 0)
          return Unsupported(pattern, "lookaround");
        if (body.compare(i, 3, "(?<") == 0) {
          std::size_t close = body.find('>', i + 3);
          if (close == std::string::npos) return MakeError("MalformedQueryException", "Invalid regex", 400);
          ++group;
          r.names_.emplace_back(group, body.substr(i + 3, close - i - 3));
          r.sql_ += "(?P<" + body.substr(i + 3, close - i - 3) + ">";
          r.plain_ += '(';
          i = close;
          continue;
        }
        if (body.compare(i, 2, "(?") != 0) ++group;
      }
      r.sql_ += c;
      r.plain_ += c;
    }
    // A syntax check (ECMAScript's grammar is close to RE2's for what survives the checks above).
    try {
      auto flags = std::regex::ECMAScript;
      if (icase) flags |= std::regex::icase;
      std::regex check(r.plain_, flags);
    } catch (const std::regex_error&) {
      return MakeError("MalformedQueryException", "Invalid regular expression: " + pattern, 400);
    }
    if (icase) r.sql_ = "(?i)" + r.sql_;
    return r;
  }
  const std::string& sql_pattern() const { return sql_; }
  const std::vector<std::pair<int, std::string>>& names() const { return names_; }

 private:
  static Error Unsupported(const std::string& pattern, const char* what) {
    return MakeError("MalformedQueryException",
                     std::string("Regular expressions with ") + what + " are not supported: " + pattern, 400);
  }
  std::string sql_;    // for the engine (RE2)
  std::string plain_;  // for the syntax check, named groups unnamed
  std::vector<std::pair<int, std::string>> names_;
};

Val JsonToVal(const json::value& v) {
  if (v.is_string()) return Val::Str(std::string(v.get_string()));
  if (v.is_int64()) return Val::Num(static_cast<double>(v.get_int64()));
  if (v.is_uint64()) return Val::Num(static_cast<double>(v.get_uint64()));
  if (v.is_double()) return Val::Num(v.get_double());
  if (v.is_bool()) return Val::Str(v.get_bool() ? "true" : "false");
  if (v.is_null()) return Val::Null();
  return Val::Str(json::serialize(v));
}

// ---- lexer

struct Token {
  enum class Kind { kIdent, kField, kNumber, kDuration, kString, kRegex, kSymbol, kEnd } kind = Kind::kEnd;
  std::string
      text;  // identifiers and fields: the name; strings and regexes: the content; symbols: the symbol
  double number = 0;
  std::size_t pos = 0;  // 0-based offset in the query
};

Error Malformed(const Token& t) {
  std::string what = t.kind == Token::Kind::kEnd ? "<EOF>" : t.text;
  return services::MakeError(
      errors::kMalformedQuery,
      {"unexpected symbol found " + what + " at line 1 and position " + std::to_string(t.pos + 1)});
}

Error MalformedText(std::string message) { return services::MakeError(errors::kMalformedQuery, {message}); }

bool IsFieldChar(char c) {
  return IsAsciiAlnum(c) || c == '_' || c == '@' || c == '.' || c == '$' || c == '-';
}

Result<std::vector<Token>> Lex(std::string_view q) {
  std::vector<Token> out;
  std::size_t i = 0;
  // A '/' starts a regex where an operand is expected (not after a value, where it divides).
  auto operand_expected = [&]() {
    if (out.empty()) return true;
    const Token& t = out.back();
    if (t.kind == Token::Kind::kSymbol) return t.text != ")" && t.text != "]";
    if (t.kind == Token::Kind::kIdent) {
      std::string lower = AsciiLower(t.text);
      return lower == "like" || lower == "and" || lower == "or" || lower == "not" || lower == "in" ||
             lower == "filter" || lower == "parse" || lower == "as";
    }
    // parse <field> /regex/
    return out.size() >= 2 && out[out.size() - 2].kind == Token::Kind::kIdent &&
           EqualsIgnoreAsciiCase(out[out.size() - 2].text, "parse");
  };
  while (i < q.size()) {
    char c = q[i];
    if (IsAsciiSpace(c)) {
      ++i;
      continue;
    }
    Token t;
    t.pos = i;
    if (c == '"' || c == '\'') {
      std::size_t j = i + 1;
      while (j < q.size() && q[j] != c) {
        if (q[j] == '\\' && j + 1 < q.size()) {
          ++j;
          t.text += q[j] == 'n' ? '\n' : q[j] == 't' ? '\t' : q[j];
          ++j;
          continue;
        }
        t.text += q[j++];
      }
      if (j >= q.size())
        return MalformedText("unterminated string at line 1 and position " + std::to_string(i + 1));
      t.kind = Token::Kind::kString;
      i = j + 1;
    } else if (c == '`') {
      std::size_t j = q.find('`', i + 1);
      if (j == std::string_view::npos)
        return MalformedText("unterminated ` at line 1 and position " + std::to_string(i + 1));
      t.kind = Token::Kind::kField;
      t.text = std::string(q.substr(i + 1, j - i - 1));
      i = j + 1;
    } else if (c == '/' && operand_expected()) {
      std::size_t j = i + 1;
      while (j < q.size() && q[j] != '/') {
        if (q[j] == '\\' && j + 1 < q.size()) {
          if (q[j + 1] != '/') t.text += q[j];
          ++j;
        }
        t.text += q[j++];
      }
      if (j >= q.size())
        return MalformedText("unterminated regex at line 1 and position " + std::to_string(i + 1));
      t.kind = Token::Kind::kRegex;
      i = j + 1;
    } else if (IsAsciiDigit(c) || (c == '.' && i + 1 < q.size() && IsAsciiDigit(q[i + 1]))) {
      std::size_t j = i;
      while (j < q.size() && (IsAsciiDigit(q[j]) || q[j] == '.')) ++j;
      if (j < q.size() && (q[j] == 'e' || q[j] == 'E') && j + 1 < q.size() &&
          (IsAsciiDigit(q[j + 1]) || q[j + 1] == '-' || q[j + 1] == '+')) {
        j += 2;
        while (j < q.size() && IsAsciiDigit(q[j])) ++j;
      }
      auto n = ParseDouble(q.substr(i, j - i));
      if (!n) return MalformedText("invalid number at line 1 and position " + std::to_string(i + 1));
      t.number = *n;
      t.text = std::string(q.substr(i, j - i));
      std::size_t k = j;
      while (k < q.size() && IsAsciiAlpha(q[k])) ++k;
      if (k > j) {
        std::string unit = AsciiLower(q.substr(j, k - j));
        static const std::map<std::string, double> kUnits = {{"ms", 1},
                                                             {"s", 1000},
                                                             {"sec", 1000},
                                                             {"secs", 1000},
                                                             {"second", 1000},
                                                             {"seconds", 1000},
                                                             {"m", 60'000},
                                                             {"min", 60'000},
                                                             {"mins", 60'000},
                                                             {"minute", 60'000},
                                                             {"minutes", 60'000},
                                                             {"h", 3'600'000},
                                                             {"hr", 3'600'000},
                                                             {"hrs", 3'600'000},
                                                             {"hour", 3'600'000},
                                                             {"hours", 3'600'000},
                                                             {"d", 86'400'000},
                                                             {"day", 86'400'000},
                                                             {"days", 86'400'000},
                                                             {"w", 604'800'000},
                                                             {"week", 604'800'000},
                                                             {"weeks", 604'800'000}};
        auto it = kUnits.find(unit);
        if (it == kUnits.end()) {
          t.kind = Token::Kind::kSymbol;
          t.text = std::string(q.substr(i, k - i));
          return Malformed(t);
        }
        t.kind = Token::Kind::kDuration;
        t.number *= it->second;
        t.text = std::string(q.substr(i, k - i));
        j = k;
      } else {
        t.kind = Token::Kind::kNumber;
      }
      i = j;
    } else if (IsAsciiAlpha(c) || c == '_' || c == '@' || c == '$') {
      std::size_t j = i;
      while (j < q.size() && IsFieldChar(q[j])) ++j;
      // A trailing '.' or '-' belongs to what follows, not the name.
      while (j > i + 1 && (q[j - 1] == '.' || q[j - 1] == '-')) --j;
      t.text = std::string(q.substr(i, j - i));
      t.kind =
          (c == '@' || t.text.find('.') != std::string::npos) ? Token::Kind::kField : Token::Kind::kIdent;
      i = j;
    } else {
      static const char* kSymbols[] = {"!=", "<=", ">=", "=~", "==", "|", ",", "(", ")", "[",
                                       "]",  "=",  "<",  ">",  "+",  "-", "*", "/", "%", "^"};
      bool found = false;
      for (const char* s : kSymbols) {
        std::string_view sv(s);
        if (q.substr(i, sv.size()) == sv) {
          t.kind = Token::Kind::kSymbol;
          t.text = std::string(sv);
          i += sv.size();
          found = true;
          break;
        }
      }
      if (!found) {
        t.kind = Token::Kind::kSymbol;
        t.text = std::string(1, c);
        return Malformed(t);
      }
    }
    out.push_back(std::move(t));
  }
  Token end;
  end.pos = q.size();
  out.push_back(end);
  return out;
}

// ---- expressions

struct Expr;
using ExprPtr = std::shared_ptr<Expr>;
struct Expr {
  enum class Kind { kLiteral, kField, kUnary, kBinary, kCall, kList, kRegex } kind = Kind::kLiteral;
  Val literal;
  std::string name;  // field name, operator, or function name (lower case)
  std::vector<ExprPtr> args;
  std::shared_ptr<Regex> regex;
  std::string text;  // the source text (default output names)
};

const std::set<std::string>& AggregateNames() {
  static const std::set<std::string> k = {"count",    "sum",    "avg",        "min",
                                          "max",      "pct",    "stddev",     "count_distinct",
                                          "earliest", "latest", "sortsfirst", "sortslast"};
  return k;
}

const std::set<std::string>& FunctionNames() {
  static const std::set<std::string> k = {
      "strlen",      "toupper",  "tolower",   "concat",  "substr",  "replace",   "trim",
      "ltrim",       "rtrim",    "abs",       "ceil",    "floor",   "datefloor", "dateceil",
      "frommillis",  "tomillis", "ispresent", "isempty", "isblank", "coalesce",  "bin",
      "strcontains", "greatest", "least",     "sqrt",    "log",     "pow",       "round"};
  return k;
}

class Parser {
 public:
  Parser(std::vector<Token> tokens, std::string_view source) : t_(std::move(tokens)), source_(source) {}

  const Token& Peek(std::size_t ahead = 0) const { return t_[std::min(i_ + ahead, t_.size() - 1)]; }
  const Token& Next() { return t_[std::min(i_++, t_.size() - 1)]; }
  bool AtEnd() const { return Peek().kind == Token::Kind::kEnd; }
  bool IsSymbol(std::string_view s, std::size_t ahead = 0) const {
    return Peek(ahead).kind == Token::Kind::kSymbol && Peek(ahead).text == s;
  }
  bool IsWord(std::string_view w, std::size_t ahead = 0) const {
    return Peek(ahead).kind == Token::Kind::kIdent && EqualsIgnoreAsciiCase(Peek(ahead).text, w);
  }
  bool AcceptSymbol(std::string_view s) {
    if (!IsSymbol(s)) return false;
    ++i_;
    return true;
  }
  bool AcceptWord(std::string_view w) {
    if (!IsWord(w)) return false;
    ++i_;
    return true;
  }
  Status ExpectSymbol(std::string_view s) {
    if (!AcceptSymbol(s)) return Malformed(Peek());
    return Status::Ok();
  }
  std::string SourceBetween(std::size_t from_token, std::size_t to_token) const {
    std::size_t a = t_[from_token].pos;
    std::size_t b = to_token < t_.size() ? t_[to_token].pos : source_.size();
    return std::string(TrimAsciiSpace(source_.substr(a, b - a)));
  }
  std::size_t index() const { return i_; }

  Result<ExprPtr> ParseExpr() {
    const std::size_t start = i_;
    CENOTE_ASSIGN_OR_RETURN(ExprPtr e, ParseOr());
    if (e->text.empty()) e->text = SourceBetween(start, i_);
    return e;
  }

 private:
  ExprPtr Make(Expr::Kind kind, std::string name, std::vector<ExprPtr> args, std::size_t start) {
    auto e = std::make_shared<Expr>();
    e->kind = kind;
    e->name = std::move(name);
    e->args = std::move(args);
    e->text = SourceBetween(start, i_);
    return e;
  }

  Result<ExprPtr> ParseOr() {
    const std::size_t start = i_;
    CENOTE_ASSIGN_OR_RETURN(ExprPtr left, ParseAnd());
    while (AcceptWord("or") || AcceptSymbol("||")) {
      CENOTE_ASSIGN_OR_RETURN(ExprPtr right, ParseAnd());
      left = Make(Expr::Kind::kBinary, "or", {left, right}, start);
    }
    return left;
  }
  Result<ExprPtr> ParseAnd() {
    const std::size_t start = i_;
    CENOTE_ASSIGN_OR_RETURN(ExprPtr left, ParseNot());
    while (AcceptWord("and") || AcceptSymbol("&&")) {
      CENOTE_ASSIGN_OR_RETURN(ExprPtr right, ParseNot());
      left = Make(Expr::Kind::kBinary, "and", {left, right}, start);
    }
    return left;
  }
  Result<ExprPtr> ParseNot() {
    const std::size_t start = i_;
    if (AcceptWord("not") || AcceptSymbol("!")) {
      CENOTE_ASSIGN_OR_RETURN(ExprPtr inner, ParseNot());
      return Make(Expr::Kind::kUnary, "not", {inner}, start);
    }
    return ParseComparison();
  }
  Result<ExprPtr> ParseComparison() {
    const std::size_t start = i_;
    CENOTE_ASSIGN_OR_RETURN(ExprPtr left, ParseAdditive());
    for (const char* op : {"=", "==", "!=", "<", "<=", ">", ">=", "=~"}) {
      if (AcceptSymbol(op)) {
        ExprPtr right;
        if (std::string_view(op) == "=~") {
          CENOTE_ASSIGN_OR_RETURN(right, ParseRegexOrString());
        } else {
          CENOTE_ASSIGN_OR_RETURN(right, ParseAdditive());
        }
        return Make(Expr::Kind::kBinary, std::string(op) == "==" ? "=" : op, {left, right}, start);
      }
    }
    bool negated = false;
    if (IsWord("not") && (IsWord("like", 1) || IsWord("in", 1))) {
      ++i_;
      negated = true;
    }
    // `not like` and `not in` are operators of their own: like every comparison, false for an absent field.
    if (AcceptWord("like")) {
      CENOTE_ASSIGN_OR_RETURN(ExprPtr right, ParseRegexOrString());
      return Make(Expr::Kind::kBinary, negated ? "not like" : "like", {left, right}, start);
    }
    if (AcceptWord("in")) {
      CENOTE_ASSIGN_OR_RETURN(ExprPtr list, ParsePrimary());
      if (list->kind != Expr::Kind::kList) return Malformed(Peek());
      return Make(Expr::Kind::kBinary, negated ? "not in" : "in", {left, list}, start);
    }
    if (negated) return Malformed(Peek());
    return left;
  }
  Result<ExprPtr> ParseRegexOrString() {
    const std::size_t start = i_;
    const Token& t = Peek();
    if (t.kind == Token::Kind::kRegex) {
      Next();
      CENOTE_ASSIGN_OR_RETURN(Regex re, Regex::Compile(t.text));
      ExprPtr e = Make(Expr::Kind::kRegex, "", {}, start);
      e->regex = std::make_shared<Regex>(std::move(re));
      return e;
    }
    return ParseAdditive();
  }
  Result<ExprPtr> ParseAdditive() {
    const std::size_t start = i_;
    CENOTE_ASSIGN_OR_RETURN(ExprPtr left, ParseMultiplicative());
    while (IsSymbol("+") || IsSymbol("-")) {
      std::string op = Next().text;
      CENOTE_ASSIGN_OR_RETURN(ExprPtr right, ParseMultiplicative());
      left = Make(Expr::Kind::kBinary, op, {left, right}, start);
    }
    return left;
  }
  Result<ExprPtr> ParseMultiplicative() {
    const std::size_t start = i_;
    CENOTE_ASSIGN_OR_RETURN(ExprPtr left, ParseUnary());
    while (IsSymbol("*") || IsSymbol("/") || IsSymbol("%") || IsSymbol("^")) {
      std::string op = Next().text;
      CENOTE_ASSIGN_OR_RETURN(ExprPtr right, ParseUnary());
      left = Make(Expr::Kind::kBinary, op, {left, right}, start);
    }
    return left;
  }
  Result<ExprPtr> ParseUnary() {
    const std::size_t start = i_;
    if (AcceptSymbol("-")) {
      CENOTE_ASSIGN_OR_RETURN(ExprPtr inner, ParseUnary());
      return Make(Expr::Kind::kUnary, "-", {inner}, start);
    }
    return ParsePrimary();
  }
  Result<ExprPtr> ParsePrimary() {
    const std::size_t start = i_;
    const Token& t = Peek();
    switch (t.kind) {
      case Token::Kind::kNumber:
      case Token::Kind::kDuration: {
        Next();
        ExprPtr e = Make(Expr::Kind::kLiteral, "", {}, start);
        e->literal = Val::Num(t.number);
        return e;
      }
      case Token::Kind::kString: {
        Next();
        ExprPtr e = Make(Expr::Kind::kLiteral, "", {}, start);
        e->literal = Val::Str(t.text);
        return e;
      }
      case Token::Kind::kRegex:
        return ParseRegexOrString();
      case Token::Kind::kField: {
        Next();
        return Make(Expr::Kind::kField, t.text, {}, start);
      }
      case Token::Kind::kIdent: {
        Next();
        if (IsSymbol("(")) {
          const std::string fn = AsciiLower(t.text);
          if (!FunctionNames().contains(fn) && !AggregateNames().contains(fn)) {
            return MalformedText("unknown function " + t.text + " at line 1 and position " +
                                 std::to_string(t.pos + 1));
          }
          Next();
          std::vector<ExprPtr> args;
          if (!IsSymbol(")")) {
            while (true) {
              if (IsSymbol("*") && (IsSymbol(")", 1))) {  // count(*)
                Next();
              } else {
                CENOTE_ASSIGN_OR_RETURN(ExprPtr a, ParseExpr());
                args.push_back(std::move(a));
              }
              if (!AcceptSymbol(",")) break;
            }
          }
          CENOTE_RETURN_IF_ERROR(ExpectSymbol(")"));
          return Make(Expr::Kind::kCall, fn, std::move(args), start);
        }
        if (EqualsIgnoreAsciiCase(t.text, "true") || EqualsIgnoreAsciiCase(t.text, "false")) {
          ExprPtr e = Make(Expr::Kind::kLiteral, "", {}, start);
          e->literal = Val::Str(AsciiLower(t.text));
          return e;
        }
        return Make(Expr::Kind::kField, t.text, {}, start);
      }
      case Token::Kind::kSymbol:
        if (t.text == "(") {
          Next();
          CENOTE_ASSIGN_OR_RETURN(ExprPtr inner, ParseExpr());
          CENOTE_RETURN_IF_ERROR(ExpectSymbol(")"));
          return inner;
        }
        if (t.text == "[") {
          Next();
          std::vector<ExprPtr> items;
          if (!IsSymbol("]")) {
            while (true) {
              CENOTE_ASSIGN_OR_RETURN(ExprPtr a, ParseExpr());
              items.push_back(std::move(a));
              if (!AcceptSymbol(",")) break;
            }
          }
          CENOTE_RETURN_IF_ERROR(ExpectSymbol("]"));
          return Make(Expr::Kind::kList, "", std::move(items), start);
        }
        return Malformed(t);
      case Token::Kind::kEnd:
        return Malformed(t);
    }
    return Malformed(t);
  }

  std::vector<Token> t_;
  std::size_t i_ = 0;
  std::string_view source_;
};

bool ContainsAggregate(const Expr& e) {
  if (e.kind == Expr::Kind::kCall && AggregateNames().contains(e.name)) return true;
  for (const auto& a : e.args) {
    if (ContainsAggregate(*a)) return true;
  }
  return false;
}

// ---- commands

struct NamedExpr {
  ExprPtr expr;
  std::string name;
};

struct SortKey {
  ExprPtr expr;
  bool descending = false;
};

struct Command {
  enum class Kind { kFields, kDisplay, kFilter, kStats, kSort, kLimit, kParse, kDedup } kind = Kind::kFields;
  std::vector<NamedExpr> items;  // fields / display / stats aggregates / dedup fields
  std::vector<NamedExpr> by;     // stats ... by
  ExprPtr expr;                  // filter condition, parse source
  std::vector<SortKey> sort;
  std::int64_t limit = 0;
  // parse
  std::shared_ptr<Regex> regex;
  std::vector<std::string> parse_names;

  bool streaming() const {
    return kind == Kind::kFields || kind == Kind::kFilter || kind == Kind::kParse || kind == Kind::kDisplay;
  }
};

// A parse glob as a regex: each `*` a lazy named group (the last one greedy when the glob ends with it).
std::string GlobToRegex(std::string_view glob, const std::vector<std::string>& names) {
  std::string out;
  std::size_t star = 0;
  for (std::size_t i = 0; i < glob.size(); ++i) {
    char c = glob[i];
    if (c == '*') {
      const std::string name = star < names.size() ? names[star] : "_" + std::to_string(star);
      ++star;
      out += "(?<" + name + ">" + (i + 1 == glob.size() ? ".*)" : ".*?)");
    } else if (std::string_view("\\^$.|?+()[]{}").find(c) != std::string_view::npos) {
      out += '\\';
      out += c;
    } else {
      out += c;
    }
  }
  return out;
}

Result<std::vector<NamedExpr>> ParseNamedList(Parser& p, bool allow_alias) {
  std::vector<NamedExpr> out;
  while (true) {
    CENOTE_ASSIGN_OR_RETURN(ExprPtr e, p.ParseExpr());
    NamedExpr item{.expr = e, .name = e->kind == Expr::Kind::kField ? e->name : e->text};
    if (allow_alias && p.AcceptWord("as")) {
      const Token& alias = p.Next();
      if (alias.kind != Token::Kind::kIdent && alias.kind != Token::Kind::kField) return Malformed(alias);
      item.name = alias.text;
    }
    out.push_back(std::move(item));
    if (!p.AcceptSymbol(",")) break;
  }
  return out;
}

Result<Command> ParseCommand(Parser& p) {
  const Token& head = p.Next();
  if (head.kind != Token::Kind::kIdent) return Malformed(head);
  const std::string word = AsciiLower(head.text);
  Command c;
  if (word == "fields" || word == "display") {
    c.kind = word == "fields" ? Command::Kind::kFields : Command::Kind::kDisplay;
    CENOTE_ASSIGN_OR_RETURN(c.items, ParseNamedList(p, word == "fields"));
  } else if (word == "filter") {
    c.kind = Command::Kind::kFilter;
    CENOTE_ASSIGN_OR_RETURN(c.expr, p.ParseExpr());
  } else if (word == "stats") {
    c.kind = Command::Kind::kStats;
    CENOTE_ASSIGN_OR_RETURN(c.items, ParseNamedList(p, true));
    for (const auto& item : c.items) {
      if (!ContainsAggregate(*item.expr)) {
        return MalformedText("stats requires an aggregate function: " + item.expr->text);
      }
    }
    if (p.AcceptWord("by")) {
      CENOTE_ASSIGN_OR_RETURN(c.by, ParseNamedList(p, true));
    }
  } else if (word == "sort") {
    c.kind = Command::Kind::kSort;
    while (true) {
      CENOTE_ASSIGN_OR_RETURN(ExprPtr e, p.ParseExpr());
      SortKey key{.expr = e, .descending = false};
      if (p.AcceptWord("desc")) {
        key.descending = true;
      } else {
        p.AcceptWord("asc");
      }
      c.sort.push_back(std::move(key));
      if (!p.AcceptSymbol(",")) break;
    }
  } else if (word == "limit") {
    c.kind = Command::Kind::kLimit;
    const Token& n = p.Next();
    if (n.kind != Token::Kind::kNumber || n.number < 1 || std::floor(n.number) != n.number)
      return Malformed(n);
    c.limit = static_cast<std::int64_t>(n.number);
  } else if (word == "dedup") {
    c.kind = Command::Kind::kDedup;
    CENOTE_ASSIGN_OR_RETURN(c.items, ParseNamedList(p, false));
  } else if (word == "parse") {
    c.kind = Command::Kind::kParse;
    if (p.Peek().kind == Token::Kind::kString || p.Peek().kind == Token::Kind::kRegex) {
      c.expr = std::make_shared<Expr>();
      c.expr->kind = Expr::Kind::kField;
      c.expr->name = "@message";
    } else {
      const Token& field = p.Next();
      if (field.kind != Token::Kind::kField && field.kind != Token::Kind::kIdent) return Malformed(field);
      c.expr = std::make_shared<Expr>();
      c.expr->kind = Expr::Kind::kField;
      c.expr->name = field.text;
    }
    const Token& pattern = p.Next();
    if (pattern.kind == Token::Kind::kString) {
      const std::size_t stars =
          static_cast<std::size_t>(std::count(pattern.text.begin(), pattern.text.end(), '*'));
      if (!p.AcceptWord("as")) return Malformed(p.Peek());
      while (true) {
        const Token& name = p.Next();
        if (name.kind != Token::Kind::kIdent && name.kind != Token::Kind::kField) return Malformed(name);
        c.parse_names.push_back(name.text);
        if (!p.AcceptSymbol(",")) break;
      }
      if (c.parse_names.size() != stars) {
        return MalformedText("parse: the pattern has " + std::to_string(stars) + " wildcards but " +
                             std::to_string(c.parse_names.size()) + " field names");
      }
      CENOTE_ASSIGN_OR_RETURN(Regex re, Regex::Compile(GlobToRegex(pattern.text, c.parse_names)));
      c.regex = std::make_shared<Regex>(std::move(re));
    } else if (pattern.kind == Token::Kind::kRegex) {
      CENOTE_ASSIGN_OR_RETURN(Regex re, Regex::Compile(pattern.text));
      if (re.names().empty()) return MalformedText("parse: a regex needs named groups (?<name>...)");
      c.regex = std::make_shared<Regex>(std::move(re));
    } else {
      return Malformed(pattern);
    }
  } else {
    return Malformed(head);
  }
  if (!p.AtEnd() && !p.IsSymbol("|")) return Malformed(p.Peek());
  return c;
}

// ---- translation to SQL
//
// A query becomes one SELECT over `s3object`, the events exported as CSV (ExportHeader below): a chain of
// CTEs, one per command (and per computed field), each `SELECT *, <new columns> FROM <previous>`, so that a
// field defined by `fields`, `parse` or `stats` is a column from then on. Insights' values are dynamically
// typed; the translation types each expression statically instead: numbers (DOUBLE), timestamps (DOUBLE
// milliseconds) and text (VARCHAR, which also holds the fields of JSON messages and parse captures, read as
// numbers where they parse as one, as Insights does). Absent fields are NULL; a comparison with one is false.
// Every user value reaches SQL as a quoted literal.

enum class Kind { kNum, kTime, kStr };

struct Sql {
  std::string text;
  Kind kind = Kind::kStr;
  bool numeric() const { return kind != Kind::kStr; }
};

std::string Quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

std::string DoubleLiteral(double v) {
  char buf[64];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return "CAST(" + std::string(buf, ec == std::errc() ? ptr : buf) + " AS DOUBLE)";
}

const char* kNullText = "CAST(NULL AS VARCHAR)";

// The number a value reads as (NULL when it is not one).
std::string NumOf(const Sql& x) {
  if (x.numeric()) return x.text;
  return "(CASE WHEN isfinite(TRY_CAST(" + x.text + " AS DOUBLE)) THEN TRY_CAST(" + x.text +
         " AS DOUBLE) END)";
}

// The text a value prints as (Insights' number and timestamp rendering).
std::string TextOf(const Sql& x) {
  switch (x.kind) {
    case Kind::kStr:
      return x.text;
    case Kind::kNum:
      return "(CASE WHEN isfinite(" + x.text + ") AND " + x.text + " = floor(" + x.text + ") AND abs(" +
             x.text + ") < 1e15 THEN CAST(CAST(" + x.text + " AS BIGINT) AS VARCHAR) ELSE CAST(" + x.text +
             " AS VARCHAR) END)";
    case Kind::kTime:
      return "strftime(make_timestamp(CAST(" + x.text + " * 1000 AS BIGINT)), '%Y-%m-%d %H:%M:%S.%g')";
  }
  return x.text;
}

std::string Truthy(const Sql& x) {
  if (x.numeric()) return "coalesce(" + x.text + " <> 0, false)";
  return "coalesce(" + x.text + " <> '' AND " + x.text + " <> 'false', false)";
}

Sql BoolValue(const std::string& condition) { return {"CAST(" + condition + " AS DOUBLE)", Kind::kNum}; }

// Insights' comparison: numerically when both sides are numbers, else as text; false when one is absent.
std::string Compare(const Sql& a, const Sql& b, std::string op) {
  if (op == "!=") op = "<>";
  if (a.numeric() && b.numeric()) return "coalesce(" + a.text + " " + op + " " + b.text + ", false)";
  const std::string na = NumOf(a), nb = NumOf(b);
  return "coalesce(CASE WHEN " + na + " IS NOT NULL AND " + nb + " IS NOT NULL THEN " + na + " " + op + " " +
         nb + " ELSE " + TextOf(a) + " " + op + " " + TextOf(b) + " END, false)";
}

// `sort`'s natural order of text: digit runs compare by length, then value (each run prefixed by its length).
std::string NaturalKey(const std::string& text) {
  return "array_to_string(list_transform(regexp_extract_all(" + text +
         ", '[0-9]+|[^0-9]+'), lambda s: CASE WHEN s[1] BETWEEN '0' AND '9' THEN lpad(CAST(length(s) AS "
         "VARCHAR), "
         "10, '0') || s ELSE s END), '')";
}

// ORDER BY terms of `sort`: absent values first, then (text) non-numbers before numbers, numbers by value,
// other text naturally. `desc` reverses all of it.
std::vector<std::string> SortTerms(const Sql& x, bool descending) {
  const std::string dir = descending ? " DESC" : " ASC";
  std::vector<std::string> out{"(" + x.text + " IS NOT NULL)" + dir};
  if (x.numeric()) {
    out.push_back(x.text + dir);
  } else {
    const std::string n = NumOf(x);
    out.push_back("(" + n + " IS NOT NULL)" + dir);
    out.push_back(n + dir);
    out.push_back(NaturalKey(x.text) + dir);
  }
  return out;
}

// The order of stats groups: absent first, numbers by value, then text.
std::vector<std::string> GroupTerms(const Sql& x) {
  std::vector<std::string> out{"(" + x.text + " IS NOT NULL)"};
  if (x.numeric()) {
    out.push_back(x.text);
  } else {
    const std::string n = NumOf(x);
    out.push_back("(" + n + " IS NULL)");
    out.push_back(n);
    out.push_back(x.text);
  }
  return out;
}

// The fields Insights discovers in Lambda's START/END/REPORT lines.
std::optional<Sql> LambdaField(const std::string& name) {
  auto extract = [](const std::string& re) {
    return "nullif(regexp_extract(_msg, " + Quote(re) + ", 1), '')";
  };
  const std::string report = "^REPORT RequestId: [^\\t]*\\t(?:.*\\t)?";
  auto number = [&](const std::string& label, const char* scale) {
    Sql text{extract(report + label + ": ([0-9.]+)"), Kind::kStr};
    return Sql{"(" + NumOf(text) + scale + ")", Kind::kNum};
  };
  if (name == "@type") return Sql{extract("^(START|END|REPORT) RequestId: "), Kind::kStr};
  if (name == "@requestId") return Sql{extract("^(?:START|END|REPORT) RequestId: ([^\\s]+)"), Kind::kStr};
  if (name == "@duration") return number("Duration", "");
  if (name == "@billedDuration") return number("Billed Duration", "");
  if (name == "@initDuration") return number("Init Duration", "");
  if (name == "@memorySize") return number("Memory Size", " * 1000000");
  if (name == "@maxMemoryUsed") return number("Max Memory Used", " * 1000000");
  return std::nullopt;
}

// A field of a JSON message: `a.b.0` is $.a.b[0].
std::string JsonPath(const std::string& name) {
  std::string path = "$";
  for (std::string_view part : SplitString(name, '.')) {
    const bool index = !part.empty() && std::all_of(part.begin(), part.end(), IsAsciiDigit);
    if (index) {
      path += "[" + std::string(part) + "]";
    } else {
      path += ".\"";
      for (char c : part) {
        if (c == '"' || c == '\\') path += '\\';
        path += c;
      }
      path += '"';
    }
  }
  return path;
}

// The CSV the events are exported to, and the relation every translation starts from.
constexpr const char* kExportHeader = "rn,ts,ing,grp,id,stream,log,message\n";
// `_jf`: the JSON fields the query names, read from each message in one pass (a message that is not a JSON
// object has none).
std::string BaseCte(const std::vector<std::string>& json_paths) {
  std::string out =
      "e0 AS (SELECT CAST(rn AS BIGINT) AS _rn, CAST(ts AS DOUBLE) AS _ts, CAST(ing AS DOUBLE) AS _ing, grp "
      "AS "
      "_grp, id AS _id, stream AS _stream, log AS _log, coalesce(message, '') AS _msg";
  if (!json_paths.empty()) {
    std::string list;
    for (const std::string& p : json_paths) list += (list.empty() ? "" : ", ") + Quote(p);
    out +=
        ", CASE WHEN starts_with(ltrim(message), '{') AND json_valid(message) THEN "
        "json_extract_string(message, [" +
        list + "]) END AS _jf";
  }
  return out + " FROM s3object)";
}

struct Translation {
  std::string
      sql;  // result columns: one per output column, then _grp and _id if `ptr`, then _m if `matched_column`
  std::vector<std::string> columns;  // the output columns' field names
  bool ptr = false;                  // rows are events: @ptr is made from _grp and _id
  // recordsMatched: every event read (no filter before the first stats, sort, limit or dedup), the last
  // result column (a stats right after the filters counts them), or what `matched_sql` counts.
  bool matched_all = false;
  bool matched_column = false;
  std::string matched_sql;
  std::int64_t export_cap = -1;  // events after which the export may stop (-1: all)
};

class Translator {
 public:
  explicit Translator(const std::vector<Command>& commands) : commands_(commands) {}

  Translation Run(std::int64_t max_rows) {
    Translation t;
    ctes_.push_back("");  // the base, written last (it depends on the JSON fields the query names)
    prev_ = "e0";
    order_ = {"_rn"};
    std::size_t prefix = 0;
    while (prefix < commands_.size() && commands_[prefix].streaming()) ++prefix;
    bool prefix_filters = false;
    std::size_t prefix_ctes = 0;
    std::string prefix_relation;
    for (std::size_t k = 0; k < commands_.size(); ++k) {
      const Command& c = commands_[k];
      if (k == prefix) {
        prefix_ctes = ctes_.size();
        prefix_relation = prev_;
        count_matched_ = prefix_filters && c.kind == Command::Kind::kStats;
      }
      if (k < prefix && c.kind == Command::Kind::kFilter) prefix_filters = true;
      Apply(c);
    }
    if (prefix == commands_.size()) {
      prefix_ctes = ctes_.size();
      prefix_relation = prev_;
    }
    // Without a filter before it, a limit (or the result cap) is reached after that many events.
    if (!prefix_filters) {
      if (prefix == commands_.size()) t.export_cap = max_rows;
      if (prefix < commands_.size() && commands_[prefix].kind == Command::Kind::kLimit)
        t.export_cap = std::min(max_rows, commands_[prefix].limit);
    }
    if (columns_.empty()) columns_ = {"@timestamp", "@message"};
    std::vector<std::string> select;
    for (const std::string& col : columns_) {
      if (col == "@ptr" && has_event_ && !scope_.contains(col)) {
        select.push_back(kNullText);  // made from _grp and _id
      } else {
        select.push_back(TextOf(Lookup(col)));
      }
    }
    t.ptr = has_event_ && !aggregated_;
    if (t.ptr) {
      select.push_back("_grp");
      select.push_back("_id");
    }
    if (count_matched_) select.push_back("CAST(_m AS VARCHAR)");
    for (std::size_t i = 0; i < select.size(); ++i) select[i] += " AS v" + std::to_string(i);
    ctes_[0] = BaseCte(json_paths_);
    t.matched_all = !prefix_filters;
    t.matched_column = count_matched_;
    if (prefix_filters && !count_matched_) {
      const std::vector<std::string> before(ctes_.begin(),
                                            ctes_.begin() + static_cast<std::ptrdiff_t>(prefix_ctes));
      t.matched_sql =
          "WITH " + Join(before, ", ") + " SELECT CAST(count(*) AS VARCHAR) FROM " + prefix_relation;
    }
    t.sql = "WITH " + Join(ctes_, ", ") + " SELECT " + Join(select, ", ") + " FROM " + prev_ + " ORDER BY " +
            Join(order_, ", ") + " LIMIT " + std::to_string(max_rows);
    t.columns = columns_;
    return t;
  }

 private:
  struct Binding {
    std::string column;
    Kind kind;
  };

  static std::string Join(const std::vector<std::string>& parts, const std::string& sep) {
    std::string out;
    for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? sep : "") + parts[i];
    return out;
  }

  std::string NewColumn() { return "c" + std::to_string(next_column_++); }
  void AddCte(const std::string& body) {
    const std::string name = "e" + std::to_string(ctes_.size());
    ctes_.push_back(name + " AS (" + body + ")");
    prev_ = name;
  }
  void AddColumns(const Command& c) {
    if (c.kind == Command::Kind::kDisplay) columns_.clear();
    if (c.kind == Command::Kind::kStats) {
      columns_.clear();
      for (const auto& b : c.by) columns_.push_back(b.name);
    }
    for (const auto& item : c.items) {
      if (std::find(columns_.begin(), columns_.end(), item.name) == columns_.end())
        columns_.push_back(item.name);
    }
  }

  Sql Lookup(const std::string& name) {
    if (auto it = scope_.find(name); it != scope_.end()) return {it->second.column, it->second.kind};
    if (!has_event_) return {kNullText, Kind::kStr};
    if (name == "@timestamp") return {"_ts", Kind::kTime};
    if (name == "@ingestionTime") return {"_ing", Kind::kTime};
    if (name == "@message") return {"_msg", Kind::kStr};
    if (name == "@logStream") return {"_stream", Kind::kStr};
    if (name == "@log") return {"_log", Kind::kStr};
    if (name == "@ptr") return {kNullText, Kind::kStr};
    if (auto lambda = LambdaField(name)) return *lambda;
    const std::string path = JsonPath(name);
    auto it = std::find(json_paths_.begin(), json_paths_.end(), path);
    const std::size_t index = static_cast<std::size_t>(it - json_paths_.begin());
    if (it == json_paths_.end()) json_paths_.push_back(path);
    return {"_jf[" + std::to_string(index + 1) + "]", Kind::kStr};
  }

  Sql Tr(const Expr& e) {
    switch (e.kind) {
      case Expr::Kind::kLiteral:
        if (e.literal.kind == Val::Kind::kStr) return {Quote(e.literal.str), Kind::kStr};
        if (e.literal.null()) return {kNullText, Kind::kStr};
        return {DoubleLiteral(e.literal.num), Kind::kNum};
      case Expr::Kind::kField:
        return Lookup(e.name);
      case Expr::Kind::kList:
      case Expr::Kind::kRegex:
        return {kNullText, Kind::kStr};
      case Expr::Kind::kCall:
        return TrCall(e);
      case Expr::Kind::kUnary: {
        Sql v = Tr(*e.args[0]);
        if (e.name == "not") return BoolValue("NOT " + Truthy(v));
        return {"(-" + NumOf(v) + ")", Kind::kNum};
      }
      case Expr::Kind::kBinary:
        break;
    }
    const std::string& op = e.name;
    if (op == "and" || op == "or") {
      return BoolValue("(" + Truthy(Tr(*e.args[0])) + (op == "and" ? " AND " : " OR ") +
                       Truthy(Tr(*e.args[1])) + ")");
    }
    Sql left = Tr(*e.args[0]);
    const Expr& rhs = *e.args[1];
    if (op == "like" || op == "not like" || op == "=~") {
      const std::string text = TextOf(left);
      std::string found;
      if (rhs.kind == Expr::Kind::kRegex) {
        found = "regexp_matches(" + text + ", " + Quote(rhs.regex->sql_pattern()) + ")";
      } else if (op == "=~") {
        found = "regexp_matches(" + text + ", coalesce(" + TextOf(Tr(rhs)) + ", ''))";
      } else {
        found = "contains(" + text + ", coalesce(" + TextOf(Tr(rhs)) + ", ''))";
      }
      return BoolValue("coalesce(" + std::string(op == "not like" ? "NOT " : "") + found + ", false)");
    }
    if (op == "in" || op == "not in") {
      std::vector<std::string> eq;
      for (const auto& item : rhs.args) eq.push_back(Compare(left, Tr(*item), "="));
      const std::string any = eq.empty() ? "false" : "(" + Join(eq, " OR ") + ")";
      const std::string present = "(" + left.text + " IS NOT NULL)";
      return BoolValue(op == "in" ? any : "(" + present + " AND NOT " + any + ")");
    }
    Sql right = Tr(rhs);
    if (op == "=" || op == "!=" || op == "<" || op == "<=" || op == ">" || op == ">=") {
      return BoolValue(Compare(left, right, op));
    }
    const std::string a = NumOf(left), b = NumOf(right);
    if (op == "+" || op == "-" || op == "*") return {"(" + a + " " + op + " " + b + ")", Kind::kNum};
    if (op == "/") return {"(CASE WHEN " + b + " <> 0 THEN " + a + " / " + b + " END)", Kind::kNum};
    if (op == "%") return {"(CASE WHEN " + b + " <> 0 THEN fmod(" + a + ", " + b + ") END)", Kind::kNum};
    if (op == "^") return {"pow(" + a + ", " + b + ")", Kind::kNum};
    return {kNullText, Kind::kStr};
  }

  Sql TrCall(const Expr& e) {
    const std::string& fn = e.name;
    if (AggregateNames().contains(fn)) {
      if (!in_stats_) return {kNullText, Kind::kStr};
      return TrAggregate(e);
    }
    std::vector<Sql> a;
    for (const auto& arg : e.args) a.push_back(Tr(*arg));
    auto arg = [&](std::size_t k) { return k < a.size() ? a[k] : Sql{kNullText, Kind::kStr}; };
    auto num = [&](std::size_t k) { return NumOf(arg(k)); };
    auto text = [&](std::size_t k) { return TextOf(arg(k)); };
    if (fn == "ispresent") return BoolValue("(" + arg(0).text + " IS NOT NULL)");
    if (fn == "isempty" || fn == "isblank") {
      Sql v = arg(0);
      if (v.numeric()) return BoolValue("(" + v.text + " IS NULL)");
      const std::string t = fn == "isempty" ? v.text : "trim(" + v.text + ", ' \t\n\r\f\v')";
      return BoolValue("coalesce(" + t + " = '', true)");
    }
    if (fn == "coalesce") {
      if (a.empty()) return {kNullText, Kind::kStr};
      bool same = true;
      for (const Sql& v : a) same = same && v.kind == a[0].kind;
      std::vector<std::string> parts;
      for (const Sql& v : a) parts.push_back(same ? v.text : TextOf(v));
      return {"coalesce(" + Join(parts, ", ") + ")", same ? a[0].kind : Kind::kStr};
    }
    if (fn == "bin") {
      if (!has_event_) return {"CAST(NULL AS DOUBLE)", Kind::kTime};
      const std::string p = num(0);
      return {"(CASE WHEN " + p + " > 0 THEN floor(_ts / " + p + ") * " + p + " END)", Kind::kTime};
    }
    if (fn == "datefloor" || fn == "dateceil") {
      const std::string t = num(0), p = num(1);
      return {"(CASE WHEN " + p + " > 0 THEN " + (fn == "datefloor" ? "floor" : "ceil") + "(" + t + " / " +
                  p + ") * " + p + " END)",
              Kind::kTime};
    }
    if (fn == "frommillis") return {num(0), Kind::kTime};
    if (fn == "tomillis") return {num(0), Kind::kNum};
    if (fn == "abs" || fn == "ceil" || fn == "floor" || fn == "round")
      return {fn + "(" + num(0) + ")", Kind::kNum};
    if (fn == "sqrt") return {"(CASE WHEN " + num(0) + " >= 0 THEN sqrt(" + num(0) + ") END)", Kind::kNum};
    if (fn == "log") return {"(CASE WHEN " + num(0) + " > 0 THEN ln(" + num(0) + ") END)", Kind::kNum};
    if (fn == "pow") return {"pow(" + num(0) + ", " + num(1) + ")", Kind::kNum};
    if (fn == "greatest" || fn == "least") {
      bool numeric = !a.empty();
      for (const Sql& v : a) numeric = numeric && v.numeric();
      std::vector<std::string> parts;
      for (const Sql& v : a) parts.push_back(numeric ? v.text : TextOf(v));
      return {fn + "(" + Join(parts, ", ") + ")", numeric ? a[0].kind : Kind::kStr};
    }
    if (fn == "strlen") return {"CAST(length(" + text(0) + ") AS DOUBLE)", Kind::kNum};
    if (fn == "toupper") return {"upper(" + text(0) + ")", Kind::kStr};
    if (fn == "tolower") return {"lower(" + text(0) + ")", Kind::kStr};
    if (fn == "trim") return {"trim(" + text(0) + ", ' \t\n\r\f\v')", Kind::kStr};
    if (fn == "ltrim") return {"ltrim(" + text(0) + ", ' \t\n\r\f\v')", Kind::kStr};
    if (fn == "rtrim") return {"rtrim(" + text(0) + ", ' \t\n\r\f\v')", Kind::kStr};
    if (fn == "strcontains") return BoolValue("contains(" + text(0) + ", coalesce(" + text(1) + ", ''))");
    if (fn == "concat") {
      std::vector<std::string> parts;
      for (const Sql& v : a) parts.push_back("coalesce(" + TextOf(v) + ", '')");
      return {parts.empty() ? "''" : "(" + Join(parts, " || ") + ")", Kind::kStr};
    }
    if (fn == "substr") {
      const std::string from = "greatest(CAST(trunc(" + num(1) + ") AS BIGINT), 0) + 1";
      if (a.size() > 2) {
        return {
            "substring(" + text(0) + ", " + from + ", greatest(CAST(trunc(" + num(2) + ") AS BIGINT), 0))",
            Kind::kStr};
      }
      return {"substring(" + text(0) + ", " + from + ")", Kind::kStr};
    }
    if (fn == "replace") {
      return {"(CASE WHEN coalesce(" + text(1) + ", '') = '' THEN " + text(0) + " ELSE replace(" + text(0) +
                  ", " + text(1) + ", coalesce(" + text(2) + ", '')) END)",
              Kind::kStr};
    }
    return {kNullText, Kind::kStr};
  }

  Sql TrAggregate(const Expr& e) {
    const std::string& fn = e.name;
    if (e.args.empty()) return {"CAST(count(*) AS DOUBLE)", Kind::kNum};
    const Sql v = Tr(*e.args[0]);
    const std::string n = NumOf(v);
    if (fn == "count") return {"CAST(count(" + v.text + ") AS DOUBLE)", Kind::kNum};
    if (fn == "sum") return {"sum(" + n + ")", Kind::kNum};
    if (fn == "avg") return {"avg(" + n + ")", Kind::kNum};
    if (fn == "stddev") {
      return {"(CASE WHEN count(" + n + ") = 1 THEN 0 ELSE stddev_samp(" + n + ") END)", Kind::kNum};
    }
    if (fn == "count_distinct") return {"CAST(count(DISTINCT " + TextOf(v) + ") AS DOUBLE)", Kind::kNum};
    if (fn == "pct") {
      std::string p = e.args.size() > 1 ? NumOf(Tr(*e.args[1])) : "50";
      p = "least(greatest(coalesce(" + p + ", 50), 0), 100)";
      return {"list_sort(list(" + n + ") FILTER (WHERE " + n + " IS NOT NULL))[CAST(greatest(1, ceil(" + p +
                  " / 100 * count(" + n + "))) AS BIGINT)]",
              Kind::kNum};
    }
    if (fn == "earliest" || fn == "latest") {
      return {std::string(fn == "earliest" ? "arg_min" : "arg_max") + "(" + v.text + ", " +
                  (has_event_ ? "_ts" : "0") + ") FILTER (WHERE " + v.text + " IS NOT NULL)",
              v.kind};
    }
    // min, max, sortsfirst, sortslast: by value when every value is a number, else as text.
    const bool less = fn == "min" || fn == "sortsfirst";
    if (v.numeric()) return {std::string(less ? "min(" : "max(") + v.text + ")", v.kind};
    return {"(CASE WHEN count(" + v.text + ") = count(" + n + ") THEN " + (less ? "arg_min(" : "arg_max(") +
                v.text + ", " + n + ") FILTER (WHERE " + v.text + " IS NOT NULL) ELSE " +
                (less ? "min(" : "max(") + v.text + ") END)",
            Kind::kStr};
  }

  // Defines (or redefines) `name` as `expr` in a new CTE.
  void Define(const std::string& name, const Sql& value) {
    const std::string col = NewColumn();
    AddCte("SELECT *, " + value.text + " AS " + col + " FROM " + prev_);
    scope_[name] = Binding{col, value.kind};
  }

  void Apply(const Command& c) {
    switch (c.kind) {
      case Command::Kind::kFields:
        for (const auto& item : c.items) {
          if (item.expr->kind == Expr::Kind::kField && item.expr->name == item.name) continue;  // a selection
          Define(item.name, Tr(*item.expr));
        }
        AddColumns(c);
        return;
      case Command::Kind::kDisplay:
        AddColumns(c);
        return;
      case Command::Kind::kFilter:
        AddCte("SELECT * FROM " + prev_ + " WHERE " + Truthy(Tr(*c.expr)));
        return;
      case Command::Kind::kParse: {
        const std::string source = TextOf(Tr(*c.expr));
        const std::string re = Quote(c.regex->sql_pattern());
        std::vector<std::string> cols;
        std::vector<std::pair<std::string, Binding>> defined;
        for (const auto& [index, name] : c.regex->names()) {
          Sql old = Lookup(name);
          const std::string col = NewColumn();
          cols.push_back("CASE WHEN regexp_matches(" + source + ", " + re + ") THEN regexp_extract(" +
                         source + ", " + re + ", " + std::to_string(index) + ") ELSE " + TextOf(old) +
                         " END AS " + col);
          defined.emplace_back(name, Binding{col, Kind::kStr});
        }
        AddCte("SELECT *, " + Join(cols, ", ") + " FROM " + prev_);
        for (auto& [name, b] : defined) scope_[name] = b;
        return;
      }
      case Command::Kind::kStats: {
        std::vector<std::string> select, group;
        std::vector<std::pair<std::string, Binding>> defined;
        std::vector<std::string> order;
        for (const auto& b : c.by) {
          Sql v = Tr(*b.expr);
          const std::string col = NewColumn();
          select.push_back(v.text + " AS " + col);
          group.push_back(std::to_string(select.size()));
          defined.emplace_back(b.name, Binding{col, v.kind});
          for (std::string& term : GroupTerms({col, v.kind})) order.push_back(std::move(term));
        }
        in_stats_ = true;
        for (const auto& item : c.items) {
          Sql v = Tr(*item.expr);
          const std::string col = NewColumn();
          select.push_back(v.text + " AS " + col);
          defined.emplace_back(item.name, Binding{col, v.kind});
        }
        in_stats_ = false;
        // recordsMatched: the records this stats read (the first one, right after the filters), carried on.
        if (count_matched_) select.push_back(first_stats_ ? "sum(count(*)) OVER () AS _m" : "max(_m) AS _m");
        first_stats_ = false;
        AddCte("SELECT " + Join(select, ", ") + " FROM " + prev_ +
               (group.empty() ? "" : " GROUP BY " + Join(group, ", ")));
        scope_.clear();
        for (auto& [name, b] : defined) scope_[name] = b;
        has_event_ = false;
        aggregated_ = true;
        order_ = order.empty() ? std::vector<std::string>{"1"} : order;
        AddColumns(c);
        return;
      }
      case Command::Kind::kSort: {
        std::vector<std::string> cols, order;
        for (const auto& key : c.sort) {
          const Sql v = Tr(*key.expr);
          for (const std::string& term : SortTerms(v, key.descending)) {
            const std::string col = NewColumn();
            const bool desc = term.ends_with(" DESC");
            cols.push_back(term.substr(0, term.size() - (desc ? 5 : 4)) + " AS " + col);
            order.push_back(col + (desc ? " DESC" : " ASC"));
          }
        }
        AddCte("SELECT *, " + Join(cols, ", ") + " FROM " + prev_);
        for (const std::string& o : order_) order.push_back(o);
        order_ = std::move(order);
        return;
      }
      case Command::Kind::kLimit:
        AddCte("SELECT * FROM " + prev_ + " ORDER BY " + Join(order_, ", ") + " LIMIT " +
               std::to_string(c.limit));
        return;
      case Command::Kind::kDedup: {
        std::vector<std::string> keys;
        for (const auto& item : c.items) keys.push_back("coalesce(" + TextOf(Tr(*item.expr)) + ", '')");
        AddCte("SELECT * FROM " + prev_ + " QUALIFY row_number() OVER (PARTITION BY " + Join(keys, ", ") +
               " ORDER BY " + Join(order_, ", ") + ") = 1");
        return;
      }
    }
  }

  const std::vector<Command>& commands_;
  std::vector<std::string> ctes_;
  std::string prev_;
  std::vector<std::string> order_;  // ORDER BY terms of the current relation
  std::map<std::string, Binding> scope_;
  std::vector<std::string> columns_;
  std::vector<std::string> json_paths_;  // the JSON fields named, as `_jf` holds them
  bool count_matched_ = false;           // the first stats counts recordsMatched into `_m`
  bool first_stats_ = true;
  bool has_event_ = true;  // rows are events (before the first stats)
  bool aggregated_ = false;
  bool in_stats_ = false;
  int next_column_ = 0;
};

// A CSV field, always quoted.
void AppendQuoted(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

}  // namespace

struct InsightsQuery::Impl {
  std::vector<Command> commands;
};

InsightsQuery::InsightsQuery(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
InsightsQuery::InsightsQuery(InsightsQuery&&) noexcept = default;
InsightsQuery& InsightsQuery::operator=(InsightsQuery&&) noexcept = default;
InsightsQuery::~InsightsQuery() = default;

Result<InsightsQuery> InsightsQuery::Parse(std::string_view text) {
  CENOTE_ASSIGN_OR_RETURN(std::vector<Token> tokens, Lex(text));
  Parser p(std::move(tokens), text);
  auto impl = std::make_unique<Impl>();
  if (p.AtEnd()) return MalformedText("The query is empty.");
  while (!p.AtEnd()) {
    CENOTE_ASSIGN_OR_RETURN(Command c, ParseCommand(p));
    impl->commands.push_back(std::move(c));
    if (!p.AtEnd()) {
      CENOTE_RETURN_IF_ERROR(p.ExpectSymbol("|"));
      if (p.AtEnd()) return Malformed(p.Peek());
    }
  }
  return InsightsQuery(std::move(impl));
}

std::string InsightsQuery::ToSql(std::int64_t max_rows) const {
  return Translator(impl_->commands).Run(max_rows).sql;
}

Result<InsightsQuery::Outcome> InsightsQuery::Run(
    const std::function<void(const std::function<bool(const InsightsEvent&)>&)>& read, std::int64_t max_rows,
    const std::atomic<bool>& cancelled, query::QueryEngine& engine, const std::string& csv_path) const {
  Outcome out;
  const auto started = std::chrono::steady_clock::now();
  const Translation t = Translator(impl_->commands).Run(max_rows);
  // Export the events. Pointers: an event's group index and id (or its own pointer, kept as a "group").
  std::vector<std::pair<std::string, bool>> pointers;  // prefix, or whole pointer (true)
  std::map<std::string, std::size_t, std::less<>> pointer_index;
  {
    std::ofstream file(csv_path, std::ios::binary | std::ios::trunc);
    if (!file) return InternalError("cannot write the query's events");
    std::string buf = kExportHeader;
    std::int64_t rn = 0;
    read([&](const InsightsEvent& e) {
      if (cancelled.load(std::memory_order_relaxed)) return false;
      if (t.export_cap >= 0 && rn >= t.export_cap) return false;
      out.statistics.records_scanned += 1;
      out.statistics.bytes_scanned += static_cast<double>(e.message.size());
      const bool whole = !e.ptr.empty();
      std::string_view key = whole ? std::string_view(e.ptr) : e.ptr_prefix;
      auto it = pointer_index.find(key);
      if (it == pointer_index.end()) {
        it = pointer_index.emplace(std::string(key), pointers.size()).first;
        pointers.emplace_back(std::string(key), whole);
      }
      buf += std::to_string(rn++);
      buf += ',';
      buf += std::to_string(e.timestamp);
      buf += ',';
      buf += std::to_string(e.ingestion);
      buf += ',';
      buf += std::to_string(it->second);
      buf += ',';
      buf += std::to_string(e.id);
      buf += ',';
      AppendQuoted(buf, e.log_stream);
      buf += ',';
      AppendQuoted(buf, e.log);
      buf += ',';
      AppendQuoted(buf, e.message);
      buf += '\n';
      if (buf.size() >= (1u << 20)) {
        file.write(buf.data(), static_cast<std::streamsize>(buf.size()));
        buf.clear();
      }
      return true;
    });
    file.write(buf.data(), static_cast<std::streamsize>(buf.size()));
    file.close();
    if (!file) return InternalError("cannot write the query's events");
  }
  if (cancelled.load()) return out;
  const auto exported = std::chrono::steady_clock::now();

  query::ObjectSource source;
  source.path = csv_path;
  source.name = "log events";
  source.format = query::ObjectSource::Format::kCsv;
  source.header = true;
  source.header_names = true;
  source.new_line = "\n";
  query::QueryContext ctx;
  ctx.timeout = std::chrono::minutes(60);  // Insights' own limit
  auto pull = [&](const std::string& sql,
                  const std::function<void(const query::TextBatch&, std::size_t)>& row) -> Status {
    CENOTE_ASSIGN_OR_RETURN(auto cursor, engine.OpenObjectSelect(sql, source, ctx));
    query::TextBatch batch;
    while (true) {
      if (cancelled.load(std::memory_order_relaxed)) return Status::Ok();
      CENOTE_ASSIGN_OR_RETURN(bool more, cursor->Next(batch));
      if (!more) return Status::Ok();
      for (std::size_t r = 0; r < batch.rows(); ++r) row(batch, r);
    }
  };
  if (t.matched_all) out.statistics.records_matched = out.statistics.records_scanned;
  CENOTE_RETURN_IF_ERROR(pull(t.sql, [&](const query::TextBatch& b, std::size_t r) {
    InsightsRow row;
    const std::size_t base = r * b.columns;
    if (t.matched_column && r == 0 && out.rows.empty()) {
      const auto& m = b.values[base + b.columns - 1];
      if (m) out.statistics.records_matched = std::strtod(std::string(*m).c_str(), nullptr);
    }
    for (std::size_t i = 0; i < t.columns.size(); ++i) {
      const auto& v = b.values[base + i];
      if (t.columns[i] == "@ptr" && t.ptr && !v) continue;  // filled below
      if (v) row.emplace_back(t.columns[i], std::string(*v));
    }
    if (t.ptr) {
      const auto& grp = b.values[base + t.columns.size()];
      const auto& id = b.values[base + t.columns.size() + 1];
      std::size_t g = 0;
      if (grp) std::from_chars(grp->data(), grp->data() + grp->size(), g);
      std::string ptr;
      if (g < pointers.size()) {
        ptr = pointers[g].second ? pointers[g].first
                                 : Base64Encode(pointers[g].first + std::string(id.value_or("")),
                                                Base64Alphabet::kUrlSafe, false);
      }
      row.emplace_back("@ptr", std::move(ptr));
    }
    out.rows.push_back(std::move(row));
  }));
  if (!t.matched_sql.empty()) {
    CENOTE_RETURN_IF_ERROR(pull(t.matched_sql, [&](const query::TextBatch& b, std::size_t r) {
      const auto& v = b.values[r * b.columns];
      if (v) out.statistics.records_matched = std::strtod(std::string(*v).c_str(), nullptr);
    }));
  }
  auto ms = [](auto d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); };
  spdlog::debug("logs: Insights query over {} events: export {} ms, engine {} ms",
                out.statistics.records_scanned, ms(exported - started),
                ms(std::chrono::steady_clock::now() - exported));
  return out;
}

std::string FormatInsightsTime(std::int64_t ms) {
  std::int64_t days = ms >= 0 ? ms / 86'400'000 : (ms - 86'399'999) / 86'400'000;
  std::int64_t rem = ms - days * 86'400'000;
  auto [y, m, d] = CivilFromDays(days);
  char buf[128];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u %02lld:%02lld:%02lld.%03lld", static_cast<long long>(y), m,
                d, static_cast<long long>(rem / 3'600'000), static_cast<long long>(rem / 60'000 % 60),
                static_cast<long long>(rem / 1000 % 60), static_cast<long long>(rem % 1000));
  return buf;
}

std::map<std::string, std::string> LogRecordFields(const InsightsEvent& event) {
  std::map<std::string, std::string> out{{"@timestamp", std::to_string(event.timestamp)},
                                         {"@message", event.message},
                                         {"@logStream", event.log_stream},
                                         {"@log", event.log},
                                         {"@ingestionTime", std::to_string(event.ingestion)}};
  std::string_view m = TrimAsciiSpace(event.message);
  if (m.empty() || m.front() != '{') return out;
  boost::system::error_code ec;
  json::value root = json::parse(m, ec);
  if (ec || !root.is_object()) return out;
  std::function<void(const json::value&, const std::string&)> flatten = [&](const json::value& v,
                                                                            const std::string& path) {
    if (v.is_object()) {
      for (const auto& [k, child] : v.get_object())
        flatten(child, path.empty() ? std::string(k) : path + "." + std::string(k));
    } else if (v.is_array()) {
      for (std::size_t i = 0; i < v.get_array().size(); ++i)
        flatten(v.get_array()[i], path + "." + std::to_string(i));
    } else if (!v.is_null()) {
      out[path] = Text(JsonToVal(v));
    }
  };
  flatten(root, "");
  return out;
}

void CancelQuery(QueryState& q) {
  q.cancelled.store(true);
  if (q.task) q.task->Stop();
  MutexLock lock(q.mu);
  if (q.status == "Scheduled" || q.status == "Running") q.status = "Cancelled";
}

}  // namespace cenote::logs
