#include "aws/sigv4/aws_chunked.hpp"

#include <gtest/gtest.h>

#include "aws/sigv4/canonical.hpp"
#include "aws/sigv4/sigv4.hpp"
#include "common/checksum.hpp"
#include "common/encoding.hpp"
#include "test_util.hpp"

namespace cenote::aws::sigv4 {
namespace {

using testing::At;
using testing::ChoppyReader;
using testing::Drain;
using testing::FakeCredentials;
using testing::MakeRequest;
using testing::OptionsAt;

constexpr char kDocSecret[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const char* const kDocChunkSigs[] = {"ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
                                     "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
                                     "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"};

// The S3 docs' streaming example: 66560 bytes of 'a' as 64 KiB + 1 KiB + the final empty chunk.
std::string DocBody(const char* const sigs[3], const std::string& trailer_block = "") {
  std::string body =
      "10000;chunk-signature=" + std::string(sigs[0]) + "\r\n" + std::string(65536, 'a') + "\r\n";
  body += "400;chunk-signature=" + std::string(sigs[1]) + "\r\n" + std::string(1024, 'a') + "\r\n";
  body += "0;chunk-signature=" + std::string(sigs[2]) + "\r\n" + trailer_block + "\r\n";
  return body;
}

// Content-Length is signed: the documented 66824 whatever the body actually holds.
http::HttpRequest DocRequest(std::string body, std::vector<std::size_t> read_sizes) {
  std::string length = "66824";
  return MakeRequest("PUT", "/examplebucket/chunkObject.txt",
                     {{"Host", "s3.amazonaws.com"},
                      {"x-amz-date", "20130524T000000Z"},
                      {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
                      {"Authorization",
                       "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
                       "SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
                       "x-amz-decoded-content-length;x-amz-storage-class,"
                       "Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"},
                      {"x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"},
                      {"Content-Encoding", "aws-chunked"},
                      {"x-amz-decoded-content-length", "66560"},
                      {"Content-Length", length}},
                     std::move(body), std::move(read_sizes));
}

TEST(AwsChunked, S3DocExampleThroughAuthenticate) {
  std::string body = DocBody(kDocChunkSigs);
  ASSERT_EQ(body.size(), 66824u);  // the documented Content-Length
  FakeCredentials creds;
  creds.Add("AKIAIOSFODNN7EXAMPLE", kDocSecret);
  auto options = OptionsAt(At(2013, 5, 24, 0, 1, 0), ErrorStyle::kS3);
  for (std::vector<std::size_t> sizes :
       std::vector<std::vector<std::size_t>>{{}, {1}, {7, 3000}, {65537}, {2, 65536, 5}}) {
    for (std::size_t consumer : {std::size_t{1} << 20, std::size_t{4096}, std::size_t{333}}) {
      if (sizes.size() == 1 && sizes[0] == 1 && consumer != 4096) continue;  // byte-at-a-time once is enough
      auto request = DocRequest(body, sizes);
      auto r = Authenticate(request, creds, options);
      ASSERT_TRUE(r.ok()) << r.error().code << " " << r.error().message;
      EXPECT_FALSE(request.headers.Has("content-encoding"));
      EXPECT_EQ(request.body->Length(), 66560u);
      auto decoded = Drain(*request.body, consumer);
      ASSERT_TRUE(decoded.ok()) << decoded.error().code << " " << decoded.error().message;
      EXPECT_EQ(*decoded, std::string(66560, 'a'));
      ASSERT_NE(request.body->Trailers(), nullptr);
    }
  }
}

TEST(AwsChunked, S3DocExampleBadChunkSignatures) {
  FakeCredentials creds;
  creds.Add("AKIAIOSFODNN7EXAMPLE", kDocSecret);
  auto options = OptionsAt(At(2013, 5, 24, 0, 1, 0), ErrorStyle::kS3);
  for (int i = 0; i < 3; ++i) {
    const char* sigs[3] = {kDocChunkSigs[0], kDocChunkSigs[1], kDocChunkSigs[2]};
    std::string wrong(64, '1');
    sigs[i] = wrong.c_str();
    auto request = DocRequest(DocBody(sigs), {});
    ASSERT_TRUE(Authenticate(request, creds, options).ok());
    auto decoded = Drain(*request.body);
    ASSERT_FALSE(decoded.ok()) << i;
    EXPECT_EQ(decoded.error().code, "SignatureDoesNotMatch");
    EXPECT_EQ(decoded.error().http_status, 403);
    // Once failed, always failed.
    char c;
    EXPECT_FALSE(request.body->Read(&c, 1).ok());
  }
  // Tampered data with the right signatures.
  std::string body = DocBody(kDocChunkSigs);
  body[70000 - 4000] = 'b';
  auto request = DocRequest(body, {});
  ASSERT_TRUE(Authenticate(request, creds, options).ok());
  auto decoded = Drain(*request.body);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().code, "SignatureDoesNotMatch");
  // Truncated.
  auto truncated = DocRequest(DocBody(kDocChunkSigs).substr(0, 66000), {});
  ASSERT_TRUE(Authenticate(truncated, creds, options).ok());
  auto t = Drain(*truncated.body);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code, "IncompleteBody");
}

// The S3 docs' trailer example (STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER): same data, CRC32C trailer.
TEST(AwsChunked, S3DocTrailerExample) {
  const char* sigs[3] = {"b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
                         "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
                         "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992"};
  auto make = [&](const std::string& crc, const std::string& trailer_sig, std::vector<std::size_t> sizes) {
    AwsChunkedOptions o;
    o.mode = StreamingMode::kSignedTrailer;
    o.signing = ChunkSigningContext{SigningKey(kDocSecret, "20130524", "us-east-1", "s3"), "20130524T000000Z",
                                    "20130524/us-east-1/s3/aws4_request",
                                    "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"};
    o.decoded_length = 66560;
    o.trailer = "x-amz-checksum-crc32c";
    std::string body =
        DocBody(sigs, "x-amz-checksum-crc32c:" + crc + "\r\nx-amz-trailer-signature:" + trailer_sig + "\r\n");
    return MakeAwsChunkedReader(std::make_unique<ChoppyReader>(body, std::move(sizes)), o);
  };
  const std::string good_sig = "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435";
  ASSERT_EQ(Base64Encode(ComputeChecksum(ChecksumAlgorithm::kCRC32C, std::string(66560, 'a'))), "sOO8/Q==");
  for (std::vector<std::size_t> sizes :
       std::vector<std::vector<std::size_t>>{{}, {13}, {1, 2, 3, 5, 8, 13, 21}}) {
    auto reader = make("sOO8/Q==", good_sig, sizes);
    auto decoded = Drain(*reader, 1000);
    ASSERT_TRUE(decoded.ok()) << decoded.error().code << " " << decoded.error().message;
    EXPECT_EQ(decoded->size(), 66560u);
    ASSERT_NE(reader->Trailers(), nullptr);
    EXPECT_EQ(reader->Trailers()->Get("x-amz-checksum-crc32c"), "sOO8/Q==");
  }
  {  // Trailer value changed: its signature no longer matches.
    auto reader = make("AAAAAA==", good_sig, {});
    auto decoded = Drain(*reader);
    ASSERT_FALSE(decoded.ok());
    EXPECT_EQ(decoded.error().code, "SignatureDoesNotMatch");
  }
}

// Builds an aws-chunked body for `data` in `chunk` sized pieces, signed or not, with an optional trailer.
struct Framed {
  std::string body;
  std::string last_signature;
};

Framed Frame(const std::string& data, std::size_t chunk, const ChunkSigningContext* signing,
             const std::string& trailer_name = "", const std::string& trailer_value = "") {
  Framed f;
  std::string prev = signing ? signing->seed_signature : "";
  auto emit = [&](std::string_view piece) {
    char size_hex[32];
    std::snprintf(size_hex, sizeof size_hex, "%zx", piece.size());
    f.body += size_hex;
    if (signing) {
      prev = ChunkSignature(signing->signing_key, signing->timestamp, signing->scope, prev, piece);
      f.body += ";chunk-signature=" + prev;
    }
    f.body += "\r\n";
    f.body.append(piece);
    if (!piece.empty()) f.body += "\r\n";
  };
  for (std::size_t i = 0; i < data.size(); i += chunk) emit(std::string_view(data).substr(i, chunk));
  emit("");
  if (!trailer_name.empty()) {
    f.body += trailer_name + ":" + trailer_value + "\r\n";
    if (signing) {
      std::string sig = TrailerSignature(signing->signing_key, signing->timestamp, signing->scope, prev,
                                         trailer_name + ":" + trailer_value + "\n");
      f.body += "x-amz-trailer-signature:" + sig + "\r\n";
    }
  }
  f.body += "\r\n";
  return f;
}

ChunkSigningContext TestSigning() {
  return ChunkSigningContext{SigningKey("secret", "20240101", "us-east-1", "s3"), "20240101T000000Z",
                             "20240101/us-east-1/s3/aws4_request", std::string(64, 'c')};
}

// Every split of the encoded stream into two reads, for each mode.
TEST(AwsChunked, EverySplitOffset) {
  std::string data;
  for (int i = 0; i < 300; ++i) data.push_back(static_cast<char>('A' + i % 26));
  std::string crc = Base64Encode(ComputeChecksum(ChecksumAlgorithm::kCRC32, data));
  ChunkSigningContext signing = TestSigning();
  struct Mode {
    StreamingMode mode;
    bool signed_;
    bool trailer;
  };
  for (auto m : {Mode{StreamingMode::kSigned, true, false}, Mode{StreamingMode::kSignedTrailer, true, true},
                 Mode{StreamingMode::kUnsignedTrailer, false, true}}) {
    Framed f = Frame(data, 128, m.signed_ ? &signing : nullptr, m.trailer ? "x-amz-checksum-crc32" : "", crc);
    for (std::size_t split = 0; split <= f.body.size(); ++split) {
      AwsChunkedOptions o;
      o.mode = m.mode;
      o.signing = signing;
      o.decoded_length = data.size();
      if (m.trailer) o.trailer = "x-amz-checksum-crc32";
      std::vector<std::size_t> sizes = {split == 0 ? f.body.size() : split, f.body.size()};
      auto reader = MakeAwsChunkedReader(std::make_unique<ChoppyReader>(f.body, sizes), o);
      auto decoded = Drain(*reader, 97);
      ASSERT_TRUE(decoded.ok()) << "split " << split << ": " << decoded.error().code << " "
                                << decoded.error().message;
      ASSERT_EQ(*decoded, data) << "split " << split;
      if (m.trailer) {
        EXPECT_EQ(reader->Trailers()->Get("x-amz-checksum-crc32"), crc);
      }
    }
  }
}

TEST(AwsChunked, UnsignedTrailerChecksumMismatchIsBadDigest) {
  std::string data(5000, 'z');
  std::string wrong = Base64Encode(ComputeChecksum(ChecksumAlgorithm::kCRC64NVME, "other"));
  Framed f = Frame(data, 1000, nullptr, "x-amz-checksum-crc64nvme", wrong);
  AwsChunkedOptions o;
  o.mode = StreamingMode::kUnsignedTrailer;
  o.trailer = "x-amz-checksum-crc64nvme";
  auto reader = MakeAwsChunkedReader(std::make_unique<ChoppyReader>(f.body, std::vector<std::size_t>{}), o);
  auto decoded = Drain(*reader);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().code, "BadDigest");
  EXPECT_EQ(decoded.error().message, "The CRC64NVME you specified did not match the calculated checksum.");
  EXPECT_EQ(decoded.error().http_status, 400);
}

TEST(AwsChunked, MissingTrailerAndLengthMismatch) {
  std::string data(100, 'q');
  {
    Framed f = Frame(data, 64, nullptr);
    AwsChunkedOptions o;
    o.mode = StreamingMode::kUnsignedTrailer;
    o.trailer = "x-amz-checksum-sha256";
    auto reader = MakeAwsChunkedReader(std::make_unique<ChoppyReader>(f.body, std::vector<std::size_t>{}), o);
    auto decoded = Drain(*reader);
    ASSERT_FALSE(decoded.ok());
    EXPECT_EQ(decoded.error().code, "MalformedTrailerError");
  }
  {
    Framed f = Frame(data, 64, nullptr);
    AwsChunkedOptions o;
    o.mode = StreamingMode::kUnsignedTrailer;
    o.decoded_length = 101;
    auto reader = MakeAwsChunkedReader(std::make_unique<ChoppyReader>(f.body, std::vector<std::size_t>{}), o);
    auto decoded = Drain(*reader);
    ASSERT_FALSE(decoded.ok());
    EXPECT_EQ(decoded.error().code, "IncompleteBody");
  }
  {  // Garbage chunk size.
    AwsChunkedOptions o;
    o.mode = StreamingMode::kUnsignedTrailer;
    auto reader = MakeAwsChunkedReader(
        std::make_unique<ChoppyReader>("zz\r\nabc\r\n0\r\n\r\n", std::vector<std::size_t>{}), o);
    auto decoded = Drain(*reader);
    ASSERT_FALSE(decoded.ok());
    EXPECT_EQ(decoded.error().code, "InvalidRequest");
  }
  {  // An endless header line is cut off.
    AwsChunkedOptions o;
    o.mode = StreamingMode::kUnsignedTrailer;
    auto reader = MakeAwsChunkedReader(
        std::make_unique<ChoppyReader>(std::string(100000, '1'), std::vector<std::size_t>{}), o);
    auto decoded = Drain(*reader);
    ASSERT_FALSE(decoded.ok());
    EXPECT_EQ(decoded.error().code, "InvalidRequest");
  }
}

// End to end: a request signed with STREAMING-UNSIGNED-PAYLOAD-TRAILER as the newer SDKs send by default.
TEST(AwsChunked, UnsignedTrailerThroughAuthenticate) {
  FakeCredentials creds;
  creds.Add("AKID", "secret");
  auto now = At(2024, 1, 1, 0, 0, 0);
  std::string data(20000, 'x');
  std::string crc = Base64Encode(ComputeChecksum(ChecksumAlgorithm::kCRC32, data));
  Framed f = Frame(data, 8192, nullptr, "x-amz-checksum-crc32", crc);
  auto request = MakeRequest("PUT", "/bucket/key",
                             {{"Host", "localhost:4566"},
                              {"Content-Encoding", "aws-chunked, gzip"},
                              {"x-amz-decoded-content-length", std::to_string(data.size())},
                              {"x-amz-trailer", "x-amz-checksum-crc32"}},
                             f.body, {1000});
  SignRequest(request, "AKID", "secret", "us-east-1", "s3", now, "STREAMING-UNSIGNED-PAYLOAD-TRAILER");
  auto r = Authenticate(request, creds, OptionsAt(now, ErrorStyle::kS3));
  ASSERT_TRUE(r.ok()) << r.error().code << " " << r.error().message;
  EXPECT_EQ(request.headers.Get("content-encoding"), "gzip");
  EXPECT_EQ(request.body->Length(), data.size());
  auto decoded = Drain(*request.body);
  ASSERT_TRUE(decoded.ok()) << decoded.error().code;
  EXPECT_EQ(*decoded, data);
  EXPECT_EQ(request.body->Trailers()->Get("x-amz-checksum-crc32"), crc);
}

}  // namespace
}  // namespace cenote::aws::sigv4
