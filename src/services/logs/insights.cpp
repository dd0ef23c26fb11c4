#include "services/logs/insights.hpp"

#if defined(__GNUC__) && !defined(__clang__)
// GCC 12 reports a false -Wrestrict on `"x" + std::string + ...` (GCC bug 105329).
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <regex>
#include <set>
#include <unordered_map>
#include <variant>

#include "common/clock.hpp"
#include "common/encoding.hpp"
#include "common/java_regex.hpp"
#include "common/strings.hpp"
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

std::optional<double> AsNumber(const Val& v) {
  if (v.numeric()) return v.num;
  if (v.kind == Val::Kind::kStr) return ParseDouble(v.str);
  return std::nullopt;
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
int CompareVals(const Val& a, const Val& b) {
  if (a.null() || b.null()) return a.null() == b.null() ? 0 : (a.null() ? -1 : 1);
  auto x = AsNumber(a), y = AsNumber(b);
  if (x && y) return *x < *y ? -1 : (*x > *y ? 1 : 0);
  const std::string ta = Text(a), tb = Text(b);
  return ta < tb ? -1 : (ta > tb ? 1 : 0);
}

// `sort`'s order (AWS: "an updated version of natural sorting"): non-number values before number values;
// numbers by value; other text in chunks of digits and non-digits, non-digits by code unit, digit runs by
// length, then value. Absent values first.
int SortCompare(const Val& a, const Val& b) {
  if (a.null() || b.null()) return a.null() == b.null() ? 0 : (a.null() ? -1 : 1);
  auto x = AsNumber(a), y = AsNumber(b);
  if (x && y) return *x < *y ? -1 : (*x > *y ? 1 : 0);
  if (x || y) return x ? 1 : -1;
  const std::string ta = Text(a), tb = Text(b);
  std::size_t i = 0, j = 0;
  while (i < ta.size() && j < tb.size()) {
    const bool da = IsAsciiDigit(ta[i]), db = IsAsciiDigit(tb[j]);
    if (da && db) {
      std::size_t ei = i, ej = j;
      while (ei < ta.size() && IsAsciiDigit(ta[ei])) ++ei;
      while (ej < tb.size() && IsAsciiDigit(tb[ej])) ++ej;
      if (ei - i != ej - j) return ei - i < ej - j ? -1 : 1;
      if (int c = ta.compare(i, ei - i, tb, j, ej - j); c != 0) return c < 0 ? -1 : 1;
      i = ei;
      j = ej;
      continue;
    }
    const unsigned char ca = static_cast<unsigned char>(ta[i]), cb = static_cast<unsigned char>(tb[j]);
    if (ca != cb) return ca < cb ? -1 : 1;
    ++i;
    ++j;
  }
  if (i < ta.size()) return 1;
  if (j < tb.size()) return -1;
  return 0;
}

// ---- regular expressions: java_regex (linear time) for matching; std::regex where captures are needed or
// for (?i)

class Regex {
 public:
  static Result<Regex> Compile(std::string pattern) {
    Regex r;
    bool icase = false;
    if (pattern.starts_with("(?i)")) {
      icase = true;
      pattern = pattern.substr(4);
    }
    // Named groups: std::regex numbers groups; remember the names by position.
    std::string plain;
    int group = 0;
    for (std::size_t i = 0; i < pattern.size(); ++i) {
      char c = pattern[i];
      if (c == '\\' && i + 1 < pattern.size()) {
        plain += c;
        plain += pattern[++i];
        continue;
      }
      if (c == '(') {
        if (pattern.compare(i, 3, "(?<") == 0 && i + 3 < pattern.size() && pattern[i + 3] != '=' &&
            pattern[i + 3] != '!') {
          std::size_t close = pattern.find('>', i + 3);
          if (close == std::string::npos) return MakeError("MalformedQueryException", "Invalid regex", 400);
          ++group;
          r.names_.emplace_back(group, pattern.substr(i + 3, close - i - 3));
          plain += '(';
          i = close;
          continue;
        }
        if (pattern.compare(i, 2, "(?") != 0) ++group;
      }
      plain += c;
    }
    if (!icase && r.names_.empty()) {
      r.fast_ = JavaRegex::Cached("(?s).*(?:" + plain + ").*");
    }
    try {
      auto flags = std::regex::ECMAScript | std::regex::optimize;
      if (icase) flags |= std::regex::icase;
      r.re_ = std::make_shared<std::regex>(plain, flags);
    } catch (const std::regex_error&) {
      if (r.fast_ == nullptr) {
        return MakeError("MalformedQueryException", "Invalid regular expression: " + pattern, 400);
      }
    }
    return r;
  }
  bool Search(std::string_view text) const {
    if (fast_) return fast_->Matches(text);
    if (!re_ || text.size() > kMaxBacktrackingInput) return false;
    try {
      return std::regex_search(text.begin(), text.end(), *re_);
    } catch (const std::regex_error&) {  // error_complexity / error_stack on a pathological pattern
      return false;
    }
  }
  // Named captures of the first match; empty when there is none.
  std::vector<std::pair<std::string, std::string>> Captures(std::string_view text) const {
    std::vector<std::pair<std::string, std::string>> out;
    if (!re_ || text.size() > kMaxBacktrackingInput) return out;
    std::match_results<std::string_view::const_iterator> m;
    try {
      if (!std::regex_search(text.begin(), text.end(), m, *re_)) return out;
    } catch (const std::regex_error&) {
      return out;
    }
    for (const auto& [index, name] : names_) {
      if (static_cast<std::size_t>(index) < m.size() && m[index].matched)
        out.emplace_back(name, m[index].str());
    }
    return out;
  }
  const std::vector<std::pair<int, std::string>>& names() const { return names_; }

 private:
  // std::regex backtracks recursively: keep its input bounded.
  static constexpr std::size_t kMaxBacktrackingInput = 64 * 1024;
  const JavaRegex* fast_ = nullptr;
  std::shared_ptr<std::regex> re_;
  std::vector<std::pair<int, std::string>> names_;
};

// ---- records

struct Record {
  const InsightsEvent* event = nullptr;  // null for rows that stats made
  std::shared_ptr<InsightsEvent> owned;  // a copy kept when the record outlives the read
  std::vector<std::pair<std::string, Val>> fields;
  mutable std::optional<json::value> parsed;  // the message as JSON, on first use
  mutable bool parse_tried = false;

  void Set(const std::string& name, Val v) {
    for (auto& [n, existing] : fields) {
      if (n == name) {
        existing = std::move(v);
        return;
      }
    }
    fields.emplace_back(name, std::move(v));
  }
  const InsightsEvent* ev() const { return owned ? owned.get() : event; }
};

std::string PointerOf(const InsightsEvent& e) {
  if (!e.ptr.empty()) return e.ptr;
  return Base64Encode(std::string(e.ptr_prefix) + std::to_string(e.id), Base64Alphabet::kUrlSafe, false);
}

Val JsonToVal(const json::value& v) {
  if (v.is_string()) return Val::Str(std::string(v.get_string()));
  if (v.is_int64()) return Val::Num(static_cast<double>(v.get_int64()));
  if (v.is_uint64()) return Val::Num(static_cast<double>(v.get_uint64()));
  if (v.is_double()) return Val::Num(v.get_double());
  if (v.is_bool()) return Val::Str(v.get_bool() ? "true" : "false");
  if (v.is_null()) return Val::Null();
  return Val::Str(json::serialize(v));
}

const json::value* ParsedMessage(const Record& r) {
  if (!r.parse_tried) {
    r.parse_tried = true;
    const InsightsEvent* e = r.ev();
    if (e != nullptr) {
      std::string_view m = TrimAsciiSpace(e->message);
      if (!m.empty() && m.front() == '{') {
        boost::system::error_code ec;
        json::value v = json::parse(m, ec);
        if (!ec && v.is_object()) r.parsed = std::move(v);
      }
    }
  }
  return r.parsed ? &*r.parsed : nullptr;
}

Val Lookup(const Record& r, const std::string& name) {
  for (const auto& [n, v] : r.fields) {
    if (n == name) return v;
  }
  const InsightsEvent* e = r.ev();
  if (e == nullptr) return Val::Null();
  if (name == "@timestamp") return Val::Time(static_cast<double>(e->timestamp));
  if (name == "@message") return Val::Str(e->message);
  if (name == "@logStream") return Val::Str(e->log_stream);
  if (name == "@log") return Val::Str(e->log);
  if (name == "@ingestionTime") return Val::Time(static_cast<double>(e->ingestion));
  if (name == "@ptr") return Val::Str(PointerOf(*e));
  const json::value* root = ParsedMessage(r);
  if (root == nullptr) return Val::Null();
  const json::value* at = root;
  for (std::string_view part : SplitString(name, '.')) {
    if (at->is_object()) {
      at = at->get_object().if_contains(part);
    } else if (at->is_array()) {
      std::size_t index = 0;
      auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), index);
      if (ec != std::errc() || ptr != part.data() + part.size() || index >= at->get_array().size())
        return Val::Null();
      at = &at->get_array()[index];
    } else {
      return Val::Null();
    }
    if (at == nullptr) return Val::Null();
  }
  return JsonToVal(*at);
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

bool Truthy(const Val& v) {
  switch (v.kind) {
    case Val::Kind::kNull:
      return false;
    case Val::Kind::kNum:
    case Val::Kind::kTime:
      return v.num != 0;
    case Val::Kind::kStr:
      return !v.str.empty() && v.str != "false";
  }
  return false;
}

Val Bool(bool b) { return Val::Num(b ? 1 : 0); }

std::string TrimChars(std::string_view s, bool left, bool right) {
  std::size_t a = 0, b = s.size();
  if (left)
    while (a < b && IsAsciiSpace(s[a])) ++a;
  if (right)
    while (b > a && IsAsciiSpace(s[b - 1])) --b;
  return std::string(s.substr(a, b - a));
}

Val Eval(const Expr& e, const Record& r);

Val EvalCall(const Expr& e, const Record& r) {
  const std::string& fn = e.name;
  auto arg = [&](std::size_t k) { return k < e.args.size() ? Eval(*e.args[k], r) : Val::Null(); };
  auto num = [&](std::size_t k) { return AsNumber(arg(k)); };
  if (fn == "ispresent") return Bool(!arg(0).null());
  if (fn == "isempty") {
    Val v = arg(0);
    return Bool(v.null() || (v.kind == Val::Kind::kStr && v.str.empty()));
  }
  if (fn == "isblank") {
    Val v = arg(0);
    return Bool(v.null() || (v.kind == Val::Kind::kStr && TrimAsciiSpace(v.str).empty()));
  }
  if (fn == "coalesce") {
    for (std::size_t k = 0; k < e.args.size(); ++k) {
      Val v = arg(k);
      if (!v.null()) return v;
    }
    return Val::Null();
  }
  if (fn == "bin") {
    auto period = num(0);
    if (!period || *period <= 0) return Val::Null();
    const double ts = static_cast<double>(r.ev() ? r.ev()->timestamp : 0);
    return Val::Time(std::floor(ts / *period) * *period);
  }
  if (fn == "datefloor" || fn == "dateceil") {
    auto t = num(0);
    auto period = num(1);
    if (!t || !period || *period <= 0) return Val::Null();
    double v = fn == "datefloor" ? std::floor(*t / *period) * *period : std::ceil(*t / *period) * *period;
    return Val::Time(v);
  }
  if (fn == "frommillis") {
    auto n = num(0);
    return n ? Val::Time(*n) : Val::Null();
  }
  if (fn == "tomillis") {
    auto n = num(0);
    return n ? Val::Num(*n) : Val::Null();
  }
  if (fn == "abs" || fn == "ceil" || fn == "floor" || fn == "sqrt" || fn == "log" || fn == "round") {
    auto n = num(0);
    if (!n) return Val::Null();
    if (fn == "abs") return Val::Num(std::fabs(*n));
    if (fn == "ceil") return Val::Num(std::ceil(*n));
    if (fn == "floor") return Val::Num(std::floor(*n));
    if (fn == "sqrt") return Val::Num(std::sqrt(*n));
    if (fn == "round") return Val::Num(std::round(*n));
    return Val::Num(std::log(*n));
  }
  if (fn == "pow") {
    auto a = num(0), b = num(1);
    return a && b ? Val::Num(std::pow(*a, *b)) : Val::Null();
  }
  if (fn == "greatest" || fn == "least") {
    Val best;
    for (std::size_t k = 0; k < e.args.size(); ++k) {
      Val v = arg(k);
      if (v.null()) continue;
      if (best.null() || (fn == "greatest" ? CompareVals(v, best) > 0 : CompareVals(v, best) < 0)) best = v;
    }
    return best;
  }
  // String functions: null in, null out.
  Val first = arg(0);
  if (first.null() && fn != "concat") return Val::Null();
  const std::string s = Text(first);
  if (fn == "strlen") return Val::Num(static_cast<double>(s.size()));
  if (fn == "toupper") return Val::Str(AsciiUpper(s));
  if (fn == "tolower") return Val::Str(AsciiLower(s));
  if (fn == "trim") return Val::Str(TrimChars(s, true, true));
  if (fn == "ltrim") return Val::Str(TrimChars(s, true, false));
  if (fn == "rtrim") return Val::Str(TrimChars(s, false, true));
  if (fn == "strcontains") return Bool(s.find(Text(arg(1))) != std::string::npos);
  if (fn == "concat") {
    std::string out;
    for (std::size_t k = 0; k < e.args.size(); ++k) out += Text(arg(k));
    return Val::Str(out);
  }
  if (fn == "substr") {
    auto start = num(1);
    if (!start) return Val::Null();
    std::int64_t from = std::max<std::int64_t>(0, static_cast<std::int64_t>(*start));
    if (from >= static_cast<std::int64_t>(s.size())) return Val::Str("");
    std::optional<double> len = e.args.size() > 2 ? num(2) : std::nullopt;
    return Val::Str(
        len ? s.substr(static_cast<std::size_t>(from), static_cast<std::size_t>(std::max<double>(0, *len)))
            : s.substr(static_cast<std::size_t>(from)));
  }
  if (fn == "replace") {
    const std::string from = Text(arg(1)), to = Text(arg(2));
    if (from.empty()) return Val::Str(s);
    std::string out;
    std::size_t at = 0;
    while (true) {
      std::size_t hit = s.find(from, at);
      if (hit == std::string::npos) break;
      out += s.substr(at, hit - at) + to;
      at = hit + from.size();
    }
    return Val::Str(out + s.substr(at));
  }
  return Val::Null();
}

Val Eval(const Expr& e, const Record& r) {
  switch (e.kind) {
    case Expr::Kind::kLiteral:
      return e.literal;
    case Expr::Kind::kField:
      return Lookup(r, e.name);
    case Expr::Kind::kList:
    case Expr::Kind::kRegex:
      return Val::Null();
    case Expr::Kind::kCall:
      return EvalCall(e, r);
    case Expr::Kind::kUnary: {
      Val v = Eval(*e.args[0], r);
      if (e.name == "not") return Bool(!Truthy(v));
      auto n = AsNumber(v);
      return n ? Val::Num(-*n) : Val::Null();
    }
    case Expr::Kind::kBinary:
      break;
  }
  const std::string& op = e.name;
  if (op == "and") return Bool(Truthy(Eval(*e.args[0], r)) && Truthy(Eval(*e.args[1], r)));
  if (op == "or") return Bool(Truthy(Eval(*e.args[0], r)) || Truthy(Eval(*e.args[1], r)));
  Val left = Eval(*e.args[0], r);
  const Expr& rhs = *e.args[1];
  if (op == "like" || op == "not like" || op == "=~") {
    if (left.null()) return Bool(false);
    const std::string text = Text(left);
    bool found = false;
    if (rhs.kind == Expr::Kind::kRegex) {
      found = rhs.regex->Search(text);
    } else if (op == "=~") {
      auto re = Regex::Compile(Text(Eval(rhs, r)));
      found = re.ok() && re->Search(text);
    } else {
      found = text.find(Text(Eval(rhs, r))) != std::string::npos;
    }
    return Bool(op == "not like" ? !found : found);
  }
  if (op == "in" || op == "not in") {
    if (left.null()) return Bool(false);
    bool found = false;
    for (const auto& item : rhs.args) found = found || CompareVals(left, Eval(*item, r)) == 0;
    return Bool(op == "in" ? found : !found);
  }
  Val right = Eval(rhs, r);
  if (op == "=" || op == "!=" || op == "<" || op == "<=" || op == ">" || op == ">=") {
    if (left.null() || right.null()) return Bool(false);
    const int c = CompareVals(left, right);
    if (op == "=") return Bool(c == 0);
    if (op == "!=") return Bool(c != 0);
    if (op == "<") return Bool(c < 0);
    if (op == "<=") return Bool(c <= 0);
    if (op == ">") return Bool(c > 0);
    return Bool(c >= 0);
  }
  auto a = AsNumber(left), b = AsNumber(right);
  if (!a || !b) return Val::Null();
  if (op == "+") return Val::Num(*a + *b);
  if (op == "-") return Val::Num(*a - *b);
  if (op == "*") return Val::Num(*a * *b);
  if (op == "/") return *b == 0 ? Val::Null() : Val::Num(*a / *b);
  if (op == "%") return *b == 0 ? Val::Null() : Val::Num(std::fmod(*a, *b));
  if (op == "^") return Val::Num(std::pow(*a, *b));
  return Val::Null();
}

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

// ---- stats

struct Accumulator {
  std::string fn;
  double count = 0;
  double sum = 0, sum_sq = 0;
  Val best;                  // min / max
  std::int64_t best_ts = 0;  // earliest / latest
  bool has_best = false;
  std::vector<double> values;  // pct
  std::set<std::string> distinct;
};

void Accumulate(Accumulator& a, const Expr& call, const Record& r) {
  if (call.args.empty()) {  // count(*) / count()
    a.count += 1;
    return;
  }
  Val v = Eval(*call.args[0], r);
  if (v.null()) return;
  const std::string& fn = a.fn;
  if (fn == "count") {
    a.count += 1;
  } else if (fn == "sum" || fn == "avg" || fn == "stddev") {
    if (auto n = AsNumber(v)) {
      a.count += 1;
      a.sum += *n;
      a.sum_sq += *n * *n;
    }
  } else if (fn == "min" || fn == "max" || fn == "sortsfirst" || fn == "sortslast") {
    const bool want_less = fn == "min" || fn == "sortsfirst";
    if (!a.has_best || (want_less ? CompareVals(v, a.best) < 0 : CompareVals(v, a.best) > 0)) {
      a.best = v;
      a.has_best = true;
    }
  } else if (fn == "earliest" || fn == "latest") {
    const std::int64_t ts = r.ev() ? r.ev()->timestamp : 0;
    if (!a.has_best || (fn == "earliest" ? ts < a.best_ts : ts >= a.best_ts)) {
      a.best = v;
      a.best_ts = ts;
      a.has_best = true;
    }
  } else if (fn == "pct") {
    if (auto n = AsNumber(v)) a.values.push_back(*n);
  } else if (fn == "count_distinct") {
    a.distinct.insert(Text(v));
  }
}

Val Finish(Accumulator& a, const Expr& call, const Record& any) {
  const std::string& fn = a.fn;
  if (fn == "count") return Val::Num(a.count);
  if (fn == "sum") return a.count ? Val::Num(a.sum) : Val::Null();
  if (fn == "avg") return a.count ? Val::Num(a.sum / a.count) : Val::Null();
  if (fn == "stddev") {
    if (a.count < 2) return a.count ? Val::Num(0) : Val::Null();
    const double mean = a.sum / a.count;
    const double var = (a.sum_sq - a.count * mean * mean) / (a.count - 1);
    return Val::Num(std::sqrt(std::max(0.0, var)));
  }
  if (fn == "count_distinct") return Val::Num(static_cast<double>(a.distinct.size()));
  if (fn == "pct") {
    if (a.values.empty()) return Val::Null();
    double p = call.args.size() > 1 ? AsNumber(Eval(*call.args[1], any)).value_or(50) : 50;
    std::sort(a.values.begin(), a.values.end());
    p = std::clamp(p, 0.0, 100.0);
    std::size_t index = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(a.values.size())));
    index = index == 0 ? 0 : index - 1;
    return Val::Num(a.values[std::min(index, a.values.size() - 1)]);
  }
  return a.has_best ? a.best : Val::Null();
}

// An aggregate expression (`count(*)`, `sum(x) / count(*)`): its aggregate calls, accumulated per group.
void CollectAggregates(const Expr& e, std::vector<const Expr*>& out) {
  if (e.kind == Expr::Kind::kCall && AggregateNames().contains(e.name)) {
    out.push_back(&e);
    return;
  }
  for (const auto& a : e.args) CollectAggregates(*a, out);
}

class StatsRun {
 public:
  explicit StatsRun(const Command& c) : c_(c) {
    for (const auto& item : c_.items) CollectAggregates(*item.expr, calls_);
  }
  void Add(const Record& r) {
    std::vector<Val> key;
    std::string key_text;
    key.reserve(c_.by.size());
    for (const auto& b : c_.by) {
      key.push_back(Eval(*b.expr, r));
      // The group key: the value's kind and its number's bytes or its text (no formatting per event).
      const Val& v = key.back();
      key_text += static_cast<char>('0' + static_cast<int>(v.kind));
      if (v.numeric()) {
        key_text.append(reinterpret_cast<const char*>(&v.num), sizeof v.num);
      } else {
        key_text += v.str;
        key_text += '\x1f';
      }
    }
    auto it = groups_.find(key_text);
    if (it == groups_.end()) {
      Group g;
      g.key = std::move(key);
      for (const Expr* call : calls_) g.acc.emplace_back().fn = call->name;
      it = groups_.emplace(key_text, std::move(g)).first;
      order_.push_back(key_text);
    }
    for (std::size_t k = 0; k < calls_.size(); ++k) Accumulate(it->second.acc[k], *calls_[k], r);
  }
  std::vector<Record> Finish() {
    std::vector<Record> out;
    // AWS answers a stats without `by` with one row even over no events.
    if (groups_.empty() && c_.by.empty()) {
      Group g;
      for (const Expr* call : calls_) g.acc.emplace_back().fn = call->name;
      groups_.emplace("", std::move(g));
      order_.push_back("");
    }
    for (const std::string& k : order_) {
      Group& g = groups_.at(k);
      Record r;
      for (std::size_t i = 0; i < c_.by.size(); ++i) r.Set(c_.by[i].name, g.key[i]);
      // Each aggregate's value stands in for its call while the item expression is evaluated.
      Record values;
      for (std::size_t i = 0; i < calls_.size(); ++i) {
        values.Set("\x01" + std::to_string(i), ::cenote::logs::Finish(g.acc[i], *calls_[i], r));
      }
      for (const auto& item : c_.items) r.Set(item.name, EvalWithAggregates(*item.expr, values));
      out.push_back(std::move(r));
    }
    // Groups in key order (bins in time order).
    std::stable_sort(out.begin(), out.end(), [&](const Record& a, const Record& b) {
      for (const auto& by : c_.by) {
        int cmp = CompareVals(Lookup(a, by.name), Lookup(b, by.name));
        if (cmp != 0) return cmp < 0;
      }
      return false;
    });
    return out;
  }

 private:
  struct Group {
    std::vector<Val> key;
    std::vector<Accumulator> acc;
  };
  Val EvalWithAggregates(const Expr& e, const Record& values) {
    for (std::size_t i = 0; i < calls_.size(); ++i) {
      if (calls_[i] == &e) return Lookup(values, "\x01" + std::to_string(i));
    }
    if (e.kind == Expr::Kind::kBinary && e.args.size() == 2) {
      Expr copy = e;
      auto left = std::make_shared<Expr>();
      left->literal = EvalWithAggregates(*e.args[0], values);
      auto right = std::make_shared<Expr>();
      right->literal = EvalWithAggregates(*e.args[1], values);
      copy.args = {left, right};
      return Eval(copy, values);
    }
    return Eval(e, values);
  }

  const Command& c_;
  std::vector<const Expr*> calls_;
  std::unordered_map<std::string, Group> groups_;
  std::vector<std::string> order_;
};

// One pass of a streaming command over a record; false: the record is dropped.
bool ApplyStreaming(const Command& c, Record& r) {
  switch (c.kind) {
    case Command::Kind::kFilter:
      return Truthy(Eval(*c.expr, r));
    case Command::Kind::kFields:
      for (const auto& item : c.items) {
        if (item.expr->kind == Expr::Kind::kField && item.expr->name == item.name) continue;  // a selection
        r.Set(item.name, Eval(*item.expr, r));
      }
      return true;
    case Command::Kind::kParse: {
      Val source = Eval(*c.expr, r);
      if (source.null()) return true;
      auto captures = c.regex->Captures(Text(source));
      for (auto& [name, value] : captures) r.Set(name, Val::Str(value));
      return true;
    }
    default:
      return true;
  }
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

InsightsQuery::Outcome InsightsQuery::Run(
    const std::function<void(const std::function<bool(const InsightsEvent&)>&)>& read, std::int64_t max_rows,
    const std::atomic<bool>& cancelled) const {
  Outcome out;
  const auto& commands = impl_->commands;
  // The streaming prefix runs per event as it is read; the first non-streaming command (stats, sort,
  // limit, dedup) takes over from there on the records kept.
  std::size_t prefix = 0;
  while (prefix < commands.size() && commands[prefix].streaming()) ++prefix;
  std::optional<StatsRun> stats;
  if (prefix < commands.size() && commands[prefix].kind == Command::Kind::kStats)
    stats.emplace(commands[prefix]);
  // A query with no sort/stats/dedup before its limit can stop reading once it has enough rows.
  std::int64_t early_limit = max_rows;
  if (prefix < commands.size() && commands[prefix].kind == Command::Kind::kLimit) {
    early_limit = std::min(early_limit, commands[prefix].limit);
  }
  const bool can_stop_early =
      !stats && (prefix == commands.size() || commands[prefix].kind == Command::Kind::kLimit);

  std::vector<Record> kept;
  read([&](const InsightsEvent& e) {
    if (cancelled.load(std::memory_order_relaxed)) return false;
    out.statistics.records_scanned += 1;
    out.statistics.bytes_scanned += static_cast<double>(e.message.size());
    Record r;
    r.event = &e;
    for (std::size_t k = 0; k < prefix; ++k) {
      if (!ApplyStreaming(commands[k], r)) return true;
    }
    out.statistics.records_matched += 1;
    if (stats) {
      stats->Add(r);
      return true;
    }
    r.owned = std::make_shared<InsightsEvent>(e);
    r.owned->ptr = PointerOf(e);  // the prefix is the reader's, valid only during the read
    r.owned->ptr_prefix = {};
    r.event = nullptr;
    kept.push_back(std::move(r));
    return !(can_stop_early && static_cast<std::int64_t>(kept.size()) >= early_limit);
  });

  std::size_t next = prefix;
  if (stats) {
    kept = stats->Finish();
    ++next;
  }
  const Command* last_projection = nullptr;  // the fields / display / stats that decide the columns
  for (std::size_t k = 0; k < prefix; ++k) {
    if (commands[k].kind == Command::Kind::kFields || commands[k].kind == Command::Kind::kDisplay)
      last_projection = &commands[k];
  }
  std::vector<std::string> columns;
  bool display_set = false;
  auto add_columns = [&](const Command& c) {
    if (c.kind == Command::Kind::kDisplay) {
      columns.clear();
      display_set = true;
    }
    if (c.kind == Command::Kind::kStats) {
      columns.clear();
      for (const auto& b : c.by) columns.push_back(b.name);
    }
    for (const auto& item : c.items) {
      if (std::find(columns.begin(), columns.end(), item.name) == columns.end()) columns.push_back(item.name);
    }
  };
  for (std::size_t k = 0; k < prefix; ++k) {
    if (commands[k].kind == Command::Kind::kFields || commands[k].kind == Command::Kind::kDisplay)
      add_columns(commands[k]);
  }
  if (stats) add_columns(commands[prefix]);
  (void)last_projection;

  for (; next < commands.size(); ++next) {
    const Command& c = commands[next];
    switch (c.kind) {
      case Command::Kind::kFields:
      case Command::Kind::kFilter:
      case Command::Kind::kParse:
      case Command::Kind::kDisplay: {
        std::vector<Record> after;
        for (Record& r : kept) {
          if (ApplyStreaming(c, r)) after.push_back(std::move(r));
        }
        kept = std::move(after);
        if (c.kind == Command::Kind::kFields || c.kind == Command::Kind::kDisplay) add_columns(c);
        break;
      }
      case Command::Kind::kStats: {
        StatsRun run(c);
        for (const Record& r : kept) run.Add(r);
        kept = run.Finish();
        add_columns(c);
        break;
      }
      case Command::Kind::kSort: {
        std::stable_sort(kept.begin(), kept.end(), [&](const Record& a, const Record& b) {
          for (const auto& key : c.sort) {
            int cmp = SortCompare(Eval(*key.expr, a), Eval(*key.expr, b));
            if (cmp != 0) return key.descending ? cmp > 0 : cmp < 0;
          }
          return false;
        });
        break;
      }
      case Command::Kind::kLimit:
        if (static_cast<std::int64_t>(kept.size()) > c.limit) kept.resize(static_cast<std::size_t>(c.limit));
        break;
      case Command::Kind::kDedup: {
        std::set<std::string> seen;
        std::vector<Record> after;
        for (Record& r : kept) {
          std::string key;
          for (const auto& item : c.items) key += Text(Eval(*item.expr, r)) + '\x1f';
          if (seen.insert(key).second) after.push_back(std::move(r));
        }
        kept = std::move(after);
        break;
      }
    }
  }
  if (columns.empty()) columns = {"@timestamp", "@message"};
  const bool aggregated = std::any_of(commands.begin(), commands.end(),
                                      [](const Command& c) { return c.kind == Command::Kind::kStats; });
  (void)display_set;
  for (const Record& r : kept) {
    if (static_cast<std::int64_t>(out.rows.size()) >= max_rows) break;
    InsightsRow row;
    for (const auto& col : columns) {
      Val v = Lookup(r, col);
      if (!v.null()) row.emplace_back(col, Text(v));
    }
    if (!aggregated && r.ev() != nullptr) row.emplace_back("@ptr", PointerOf(*r.ev()));
    out.rows.push_back(std::move(row));
  }
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
