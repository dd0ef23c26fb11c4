#include "services/s3/post_policy.hpp"

#include <gtest/gtest.h>

#include "common/encoding.hpp"

namespace cenote::s3 {
namespace {

// 2030-01-01T00:00:00Z
constexpr std::int64_t kExpiry = 1'893'456'000'000;

std::string Encode(std::string_view json) { return Base64Encode(json); }

Result<PostPolicy> Parse(std::string_view json) { return ParsePostPolicy(Encode(json)); }

std::string InvalidMessage(std::string_view json) {
  auto p = Parse(json);
  EXPECT_FALSE(p.ok()) << json;
  if (p.ok()) return "";
  EXPECT_EQ(p.error().code, "InvalidPolicyDocument");
  EXPECT_EQ(p.error().http_status, 400);
  return p.error().message;
}

TEST(PostPolicy, ParsesTheDocumentedConditions) {
  auto p = Parse(R"({"expiration": "2030-01-01T00:00:00.000Z", "conditions": [
      {"bucket": "b"}, ["StArTs-WiTh", "$KeY", "user/"], ["eq", "$acl", "private"],
      ["content-length-range", 10, 1048576], {"x-amz-meta-a": "1"}]})");
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->expiration_ms, kExpiry);
  ASSERT_EQ(p->conditions.size(), 5u);
  EXPECT_EQ(p->conditions[1].kind, PostPolicy::Condition::Kind::kStartsWith);
  EXPECT_EQ(p->conditions[1].field, "key");
  EXPECT_EQ(p->conditions[1].value, "user/");
  EXPECT_EQ(p->conditions[0].text, R"(["eq", "$bucket", "b"])");
  auto range = PolicySizeRange(*p);
  EXPECT_EQ(range.min, 10u);
  EXPECT_EQ(range.max, 1048576u);
  // Without fraction digits too.
  auto plain = Parse(R"({"expiration": "2030-01-01T00:00:00Z", "conditions": []})");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->expiration_ms, kExpiry);
  EXPECT_EQ(PolicySizeRange(*plain).min, 0u);
}

TEST(PostPolicy, RefusesMalformedDocumentsInAwsWords) {
  EXPECT_EQ(InvalidMessage("not json"), "Invalid Policy: Invalid JSON.");
  EXPECT_EQ(InvalidMessage("[1]"), "Invalid Policy: Invalid JSON.");
  EXPECT_EQ(InvalidMessage(R"({"conditions": []})"), "Invalid Policy: Policy missing expiration.");
  // The document's keys are case-sensitive.
  EXPECT_EQ(InvalidMessage(R"({"EXPIRATION": "2030-01-01T00:00:00Z", "conditions": []})"),
            "Invalid Policy: Policy missing expiration.");
  EXPECT_EQ(InvalidMessage(R"({"expiration": "2030-01-01T00:00:00Z", "CONDITIONS": []})"),
            "Invalid Policy: Policy missing conditions.");
  EXPECT_EQ(InvalidMessage(R"({"expiration": "2030-01-01 00:00:00+00:00", "conditions": []})"),
            "Invalid Policy: Invalid 'expiration' value: \"2030-01-01 00:00:00+00:00\"");
  EXPECT_EQ(InvalidMessage(R"({"expiration": "2030-02-30T00:00:00Z", "conditions": []})"),
            "Invalid Policy: Invalid 'expiration' value: \"2030-02-30T00:00:00Z\"");
  EXPECT_EQ(InvalidMessage(R"({"expiration": "2030-01-01T00:00:00Z", "conditions": [{}]})"),
            "Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one property "
            "specified.");
  EXPECT_EQ(InvalidMessage(R"({"expiration": "2030-01-01T00:00:00Z", "conditions": [{"a": "1", "b": "2"}]})")
                .starts_with("Invalid Policy: Invalid Simple-Condition"),
            true);
  for (const char* bad : {R"(["content-length-range", 0])", R"(["content-length-range", -1, 0])",
                          R"(["content-length-range", 0, 512.0])", R"(["eq", "key", "x"])",
                          R"(["eq", "$key"])", R"(["in", "$key", "x"])", R"("key")"}) {
    SCOPED_TRACE(bad);
    InvalidMessage(std::string(R"({"expiration": "2030-01-01T00:00:00Z", "conditions": [)") + bad + "]}");
  }
}

TEST(PostPolicy, ChecksExpiryConditionsAndCoverage) {
  auto p = Parse(R"({"expiration": "2030-01-01T00:00:00Z", "conditions": [
      {"bucket": "b"}, ["starts-with", "$key", "user/"], {"acl": "private"},
      ["starts-with", "$Content-Type", ""], ["content-length-range", 0, 10]]})");
  ASSERT_TRUE(p.ok());
  PostFormFields fields = {{"bucket", "b"},
                           {"key", "user/a.txt"},
                           {"acl", "private"},
                           {"content-type", "text/plain"},
                           {"policy", "..."},
                           {"awsaccesskeyid", "AKID"},
                           {"signature", "sig"},
                           {"x-ignore-me", "1"},
                           {"x-amz-checksum-sha256", "abc"}};
  EXPECT_TRUE(CheckPostPolicy(*p, fields, kExpiry - 1));

  auto denied = [&](const PostFormFields& f, std::int64_t now = kExpiry - 1) {
    Status s = CheckPostPolicy(*p, f, now);
    EXPECT_FALSE(s);
    if (s) return std::string();
    EXPECT_EQ(s.error().code, "AccessDenied");
    EXPECT_EQ(s.error().http_status, 403);
    return s.error().message;
  };
  EXPECT_EQ(denied(fields, kExpiry + 1), "Invalid according to Policy: Policy expired.");
  auto other_key = fields;
  other_key["key"] = "other/a.txt";
  EXPECT_EQ(denied(other_key),
            R"(Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "user/"])");
  auto other_bucket = fields;
  other_bucket["bucket"] = "c";
  EXPECT_EQ(denied(other_bucket),
            R"(Invalid according to Policy: Policy Condition failed: ["eq", "$bucket", "b"])");
  auto missing_acl = fields;
  missing_acl.erase("acl");
  EXPECT_EQ(denied(missing_acl),
            R"(Invalid according to Policy: Policy Condition failed: ["eq", "$acl", "private"])");
  auto extra = fields;
  extra["x-amz-meta-foo"] = "bar";
  EXPECT_EQ(denied(extra), "Invalid according to Policy: Extra input fields: x-amz-meta-foo");
  // A starts-with "" condition allows any value, and a missing field.
  auto no_type = fields;
  no_type.erase("content-type");
  EXPECT_TRUE(CheckPostPolicy(*p, no_type, kExpiry - 1));
}

TEST(PostPolicy, SizeRangeTakesEveryRange) {
  auto p = Parse(R"({"expiration": "2030-01-01T00:00:00Z", "conditions": [
      ["content-length-range", 5, 100], ["content-length-range", 10, 50]]})");
  ASSERT_TRUE(p.ok());
  auto range = PolicySizeRange(*p);
  EXPECT_EQ(range.min, 10u);
  EXPECT_EQ(range.max, 50u);
}

}  // namespace
}  // namespace cenote::s3
