// Fuzzes the multipart/form-data reader (src/http/multipart): the body is walked as S3's POST uploads walk
// it (every part's headers, its content in reads of some size), once with the whole body available at once
// and once delivered in small pieces. Beyond "no crash, no UB", the result must not depend on how the
// network split the body: both walks must see the same parts, the same contents and the same error.
//
// Input: one control byte, then the body. control: the piece size of the second walk (1 + control % 16) and
// the read size of both (1 + control / 16, times 97). The boundary is "XyZ" (the seeds use it).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "http/multipart.hpp"

namespace {

using namespace cenote;

class PieceReader final : public http::BodyReader {
 public:
  PieceReader(std::string data, std::size_t piece) : data_(std::move(data)), piece_(piece) {}
  Result<std::size_t> Read(char* buf, std::size_t n) override {
    const std::size_t k = std::min({n, piece_, data_.size() - pos_});
    if (k > 0) std::memcpy(buf, data_.data() + pos_, k);
    pos_ += k;
    return k;
  }
  std::optional<std::uint64_t> Length() const override { return data_.size(); }

 private:
  std::string data_;
  std::size_t piece_;
  std::size_t pos_ = 0;
};

// Everything a walk observed, as text.
std::string Walk(const std::string& body, std::size_t piece, std::size_t read_size) {
  PieceReader source(body, piece);
  http::MultipartReader reader(source, "XyZ", MakeError("Malformed", "malformed", 400));
  std::string seen;
  std::string buf(read_size, '\0');
  // Every step consumes input or ends the walk; the bounds only stop a bug from hanging the fuzzer.
  for (int parts = 0; parts < 100'000; ++parts) {
    auto part = reader.NextPart();
    if (!part) return seen + "error " + part.error().code;
    if (!*part) return seen + "end";
    seen += "part name=" + (*part)->name + " filename=" + (*part)->filename.value_or("<none>") +
            " type=" + (*part)->content_type + " content=";
    if (parts % 3 == 2) continue;  // left unread: NextPart skips it
    for (int reads = 0; reads < 10'000'000; ++reads) {
      auto n = reader.Read(buf.data(), buf.size());
      if (!n) return seen + "error " + n.error().code;
      if (*n == 0) break;
      if (*n > buf.size()) std::abort();
      seen.append(buf.data(), *n);
    }
    seen += "\n";
  }
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const unsigned control = data[0];
  const std::string body(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::size_t read_size = (1 + control / 16) * 97;
  const std::string whole = Walk(body, body.size() + 1, read_size);
  const std::string pieces = Walk(body, 1 + control % 16, read_size);
  if (whole != pieces) {
    std::fprintf(stderr, "walks differ:\n--- whole\n%s\n--- pieces\n%s\n", whole.c_str(), pieces.c_str());
    std::abort();
  }
  // The head of a form, as the authenticate stage and the provider read it.
  PieceReader source(body, 1 + control % 7);
  http::MultipartReader reader(source, "XyZ", MakeError("Malformed", "malformed", 400));
  (void)http::ReadFormHead(reader, "file", 1024, MakeError("TooLarge", "too large", 400));
  return 0;
}
