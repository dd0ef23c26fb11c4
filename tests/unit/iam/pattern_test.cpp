#include "iam/pattern.hpp"

#include <gtest/gtest.h>

namespace cenote::iam {
namespace {

Pattern Glob(std::string_view text) { return Pattern::Compile(text, PatternOptions{.wildcards = true}); }
Pattern WithVars(std::string_view text) {
  return Pattern::Compile(text, PatternOptions{.wildcards = true, .variables = true});
}

TEST(PatternTest, ExactAndCase) {
  EXPECT_TRUE(Glob("s3:GetObject").Match("s3:GetObject"));
  EXPECT_FALSE(Glob("s3:GetObject").Match("s3:getobject"));
  Pattern action = Pattern::Compile("s3:GetObject", PatternOptions{.ignore_case = true});
  EXPECT_TRUE(action.Match("S3:GETOBJECT"));
  EXPECT_FALSE(action.Match("s3:GetObjectAcl"));
}

TEST(PatternTest, StarAndQuestion) {
  EXPECT_TRUE(Glob("*").Match(""));
  EXPECT_TRUE(Glob("*").Match("anything/at:all"));
  EXPECT_TRUE(Glob("s3:Get*").Match("s3:Get"));
  EXPECT_TRUE(Glob("s3:Get*").Match("s3:GetObject"));
  EXPECT_FALSE(Glob("s3:Get*").Match("s3:PutObject"));
  EXPECT_TRUE(Glob("iam:*AccessKey*").Match("iam:CreateAccessKey"));
  EXPECT_TRUE(Glob("iam:*AccessKey*").Match("iam:ListAccessKeys"));
  EXPECT_FALSE(Glob("iam:*AccessKey*").Match("iam:ListUsers"));
  EXPECT_TRUE(Glob("a?c").Match("abc"));
  EXPECT_FALSE(Glob("a?c").Match("ac"));
  EXPECT_FALSE(Glob("a?c").Match("abbc"));
  EXPECT_TRUE(Glob("a*b*c").Match("aXXbYYbZc"));
  EXPECT_FALSE(Glob("a*b*c").Match("aXXbYYbZ"));
  EXPECT_TRUE(Glob("**a").Match("ba"));
  EXPECT_TRUE(Glob("*?").Match("x"));
  EXPECT_FALSE(Glob("*?").Match(""));
  // '?' is one character, not one byte.
  EXPECT_TRUE(Glob("caf?").Match("caf\xC3\xA9"));
  EXPECT_TRUE(Glob("?").Match("\xE2\x82\xAC"));
  EXPECT_FALSE(Glob("??").Match("\xE2\x82\xAC"));
}

TEST(PatternTest, LiteralWildcardsWhenDisabled) {
  Pattern p = Pattern::Compile("a*b", PatternOptions{.wildcards = false});
  EXPECT_TRUE(p.Match("a*b"));
  EXPECT_FALSE(p.Match("aXb"));
}

TEST(PatternTest, S3WildcardExamplesFromTheResourceElementPage) {
  Pattern p = Glob("DOC-EXAMPLE-BUCKET/*/test/*");
  for (const char* key :
       {"DOC-EXAMPLE-BUCKET/1/test/object.jpg", "DOC-EXAMPLE-BUCKET/1/2/test/object.jpg",
        "DOC-EXAMPLE-BUCKET/1/2/test/3/object.jpg", "DOC-EXAMPLE-BUCKET/1/2/3/test/4/object.jpg",
        "DOC-EXAMPLE-BUCKET/1///test///object.jpg", "DOC-EXAMPLE-BUCKET/1/test/.jpg",
        "DOC-EXAMPLE-BUCKET//test/object.jpg", "DOC-EXAMPLE-BUCKET/1/test/"}) {
    EXPECT_TRUE(p.Match(key)) << key;
  }
  for (const char* key : {"DOC-EXAMPLE-BUCKET/1-test/object.jpg", "DOC-EXAMPLE-BUCKET/test/object.jpg",
                          "DOC-EXAMPLE-BUCKET/1/2/test.jpg"}) {
    EXPECT_FALSE(p.Match(key)) << key;
  }
}

TEST(PatternTest, Variables) {
  ContextKeys keys;
  keys.Set("aws:username", "alice");
  keys.Set("aws:PrincipalTag/team", "yellow");
  Pattern home = WithVars("home/${aws:username}/*");
  EXPECT_TRUE(home.has_variables());
  EXPECT_TRUE(home.Match("home/alice/notes.txt", &keys));
  EXPECT_FALSE(home.Match("home/bob/notes.txt", &keys));
  EXPECT_FALSE(home.Match("home/alice/notes.txt"));  // no context: the variable has no value
  // Key names are case-insensitive.
  EXPECT_TRUE(WithVars("${AWS:UserName}").Match("alice", &keys));
  // A substituted value is literal, never a wildcard.
  ContextKeys star;
  star.Set("aws:username", "*");
  EXPECT_FALSE(WithVars("home/${aws:username}").Match("home/bob", &star));
  EXPECT_TRUE(WithVars("home/${aws:username}").Match("home/*", &star));
  // Multivalued keys cannot be variables.
  ContextKeys multi;
  multi.Set("aws:username", std::vector<std::string>{"a", "b"});
  EXPECT_FALSE(WithVars("${aws:username}").Match("a", &multi));
}

TEST(PatternTest, DefaultValuesAndSpecialVariables) {
  ContextKeys none;
  Pattern p = WithVars("bucket-${aws:PrincipalTag/team, 'company-wide'}");
  EXPECT_TRUE(p.Match("bucket-company-wide", &none));
  ContextKeys yellow;
  yellow.Set("aws:principaltag/team", "yellow");
  EXPECT_TRUE(p.Match("bucket-yellow", &yellow));
  EXPECT_FALSE(p.Match("bucket-company-wide", &yellow));
  EXPECT_TRUE(WithVars("${aws:username, 'it''s'}").Match("it's", &none));
  EXPECT_TRUE(WithVars("a${*}b").Match("a*b"));
  EXPECT_FALSE(WithVars("a${*}b").Match("aXb"));
  EXPECT_TRUE(WithVars("what${?}").Match("what?"));
  EXPECT_FALSE(WithVars("what${?}").Match("whatX"));
  EXPECT_TRUE(WithVars("${$}5").Match("$5"));
  // Without variables enabled (2008-10-17 policies) `${...}` is text.
  EXPECT_TRUE(Glob("${aws:username}").Match("${aws:username}"));
  // Malformed variables are text.
  EXPECT_TRUE(WithVars("a${b").Match("a${b"));
}

TEST(ArnPatternTest, FieldsAreMatchedSeparately) {
  ArnPattern p = ArnPattern::Compile("arn:aws:someservice:*:111122223333:finance/*", PatternOptions{});
  EXPECT_TRUE(p.Match("arn:aws:someservice:us-east-2:111122223333:finance/document.txt"));
  // The condition-operators page: StringLike would match this, ArnLike must not.
  EXPECT_FALSE(
      p.Match("arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"));
  Pattern like = Pattern::Compile("arn:aws:someservice:*:111122223333:finance/*", PatternOptions{});
  EXPECT_TRUE(
      like.Match("arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"));
}

TEST(ArnPatternTest, ResourceFieldTakesTheRest) {
  ArnPattern p = ArnPattern::Compile("arn:aws:s3:::bucket/*", PatternOptions{});
  EXPECT_TRUE(p.Match("arn:aws:s3:::bucket/a:b:c"));
  EXPECT_FALSE(p.Match("arn:aws:s3:::other/a"));
  EXPECT_FALSE(p.Match("arn:aws:s3"));
  EXPECT_TRUE(ArnPattern::Compile("*", PatternOptions{}).Match("not an arn"));
  ArnPattern users = ArnPattern::Compile("arn:aws:iam::*:user/*", PatternOptions{});
  EXPECT_TRUE(users.Match("arn:aws:iam::123456789012:user/division/alice"));
  EXPECT_FALSE(users.Match("arn:aws:iam::123456789012:role/alice"));
}

TEST(ContextKeysTest, CaseInsensitiveNames) {
  ContextKeys keys;
  keys.Set("aws:SourceIp", "10.0.0.1");
  keys.Add("aws:TagKeys", "a");
  keys.Add("AWS:TAGKEYS", "b");
  ASSERT_NE(keys.Find("AWS:SOURCEIP"), nullptr);
  EXPECT_EQ(keys.Find("aws:tagkeys")->size(), 2u);
  EXPECT_EQ(keys.SingleLower("aws:sourceip"), "10.0.0.1");
  EXPECT_EQ(keys.SingleLower("aws:tagkeys"), std::nullopt);
  keys.Erase("Aws:SourceIP");
  EXPECT_EQ(keys.Find("aws:sourceip"), nullptr);
}

}  // namespace
}  // namespace cenote::iam
