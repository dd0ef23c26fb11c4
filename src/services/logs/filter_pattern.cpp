#include "services/logs/filter_pattern.hpp"

#if defined(__GNUC__) && !defined(__clang__)
// GCC 12 reports a false -Wrestrict on `"x" + std::string + ...` (GCC bug 105329).
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include <boost/json.hpp>
#include <charconv>
#include <cmath>
#include <optional>
#include <variant>
#include <vector>

#include "common/java_regex.hpp"
#include "common/strings.hpp"
#include "services/logs/errors.hpp"

namespace cenote::logs {

namespace json = boost::json;

namespace {

Error Invalid(std::string_view why) { return services::MakeError(errors::kInvalidFilterPattern, {why}); }

// `*` in a pattern value matches any run of characters; everything else is literal.
bool WildcardMatch(std::string_view pattern, std::string_view text) {
  std::size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::optional<double> ParseNumber(std::string_view text) {
  text = TrimAsciiSpace(text);
  if (text.empty()) return std::nullopt;
  double v = 0;
  const char* begin = text.data();
  if (*begin == '+') ++begin;
  auto [ptr, ec] = std::from_chars(begin, text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

enum class Op { kEq, kNe, kLt, kLe, kGt, kGe, kIsNull, kNotExists, kIsTrue, kIsFalse };

// One comparison's right-hand side: the literal as written, and its number when it is one (and unquoted).
struct Operand {
  std::string text;
  std::optional<double> number;
  bool quoted = false;
};

bool CompareNumbers(Op op, double a, double b) {
  switch (op) {
    case Op::kEq:
      return a == b;
    case Op::kNe:
      return a != b;
    case Op::kLt:
      return a < b;
    case Op::kLe:
      return a <= b;
    case Op::kGt:
      return a > b;
    case Op::kGe:
      return a >= b;
    default:
      return false;
  }
}

// A field's text against `op operand`, as the space-delimited form compares: numbers numerically when both
// sides are numbers, strings with wildcards for = and !=.
bool CompareText(Op op, std::string_view value, const Operand& rhs) {
  if (rhs.number) {
    if (auto n = ParseNumber(value)) return CompareNumbers(op, *n, *rhs.number);
    if (op == Op::kEq) return WildcardMatch(rhs.text, value);
    if (op == Op::kNe) return !WildcardMatch(rhs.text, value);
    return false;
  }
  if (op == Op::kEq) return WildcardMatch(rhs.text, value);
  if (op == Op::kNe) return !WildcardMatch(rhs.text, value);
  return false;
}

// ---- a small tokenizer shared by the JSON and space-delimited forms

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}
  void SkipSpace() {
    while (pos_ < text_.size() && IsAsciiSpace(text_[pos_])) ++pos_;
  }
  bool AtEnd() {
    SkipSpace();
    return pos_ >= text_.size();
  }
  char Peek() {
    SkipSpace();
    return pos_ < text_.size() ? text_[pos_] : '\0';
  }
  bool Consume(std::string_view token) {
    SkipSpace();
    if (text_.substr(pos_, token.size()) == token) {
      pos_ += token.size();
      return true;
    }
    return false;
  }
  // A keyword (case-insensitive) followed by a non-identifier character.
  bool ConsumeWord(std::string_view word) {
    SkipSpace();
    if (pos_ + word.size() > text_.size()) return false;
    if (!EqualsIgnoreAsciiCase(text_.substr(pos_, word.size()), word)) return false;
    std::size_t end = pos_ + word.size();
    if (end < text_.size() && (IsAsciiAlnum(text_[end]) || text_[end] == '_')) return false;
    pos_ = end;
    return true;
  }
  std::optional<Op> ConsumeOp() {
    for (auto [text, op] : {std::pair<std::string_view, Op>{"!=", Op::kNe},
                            {"<=", Op::kLe},
                            {">=", Op::kGe},
                            {"=", Op::kEq},
                            {"<", Op::kLt},
                            {">", Op::kGt}}) {
      if (Consume(text)) return op;
    }
    return std::nullopt;
  }
  // A literal: "quoted" (with \" escapes) or a run of characters up to a space, `,`, `)`, `]`, `}`, `&&`
  // or `||`.
  Result<Operand> ConsumeOperand() {
    SkipSpace();
    Operand out;
    if (pos_ < text_.size() && text_[pos_] == '"') {
      ++pos_;
      while (pos_ < text_.size() && text_[pos_] != '"') {
        if (text_[pos_] == '\\' && pos_ + 1 < text_.size()) ++pos_;
        out.text.push_back(text_[pos_++]);
      }
      if (pos_ >= text_.size()) return Invalid("unterminated quoted value");
      ++pos_;
      out.quoted = true;
      return out;
    }
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (IsAsciiSpace(c) || c == ',' || c == ')' || c == ']' || c == '}') break;
      if ((c == '&' || c == '|') && pos_ + 1 < text_.size() && text_[pos_ + 1] == c) break;
      out.text.push_back(c);
      ++pos_;
    }
    if (out.text.empty()) return Invalid("missing value");
    out.number = ParseNumber(out.text);
    return out;
  }
  std::size_t pos() const { return pos_; }
  std::string_view rest() const { return text_.substr(pos_); }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

// ---- JSON patterns

struct Selector {
  std::string text;  // "$.a.b[0]"
  struct Step {
    std::string key;
    std::optional<std::size_t> index;
  };
  std::vector<Step> steps;
};

struct JsonNode;
using JsonNodePtr = std::unique_ptr<JsonNode>;
struct JsonNode {
  enum class Kind { kAnd, kOr, kCompare } kind = Kind::kCompare;
  JsonNodePtr left, right;
  Selector selector;
  Op op = Op::kEq;
  Operand operand;
};

Result<Selector> ParseSelector(Lexer& lex) {
  lex.SkipSpace();
  if (!lex.Consume("$")) return Invalid("a JSON selector starts with $.");
  Selector sel;
  sel.text = "$";
  std::string_view rest = lex.rest();
  std::size_t i = 0;
  while (i < rest.size()) {
    if (rest[i] == '.') {
      ++i;
      std::string key;
      while (i < rest.size() && (IsAsciiAlnum(rest[i]) || rest[i] == '_' || rest[i] == '-' ||
                                 rest[i] == '@' || rest[i] == '*' || rest[i] == ':')) {
        key.push_back(rest[i++]);
      }
      if (key.empty()) return Invalid("empty field name in selector");
      sel.text += "." + key;
      sel.steps.push_back({.key = key, .index = std::nullopt});
    } else if (rest[i] == '[') {
      std::size_t close = rest.find(']', i);
      if (close == std::string_view::npos) return Invalid("unterminated [ in selector");
      std::string_view digits = rest.substr(i + 1, close - i - 1);
      std::size_t index = 0;
      auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
      if (digits.empty() || ec != std::errc() || ptr != digits.data() + digits.size())
        return Invalid("array index must be a number");
      sel.text += "[" + std::string(digits) + "]";
      sel.steps.push_back({.key = "", .index = index});
      i = close + 1;
    } else {
      break;
    }
  }
  if (sel.steps.empty()) return Invalid("a JSON selector names a field: $.field");
  // Advance the lexer past the selector.
  for (std::size_t k = 0; k < i; ++k) lex.Consume(std::string_view(&rest[k], 1));
  return sel;
}

Result<JsonNodePtr> ParseJsonOr(Lexer& lex);

Result<JsonNodePtr> ParseJsonPrimary(Lexer& lex) {
  if (lex.Consume("(")) {
    CENOTE_ASSIGN_OR_RETURN(JsonNodePtr inner, ParseJsonOr(lex));
    if (!lex.Consume(")")) return Invalid("missing )");
    return inner;
  }
  auto node = std::make_unique<JsonNode>();
  CENOTE_ASSIGN_OR_RETURN(node->selector, ParseSelector(lex));
  if (lex.ConsumeWord("IS")) {
    if (lex.ConsumeWord("NULL")) {
      node->op = Op::kIsNull;
    } else if (lex.ConsumeWord("TRUE")) {
      node->op = Op::kIsTrue;
    } else if (lex.ConsumeWord("FALSE")) {
      node->op = Op::kIsFalse;
    } else {
      return Invalid("IS takes NULL, TRUE or FALSE");
    }
    return node;
  }
  if (lex.ConsumeWord("NOT")) {
    if (!lex.ConsumeWord("EXISTS")) return Invalid("NOT takes EXISTS");
    node->op = Op::kNotExists;
    return node;
  }
  std::optional<Op> op = lex.ConsumeOp();
  if (!op) return Invalid("expected a comparison operator after " + node->selector.text);
  node->op = *op;
  CENOTE_ASSIGN_OR_RETURN(node->operand, lex.ConsumeOperand());
  if (node->op != Op::kEq && node->op != Op::kNe && !node->operand.number)
    return Invalid("numeric comparison with a non-numeric value " + node->operand.text);
  return node;
}

Result<JsonNodePtr> ParseJsonAnd(Lexer& lex) {
  CENOTE_ASSIGN_OR_RETURN(JsonNodePtr left, ParseJsonPrimary(lex));
  while (lex.Consume("&&")) {
    CENOTE_ASSIGN_OR_RETURN(JsonNodePtr right, ParseJsonPrimary(lex));
    auto node = std::make_unique<JsonNode>();
    node->kind = JsonNode::Kind::kAnd;
    node->left = std::move(left);
    node->right = std::move(right);
    left = std::move(node);
  }
  return left;
}

Result<JsonNodePtr> ParseJsonOr(Lexer& lex) {
  CENOTE_ASSIGN_OR_RETURN(JsonNodePtr left, ParseJsonAnd(lex));
  while (lex.Consume("||")) {
    CENOTE_ASSIGN_OR_RETURN(JsonNodePtr right, ParseJsonAnd(lex));
    auto node = std::make_unique<JsonNode>();
    node->kind = JsonNode::Kind::kOr;
    node->left = std::move(left);
    node->right = std::move(right);
    left = std::move(node);
  }
  return left;
}

const json::value* Select(const json::value& root, const Selector& sel) {
  const json::value* at = &root;
  for (const auto& step : sel.steps) {
    if (step.index) {
      if (!at->is_array() || *step.index >= at->get_array().size()) return nullptr;
      at = &at->get_array()[*step.index];
    } else {
      if (!at->is_object()) return nullptr;
      at = at->get_object().if_contains(step.key);
      if (at == nullptr) return nullptr;
    }
  }
  return at;
}

std::string JsonScalarText(const json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  return json::serialize(v);
}

bool EvalJson(const JsonNode& node, const json::value& root) {
  switch (node.kind) {
    case JsonNode::Kind::kAnd:
      return EvalJson(*node.left, root) && EvalJson(*node.right, root);
    case JsonNode::Kind::kOr:
      return EvalJson(*node.left, root) || EvalJson(*node.right, root);
    case JsonNode::Kind::kCompare:
      break;
  }
  const json::value* v = Select(root, node.selector);
  switch (node.op) {
    case Op::kNotExists:
      return v == nullptr;
    case Op::kIsNull:
      return v != nullptr && v->is_null();
    case Op::kIsTrue:
      return v != nullptr && v->is_bool() && v->get_bool();
    case Op::kIsFalse:
      return v != nullptr && v->is_bool() && !v->get_bool();
    default:
      break;
  }
  if (v == nullptr) return false;
  if (v->is_number() && node.operand.number && !node.operand.quoted) {
    return CompareNumbers(node.op, v->to_number<double>(), *node.operand.number);
  }
  if (node.op != Op::kEq && node.op != Op::kNe) return false;
  if (!v->is_string() && !(v->is_bool() || v->is_number())) return false;
  const bool equal = WildcardMatch(node.operand.text, JsonScalarText(*v));
  return node.op == Op::kEq ? equal : !equal;
}

void CollectSelectors(const JsonNode& node, std::vector<const Selector*>& out) {
  if (node.kind != JsonNode::Kind::kCompare) {
    CollectSelectors(*node.left, out);
    CollectSelectors(*node.right, out);
    return;
  }
  out.push_back(&node.selector);
}

// ---- space-delimited patterns

struct FieldCondition {
  Op op = Op::kEq;
  Operand operand;
};
struct DelimitedField {
  bool ellipsis = false;
  std::string name;
  // Disjunction of conjunctions: (c && c) || (c) ...; empty: any value.
  std::vector<std::vector<FieldCondition>> any_of;
};

bool FieldMatches(const DelimitedField& f, std::string_view value) {
  if (f.any_of.empty()) return true;
  for (const auto& all : f.any_of) {
    bool ok = true;
    for (const auto& c : all) ok = ok && CompareText(c.op, value, c.operand);
    if (ok) return true;
  }
  return false;
}

// The fields of a message: separated by spaces; "..." and [...] are one field each (without the quotes or
// the brackets).
std::vector<std::string_view> SplitFields(std::string_view message) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < message.size()) {
    while (i < message.size() && IsAsciiSpace(message[i])) ++i;
    if (i >= message.size()) break;
    char open = message[i];
    char close = open == '"' ? '"' : open == '[' ? ']' : '\0';
    if (close != '\0') {
      std::size_t end = message.find(close, i + 1);
      if (end != std::string_view::npos) {
        out.push_back(message.substr(i + 1, end - i - 1));
        i = end + 1;
        continue;
      }
    }
    std::size_t start = i;
    while (i < message.size() && !IsAsciiSpace(message[i])) ++i;
    out.push_back(message.substr(start, i - start));
  }
  return out;
}

// Assigns fields to pattern elements; `bound[k]` receives the field index of element k.
bool MatchDelimited(const std::vector<DelimitedField>& pattern, std::size_t p,
                    const std::vector<std::string_view>& fields, std::size_t f,
                    std::vector<std::size_t>& bound) {
  if (p == pattern.size()) return f == fields.size();
  if (pattern[p].ellipsis) {
    for (std::size_t skip = f; skip <= fields.size(); ++skip) {
      if (MatchDelimited(pattern, p + 1, fields, skip, bound)) return true;
    }
    return false;
  }
  if (f >= fields.size() || !FieldMatches(pattern[p], fields[f])) return false;
  bound[p] = f;
  return MatchDelimited(pattern, p + 1, fields, f + 1, bound);
}

Result<std::vector<DelimitedField>> ParseDelimited(std::string_view body) {
  std::vector<DelimitedField> out;
  Lexer lex(body);
  if (lex.AtEnd()) return out;
  while (true) {
    DelimitedField field;
    if (lex.Consume("...")) {
      field.ellipsis = true;
    } else {
      lex.SkipSpace();
      std::string_view rest = lex.rest();
      std::size_t n = 0;
      while (n < rest.size() &&
             (IsAsciiAlnum(rest[n]) || rest[n] == '_' || rest[n] == '-' || rest[n] == '.' || rest[n] == '$'))
        ++n;
      if (n == 0) return Invalid("expected a field name in [...]");
      field.name = std::string(rest.substr(0, n));
      lex.Consume(rest.substr(0, n));
      std::vector<FieldCondition> all;
      while (true) {
        std::optional<Op> op = lex.ConsumeOp();
        if (!op) break;
        FieldCondition c;
        c.op = *op;
        CENOTE_ASSIGN_OR_RETURN(c.operand, lex.ConsumeOperand());
        if (c.op != Op::kEq && c.op != Op::kNe && !c.operand.number)
          return Invalid("numeric comparison with a non-numeric value " + c.operand.text);
        all.push_back(std::move(c));
        bool is_and = lex.Consume("&&");
        bool is_or = !is_and && lex.Consume("||");
        if (!is_and && !is_or) break;
        if (is_or) {
          field.any_of.push_back(std::move(all));
          all.clear();
        }
        lex.Consume(field.name);  // `status = 4* || status = 5*`: the name may be repeated
      }
      if (!all.empty()) field.any_of.push_back(std::move(all));
    }
    out.push_back(std::move(field));
    if (lex.AtEnd()) break;
    if (!lex.Consume(",")) return Invalid("expected , between fields near '" + std::string(lex.rest()) + "'");
  }
  return out;
}

// ---- term patterns

struct Term {
  std::string text;
  enum class Kind { kRequired, kExcluded, kOptional } kind = Kind::kRequired;
};

Result<std::vector<Term>> ParseTerms(std::string_view text) {
  std::vector<Term> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && IsAsciiSpace(text[i])) ++i;
    if (i >= text.size()) break;
    Term term;
    if (text[i] == '-' && i + 1 < text.size() && !IsAsciiSpace(text[i + 1])) {
      term.kind = Term::Kind::kExcluded;
      ++i;
    } else if (text[i] == '?' && i + 1 < text.size() && !IsAsciiSpace(text[i + 1])) {
      term.kind = Term::Kind::kOptional;
      ++i;
    }
    if (text[i] == '"') {
      std::size_t end = i + 1;
      while (end < text.size() && text[end] != '"') {
        if (text[end] == '\\' && end + 1 < text.size()) ++end;
        term.text.push_back(text[end++]);
      }
      if (end >= text.size()) return Invalid("unterminated quoted term");
      i = end + 1;
    } else {
      std::size_t start = i;
      while (i < text.size() && !IsAsciiSpace(text[i])) {
        char c = text[i];
        if (c == '"' || c == '{' || c == '}' || c == '[' || c == ']' || c == '(' || c == ')')
          return Invalid("Invalid character(s) in term '" + std::string(text.substr(start, i - start + 1)) +
                         "'; quote terms with non-alphanumeric characters");
        ++i;
      }
      term.text = std::string(text.substr(start, i - start));
    }
    if (term.text.empty()) return Invalid("empty term");
    out.push_back(std::move(term));
  }
  return out;
}

}  // namespace

struct FilterPattern::Impl {
  enum class Kind { kAll, kTerms, kRegex, kJson, kDelimited } kind = Kind::kAll;
  std::vector<Term> terms;
  std::unique_ptr<JavaRegex> regex;
  JsonNodePtr json;
  std::vector<DelimitedField> fields;
};

FilterPattern::FilterPattern(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FilterPattern::FilterPattern(FilterPattern&&) noexcept = default;
FilterPattern& FilterPattern::operator=(FilterPattern&&) noexcept = default;
FilterPattern::~FilterPattern() = default;

Result<FilterPattern> FilterPattern::Parse(std::string_view text) {
  auto impl = std::make_unique<Impl>();
  std::string_view t = TrimAsciiSpace(text);
  if (t.empty() || t == "\"\"") return FilterPattern(std::move(impl));
  if (t.front() == '{') {
    if (t.back() != '}') return Invalid("a JSON pattern ends with }");
    Lexer lex(t.substr(1, t.size() - 2));
    CENOTE_ASSIGN_OR_RETURN(impl->json, ParseJsonOr(lex));
    if (!lex.AtEnd()) return Invalid("unexpected '" + std::string(lex.rest()) + "'");
    impl->kind = Impl::Kind::kJson;
  } else if (t.front() == '[') {
    if (t.back() != ']') return Invalid("a space-delimited pattern ends with ]");
    CENOTE_ASSIGN_OR_RETURN(impl->fields, ParseDelimited(t.substr(1, t.size() - 2)));
    impl->kind = Impl::Kind::kDelimited;
  } else if (t.size() >= 2 && t.front() == '%' && t.back() == '%') {
    std::string_view re = t.substr(1, t.size() - 2);
    if (re.empty()) return Invalid("empty regular expression");
    auto compiled = JavaRegex::Compile("(?s).*(?:" + std::string(re) + ").*");
    if (!compiled.ok()) return Invalid("unsupported regular expression " + std::string(re));
    impl->regex = std::move(compiled).value();
    impl->kind = Impl::Kind::kRegex;
  } else {
    CENOTE_ASSIGN_OR_RETURN(impl->terms, ParseTerms(t));
    impl->kind = Impl::Kind::kTerms;
  }
  return FilterPattern(std::move(impl));
}

bool FilterPattern::MatchesEverything() const { return impl_->kind == Impl::Kind::kAll; }

bool FilterPattern::Matches(std::string_view message) const {
  switch (impl_->kind) {
    case Impl::Kind::kAll:
      return true;
    case Impl::Kind::kRegex:
      return impl_->regex->Matches(message);
    case Impl::Kind::kTerms: {
      bool any_optional = false, optional_found = false;
      for (const Term& term : impl_->terms) {
        const bool found = message.find(term.text) != std::string_view::npos;
        switch (term.kind) {
          case Term::Kind::kRequired:
            if (!found) return false;
            break;
          case Term::Kind::kExcluded:
            if (found) return false;
            break;
          case Term::Kind::kOptional:
            any_optional = true;
            optional_found = optional_found || found;
            break;
        }
      }
      return !any_optional || optional_found;
    }
    case Impl::Kind::kJson: {
      std::string_view trimmed = TrimAsciiSpace(message);
      if (trimmed.empty() || trimmed.front() != '{') return false;
      boost::system::error_code ec;
      json::value root = json::parse(trimmed, ec);
      if (ec || !root.is_object()) return false;
      return EvalJson(*impl_->json, root);
    }
    case Impl::Kind::kDelimited: {
      std::vector<std::string_view> fields = SplitFields(message);
      std::vector<std::size_t> bound(impl_->fields.size(), 0);
      return MatchDelimited(impl_->fields, 0, fields, 0, bound);
    }
  }
  return false;
}

std::map<std::string, std::string> FilterPattern::ExtractedValues(std::string_view message) const {
  std::map<std::string, std::string> out;
  if (impl_->kind == Impl::Kind::kDelimited) {
    std::vector<std::string_view> fields = SplitFields(message);
    std::vector<std::size_t> bound(impl_->fields.size(), 0);
    if (!MatchDelimited(impl_->fields, 0, fields, 0, bound)) return out;
    for (std::size_t k = 0; k < impl_->fields.size(); ++k) {
      if (impl_->fields[k].ellipsis) continue;
      out["$" + impl_->fields[k].name] = std::string(fields[bound[k]]);
    }
  } else if (impl_->kind == Impl::Kind::kJson) {
    boost::system::error_code ec;
    json::value root = json::parse(TrimAsciiSpace(message), ec);
    if (ec) return out;
    std::vector<const Selector*> selectors;
    CollectSelectors(*impl_->json, selectors);
    for (const Selector* s : selectors) {
      if (const json::value* v = Select(root, *s)) out[s->text] = JsonScalarText(*v);
    }
  }
  return out;
}

}  // namespace cenote::logs
