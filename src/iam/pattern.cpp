#include "iam/pattern.hpp"

#include <array>

#include "common/strings.hpp"

namespace cenote::iam {

namespace {

// Index after the UTF-8 code point starting at `i` (a stray continuation or truncated sequence counts as
// one byte, so matching never loops or reads past the end on invalid UTF-8).
std::size_t NextCodePoint(std::string_view s, std::size_t i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  std::size_t length = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 1;
  std::size_t next = i + 1;
  while (next < s.size() && next < i + length && (static_cast<unsigned char>(s[next]) & 0xC0) == 0x80) ++next;
  return next;
}

// A piece with its text resolved (a variable became a literal).
struct Resolved {
  std::uint8_t kind;  // 0 literal, 1 any-one, 2 star
  std::string_view text;
};

// Glob matching over resolved pieces: a linear walk that, on a mismatch, retries from the most recent `*`
// one code point further on (the classic wildcard algorithm; correct for `*` and `?`, O(n*m) worst case).
bool GlobMatch(const Resolved* pieces, std::size_t count, std::string_view s, bool ignore_case) {
  constexpr std::size_t kNone = static_cast<std::size_t>(-1);
  std::size_t pi = 0, offset = 0, si = 0;
  std::size_t star_pi = kNone, star_si = 0;
  while (true) {
    if (pi < count) {
      const Resolved& piece = pieces[pi];
      if (piece.kind == 2) {
        star_pi = pi;
        star_si = si;
        ++pi;
        offset = 0;
        continue;
      }
      if (piece.kind == 0 && offset == piece.text.size()) {  // empty literal (a variable with "")
        ++pi;
        offset = 0;
        continue;
      }
      if (si < s.size()) {
        if (piece.kind == 1) {
          si = NextCodePoint(s, si);
          ++pi;
          continue;
        }
        // Literals are lower-cased at compile time, substituted values are not: lower both sides.
        bool same = ignore_case ? AsciiToLower(s[si]) == AsciiToLower(piece.text[offset])
                                : s[si] == piece.text[offset];
        if (same) {
          ++si;
          if (++offset == piece.text.size()) {
            ++pi;
            offset = 0;
          }
          continue;
        }
      }
    } else if (si == s.size()) {
      return true;
    }
    if (star_pi == kNone || star_si >= s.size()) return false;
    star_si = NextCodePoint(s, star_si);
    si = star_si;
    pi = star_pi + 1;
    offset = 0;
  }
}

bool EqualsMaybeIgnoringCase(std::string_view subject, std::string_view lowered_or_exact, bool ignore_case) {
  if (!ignore_case) return subject == lowered_or_exact;
  if (subject.size() != lowered_or_exact.size()) return false;
  for (std::size_t i = 0; i < subject.size(); ++i) {
    if (AsciiToLower(subject[i]) != lowered_or_exact[i]) return false;
  }
  return true;
}

}  // namespace

void Pattern::AddLiteral(std::string_view text) {
  if (text.empty()) return;
  if (!pieces_.empty() && pieces_.back().kind == Kind::kLiteral &&
      pieces_.back().begin + pieces_.back().length == literals_.size()) {
    pieces_.back().length += static_cast<std::uint32_t>(text.size());
  } else {
    pieces_.push_back(Piece{Kind::kLiteral, static_cast<std::uint32_t>(literals_.size()),
                            static_cast<std::uint32_t>(text.size())});
  }
  for (char c : text) literals_.push_back(ignore_case_ ? AsciiToLower(c) : c);
}

Pattern Pattern::Compile(std::string_view text, PatternOptions options) {
  Pattern p;
  p.source_ = std::string(text);
  p.ignore_case_ = options.ignore_case;
  std::size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (options.wildcards && c == '*') {
      // Consecutive stars are one star.
      if (p.pieces_.empty() || p.pieces_.back().kind != Kind::kStar) p.pieces_.push_back(Piece{Kind::kStar});
      p.has_wildcards_ = true;
      ++i;
      continue;
    }
    if (options.wildcards && c == '?') {
      p.pieces_.push_back(Piece{Kind::kAnyOne});
      p.has_wildcards_ = true;
      ++i;
      continue;
    }
    if (options.variables && c == '$' && i + 1 < text.size() && text[i + 1] == '{') {
      std::size_t close = text.find('}', i + 2);
      // A default value may contain '}' inside its quotes: find the closing brace after the quoted part.
      std::size_t quote = text.find('\'', i + 2);
      if (quote != std::string_view::npos && (close == std::string_view::npos || quote < close)) {
        std::size_t q = quote + 1;
        while (q < text.size()) {
          if (text[q] == '\'') {
            if (q + 1 < text.size() && text[q + 1] == '\'') {
              q += 2;
              continue;
            }
            break;
          }
          ++q;
        }
        close = q < text.size() ? text.find('}', q + 1) : std::string_view::npos;
      }
      if (close != std::string_view::npos) {
        std::string_view body = text.substr(i + 2, close - i - 2);
        std::string_view key = body;
        bool has_default = false;
        std::string default_value;
        bool well_formed = true;
        if (std::size_t comma = body.find(','); comma != std::string_view::npos) {
          key = body.substr(0, comma);
          std::string_view rest = TrimAsciiSpace(body.substr(comma + 1));
          if (rest.size() >= 2 && rest.front() == '\'' && rest.back() == '\'') {
            std::string_view inner = rest.substr(1, rest.size() - 2);
            for (std::size_t k = 0; k < inner.size(); ++k) {
              if (inner[k] == '\'') {
                if (k + 1 < inner.size() && inner[k + 1] == '\'') {
                  default_value.push_back('\'');
                  ++k;
                } else {
                  well_formed = false;
                }
              } else {
                default_value.push_back(inner[k]);
              }
            }
            has_default = true;
          } else {
            well_formed = false;
          }
        }
        key = TrimAsciiSpace(key);
        if (well_formed && !key.empty()) {
          if (key == "*" || key == "?" || key == "$") {
            p.AddLiteral(key);
          } else {
            p.pieces_.push_back(Piece{Kind::kVariable, static_cast<std::uint32_t>(p.variables_.size()), 0});
            p.variables_.push_back(Variable{AsciiLower(key), has_default, std::move(default_value)});
          }
          i = close + 1;
          continue;
        }
      }
    }
    // A run of ordinary characters.
    std::size_t end = i + 1;
    while (end < text.size()) {
      char d = text[end];
      if (options.wildcards && (d == '*' || d == '?')) break;
      if (options.variables && d == '$') break;
      ++end;
    }
    p.AddLiteral(text.substr(i, end - i));
    i = end;
  }

  if (p.variables_.empty()) {
    bool any_one = false;
    std::size_t stars = 0;
    for (const Piece& piece : p.pieces_) {
      if (piece.kind == Kind::kAnyOne) any_one = true;
      if (piece.kind == Kind::kStar) ++stars;
    }
    if (!p.has_wildcards_) {
      p.shape_ = Shape::kExact;
    } else if (p.pieces_.size() == 1 && stars == 1) {
      p.shape_ = Shape::kAll;
    } else if (!any_one && stars == 1 && p.pieces_.size() == 2 && p.pieces_[0].kind == Kind::kLiteral) {
      p.shape_ = Shape::kPrefix;
    } else {
      p.shape_ = Shape::kGeneral;
    }
  } else {
    p.shape_ = Shape::kGeneral;
  }
  return p;
}

bool Pattern::Match(std::string_view subject, const ContextKeys* keys) const {
  switch (shape_) {
    case Shape::kAll:
      return true;
    case Shape::kExact:
      return EqualsMaybeIgnoringCase(subject, literals_, ignore_case_);
    case Shape::kPrefix:
      return subject.size() >= literals_.size() &&
             EqualsMaybeIgnoringCase(subject.substr(0, literals_.size()), literals_, ignore_case_);
    case Shape::kGeneral:
      break;
  }
  // Resolve into a stack buffer: policies' patterns are short; a longer one takes the heap.
  constexpr std::size_t kInline = 32;
  std::array<Resolved, kInline> inline_buffer;
  std::vector<Resolved> heap_buffer;
  Resolved* resolved = inline_buffer.data();
  if (pieces_.size() > kInline) {
    heap_buffer.resize(pieces_.size());
    resolved = heap_buffer.data();
  }
  for (std::size_t i = 0; i < pieces_.size(); ++i) {
    const Piece& piece = pieces_[i];
    switch (piece.kind) {
      case Kind::kLiteral:
        resolved[i] = Resolved{0, std::string_view(literals_).substr(piece.begin, piece.length)};
        break;
      case Kind::kAnyOne:
        resolved[i] = Resolved{1, {}};
        break;
      case Kind::kStar:
        resolved[i] = Resolved{2, {}};
        break;
      case Kind::kVariable: {
        const Variable& variable = variables_[piece.begin];
        std::optional<std::string_view> value;
        if (keys != nullptr) value = keys->SingleLower(variable.key);
        if (!value) {
          if (!variable.has_default) return false;
          value = std::string_view(variable.default_value);
        }
        resolved[i] = Resolved{0, *value};
        break;
      }
    }
  }
  return GlobMatch(resolved, pieces_.size(), subject, ignore_case_);
}

std::size_t SplitArnFields(std::string_view arn, std::string_view* out, std::size_t max_fields) {
  std::size_t count = 0;
  std::size_t start = 0;
  while (count + 1 < max_fields) {
    std::size_t colon = arn.find(':', start);
    if (colon == std::string_view::npos) break;
    out[count++] = arn.substr(start, colon - start);
    start = colon + 1;
  }
  out[count++] = arn.substr(start);
  return count;
}

ArnPattern ArnPattern::Compile(std::string_view text, PatternOptions options) {
  ArnPattern p;
  p.source_ = std::string(text);
  if (text == "*") {
    p.all_ = true;
    return p;
  }
  std::array<std::string_view, 6> fields;
  std::size_t count = SplitArnFields(text, fields.data(), fields.size());
  p.fields_.reserve(count);
  p.exact_ = true;
  for (std::size_t i = 0; i < count; ++i) {
    p.fields_.push_back(Pattern::Compile(fields[i], options));
    if (p.fields_.back().has_wildcards() || p.fields_.back().has_variables()) p.exact_ = false;
  }
  return p;
}

SplitArn::SplitArn(std::string_view arn) : whole(arn) { count = SplitArnFields(arn, fields, 6); }

bool ArnPattern::Match(const SplitArn& arn, const ContextKeys* keys) const {
  if (all_) return true;
  if (exact_) return arn.whole == source_;
  if (fields_.size() != 6) return Match(arn.whole, keys);
  if (arn.count != 6) return false;
  for (std::size_t i = 0; i < 6; ++i) {
    if (!fields_[i].Match(arn.fields[i], keys)) return false;
  }
  return true;
}

bool ArnPattern::Match(std::string_view arn, const ContextKeys* keys) const {
  if (all_) return true;
  if (exact_) return arn == source_;
  std::array<std::string_view, 6> fields;
  std::size_t count = SplitArnFields(arn, fields.data(), fields_.size());
  if (count != fields_.size()) return false;
  for (std::size_t i = 0; i < count; ++i) {
    if (!fields_[i].Match(fields[i], keys)) return false;
  }
  return true;
}

bool ArnPattern::has_variables() const {
  for (const Pattern& field : fields_) {
    if (field.has_variables()) return true;
  }
  return false;
}

}  // namespace cenote::iam
