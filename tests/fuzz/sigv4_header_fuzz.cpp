// Fuzzes SigV4/SigV2 request authentication in two ways, chosen by the first input byte:
//  - raw (3 in 4 inputs): the input is "<authorization>\n<target>\n<name>:<value>\n...<body>", run through
//    PeekScope and Authenticate (all three error styles) against a known key, then the body is drained;
//  - signed (first byte % 4 == 0): "<control><target>\n<name>:<value>\n...<body>" becomes a request signed
//    with the known key, by header (payload hash, UNSIGNED-PAYLOAD or one of the three aws-chunked
//    streaming forms, whose body is then a correctly signed chunk stream of the fuzz body) or as a
//    presigned URL. Such a request must authenticate and its body must read back as sent: any failure is a
//    disagreement between our signer and our verifier, and aborts.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "aws/sigv4/canonical.hpp"
#include "aws/sigv4/sigv4.hpp"
#include "fuzz_signing.hpp"
#include "http/message.hpp"

namespace {

using namespace cenote;

using cenote::http::StringReader;

constexpr std::time_t kSignedAt = 1440938160;  // 20150830T123600Z

std::string_view NextLine(std::string_view& rest) {
  std::size_t nl = rest.find('\n');
  std::string_view line = rest.substr(0, nl);
  rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
  return line;
}

std::chrono::system_clock::time_point SignedAt() { return std::chrono::system_clock::from_time_t(kSignedAt); }

void FuzzRaw(std::string_view input) {
  std::string_view rest = input;
  std::string auth(NextLine(rest));
  std::string target(NextLine(rest));
  (void)aws::sigv4::CanonicalUri(target, true);
  (void)aws::sigv4::CanonicalUri(target, false);
  (void)aws::sigv4::CanonicalQueryString(target);
  static const fuzz::OneKey kCredentials;
  for (auto style :
       {aws::sigv4::ErrorStyle::kS3, aws::sigv4::ErrorStyle::kJson, aws::sigv4::ErrorStyle::kQuery}) {
    http::HttpRequest request;
    request.method = "PUT";
    request.target = target;
    if (!auth.empty()) request.headers.Add("Authorization", auth);
    std::string_view headers = rest;
    for (int i = 0; i < 32 && !headers.empty(); ++i) {
      std::string_view line = NextLine(headers);
      std::size_t colon = line.find(':');
      if (colon == std::string_view::npos) break;
      request.headers.Add(std::string(line.substr(0, colon)), std::string(line.substr(colon + 1)));
    }
    request.body = std::make_unique<StringReader>(std::string(headers));
    (void)aws::sigv4::PeekScope(request);
    aws::sigv4::AuthOptions options;
    options.style = style;
    options.now = [] { return SignedAt(); };
    auto principal = aws::sigv4::Authenticate(request, kCredentials, options);
    if (principal.ok()) (void)fuzz::DrainBody(*request.body);
  }
}

// What the HTTP/1 codec lets through: token names, values without controls other than tab.
bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
    if (!ok || c == '\0') return false;
  }
  return true;
}
bool IsFieldValue(std::string_view s) {
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return false;
  }
  return true;
}

[[noreturn]] void Disagree(const char* what, const Error& e) {
  std::fprintf(stderr, "signed request: %s: %s: %s\n", what, e.code.c_str(), e.message.c_str());
  std::abort();
}

// control bits (the low two are 0): 2-3 method, 4 service (s3 or a JSON one), 5 session token, 6-7 form.
void FuzzSigned(unsigned control, std::string_view input) {
  std::string_view rest = input;
  // The target as the HTTP/1 codec would pass it: no controls or spaces, and an origin-form path.
  std::string target(NextLine(rest));
  for (char& c : target) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) c = '_';
  }
  if (target.empty() || target.front() != '/') target.insert(0, "/");

  http::HttpRequest request;
  static const char* const kMethods[] = {"PUT", "GET", "POST", "DELETE"};
  request.method = kMethods[(control >> 2) & 3];
  request.headers.Add("Host", "localhost");
  std::string_view headers = rest;
  for (int i = 0; i < 16 && !headers.empty(); ++i) {
    std::string_view line = NextLine(headers);
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) break;
    std::string_view name = line.substr(0, colon);
    std::string_view value = line.substr(colon + 1);
    // One Host, as the HTTP/1 codec allows: a presigned URL signs the one it was made for.
    if (IsToken(name) && IsFieldValue(value) && !cenote::EqualsIgnoreAsciiCase(name, "host")) {
      request.headers.Add(std::string(name), std::string(value));
    }
  }
  const std::string payload(headers);

  const bool s3 = (control & 0x10) == 0;
  const std::string service = s3 ? "s3" : "kinesis";
  const bool token = (control & 0x20) != 0;
  const std::string akid = token ? "AKIDTOKEN" : "AKIDEXAMPLE";
  const std::string session_token = token ? "token" : "";
  aws::sigv4::AuthOptions options;
  options.style = s3 ? aws::sigv4::ErrorStyle::kS3 : aws::sigv4::ErrorStyle::kJson;
  options.now = [] { return SignedAt() + std::chrono::seconds(1); };
  const unsigned form = (control >> 6) & 3;
  std::string expected_body = payload;

  if (form == 3) {
    // Presigned URL: only the host is signed; the query carries the rest (what the target had is dropped,
    // since a second X-Amz-Signature would be a different request).
    std::string path = target.substr(0, target.find('?'));
    std::string url =
        aws::sigv4::PresignUrl(request.method, "http://localhost" + path, akid, fuzz::kFuzzSecret,
                               "us-east-1", service, SignedAt(), std::chrono::seconds(3600), session_token);
    request.target = url.substr(std::strlen("http://localhost"));
    request.headers.Remove("authorization");
    request.body = std::make_unique<StringReader>(payload);
  } else {
    request.target = target;
    // Signed header forms: the payload's hash, UNSIGNED-PAYLOAD, or aws-chunked streaming (S3 only).
    enum {
      kHash,
      kUnsigned,
      kStreaming
    } payload_form = form == 0   ? kHash
                     : form == 1 ? kUnsigned
                                 : kStreaming;
    if (!s3 && payload_form == kStreaming) payload_form = kHash;
    std::string payload_hash = payload_form == kHash ? Sha256Hex(payload) : "UNSIGNED-PAYLOAD";
    aws::sigv4::StreamingMode mode = aws::sigv4::StreamingMode::kSigned;
    std::string trailer;
    if (payload_form == kStreaming) {
      static const char* const kForms[] = {"STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
                                           "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
                                           "STREAMING-UNSIGNED-PAYLOAD-TRAILER"};
      unsigned which = payload.size() % 3;
      payload_hash = kForms[which];
      mode = which == 0   ? aws::sigv4::StreamingMode::kSigned
             : which == 1 ? aws::sigv4::StreamingMode::kSignedTrailer
                          : aws::sigv4::StreamingMode::kUnsignedTrailer;
      trailer = which == 0 ? "" : "x-amz-checksum-crc32";
      request.headers.Set("Content-Encoding", "aws-chunked");
      request.headers.Set("x-amz-decoded-content-length", std::to_string(payload.size()));
      if (trailer.empty()) {
        request.headers.Remove("x-amz-trailer");
      } else {
        request.headers.Set("x-amz-trailer", trailer);
      }
    }
    aws::sigv4::SignRequest(request, akid, fuzz::kFuzzSecret, "us-east-1", service, SignedAt(), payload_hash,
                            session_token);
    std::string body = payload;
    if (payload_form == kStreaming) {
      std::string auth(*request.headers.Get("authorization"));
      std::string date = aws::sigv4::FormatAmzDate(SignedAt());
      aws::sigv4::ChunkSigningContext signing{
          aws::sigv4::SigningKey(fuzz::kFuzzSecret, date.substr(0, 8), "us-east-1", service), date,
          date.substr(0, 8) + "/us-east-1/" + service + "/aws4_request",
          auth.substr(auth.rfind("Signature=") + std::strlen("Signature="))};
      std::size_t chunk = 1 + (payload.empty() ? 0 : static_cast<unsigned char>(payload[0]) % 64);
      body = fuzz::FrameAwsChunked(
          payload, chunk, mode == aws::sigv4::StreamingMode::kUnsignedTrailer ? nullptr : &signing, trailer);
    }
    request.body = std::make_unique<StringReader>(std::move(body));
  }

  static const fuzz::OneKey kCredentials;
  (void)aws::sigv4::PeekScope(request);
  auto principal = aws::sigv4::Authenticate(request, kCredentials, options);
  if (!principal.ok()) Disagree("refused", principal.error());
  Result<std::string> read = fuzz::DrainBody(*request.body);
  if (!read.ok()) Disagree("body refused", read.error());
  if (*read != expected_body) Disagree("body changed", InternalError());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  if (size > 0 && data[0] % 4 == 0) {
    FuzzSigned(data[0], input.substr(1));
  } else {
    FuzzRaw(input);
  }
  return 0;
}
