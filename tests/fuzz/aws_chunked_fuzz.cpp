// Fuzzes the aws-chunked decoder in its three modes. The first input byte picks the mode and the size of
// the inner reads (framing must survive any split); the rest is the encoded body.
#include <cstdint>
#include <cstring>
#include <string>

#include "aws/sigv4/aws_chunked.hpp"
#include "aws/sigv4/canonical.hpp"
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
  if (size == 0) return 0;
  unsigned control = data[0];
  std::string body(reinterpret_cast<const char*>(data) + 1, size - 1);
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
  if (control & 8) options.decoded_length = body.size() / 2;
  std::size_t step = 1 + (control >> 4) * 37;
  auto reader =
      aws::sigv4::MakeAwsChunkedReader(std::make_unique<SplitReader>(std::move(body), step), options);
  char buf[300];
  for (std::size_t i = 0; i < size + 16; ++i) {
    auto r = reader->Read(buf, 1 + (i * 7919) % sizeof buf);
    if (!r.ok() || *r == 0) break;
  }
  (void)reader->Trailers();
  return 0;
}
