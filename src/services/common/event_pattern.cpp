#include "services/common/event_pattern.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <utility>

#include "common/strings.hpp"
#include "common/unicode_case.hpp"

namespace cenote::services {

namespace json = boost::json;

namespace pattern_internal {

enum class Op {
  kExactString,
  kExactNumber,
  kTrue,
  kFalse,
  kNull,
  kPrefix,
  kPrefixIgnoreCase,
  kSuffix,
  kSuffixIgnoreCase,
  kEqualsIgnoreCase,
  kWildcard,
  kAnythingButStrings,
  kAnythingButStringsIgnoreCase,
  kAnythingButNumbers,
  kAnythingButPrefix,
  kAnythingButSuffix,
  kAnythingButWildcard,
  kNumeric,
  kExistsTrue,
  kExistsFalse,
  kCidr,
};

// A wildcard pattern split at its unescaped '*': "a*b*c" -> {"a", "b", "c"}; a leading or trailing '*'
// leaves an empty first or last part.
struct Wildcard {
  std::vector<std::string> parts;
};

struct Matcher {
  Op op = Op::kExactString;
  std::string text;  // exact / prefix / suffix / equals-ignore-case (lowercased when ignoring case)
  std::vector<std::string>
      strings;                  // anything-but strings, prefixes or suffixes (lowercased when ignoring case)
  std::vector<double> numbers;  // anything-but numbers
  std::vector<Wildcard> wildcards;  // wildcard (one) / anything-but wildcard (any number)
  double number = 0;                // exact number
  bool has_lo = false, lo_open = false, has_hi = false, hi_open = false;
  double lo = 0, hi = 0;
  unsigned char addr[16] = {};  // cidr network
  int addr_len = 0;             // 4 or 16
  int prefix_bits = 0;
};

}  // namespace pattern_internal

using pattern_internal::Matcher;
using pattern_internal::Op;
using pattern_internal::Wildcard;

struct PatternNode {
  struct Field {
    std::string name;
    std::vector<Matcher> leaf;            // when nested is null
    std::unique_ptr<PatternNode> nested;  // a nested object pattern
  };
  std::vector<Field> fields;
  std::vector<std::vector<PatternNode>> ors;  // each: one of the alternatives must match
};

namespace {

constexpr std::string_view kOr = "$or";

// ---------------------------------------------------------------------------------------------------------
// Matching

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool EndsWith(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}
// Case-insensitive comparisons against a pattern already folded (FoldCaseUtf8): ASCII subjects compare byte
// by byte; others are folded first (folding may change a code point's length: U+212A KELVIN SIGN is "k").
bool IsAscii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0x80) == 0; });
}
bool StartsWithAsciiFolded(std::string_view s, std::string_view lowered) {
  if (s.size() < lowered.size()) return false;
  for (std::size_t i = 0; i < lowered.size(); ++i) {
    if (AsciiToLower(s[i]) != lowered[i]) return false;
  }
  return true;
}
bool StartsWithFolded(std::string_view s, std::string_view lowered) {
  if (IsAscii(s)) return StartsWithAsciiFolded(s, lowered);
  return StartsWith(FoldCaseUtf8(s), lowered);
}
bool EndsWithFolded(std::string_view s, std::string_view lowered) {
  if (IsAscii(s)) {
    return s.size() >= lowered.size() && StartsWithAsciiFolded(s.substr(s.size() - lowered.size()), lowered);
  }
  return EndsWith(FoldCaseUtf8(s), lowered);
}
bool EqualsFolded(std::string_view s, std::string_view lowered) {
  if (IsAscii(s)) return s.size() == lowered.size() && StartsWithAsciiFolded(s, lowered);
  return FoldCaseUtf8(s) == lowered;
}

bool WildcardMatches(const Wildcard& w, std::string_view s) {
  const auto& parts = w.parts;
  if (parts.size() == 1) return s == parts[0];
  if (!StartsWith(s, parts.front()) || s.size() < parts.front().size() + parts.back().size()) return false;
  if (!EndsWith(s, parts.back())) return false;
  // The middle parts, leftmost-first between the fixed head and tail: greedy placement is optimal for
  // '*'-only globs.
  std::size_t pos = parts.front().size();
  const std::size_t end = s.size() - parts.back().size();
  for (std::size_t i = 1; i + 1 < parts.size(); ++i) {
    if (parts[i].empty()) continue;
    std::size_t found = s.substr(0, end).find(parts[i], pos);
    if (found == std::string_view::npos) return false;
    pos = found + parts[i].size();
  }
  return true;
}

std::optional<double> NumberOf(const json::value& v) {
  switch (v.kind()) {
    case json::kind::int64:
      return static_cast<double>(v.get_int64());
    case json::kind::uint64:
      return static_cast<double>(v.get_uint64());
    case json::kind::double_:
      return v.get_double();
    default:
      return std::nullopt;
  }
}

// Parses an IPv4 or IPv6 address into `out`; returns its length (4 or 16) or 0.
int ParseAddress(std::string_view s, unsigned char* out) {
  char buf[INET6_ADDRSTRLEN + 1];
  if (s.empty() || s.size() >= sizeof(buf)) return 0;
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  if (inet_pton(AF_INET, buf, out) == 1) return 4;
  if (inet_pton(AF_INET6, buf, out) == 1) return 16;
  return 0;
}

bool CidrMatches(const Matcher& m, std::string_view s) {
  unsigned char addr[16];
  if (ParseAddress(s, addr) != m.addr_len) return false;
  int bits = m.prefix_bits;
  int i = 0;
  for (; bits >= 8; bits -= 8, ++i) {
    if (addr[i] != m.addr[i]) return false;
  }
  if (bits > 0) {
    const unsigned char mask = static_cast<unsigned char>(0xFF << (8 - bits));
    if ((addr[i] & mask) != (m.addr[i] & mask)) return false;
  }
  return true;
}

bool InRange(const Matcher& m, double x) {
  if (m.has_lo && (m.lo_open ? !(x > m.lo) : !(x >= m.lo))) return false;
  if (m.has_hi && (m.hi_open ? !(x < m.hi) : !(x <= m.hi))) return false;
  return true;
}

// One matcher against one scalar event value.
bool MatchValue(const Matcher& m, const json::value& v) {
  const json::string* str = v.if_string();
  const std::string_view s = str ? std::string_view(*str) : std::string_view();
  switch (m.op) {
    case Op::kExactString:
      return str && s == m.text;
    case Op::kExactNumber: {
      auto n = NumberOf(v);
      return n && *n == m.number;
    }
    case Op::kTrue:
      return v.is_bool() && v.get_bool();
    case Op::kFalse:
      return v.is_bool() && !v.get_bool();
    case Op::kNull:
      return v.is_null();
    case Op::kPrefix:
      return str && StartsWith(s, m.text);
    case Op::kPrefixIgnoreCase:
      return str && StartsWithFolded(s, m.text);
    case Op::kSuffix:
      return str && EndsWith(s, m.text);
    case Op::kSuffixIgnoreCase:
      return str && EndsWithFolded(s, m.text);
    case Op::kEqualsIgnoreCase:
      return str && EqualsFolded(s, m.text);
    case Op::kWildcard:
      return str && WildcardMatches(m.wildcards.front(), s);
    case Op::kAnythingButStrings:
      return !str ||
             std::none_of(m.strings.begin(), m.strings.end(), [&](const std::string& x) { return x == s; });
    case Op::kAnythingButStringsIgnoreCase:
      return !str || std::none_of(m.strings.begin(), m.strings.end(),
                                  [&](const std::string& x) { return EqualsFolded(s, x); });
    case Op::kAnythingButNumbers: {
      auto n = NumberOf(v);
      return n && std::find(m.numbers.begin(), m.numbers.end(), *n) == m.numbers.end();
    }
    case Op::kAnythingButPrefix:
      return !str || std::none_of(m.strings.begin(), m.strings.end(),
                                  [&](const std::string& x) { return StartsWith(s, x); });
    case Op::kAnythingButSuffix:
      return !str || std::none_of(m.strings.begin(), m.strings.end(),
                                  [&](const std::string& x) { return EndsWith(s, x); });
    case Op::kAnythingButWildcard:
      return !str || std::none_of(m.wildcards.begin(), m.wildcards.end(),
                                  [&](const Wildcard& w) { return WildcardMatches(w, s); });
    case Op::kNumeric: {
      auto n = NumberOf(v);
      return n && InRange(m, *n);
    }
    case Op::kExistsTrue:
      return true;
    case Op::kExistsFalse:
      return false;
    case Op::kCidr:
      return str && CidrMatches(m, s);
  }
  return false;
}

// Calls `fn` on every scalar under `v` (arrays flattened, objects skipped) until it returns true.
template <typename Fn>
bool AnyLeaf(const json::value& v, bool& any_value, const Fn& fn) {
  if (v.is_array()) {
    for (const json::value& e : v.get_array()) {
      if (AnyLeaf(e, any_value, fn)) return true;
    }
    return false;
  }
  if (v.is_object()) return false;
  any_value = true;
  return fn(v);
}

bool MatchLeaf(const std::vector<Matcher>& matchers, const json::value* v) {
  bool any_value = false;
  if (v != nullptr && AnyLeaf(*v, any_value, [&](const json::value& x) {
        for (const Matcher& m : matchers) {
          if (MatchValue(m, x)) return true;
        }
        return false;
      })) {
    return true;
  }
  if (any_value) return false;
  // No value at all: only {"exists": false} matches.
  return std::any_of(matchers.begin(), matchers.end(),
                     [](const Matcher& m) { return m.op == Op::kExistsFalse; });
}

bool MatchNode(const PatternNode& p, const json::value* v);

bool MatchObjectFields(const PatternNode& p, const json::value* v) {
  const json::object* obj = v != nullptr ? v->if_object() : nullptr;
  for (const PatternNode::Field& f : p.fields) {
    const json::value* fv = obj != nullptr ? obj->if_contains(f.name) : nullptr;
    if (f.nested ? !MatchNode(*f.nested, fv) : !MatchLeaf(f.leaf, fv)) return false;
  }
  for (const auto& alternatives : p.ors) {
    if (std::none_of(alternatives.begin(), alternatives.end(),
                     [&](const PatternNode& alt) { return MatchObjectFields(alt, v); })) {
      return false;
    }
  }
  return true;
}

// An object pattern against an event value. Against an array, one element must match the whole pattern, so
// that fields matched inside an array of objects come from the same element.
bool MatchNode(const PatternNode& p, const json::value* v) {
  if (v != nullptr && v->is_array()) {
    bool any_container = false;
    for (const json::value& e : v->get_array()) {
      if (!e.is_object() && !e.is_array()) continue;
      any_container = true;
      if (MatchNode(p, &e)) return true;
    }
    if (any_container) return false;
    return MatchObjectFields(p, nullptr);
  }
  return MatchObjectFields(p, v);
}

// ---------------------------------------------------------------------------------------------------------
// Parsing

class Compiler {
 public:
  explicit Compiler(PatternDialect dialect) : dialect_(dialect) {}

  const std::string& error() const { return error_; }

  // The top-level pattern.
  bool Root(const json::value& v, PatternNode& out) {
    if (!v.is_object()) return Fail("Filter is not an object");
    return Object(v.get_object(), out, /*in_or=*/false, /*depth=*/0);
  }

  int keys() const { return static_cast<int>(paths_.size()); }
  long long combinations(const PatternNode& root) const { return Combinations(root); }

 private:
  bool Fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
    return false;
  }

  bool Object(const json::object& o, PatternNode& out, bool in_or, int depth) {
    if (o.empty()) return Fail("Empty objects are not allowed");
    for (const auto& [key_sv, value] : o) {
      const std::string key(key_sv);
      if (key == kOr) {
        if (!Or(value, out, depth)) return false;
        continue;
      }
      if (in_or && (key == "anything-but" || key == "exists" || key == "prefix" || key == "numeric" ||
                    key == "cidr" || key == "suffix" || key == "equals-ignore-case" || key == "wildcard")) {
        return Fail(key + " is Ruler reserved fieldName which cannot be used inside $or.");
      }
      PatternNode::Field field;
      field.name = key;
      if (value.is_object()) {
        if (dialect_ == PatternDialect::kSnsMessageAttributes) {
          nested_in_attributes_ = true;
          return Fail("Filter policy scope MessageAttributes does not support nested filter policy");
        }
        field.nested = std::make_unique<PatternNode>();
        path_.push_back(key);
        bool ok = Object(value.get_object(), *field.nested, in_or, depth + 1);
        path_.pop_back();
        if (!ok) return false;
      } else if (value.is_array()) {
        path_.push_back(key);
        std::string joined = JoinStrings(path_, ".");
        path_.pop_back();
        if (std::find(paths_.begin(), paths_.end(), joined) == paths_.end())
          paths_.push_back(std::move(joined));
        if (!Leaf(value.get_array(), field.leaf)) return false;
      } else {
        return Fail("\"" + key + "\" must be an object or an array");
      }
      out.fields.push_back(std::move(field));
    }
    return true;
  }

  bool Or(const json::value& v, PatternNode& out, int depth) {
    if (!v.is_array()) return Fail("It must be an Array followed with $or.");
    std::vector<PatternNode> alternatives;
    for (const json::value& e : v.get_array()) {
      if (!e.is_object()) return Fail("Only JSON object is allowed in array of $or relationship.");
      PatternNode alt;
      if (!Object(e.get_object(), alt, /*in_or=*/true, depth)) return false;
      alternatives.push_back(std::move(alt));
    }
    if (alternatives.size() < 2) return Fail("There must have at least 2 Objects in $or relationship.");
    out.ors.push_back(std::move(alternatives));
    return true;
  }

  bool Leaf(const json::array& values, std::vector<Matcher>& out) {
    for (const json::value& v : values) {
      Matcher m;
      switch (v.kind()) {
        case json::kind::string:
          m.op = Op::kExactString;
          m.text = std::string(v.get_string());
          break;
        case json::kind::int64:
        case json::kind::uint64:
        case json::kind::double_:
          m.op = Op::kExactNumber;
          m.number = *NumberOf(v);
          break;
        case json::kind::bool_:
          m.op = v.get_bool() ? Op::kTrue : Op::kFalse;
          break;
        case json::kind::null:
          m.op = Op::kNull;
          break;
        case json::kind::object:
          if (!Expression(v.get_object(), m)) return false;
          break;
        case json::kind::array:
          return Fail("Match value must be String, number, true, false, or null");
      }
      out.push_back(std::move(m));
    }
    if (out.empty()) return Fail("Empty arrays are not allowed");
    return true;
  }

  bool Sns() const { return dialect_ != PatternDialect::kEventBridge; }

  // SNS documents numeric operands from -1e9 to 1e9 (EventBridge's wider range is not enforced here).
  bool NumberInRange(double x) {
    if (!Sns() || (std::isfinite(x) && x >= -1e9 && x <= 1e9)) return true;
    return Fail("Numeric values must be within -1.0E9 and 1.0E9");
  }

  bool Expression(const json::object& o, Matcher& m) {
    if (o.empty()) return Fail("Empty objects are not allowed");
    if (o.size() > 1) return Fail("Only one key allowed in match expression");
    const auto& [name_sv, value] = *o.begin();
    const std::string name(name_sv);
    if (name == "prefix" || name == "suffix") {
      const bool prefix = name == "prefix";
      if (value.is_object()) {
        const json::object& inner = value.get_object();
        if (inner.size() != 1 || !inner.contains("equals-ignore-case")) {
          return Fail("Unsupported " + name +
                      " pattern: " + (inner.empty() ? std::string() : std::string(inner.begin()->key())));
        }
        const json::value& s = inner.begin()->value();
        if (!s.is_string()) return Fail("equals-ignore-case match pattern must be a string");
        m.op = prefix ? Op::kPrefixIgnoreCase : Op::kSuffixIgnoreCase;
        m.text = FoldCaseUtf8(s.get_string());
        return true;
      }
      if (!value.is_string()) return Fail(name + " match pattern must be a string");
      m.op = prefix ? Op::kPrefix : Op::kSuffix;
      m.text = std::string(value.get_string());
      return true;
    }
    if (name == "equals-ignore-case") {
      if (!value.is_string()) return Fail("equals-ignore-case match pattern must be a string");
      m.op = Op::kEqualsIgnoreCase;
      m.text = FoldCaseUtf8(value.get_string());
      return true;
    }
    if (name == "wildcard") {
      if (Sns()) return Fail("Unrecognized match type wildcard");
      if (!value.is_string()) return Fail("wildcard match pattern must be a string");
      m.op = Op::kWildcard;
      m.wildcards.emplace_back();
      return ParseWildcard(value.get_string(), m.wildcards.back());
    }
    if (name == "exists") {
      if (!value.is_bool()) return Fail("exists match pattern must be either true or false.");
      m.op = value.get_bool() ? Op::kExistsTrue : Op::kExistsFalse;
      return true;
    }
    if (name == "cidr") {
      if (!value.is_string()) return Fail("cidr match pattern must be a string");
      return ParseCidr(value.get_string(), m);
    }
    if (name == "numeric") {
      if (!value.is_array()) return Fail("Value of numeric must be an array.");
      return Numeric(value.get_array(), m);
    }
    if (name == "anything-but") return AnythingBut(value, m);
    return Fail("Unrecognized match type " + name);
  }

  bool ParseWildcard(std::string_view s, Wildcard& w) {
    w.parts.emplace_back();
    for (std::size_t i = 0; i < s.size(); ++i) {
      const char c = s[i];
      if (c == '\\') {
        if (i + 1 >= s.size() || (s[i + 1] != '*' && s[i + 1] != '\\')) {
          return Fail("Invalid escape character at pos " + std::to_string(i));
        }
        w.parts.back().push_back(s[++i]);
      } else if (c == '*') {
        if (i > 0 && s[i - 1] == '*')
          return Fail("Consecutive wildcard characters at pos " + std::to_string(i - 1));
        w.parts.emplace_back();
      } else {
        w.parts.back().push_back(c);
      }
    }
    return true;
  }

  bool ParseCidr(std::string_view s, Matcher& m) {
    const std::size_t slash = s.find('/');
    if (slash == std::string_view::npos) return Fail("Malformed CIDR, one '/' required");
    m.addr_len = ParseAddress(s.substr(0, slash), m.addr);
    if (m.addr_len == 0) return Fail("Invalid IP address: " + std::string(s.substr(0, slash)));
    const std::string_view bits = s.substr(slash + 1);
    int n = 0;
    if (bits.empty() || bits.size() > 3 || !std::all_of(bits.begin(), bits.end(), IsAsciiDigit)) {
      return Fail("Malformed CIDR, mask bits must be an integer");
    }
    for (char c : bits) n = n * 10 + (c - '0');
    if (n > m.addr_len * 8)
      return Fail("Malformed CIDR, mask bits must be between 0 and " + std::to_string(m.addr_len * 8));
    m.op = Op::kCidr;
    m.prefix_bits = n;
    return true;
  }

  static std::string Text(const json::value& v) { return json::serialize(v); }

  bool Numeric(const json::array& a, Matcher& m) {
    m.op = Op::kNumeric;
    std::size_t i = 0;
    auto number_after = [&](const std::string& op, double& out) {
      if (i >= a.size() || !NumberOf(a[i])) return Fail("Value of " + op + " must be numeric");
      out = *NumberOf(a[i++]);
      return NumberInRange(out);
    };
    if (a.empty() || !a[0].is_string()) {
      return Fail("Invalid member in numeric match: " + (a.empty() ? std::string("]") : Text(a[0])));
    }
    const std::string op(a[i++].get_string());
    if (op == "=") {
      double x;
      if (!number_after(op, x)) return false;
      if (i != a.size()) return Fail("Too many elements in numeric expression");
      m.has_lo = m.has_hi = true;
      m.lo = m.hi = x;
      return true;
    }
    if (op == "<" || op == "<=") {
      if (!number_after(op, m.hi)) return false;
      if (i != a.size()) return Fail("Too many elements in numeric expression");
      m.has_hi = true;
      m.hi_open = op == "<";
      return true;
    }
    if (op != ">" && op != ">=") return Fail("Unrecognized numeric range operator: " + op);
    if (!number_after(op, m.lo)) return false;
    m.has_lo = true;
    m.lo_open = op == ">";
    if (i == a.size()) return true;
    if (!a[i].is_string()) return Fail("Bad value in numeric range: " + Text(a[i]));
    const std::string top(a[i++].get_string());
    if (top != "<" && top != "<=") return Fail("Bad numeric range operator: " + top);
    if (!number_after(top, m.hi)) return false;
    if (i != a.size()) return Fail("Too many terms in numeric range expression");
    m.has_hi = true;
    m.hi_open = top == "<";
    if (m.lo >= m.hi) return Fail("Bottom must be less than top");
    return true;
  }

  // Strings, or a list of strings, for the object forms of anything-but.
  bool StringOrList(const json::value& v, const std::string& what, std::vector<std::string>& out,
                    bool lower) {
    auto add = [&](const json::value& s) {
      if (!s.is_string()) return Fail(what + " match pattern must be a string");
      out.push_back(lower ? FoldCaseUtf8(s.get_string()) : std::string(s.get_string()));
      return true;
    };
    if (v.is_array()) {
      if (v.get_array().empty()) return Fail("Empty arrays are not allowed");
      for (const json::value& s : v.get_array()) {
        if (!add(s)) return false;
      }
      return true;
    }
    return add(v);
  }

  bool AnythingBut(const json::value& value, Matcher& m) {
    if (value.is_object()) {
      const json::object& inner = value.get_object();
      if (inner.empty()) return Fail("Anything-But expression name not found");
      if (inner.size() > 1) return Fail("Only one key allowed in match expression");
      const std::string op(inner.begin()->key());
      const json::value& arg = inner.begin()->value();
      if (op == "prefix" || op == "suffix") {
        m.op = op == "prefix" ? Op::kAnythingButPrefix : Op::kAnythingButSuffix;
        if (!StringOrList(arg, "prefix/suffix", m.strings, false)) return false;
        for (const std::string& s : m.strings) {
          if (s.empty()) return Fail("Null prefix/suffix not allowed");
        }
        return true;
      }
      if (op == "equals-ignore-case") {
        m.op = Op::kAnythingButStringsIgnoreCase;
        if (!arg.is_string() && !arg.is_array()) {
          return Fail(
              "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.");
        }
        if (arg.is_array()) {
          for (const json::value& s : arg.get_array()) {
            if (!s.is_string()) {
              return Fail(
                  "Inside anything-but/equals-ignore-case list, numberic|start|null|boolean is not "
                  "supported.");
            }
          }
        }
        return StringOrList(arg, "equals-ignore-case", m.strings, true);
      }
      if (op == "wildcard" && !Sns()) {
        m.op = Op::kAnythingButWildcard;
        std::vector<std::string> texts;
        if (!StringOrList(arg, "wildcard", texts, false)) return false;
        for (const std::string& t : texts) {
          m.wildcards.emplace_back();
          if (!ParseWildcard(t, m.wildcards.back())) return false;
        }
        return true;
      }
      return Fail("Unsupported anything-but pattern: " + op);
    }
    if (value.is_string()) {
      m.op = Op::kAnythingButStrings;
      m.strings.emplace_back(value.get_string());
      return true;
    }
    if (NumberOf(value)) {
      m.op = Op::kAnythingButNumbers;
      m.numbers.push_back(*NumberOf(value));
      return NumberInRange(m.numbers.back());
    }
    if (!value.is_array()) {
      return Fail("Value of anything-but must be an array or single string/number value.");
    }
    bool has_string = false, has_number = false;
    for (const json::value& e : value.get_array()) {
      if (e.is_string()) {
        has_string = true;
        m.strings.emplace_back(e.get_string());
      } else if (NumberOf(e)) {
        has_number = true;
        m.numbers.push_back(*NumberOf(e));
        if (!NumberInRange(m.numbers.back())) return false;
      } else {
        return Fail("Inside anything but list, start|null|boolean is not supported.");
      }
    }
    if (has_string == has_number) {
      return Fail(
          "Inside anything but list, either all values are number or string, mixed type is not supported");
    }
    m.op = has_number ? Op::kAnythingButNumbers : Op::kAnythingButStrings;
    return true;
  }

  // SNS: the values of each leaf multiply; the alternatives of an $or add.
  static long long Combinations(const PatternNode& node) {
    long long total = 1;
    for (const PatternNode::Field& f : node.fields) {
      total = Saturate(total * (f.nested ? Combinations(*f.nested) : static_cast<long long>(f.leaf.size())));
    }
    for (const auto& alternatives : node.ors) {
      long long sum = 0;
      for (const PatternNode& alt : alternatives) sum = Saturate(sum + Combinations(alt));
      total = Saturate(total * sum);
    }
    return total;
  }
  static long long Saturate(long long x) { return std::min<long long>(x, 1LL << 40); }

  PatternDialect dialect_;
  std::string error_;
  std::vector<std::string> path_;
  std::vector<std::string> paths_;  // distinct leaf paths ("detail.state")
  bool nested_in_attributes_ = false;

 public:
  bool nested_in_attributes() const { return nested_in_attributes_; }
};

Error PatternError(PatternDialect dialect, const std::string& reason, bool bare = false) {
  if (dialect == PatternDialect::kEventBridge) {
    return MakeError("InvalidEventPatternException", "Event pattern is not valid. Reason: " + reason);
  }
  return MakeError("InvalidParameter",
                   (bare ? "Invalid parameter: " : "Invalid parameter: FilterPolicy: ") + reason);
}

}  // namespace

EventPattern::EventPattern() = default;
EventPattern::EventPattern(EventPattern&&) noexcept = default;
EventPattern& EventPattern::operator=(EventPattern&&) noexcept = default;
EventPattern::~EventPattern() = default;

Result<EventPattern> EventPattern::Parse(std::string_view pattern_json, PatternDialect dialect) {
  boost::system::error_code ec;
  json::parse_options options;
  options.max_depth = 64;
  json::value doc = json::parse(pattern_json, ec, {}, options);
  if (ec) {
    return PatternError(dialect, dialect == PatternDialect::kEventBridge
                                     ? "Unrecognized token in event pattern: " + ec.message()
                                     : "Filter policy is not valid JSON");
  }
  EventPattern pattern;
  pattern.root_ = std::make_unique<PatternNode>();
  Compiler compiler(dialect);
  if (!compiler.Root(doc, *pattern.root_)) {
    return PatternError(dialect, compiler.error(), compiler.nested_in_attributes());
  }
  pattern.key_count_ = compiler.keys();
  pattern.combinations_ = compiler.combinations(*pattern.root_);
  if (dialect != PatternDialect::kEventBridge) {
    // https://docs.aws.amazon.com/sns/latest/dg/subscription-filter-policy-constraints.html
    if (pattern.key_count_ > 5) return PatternError(dialect, "Filter policy can not have more than 5 keys");
    if (pattern.combinations_ > 150) return PatternError(dialect, "Filter policy is too complex");
  }
  return pattern;
}

bool EventPattern::Matches(const json::value& event) const { return MatchNode(*root_, &event); }

json::object MessageAttributesAsEvent(const std::vector<TypedAttribute>& attributes) {
  json::object out;
  for (const TypedAttribute& a : attributes) {
    const std::string_view type = a.data_type.substr(0, a.data_type.find('.'));
    if (a.data_type == "String.Array" || StartsWith(a.data_type, "String.Array.")) {
      boost::system::error_code ec;
      json::value parsed = json::parse(a.string_value, ec);
      if (!ec && parsed.is_array()) out[a.name] = std::move(parsed);
    } else if (type == "String") {
      out[a.name] = a.string_value;
    } else if (type == "Number") {
      boost::system::error_code ec;
      json::value parsed = json::parse(a.string_value, ec);
      if (!ec && NumberOf(parsed)) out[a.name] = std::move(parsed);
    }
  }
  return out;
}

}  // namespace cenote::services
