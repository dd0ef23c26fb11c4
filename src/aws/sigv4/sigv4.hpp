// Request authentication: AWS Signature Version 4 (header and presigned query forms, aws-chunked
// streaming bodies with chunk and trailer signatures) and, for S3 only, Signature Version 2 (header
// "AWS AKID:sig" and presigned AWSAccessKeyId/Signature/Expires).
//
// Authenticate() is called once per request, before the body is read. It verifies what it can from the
// head and, when the body itself must be checked or decoded, swaps request.body for a reader that does
// so while the provider streams it: a failure then surfaces as an error from BodyReader::Read (a provider
// must never commit data whose read failed).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "http/message.hpp"
#include "iam/principal.hpp"

namespace cenote::aws::sigv4 {

// The SigV4 credential scope "AKID/YYYYMMDD/region/service/aws4_request".
struct Scope {
  std::string access_key_id;
  std::string date;  // YYYYMMDD
  std::string region;
  std::string service;
};

// The scope from the Authorization header or the X-Amz-Credential query parameter, without verifying
// anything. For routing (which service, which region). nullopt for SigV2, anonymous or malformed requests.
std::optional<Scope> PeekScope(const http::HttpRequest& request);

struct SecretRecord {
  std::string secret_access_key;
  std::string session_token;  // non-empty for temporary (STS) credentials: the request must carry it
  iam::Principal principal;
};

// Resolves access keys. Implementations must be thread-safe (Lookup runs on worker threads).
class CredentialProvider {
 public:
  virtual ~CredentialProvider() = default;
  virtual std::optional<SecretRecord> Lookup(std::string_view access_key_id) const = 0;
  // Whether `access_key_id` with `session_token` were temporary credentials that have expired (answered
  // ExpiredToken instead of an unknown key).
  virtual bool IsExpired(std::string_view /*access_key_id*/, std::string_view /*session_token*/) const {
    return false;
  }
  // A request signed with the key passed authentication (IAM's access key last used). Must not block.
  virtual void Used(std::string_view /*access_key_id*/, std::string_view /*service*/,
                    std::string_view /*region*/) const {}
};

// Which error codes the client expects: S3's (rest-xml), JSON protocols', or query protocols'.
enum class ErrorStyle { kS3, kJson, kQuery };

struct AuthOptions {
  std::chrono::seconds max_skew{900};
  // Clock; system_clock::now when empty.
  std::function<std::chrono::system_clock::time_point()> now;
  ErrorStyle style = ErrorStyle::kS3;
  // A request carrying no authentication at all yields an anonymous Principal instead of an error
  // (for S3 public-read buckets and the few unauthenticated operations). Off by default.
  bool allow_anonymous = false;
  // Bodies of non-S3 requests without x-amz-content-sha256 are read whole to hash them; past this many
  // bytes the request fails (the JSON/query protocols buffer their documents anyway).
  std::size_t max_buffered_body = 64 << 20;
  // S3: the request names its bucket in Host (virtual-hosted style). A path-style "/bucket" may carry a
  // SigV2 signature over "/bucket/" (botocore's auth_path); a virtual-hosted "/key" never does.
  bool virtual_hosted = false;
};

// An S3 POST upload's object key (its form's `key` field, `${filename}` replaced), set on the request by
// Authenticate for the authorizer; removed from every request first, so a client cannot supply it.
inline constexpr std::string_view kPostObjectKeyHeader = "x-cenote-post-object-key";

// The most bytes of form fields before the file of an S3 POST upload (AWS: 20 KB).
inline constexpr std::size_t kMaxPostFormFieldBytes = 20 * 1024;

// Verifies the request's signature and returns the principal.
//
// S3 POST uploads (a POST with a multipart/form-data body and no other authentication) are verified from
// the form: the fields before the file part are read (at most kMaxPostFormFieldBytes, else
// MaxPostPreDataLengthExceededError; MalformedPOSTRequest for a malformed body), the signature of the
// policy field is checked (SigV4 or SigV2 form fields; InvalidArgument for an incomplete set), and
// request.body is replaced by a reader that yields the whole body again from its first byte. An unsigned
// form is an anonymous request. The policy's conditions are not checked here: that is the provider's part.
//
// Body handling (request.body may be replaced; Length() and Trailers() keep their meaning):
//  - x-amz-content-sha256 = hex digest: the body is hashed while read; a mismatch fails the final Read with
//    XAmzContentSHA256Mismatch.
//  - UNSIGNED-PAYLOAD: untouched.
//  - STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER], STREAMING-UNSIGNED-PAYLOAD-TRAILER: the aws-chunked
//    framing is decoded (at any split of the underlying reads), chunk and trailer signatures verified, the
//    checksum trailer named by x-amz-trailer verified (BadDigest) and exposed by Trailers(); Length() is
//    x-amz-decoded-content-length; "aws-chunked" is removed from Content-Encoding.
//  - no x-amz-content-sha256 on a non-S3 request: the body is read whole (max_buffered_body) and hashed.
// Errors use options.style's codes (AccessDenied, SignatureDoesNotMatch, InvalidSignatureException, ...).
Result<iam::Principal> Authenticate(http::HttpRequest& request, const CredentialProvider& credentials,
                                    const AuthOptions& options);

// Signs `request` with SigV4 header auth: sets X-Amz-Date, x-amz-content-sha256 (= payload_hash; pass
// Sha256Hex(body), "UNSIGNED-PAYLOAD" or a STREAMING-* constant), X-Amz-Security-Token when
// `session_token` is non-empty, and Authorization. Signs host and every other header present except
// user-agent, expect and x-amzn-trace-id. request.headers must contain "host".
void SignRequest(http::HttpRequest& request, std::string_view access_key, std::string_view secret,
                 std::string_view region, std::string_view service,
                 std::chrono::system_clock::time_point when, std::string_view payload_hash,
                 std::string_view session_token = "");

// A SigV4 presigned URL for `url` ("http[s]://host[:port]/path?query", path and query already
// percent-encoded as they will be sent). Signs only the host header; payload UNSIGNED-PAYLOAD.
std::string PresignUrl(std::string_view method, std::string_view url, std::string_view access_key,
                       std::string_view secret, std::string_view region, std::string_view service,
                       std::chrono::system_clock::time_point when, std::chrono::seconds expires,
                       std::string_view session_token = "");

// The signature of one aws-chunked chunk (for clients, tests): hex HMAC of the
// AWS4-HMAC-SHA256-PAYLOAD string-to-sign chained from `previous_signature`.
std::string ChunkSignature(std::string_view signing_key, std::string_view timestamp, std::string_view scope,
                           std::string_view previous_signature, std::string_view chunk_data);
// The signature of the trailer block (AWS4-HMAC-SHA256-TRAILER); `canonical_trailers` is
// "name:value\n" per trailer.
std::string TrailerSignature(std::string_view signing_key, std::string_view timestamp, std::string_view scope,
                             std::string_view previous_signature, std::string_view canonical_trailers);

}  // namespace cenote::aws::sigv4
