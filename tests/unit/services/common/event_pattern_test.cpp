// The event-pattern language, operator by operator, from the examples of AWS's documentation
// (EventBridge "Comparison operators for use in event patterns", "Arrays in event patterns", "Matching null
// values and empty strings"; SNS "Filter policy constraints").
#include "services/common/event_pattern.hpp"

#include <gtest/gtest.h>

namespace cenote::services {
namespace {

namespace json = boost::json;

bool Match(std::string_view pattern, std::string_view event,
           PatternDialect dialect = PatternDialect::kEventBridge) {
  auto p = EventPattern::Parse(pattern, dialect);
  EXPECT_TRUE(p.ok()) << pattern << ": " << (p.ok() ? "" : p.error().message);
  if (!p.ok()) return false;
  return p->Matches(json::parse(event));
}

std::string Invalid(std::string_view pattern, PatternDialect dialect = PatternDialect::kEventBridge) {
  auto p = EventPattern::Parse(pattern, dialect);
  EXPECT_FALSE(p.ok()) << pattern;
  if (p.ok()) return "";
  return p.error().code + ": " + p.error().message;
}

constexpr const char* kEc2Event = R"({
  "version": "0", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
  "detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2",
  "account": "111122223333", "time": "2017-12-22T18:43:48Z", "region": "us-west-1",
  "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
  "detail": {"instance-id": "i-1234567890abcdef0", "state": "terminated", "c-count": 5, "d-count": 3,
             "x-limit": 301.8, "source-ip": "10.0.0.123", "eventVersion": "", "responseElements": null,
             "FilePath": "/usr/lib/x.so"}})";

TEST(EventPattern, ExactAndAnd) {
  EXPECT_TRUE(Match(R"({"source": ["aws.ec2"]})", kEc2Event));
  EXPECT_TRUE(Match(R"({"source": ["aws.s3", "aws.ec2"], "detail": {"state": ["terminated"]}})", kEc2Event));
  EXPECT_FALSE(Match(R"({"source": ["aws.ec2"], "detail": {"state": ["running"]}})", kEc2Event));
  EXPECT_FALSE(Match(R"({"source": ["AWS.EC2"]})", kEc2Event));         // case-sensitive
  EXPECT_FALSE(Match(R"({"detail": {"c-count": ["5"]}})", kEc2Event));  // a string is not the number 5
}

TEST(EventPattern, NumbersMatchNumerically) {
  EXPECT_TRUE(Match(R"({"detail": {"c-count": [5]}})", kEc2Event));
  EXPECT_TRUE(Match(R"({"detail": {"c-count": [5.0]}})", kEc2Event));
  EXPECT_TRUE(Match(R"({"detail": {"x-limit": [3.018e2]}})", kEc2Event));
  EXPECT_FALSE(Match(R"({"detail": {"c-count": [6]}})", kEc2Event));
  EXPECT_TRUE(Match(R"({"account": [123456789012]})", R"({"account": 123456789012})"));
}

TEST(EventPattern, NullAndEmptyStringAreDistinct) {
  EXPECT_TRUE(Match(R"({"detail": {"eventVersion": [""]}})", kEc2Event));
  EXPECT_TRUE(Match(R"({"detail": {"responseElements": [null]}})", kEc2Event));
  EXPECT_FALSE(Match(R"({"detail": {"responseElements": [""]}})", kEc2Event));
  EXPECT_FALSE(Match(R"({"detail": {"eventVersion": [null]}})", kEc2Event));
  EXPECT_FALSE(Match(R"({"detail": {"missing": [null]}})", kEc2Event));
  EXPECT_TRUE(Match(R"({"a": [true]})", R"({"a": true})"));
  EXPECT_FALSE(Match(R"({"a": [true]})", R"({"a": "true"})"));
}

TEST(EventPattern, Prefix) {
  EXPECT_TRUE(Match(R"({"time": [{"prefix": "2017-12-22"}]})", kEc2Event));
  EXPECT_FALSE(Match(R"({"time": [{"prefix": "2018"}]})", kEc2Event));
  EXPECT_TRUE(Match(R"({"source": [{"prefix": {"equals-ignore-case": "AWS."}}]})", kEc2Event));
  EXPECT_FALSE(Match(R"({"detail": {"c-count": [{"prefix": "5"}]}})", kEc2Event));  // strings only
}

TEST(EventPattern, Suffix) {
  EXPECT_TRUE(Match(R"({"FileName": [{"suffix": ".png"}]})", R"({"FileName": "image.png"})"));
  EXPECT_FALSE(Match(R"({"FileName": [{"suffix": ".png"}]})", R"({"FileName": "image.PNG"})"));
  EXPECT_TRUE(
      Match(R"({"FileName": [{"suffix": {"equals-ignore-case": ".png"}}]})", R"({"FileName": "image.PNG"})"));
}

TEST(EventPattern, EqualsIgnoreCase) {
  EXPECT_TRUE(Match(R"({"name": [{"equals-ignore-case": "alice"}]})", R"({"name": "ALiCe"})"));
  EXPECT_FALSE(Match(R"({"name": [{"equals-ignore-case": "alice"}]})", R"({"name": "alice2"})"));
  // Beyond ASCII, with Java's simple case mappings (as AWS's event-ruler): Greek, Cyrillic, Latin-1, and a
  // sign whose lowercase is shorter (U+212A KELVIN SIGN is "k").
  EXPECT_TRUE(Match(R"({"city": [{"equals-ignore-case": "ΑΘΉΝΑ"}]})", R"({"city": "αθήνα"})"));
  EXPECT_TRUE(Match(R"({"city": [{"equals-ignore-case": "москва"}]})", R"({"city": "МОСКВА"})"));
  EXPECT_TRUE(Match(R"({"city": [{"equals-ignore-case": "zürich"}]})", R"({"city": "ZÜRICH"})"));
  EXPECT_TRUE(Match(R"({"unit": [{"equals-ignore-case": "k"}]})", "{\"unit\": \"\u212a\"}"));
  EXPECT_TRUE(Match(R"({"city": [{"prefix": {"equals-ignore-case": "ZÜR"}}]})", R"({"city": "zürich"})"));
  EXPECT_TRUE(Match(R"({"city": [{"suffix": {"equals-ignore-case": "ICH"}}]})", R"({"city": "Zürich"})"));
  EXPECT_FALSE(
      Match(R"({"city": [{"anything-but": {"equals-ignore-case": ["ZÜRICH"]}}]})", R"({"city": "zürich"})"));
  EXPECT_FALSE(Match(R"({"city": [{"equals-ignore-case": "zürich"}]})", R"({"city": "zurich"})"));
}

TEST(EventPattern, AnythingBut) {
  EXPECT_TRUE(Match(R"({"detail": {"state": [{"anything-but": "initializing"}]}})", kEc2Event));
  EXPECT_FALSE(Match(R"({"detail": {"state": [{"anything-but": "terminated"}]}})", kEc2Event));
  EXPECT_FALSE(Match(R"({"detail": {"state": [{"anything-but": ["stopped", "terminated"]}]}})", kEc2Event));
  EXPECT_TRUE(Match(R"({"detail": {"c-count": [{"anything-but": [4, 6]}]}})", kEc2Event));
  EXPECT_FALSE(Match(R"({"detail": {"c-count": [{"anything-but": [5, 6]}]}})", kEc2Event));
  EXPECT_FALSE(
      Match(R"({"detail": {"state": [{"anything-but": [1, 2]}]}})", kEc2Event));  // numeric: numbers only
  EXPECT_FALSE(
      Match(R"({"detail": {"missing": [{"anything-but": "x"}]}})", kEc2Event));  // absent never matches
  EXPECT_TRUE(Match(R"({"Region": [{"anything-but": {"prefix": "us-"}}]})", R"({"Region": "eu-west-1"})"));
  EXPECT_FALSE(Match(R"({"Region": [{"anything-but": {"prefix": "us-"}}]})", R"({"Region": "us-east-1"})"));
  EXPECT_TRUE(Match(R"({"FileName": [{"anything-but": {"suffix": ".png"}}]})", R"({"FileName": "a.txt"})"));
  EXPECT_FALSE(Match(R"({"FileName": [{"anything-but": {"suffix": ".png"}}]})", R"({"FileName": "a.png"})"));
  EXPECT_FALSE(Match(R"({"state": [{"anything-but": {"equals-ignore-case": "initializing"}}]})",
                     R"({"state": "INITIALIZING"})"));
  EXPECT_FALSE(Match(R"({"state": [{"anything-but": {"equals-ignore-case": ["a", "Initializing"]}}]})",
                     R"({"state": "initializing"})"));
  EXPECT_TRUE(Match(R"({"state": [{"anything-but": {"equals-ignore-case": "initializing"}}]})",
                    R"({"state": "running"})"));
  EXPECT_FALSE(Match(R"({"detail": {"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]}})", kEc2Event));
  EXPECT_TRUE(Match(R"({"FilePath": [{"anything-but": {"wildcard": ["*/lib/*", "*.txt"]}}]})",
                    R"({"FilePath": "/usr/bin/x"})"));
}

TEST(EventPattern, AnythingButOnArraysMatchesWhenAnyElementDiffers) {
  // An event array is flattened: the pattern matches when one of its values matches.
  EXPECT_TRUE(Match(R"({"a": [{"anything-but": "x"}]})", R"({"a": ["x", "y"]})"));
  EXPECT_FALSE(Match(R"({"a": [{"anything-but": "x"}]})", R"({"a": ["x"]})"));
}

TEST(EventPattern, Numeric) {
  EXPECT_TRUE(Match(R"({"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}]}})", kEc2Event));
  EXPECT_FALSE(Match(R"({"detail": {"c-count": [{"numeric": [">", 0, "<", 5]}]}})", kEc2Event));
  EXPECT_TRUE(Match(R"({"detail": {"d-count": [{"numeric": ["<", 10]}]}})", kEc2Event));
  EXPECT_TRUE(Match(R"({"detail": {"x-limit": [{"numeric": ["=", 3.018e2]}]}})", kEc2Event));
  EXPECT_TRUE(Match(R"({"detail": {"c-count": [{"numeric": [">=", 5]}]}})", kEc2Event));
  EXPECT_FALSE(Match(R"({"detail": {"c-count": [{"numeric": [">", 5]}]}})", kEc2Event));
  EXPECT_FALSE(Match(R"({"n": [{"numeric": [">", 0]}]})", R"({"n": "5"})"));  // strings are not numbers
}

TEST(EventPattern, Exists) {
  EXPECT_TRUE(Match(R"({"detail": {"state": [{"exists": true}]}})", kEc2Event));
  EXPECT_FALSE(Match(R"({"detail": {"missing": [{"exists": true}]}})", kEc2Event));
  EXPECT_TRUE(Match(R"({"detail": {"missing": [{"exists": false}]}})", kEc2Event));
  EXPECT_FALSE(Match(R"({"detail": {"state": [{"exists": false}]}})", kEc2Event));
  // null exists; an empty array and an intermediate object do not (exists works on leaves only).
  EXPECT_TRUE(Match(R"({"detail": {"responseElements": [{"exists": true}]}})", kEc2Event));
  EXPECT_TRUE(Match(R"({"a": [{"exists": false}]})", R"({"a": []})"));
  EXPECT_FALSE(Match(R"({"detail": [{"exists": true}]})", kEc2Event));
  EXPECT_TRUE(Match(R"({"x": {"y": [{"exists": false}]}})", kEc2Event));  // the whole path is absent
  EXPECT_TRUE(Match(R"({"source": ["aws.ec2"], "detail": {"state": ["x", {"exists": false}]}})",
                    R"({"source": "aws.ec2", "detail": {}})"));
}

TEST(EventPattern, Cidr) {
  EXPECT_TRUE(Match(R"({"detail": {"source-ip": [{"cidr": "10.0.0.0/24"}]}})", kEc2Event));
  EXPECT_FALSE(Match(R"({"detail": {"source-ip": [{"cidr": "10.0.1.0/24"}]}})", kEc2Event));
  EXPECT_TRUE(Match(R"({"ip": [{"cidr": "10.0.0.0/7"}]})", R"({"ip": "11.255.0.1"})"));
  EXPECT_TRUE(Match(R"({"ip": [{"cidr": "2001:db8::/32"}]})", R"({"ip": "2001:db8:1::1"})"));
  EXPECT_FALSE(Match(R"({"ip": [{"cidr": "2001:db8::/32"}]})", R"({"ip": "2001:db9::1"})"));
  EXPECT_FALSE(Match(R"({"ip": [{"cidr": "10.0.0.0/8"}]})", R"({"ip": "not an ip"})"));
}

TEST(EventPattern, Wildcard) {
  EXPECT_TRUE(Match(R"({"EventBusArn": [{"wildcard": "arn:aws:events:us-east-1:*:event-bus/*"}]})",
                    R"({"EventBusArn": "arn:aws:events:us-east-1:123456789012:event-bus/default"})"));
  EXPECT_FALSE(Match(R"({"EventBusArn": [{"wildcard": "arn:aws:events:us-east-1:*:event-bus/*"}]})",
                     R"({"EventBusArn": "arn:aws:events:us-west-2:123456789012:event-bus/default"})"));
  EXPECT_TRUE(Match(R"({"f": [{"wildcard": "*.png"}]})", R"({"f": "dir/a.png"})"));
  EXPECT_TRUE(Match(R"({"f": [{"wildcard": "a*b*c"}]})", R"({"f": "abc"})"));
  EXPECT_FALSE(Match(R"({"f": [{"wildcard": "a*b*c"}]})", R"({"f": "acb"})"));
  EXPECT_TRUE(Match(R"({"f": [{"wildcard": "a\\*b"}]})", R"({"f": "a*b"})"));
  EXPECT_FALSE(Match(R"({"f": [{"wildcard": "a\\*b"}]})", R"({"f": "axb"})"));
  EXPECT_TRUE(Match(R"({"f": [{"wildcard": "ab*ba"}]})", R"({"f": "aba"})") == false);
}

TEST(EventPattern, Or) {
  const char* pattern = R"({"detail": {"$or": [{"c-count": [{"numeric": [">", 0, "<=", 5]}]},
                                             {"d-count": [{"numeric": ["<", 10]}]},
                                             {"x-limit": [{"numeric": ["=", 3.018e2]}]}]}})";
  EXPECT_TRUE(Match(pattern, kEc2Event));
  EXPECT_FALSE(Match(pattern, R"({"detail": {"c-count": 9, "d-count": 11}})"));
  EXPECT_TRUE(
      Match(R"({"source": ["aws.ec2"], "$or": [{"region": ["eu-west-1"]}, {"account": ["111122223333"]}]})",
            kEc2Event));
  EXPECT_FALSE(
      Match(R"({"source": ["aws.s3"], "$or": [{"region": ["us-west-1"]}, {"account": ["1"]}]})", kEc2Event));
}

TEST(EventPattern, ArraysMatchAnyElement) {
  EXPECT_TRUE(
      Match(R"({"resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0", "x"]})",
            kEc2Event));
  EXPECT_TRUE(Match(R"({"a": ["z"]})", R"({"a": [["x"], ["z"]]})"));
  // Fields inside an array of objects are matched within one element.
  EXPECT_TRUE(Match(R"({"a": {"b": [1], "c": [2]}})", R"({"a": [{"b": 1, "c": 2}, {"b": 3, "c": 4}]})"));
  EXPECT_FALSE(Match(R"({"a": {"b": [1], "c": [4]}})", R"({"a": [{"b": 1, "c": 2}, {"b": 3, "c": 4}]})"));
}

TEST(EventPattern, ValidationMessages) {
  EXPECT_EQ(Invalid(R"(["a"])"),
            "InvalidEventPatternException: Event pattern is not valid. Reason: Filter is not an object");
  EXPECT_EQ(Invalid(R"({"a": "b"})"),
            "InvalidEventPatternException: Event pattern is not valid. Reason: \"a\" must be an object or an "
            "array");
  EXPECT_EQ(Invalid(R"({"a": []})"),
            "InvalidEventPatternException: Event pattern is not valid. Reason: Empty arrays are not allowed");
  EXPECT_EQ(
      Invalid(R"({"a": {}})"),
      "InvalidEventPatternException: Event pattern is not valid. Reason: Empty objects are not allowed");
  EXPECT_NE(Invalid(R"({"a": [{"prefix": 1}]})").find("prefix match pattern must be a string"),
            std::string::npos);
  EXPECT_NE(Invalid(R"({"a": [{"foo": 1}]})").find("Unrecognized match type foo"), std::string::npos);
  EXPECT_NE(
      Invalid(R"({"a": [{"prefix": "a", "suffix": "b"}]})").find("Only one key allowed in match expression"),
      std::string::npos);
  EXPECT_NE(Invalid(R"({"a": [{"numeric": [">", "x"]}]})").find("Value of > must be numeric"),
            std::string::npos);
  EXPECT_NE(Invalid(R"({"a": [{"numeric": [">", 1, "<", 2, 3]}]})").find("Too many terms"),
            std::string::npos);
  EXPECT_NE(Invalid(R"({"a": [{"numeric": ["~", 1]}]})").find("Unrecognized numeric range operator: ~"),
            std::string::npos);
  EXPECT_NE(Invalid(R"({"a": [{"anything-but": ["a", 1]}]})").find("mixed type is not supported"),
            std::string::npos);
  EXPECT_NE(Invalid(R"({"a": [{"anything-but": {"prefix": ""}}]})").find("Null prefix/suffix not allowed"),
            std::string::npos);
  EXPECT_NE(
      Invalid(R"({"a": [{"exists": "yes"}]})").find("exists match pattern must be either true or false."),
      std::string::npos);
  EXPECT_NE(
      Invalid(R"({"$or": [{"a": ["b"]}]})").find("There must have at least 2 Objects in $or relationship."),
      std::string::npos);
  EXPECT_NE(Invalid(R"({"f": [{"wildcard": "a**b"}]})").find("Consecutive wildcard characters at pos 1"),
            std::string::npos);
  EXPECT_NE(Invalid(R"({"ip": [{"cidr": "10.0.0.0/33"}]})").find("Malformed CIDR"), std::string::npos);
  EXPECT_NE(Invalid(R"({"a": [[1]]})").find("Match value must be String, number, true, false, or null"),
            std::string::npos);
  EXPECT_NE(Invalid("{not json").find("Event pattern is not valid. Reason:"), std::string::npos);
}

TEST(SnsFilterPolicy, AttributesAreTyped) {
  json::object attributes =
      MessageAttributesAsEvent({{"store", "String", "example_corp"},
                                {"price_usd", "Number", "210.75"},
                                {"customer_interests", "String.Array", R"(["soccer", "rugby"])"},
                                {"blob", "Binary", "AAEC"},
                                {"encrypted", "String.custom", "false"}});
  const json::value event(std::move(attributes));
  auto match = [&](std::string_view policy) {
    auto p = EventPattern::Parse(policy, PatternDialect::kSnsMessageAttributes);
    EXPECT_TRUE(p.ok()) << policy;
    return p.ok() && p->Matches(event);
  };
  EXPECT_TRUE(match(R"({"store": ["example_corp"], "price_usd": [{"numeric": [">=", 100]}]})"));
  EXPECT_TRUE(match(R"({"customer_interests": ["rugby", "football"]})"));
  EXPECT_FALSE(match(R"({"customer_interests": ["football"]})"));
  EXPECT_FALSE(match(R"({"blob": [{"exists": true}]})"));  // Binary attributes are ignored
  EXPECT_TRUE(match(R"({"encrypted": ["false"]})"));
  EXPECT_FALSE(match(R"({"price_usd": ["210.75"]})"));  // a Number attribute is matched as a number
  EXPECT_TRUE(match(R"({"price_usd": [210.75]})"));
}

TEST(SnsFilterPolicy, Limits) {
  EXPECT_EQ(Invalid(R"({"a": ["1"], "b": ["1"], "c": ["1"], "d": ["1"], "e": ["1"], "f": ["1"]})",
                    PatternDialect::kSnsMessageAttributes),
            "InvalidParameter: Invalid parameter: FilterPolicy: Filter policy can not have more than 5 keys");
  // 6 * 5 * 6 = 180 combinations.
  EXPECT_EQ(
      Invalid(
          R"({"a": ["1","2","3","4","5","6"], "b": ["1","2","3","4","5"], "c": ["1","2","3","4","5","6"]})",
          PatternDialect::kSnsMessageAttributes),
      "InvalidParameter: Invalid parameter: FilterPolicy: Filter policy is too complex");
  EXPECT_EQ(
      Invalid(R"({"a": {"b": ["1"]}})", PatternDialect::kSnsMessageAttributes),
      "InvalidParameter: Invalid parameter: Filter policy scope MessageAttributes does not support nested "
      "filter policy");
  EXPECT_TRUE(Match(R"({"a": {"b": ["1"]}})", R"({"a": {"b": "1"}})", PatternDialect::kSnsMessageBody));
  EXPECT_NE(
      Invalid(R"({"a": [{"numeric": [">", 2e9]}]})", PatternDialect::kSnsMessageBody).find("FilterPolicy"),
      std::string::npos);
}

}  // namespace
}  // namespace cenote::services
