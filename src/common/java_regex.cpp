#include "common/java_regex.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/mutex.hpp"
#include "common/unicode_categories.hpp"

namespace cenote {

namespace {

constexpr char32_t kMaxCodePoint = 0x10FFFF;
// A program larger than this (a big {n,m} of a big group) is refused rather than built.
constexpr std::size_t kMaxInstructions = 50000;

Error Unsupported(std::string why) { return MakeError("UnsupportedPattern", std::move(why)); }

// ---- character sets ----------------------------------------------------------------------------------

// Sorted, disjoint, non-adjacent inclusive ranges.
class CharSet {
 public:
  void Add(char32_t lo, char32_t hi) { ranges_.emplace_back(lo, hi); }
  void Add(std::span<const unicode::CodePointRange> rs) {
    for (const auto& r : rs) Add(r.lo, r.hi);
  }
  void AddSet(const CharSet& other) {
    ranges_.insert(ranges_.end(), other.ranges_.begin(), other.ranges_.end());
  }
  void Normalize() {
    std::sort(ranges_.begin(), ranges_.end());
    std::vector<std::pair<char32_t, char32_t>> merged;
    for (const auto& r : ranges_) {
      if (!merged.empty() && r.first <= merged.back().second + 1) {
        merged.back().second = std::max(merged.back().second, r.second);
      } else {
        merged.push_back(r);
      }
    }
    ranges_ = std::move(merged);
  }
  // Requires Normalize() first.
  CharSet Complement() const {
    CharSet out;
    char32_t next = 0;
    for (const auto& [lo, hi] : ranges_) {
      if (lo > next) out.Add(next, lo - 1);
      next = hi + 1;
    }
    if (next <= kMaxCodePoint) out.Add(next, kMaxCodePoint);
    return out;
  }
  bool Contains(char32_t c) const {
    auto it = std::upper_bound(ranges_.begin(), ranges_.end(), c,
                               [](char32_t v, const auto& r) { return v < r.first; });
    return it != ranges_.begin() && c <= std::prev(it)->second;
  }
  const std::vector<std::pair<char32_t, char32_t>>& ranges() const { return ranges_; }

 private:
  std::vector<std::pair<char32_t, char32_t>> ranges_;
};

// A compiled set with an ASCII bitmap in front of the range search (most input is ASCII).
struct ClassMatcher {
  std::uint64_t ascii[2] = {0, 0};
  CharSet set;

  explicit ClassMatcher(CharSet s) : set(std::move(s)) {
    for (char32_t c = 0; c < 128; ++c) {
      if (set.Contains(c)) ascii[c >> 6] |= std::uint64_t{1} << (c & 63);
    }
  }
  bool Contains(char32_t c) const {
    if (c < 128) return (ascii[c >> 6] >> (c & 63)) & 1;
    return set.Contains(c);
  }
};

CharSet Single(char32_t c) {
  CharSet s;
  s.Add(c, c);
  return s;
}

CharSet Digits() {
  CharSet s;
  s.Add('0', '9');
  return s;
}
CharSet Spaces() {  // Java's \s: [ \t\n\x0B\f\r]
  CharSet s;
  s.Add(' ', ' ');
  s.Add('\t', '\r');
  return s;
}
CharSet WordChars() {  // Java's \w: [a-zA-Z_0-9]
  CharSet s;
  s.Add('a', 'z');
  s.Add('A', 'Z');
  s.Add('0', '9');
  s.Add('_', '_');
  return s;
}
bool IsLineTerminator(char32_t c) {
  return c == '\n' || c == '\r' || c == 0x85 || c == 0x2028 || c == 0x2029;
}
CharSet AnyChar() {
  CharSet s;
  s.Add(0, kMaxCodePoint);
  return s;
}
CharSet AnyButLineTerminators() {
  CharSet s;
  s.Add('\n', '\n');
  s.Add('\r', '\r');
  s.Add(0x85, 0x85);
  s.Add(0x2028, 0x2029);
  s.Normalize();
  return s.Complement();
}

// Java's \b counts Character.isLetterOrDigit(c) || c == '_' as word characters.
bool IsJavaWordChar(char32_t c) {
  static const ClassMatcher kWord = [] {
    CharSet s;
    s.Add(unicode::Letter());
    s.Add(unicode::DecimalDigit());
    s.Add('_', '_');
    s.Normalize();
    return ClassMatcher(std::move(s));
  }();
  return kWord.Contains(c);
}

// ---- syntax tree ---------------------------------------------------------------------------------------

enum class AssertKind { kInputStart, kLineEnd, kInputEnd, kWordBoundary, kNotWordBoundary, kLookaround };

struct Node {
  enum class Kind { kEmpty, kClass, kConcat, kAlt, kRepeat, kAssert };
  Kind kind = Kind::kEmpty;
  CharSet set;  // kClass; the one character of a lookbehind
  std::vector<std::unique_ptr<Node>> children;
  int min = 0, max = -1;  // kRepeat; max -1 = unbounded
  AssertKind assert = AssertKind::kInputStart;
  bool ahead = true;  // lookaround direction
  bool negate = false;
};

std::unique_ptr<Node> MakeNode(Node::Kind kind) {
  auto n = std::make_unique<Node>();
  n->kind = kind;
  return n;
}

std::unique_ptr<Node> ClassNode(CharSet set) {
  auto n = MakeNode(Node::Kind::kClass);
  set.Normalize();
  n->set = std::move(set);
  return n;
}

std::unique_ptr<Node> AssertNode(AssertKind kind) {
  auto n = MakeNode(Node::Kind::kAssert);
  n->assert = kind;
  return n;
}

// Decodes one UTF-8 code point at `i` (advancing it); invalid bytes read as U+FFFD, one byte at a time.
char32_t DecodeUtf8(std::string_view s, std::size_t& i) {
  auto b = static_cast<unsigned char>(s[i]);
  if (b < 0x80) {
    ++i;
    return b;
  }
  int len = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 0;
  if (len == 0 || b > 0xF4 || i + len > s.size()) {
    ++i;
    return 0xFFFD;
  }
  char32_t c = b & (0xFF >> (len + 1));
  for (int k = 1; k < len; ++k) {
    auto cb = static_cast<unsigned char>(s[i + k]);
    if ((cb & 0xC0) != 0x80) {
      ++i;
      return 0xFFFD;
    }
    c = (c << 6) | (cb & 0x3F);
  }
  static constexpr char32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
  if (c < kMinForLength[len] || c > kMaxCodePoint || (c >= 0xD800 && c <= 0xDFFF)) {
    ++i;
    return 0xFFFD;
  }
  i += len;
  return c;
}

// Recursive-descent parser of Java's pattern syntax (the subset in the header).
class Parser {
 public:
  explicit Parser(std::string_view pattern) {
    for (std::size_t i = 0; i < pattern.size();) cps_.push_back(DecodeUtf8(pattern, i));
  }

  Result<std::unique_ptr<Node>> Parse() {
    CENOTE_ASSIGN_OR_RETURN(auto node, ParseAlternation());
    if (pos_ != cps_.size()) return Unsupported("unbalanced ')'");
    return node;
  }

 private:
  bool AtEnd() const { return pos_ >= cps_.size(); }
  char32_t Peek(std::size_t ahead = 0) const {
    return pos_ + ahead < cps_.size() ? cps_[pos_ + ahead] : char32_t{0xFFFFFFFF};
  }
  bool Eat(char32_t c) {
    if (Peek() != c) return false;
    ++pos_;
    return true;
  }

  Result<std::unique_ptr<Node>> ParseAlternation() {
    auto alt = MakeNode(Node::Kind::kAlt);
    for (;;) {
      CENOTE_ASSIGN_OR_RETURN(auto branch, ParseConcat());
      alt->children.push_back(std::move(branch));
      if (!Eat('|')) break;
    }
    if (alt->children.size() == 1) return std::move(alt->children.front());
    return alt;
  }

  Result<std::unique_ptr<Node>> ParseConcat() {
    auto concat = MakeNode(Node::Kind::kConcat);
    while (!AtEnd() && Peek() != '|' && Peek() != ')') {
      CENOTE_ASSIGN_OR_RETURN(auto atom, ParseAtom());
      if (!atom) continue;  // an inline flag group: nothing to match
      CENOTE_ASSIGN_OR_RETURN(auto repeated, ParseQuantifiers(std::move(atom)));
      concat->children.push_back(std::move(repeated));
    }
    if (concat->children.size() == 1) return std::move(concat->children.front());
    if (concat->children.empty()) return MakeNode(Node::Kind::kEmpty);
    return concat;
  }

  Result<std::unique_ptr<Node>> ParseQuantifiers(std::unique_ptr<Node> atom) {
    for (;;) {
      int min = 0, max = -1;
      if (Eat('*')) {
      } else if (Eat('+')) {
        min = 1;
      } else if (Eat('?')) {
        max = 1;
      } else if (Peek() == '{') {
        ++pos_;
        CENOTE_ASSIGN_OR_RETURN(min, ParseNumber());
        max = min;
        if (Eat(',')) {
          if (Peek() == '}') {
            max = -1;
          } else {
            CENOTE_ASSIGN_OR_RETURN(max, ParseNumber());
          }
        }
        if (!Eat('}')) return Unsupported("malformed {n,m}");
        if (max != -1 && max < min) return Unsupported("{n,m} with m < n");
      } else {
        return atom;
      }
      if (Eat('+')) return Unsupported("possessive quantifier");
      Eat('?');  // lazy: the same set of whole-input matches
      if (atom->kind == Node::Kind::kAssert) return Unsupported("quantified assertion");
      auto repeat = MakeNode(Node::Kind::kRepeat);
      repeat->min = min;
      repeat->max = max;
      repeat->children.push_back(std::move(atom));
      atom = std::move(repeat);
    }
  }

  Result<int> ParseNumber() {
    int n = 0;
    bool any = false;
    while (Peek() >= '0' && Peek() <= '9') {
      n = n * 10 + static_cast<int>(cps_[pos_++] - '0');
      if (n > 100000) return Unsupported("repetition count too large");
      any = true;
    }
    if (!any) return Unsupported("malformed {n,m}");
    return n;
  }

  // Returns null for an inline flag group "(?s)".
  Result<std::unique_ptr<Node>> ParseAtom() {
    char32_t c = cps_[pos_++];
    switch (c) {
      case '(':
        return ParseGroup();
      case '[':
        return ParseClass();
      case '.':
        return ClassNode(dotall_ ? AnyChar() : AnyButLineTerminators());
      case '^':
        return AssertNode(AssertKind::kInputStart);
      case '$':
        return AssertNode(AssertKind::kLineEnd);
      case '\\':
        return ParseEscapeAtom();
      case '*':
      case '+':
      case '?':
      case '{':
        return Unsupported("dangling quantifier");
      default:
        return ClassNode(Single(c));
    }
  }

  Result<std::unique_ptr<Node>> ParseGroup() {
    bool saved_dotall = dotall_;
    std::unique_ptr<Node> lookaround;
    if (Eat('?')) {
      if (Eat(':')) {
      } else if (Peek() == '=' || Peek() == '!') {
        lookaround = AssertNode(AssertKind::kLookaround);
        lookaround->negate = cps_[pos_++] == '!';
      } else if (Peek() == '<' && (Peek(1) == '=' || Peek(1) == '!')) {
        ++pos_;
        lookaround = AssertNode(AssertKind::kLookaround);
        lookaround->ahead = false;
        lookaround->negate = cps_[pos_++] == '!';
      } else if (Eat('<')) {  // named group
        while (!AtEnd() && Peek() != '>') ++pos_;
        if (!Eat('>')) return Unsupported("unterminated group name");
      } else {
        // Inline flags: only DOTALL ("(?s)", "(?s:...)").
        bool on = true;
        bool dotall = dotall_;
        while (!AtEnd() && Peek() != ')' && Peek() != ':') {
          char32_t f = cps_[pos_++];
          if (f == '-') {
            on = false;
          } else if (f == 's') {
            dotall = on;
          } else {
            return Unsupported("inline flag other than s");
          }
        }
        if (Eat(')')) {
          dotall_ = dotall;  // applies to the rest of the enclosing group
          return std::unique_ptr<Node>();
        }
        if (!Eat(':')) return Unsupported("unterminated flag group");
        dotall_ = dotall;
      }
    }
    CENOTE_ASSIGN_OR_RETURN(auto inner, ParseAlternation());
    if (!Eat(')')) return Unsupported("unbalanced '('");
    dotall_ = saved_dotall;
    if (!lookaround) return inner;
    if (!lookaround->ahead) {
      // Lookbehind of exactly one character ("(?<!\.)"): the models use no other kind.
      if (inner->kind != Node::Kind::kClass) return Unsupported("lookbehind longer than one character");
      lookaround->set = std::move(inner->set);
      return lookaround;
    }
    lookaround->children.push_back(std::move(inner));
    return lookaround;
  }

  Result<std::unique_ptr<Node>> ParseEscapeAtom() {
    if (AtEnd()) return Unsupported("trailing backslash");
    switch (Peek()) {
      case 'b':
        ++pos_;
        return AssertNode(AssertKind::kWordBoundary);
      case 'B':
        ++pos_;
        return AssertNode(AssertKind::kNotWordBoundary);
      case 'A':
        ++pos_;
        return AssertNode(AssertKind::kInputStart);
      case 'z':
        ++pos_;
        return AssertNode(AssertKind::kInputEnd);
      case 'Z':
        ++pos_;
        return AssertNode(AssertKind::kLineEnd);
      default:
        break;
    }
    CENOTE_ASSIGN_OR_RETURN(CharSet set, ParseEscape());
    return ClassNode(std::move(set));
  }

  // After a backslash: one code point or a predefined class, as a set.
  Result<CharSet> ParseEscape() {
    if (AtEnd()) return Unsupported("trailing backslash");
    char32_t c = cps_[pos_++];
    switch (c) {
      case 't':
        return Single('\t');
      case 'n':
        return Single('\n');
      case 'r':
        return Single('\r');
      case 'f':
        return Single('\f');
      case 'a':
        return Single(0x07);
      case 'e':
        return Single(0x1B);
      case 'd':
        return Digits();
      case 'D':
        return Normalized(Digits()).Complement();
      case 's':
        return Spaces();
      case 'S':
        return Normalized(Spaces()).Complement();
      case 'w':
        return WordChars();
      case 'W':
        return Normalized(WordChars()).Complement();
      case 'p':
      case 'P': {
        CENOTE_ASSIGN_OR_RETURN(CharSet set, ParseProperty());
        return c == 'P' ? Normalized(std::move(set)).Complement() : set;
      }
      case 'x': {
        if (Eat('{')) {
          CENOTE_ASSIGN_OR_RETURN(char32_t v, ParseHex(0));
          if (!Eat('}')) return Unsupported("malformed \\x{...}");
          return Single(v);
        }
        CENOTE_ASSIGN_OR_RETURN(char32_t v, ParseHex(2));
        return Single(v);
      }
      case 'u': {
        CENOTE_ASSIGN_OR_RETURN(char32_t v, ParseHex(4));
        // Java joins an escaped surrogate pair into one supplementary code point.
        if (v >= 0xD800 && v <= 0xDBFF && Peek() == '\\' && Peek(1) == 'u') {
          std::size_t saved = pos_;
          pos_ += 2;
          auto low = ParseHex(4);
          if (low && *low >= 0xDC00 && *low <= 0xDFFF) {
            return Single(0x10000 + ((v - 0xD800) << 10) + (*low - 0xDC00));
          }
          pos_ = saved;
        }
        return Single(v);
      }
      case '0': {
        char32_t v = 0;
        int digits = 0;
        while (digits < 3 && Peek() >= '0' && Peek() <= '7') {
          char32_t next = v * 8 + (cps_[pos_] - '0');
          if (next > 0377) break;
          v = next;
          ++pos_;
          ++digits;
        }
        if (digits == 0) return Unsupported("malformed octal escape");
        return Single(v);
      }
      case 'c':
        if (AtEnd()) return Unsupported("malformed \\c");
        return Single(cps_[pos_++] ^ 64);
      default:
        // Java: a backslash before a non-alphabetic character quotes it; other letters and digits are
        // escapes this matcher does not know (backreferences, \Q, \R, \h, ...).
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
          return Unsupported(std::string("escape \\") + static_cast<char>(c));
        }
        return Single(c);
    }
  }

  static CharSet Normalized(CharSet s) {
    s.Normalize();
    return s;
  }

  Result<char32_t> ParseHex(int digits) {
    char32_t v = 0;
    int n = 0;
    for (; digits == 0 || n < digits; ++n) {
      char32_t h = Peek();
      int d = h >= '0' && h <= '9'   ? static_cast<int>(h - '0')
              : h >= 'a' && h <= 'f' ? static_cast<int>(h - 'a' + 10)
              : h >= 'A' && h <= 'F' ? static_cast<int>(h - 'A' + 10)
                                     : -1;
      if (d < 0) break;
      v = v * 16 + static_cast<char32_t>(d);
      if (v > kMaxCodePoint) return Unsupported("hex escape out of range");
      ++pos_;
    }
    if (n == 0 || (digits != 0 && n != digits)) return Unsupported("malformed hex escape");
    return v;
  }

  Result<CharSet> ParseProperty() {
    std::u32string name;
    if (Eat('{')) {
      while (!AtEnd() && Peek() != '}') name.push_back(cps_[pos_++]);
      if (!Eat('}')) return Unsupported("unterminated \\p{...}");
    } else if (!AtEnd()) {
      name.push_back(cps_[pos_++]);
    }
    CharSet s;
    if (name == U"L" || name == U"IsL") {
      s.Add(unicode::Letter());
    } else if (name == U"N" || name == U"IsN") {
      s.Add(unicode::Number());
    } else if (name == U"Nd" || name == U"IsNd") {
      s.Add(unicode::DecimalDigit());
    } else if (name == U"P" || name == U"IsP") {
      s.Add(unicode::Punctuation());
    } else if (name == U"Z" || name == U"IsZ") {
      s.Add(unicode::Separator());
    } else if (name == U"ASCII") {
      s.Add(0, 0x7F);
    } else {
      return Unsupported("unknown property");
    }
    return s;
  }

  Result<std::unique_ptr<Node>> ParseClass() {
    bool negate = Eat('^');
    CharSet set;
    bool first = true;
    for (;;) {
      if (AtEnd()) return Unsupported("unterminated class");
      char32_t c = Peek();
      if (c == ']' && !first) {
        ++pos_;
        break;
      }
      first = false;
      if (c == '[') return Unsupported("nested class");
      if (c == '&' && Peek(1) == '&') return Unsupported("class intersection");
      CENOTE_ASSIGN_OR_RETURN(CharSet item, ParseClassItem());
      set.AddSet(item);
    }
    set.Normalize();
    return ClassNode(negate ? set.Complement() : std::move(set));
  }

  // One class item: a character, a range "a-z", or an escape class.
  Result<CharSet> ParseClassItem() {
    char32_t lo;
    if (Eat('\\')) {
      CENOTE_ASSIGN_OR_RETURN(CharSet esc, ParseEscape());
      esc.Normalize();
      const auto& rs = esc.ranges();
      if (rs.size() != 1 || rs[0].first != rs[0].second) return esc;  // \w, \p{L}, ...: no range
      lo = rs[0].first;
    } else {
      lo = cps_[pos_++];
    }
    // Java: "a-z" is a range; a '-' before ']' (or after a range) is a literal.
    if (Peek() == '-' && Peek(1) != ']' && Peek(1) != '[' && pos_ + 1 < cps_.size()) {
      ++pos_;
      char32_t hi;
      if (Eat('\\')) {
        CENOTE_ASSIGN_OR_RETURN(CharSet esc, ParseEscape());
        esc.Normalize();
        const auto& rs = esc.ranges();
        if (rs.size() != 1 || rs[0].first != rs[0].second) return Unsupported("range to a class escape");
        hi = rs[0].first;
      } else {
        hi = cps_[pos_++];
      }
      if (hi < lo) return Unsupported("reversed range");
      CharSet r;
      r.Add(lo, hi);
      return r;
    }
    return Single(lo);
  }

  std::vector<char32_t> cps_;
  std::size_t pos_ = 0;
  bool dotall_ = false;
};

// ---- program -------------------------------------------------------------------------------------------

struct Inst {
  enum class Op : std::uint8_t { kClass, kSplit, kJmp, kMatch, kAssert };
  Op op = Op::kMatch;
  AssertKind assert = AssertKind::kInputStart;
  int x = 0;  // kClass: class index; kSplit/kJmp: target; kAssert (lookaround): lookaround index
  int y = 0;  // kSplit: second target
};

struct Lookaround {
  bool ahead = true;
  bool negate = false;
  int start = 0;  // lookahead: first instruction of its sub-program (which ends in kMatch)
  int cls = 0;    // lookbehind: the class of the one character
};

}  // namespace

namespace java_regex_internal {
struct Program {
  std::vector<Inst> insts;
  std::vector<ClassMatcher> classes;
  std::vector<Lookaround> lookarounds;
  // Fast path for the commonest model pattern, one class repeated ("[a-zA-Z0-9_.-]+", "[\u0020-...]*"):
  // every code point in the class and the count within [fast_min, fast_max].
  bool fast = false;
  int fast_class = 0;
  std::size_t fast_min = 0, fast_max = 0;
};
}  // namespace java_regex_internal

namespace {

using java_regex_internal::Program;

class Compiler {
 public:
  explicit Compiler(Program& p) : p_(p) {}

  Status Emit(const Node& n) {
    if (p_.insts.size() > kMaxInstructions) return Unsupported("pattern too large");
    switch (n.kind) {
      case Node::Kind::kEmpty:
        return Status::Ok();
      case Node::Kind::kClass:
        Add({Inst::Op::kClass, AssertKind::kInputStart, AddClass(n.set), 0});
        return Status::Ok();
      case Node::Kind::kConcat:
        for (const auto& c : n.children) CENOTE_RETURN_IF_ERROR(Emit(*c));
        return Status::Ok();
      case Node::Kind::kAlt: {
        std::vector<int> jumps;
        for (std::size_t i = 0; i < n.children.size(); ++i) {
          int split = -1;
          if (i + 1 < n.children.size()) split = Add({Inst::Op::kSplit, {}, Here() + 1, 0});
          CENOTE_RETURN_IF_ERROR(Emit(*n.children[i]));
          if (split >= 0) {
            jumps.push_back(Add({Inst::Op::kJmp, {}, 0, 0}));
            p_.insts[split].y = Here();
          }
        }
        for (int j : jumps) p_.insts[j].x = Here();
        return Status::Ok();
      }
      case Node::Kind::kRepeat: {
        const Node& body = *n.children.front();
        for (int i = 0; i < n.min; ++i) CENOTE_RETURN_IF_ERROR(Emit(body));
        if (n.max == -1) {
          int loop = Add({Inst::Op::kSplit, {}, Here() + 1, 0});
          CENOTE_RETURN_IF_ERROR(Emit(body));
          Add({Inst::Op::kJmp, {}, loop, 0});
          p_.insts[loop].y = Here();
        } else {
          std::vector<int> exits;
          for (int i = n.min; i < n.max; ++i) {
            exits.push_back(Add({Inst::Op::kSplit, {}, Here() + 1, 0}));
            CENOTE_RETURN_IF_ERROR(Emit(body));
          }
          for (int e : exits) p_.insts[e].y = Here();
        }
        return Status::Ok();
      }
      case Node::Kind::kAssert: {
        if (n.assert != AssertKind::kLookaround) {
          Add({Inst::Op::kAssert, n.assert, 0, 0});
          return Status::Ok();
        }
        Lookaround la;
        la.ahead = n.ahead;
        la.negate = n.negate;
        if (!n.ahead) la.cls = AddClass(n.set);
        int index = static_cast<int>(p_.lookarounds.size());
        p_.lookarounds.push_back(la);
        Add({Inst::Op::kAssert, AssertKind::kLookaround, index, 0});
        if (n.ahead) pending_.emplace_back(index, n.children.front().get());
        return Status::Ok();
      }
    }
    return Status::Ok();
  }

  // Lookahead sub-programs go after the main program, each ending in its own kMatch.
  Status EmitLookaheads() {
    while (!pending_.empty()) {
      auto [index, node] = pending_.back();
      pending_.pop_back();
      p_.lookarounds[index].start = Here();
      CENOTE_RETURN_IF_ERROR(Emit(*node));
      Add({Inst::Op::kMatch, {}, 0, 0});
    }
    return Status::Ok();
  }

  int Add(Inst inst) {
    p_.insts.push_back(inst);
    return static_cast<int>(p_.insts.size()) - 1;
  }

 private:
  int Here() const { return static_cast<int>(p_.insts.size()); }
  int AddClass(const CharSet& set) {
    p_.classes.emplace_back(set);
    return static_cast<int>(p_.classes.size()) - 1;
  }

  Program& p_;
  std::vector<std::pair<int, const Node*>> pending_;
};

// Recognizes "^? (class | class quantified) $?" (groups are already gone from the tree). Anchors at the
// ends are no-ops for a whole-input match: ^ holds at 0, and $ before a final line terminator would leave
// the terminator unmatched.
bool FastPathOf(const Node& root, Program& p) {
  const Node* n = &root;
  std::vector<const Node*> parts;
  if (n->kind == Node::Kind::kConcat) {
    for (const auto& c : n->children) parts.push_back(c.get());
  } else {
    parts.push_back(n);
  }
  auto is_anchor = [](const Node* x, bool start) {
    return x->kind == Node::Kind::kAssert &&
           (start ? x->assert == AssertKind::kInputStart
                  : (x->assert == AssertKind::kLineEnd || x->assert == AssertKind::kInputEnd));
  };
  if (!parts.empty() && is_anchor(parts.front(), true)) parts.erase(parts.begin());
  if (!parts.empty() && is_anchor(parts.back(), false)) parts.pop_back();
  if (parts.size() != 1) return false;
  const Node* core = parts.front();
  std::size_t min = 1, max = 1;
  if (core->kind == Node::Kind::kRepeat) {
    min = static_cast<std::size_t>(core->min);
    max = core->max == -1 ? SIZE_MAX : static_cast<std::size_t>(core->max);
    core = core->children.front().get();
  }
  if (core->kind != Node::Kind::kClass) return false;
  p.fast = true;
  p.classes.emplace_back(core->set);
  p.fast_class = static_cast<int>(p.classes.size()) - 1;
  p.fast_min = min;
  p.fast_max = max;
  return true;
}

// A set of instruction indexes with O(1) insert, membership and clear (Russ Cox's sparse set).
class SparseSet {
 public:
  explicit SparseSet(std::size_t n) : dense_(n), sparse_(n) {}
  bool Contains(int i) const {
    auto s = sparse_[i];
    return s < size_ && dense_[s] == i;
  }
  void Insert(int i) {
    sparse_[i] = size_;
    dense_[size_++] = i;
  }
  void Clear() { size_ = 0; }
  std::size_t size() const { return size_; }
  int operator[](std::size_t k) const { return dense_[k]; }

 private:
  std::vector<int> dense_;
  std::vector<std::uint32_t> sparse_;
  std::uint32_t size_ = 0;
};

// One match of a program against decoded text. Lookahead results are memoized per (lookahead, position).
class Vm {
 public:
  Vm(const Program& p, const std::u32string& text) : p_(p), text_(text), memo_(&own_memo_) {}
  Vm(const Program& p, const std::u32string& text, std::map<int, std::vector<std::int8_t>>* memo)
      : p_(p), text_(text), memo_(memo) {}

  // Runs from instruction `start` at `pos`. whole: the match must end at the end of the text (matches());
  // otherwise any prefix match counts (a lookahead).
  bool Run(int start, std::size_t pos, bool whole) {
    SparseSet current(p_.insts.size()), next(p_.insts.size());
    std::vector<int> stack;
    AddThread(current, start, pos, stack);
    for (;; ++pos) {
      if (current.size() == 0) return false;
      for (std::size_t k = 0; k < current.size(); ++k) {
        if (p_.insts[current[k]].op == Inst::Op::kMatch && (!whole || pos == text_.size())) return true;
      }
      if (pos == text_.size()) return false;
      char32_t c = text_[pos];
      next.Clear();
      for (std::size_t k = 0; k < current.size(); ++k) {
        const Inst& inst = p_.insts[current[k]];
        if (inst.op == Inst::Op::kClass && p_.classes[inst.x].Contains(c)) {
          AddThread(next, current[k] + 1, pos + 1, stack);
        }
      }
      std::swap(current, next);
    }
  }

 private:
  // Adds the threads reachable from `pc` at `pos` without consuming input (the epsilon closure).
  void AddThread(SparseSet& set, int pc, std::size_t pos, std::vector<int>& stack) {
    stack.push_back(pc);
    while (!stack.empty()) {
      int i = stack.back();
      stack.pop_back();
      if (set.Contains(i)) continue;
      set.Insert(i);
      const Inst& inst = p_.insts[i];
      switch (inst.op) {
        case Inst::Op::kJmp:
          stack.push_back(inst.x);
          break;
        case Inst::Op::kSplit:
          stack.push_back(inst.y);
          stack.push_back(inst.x);
          break;
        case Inst::Op::kAssert:
          if (Holds(inst, pos)) stack.push_back(i + 1);
          break;
        default:
          break;
      }
    }
  }

  bool Holds(const Inst& inst, std::size_t pos) {
    const std::size_t n = text_.size();
    switch (inst.assert) {
      case AssertKind::kInputStart:
        return pos == 0;
      case AssertKind::kInputEnd:
        return pos == n;
      case AssertKind::kLineEnd:
        // Java's $ without MULTILINE: at the end, or before a line terminator that ends the input.
        return pos == n || (pos + 1 == n && IsLineTerminator(text_[pos])) ||
               (pos + 2 == n && text_[pos] == '\r' && text_[pos + 1] == '\n');
      case AssertKind::kWordBoundary:
      case AssertKind::kNotWordBoundary: {
        bool before = pos > 0 && IsJavaWordChar(text_[pos - 1]);
        bool after = pos < n && IsJavaWordChar(text_[pos]);
        return (before != after) == (inst.assert == AssertKind::kWordBoundary);
      }
      case AssertKind::kLookaround: {
        const Lookaround& la = p_.lookarounds[inst.x];
        bool found;
        if (!la.ahead) {
          found = pos > 0 && p_.classes[la.cls].Contains(text_[pos - 1]);
        } else {
          // A lookahead's result at a position does not depend on who asks: one table serves the main
          // run and every nested sub-run.
          auto& memo = (*memo_)[inst.x];
          if (memo.empty()) memo.assign(n + 1, -1);
          if (memo[pos] < 0) {
            Vm sub(p_, text_, memo_);
            memo[pos] = sub.Run(la.start, pos, false) ? 1 : 0;
          }
          found = memo[pos] == 1;
        }
        return found != la.negate;
      }
    }
    return false;
  }

  const Program& p_;
  const std::u32string& text_;
  // Lookahead results per (lookahead index, position): -1 unknown, 0 false, 1 true. Owned by the outermost
  // Vm; std::map keeps the vectors' addresses stable while nested runs add entries.
  std::map<int, std::vector<std::int8_t>>* memo_;
  std::map<int, std::vector<std::int8_t>> own_memo_;
};

struct PatternCache {
  Mutex mu;
  std::map<std::string, std::unique_ptr<JavaRegex>, std::less<>> compiled GUARDED_BY(mu);
};

}  // namespace

JavaRegex::JavaRegex(std::unique_ptr<Program> program) : program_(std::move(program)) {}
JavaRegex::~JavaRegex() = default;

Result<std::unique_ptr<JavaRegex>> JavaRegex::Compile(std::string_view pattern) {
  Parser parser(pattern);
  CENOTE_ASSIGN_OR_RETURN(auto root, parser.Parse());
  auto program = std::make_unique<Program>();
  if (!FastPathOf(*root, *program)) {
    Compiler compiler(*program);
    CENOTE_RETURN_IF_ERROR(compiler.Emit(*root));
    compiler.Add({Inst::Op::kMatch, {}, 0, 0});
    CENOTE_RETURN_IF_ERROR(compiler.EmitLookaheads());
    if (program->insts.size() > kMaxInstructions) return Unsupported("pattern too large");
  }
  return std::unique_ptr<JavaRegex>(new JavaRegex(std::move(program)));
}

const JavaRegex* JavaRegex::Cached(std::string_view pattern) {
  static PatternCache* cache = new PatternCache();  // never destroyed: pointers outlive static teardown
  MutexLock lock(cache->mu);
  auto it = cache->compiled.find(pattern);
  if (it == cache->compiled.end()) {
    auto compiled = Compile(pattern);
    it =
        cache->compiled.emplace(std::string(pattern), compiled ? std::move(compiled).value() : nullptr).first;
  }
  return it->second.get();
}

bool JavaRegex::Matches(std::string_view text) const {
  const Program& p = *program_;
  if (p.fast) {
    const ClassMatcher& cls = p.classes[p.fast_class];
    std::size_t count = 0;
    for (std::size_t i = 0; i < text.size();) {
      if (!cls.Contains(DecodeUtf8(text, i))) return false;
      if (++count > p.fast_max) return false;
    }
    return count >= p.fast_min;
  }
  std::u32string decoded;
  decoded.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) decoded.push_back(DecodeUtf8(text, i));
  Vm vm(p, decoded);
  return vm.Run(0, 0, true);
}

}  // namespace cenote
