// Java regular expressions matched in time linear in the input.
//
// The `pattern` traits of AWS service models are java.util.regex.Pattern expressions that AWS applies to
// the whole value (Matcher.matches(): "[a-zA-Z0-9_.-]+" rejects "a b"). std::regex cannot stand in for
// them: it backtracks (a 1 MB value overflows the stack), knows no \uXXXX escapes and reads bytes, not
// code points. JavaRegex compiles a pattern to a Thompson NFA and runs it as a Pike VM over the code
// points of UTF-8 text, so a match costs O(text length x pattern size).
//
// Supported: the syntax the service models use, with Java's default flags and meanings:
//   - literals; `.` (no line terminators, unless (?s)); escapes \t \n \r \f \a \e \xhh \x{h..h} \uhhhh
//     \0ooo \cX and a backslash before any non-letter; an escaped surrogate pair (\uD800\uDC00) is one
//     supplementary code point, as in Java, so [\uD800\uDC00-\uDBFF\uDFFF] is "any supplementary
//     character";
//   - classes [...] and [^...] with ranges, escapes, \d \D \s \S \w \W (ASCII, as Java's defaults) and
//     \p{L} \p{N} \p{Nd} \p{P} \p{Z} \p{ASCII} (and \P{..}, also outside classes);
//   - groups (...), (?:...), (?<name>...), alternation, quantifiers * + ? {n} {n,} {n,m} (greedy or lazy:
//     the same for a whole-input match);
//   - anchors ^ $ \A \z \Z \b \B, lookahead (?=...) (?!...), lookbehind (?<=x) (?<!x) of one character,
//     the inline flag (?s) and (?s:...).
// Anything else (backreferences, possessive quantifiers, nested classes, &&, other flags, other \p names)
// fails to compile: callers treat such a pattern as absent, so it never rejects input.
//
// A lookahead runs at most once per input position (memoized); the models' unbounded lookaheads sit at
// the start of their patterns, so matching stays linear for them.
//
// A JavaRegex is immutable after Compile: Matches may run concurrently on one instance.
#pragma once

#include <memory>
#include <string_view>

#include "common/result.hpp"

namespace cenote {

namespace java_regex_internal {
struct Program;  // the compiled NFA (java_regex.cpp)
}

class JavaRegex {
 public:
  // Compiles `pattern` (UTF-8). Fails with code "UnsupportedPattern" on syntax outside the subset above
  // or on a pattern that would compile to an oversized program (a large {n,m} of a large group).
  static Result<std::unique_ptr<JavaRegex>> Compile(std::string_view pattern);

  // The process-wide compile cache: the compiled `pattern`, or null when it does not compile. Each
  // pattern is compiled once; the pointer stays valid for the life of the process. Thread-safe.
  static const JavaRegex* Cached(std::string_view pattern);

  JavaRegex(const JavaRegex&) = delete;
  JavaRegex& operator=(const JavaRegex&) = delete;
  ~JavaRegex();

  // True when the whole of `text` matches (Java's Matcher.matches()). `text` is UTF-8; a byte that is
  // not part of a valid sequence reads as U+FFFD, as Java's decoders replace it.
  bool Matches(std::string_view text) const;

 private:
  explicit JavaRegex(std::unique_ptr<java_regex_internal::Program> program);

  std::unique_ptr<java_regex_internal::Program> program_;
};

}  // namespace cenote
