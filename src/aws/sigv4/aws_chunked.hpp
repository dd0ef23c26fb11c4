// Decoder for S3's aws-chunked content encoding (streaming SigV4 uploads). Internal to the sigv4 layer;
// exposed for tests and fuzzers.
//
// Wire format (after HTTP framing is removed):
//   signed:    <hex-size>;chunk-signature=<64 hex>\r\n<data>\r\n ... 0;chunk-signature=<sig>\r\n
//              [<trailer>:<value>\r\n ... x-amz-trailer-signature:<sig>\r\n] \r\n
//   unsigned:  <hex-size>\r\n<data>\r\n ... 0\r\n[<trailer>:<value>\r\n ...] \r\n
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "http/message.hpp"

namespace cenote::aws::sigv4 {

enum class StreamingMode {
  kSigned,           // STREAMING-AWS4-HMAC-SHA256-PAYLOAD
  kSignedTrailer,    // STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER
  kUnsignedTrailer,  // STREAMING-UNSIGNED-PAYLOAD-TRAILER
};

struct ChunkSigningContext {
  std::string signing_key;     // raw kSigning
  std::string timestamp;       // X-Amz-Date
  std::string scope;           // "date/region/service/aws4_request"
  std::string seed_signature;  // the request's own signature (hex)
};

struct AwsChunkedOptions {
  StreamingMode mode = StreamingMode::kSigned;
  ChunkSigningContext signing;                  // ignored for kUnsignedTrailer
  std::optional<std::uint64_t> decoded_length;  // x-amz-decoded-content-length
  std::string trailer;  // x-amz-trailer (e.g. "x-amz-checksum-crc32"), lower case, or ""
};

// Wraps `inner` (the HTTP body, aws-chunked encoded). Read() yields decoded data. Errors:
// SignatureDoesNotMatch (403) on a bad chunk or trailer signature, BadDigest on a checksum trailer that
// does not match, IncompleteBody on early end or a length different from decoded_length,
// InvalidRequest / MalformedTrailerError on bad framing.
std::unique_ptr<http::BodyReader> MakeAwsChunkedReader(std::unique_ptr<http::BodyReader> inner,
                                                       AwsChunkedOptions options);

}  // namespace cenote::aws::sigv4
