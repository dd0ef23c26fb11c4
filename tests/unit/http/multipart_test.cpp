#include "http/multipart.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

namespace cenote::http {
namespace {

// Serves `data` in reads of at most `step` bytes: the parser must not depend on how the body is split.
class SplitReader final : public BodyReader {
 public:
  SplitReader(std::string data, std::size_t step) : data_(std::move(data)), step_(step) {}
  Result<std::size_t> Read(char* buf, std::size_t n) override {
    const std::size_t k = std::min({n, step_, data_.size() - pos_});
    std::memcpy(buf, data_.data() + pos_, k);
    pos_ += k;
    return k;
  }
  std::optional<std::uint64_t> Length() const override { return data_.size(); }

 private:
  std::string data_;
  std::size_t step_;
  std::size_t pos_ = 0;
};

Error Malformed() { return MakeError("Malformed", "bad form", 400); }
Error TooLarge() { return MakeError("TooLarge", "fields too large", 400); }

std::string Part(std::string_view boundary, std::string_view disposition, std::string_view content,
                 std::string_view type = "") {
  std::string out = "--" + std::string(boundary) + "\r\nContent-Disposition: form-data; " +
                    std::string(disposition) + "\r\n";
  if (!type.empty()) out += "Content-Type: " + std::string(type) + "\r\n";
  return out + "\r\n" + std::string(content) + "\r\n";
}

std::string ReadPart(MultipartReader& reader, std::size_t chunk = 3) {
  std::string out;
  std::vector<char> buf(chunk);
  for (int guard = 0; guard < 1'000'000; ++guard) {
    auto n = reader.Read(buf.data(), buf.size());
    EXPECT_TRUE(n.ok());
    if (!n || *n == 0) break;
    out.append(buf.data(), *n);
  }
  return out;
}

TEST(FormDataBoundary, ParsesQuotedAndPlainBoundaries) {
  EXPECT_EQ(FormDataBoundary("multipart/form-data; boundary=abc123"), "abc123");
  EXPECT_EQ(FormDataBoundary("Multipart/Form-Data;boundary=\"a b;c\""), "a b;c");
  EXPECT_EQ(FormDataBoundary("multipart/form-data; charset=utf-8; BOUNDARY=x"), "x");
  EXPECT_FALSE(FormDataBoundary("multipart/form-data"));
  EXPECT_FALSE(FormDataBoundary("multipart/form-data; boundary="));
  EXPECT_FALSE(FormDataBoundary("multipart/mixed; boundary=abc"));
  EXPECT_FALSE(FormDataBoundary("application/x-www-form-urlencoded"));
  EXPECT_FALSE(FormDataBoundary("multipart/form-data; boundary=" + std::string(201, 'b')));
}

TEST(MultipartReader, ReadsFieldsAndFileAtAnySplit) {
  const std::string file(300'000, 'x');  // over the reader's buffer
  const std::string body = "preamble\r\n" + Part("XyZ", "name=\"key\"", "a/${filename}") +
                           Part("XyZ", "name=\"empty\"", "") +
                           Part("XyZ", "name=\"file\"; filename=\"C:\\dir\\a \\\"b\\\".txt\"",
                                file + "\n--XyZ\r\n-XyZ \r\n--Xy", "text/plain") +
                           "--XyZ--\r\nepilogue";
  for (std::size_t step : {std::size_t{1}, std::size_t{7}, std::size_t{64 * 1024}, body.size()}) {
    SCOPED_TRACE(step);
    SplitReader source(body, step);
    MultipartReader reader(source, "XyZ", Malformed());
    auto head = ReadFormHead(reader, "FILE", 1024, TooLarge());
    ASSERT_TRUE(head.ok()) << head.error().message;
    ASSERT_EQ(head->fields.size(), 2u);
    EXPECT_EQ(head->fields[0].name, "key");
    EXPECT_EQ(head->fields[0].value, "a/${filename}");
    EXPECT_EQ(head->fields[1].name, "empty");
    EXPECT_EQ(head->fields[1].value, "");
    ASSERT_TRUE(head->file);
    EXPECT_EQ(head->file->name, "file");
    EXPECT_EQ(head->file->filename, "C:\\dir\\a \"b\".txt");
    EXPECT_EQ(head->file->content_type, "text/plain");
    PartReader part(reader);
    EXPECT_FALSE(part.Length());
    std::string content;
    std::vector<char> buf(step == 1 ? 4096 : 1 << 20);
    for (int guard = 0; guard < 1'000'000; ++guard) {
      auto n = part.Read(buf.data(), buf.size());
      ASSERT_TRUE(n.ok());
      if (*n == 0) break;
      content.append(buf.data(), *n);
    }
    // Near misses of the delimiter ("\r\n--XyZ") are content.
    EXPECT_EQ(content, file + "\n--XyZ\r\n-XyZ \r\n--Xy");
    auto next = reader.NextPart();
    ASSERT_TRUE(next.ok());
    EXPECT_FALSE(*next);
  }
}

TEST(MultipartReader, SkipsUnreadContentAndFindsTheEnd) {
  const std::string body = Part("b", "name=\"one\"", "first") + Part("b", "name=\"two\"", "second") + "--b--";
  SplitReader source(body, 5);
  MultipartReader reader(source, "b", Malformed());
  auto one = reader.NextPart();
  ASSERT_TRUE(one.ok() && *one);
  EXPECT_EQ((*one)->name, "one");
  auto two = reader.NextPart();  // "first" is skipped
  ASSERT_TRUE(two.ok() && *two);
  EXPECT_EQ((*two)->name, "two");
  EXPECT_EQ(ReadPart(reader), "second");
  auto end = reader.NextPart();
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(*end);
  auto again = reader.NextPart();
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
}

TEST(MultipartReader, PartWithoutHeadersAndTransportPadding) {
  const std::string body = "--b  \t\r\n\r\nbare\r\n--b--";
  SplitReader source(body, 2);
  MultipartReader reader(source, "b", Malformed());
  auto part = reader.NextPart();
  ASSERT_TRUE(part.ok() && *part);
  EXPECT_EQ((*part)->name, "");
  EXPECT_EQ(ReadPart(reader), "bare");
}

TEST(MultipartReader, MalformedBodiesAreTheCallersError) {
  const std::vector<std::string> bodies = {
      "",                                                                // no delimiter at all
      "no delimiter here",                                               // likewise
      "--b\r\nContent-Disposition: form-data; name=\"a\"",               // headers never end
      "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalue",  // no closing delimiter
      "--bjunk\r\n\r\nx\r\n--b--",                                       // junk after the delimiter
      "--b\r\nno colon line\r\n\r\nx\r\n--b--",                          // a header line without a colon
      "--b\r\nX: " + std::string(MultipartReader::kMaxPartHeaderBytes, 'h') + "\r\n\r\nx\r\n--b--",
  };
  for (const auto& body : bodies) {
    SCOPED_TRACE(body.substr(0, 60));
    SplitReader source(body, 3);
    MultipartReader reader(source, "b", Malformed());
    Status failed = Status::Ok();
    for (int guard = 0; guard < 100 && failed; ++guard) {
      auto part = reader.NextPart();
      if (!part) {
        failed = std::move(part).error();
        break;
      }
      if (!*part) break;
      auto n = reader.Read(nullptr, 0);
      if (!n) failed = std::move(n).error();
    }
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().code, "Malformed");
  }
}

TEST(ReadFormHead, LimitsTheFieldsAndReportsAMissingFile) {
  const std::string big = Part("b", "name=\"policy\"", std::string(2000, 'p')) + "--b--";
  SplitReader big_source(big, 100);
  MultipartReader big_reader(big_source, "b", Malformed());
  auto too_large = ReadFormHead(big_reader, "file", 1000, TooLarge());
  ASSERT_FALSE(too_large.ok());
  EXPECT_EQ(too_large.error().code, "TooLarge");

  const std::string no_file = Part("b", "name=\"key\"", "k") + "--b--";
  SplitReader source(no_file, 100);
  MultipartReader reader(source, "b", Malformed());
  auto head = ReadFormHead(reader, "file", 1000, TooLarge());
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->fields.size(), 1u);
  EXPECT_FALSE(head->file);
}

}  // namespace
}  // namespace cenote::http
