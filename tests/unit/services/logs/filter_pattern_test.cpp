// The filter pattern syntax (FilterLogEvents, metric and subscription filters), form by form.
#include "services/logs/filter_pattern.hpp"

#include <gtest/gtest.h>

namespace cenote::logs {
namespace {

bool Match(std::string_view pattern, std::string_view message) {
  auto p = FilterPattern::Parse(pattern);
  EXPECT_TRUE(p.ok()) << pattern << ": " << (p.ok() ? "" : p.error().message);
  return p.ok() && p->Matches(message);
}

void ExpectInvalid(std::string_view pattern) {
  auto p = FilterPattern::Parse(pattern);
  ASSERT_FALSE(p.ok()) << pattern;
  EXPECT_EQ(p.error().code, "InvalidParameterException");
}

TEST(FilterPattern, EmptyMatchesEverything) {
  EXPECT_TRUE(Match("", "anything"));
  EXPECT_TRUE(Match("  ", ""));
}

TEST(FilterPattern, Terms) {
  EXPECT_TRUE(Match("ERROR", "[ERROR] disk full"));
  EXPECT_FALSE(Match("ERROR", "[error] disk full"));  // case-sensitive
  EXPECT_TRUE(Match("ERROR disk", "[ERROR] disk full"));
  EXPECT_FALSE(Match("ERROR memory", "[ERROR] disk full"));
  EXPECT_TRUE(Match("\"disk full\"", "[ERROR] disk full"));
  EXPECT_FALSE(Match("\"full disk\"", "[ERROR] disk full"));
  EXPECT_TRUE(Match("ERROR -memory", "[ERROR] disk full"));
  EXPECT_FALSE(Match("ERROR -disk", "[ERROR] disk full"));
  EXPECT_TRUE(Match("?WARN ?ERROR", "[ERROR] disk full"));
  EXPECT_TRUE(Match("?WARN ?ERROR", "WARN low"));
  EXPECT_FALSE(Match("?WARN ?ERROR", "INFO ok"));
  EXPECT_TRUE(Match("%ERR(OR)?:[0-9]+%", "x ERROR:42 y"));
  EXPECT_FALSE(Match("%ERR(OR)?:[0-9]+%", "x ERROR: y"));
  ExpectInvalid("\"unterminated");
  ExpectInvalid("a(b");
}

TEST(FilterPattern, Json) {
  const std::string m =
      R"({"eventType":"UpdateTrail","code":404,"user":{"id":7,"name":"ann"},"tags":["a","b"],)"
      R"("ok":true,"gone":null})";
  EXPECT_TRUE(Match(R"({ $.eventType = "UpdateTrail" })", m));
  EXPECT_TRUE(Match(R"({ $.eventType = "Update*" })", m));
  EXPECT_FALSE(Match(R"({ $.eventType = "Delete*" })", m));
  EXPECT_TRUE(Match(R"({ $.eventType != "DeleteTrail" })", m));
  EXPECT_TRUE(Match(R"({ $.code >= 400 && $.code < 500 })", m));
  EXPECT_FALSE(Match(R"({ $.code > 404 })", m));
  EXPECT_TRUE(Match(R"({ $.code = 404 })", m));
  EXPECT_TRUE(Match(R"({ $.user.id = 7 })", m));
  EXPECT_TRUE(Match(R"({ $.user.name = ann })", m));
  EXPECT_TRUE(Match(R"({ $.tags[1] = "b" })", m));
  EXPECT_FALSE(Match(R"({ $.tags[2] = "b" })", m));
  EXPECT_TRUE(Match(R"({ $.gone IS NULL })", m));
  EXPECT_FALSE(Match(R"({ $.user IS NULL })", m));
  EXPECT_TRUE(Match(R"({ $.missing NOT EXISTS })", m));
  EXPECT_FALSE(Match(R"({ $.code NOT EXISTS })", m));
  EXPECT_TRUE(Match(R"({ $.ok IS TRUE })", m));
  EXPECT_FALSE(Match(R"({ $.ok IS FALSE })", m));
  EXPECT_TRUE(Match(R"({ ($.code = 500 || $.user.name = "ann") && $.ok IS TRUE })", m));
  EXPECT_FALSE(Match(R"({ ($.code = 500 || $.user.name = "bob") && $.ok IS TRUE })", m));
  EXPECT_FALSE(Match(R"({ $.code = 404 })", "not json 404"));
  ExpectInvalid("{ $.code = 404");
  ExpectInvalid("{ code = 404 }");
  ExpectInvalid("{ $.code > abc }");
  ExpectInvalid("{ $.code 404 }");
}

TEST(FilterPattern, SpaceDelimited) {
  const std::string line = R"(127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /a.gif HTTP/1.0" 404 2326)";
  EXPECT_TRUE(Match("[ip, identity, user, timestamp, request, status_code, bytes]", line));
  EXPECT_FALSE(Match("[ip, identity, user, timestamp, request, status_code]", line));
  EXPECT_TRUE(Match("[ip, identity, user, timestamp, request, status_code = 404, bytes]", line));
  EXPECT_TRUE(Match("[ip, identity, user, timestamp, request, status_code = 4*, bytes > 1000]", line));
  EXPECT_FALSE(Match("[ip, identity, user, timestamp, request, status_code = 5*, bytes]", line));
  EXPECT_TRUE(Match("[..., status_code = 4* || status_code = 5*, bytes]", line));
  EXPECT_TRUE(Match("[ip = 127.0.0.1, ...]", line));
  EXPECT_FALSE(Match("[ip, ..., bytes < 100]", line));
  auto p = FilterPattern::Parse("[ip, identity, user, timestamp, request, status_code, bytes]");
  ASSERT_TRUE(p.ok());
  auto values = p->ExtractedValues(line);
  EXPECT_EQ(values["$user"], "frank");
  EXPECT_EQ(values["$timestamp"], "10/Oct/2000:13:55:36 -0700");
  EXPECT_EQ(values["$request"], "GET /a.gif HTTP/1.0");
  EXPECT_EQ(values["$bytes"], "2326");
  ExpectInvalid("[ip, , bytes]");
  ExpectInvalid("[ip bytes]");
  ExpectInvalid("[ip, bytes");
}

// Bad patterns are InvalidParameterException, never a crash; whatever parses matches without failing.
TEST(FilterPattern, RandomPatternsNeverCrash) {
  const std::vector<std::string> pieces = {
      "{", "}",   "[",  "]",  "(",  ")",    "$.",   "$.a",    "$.a[0]", "$.b.c", "=",  "!=",
      "<", ">=",  "&&", "||", "IS", "NULL", "NOT",  "EXISTS", "TRUE",   "\"q\"", "\"", "4*",
      "*", "...", ",",  "x",  "-x", "?y",   "%a+%", "%",      "10",     " "};
  std::uint64_t seed = 7;
  auto next = [&] {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<std::size_t>(seed >> 33);
  };
  const std::vector<std::string> messages = {R"({"a":[1,{"b":2}],"b":{"c":"q"}})", "x y 10 q", "",
                                             "[a b] \"c d\" e"};
  int parsed = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    const std::size_t n = 1 + next() % 8;
    for (std::size_t k = 0; k < n; ++k) text += pieces[next() % pieces.size()] + (next() % 2 ? " " : "");
    auto p = FilterPattern::Parse(text);
    if (!p.ok()) {
      EXPECT_EQ(p.error().code, "InvalidParameterException") << text;
      continue;
    }
    ++parsed;
    for (const auto& m : messages) {
      p->Matches(m);
      p->ExtractedValues(m);
    }
  }
  EXPECT_GT(parsed, 0);
}

}  // namespace
}  // namespace cenote::logs
