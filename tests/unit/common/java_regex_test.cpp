#include "common/java_regex.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace cenote {
namespace {

bool Matches(std::string_view pattern, std::string_view text) {
  auto re = JavaRegex::Compile(pattern);
  EXPECT_TRUE(re.ok()) << pattern << ": " << re.error().message;
  return re.ok() && (*re)->Matches(text);
}

bool Compiles(std::string_view pattern) { return JavaRegex::Compile(pattern).ok(); }

TEST(JavaRegex, MatchesTheWholeInput) {
  // Matcher.matches(): Kinesis answers 'a b' with "Member must satisfy regular expression pattern".
  EXPECT_TRUE(Matches("[a-zA-Z0-9_.-]+", "my-stream.1"));
  EXPECT_FALSE(Matches("[a-zA-Z0-9_.-]+", "a b"));
  EXPECT_FALSE(Matches("[a-zA-Z0-9_.-]+", ""));
  EXPECT_TRUE(Matches("", ""));
  EXPECT_FALSE(Matches("", "a"));
  EXPECT_TRUE(Matches("0|([1-9]\\d{0,38})", "0"));
  EXPECT_TRUE(Matches("0|([1-9]\\d{0,38})", "123"));
  EXPECT_FALSE(Matches("0|([1-9]\\d{0,38})", "0123"));
  EXPECT_FALSE(Matches("0|([1-9]\\d{0,38})", std::string(40, '1')));
  EXPECT_TRUE(Matches("^[0-9]{2}:[0-9]{2}", "12:30"));
  EXPECT_FALSE(Matches("^[0-9]{2}:[0-9]{2}", "12:30:00"));
}

TEST(JavaRegex, GlueUnicodePatternAndSupplementaryCharacters) {
  // Glue's single-line string: an escaped surrogate pair range means "any supplementary character".
  const std::string single_line = "[\\u0020-\\uD7FF\\uE000-\\uFFFD\\uD800\\uDC00-\\uDBFF\\uDFFF\\t]*";
  EXPECT_TRUE(Matches(single_line, ""));
  EXPECT_TRUE(Matches(single_line, "sales db\twith tab"));
  EXPECT_TRUE(Matches(single_line, "caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC"));  // café 日本
  EXPECT_TRUE(Matches(single_line, "emoji \xF0\x9F\x98\x80"));                // U+1F600
  EXPECT_TRUE(Matches(single_line, "\xF4\x8F\xBF\xBF"));                      // U+10FFFF
  EXPECT_FALSE(Matches(single_line, "two\nlines"));
  EXPECT_FALSE(Matches(single_line, std::string("nul\0", 4)));
  EXPECT_FALSE(Matches(single_line, "\xEF\xBF\xBE"));  // U+FFFE is outside
  // Invalid UTF-8 reads as U+FFFD, which the class contains.
  EXPECT_TRUE(Matches(single_line, "bad \xFF byte"));
  // Through the general VM too (the group around the class keeps it off the fast path).
  const std::string grouped = "(?:[\\u0020-\\uD7FF\\uE000-\\uFFFD\\uD800\\uDC00-\\uDBFF\\uDFFF\\t]|x)*";
  EXPECT_TRUE(Matches(grouped, "emoji \xF0\x9F\x98\x80"));
  EXPECT_FALSE(Matches(grouped, "two\nlines"));
  // A lone escaped surrogate stays a surrogate and matches nothing decoded from UTF-8.
  EXPECT_FALSE(Matches("[\\uD800-\\uDBFF]+", "\xF0\x9F\x98\x80"));
  // STS writes \u10000-\u10FFFF, which Java reads as \u1000, '0'-\u10FF, 'F', 'F': no supplementary.
  const std::string sts =
      "[\\u0009\\u000A\\u000D\\u0020-\\u007E\\u0085\\u00A0-\\uD7FF\\uE000-\\uFFFD\\u10000-\\u10FFFF]+";
  EXPECT_TRUE(Matches(sts, "arn:aws:iam::123456789012:role/r"));
  EXPECT_FALSE(Matches(sts, "\xF0\x9F\x98\x80"));
}

TEST(JavaRegex, PredefinedAndPropertyClasses) {
  EXPECT_TRUE(Matches("[\\w+=,.@-]+", "user_1+tag=x,y.z@w-"));
  EXPECT_FALSE(Matches("[\\w+=,.@-]+", "caf\xC3\xA9"));  // \w is ASCII in Java by default
  EXPECT_TRUE(Matches("\\S+", "abc"));
  EXPECT_FALSE(Matches("\\S+", "a c"));
  EXPECT_TRUE(Matches("[\\s\\S]*", "any\nthing\r\n"));
  EXPECT_TRUE(
      Matches("[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*", "Caf\xC3\xA9 \xD9\xA3 x:y/z=1+2-3@"));  // é, Arabic 3
  EXPECT_FALSE(Matches("[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*", "a!b"));
  EXPECT_TRUE(Matches("[\\p{L}\\p{N}\\p{P}]*", "\xE2\x80\x94quote\xC2\xBF"));  // em dash, ¿
  EXPECT_TRUE(Matches("\\p{ASCII}*", "plain"));
  EXPECT_FALSE(Matches("\\p{ASCII}*", "caf\xC3\xA9"));
  EXPECT_TRUE(Matches("[^\\x00-\\x1F\\x7F]+", "visible"));
  EXPECT_FALSE(Matches("[^\\x00-\\x1F\\x7F]+", "tab\there"));
  EXPECT_TRUE(Matches("[^\\r\\n]", "x"));
  EXPECT_FALSE(Matches("[^\\r\\n]", "\n"));
  EXPECT_TRUE(Matches("(\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)", "/path/"));
}

TEST(JavaRegex, ClassSyntaxAsJavaReadsIt) {
  // '-' after a range or before ']' is a literal; "+-=" is a range.
  EXPECT_TRUE(Matches("[a-zA-Z0-9-\\/*:_+=.@-]*", "a-/b*:c_d+e=f.g@h"));
  EXPECT_TRUE(Matches("[a-zA-Z0-9+-=._./@]+", "a<b"));  // '<' is between '+' and '='
  EXPECT_TRUE(Matches("[\\w-_]*", "a-b_c"));
  EXPECT_TRUE(Matches("[a-zA-Z0-9\\\\._\\\\-]+", "a\\b.c_d-e"));
  EXPECT_TRUE(Matches("/[a-zA-Z0-9._~:/?#\\[\\]@!$&'()*+,;={}-]*", "/a[b]{c}?d#e"));
  EXPECT_TRUE(Matches("[\\w|\\d|\\.|_]+", "a|1.b_"));
  EXPECT_FALSE(Compiles("[a-z&&[def]]"));
  EXPECT_FALSE(Compiles("[a[b]]"));
}

TEST(JavaRegex, AnchorsDotAndFlags) {
  EXPECT_TRUE(Matches("^$|[a-zA-Z/_]+", ""));
  EXPECT_TRUE(Matches("^$|[a-zA-Z/_]+", "a/b"));
  EXPECT_TRUE(Matches("$|kafka://([^.]([a-zA-Z0-9\\-_.]{0,248}))", ""));
  EXPECT_TRUE(Matches("$|kafka://([^.]([a-zA-Z0-9\\-_.]{0,248}))", "kafka://broker-1"));
  // $ holds before a final line terminator, but matches() must still consume it.
  EXPECT_FALSE(Matches("^[a-z]+$", "abc\n"));
  EXPECT_TRUE(Matches("^[a-z]+$\\n", "abc\n"));
  EXPECT_FALSE(Matches(".*", "a\nb"));
  EXPECT_TRUE(Matches("(?s).*", "a\nb"));
  EXPECT_TRUE(Matches("(?s:.)x", "\nx"));
  EXPECT_TRUE(Matches("([a-zA-Z][-a-zA-Z0-9]*)|(arn:\\b(aws|aws-us-gov|aws-cn)\\b:[-a-zA-Z0-9:/._+]*)",
                      "arn:aws-cn:cloudformation:x"));
  EXPECT_FALSE(Matches("arn:\\baws\\b:x", "arn:awsx:x"));
  EXPECT_TRUE(Matches(".+?\\.snowflakecomputing\\.com", "acct.snowflakecomputing.com"));
}

TEST(JavaRegex, Lookarounds) {
  EXPECT_TRUE(Matches("((?!^\\d+$)^[0-9a-zA-Z-_]+$)", "abc123"));
  EXPECT_FALSE(Matches("((?!^\\d+$)^[0-9a-zA-Z-_]+$)", "123"));
  EXPECT_TRUE(
      Matches("(?!.*[/:\\\\])[\\u0020-\\uD7FF\\uE000-\\uFFFD\\uD800\\uDC00-\\uDBFF\\uDFFF\\t]+", "name"));
  EXPECT_FALSE(
      Matches("(?!.*[/:\\\\])[\\u0020-\\uD7FF\\uE000-\\uFFFD\\uD800\\uDC00-\\uDBFF\\uDFFF\\t]+", "a/b"));
  EXPECT_TRUE(Matches("^(?=.*[a-zA-Z_\\-\\.])[a-zA-Z0-9_\\-\\.]+$", "12a"));
  EXPECT_FALSE(Matches("^(?=.*[a-zA-Z_\\-\\.])[a-zA-Z0-9_\\-\\.]+$", "123"));
  // Lambda's S3Bucket: no trailing dot (a one-character lookbehind).
  EXPECT_TRUE(Matches("[0-9A-Za-z\\.\\-_]*(?<!\\.)", "my.bucket"));
  EXPECT_FALSE(Matches("[0-9A-Za-z\\.\\-_]*(?<!\\.)", "my.bucket."));
  EXPECT_TRUE(Matches("[0-9A-Za-z\\.\\-_]*(?<!\\.)", ""));
  EXPECT_TRUE(Matches("^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$", "a-b-c"));
  EXPECT_FALSE(Matches("^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$", "a--b"));
  const std::string jdbc =
      "jdbc:(redshift|postgresql)://((?!-)[A-Za-z0-9-]{1,63}(?<!-)\\.)+(redshift(-serverless)?)\\.([a-zA-Z0-9"
      "\\.\\-]+):\\d{1,5}/[a-zA-Z0-9_$-]+";
  EXPECT_TRUE(Matches(jdbc, "jdbc:redshift://cluster.abc.us-east-1.redshift.amazonaws.com:5439/dev"));
  EXPECT_FALSE(Matches(jdbc, "jdbc:redshift://-cluster.redshift.amazonaws.com:5439/dev"));
  EXPECT_FALSE(Compiles("(?<=ab)c"));  // lookbehind of more than one character
}

TEST(JavaRegex, UnsupportedSyntaxFailsToCompile) {
  EXPECT_FALSE(Compiles("(a)\\1"));
  EXPECT_FALSE(Compiles("a*+"));
  EXPECT_FALSE(Compiles("(?i)abc"));
  EXPECT_FALSE(Compiles("\\p{Greek}"));
  EXPECT_FALSE(Compiles("[abc"));
  EXPECT_FALSE(Compiles("(abc"));
  EXPECT_FALSE(Compiles("abc)"));
  EXPECT_FALSE(Compiles("a{2,1}"));
  EXPECT_FALSE(Compiles("*a"));
  EXPECT_FALSE(Compiles("\\"));
  EXPECT_FALSE(Compiles("(x{1000}){1000}"));  // would compile to a million instructions
  EXPECT_EQ(JavaRegex::Cached("(a)\\1"), nullptr);
  const JavaRegex* cached = JavaRegex::Cached("[a-z]+");
  ASSERT_NE(cached, nullptr);
  EXPECT_EQ(JavaRegex::Cached("[a-z]+"), cached);
}

TEST(JavaRegex, LinearTimeOnLargeHostileInput) {
  // Backtracking matchers take exponential time (or overflow the stack) on these.
  std::string as(1 << 20, 'a');
  auto started = std::chrono::steady_clock::now();
  EXPECT_FALSE(Matches("(a|a)*b", as));
  EXPECT_FALSE(Matches("(a*)*b", as));
  EXPECT_TRUE(Matches("(a|aa)*", as));
  EXPECT_FALSE(Matches("(?!.*a)[a-z]*", as));
  EXPECT_TRUE(Matches("[\\u0020-\\uD7FF\\uE000-\\uFFFD\\uD800\\uDC00-\\uDBFF\\uDFFF\\t]*", as));
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started)
                .count();
  EXPECT_LT(ms, 5000);
}

}  // namespace
}  // namespace cenote
