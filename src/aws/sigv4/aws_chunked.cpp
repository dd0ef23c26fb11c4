#include "aws/sigv4/aws_chunked.hpp"

#include <algorithm>
#include <cstring>

#include "aws/sigv4/sigv4.hpp"
#include "common/checksum.hpp"
#include "common/encoding.hpp"

namespace cenote::aws::sigv4 {

namespace {

// A chunk header or trailer line longer than this is an attack or garbage: a real one is under 200 bytes.
constexpr std::size_t kMaxLine = 4096;
constexpr std::size_t kFillSize = 16 * 1024;

Error Framing(std::string detail) {
  return MakeError("InvalidRequest", "Invalid aws-chunked encoding: " + std::move(detail), 400);
}
Error Incomplete() { return MakeError("IncompleteBody", "The request body terminated unexpectedly", 400); }
Error BadChunkSignature() {
  return MakeError(
      "SignatureDoesNotMatch",
      "The request signature we calculated does not match the signature you provided. Check your key "
      "and signing method.",
      403);
}
Error MalformedTrailer() {
  return MakeError(
      "MalformedTrailerError",
      "The request contained trailing data that was not well-formed or did not conform to our published "
      "schema.",
      400);
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

class AwsChunkedReader final : public http::BodyReader {
 public:
  AwsChunkedReader(std::unique_ptr<http::BodyReader> inner, AwsChunkedOptions options)
      : inner_(std::move(inner)),
        options_(std::move(options)),
        previous_signature_(options_.signing.seed_signature) {
    if (!options_.trailer.empty()) {
      constexpr std::string_view kPrefix = "x-amz-checksum-";
      std::string_view name = options_.trailer;
      if (name.substr(0, kPrefix.size()) == kPrefix)
        algorithm_ = ParseChecksumAlgorithm(name.substr(kPrefix.size()));
      if (algorithm_) checksum_ = Hasher::Create(*algorithm_);
    }
  }

  Result<std::size_t> Read(char* buf, std::size_t n) override {
    if (failed_) return *failed_;
    auto result = Step(buf, n);
    if (!result) failed_ = result.error();
    return result;
  }

  std::optional<std::uint64_t> Length() const override { return options_.decoded_length; }
  const http::Headers* Trailers() const override { return state_ == State::kDone ? &trailers_ : nullptr; }

 private:
  enum class State { kChunkHeader, kData, kDataEnd, kTrailers, kDone };

  bool Signed() const { return options_.mode != StreamingMode::kUnsignedTrailer; }

  // Appends more input to in_. False at the end of the inner body.
  Result<bool> Fill() {
    if (in_pos_ > 0) {
      in_.erase(0, in_pos_);
      in_pos_ = 0;
    }
    std::size_t old = in_.size();
    in_.resize(old + kFillSize);
    auto got = inner_->Read(in_.data() + old, kFillSize);
    if (!got) {
      in_.resize(old);
      return got.error();
    }
    in_.resize(old + *got);
    return *got > 0;
  }

  // The next CRLF-terminated line, without the CRLF. nullopt at a clean end of input (nothing buffered).
  Result<std::optional<std::string>> ReadLine() {
    for (;;) {
      std::size_t pos = in_.find("\r\n", in_pos_);
      if (pos != std::string::npos) {
        std::string line = in_.substr(in_pos_, pos - in_pos_);
        in_pos_ = pos + 2;
        return std::optional<std::string>(std::move(line));
      }
      if (in_.size() - in_pos_ > kMaxLine) return Framing("line too long");
      auto more = Fill();
      if (!more) return more.error();
      if (!*more) {
        if (in_.size() == in_pos_) return std::optional<std::string>();
        return Incomplete();
      }
    }
  }

  Status VerifyChunk() {
    std::string digest = HexEncode(chunk_hash_->Final());
    std::string expected = ChunkSignatureFromDigest(digest);
    if (!ConstantTimeEquals(expected, chunk_signature_)) return BadChunkSignature();
    previous_signature_ = std::move(expected);
    return Status::Ok();
  }

  std::string ChunkSignatureFromDigest(std::string_view data_hash) const {
    const auto& s = options_.signing;
    std::string sts = "AWS4-HMAC-SHA256-PAYLOAD\n";
    sts.append(s.timestamp)
        .append("\n")
        .append(s.scope)
        .append("\n")
        .append(previous_signature_)
        .append("\n");
    sts.append("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n").append(data_hash);
    return HexEncode(HmacSha256(s.signing_key, sts));
  }

  Status ParseChunkHeader(std::string_view line) {
    std::size_t semi = line.find(';');
    std::string_view size_part = Trim(line.substr(0, semi));
    std::string_view ext = semi == std::string_view::npos ? std::string_view() : line.substr(semi);
    if (size_part.empty() || size_part.size() > 15) return Framing("bad chunk size");
    std::uint64_t size = 0;
    for (char c : size_part) {
      int v = (c >= '0' && c <= '9')   ? c - '0'
              : (c >= 'a' && c <= 'f') ? c - 'a' + 10
              : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                       : -1;
      if (v < 0) return Framing("bad chunk size");
      size = size * 16 + static_cast<std::uint64_t>(v);
    }
    chunk_signature_.clear();
    while (!ext.empty()) {
      ext.remove_prefix(1);  // ';'
      std::size_t next = ext.find(';');
      std::string_view item = Trim(ext.substr(0, next));
      ext = next == std::string_view::npos ? std::string_view() : ext.substr(next);
      constexpr std::string_view kSig = "chunk-signature=";
      if (item.substr(0, kSig.size()) == kSig) chunk_signature_ = std::string(item.substr(kSig.size()));
    }
    if (Signed() && chunk_signature_.size() != 64) return Framing("missing chunk-signature");
    remaining_ = size;
    if (Signed()) chunk_hash_ = Hasher::Create(ChecksumAlgorithm::kSHA256);
    if (size == 0) {
      if (Signed()) CENOTE_RETURN_IF_ERROR(VerifyChunk());
      state_ = State::kTrailers;
    } else {
      state_ = State::kData;
    }
    return Status::Ok();
  }

  Status Finish() {
    if (options_.decoded_length && decoded_ != *options_.decoded_length) return Incomplete();
    if (options_.mode == StreamingMode::kSignedTrailer) {
      if (trailer_signature_.empty()) {
        if (!canonical_trailers_.empty()) return MalformedTrailer();
      } else {
        std::string expected =
            TrailerSignature(options_.signing.signing_key, options_.signing.timestamp, options_.signing.scope,
                             previous_signature_, canonical_trailers_);
        if (!ConstantTimeEquals(expected, trailer_signature_)) return BadChunkSignature();
      }
    }
    if (!options_.trailer.empty()) {
      auto value = trailers_.Get(options_.trailer);
      if (!value) return MalformedTrailer();
      if (checksum_) {
        std::string computed = Base64Encode(checksum_->Final());
        if (computed != Trim(*value)) {
          return MakeError("BadDigest",
                           "The " + std::string(ChecksumAlgorithmName(*algorithm_)) +
                               " you specified did not match the calculated checksum.",
                           400);
        }
      }
    }
    state_ = State::kDone;
    return Status::Ok();
  }

  Result<std::size_t> Step(char* buf, std::size_t n) {
    for (;;) {
      switch (state_) {
        case State::kDone:
          return std::size_t{0};
        case State::kChunkHeader: {
          auto line = ReadLine();
          if (!line) return line.error();
          if (!*line) return Incomplete();
          CENOTE_RETURN_IF_ERROR(ParseChunkHeader(**line));
          break;
        }
        case State::kData: {
          if (n == 0) return std::size_t{0};
          std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(n, remaining_));
          std::size_t got = 0;
          if (in_pos_ < in_.size()) {
            got = std::min(want, in_.size() - in_pos_);
            std::memcpy(buf, in_.data() + in_pos_, got);
            in_pos_ += got;
          } else {
            auto r = inner_->Read(buf, want);
            if (!r) return r.error();
            if (*r == 0) return Incomplete();
            got = *r;
          }
          if (chunk_hash_) chunk_hash_->Update(buf, got);
          if (checksum_) checksum_->Update(buf, got);
          remaining_ -= got;
          decoded_ += got;
          if (options_.decoded_length && decoded_ > *options_.decoded_length) return Incomplete();
          if (remaining_ == 0) {
            // The chunk's last bytes are released only once its signature checks out.
            if (Signed()) CENOTE_RETURN_IF_ERROR(VerifyChunk());
            state_ = State::kDataEnd;
          }
          return got;
        }
        case State::kDataEnd: {
          auto line = ReadLine();
          if (!line) return line.error();
          if (!*line) return Incomplete();
          if (!(*line)->empty()) return Framing("chunk data longer than its size");
          state_ = State::kChunkHeader;
          break;
        }
        case State::kTrailers: {
          auto line = ReadLine();
          if (!line) return line.error();
          // Some clients end the body right after the last trailer, without the final empty line.
          if (!*line || (*line)->empty()) {
            CENOTE_RETURN_IF_ERROR(Finish());
            return std::size_t{0};
          }
          std::string_view l = **line;
          std::size_t colon = l.find(':');
          if (colon == std::string_view::npos || colon == 0) return MalformedTrailer();
          std::string name = Lower(Trim(l.substr(0, colon)));
          std::string value(Trim(l.substr(colon + 1)));
          if (name == "x-amz-trailer-signature") {
            if (options_.mode != StreamingMode::kSignedTrailer) return MalformedTrailer();
            trailer_signature_ = value;
          } else {
            if (!trailer_signature_.empty() || trailers_.size() >= 16) return MalformedTrailer();
            canonical_trailers_.append(name).append(":").append(value).append("\n");
            trailers_.Add(std::move(name), std::move(value));
          }
          break;
        }
      }
    }
  }

  std::unique_ptr<http::BodyReader> inner_;
  AwsChunkedOptions options_;
  State state_ = State::kChunkHeader;
  std::optional<Error> failed_;
  std::string in_;
  std::size_t in_pos_ = 0;
  std::uint64_t remaining_ = 0;
  std::uint64_t decoded_ = 0;
  std::string previous_signature_;
  std::string chunk_signature_;
  std::unique_ptr<Hasher> chunk_hash_;
  std::optional<ChecksumAlgorithm> algorithm_;
  std::unique_ptr<Hasher> checksum_;
  http::Headers trailers_;
  std::string canonical_trailers_;
  std::string trailer_signature_;
};

}  // namespace

std::unique_ptr<http::BodyReader> MakeAwsChunkedReader(std::unique_ptr<http::BodyReader> inner,
                                                       AwsChunkedOptions options) {
  return std::make_unique<AwsChunkedReader>(std::move(inner), std::move(options));
}

}  // namespace cenote::aws::sigv4
