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

}  // namespace
}  // namespace cenote::logs
