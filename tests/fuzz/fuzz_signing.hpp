// Shared by the SigV4 fuzz targets: a known key, and correctly signed aws-chunked bodies built from fuzz
// bytes, so that the code after a valid signature is fuzzed too and not only the rejections before it.
#pragma once

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include "aws/sigv4/aws_chunked.hpp"
#include "aws/sigv4/canonical.hpp"
#include "aws/sigv4/sigv4.hpp"
#include "common/checksum.hpp"
#include "common/encoding.hpp"

namespace cenote::fuzz {

inline constexpr char kFuzzSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

class OneKey final : public aws::sigv4::CredentialProvider {
 public:
  std::optional<aws::sigv4::SecretRecord> Lookup(std::string_view akid) const override {
    if (akid != "AKIDEXAMPLE" && akid != "AKIDTOKEN") return std::nullopt;
    aws::sigv4::SecretRecord r;
    r.secret_access_key = kFuzzSecret;
    if (akid == "AKIDTOKEN") r.session_token = "token";
    return r;
  }
};

// `payload` as an aws-chunked body: chunks of `chunk_size` bytes, then the final empty chunk, then (when
// `trailer_name` is set) one trailer carrying the payload's CRC32, as an SDK sends them. Chunk and trailer
// signatures are chained from signing->seed_signature; no signatures when `signing` is null.
inline std::string FrameAwsChunked(std::string_view payload, std::size_t chunk_size,
                                   const aws::sigv4::ChunkSigningContext* signing,
                                   const std::string& trailer_name) {
  std::string out;
  std::string previous = signing ? signing->seed_signature : "";
  auto emit = [&](std::string_view piece) {
    char size_hex[32];
    std::snprintf(size_hex, sizeof size_hex, "%zx", piece.size());
    out += size_hex;
    if (signing) {
      previous = aws::sigv4::ChunkSignature(signing->signing_key, signing->timestamp, signing->scope,
                                            previous, piece);
      out += ";chunk-signature=" + previous;
    }
    out += "\r\n";
    out.append(piece);
    if (!piece.empty()) out += "\r\n";
  };
  for (std::size_t i = 0; i < payload.size(); i += chunk_size) emit(payload.substr(i, chunk_size));
  emit("");
  if (!trailer_name.empty()) {
    std::string value = Base64Encode(ComputeChecksum(ChecksumAlgorithm::kCRC32, payload));
    out += trailer_name + ":" + value + "\r\n";
    if (signing) {
      out += "x-amz-trailer-signature:" +
             aws::sigv4::TrailerSignature(signing->signing_key, signing->timestamp, signing->scope, previous,
                                          trailer_name + ":" + value + "\n") +
             "\r\n";
    }
  }
  out += "\r\n";
  return out;
}

// Reads `body` to its end in reads of varying size; the decoded bytes, or the error that ended it.
inline Result<std::string> DrainBody(http::BodyReader& body) {
  std::string out;
  char buf[700];
  for (std::size_t i = 0; i < 1000000; ++i) {
    auto r = body.Read(buf, 1 + (i * 7919) % sizeof buf);
    if (!r) return r.error();
    if (*r == 0) return out;
    out.append(buf, *r);
  }
  return InternalError("runaway body");
}

}  // namespace cenote::fuzz
