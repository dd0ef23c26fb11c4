#include "http/message.hpp"

#include <gtest/gtest.h>

namespace cenote::http {
namespace {

TEST(HeadersTest, CaseInsensitiveOrderedAndSetReplacesAll) {
  Headers h;
  h.Add("X-A", "1");
  h.Add("x-b", "2");
  h.Add("X-a", "3");
  EXPECT_EQ(h.Get("x-A").value(), "1");
  ASSERT_EQ(h.GetAll("X-A").size(), 2u);
  EXPECT_EQ(h.GetAll("X-A")[1], "3");
  h.Set("X-A", "9");
  EXPECT_EQ(h.GetAll("x-a").size(), 1u);
  EXPECT_EQ(h.entries()[0].value, "9");
  EXPECT_EQ(h.entries()[1].name, "x-b");
  h.Remove("X-B");
  EXPECT_FALSE(h.Has("x-b"));
  EXPECT_EQ(h.size(), 1u);
}

TEST(RequestTest, PathAndQuery) {
  HttpRequest r;
  r.target = "/bucket/a%20b?list-type=2&prefix=x";
  EXPECT_EQ(r.Path(), "/bucket/a%20b");
  EXPECT_EQ(r.Query(), "list-type=2&prefix=x");
  r.target = "/only";
  EXPECT_EQ(r.Path(), "/only");
  EXPECT_EQ(r.Query(), "");
}

class StringReader : public BodyReader {
 public:
  explicit StringReader(std::string s) : body_(std::move(s)) {}
  Result<std::size_t> Read(char* buf, std::size_t n) override { return body_.Read(buf, n); }
  std::optional<std::uint64_t> Length() const override { return std::nullopt; }

 private:
  StringBody body_;
};

TEST(ReadAllTest, ReadsAndEnforcesLimit) {
  StringReader ok(std::string(100000, 'x'));
  auto all = ReadAll(ok, 100000);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 100000u);
  StringReader big(std::string(100001, 'x'));
  auto too = ReadAll(big, 100000, "EntityTooLarge");
  ASSERT_FALSE(too.ok());
  EXPECT_EQ(too.error().code, "EntityTooLarge");
}

TEST(HeadersTest, NamesCompareIgnoringAsciiCaseOnly) {
  EXPECT_TRUE(EqualsIgnoreAsciiCase("Content-Length", "content-length"));
  EXPECT_FALSE(EqualsIgnoreAsciiCase("Content-Length", "content-lengt"));
  Headers h;
  h.Add("X-Amz-Date", "1");
  EXPECT_EQ(h.Get("x-amz-date").value_or(""), "1");
  EXPECT_FALSE(h.Get("x-amz-d\xc3\xa1te").has_value());  // no Unicode folding
}

}  // namespace
}  // namespace cenote::http
