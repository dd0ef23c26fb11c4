#include "aws/sigv4/canonical.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>

#include "common/encoding.hpp"

namespace cenote::aws::sigv4 {
namespace {

TEST(Canonical, QuerySortedByEncodedKeyThenValue) {
  EXPECT_EQ(CanonicalQueryString("b=2&a=1&a=0&empty=&flag"), "a=0&a=1&b=2&empty=&flag=");
  EXPECT_EQ(CanonicalQueryString("Param2=value2&Param1=value1"), "Param1=value1&Param2=value2");
  // Encoded form sorts: "%20" < "A" < "_" < "a".
  EXPECT_EQ(CanonicalQueryString("a=1&_=2&A=3&%20=4"), "%20=4&A=3&_=2&a=1");
  EXPECT_EQ(CanonicalQueryString("prefix=a%2Fb%20c&x=%7e"), "prefix=a%2Fb%20c&x=~");
  EXPECT_EQ(CanonicalQueryString("X-Amz-Signature=abc&X-Amz-Date=1", "X-Amz-Signature"), "X-Amz-Date=1");
  EXPECT_EQ(CanonicalQueryString("a=b+c"), "a=b%2Bc");
  // The excluded name matches after decoding; empty pairs are skipped; '=' inside a value stays.
  EXPECT_EQ(CanonicalQueryString("X-Amz-%53ignature=abc&&b=x=y", "X-Amz-Signature"), "b=x%3Dy");
  EXPECT_EQ(CanonicalQueryString("%61=%41&a-b=c.d~e_f"), "a=A&a-b=c.d~e_f");
}

// CanonicalQueryString has a fast path for all-unreserved components: it must agree with the definition
// (decode every component, re-encode it, sort) on any input.
TEST(Canonical, QueryMatchesDecodeEncodeSortDefinition) {
  auto reference = [](std::string_view raw, std::string_view exclude) {
    std::vector<std::pair<std::string, std::string>> encoded;
    for (auto& p : ParseQuery(raw)) {
      if (!exclude.empty() && p.key == exclude) continue;
      encoded.emplace_back(UriEncode(p.key, true), UriEncode(p.value, true));
    }
    std::sort(encoded.begin(), encoded.end());
    std::string out;
    for (const auto& [k, v] : encoded) {
      if (!out.empty()) out.push_back('&');
      out.append(k).append("=").append(v);
    }
    return out;
  };
  const std::string alphabet = "aZ09-_.~%2F=&+ /:x";
  std::uint32_t seed = 12345;
  for (int i = 0; i < 5000; ++i) {
    std::string q;
    int len = static_cast<int>(seed % 24);
    for (int j = 0; j < len; ++j) {
      seed = seed * 1103515245 + 12345;
      q.push_back(alphabet[(seed >> 16) % alphabet.size()]);
    }
    seed = seed * 1103515245 + 12345;
    ASSERT_EQ(CanonicalQueryString(q), reference(q, "")) << q;
    ASSERT_EQ(CanonicalQueryString(q, "x"), reference(q, "x")) << q;
  }
}

TEST(Canonical, UriS3KeepsSegmentsAndEncodesOnce) {
  EXPECT_EQ(CanonicalUri("/bucket/a//b/../c", true), "/bucket/a//b/../c");
  EXPECT_EQ(CanonicalUri("/bucket/a%20b%2Bc", true), "/bucket/a%20b%2Bc");
  EXPECT_EQ(CanonicalUri("/bucket/a b!", true), "/bucket/a%20b%21");
  EXPECT_EQ(CanonicalUri("", true), "/");
}

TEST(Canonical, UriOtherServicesNormalizeAndEncodeTwice) {
  EXPECT_EQ(CanonicalUri("//example//", false), "/example/");
  EXPECT_EQ(CanonicalUri("/./example", false), "/example");
  EXPECT_EQ(CanonicalUri("/example1/example2/../..", false), "/");
  EXPECT_EQ(CanonicalUri("/example space/", false), "/example%20space/");
  EXPECT_EQ(CanonicalUri("/fn%3Aarn", false), "/fn%253Aarn");
}

TEST(Canonical, TrimAll) {
  EXPECT_EQ(TrimAll("  a   b \t c  "), "a b c");
  EXPECT_EQ(TrimAll(""), "");
  EXPECT_EQ(TrimAll("\"a   b   c\""), "\"a b c\"");
}

TEST(Canonical, AmzDateRoundTrip) {
  auto t = ParseAmzDate("20150830T123600Z");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(FormatAmzDate(*t), "20150830T123600Z");
  EXPECT_FALSE(ParseAmzDate("20150830T123600").has_value());
  EXPECT_FALSE(ParseAmzDate("2015083xT123600Z").has_value());
  auto h = ParseHttpDate("Sun, 30 Aug 2015 12:36:00 GMT");
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(*h, *t);
  EXPECT_FALSE(ParseHttpDate("yesterday").has_value());
}

// system_clock (64-bit nanoseconds) ends in April 2262; request times are bounded well before it so that
// neither the conversion nor the skew and expiry arithmetic can overflow.
TEST(Canonical, DatesOutsideTheClockRangeAreRefused) {
  EXPECT_TRUE(ParseAmzDate("19000101T000000Z").has_value());
  EXPECT_TRUE(ParseAmzDate("21991231T235959Z").has_value());
  EXPECT_EQ(FormatAmzDate(*ParseAmzDate("21991231T235959Z")), "21991231T235959Z");
  for (const char* text :
       {"18991231T235959Z", "22000101T000000Z", "22620411T234717Z", "99991231T235959Z", "00000101T000000Z"}) {
    EXPECT_FALSE(ParseAmzDate(text).has_value()) << text;
  }
  EXPECT_TRUE(ParseHttpDate("Tue, 31 Dec 2199 23:59:59 GMT").has_value());
  EXPECT_TRUE(ParseHttpDate("Mon, 01 Jan 1900 00:00:00 GMT").has_value());
  for (const char* text : {"Wed, 01 Jan 2200 00:00:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT",
                           "Sat, 01 Jan 0000 00:00:00 GMT", "Sun, 31 Dec 1899 23:59:59 GMT"}) {
    EXPECT_FALSE(ParseHttpDate(text).has_value()) << text;
  }
  EXPECT_TRUE(TimeFromUnixSeconds(0).has_value());
  EXPECT_TRUE(TimeFromUnixSeconds(7258118399).has_value());  // 2199-12-31T23:59:59Z
  EXPECT_FALSE(TimeFromUnixSeconds(7258118400).has_value());
  EXPECT_TRUE(TimeFromUnixSeconds(-2208988800).has_value());  // 1900-01-01T00:00:00Z
  EXPECT_FALSE(TimeFromUnixSeconds(-2208988801).has_value());
  EXPECT_FALSE(TimeFromUnixSeconds(9223372037).has_value());  // past the end of the clock
  EXPECT_FALSE(TimeFromUnixSeconds(std::numeric_limits<long long>::max()).has_value());
  EXPECT_FALSE(TimeFromUnixSeconds(std::numeric_limits<long long>::min()).has_value());
}

// AWS's derived-key example (IAM docs: "Examples of how to derive a signing key").
TEST(Canonical, SigningKeyDocExample) {
  EXPECT_EQ(HexEncode(SigningKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam")),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

// S3 docs, "Authenticating Requests: Using Query Parameters" / the SigV2 RESTAuthentication example.
TEST(Canonical, SigV2StringToSign) {
  http::Headers h;
  h.Add("Content-Type", "image/jpeg");
  h.Add("X-Amz-Meta-B", "2");
  h.Add("x-amz-meta-a", " 1 ");
  h.Add("X-Amz-Meta-B", "3");
  EXPECT_EQ(SigV2StringToSign("PUT", h, "Tue, 27 Mar 2007 21:15:45 +0000", "/johnsmith/photos/puppy.jpg",
                              "uploadId=7&partNumber=2&foo=bar&acl"),
            "PUT\n\nimage/jpeg\nTue, 27 Mar 2007 21:15:45 +0000\nx-amz-meta-a:1\nx-amz-meta-b:2,3\n"
            "/johnsmith/photos/puppy.jpg?acl&partNumber=2&uploadId=7");
  http::Headers empty;
  // The AWS SigV2 doc example: GET /photos/puppy.jpg on johnsmith.
  std::string sts =
      SigV2StringToSign("GET", empty, "Tue, 27 Mar 2007 19:36:42 +0000", "/johnsmith/photos/puppy.jpg", "");
  EXPECT_EQ(Base64Encode(HmacSha1("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", sts)),
            "bWq2s1WEIj+Ydj0vQ697zp+IXMU=");
}

}  // namespace
}  // namespace cenote::aws::sigv4
