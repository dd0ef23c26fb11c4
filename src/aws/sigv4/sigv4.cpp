#include "aws/sigv4/sigv4.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <span>

#include "aws/sigv4/aws_chunked.hpp"
#include "aws/sigv4/canonical.hpp"
#include "common/checksum.hpp"
#include "common/encoding.hpp"
#include "common/strings.hpp"
#include "http/multipart.hpp"

namespace cenote::aws::sigv4 {

namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
constexpr std::string_view kStreamingSigned = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
constexpr std::string_view kStreamingSignedTrailer = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
constexpr std::string_view kStreamingUnsignedTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
constexpr std::string_view kEmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr std::chrono::seconds kMaxPresignExpiry{604800};

const char kSignatureMismatchS3[] =
    "The request signature we calculated does not match the signature you provided. Check your key and "
    "signing "
    "method.";
const char kSignatureMismatchOther[] =
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
    "Access "
    "Key and signing method. Consult the service documentation for details.";
const char kInvalidToken[] = "The security token included in the request is invalid.";

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

bool IsHex64(std::string_view s) {
  if (s.size() != 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  });
}

std::chrono::system_clock::time_point Now(const AuthOptions& options) {
  return options.now ? options.now() : std::chrono::system_clock::now();
}

std::string Iso8601(std::chrono::system_clock::time_point when) {
  std::string amz = FormatAmzDate(when);  // YYYYMMDDTHHMMSSZ
  return amz.substr(0, 4) + "-" + amz.substr(4, 2) + "-" + amz.substr(6, 2) + "T" + amz.substr(9, 2) + ":" +
         amz.substr(11, 2) + ":" + amz.substr(13, 2) + "Z";
}

// ---- Errors, by the protocol family the client speaks. ----

Error MissingAuth(const AuthOptions& o) {
  switch (o.style) {
    case ErrorStyle::kS3:
      return MakeError("AccessDenied", "Access Denied", 403);
    case ErrorStyle::kJson:
      return MakeError("MissingAuthenticationTokenException", "Missing Authentication Token", 400);
    case ErrorStyle::kQuery:
      return MakeError("MissingAuthenticationToken", "Request is missing Authentication Token", 403);
  }
  return InternalError();
}

Error UnknownKey(const AuthOptions& o, std::string_view akid) {
  switch (o.style) {
    case ErrorStyle::kS3:
      return MakeError("InvalidAccessKeyId",
                       "The AWS Access Key Id you provided does not exist in our records.", 403)
          .With("AWSAccessKeyId", std::string(akid));
    case ErrorStyle::kJson:
      return MakeError("UnrecognizedClientException", kInvalidToken, 400);
    case ErrorStyle::kQuery:
      return MakeError("InvalidClientTokenId", kInvalidToken, 403);
  }
  return InternalError();
}

// Temporary credentials past their expiry (the key and token were valid).
Error ExpiredToken(const AuthOptions& o) {
  switch (o.style) {
    case ErrorStyle::kS3:
      return MakeError("ExpiredToken", "The provided token has expired.", 400);
    case ErrorStyle::kJson:
      return MakeError("ExpiredTokenException", "The security token included in the request is expired", 400);
    case ErrorStyle::kQuery:
      return MakeError("ExpiredToken", "The security token included in the request is expired", 403);
  }
  return InternalError();
}

Error BadToken(const AuthOptions& o) {
  switch (o.style) {
    case ErrorStyle::kS3:
      return MakeError("InvalidToken", "The provided token is malformed or otherwise invalid.", 400);
    case ErrorStyle::kJson:
      return MakeError("UnrecognizedClientException", kInvalidToken, 400);
    case ErrorStyle::kQuery:
      return MakeError("InvalidClientTokenId", kInvalidToken, 403);
  }
  return InternalError();
}

Error Mismatch(const AuthOptions& o, std::string_view akid, std::string_view string_to_sign,
               std::string_view provided, std::string_view canonical_request) {
  switch (o.style) {
    case ErrorStyle::kS3: {
      // S3 echoes what it signed so that clients can diff it against their own.
      Error e = MakeError("SignatureDoesNotMatch", kSignatureMismatchS3, 403);
      e.With("AWSAccessKeyId", std::string(akid)).With("StringToSign", std::string(string_to_sign));
      e.With("SignatureProvided", std::string(provided));
      if (!canonical_request.empty()) e.With("CanonicalRequest", std::string(canonical_request));
      return e;
    }
    case ErrorStyle::kJson:
      return MakeError("InvalidSignatureException", kSignatureMismatchOther, 400);
    case ErrorStyle::kQuery:
      return MakeError("SignatureDoesNotMatch", kSignatureMismatchOther, 403);
  }
  return InternalError();
}

Error MalformedHeader(const AuthOptions& o, std::string message) {
  switch (o.style) {
    case ErrorStyle::kS3:
      return MakeError("AuthorizationHeaderMalformed", "The authorization header is malformed; " + message,
                       400);
    case ErrorStyle::kJson:
      return MakeError("IncompleteSignatureException", message, 400);
    case ErrorStyle::kQuery:
      return MakeError("IncompleteSignature", message, 400);
  }
  return InternalError();
}

Error MalformedQuery(const AuthOptions& o, std::string message) {
  switch (o.style) {
    case ErrorStyle::kS3:
      return MakeError("AuthorizationQueryParametersError", message, 400);
    case ErrorStyle::kJson:
      return MakeError("IncompleteSignatureException", message, 400);
    case ErrorStyle::kQuery:
      return MakeError("IncompleteSignature", message, 400);
  }
  return InternalError();
}

// "Signature expired: ... is now earlier than ... (... - 15 min.)", the JSON/query services' wording.
std::string ExpiredMessage(std::chrono::system_clock::time_point request_time,
                           std::chrono::system_clock::time_point now, std::chrono::seconds skew) {
  long minutes = static_cast<long>(skew.count() / 60);
  if (request_time < now) {
    return "Signature expired: " + FormatAmzDate(request_time) + " is now earlier than " +
           FormatAmzDate(now - skew) + " (" + FormatAmzDate(now) + " - " + std::to_string(minutes) + " min.)";
  }
  return "Signature not yet current: " + FormatAmzDate(request_time) + " is still later than " +
         FormatAmzDate(now + skew) + " (" + FormatAmzDate(now) + " + " + std::to_string(minutes) + " min.)";
}

Error Skewed(const AuthOptions& o, std::string_view request_time_text,
             std::chrono::system_clock::time_point t, std::chrono::system_clock::time_point now) {
  switch (o.style) {
    case ErrorStyle::kS3: {
      Error e = MakeError("RequestTimeTooSkewed",
                          "The difference between the request time and the current time is too large.", 403);
      e.With("RequestTime", std::string(request_time_text)).With("ServerTime", Iso8601(now));
      e.With("MaxAllowedSkewMilliseconds", std::to_string(o.max_skew.count() * 1000));
      return e;
    }
    case ErrorStyle::kJson:
      return MakeError("InvalidSignatureException", ExpiredMessage(t, now, o.max_skew), 400);
    case ErrorStyle::kQuery:
      return MakeError("SignatureDoesNotMatch", ExpiredMessage(t, now, o.max_skew), 403);
  }
  return InternalError();
}

Error PresignExpired(const AuthOptions& o, std::string_view expires_param,
                     std::chrono::system_clock::time_point expiry,
                     std::chrono::system_clock::time_point now) {
  if (o.style == ErrorStyle::kS3) {
    Error e = MakeError("AccessDenied", "Request has expired", 403);
    if (!expires_param.empty()) e.With("X-Amz-Expires", std::string(expires_param));
    e.With("Expires", Iso8601(expiry)).With("ServerTime", Iso8601(now));
    return e;
  }
  std::string message =
      "Signature expired: " + FormatAmzDate(expiry) + " is now earlier than " + FormatAmzDate(now);
  if (o.style == ErrorStyle::kJson) return MakeError("InvalidSignatureException", message, 400);
  return MakeError("SignatureDoesNotMatch", message, 403);
}

// The anonymous principal where the options allow anonymous requests, else the missing-credentials error.
Result<iam::Principal> Anonymous(const AuthOptions& options) {
  if (!options.allow_anonymous) return MissingAuth(options);
  iam::Principal anonymous;
  anonymous.anonymous = true;
  anonymous.type = iam::PrincipalType::kAnonymous;
  anonymous.arn = "*";
  return anonymous;
}

// ---- Body readers. ----

using http::StringReader;

// Hashes the body as it streams; the final Read (the one returning 0) fails on a mismatch, so a provider
// that reads to the end before committing never stores a tampered body.
class Sha256VerifyingReader final : public http::BodyReader {
 public:
  Sha256VerifyingReader(std::unique_ptr<http::BodyReader> inner, std::string expected_hex)
      : inner_(std::move(inner)),
        expected_(Lower(expected_hex)),
        hasher_(Hasher::Create(ChecksumAlgorithm::kSHA256)) {}

  Result<std::size_t> Read(char* buf, std::size_t n) override {
    if (failed_) return *failed_;
    auto r = inner_->Read(buf, n);
    if (!r) return r;
    if (*r > 0) {
      hasher_->Update(buf, *r);
      return r;
    }
    if (n == 0) return r;
    if (!checked_) {
      checked_ = true;
      std::string computed = HexEncode(hasher_->Final());
      if (computed != expected_) {
        failed_ =
            MakeError("XAmzContentSHA256Mismatch",
                      "The provided 'x-amz-content-sha256' header does not match what was computed.", 400)
                .With("ClientComputedContentSHA256", expected_)
                .With("S3ComputedContentSHA256", computed);
        return *failed_;
      }
    }
    return r;
  }
  std::optional<std::uint64_t> Length() const override { return inner_->Length(); }
  const http::Headers* Trailers() const override { return inner_->Trailers(); }

 private:
  std::unique_ptr<http::BodyReader> inner_;
  std::string expected_;
  std::unique_ptr<Hasher> hasher_;
  bool checked_ = false;
  std::optional<Error> failed_;
};

// ---- Parsing. ----

std::optional<Scope> ParseCredential(std::string_view credential) {
  Scope s;
  std::string_view parts[5];
  for (int i = 0; i < 4; ++i) {
    std::size_t slash = credential.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    parts[i] = credential.substr(0, slash);
    credential.remove_prefix(slash + 1);
  }
  parts[4] = credential;
  if (parts[4] != "aws4_request" || parts[0].empty() || parts[1].size() != 8 || parts[2].empty() ||
      parts[3].empty()) {
    return std::nullopt;
  }
  s.access_key_id = parts[0];
  s.date = parts[1];
  s.region = parts[2];
  s.service = parts[3];
  return s;
}

struct V4Header {
  std::string credential;
  std::string signed_headers;
  std::string signature;
};

// "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=..." (commas, optional spaces).
std::optional<V4Header> ParseV4Header(std::string_view auth, std::string* missing) {
  V4Header h;
  auth.remove_prefix(kAlgorithm.size());
  bool have_c = false, have_sh = false, have_s = false;
  while (!auth.empty()) {
    std::size_t comma = auth.find(',');
    std::string_view item = Trim(auth.substr(0, comma));
    auth = comma == std::string_view::npos ? std::string_view() : auth.substr(comma + 1);
    std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view key = item.substr(0, eq), value = item.substr(eq + 1);
    if (key == "Credential") {
      h.credential = value;
      have_c = true;
    } else if (key == "SignedHeaders") {
      h.signed_headers = value;
      have_sh = true;
    } else if (key == "Signature") {
      h.signature = value;
      have_s = true;
    }
  }
  if (!have_c)
    *missing = "Credential";
  else if (!have_sh)
    *missing = "SignedHeaders";
  else if (!have_s)
    *missing = "Signature";
  else
    return h;
  return std::nullopt;
}

std::optional<std::string> QueryValue(const std::vector<QueryParam>& params, std::string_view key) {
  for (const auto& p : params) {
    if (p.key == key) return p.value;
  }
  return std::nullopt;
}

std::vector<std::string> SplitSignedHeaders(std::string_view list) {
  std::vector<std::string> out;
  while (!list.empty()) {
    std::size_t semi = list.find(';');
    std::string_view name = Trim(list.substr(0, semi));
    if (!name.empty()) out.push_back(Lower(name));
    list = semi == std::string_view::npos ? std::string_view() : list.substr(semi + 1);
  }
  return out;
}

// Everything a V4 verification needs, from either the header or the query form.
struct V4Request {
  Scope scope;
  std::string signed_headers;  // as the client listed them
  std::string signature;
  std::string timestamp;  // YYYYMMDDTHHMMSSZ
  bool presigned = false;
};

Result<SecretRecord> LookupAndCheckToken(const http::HttpRequest& request,
                                         const std::vector<QueryParam>& query,
                                         const CredentialProvider& credentials, const AuthOptions& options,
                                         std::string_view akid) {
  std::optional<std::string> token;
  if (auto h = request.headers.Get("x-amz-security-token")) token = std::string(*h);
  if (!token) token = QueryValue(query, "X-Amz-Security-Token");
  if (!token) token = QueryValue(query, "x-amz-security-token");
  auto record = credentials.Lookup(akid);
  if (!record) {
    if (token && credentials.IsExpired(akid, *token)) return ExpiredToken(options);
    return UnknownKey(options, akid);
  }
  if (!record->session_token.empty()) {
    if (!token || !ConstantTimeEquals(*token, record->session_token)) return BadToken(options);
  }
  record->principal.access_key_id = std::string(akid);
  return std::move(*record);
}

bool IsS3(const AuthOptions& options, const Scope& scope) {
  return options.style == ErrorStyle::kS3 || scope.service == "s3" || scope.service == "s3-object-lambda";
}

Result<iam::Principal> VerifyV4(http::HttpRequest& request, const std::vector<QueryParam>& query,
                                const V4Request& v4, const CredentialProvider& credentials,
                                const AuthOptions& options) {
  auto record = LookupAndCheckToken(request, query, credentials, options, v4.scope.access_key_id);
  if (!record) return std::move(record).error();
  bool s3 = IsS3(options, v4.scope);

  // Payload hash candidates, and what the body needs afterwards.
  std::vector<std::string> payload_hashes;
  std::optional<std::string> content_sha =
      request.headers.Get("x-amz-content-sha256")
          ? std::optional<std::string>(*request.headers.Get("x-amz-content-sha256"))
          : std::nullopt;
  if (v4.presigned) {
    // botocore and most SDKs presign with UNSIGNED-PAYLOAD; some (Go v1 for non-S3) hash the empty body.
    if (auto q = QueryValue(query, "X-Amz-Content-Sha256")) payload_hashes.push_back(*q);
    if (content_sha) payload_hashes.push_back(*content_sha);
    payload_hashes.emplace_back(kUnsignedPayload);
    payload_hashes.emplace_back(kEmptySha256);
  } else if (content_sha) {
    std::string_view v = *content_sha;
    if (!(IsHex64(v) || v == kUnsignedPayload || v == kStreamingSigned || v == kStreamingSignedTrailer ||
          v == kStreamingUnsignedTrailer)) {
      if (options.style == ErrorStyle::kS3) {
        return MakeError("InvalidArgument",
                         "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, "
                         "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or "
                         "a valid "
                         "sha256 value.",
                         400)
            .With("ArgumentName", "x-amz-content-sha256")
            .With("ArgumentValue", std::string(v));
      }
    }
    payload_hashes.push_back(*content_sha);
  } else if (options.style == ErrorStyle::kS3) {
    return MakeError("InvalidRequest", "Missing required header for this request: x-amz-content-sha256", 400);
  } else {
    // JSON/query documents are small and parsed whole anyway: hash the body here.
    auto body = http::ReadAll(*request.body, options.max_buffered_body, "RequestEntityTooLarge");
    if (!body) return std::move(body).error();
    payload_hashes.push_back(Sha256Hex(*body));
    request.body = std::make_unique<StringReader>(std::move(*body));
  }

  std::vector<std::string> uris;
  std::string_view raw_path = request.Path();
  uris.push_back(CanonicalUri(raw_path, s3));
  // S3 canonicalizes the decoded key; clients (botocore included) sign the path exactly as they sent it.
  // The two differ only for clients that leave reserved characters unencoded, so accept either.
  if (s3 && !raw_path.empty() && uris[0] != raw_path) uris.emplace_back(raw_path);

  std::string canonical_query = CanonicalQueryString(request.Query(), v4.presigned ? "X-Amz-Signature" : "");
  std::vector<std::string> signed_list = SplitSignedHeaders(v4.signed_headers);
  std::string canonical_headers = CanonicalHeaders(request.headers, signed_list);
  std::string signed_headers_line;
  for (const auto& h : signed_list) {
    if (!signed_headers_line.empty()) signed_headers_line.push_back(';');
    signed_headers_line.append(h);
  }
  std::string scope_line = v4.scope.date + "/" + v4.scope.region + "/" + v4.scope.service + "/aws4_request";
  std::string key = SigningKey(record->secret_access_key, v4.scope.date, v4.scope.region, v4.scope.service);

  std::string first_sts, first_cr;
  bool matched = false;
  std::string matched_payload;
  for (const auto& uri : uris) {
    for (const auto& payload : payload_hashes) {
      std::string cr = CanonicalRequest(request.method, uri, canonical_query, canonical_headers,
                                        signed_headers_line, payload);
      std::string sts = StringToSign(v4.timestamp, scope_line, cr);
      if (first_sts.empty()) {
        first_sts = sts;
        first_cr = cr;
      }
      if (ConstantTimeEquals(HexEncode(HmacSha256(key, sts)), Lower(v4.signature))) {
        matched = true;
        matched_payload = payload;
        break;
      }
    }
    if (matched) break;
  }
  if (!matched) return Mismatch(options, v4.scope.access_key_id, first_sts, v4.signature, first_cr);

  if (!v4.presigned) {
    std::string_view payload = matched_payload;
    bool streaming = payload == kStreamingSigned || payload == kStreamingSignedTrailer ||
                     payload == kStreamingUnsignedTrailer;
    if (streaming) {
      AwsChunkedOptions chunked;
      chunked.mode = payload == kStreamingSigned          ? StreamingMode::kSigned
                     : payload == kStreamingSignedTrailer ? StreamingMode::kSignedTrailer
                                                          : StreamingMode::kUnsignedTrailer;
      chunked.signing = ChunkSigningContext{key, v4.timestamp, scope_line, Lower(v4.signature)};
      if (auto d = request.headers.Get("x-amz-decoded-content-length")) {
        std::uint64_t n = 0;
        auto [p, ec] = std::from_chars(d->data(), d->data() + d->size(), n);
        if (ec != std::errc() || p != d->data() + d->size()) {
          return MakeError("InvalidArgument", "x-amz-decoded-content-length must be a number", 400);
        }
        chunked.decoded_length = n;
      }
      if (auto t = request.headers.Get("x-amz-trailer")) chunked.trailer = Lower(Trim(*t));
      if (chunked.mode != StreamingMode::kSigned && !chunked.trailer.empty() &&
          !StartsWith(chunked.trailer, "x-amz-checksum-")) {
        return MakeError("InvalidRequest", "The value specified in the x-amz-trailer header is not supported",
                         400);
      }
      request.body = MakeAwsChunkedReader(std::move(request.body), std::move(chunked));
      // The decoded entity no longer has the aws-chunked coding; keep any other coding (gzip, ...).
      if (auto ce = request.headers.Get("content-encoding")) {
        std::string kept;
        std::string_view rest = *ce;
        while (!rest.empty()) {
          std::size_t comma = rest.find(',');
          std::string_view c = Trim(rest.substr(0, comma));
          rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
          if (c.empty() || Lower(c) == "aws-chunked") continue;
          if (!kept.empty()) kept.push_back(',');
          kept.append(c);
        }
        if (kept.empty()) {
          request.headers.Remove("content-encoding");
        } else {
          request.headers.Set("Content-Encoding", kept);
        }
      }
    } else if (IsHex64(payload) && content_sha) {
      request.body = std::make_unique<Sha256VerifyingReader>(std::move(request.body), std::string(payload));
    }
  }
  return std::move(record->principal);
}

Result<iam::Principal> AuthenticateV4Header(http::HttpRequest& request, std::string_view auth,
                                            const std::vector<QueryParam>& query,
                                            const CredentialProvider& credentials,
                                            const AuthOptions& options) {
  std::string missing;
  auto header = ParseV4Header(auth, &missing);
  if (!header) {
    if (options.style == ErrorStyle::kS3) return MalformedHeader(options, "missing " + missing + ".");
    return MalformedHeader(options, "Authorization header requires '" + missing +
                                        "' parameter. Authorization=" + std::string(auth));
  }
  auto scope = ParseCredential(header->credential);
  if (!scope) {
    return MalformedHeader(options,
                           "the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/"
                           "aws4_request\".");
  }
  V4Request v4;
  v4.scope = *scope;
  v4.signed_headers = header->signed_headers;
  v4.signature = header->signature;

  std::optional<std::chrono::system_clock::time_point> when;
  std::string time_text;
  if (auto d = request.headers.Get("x-amz-date")) {
    time_text = std::string(Trim(*d));
    when = ParseAmzDate(time_text);
  } else if (auto d2 = request.headers.Get("date")) {
    time_text = std::string(Trim(*d2));
    when = ParseHttpDate(time_text);
  }
  if (!when) {
    if (options.style == ErrorStyle::kS3) {
      return MakeError("AccessDenied", "AWS authentication requires a valid Date or x-amz-date header", 403);
    }
    return MalformedHeader(options,
                           "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' "
                           "header. Authorization=" +
                               std::string(auth));
  }
  v4.timestamp = FormatAmzDate(*when);
  if (v4.timestamp.substr(0, 8) != scope->date) {
    return MalformedHeader(options, "Invalid credential date. Date is not the same as X-Amz-Date.");
  }
  auto now = Now(options);
  if (*when > now + options.max_skew || *when < now - options.max_skew)
    return Skewed(options, time_text, *when, now);
  return VerifyV4(request, query, v4, credentials, options);
}

Result<iam::Principal> AuthenticateV4Query(http::HttpRequest& request, const std::vector<QueryParam>& query,
                                           const CredentialProvider& credentials,
                                           const AuthOptions& options) {
  auto algorithm = QueryValue(query, "X-Amz-Algorithm");
  auto credential = QueryValue(query, "X-Amz-Credential");
  auto date = QueryValue(query, "X-Amz-Date");
  auto expires = QueryValue(query, "X-Amz-Expires");
  auto signed_headers = QueryValue(query, "X-Amz-SignedHeaders");
  auto signature = QueryValue(query, "X-Amz-Signature");
  if (!algorithm || !credential || !date || !signed_headers || !signature ||
      (!expires && options.style == ErrorStyle::kS3)) {
    return MalformedQuery(options,
                          "Query-string authentication version 4 requires the X-Amz-Algorithm, "
                          "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and "
                          "X-Amz-Expires parameters.");
  }
  if (*algorithm != kAlgorithm) {
    return MalformedQuery(options, "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"");
  }
  auto scope = ParseCredential(*credential);
  if (!scope) {
    return MalformedQuery(options,
                          "Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; "
                          "expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".");
  }
  auto when = ParseAmzDate(*date);
  if (!when) {
    return MalformedQuery(options, "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
  }
  if (date->substr(0, 8) != scope->date) {
    return MalformedQuery(options, "Error parsing the X-Amz-Credential parameter; incorrect date format \"" +
                                       scope->date +
                                       "\". This date in the credential must be in the format "
                                       "\"yyyyMMdd\" and match X-Amz-Date.");
  }
  std::chrono::seconds lifetime{900};
  if (expires) {
    long long secs = -1;
    auto [p, ec] = std::from_chars(expires->data(), expires->data() + expires->size(), secs);
    if (ec != std::errc() || p != expires->data() + expires->size()) {
      return MalformedQuery(options, "X-Amz-Expires should be a number");
    }
    if (secs < 0) return MalformedQuery(options, "X-Amz-Expires must be non-negative");
    if (secs > kMaxPresignExpiry.count()) {
      return MalformedQuery(options, "X-Amz-Expires must be less than a week (in seconds) that is 604800");
    }
    lifetime = std::chrono::seconds(secs);
  }
  auto now = Now(options);
  if (*when > now + options.max_skew) {
    if (options.style == ErrorStyle::kS3) return MakeError("AccessDenied", "Request is not valid yet", 403);
    return Skewed(options, *date, *when, now);
  }
  // X-Amz-Expires=0 is a URL that has expired when it is made.
  if (now > *when + lifetime || (lifetime.count() == 0 && now >= *when)) {
    return PresignExpired(options, expires.value_or(""), *when + lifetime, now);
  }

  V4Request v4;
  v4.scope = *scope;
  v4.signed_headers = *signed_headers;
  v4.signature = *signature;
  v4.timestamp = *date;
  v4.presigned = true;
  return VerifyV4(request, query, v4, credentials, options);
}

// ---- SigV2 (S3 only). ----

// Resource paths a SigV2 client may have signed: the path as sent; for a path-style request to a bucket
// ("/bucket"), also "/bucket/", which botocore signs (its auth_path ends a bucket-only path with '/', so
// boto3's default presigned URLs for ListObjects or GetBucketLocation carry it); for a virtual-hosted
// request ("bucket.endpoint"), "/bucket" + path.
std::vector<std::string> SigV2Resources(const http::HttpRequest& request, const AuthOptions& options) {
  std::string path(request.Path());
  if (path.empty()) path = "/";
  std::vector<std::string> out{path};
  if (!options.virtual_hosted && path.size() > 1 && path.find('/', 1) == std::string::npos) {
    out.push_back(path + "/");
  }
  if (auto host = request.headers.Get("host")) {
    std::string_view h = *host;
    std::size_t dot = h.find('.');
    if (dot != std::string_view::npos && dot > 0) {
      std::string_view label = h.substr(0, dot);
      bool numeric = std::all_of(label.begin(), label.end(), [](char c) { return c >= '0' && c <= '9'; });
      if (!numeric) out.push_back("/" + std::string(label) + path);
    }
  }
  return out;
}

Result<iam::Principal> VerifyV2(const http::HttpRequest& request, const std::vector<QueryParam>& query,
                                const http::Headers& headers, std::string_view akid,
                                std::string_view signature, const std::vector<std::string>& date_lines,
                                const CredentialProvider& credentials, const AuthOptions& options) {
  auto record = LookupAndCheckToken(request, query, credentials, options, akid);
  if (!record) return std::move(record).error();
  std::string first_sts;
  for (const auto& resource : SigV2Resources(request, options)) {
    for (const auto& date_line : date_lines) {
      std::string sts = SigV2StringToSign(request.method, headers, date_line, resource, request.Query());
      if (first_sts.empty()) first_sts = sts;
      if (ConstantTimeEquals(Base64Encode(HmacSha1(record->secret_access_key, sts)), signature)) {
        return std::move(record->principal);
      }
    }
  }
  return Mismatch(options, akid, first_sts, signature, "");
}

Result<iam::Principal> AuthenticateV2Header(const http::HttpRequest& request, std::string_view auth,
                                            const std::vector<QueryParam>& query,
                                            const CredentialProvider& credentials,
                                            const AuthOptions& options) {
  std::string_view rest = Trim(auth.substr(4));
  std::size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return MakeError("InvalidArgument",
                     "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature", 400);
  }
  std::string_view akid = rest.substr(0, colon), signature = rest.substr(colon + 1);
  auto amz_date = request.headers.Get("x-amz-date");
  auto date = request.headers.Get("date");
  std::optional<std::chrono::system_clock::time_point> when;
  std::string time_text;
  if (amz_date) {
    time_text = std::string(Trim(*amz_date));
    when = ParseHttpDate(time_text);
    if (!when) when = ParseAmzDate(time_text);
  } else if (date) {
    time_text = std::string(Trim(*date));
    when = ParseHttpDate(time_text);
  }
  if (!when)
    return MakeError("AccessDenied", "AWS authentication requires a valid Date or x-amz-date header", 403);
  auto now = Now(options);
  if (*when > now + options.max_skew || *when < now - options.max_skew)
    return Skewed(options, time_text, *when, now);
  // With x-amz-date the Date line is empty (AWS docs); botocore signs its Date header regardless.
  std::vector<std::string> date_lines;
  if (date) date_lines.emplace_back(Trim(*date));
  if (amz_date || !date) date_lines.emplace_back("");
  return VerifyV2(request, query, request.headers, akid, signature, date_lines, credentials, options);
}

Result<iam::Principal> AuthenticateV2Query(const http::HttpRequest& request,
                                           const std::vector<QueryParam>& query,
                                           const CredentialProvider& credentials,
                                           const AuthOptions& options) {
  auto akid = QueryValue(query, "AWSAccessKeyId");
  auto signature = QueryValue(query, "Signature");
  auto expires = QueryValue(query, "Expires");
  if (!akid || !signature || !expires) {
    return MakeError(
        "AccessDenied",
        "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters", 403);
  }
  long long expiry = 0;
  auto [p, ec] = std::from_chars(expires->data(), expires->data() + expires->size(), expiry);
  std::optional<std::chrono::system_clock::time_point> expiry_time;
  if (ec == std::errc() && p == expires->data() + expires->size()) expiry_time = TimeFromUnixSeconds(expiry);
  if (!expiry_time) {
    return MakeError("AccessDenied", "Invalid date (should be seconds since epoch): " + *expires, 403);
  }
  auto now = Now(options);
  if (now > *expiry_time) return PresignExpired(options, "", *expiry_time, now);
  // botocore moves x-amz-* headers (the security token) and Content-Type/MD5 into the query string and
  // signs them as headers: put them back for the string-to-sign.
  http::Headers headers = request.headers;
  for (const auto& q : query) {
    std::string name = Lower(q.key);
    bool relevant = StartsWith(name, "x-amz-") || name == "content-type" || name == "content-md5";
    if (relevant && !headers.Has(name)) headers.Add(name, q.value);
  }
  std::string sig = *signature;
  // A '+' sent unencoded reads as a space to form-decoding clients that built the URL by hand.
  std::replace(sig.begin(), sig.end(), ' ', '+');
  return VerifyV2(request, query, headers, *akid, sig, {*expires}, credentials, options);
}

// ---- Browser-based uploads (S3 POST Object). ----
//
// The form carries the credentials and a signature of its `policy` field (the base64 text as sent): SigV4
// (x-amz-algorithm, x-amz-credential, x-amz-date, x-amz-signature: hex HMAC-SHA256 under the scope's
// signing key) or SigV2 (AWSAccessKeyId, signature: base64 HMAC-SHA1 under the secret). What the policy
// allows is the provider's to check ("Authenticating Requests in Browser-Based Uploads Using POST (AWS
// Signature Version 4)" and "Browser-Based Uploads Using POST (AWS Signature Version 2)", S3 API Reference).

// S3's words (services/s3/errors.hpp has the same, for the provider's own reading of the form).
Error MalformedPostForm() {
  return MakeError("MalformedPOSTRequest",
                   "The body of your POST request is not well-formed multipart/form-data.", 400);
}

Error PostFormFieldsTooLarge() {
  return MakeError("MaxPostPreDataLengthExceededError",
                   "Your POST request fields preceeding the upload file was too large.", 400);
}

// Records what it reads of `body`, so that the fields read here can be read again by the provider.
class RecordingReader final : public http::BodyReader {
 public:
  explicit RecordingReader(http::BodyReader& body) : body_(body) {}
  Result<std::size_t> Read(char* buf, std::size_t n) override {
    Result<std::size_t> got = body_.Read(buf, n);
    if (got && *got > 0) recorded_.append(buf, *got);
    return got;
  }
  std::optional<std::uint64_t> Length() const override { return body_.Length(); }
  std::string Take() { return std::move(recorded_); }

 private:
  http::BodyReader& body_;
  std::string recorded_;
};

// The bytes already read, then the rest of the body: the body as the client sent it.
class ReplayReader final : public http::BodyReader {
 public:
  ReplayReader(std::string head, std::unique_ptr<http::BodyReader> rest)
      : head_(std::move(head)), rest_(std::move(rest)) {}
  Result<std::size_t> Read(char* buf, std::size_t n) override {
    if (pos_ < head_.size()) {
      const std::size_t k = std::min(n, head_.size() - pos_);
      std::memcpy(buf, head_.data() + pos_, k);
      pos_ += k;
      return k;
    }
    return rest_->Read(buf, n);
  }
  std::optional<std::uint64_t> Length() const override { return rest_->Length(); }
  const http::Headers* Trailers() const override { return rest_->Trailers(); }

 private:
  std::string head_;
  std::size_t pos_ = 0;
  std::unique_ptr<http::BodyReader> rest_;
};

Error MissingPostField(std::string_view name) {
  std::string message = "Bucket POST must contain a field named '";
  message.append(name).append("'.  If it is specified, please check the order of the fields.");
  return MakeError("InvalidArgument", std::move(message), 400)
      .With("ArgumentName", std::string(name))
      .With("ArgumentValue", "");
}

Result<iam::Principal> VerifyPostForm(const std::vector<http::FormField>& fields,
                                      const CredentialProvider& credentials, const AuthOptions& options) {
  // Form field names are case-insensitive (AWS matches "pOLICy" and "Policy" alike).
  auto field = [&](std::string_view name) -> const std::string* {
    for (const auto& f : fields) {
      if (EqualsIgnoreAsciiCase(f.name, name)) return &f.value;
    }
    return nullptr;
  };
  static constexpr std::string_view kV4Fields[] = {"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date",
                                                   "X-Amz-Signature"};
  static constexpr std::string_view kV2Fields[] = {"AWSAccessKeyId", "Signature"};
  auto any_of = [&](const auto& names) {
    return std::any_of(std::begin(names), std::end(names), [&](std::string_view n) { return field(n); });
  };
  const bool v4 = any_of(kV4Fields);
  if (!v4 && !any_of(kV2Fields)) {
    // An unsigned form is an anonymous request (a bucket may let everyone write).
    return Anonymous(options);
  }
  const std::span<const std::string_view> required =
      v4 ? std::span<const std::string_view>(kV4Fields) : std::span<const std::string_view>(kV2Fields);
  for (std::string_view name : required) {
    if (!field(name)) return MissingPostField(name);
  }
  const std::string* policy = field("Policy");
  if (!policy) return MissingPostField("Policy");

  std::string akid;
  std::string provided;
  std::optional<Scope> scope;
  if (v4) {
    if (*field("X-Amz-Algorithm") != kAlgorithm) {
      return MakeError("InvalidArgument", "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"", 400)
          .With("ArgumentName", "X-Amz-Algorithm")
          .With("ArgumentValue", *field("X-Amz-Algorithm"));
    }
    scope = ParseCredential(*field("X-Amz-Credential"));
    if (!scope) {
      return MakeError(
                 "InvalidArgument",
                 "Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting "
                 "\"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".",
                 400)
          .With("ArgumentName", "X-Amz-Credential")
          .With("ArgumentValue", *field("X-Amz-Credential"));
    }
    akid = scope->access_key_id;
    provided = Lower(*field("X-Amz-Signature"));
  } else {
    akid = *field("AWSAccessKeyId");
    provided = *field("Signature");
  }
  auto record = credentials.Lookup(akid);
  if (!record) return UnknownKey(options, akid);
  if (!record->session_token.empty()) {
    const std::string* token = field("X-Amz-Security-Token");
    if (!token || !ConstantTimeEquals(*token, record->session_token)) return BadToken(options);
  }
  const std::string expected =
      scope ? HexEncode(HmacSha256(
                  SigningKey(record->secret_access_key, scope->date, scope->region, scope->service), *policy))
            : Base64Encode(HmacSha1(record->secret_access_key, *policy));
  if (!ConstantTimeEquals(expected, provided)) return Mismatch(options, akid, *policy, provided, "");
  record->principal.access_key_id = akid;
  return std::move(record->principal);
}

Result<iam::Principal> AuthenticatePostForm(http::HttpRequest& request, std::string boundary,
                                            const CredentialProvider& credentials,
                                            const AuthOptions& options) {
  RecordingReader recording(*request.body);
  http::MultipartReader reader(recording, std::move(boundary), MalformedPostForm());
  Result<http::FormHead> head =
      http::ReadFormHead(reader, "file", kMaxPostFormFieldBytes, PostFormFieldsTooLarge());
  // The provider reads the whole form again, from its first byte.
  request.body = std::make_unique<ReplayReader>(recording.Take(), std::move(request.body));
  if (!head) return std::move(head).error();
  // The object key the form names (what the authorizer needs before the provider reads the form again).
  for (const http::FormField& field : head->fields) {
    if (!EqualsIgnoreAsciiCase(field.name, "key")) continue;
    std::string key = field.value;
    constexpr std::string_view kFilename = "${filename}";
    if (head->file && head->file->filename) {
      for (std::size_t at = key.find(kFilename); at != std::string::npos;
           at = key.find(kFilename, at + head->file->filename->size())) {
        key.replace(at, kFilename.size(), *head->file->filename);
      }
    }
    request.headers.Set(std::string(kPostObjectKeyHeader), std::move(key));
    break;
  }
  return VerifyPostForm(head->fields, credentials, options);
}

void AppendParam(std::string& query, std::string_view key, std::string_view value) {
  if (!query.empty()) query.push_back('&');
  query.append(UriEncode(key, true)).append("=").append(UriEncode(value, true));
}

}  // namespace

std::optional<Scope> PeekScope(const http::HttpRequest& request) {
  if (auto auth = request.headers.Get("authorization")) {
    if (!StartsWith(*auth, kAlgorithm)) return std::nullopt;
    std::string missing;
    auto header = ParseV4Header(*auth, &missing);
    if (!header) return std::nullopt;
    return ParseCredential(header->credential);
  }
  std::string_view q = request.Query();
  if (q.find("X-Amz-Credential=") == std::string_view::npos) return std::nullopt;
  // The first parameter whose decoded name is X-Amz-Credential, as QueryValue(ParseQuery(q), ...) finds,
  // without decoding every parameter (this runs on every request, before Authenticate parses the query).
  while (!q.empty()) {
    std::size_t amp = q.find('&');
    std::string_view pair = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
    std::size_t eq = pair.find('=');
    std::string_view raw_key = pair.substr(0, eq);
    bool match = raw_key.find('%') == std::string_view::npos ? raw_key == "X-Amz-Credential"
                                                             : UriDecode(raw_key) == "X-Amz-Credential";
    if (!match) continue;
    if (eq == std::string_view::npos) return ParseCredential("");
    return ParseCredential(UriDecode(pair.substr(eq + 1)));
  }
  return std::nullopt;
}

Result<iam::Principal> Authenticate(http::HttpRequest& request, const CredentialProvider& credentials,
                                    const AuthOptions& options) {
  // Only AuthenticatePostForm sets it; a client's own is never believed.
  request.headers.Remove(kPostObjectKeyHeader);
  std::vector<QueryParam> query = ParseQuery(request.Query());
  if (auto auth_header = request.headers.Get("authorization")) {
    std::string_view auth = Trim(*auth_header);
    if (StartsWith(auth, kAlgorithm) &&
        (auth.size() == kAlgorithm.size() || auth[kAlgorithm.size()] == ' ')) {
      return AuthenticateV4Header(request, auth, query, credentials, options);
    }
    if (StartsWith(auth, "AWS ") && options.style == ErrorStyle::kS3) {
      return AuthenticateV2Header(request, auth, query, credentials, options);
    }
    if (options.style == ErrorStyle::kS3)
      return MakeError("InvalidArgument", "Unsupported Authorization Type", 400);
    return MalformedHeader(options,
                           "Authorization header requires 'Credential' parameter. Authorization header "
                           "requires 'Signature' parameter. Authorization header requires 'SignedHeaders' "
                           "parameter. Authorization=" +
                               std::string(auth));
  }
  if (QueryValue(query, "X-Amz-Algorithm") || QueryValue(query, "X-Amz-Credential") ||
      QueryValue(query, "X-Amz-Signature")) {
    return AuthenticateV4Query(request, query, credentials, options);
  }
  if (options.style == ErrorStyle::kS3 &&
      (QueryValue(query, "AWSAccessKeyId") || QueryValue(query, "Signature"))) {
    return AuthenticateV2Query(request, query, credentials, options);
  }
  if (options.style == ErrorStyle::kS3 && request.method == "POST") {
    // An HTML form upload (S3 POST Object): its signature is in the form.
    if (auto content_type = request.headers.Get("content-type")) {
      if (auto boundary = http::FormDataBoundary(*content_type)) {
        return AuthenticatePostForm(request, std::move(*boundary), credentials, options);
      }
    }
  }
  return Anonymous(options);
}

void SignRequest(http::HttpRequest& request, std::string_view access_key, std::string_view secret,
                 std::string_view region, std::string_view service,
                 std::chrono::system_clock::time_point when, std::string_view payload_hash,
                 std::string_view session_token) {
  std::string timestamp = FormatAmzDate(when);
  request.headers.Remove("authorization");
  request.headers.Set("X-Amz-Date", timestamp);
  request.headers.Set("x-amz-content-sha256", std::string(payload_hash));
  if (!session_token.empty()) request.headers.Set("X-Amz-Security-Token", std::string(session_token));
  std::vector<std::string> names;
  for (const auto& e : request.headers) {
    std::string name = Lower(e.name);
    if (name == "user-agent" || name == "expect" || name == "x-amzn-trace-id") continue;
    names.push_back(std::move(name));
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  std::string signed_headers;
  for (const auto& n : names) {
    if (!signed_headers.empty()) signed_headers.push_back(';');
    signed_headers.append(n);
  }
  std::string date = timestamp.substr(0, 8);
  std::string scope = date + "/" + std::string(region) + "/" + std::string(service) + "/aws4_request";
  std::string cr = CanonicalRequest(request.method, CanonicalUri(request.Path(), service == "s3"),
                                    CanonicalQueryString(request.Query()),
                                    CanonicalHeaders(request.headers, names), signed_headers, payload_hash);
  std::string signature =
      HexEncode(HmacSha256(SigningKey(secret, date, region, service), StringToSign(timestamp, scope, cr)));
  request.headers.Set("Authorization", std::string(kAlgorithm) + " Credential=" + std::string(access_key) +
                                           "/" + scope + ", SignedHeaders=" + signed_headers +
                                           ", Signature=" + signature);
}

std::string PresignUrl(std::string_view method, std::string_view url, std::string_view access_key,
                       std::string_view secret, std::string_view region, std::string_view service,
                       std::chrono::system_clock::time_point when, std::chrono::seconds expires,
                       std::string_view session_token) {
  std::size_t scheme_end = url.find("://");
  std::size_t host_start = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
  std::size_t path_start = url.find_first_of("/?", host_start);
  std::string_view host =
      url.substr(host_start, path_start == std::string_view::npos ? url.npos : path_start - host_start);
  std::string_view rest = path_start == std::string_view::npos ? std::string_view() : url.substr(path_start);
  std::size_t qmark = rest.find('?');
  std::string path(rest.substr(0, qmark));
  if (path.empty()) path = "/";
  std::string query(qmark == std::string_view::npos ? std::string_view() : rest.substr(qmark + 1));

  std::string timestamp = FormatAmzDate(when);
  std::string date = timestamp.substr(0, 8);
  std::string scope = date + "/" + std::string(region) + "/" + std::string(service) + "/aws4_request";
  AppendParam(query, "X-Amz-Algorithm", kAlgorithm);
  AppendParam(query, "X-Amz-Credential", std::string(access_key) + "/" + scope);
  AppendParam(query, "X-Amz-Date", timestamp);
  AppendParam(query, "X-Amz-Expires", std::to_string(expires.count()));
  if (!session_token.empty()) AppendParam(query, "X-Amz-Security-Token", session_token);
  AppendParam(query, "X-Amz-SignedHeaders", "host");
  http::Headers headers;
  headers.Add("host", std::string(host));
  std::string cr = CanonicalRequest(method, CanonicalUri(path, service == "s3"), CanonicalQueryString(query),
                                    CanonicalHeaders(headers, {"host"}), "host", kUnsignedPayload);
  std::string signature =
      HexEncode(HmacSha256(SigningKey(secret, date, region, service), StringToSign(timestamp, scope, cr)));
  AppendParam(query, "X-Amz-Signature", signature);
  return std::string(url.substr(0, path_start == std::string_view::npos ? url.size() : path_start)) + path +
         "?" + query;
}

std::string ChunkSignature(std::string_view signing_key, std::string_view timestamp, std::string_view scope,
                           std::string_view previous_signature, std::string_view chunk_data) {
  std::string sts = "AWS4-HMAC-SHA256-PAYLOAD\n";
  sts.append(timestamp).append("\n").append(scope).append("\n").append(previous_signature).append("\n");
  sts.append(kEmptySha256).append("\n").append(Sha256Hex(chunk_data));
  return HexEncode(HmacSha256(signing_key, sts));
}

std::string TrailerSignature(std::string_view signing_key, std::string_view timestamp, std::string_view scope,
                             std::string_view previous_signature, std::string_view canonical_trailers) {
  std::string sts = "AWS4-HMAC-SHA256-TRAILER\n";
  sts.append(timestamp).append("\n").append(scope).append("\n").append(previous_signature).append("\n");
  sts.append(Sha256Hex(canonical_trailers));
  return HexEncode(HmacSha256(signing_key, sts));
}

}  // namespace cenote::aws::sigv4
