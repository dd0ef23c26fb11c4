#include "iam/condition.hpp"

#include <gtest/gtest.h>

namespace cenote::iam {
namespace {

// Evaluates `op: {key: values}` against a context where `key` has `request` (absent when nullopt).
bool Eval(std::string_view op, std::vector<std::string> values,
          std::optional<std::vector<std::string>> request, std::string_view key = "k:key") {
  Result<Condition> c = Condition::Compile(op, key, values, /*variables=*/true);
  EXPECT_TRUE(c.ok()) << op << ": " << (c.ok() ? "" : c.error().message);
  if (!c.ok()) return false;
  ContextKeys keys;
  if (request) keys.Set(key, *request);
  return c->Evaluate(keys);
}

using V = std::vector<std::string>;

TEST(ConditionTest, OperatorNames) {
  EXPECT_TRUE(ParseOperatorName("StringEquals"));
  auto p = ParseOperatorName("ForAnyValue:StringLikeIfExists");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->op, ConditionOperator::kStringLike);
  EXPECT_EQ(p->set, SetOperator::kForAnyValue);
  EXPECT_TRUE(p->if_exists);
  EXPECT_FALSE(ParseOperatorName("NullIfExists"));
  EXPECT_FALSE(ParseOperatorName("stringequals"));
  EXPECT_FALSE(ParseOperatorName("StringEqualz"));
  EXPECT_FALSE(ParseOperatorName("ForSomeValues:StringEquals"));
  Result<Condition> bad = Condition::Compile("StringEqualz", "k", {"v"}, true);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "Invalid Condition type : StringEqualz");
}

TEST(ConditionTest, StringOperators) {
  EXPECT_TRUE(Eval("StringEquals", {"a", "b"}, V{"b"}));
  EXPECT_FALSE(Eval("StringEquals", {"a"}, V{"A"}));
  EXPECT_TRUE(Eval("StringEqualsIgnoreCase", {"FiNaNcE"}, V{"finance"}));
  EXPECT_FALSE(Eval("StringNotEqualsIgnoreCase", {"FiNaNcE"}, V{"finance"}));
  // Negated operators with several values are a NOR ("cannot match any of the values").
  EXPECT_FALSE(Eval("StringNotEquals", {"audit", "security"}, V{"audit"}));
  EXPECT_TRUE(Eval("StringNotEquals", {"audit", "security"}, V{"finance"}));
  EXPECT_TRUE(Eval("StringLike", {"home/*"}, V{"home/alice/x"}));
  EXPECT_FALSE(Eval("StringLike", {"home/*"}, V{"Home/alice"}));
  EXPECT_TRUE(Eval("StringLike", {"", "home/"}, V{""}));
  EXPECT_FALSE(Eval("StringNotLike", {"t1.*", "t2.*"}, V{"t2.micro"}));
  EXPECT_TRUE(Eval("StringNotLike", {"t1.*", "t2.*"}, V{"m5.large"}));
  // StringEquals takes `*` literally.
  EXPECT_FALSE(Eval("StringEquals", {"a*"}, V{"abc"}));
  EXPECT_TRUE(Eval("StringEquals", {"a*"}, V{"a*"}));
}

TEST(ConditionTest, MissingKey) {
  // Positive operators are false, negated ones true, IfExists true.
  EXPECT_FALSE(Eval("StringEquals", {"a"}, std::nullopt));
  EXPECT_TRUE(Eval("StringNotEquals", {"a"}, std::nullopt));
  EXPECT_TRUE(Eval("StringNotLike", {"a*"}, std::nullopt));
  EXPECT_TRUE(Eval("ArnNotLike", {"arn:aws:s3:::*"}, std::nullopt));
  EXPECT_TRUE(Eval("StringLikeIfExists", {"t1.*"}, std::nullopt));
  EXPECT_TRUE(Eval("NumericLessThanIfExists", {"10"}, std::nullopt));
  EXPECT_FALSE(Eval("NumericLessThan", {"10"}, std::nullopt));
  EXPECT_FALSE(Eval("IpAddress", {"10.0.0.0/8"}, std::nullopt));
  EXPECT_TRUE(Eval("NotIpAddress", {"10.0.0.0/8"}, std::nullopt));
  // IfExists still tests a present key.
  EXPECT_FALSE(Eval("StringLikeIfExists", {"t1.*", "t2.*"}, V{"m3.large"}));
  EXPECT_TRUE(Eval("StringLikeIfExists", {"t1.*", "t2.*"}, V{"t2.micro"}));
  // An empty value list is a null data set: absent.
  EXPECT_FALSE(Eval("StringEquals", {""}, V{}));
}

TEST(ConditionTest, Null) {
  EXPECT_TRUE(Eval("Null", {"true"}, std::nullopt));
  EXPECT_FALSE(Eval("Null", {"true"}, V{"2020-01-01T00:00:00Z"}));
  EXPECT_TRUE(Eval("Null", {"false"}, V{"x"}));
  EXPECT_FALSE(Eval("Null", {"false"}, std::nullopt));
  EXPECT_TRUE(Eval("Null", {"TRUE"}, V{}));
  EXPECT_FALSE(Condition::Compile("Null", "k", {"maybe"}, true).ok());
}

TEST(ConditionTest, Numeric) {
  EXPECT_TRUE(Eval("NumericLessThanEquals", {"10"}, V{"10"}));
  EXPECT_TRUE(Eval("NumericLessThanEquals", {"10"}, V{"9.5"}));
  EXPECT_FALSE(Eval("NumericLessThanEquals", {"10"}, V{"11"}));
  EXPECT_TRUE(Eval("NumericLessThan", {"10"}, V{"-3"}));
  EXPECT_TRUE(Eval("NumericGreaterThan", {"1.5"}, V{"2"}));
  EXPECT_TRUE(Eval("NumericGreaterThanEquals", {"2"}, V{"2.0"}));
  EXPECT_TRUE(Eval("NumericEquals", {"100"}, V{"1e2"}));
  EXPECT_FALSE(Eval("NumericNotEquals", {"1", "2"}, V{"2"}));
  EXPECT_TRUE(Eval("NumericNotEquals", {"1", "2"}, V{"3"}));
  EXPECT_FALSE(Eval("NumericEquals", {"1"}, V{"one"}));  // an unparsable request value matches nothing
  Result<Condition> bad = Condition::Compile("NumericEquals", "k", {"ten"}, true);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "MalformedPolicyDocument");
}

TEST(ConditionTest, Dates) {
  EXPECT_EQ(ParseConditionDate("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseConditionDate("2020-01-01T00:00:01Z"), 1577836801000);
  EXPECT_EQ(ParseConditionDate("2020-01-01"), 1577836800000);
  EXPECT_EQ(ParseConditionDate("2020-01"), 1577836800000);
  EXPECT_EQ(ParseConditionDate("2020-01-01T01:00:00+01:00"), 1577836800000);
  EXPECT_EQ(ParseConditionDate("2019-12-31T19:00-05:00"), 1577836800000);
  EXPECT_EQ(ParseConditionDate("2020-01-01T00:00:00.250Z"), 1577836800250);
  EXPECT_EQ(ParseConditionDate("1577836801"), 1577836801000);  // epoch seconds (aws:EpochTime)
  EXPECT_FALSE(ParseConditionDate("2020-13-01"));
  EXPECT_FALSE(ParseConditionDate("yesterday"));
  EXPECT_FALSE(ParseConditionDate("2020-01-01T00:00:00Q"));

  // aws:TokenIssueTime example: credentials issued after 2020-01-01T00:00:01Z.
  EXPECT_TRUE(Eval("DateGreaterThan", {"2020-01-01T00:00:01Z"}, V{"2020-06-01T12:00:00Z"}));
  EXPECT_FALSE(Eval("DateGreaterThan", {"2020-01-01T00:00:01Z"}, V{"2019-06-01T12:00:00Z"}));
  // ISO policy value against an epoch request value and the other way round.
  EXPECT_TRUE(Eval("DateLessThan", {"2020-01-01T00:00:00Z"}, V{"1500000000"}));
  EXPECT_TRUE(Eval("DateGreaterThanEquals", {"1577836800"}, V{"2020-01-01T00:00:00Z"}));
  EXPECT_TRUE(Eval("DateEquals", {"2020-01-01T00:00:00Z"}, V{"2020-01-01T00:00:00.000Z"}));
  EXPECT_TRUE(Eval("DateNotEquals", {"2020-01-01T00:00:00Z"}, V{"2020-01-02T00:00:00Z"}));
  EXPECT_TRUE(Eval("DateLessThanEquals", {"2020-01-01"}, V{"2020-01-01T00:00:00Z"}));
  EXPECT_FALSE(Condition::Compile("DateLessThan", "aws:CurrentTime", {"${aws:CurrentTime}"}, true).ok());
}

TEST(ConditionTest, Bool) {
  EXPECT_TRUE(Eval("Bool", {"false"}, V{"false"}, "aws:SecureTransport"));
  EXPECT_FALSE(Eval("Bool", {"false"}, V{"true"}, "aws:SecureTransport"));
  EXPECT_TRUE(Eval("Bool", {"true"}, V{"TRUE"}));
  EXPECT_FALSE(Condition::Compile("Bool", "k", {"yes"}, true).ok());
  // Bool takes policy variables.
  Result<Condition> c = Condition::Compile("Bool", "k:flag", {"${k:expected}"}, true);
  ASSERT_TRUE(c.ok());
  ContextKeys keys;
  keys.Set("k:flag", "true");
  keys.Set("k:expected", "true");
  EXPECT_TRUE(c->Evaluate(keys));
  keys.Set("k:expected", "false");
  EXPECT_FALSE(c->Evaluate(keys));
}

TEST(ConditionTest, Binary) {
  EXPECT_TRUE(Eval("BinaryEquals", {"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}, V{"BinaryValueInBase64"}));
  EXPECT_FALSE(Eval("BinaryEquals", {"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}, V{"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}));
  EXPECT_FALSE(Condition::Compile("BinaryEquals", "k", {"***"}, true).ok());
}

TEST(ConditionTest, IpAddresses) {
  EXPECT_TRUE(Eval("IpAddress", {"203.0.113.0/24"}, V{"203.0.113.77"}));
  EXPECT_FALSE(Eval("IpAddress", {"203.0.113.0/24"}, V{"203.0.114.1"}));
  EXPECT_TRUE(Eval("IpAddress", {"203.0.113.5"}, V{"203.0.113.5"}));  // no prefix: /32
  EXPECT_FALSE(Eval("IpAddress", {"203.0.113.5"}, V{"203.0.113.6"}));
  EXPECT_TRUE(Eval("IpAddress", {"0.0.0.0/0"}, V{"8.8.8.8"}));
  EXPECT_TRUE(Eval("IpAddress", {"10.0.0.0/9"}, V{"10.127.255.255"}));
  EXPECT_FALSE(Eval("IpAddress", {"10.0.0.0/9"}, V{"10.128.0.0"}));
  // IPv6, mixed with IPv4 as the documentation's example does.
  std::vector<std::string> mixed = {"203.0.113.0/24", "2001:DB8:1234:5678::/64"};
  EXPECT_TRUE(Eval("IpAddress", mixed, V{"2001:db8:1234:5678:abcd::1"}));
  EXPECT_FALSE(Eval("IpAddress", mixed, V{"2001:db8:1234:5679::1"}));
  EXPECT_TRUE(Eval("IpAddress", mixed, V{"203.0.113.9"}));
  EXPECT_TRUE(Eval("IpAddress", {"::1"}, V{"::1"}));
  EXPECT_TRUE(Eval("IpAddress", {"2001:db8::/32"}, V{"2001:0db8:ffff::"}));
  // An IPv4 range never matches an IPv6 address.
  EXPECT_FALSE(Eval("IpAddress", {"0.0.0.0/0"}, V{"::ffff:10.0.0.1"}));
  EXPECT_TRUE(Eval("NotIpAddress", {"192.0.2.0/24", "203.0.113.0/24"}, V{"198.51.100.1"}));
  EXPECT_FALSE(Eval("NotIpAddress", {"192.0.2.0/24", "203.0.113.0/24"}, V{"192.0.2.10"}));
  EXPECT_FALSE(Eval("IpAddress", {"10.0.0.0/8"}, V{"not-an-ip"}));
  EXPECT_FALSE(Condition::Compile("IpAddress", "aws:SourceIp", {"10.0.0.0/33"}, true).ok());
  EXPECT_FALSE(Condition::Compile("IpAddress", "aws:SourceIp", {"10.0.0"}, true).ok());
  EXPECT_FALSE(Condition::Compile("IpAddress", "aws:SourceIp", {"2001:db8::/129"}, true).ok());
}

TEST(ConditionTest, Arns) {
  std::string topic = "arn:aws:sns:us-east-1:123456789012:TOPIC-ID";
  EXPECT_TRUE(Eval("ArnEquals", {topic}, V{topic}, "aws:SourceArn"));
  EXPECT_FALSE(Eval("ArnEquals", {topic}, V{"arn:aws:sns:us-east-1:123456789012:OTHER"}, "aws:SourceArn"));
  EXPECT_TRUE(Eval("ArnLike", {"arn:aws:sns:*:123456789012:*"}, V{topic}));
  EXPECT_TRUE(Eval("ArnEquals", {"arn:aws:sns:*:123456789012:*"}, V{topic}));  // identical to ArnLike
  EXPECT_FALSE(Eval("ArnNotLike", {"arn:aws:sns:*:123456789012:*"}, V{topic}));
  EXPECT_TRUE(Eval("ArnNotEquals", {"arn:aws:sns:*:999999999999:*"}, V{topic}));
  EXPECT_FALSE(
      Eval("ArnLike", {"arn:aws:someservice:*:111122223333:finance/*"},
           V{"arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"}));
  EXPECT_TRUE(
      Eval("StringLike", {"arn:aws:someservice:*:111122223333:finance/*"},
           V{"arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"}));
}

// ForAllValues/ForAnyValue, with the DynamoDB attribute examples of the multivalued-conditions page.
TEST(ConditionTest, SetOperators) {
  V allowed = {"PostDateTime", "Message", "Tags"};
  EXPECT_TRUE(Eval("ForAllValues:StringEquals", allowed, V{"Message", "Tags"}));
  EXPECT_FALSE(Eval("ForAllValues:StringEquals", allowed, V{"PostDateTime", "UserName"}));
  EXPECT_TRUE(Eval("ForAllValues:StringEquals", allowed, std::nullopt));  // empty set: true
  EXPECT_TRUE(Eval("ForAllValues:StringEquals", allowed, V{}));
  V forbidden = {"ID", "PostDateTime"};
  EXPECT_TRUE(Eval("ForAnyValue:StringEquals", forbidden, V{"UserName", "Message", "PostDateTime"}));
  EXPECT_FALSE(Eval("ForAnyValue:StringEquals", forbidden, V{"UserName"}));
  EXPECT_FALSE(Eval("ForAnyValue:StringEquals", forbidden, std::nullopt));  // empty set: false
  EXPECT_FALSE(Eval("ForAnyValue:StringEquals", forbidden, V{}));

  // The aws:TagKeys Deny example: ForAllValues:StringNotLike "key1*".
  EXPECT_FALSE(Eval("ForAllValues:StringNotLike", {"key1*"}, V{"key1:legal"}));
  EXPECT_FALSE(Eval("ForAllValues:StringNotLike", {"key1*"}, V{"key1:hr", "key1:personnel"}));
  EXPECT_TRUE(Eval("ForAllValues:StringNotLike", {"key1*"}, V{"key2:audit"}));
  EXPECT_TRUE(Eval("ForAllValues:StringNotLike", {"key1*"}, std::nullopt));
  // ForAnyValue with a negated operator: some request value matches none of the policy values.
  EXPECT_TRUE(Eval("ForAnyValue:StringNotEquals", {"a", "b"}, V{"a", "c"}));
  EXPECT_FALSE(Eval("ForAnyValue:StringNotEquals", {"a", "b"}, V{"a", "b"}));
  EXPECT_FALSE(Eval("ForAnyValue:StringNotEquals", {"a", "b"}, std::nullopt));
  EXPECT_TRUE(Eval("ForAllValues:StringLike", {"Created*"}, V{"CreatedBy", "CreatedAt"}));
  // A multivalued key without a set operator: any value matches (positive), none may match (negated).
  EXPECT_TRUE(Eval("StringEquals", {"x"}, V{"y", "x"}));
  EXPECT_FALSE(Eval("StringNotEquals", {"x"}, V{"y", "x"}));
  // IfExists with a set operator and a missing key.
  EXPECT_TRUE(Eval("ForAnyValue:StringEqualsIfExists", {"a"}, std::nullopt));
}

TEST(ConditionTest, VariablesInValues) {
  Result<Condition> c =
      Condition::Compile("StringEquals", "aws:PrincipalTag/Team", {"${s3:ExistingObjectTag/Team}"}, true);
  ASSERT_TRUE(c.ok());
  ContextKeys keys;
  keys.Set("aws:principaltag/team", "red");
  keys.Set("s3:ExistingObjectTag/Team", "red");
  EXPECT_TRUE(c->Evaluate(keys));
  keys.Set("s3:ExistingObjectTag/Team", "blue");
  EXPECT_FALSE(c->Evaluate(keys));
  // A variable with no value: positive operators do not match, negated ones do.
  keys.Erase("s3:ExistingObjectTag/Team");
  EXPECT_FALSE(c->Evaluate(keys));
  Result<Condition> negated =
      Condition::Compile("StringNotEquals", "aws:PrincipalTag/Team", {"${s3:ExistingObjectTag/Team}"}, true);
  ASSERT_TRUE(negated.ok());
  EXPECT_TRUE(negated->Evaluate(keys));
  // Without variables (2008-10-17), the text is literal.
  Result<Condition> literal = Condition::Compile("StringEquals", "k", {"${aws:username}"}, false);
  ASSERT_TRUE(literal.ok());
  ContextKeys with_literal;
  with_literal.Set("k", "${aws:username}");
  EXPECT_TRUE(literal->Evaluate(with_literal));
}

TEST(ConditionTest, KeyNamesAreCaseInsensitive) {
  Result<Condition> c = Condition::Compile("StringEquals", "AWS:RequestedRegion", {"eu-west-1"}, true);
  ASSERT_TRUE(c.ok());
  ContextKeys keys;
  keys.Set("aws:requestedregion", "eu-west-1");
  EXPECT_TRUE(c->Evaluate(keys));
  keys.Set("aws:requestedregion", "EU-WEST-1");  // values stay case-sensitive
  EXPECT_FALSE(c->Evaluate(keys));
}

}  // namespace
}  // namespace cenote::iam
