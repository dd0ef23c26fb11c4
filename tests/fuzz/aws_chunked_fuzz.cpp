// Fuzzes the aws-chunked decoder in its three modes. Input: two control bytes, then the rest.
//  control[0]: the mode (% 3), a checksum trailer (& 4), a declared decoded length (& 8), and the size of
//              the inner reads (>> 4; framing must survive any split).
//  control[1]: odd = the rest is a payload that is framed here into a correctly signed stream (chunk size
//              from control[1] >> 2, at least 1/64 of the payload), so that decoding goes past valid
//              signatures; with & 2 one byte of that stream is then changed (the next input byte says which,
//              the one after to what). Without a change the stream must decode to the payload, or the harness
//              aborts. Even = the rest is the encoded body as it is.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "aws/sigv4/aws_chunked.hpp"
#include "aws/sigv4/canonical.hpp"
#include "fuzz_signing.hpp"
#include "http/message.hpp"

namespace {

using namespace cenote;

class SplitReader final : public http::BodyReader {
 public:
  SplitReader(std::string data, std::size_t step) : data_(std::move(data)), step_(step) {}
  Result<std::size_t> Read(char* buf, std::size_t n) override {
    std::size_t k = std::min({n, step_, data_.size() - pos_});
    if (k > 0) std::memcpy(buf, data_.data() + pos_, k);
    pos_ += k;
    return k;
  }
  std::optional<std::uint64_t> Length() const override { return std::nullopt; }

 private:
  std::string data_;
  std::size_t step_;
  std::size_t pos_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const unsigned control = data[0];
  const unsigned framing = data[1];
  std::string rest(reinterpret_cast<const char*>(data) + 2, size - 2);
  aws::sigv4::AwsChunkedOptions options;
  switch (control % 3) {
    case 0:
      options.mode = aws::sigv4::StreamingMode::kSigned;
      break;
    case 1:
      options.mode = aws::sigv4::StreamingMode::kSignedTrailer;
      break;
    default:
      options.mode = aws::sigv4::StreamingMode::kUnsignedTrailer;
      break;
  }
  static const std::string kKey = aws::sigv4::SigningKey("secret", "20240101", "us-east-1", "s3");
  options.signing = {kKey, "20240101T000000Z", "20240101/us-east-1/s3/aws4_request", std::string(64, '0')};
  if (control & 4) options.trailer = "x-amz-checksum-crc32";

  std::string body = std::move(rest);
  std::optional<std::string> expected;
  if (framing & 1) {
    // A stream as an SDK would send it, signed with the key and seed above (trailers only in the modes
    // that have them).
    if (options.mode == aws::sigv4::StreamingMode::kSigned) options.trailer.clear();
    std::string payload = std::move(body);
    // At most ~64 chunks: every chunk costs two HMACs, and thousands of them only slow the search down.
    std::size_t chunk = std::max<std::size_t>(1 + (framing >> 2), payload.size() / 64 + 1);
    bool change = (framing & 2) && payload.size() >= 2;
    std::size_t at = change ? static_cast<unsigned char>(payload[0]) : 0;
    char to = change ? payload[1] : 0;
    if (change) payload.erase(0, 2);
    body = fuzz::FrameAwsChunked(
        payload, chunk,
        options.mode == aws::sigv4::StreamingMode::kUnsignedTrailer ? nullptr : &options.signing,
        options.trailer);
    if (change) {
      body[at % body.size()] = to;
    } else {
      expected = payload;
    }
    if (control & 8) options.decoded_length = payload.size();
  } else if (control & 8) {
    options.decoded_length = body.size() / 2;
  }
  std::size_t step = 1 + (control >> 4) * 37;
  auto reader =
      aws::sigv4::MakeAwsChunkedReader(std::make_unique<SplitReader>(std::move(body), step), options);
  Result<std::string> decoded = fuzz::DrainBody(*reader);
  (void)reader->Trailers();
  if (expected) {
    if (!decoded.ok()) {
      std::fprintf(stderr, "valid stream refused: %s: %s\n", decoded.error().code.c_str(),
                   decoded.error().message.c_str());
      std::abort();
    }
    if (*decoded != *expected) std::abort();
    if (!options.trailer.empty() &&
        (reader->Trailers() == nullptr || !reader->Trailers()->Has(options.trailer)))
      std::abort();
  }
  return 0;
}
