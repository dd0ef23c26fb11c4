#include "common/encoding.hpp"
#include "common/unicode_case.hpp"

#include <gtest/gtest.h>

namespace cenote {
namespace {

TEST(Encoding, Base64RoundTripAndRfcVectors) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64Decode("Zm9vYg=="), "foob");
  EXPECT_EQ(Base64Decode("Zm9vYg"), "foob");
  EXPECT_EQ(Base64Decode("Zm9vYmE="), "fooba");
  EXPECT_EQ(Base64Decode(""), "");
  EXPECT_FALSE(Base64Decode("Zm9v!").has_value());
  EXPECT_FALSE(Base64Decode("Z").has_value());
  EXPECT_FALSE(Base64Decode("Zm9=").has_value());  // non-zero leftover bits
  EXPECT_FALSE(Base64Decode("Zm9vY===").has_value());
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  EXPECT_EQ(Base64Decode(Base64Encode(all)), all);
}

TEST(Encoding, Base64AlphabetsAndStrictness) {
  const std::string bytes("\xfb\xff\xbf", 3);
  EXPECT_EQ(Base64Encode(bytes), "+/+/");
  EXPECT_EQ(Base64Encode(bytes, Base64Alphabet::kUrlSafe), "-_-_");
  EXPECT_EQ(Base64Encode("f", Base64Alphabet::kUrlSafe, /*pad=*/false), "Zg");
  // The default is the standard alphabet only.
  EXPECT_FALSE(Base64Decode("-_-_").has_value());
  Base64DecodeOptions url;
  url.standard = false;
  url.url_safe = true;
  EXPECT_EQ(Base64Decode("-_-_", url), bytes);
  EXPECT_FALSE(Base64Decode("+/+/", url).has_value());
  Base64DecodeOptions padded;
  padded.require_padding = true;
  EXPECT_FALSE(Base64Decode("Zg", padded).has_value());
  EXPECT_EQ(Base64Decode("Zg==", padded), "f");
  EXPECT_FALSE(Base64Decode("Zm9v Yg==").has_value());
  // The wire's reading: both alphabets, whitespace, non-canonical last characters.
  EXPECT_EQ(Base64Decode("Zm9v Yg==", kWireBase64), "foob");
  EXPECT_EQ(Base64Decode("-_-_", kWireBase64), bytes);
  EXPECT_EQ(Base64Decode("Zm9=", kWireBase64), "fo");
}

TEST(Encoding, Hex) {
  EXPECT_EQ(HexEncode(std::string("\x00\xff\x10", 3)), "00ff10");
  EXPECT_EQ(HexDecode("00FF10"), std::string("\x00\xff\x10", 3));
  EXPECT_FALSE(HexDecode("abc").has_value());
  EXPECT_FALSE(HexDecode("zz").has_value());
}

TEST(Encoding, UriEncodeAwsRules) {
  EXPECT_EQ(UriEncode("a-b_c.d~e", true), "a-b_c.d~e");
  EXPECT_EQ(UriEncode("a b+c/d", true), "a%20b%2Bc%2Fd");
  EXPECT_EQ(UriEncode("a b+c/d", false), "a%20b%2Bc/d");
  EXPECT_EQ(UriEncode("\xc3\xa9*", true), "%C3%A9%2A");
  EXPECT_EQ(UriEncode("=&", true), "%3D%26");
}

TEST(Encoding, UriDecode) {
  EXPECT_EQ(UriDecode("a%20b+c%2fd"), "a b+c/d");
  EXPECT_EQ(UriDecode("100%"), "100%");
  EXPECT_EQ(UriDecode("%zz%4"), "%zz%4");
  EXPECT_EQ(UriDecode("%C3%A9"), "\xc3\xa9");
}

TEST(Encoding, IsValidUtf8) {
  for (const char* good : {"", "plain ascii", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xc2\x80",
                           "\xed\x9f\xbf", "\xee\x80\x80", "\xf4\x8f\xbf\xbf"}) {
    EXPECT_TRUE(IsValidUtf8(good)) << good;
  }
  EXPECT_TRUE(IsValidUtf8(std::string_view("a\0b", 3)));
  for (const char* bad : {"\xff", "\x80", "caf\xe9", "\xc3", "\xe2\x82", "\xf0\x9f\x98",
                          "\xc0\xaf",          // overlong '/'
                          "\xc1\xbf",          // overlong
                          "\xe0\x80\xaf",      // overlong
                          "\xf0\x80\x80\xaf",  // overlong
                          "\xed\xa0\x80",      // surrogate U+D800
                          "\xed\xbf\xbf",      // surrogate U+DFFF
                          "\xf4\x90\x80\x80",  // U+110000
                          "\xf5\x80\x80\x80", "\xc3\x28", "\xe2\x28\xa1"}) {
    EXPECT_FALSE(IsValidUtf8(bad)) << HexEncode(bad);
  }
}

TEST(Encoding, HmacAndSha256) {
  // RFC 4231 test case 2.
  EXPECT_EQ(HexEncode(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // RFC 2202 test case 2.
  EXPECT_EQ(HexEncode(HmacSha1("Jefe", "what do ya want for nothing?")),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "ab"));
}

}  // namespace
}  // namespace cenote

namespace cenote {
namespace {

TEST(Gzip, RoundTrip) {
  std::string data = "{\"Records\":[" + std::string(10000, ' ') + "]}";
  auto z = Gzip(data, 1);
  ASSERT_TRUE(z.ok());
  EXPECT_EQ(static_cast<unsigned char>((*z)[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>((*z)[1]), 0x8b);
  EXPECT_LT(z->size(), data.size() / 10);
  EXPECT_EQ(*Gunzip(*z), data);
  EXPECT_FALSE(Gunzip("not gzip").ok());
  EXPECT_FALSE(Gunzip(z->substr(0, z->size() / 2)).ok());  // cut short
  auto raw = Deflate(data, -15);
  ASSERT_TRUE(raw.ok());
  EXPECT_FALSE(Gunzip(*raw).ok());
}

TEST(Gzip, FastRoundTripsTextEmptyAndIncompressibleInput) {
  std::string json;
  for (int i = 0; i < 5000; ++i)
    json += R"({"eventName":"GetObject","key":"obj-)" + std::to_string(i) + "\"},";
  auto z = GzipFast(json);
  ASSERT_TRUE(z.ok());
  EXPECT_EQ(static_cast<unsigned char>((*z)[0]), 0x1f);  // a gzip member
  EXPECT_EQ(static_cast<unsigned char>((*z)[1]), 0x8b);
  EXPECT_LT(z->size(), json.size() / 4);
  EXPECT_EQ(*Gunzip(*z), json);
  auto empty = GzipFast("");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*Gunzip(*empty), "");
  // Random bytes do not shrink: the output must still fit (stored blocks) and read back.
  std::string noise;
  std::uint32_t x = 2463534242u;
  for (int i = 0; i < (3 << 20); ++i) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    noise += static_cast<char>(x & 0xff);
  }
  auto zn = GzipFast(noise);
  ASSERT_TRUE(zn.ok());
  EXPECT_EQ(*Gunzip(*zn), noise);
}

TEST(UnicodeCase, SimpleLowercaseOfUtf8) {
  EXPECT_EQ(FoldCaseUtf8("Hello WORLD"), "hello world");
  EXPECT_EQ(FoldCaseUtf8("ÀÉÎÕÜ ΣΑΣ ДОМ"), "àéîõü σασ дом");
  EXPECT_EQ(FoldCaseUtf8("\xE2\x84\xAA"), "k");                     // U+212A KELVIN SIGN
  EXPECT_EQ(FoldCaseUtf8("\xC4\xB0"), "i");                         // U+0130: the simple mapping (Java's)
  EXPECT_EQ(FoldCaseUtf8("\xF0\x90\x90\x80"), "\xF0\x90\x90\xA8");  // U+10400 DESERET -> U+10428
  EXPECT_EQ(FoldCaseUtf8("A\xFF\xC3"
                         "B"),
            "a\xFF\xC3"
            "b");  // malformed bytes pass through
  EXPECT_EQ(SimpleToLower(U'Z'), U'z');
  EXPECT_EQ(SimpleToLower(U'1'), U'1');
}

}  // namespace
}  // namespace cenote
