// Fuzzes SigV4/SigV2 request parsing: the input is "<authorization>\n<target>\n<name>:<value>\n...", run
// through PeekScope and Authenticate (all three error styles) against a known key, then the body is drained.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "aws/sigv4/canonical.hpp"
#include "aws/sigv4/sigv4.hpp"
#include "http/message.hpp"

namespace {

using namespace cenote;

using cenote::http::StringReader;

class OneKey final : public aws::sigv4::CredentialProvider {
 public:
  std::optional<aws::sigv4::SecretRecord> Lookup(std::string_view akid) const override {
    if (akid != "AKIDEXAMPLE" && akid != "AKIDTOKEN") return std::nullopt;
    aws::sigv4::SecretRecord r;
    r.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    if (akid == "AKIDTOKEN") r.session_token = "token";
    return r;
  }
};

std::string_view NextLine(std::string_view& rest) {
  std::size_t nl = rest.find('\n');
  std::string_view line = rest.substr(0, nl);
  rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
  return line;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string_view rest = input;
  std::string auth(NextLine(rest));
  std::string target(NextLine(rest));
  (void)aws::sigv4::CanonicalUri(target, true);
  (void)aws::sigv4::CanonicalUri(target, false);
  (void)aws::sigv4::CanonicalQueryString(target);
  static const OneKey kCredentials;
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
    options.now = [] { return std::chrono::system_clock::from_time_t(1440938160); };  // 20150830T123600Z
    auto principal = aws::sigv4::Authenticate(request, kCredentials, options);
    if (principal.ok()) {
      char buf[512];
      for (int i = 0; i < 100000; ++i) {
        auto r = request.body->Read(buf, sizeof buf);
        if (!r.ok() || *r == 0) break;
      }
    }
  }
  return 0;
}
