#include "aws/sigv4/sigv4.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <sstream>

#include "aws/sigv4/canonical.hpp"
#include "common/encoding.hpp"
#include "test_util.hpp"

namespace cenote::aws::sigv4 {
namespace {

using testing::At;
using testing::Drain;
using testing::FakeCredentials;
using testing::MakeRequest;
using testing::OptionsAt;

constexpr char kSuiteSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr char kDocSecret[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

// ---- AWS's published SigV4 test suite (aws-sig-v4-test-suite), service "service", us-east-1. ----

struct SuiteCase {
  const char* name;
  const char* method;
  const char* target;
  std::vector<std::pair<std::string, std::string>> extra_headers;
  const char* body;
  const char* signature;
};

const std::vector<SuiteCase>& SuiteCases() {
  static const std::vector<SuiteCase> kCases = {
      {"get-vanilla", "GET", "/", {}, "", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
      {"get-vanilla-query-order-key",
       "GET",
       "/?Param1=value2&Param1=Value1",
       {},
       "",
       "eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1"},
      {"get-vanilla-query-order-key-case",
       "GET",
       "/?Param2=value2&Param1=value1",
       {},
       "",
       "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
      {"get-vanilla-query-order-value",
       "GET",
       "/?Param1=value2&Param1=value1",
       {},
       "",
       "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694"},
      {"get-vanilla-empty-query-key",
       "GET",
       "/?Param1=value1",
       {},
       "",
       "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb"},
      {"get-vanilla-utf8-query",
       "GET",
       "/?\xe1\x88\xb4=bar",
       {},
       "",
       "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"},
      {"get-header-value-trim",
       "GET",
       "/",
       {{"My-Header1", " value1"}, {"My-Header2", " \"a   b   c\""}},
       "",
       "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
      {"post-vanilla",
       "POST",
       "/",
       {},
       "",
       "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
      {"post-vanilla-query",
       "POST",
       "/?Param1=value1",
       {},
       "",
       "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"},
      {"post-header-key-sort",
       "POST",
       "/",
       {{"My-Header1", "value1"}},
       "",
       "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"},
      {"post-header-value-case",
       "POST",
       "/",
       {{"My-Header1", "VALUE1"}},
       "",
       "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"},
      {"post-x-www-form-urlencoded",
       "POST",
       "/",
       {{"Content-Type", "application/x-www-form-urlencoded"}},
       "Param1=value1",
       "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"},
      {"get-space",
       "GET",
       "/example space/",
       {},
       "",
       "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"},
      {"get-utf8",
       "GET",
       "/\xe1\x88\xb4",
       {},
       "",
       "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"},
      {"get-unreserved",
       "GET",
       "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
       {},
       "",
       "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"},
      {"normalize-path/get-slash",
       "GET",
       "//",
       {},
       "",
       "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
      {"normalize-path/get-slash-dot-slash",
       "GET",
       "/./",
       {},
       "",
       "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
      {"normalize-path/get-relative",
       "GET",
       "/example/..",
       {},
       "",
       "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
      {"normalize-path/get-relative-relative",
       "GET",
       "/example1/example2/../..",
       {},
       "",
       "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
      {"normalize-path/get-slashes",
       "GET",
       "//example//",
       {},
       "",
       "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84"},
      {"normalize-path/get-slash-pointless-dot",
       "GET",
       "/./example",
       {},
       "",
       "ef75d96142cf21edca26f06005da7988e4f8dc83a165a80865db7089db637ec5"},
  };
  return kCases;
}

http::HttpRequest SuiteRequest(const SuiteCase& c, std::string_view signature) {
  std::vector<std::pair<std::string, std::string>> headers = {{"Host", "example.amazonaws.com"},
                                                              {"X-Amz-Date", "20150830T123600Z"}};
  std::vector<std::string> names = {"host", "x-amz-date"};
  for (const auto& [k, v] : c.extra_headers) {
    headers.emplace_back(k, v);
    std::string lower = k;
    for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    names.push_back(lower);
  }
  std::sort(names.begin(), names.end());
  std::string signed_headers;
  for (const auto& n : names) signed_headers += (signed_headers.empty() ? "" : ";") + n;
  headers.emplace_back("Authorization",
                       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                       "SignedHeaders=" +
                           signed_headers + ", Signature=" + std::string(signature));
  return MakeRequest(c.method, c.target, headers, c.body);
}

class SigV4Test : public ::testing::Test {
 protected:
  void SetUp() override {
    creds_.Add("AKIDEXAMPLE", kSuiteSecret);
    creds_.Add("AKIAIOSFODNN7EXAMPLE", kDocSecret);
  }
  FakeCredentials creds_;
};

TEST_F(SigV4Test, AwsTestSuite) {
  auto options = OptionsAt(At(2015, 8, 30, 12, 40, 0), ErrorStyle::kJson);
  for (const auto& c : SuiteCases()) {
    auto request = SuiteRequest(c, c.signature);
    auto principal = Authenticate(request, creds_, options);
    ASSERT_TRUE(principal.ok()) << c.name << ": " << principal.error().code << " "
                                << principal.error().message;
    EXPECT_EQ(principal->access_key_id, "AKIDEXAMPLE");
    auto body = Drain(*request.body);
    ASSERT_TRUE(body.ok());
    EXPECT_EQ(*body, c.body) << c.name;

    // Any other signature must fail.
    std::string wrong = c.signature;
    wrong[10] = wrong[10] == '0' ? '1' : '0';
    auto tampered = SuiteRequest(c, wrong);
    auto bad = Authenticate(tampered, creds_, options);
    ASSERT_FALSE(bad.ok()) << c.name;
    EXPECT_EQ(bad.error().code, "InvalidSignatureException");
    EXPECT_EQ(bad.error().http_status, 400);
  }
}

TEST_F(SigV4Test, SuiteRequestWithTamperedBodyFails) {
  SuiteCase c = SuiteCases()[11];  // post-x-www-form-urlencoded
  ASSERT_STREQ(c.name, "post-x-www-form-urlencoded");
  c.body = "Param1=value2";
  auto request = SuiteRequest(c, c.signature);
  auto r = Authenticate(request, creds_, OptionsAt(At(2015, 8, 30, 12, 36, 0), ErrorStyle::kQuery));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "SignatureDoesNotMatch");
  EXPECT_EQ(r.error().http_status, 403);
}

// ---- S3 documentation examples (AKIAIOSFODNN7EXAMPLE, 20130524). ----

TEST_F(SigV4Test, S3DocGetObjectExample) {
  auto request = MakeRequest(
      "GET", "/test.txt",
      {{"Host", "examplebucket.s3.amazonaws.com"},
       {"Range", "bytes=0-9"},
       {"x-amz-content-sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
       {"x-amz-date", "20130524T000000Z"},
       {"Authorization",
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"}});
  auto r = Authenticate(request, creds_, OptionsAt(At(2013, 5, 24, 0, 5, 0), ErrorStyle::kS3));
  ASSERT_TRUE(r.ok()) << r.error().code << " " << r.error().message;
  EXPECT_TRUE(Drain(*request.body).ok());
}

TEST_F(SigV4Test, S3DocPresignedExample) {
  const std::string url =
      "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
      "AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-"
      "Expires=86400&"
      "X-Amz-SignedHeaders=host&X-Amz-Signature="
      "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";
  EXPECT_EQ(PresignUrl("GET", "https://examplebucket.s3.amazonaws.com/test.txt", "AKIAIOSFODNN7EXAMPLE",
                       kDocSecret, "us-east-1", "s3", At(2013, 5, 24, 0, 0, 0), std::chrono::seconds(86400)),
            url);
  std::string target = url.substr(url.find("/test.txt"));
  {
    auto request = MakeRequest("GET", target, {{"Host", "examplebucket.s3.amazonaws.com"}});
    auto r = Authenticate(request, creds_, OptionsAt(At(2013, 5, 24, 23, 0, 0), ErrorStyle::kS3));
    ASSERT_TRUE(r.ok()) << r.error().code << " " << r.error().message;
  }
  {  // One second past X-Amz-Date + X-Amz-Expires.
    auto request = MakeRequest("GET", target, {{"Host", "examplebucket.s3.amazonaws.com"}});
    auto r = Authenticate(request, creds_, OptionsAt(At(2013, 5, 25, 0, 0, 1), ErrorStyle::kS3));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, "AccessDenied");
    EXPECT_EQ(r.error().message, "Request has expired");
    EXPECT_EQ(r.error().http_status, 403);
  }
  {  // Signed for another host.
    auto request = MakeRequest("GET", target, {{"Host", "otherbucket.s3.amazonaws.com"}});
    auto r = Authenticate(request, creds_, OptionsAt(At(2013, 5, 24, 1, 0, 0), ErrorStyle::kS3));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, "SignatureDoesNotMatch");
  }
}

TEST_F(SigV4Test, PresignExpiresOverAWeekIsRejected) {
  std::string url = PresignUrl("GET", "http://localhost/b/k", "AKIDEXAMPLE", kSuiteSecret, "us-east-1", "s3",
                               At(2024, 1, 1, 0, 0, 0), std::chrono::seconds(604801));
  auto request = MakeRequest("GET", url.substr(url.find("/b/k")), {{"Host", "localhost"}});
  auto r = Authenticate(request, creds_, OptionsAt(At(2024, 1, 1, 0, 0, 0), ErrorStyle::kS3));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "AuthorizationQueryParametersError");
  EXPECT_EQ(r.error().http_status, 400);
}

// ---- Requests signed by botocore (gen_botocore_vectors.py). ----

ErrorStyle StyleOf(std::string_view s) {
  if (s == "s3") return ErrorStyle::kS3;
  if (s == "json") return ErrorStyle::kJson;
  return ErrorStyle::kQuery;
}

struct Vector {
  std::string name, style, akid, secret, token, method, target, body;
  std::int64_t now = 0;
  std::vector<std::pair<std::string, std::string>> headers;
};

std::vector<Vector> LoadVectors() {
  std::ifstream in(std::string(SIGV4_FIXTURE_DIR) + "/botocore_vectors.json");
  std::stringstream ss;
  ss << in.rdbuf();
  std::vector<Vector> out;
  const boost::json::value root = boost::json::parse(ss.str());
  for (const auto& v : root.as_array()) {
    const auto& o = v.as_object();
    Vector x;
    x.name = o.at("name").as_string().c_str();
    x.style = o.at("style").as_string().c_str();
    x.akid = o.at("akid").as_string().c_str();
    x.secret = o.at("secret").as_string().c_str();
    x.token = o.at("token").as_string().c_str();
    x.method = o.at("method").as_string().c_str();
    x.target = o.at("target").as_string().c_str();
    x.now = o.at("now").as_int64();
    x.body = *Base64Decode(o.at("body_b64").as_string().c_str());
    for (const auto& h : o.at("headers").as_array()) {
      x.headers.emplace_back(h.as_array()[0].as_string().c_str(), h.as_array()[1].as_string().c_str());
    }
    out.push_back(std::move(x));
  }
  return out;
}

TEST(BotocoreVectors, AllVerify) {
  auto vectors = LoadVectors();
  ASSERT_GE(vectors.size(), 14u);
  for (const auto& v : vectors) {
    FakeCredentials creds;
    creds.Add(v.akid, v.secret, v.token);
    auto now = std::chrono::system_clock::from_time_t(v.now) + std::chrono::seconds(30);
    auto options = OptionsAt(now, StyleOf(v.style));
    {
      auto request = MakeRequest(v.method, v.target, v.headers, v.body, {3, 1000});
      auto r = Authenticate(request, creds, options);
      ASSERT_TRUE(r.ok()) << v.name << ": " << r.error().code << " " << r.error().message;
      auto body = Drain(*request.body, 7);
      ASSERT_TRUE(body.ok()) << v.name << ": " << body.error().code;
      EXPECT_EQ(*body, v.body) << v.name;
    }
    {  // Same request, another secret.
      FakeCredentials wrong;
      wrong.Add(v.akid, v.secret + "x", v.token);
      auto request = MakeRequest(v.method, v.target, v.headers, v.body);
      auto r = Authenticate(request, wrong, options);
      ASSERT_FALSE(r.ok()) << v.name;
      EXPECT_TRUE(r.error().code == "SignatureDoesNotMatch" || r.error().code == "InvalidSignatureException")
          << v.name << " " << r.error().code;
    }
    if (!v.token.empty()) {  // Temporary credentials need their own token.
      FakeCredentials other_token;
      other_token.Add(v.akid, v.secret, v.token + "x");
      auto request = MakeRequest(v.method, v.target, v.headers, v.body);
      auto r = Authenticate(request, other_token, options);
      ASSERT_FALSE(r.ok()) << v.name;
    }
    {  // Unknown key.
      FakeCredentials none;
      auto request = MakeRequest(v.method, v.target, v.headers, v.body);
      auto r = Authenticate(request, none, options);
      ASSERT_FALSE(r.ok());
      const char* expected = v.style == "s3"     ? "InvalidAccessKeyId"
                             : v.style == "json" ? "UnrecognizedClientException"
                                                 : "InvalidClientTokenId";
      EXPECT_EQ(r.error().code, expected) << v.name;
    }
  }
}

TEST(BotocoreVectors, SignedPayloadMismatchFailsAtEndOfBody) {
  for (const auto& v : LoadVectors()) {
    if (v.name != "s3-put-signed-payload") continue;
    FakeCredentials creds;
    creds.Add(v.akid, v.secret);
    std::string body = v.body;
    body[5] ^= 1;
    auto request = MakeRequest(v.method, v.target, v.headers, body);
    auto r = Authenticate(request, creds,
                          OptionsAt(std::chrono::system_clock::from_time_t(v.now), ErrorStyle::kS3));
    ASSERT_TRUE(r.ok());  // the head is fine; the body is checked as it streams
    auto drained = Drain(*request.body);
    ASSERT_FALSE(drained.ok());
    EXPECT_EQ(drained.error().code, "XAmzContentSHA256Mismatch");
    EXPECT_EQ(drained.error().http_status, 400);
    return;
  }
  FAIL() << "vector missing";
}

TEST(BotocoreVectors, SigV2PresignExpires) {
  for (const auto& v : LoadVectors()) {
    if (v.name != "s3-sigv2-presign") continue;
    FakeCredentials creds;
    creds.Add(v.akid, v.secret);
    auto request = MakeRequest(v.method, v.target, v.headers, v.body);
    // botocore signed with Expires = now + 3600.
    auto r = Authenticate(request, creds,
                          OptionsAt(std::chrono::system_clock::from_time_t(v.now + 3601), ErrorStyle::kS3));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, "AccessDenied");
    EXPECT_EQ(r.error().message, "Request has expired");
    return;
  }
  FAIL() << "vector missing";
}

// Clients that send reserved characters unencoded sign the path as sent; S3 accepts both forms.
TEST_F(SigV4Test, S3PathSignedAsSent) {
  auto now = At(2024, 6, 1, 8, 0, 0);
  const std::string raw_path = "/bucket/it's(1)!.txt";
  std::string scope = "20240601/us-east-1/s3/aws4_request";
  http::Headers h;
  h.Add("host", "localhost");
  h.Add("x-amz-content-sha256", "UNSIGNED-PAYLOAD");
  h.Add("x-amz-date", "20240601T080000Z");
  std::vector<std::string> names = {"host", "x-amz-content-sha256", "x-amz-date"};
  std::string cr = CanonicalRequest("GET", raw_path, "", CanonicalHeaders(h, names),
                                    "host;x-amz-content-sha256;x-amz-date", "UNSIGNED-PAYLOAD");
  std::string sig = HexEncode(HmacSha256(SigningKey(kSuiteSecret, "20240601", "us-east-1", "s3"),
                                         StringToSign("20240601T080000Z", scope, cr)));
  auto request = MakeRequest("GET", raw_path,
                             {{"Host", "localhost"},
                              {"x-amz-content-sha256", "UNSIGNED-PAYLOAD"},
                              {"x-amz-date", "20240601T080000Z"},
                              {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/" + scope +
                                                    ", SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
                                                    "Signature=" +
                                                    sig}});
  auto r = Authenticate(request, creds_, OptionsAt(now, ErrorStyle::kS3));
  EXPECT_TRUE(r.ok()) << r.error().code;
}

// ---- Clock skew, missing auth, malformed headers. ----

TEST_F(SigV4Test, ClockSkew) {
  const auto when = At(2024, 3, 1, 10, 0, 0);
  for (auto style : {ErrorStyle::kS3, ErrorStyle::kJson, ErrorStyle::kQuery}) {
    for (int minutes : {-16, 16}) {
      http::HttpRequest request = MakeRequest("GET", "/", {{"Host", "localhost"}});
      SignRequest(request, "AKIDEXAMPLE", kSuiteSecret, "us-east-1", "s3", when, Sha256Hex(""));
      auto r = Authenticate(request, creds_, OptionsAt(when + std::chrono::minutes(minutes), style));
      ASSERT_FALSE(r.ok());
      if (style == ErrorStyle::kS3) {
        EXPECT_EQ(r.error().code, "RequestTimeTooSkewed");
        EXPECT_EQ(r.error().http_status, 403);
        EXPECT_EQ(r.error().message,
                  "The difference between the request time and the current time is too large.");
      } else {
        EXPECT_EQ(r.error().code,
                  style == ErrorStyle::kJson ? "InvalidSignatureException" : "SignatureDoesNotMatch");
        EXPECT_EQ(
            r.error().message.rfind(minutes > 0 ? "Signature expired: " : "Signature not yet current: ", 0),
            0u)
            << r.error().message;
      }
    }
    http::HttpRequest request = MakeRequest("GET", "/", {{"Host", "localhost"}});
    SignRequest(request, "AKIDEXAMPLE", kSuiteSecret, "us-east-1", "s3", when, Sha256Hex(""));
    EXPECT_TRUE(Authenticate(request, creds_, OptionsAt(when + std::chrono::minutes(14), style)).ok());
  }
}

TEST_F(SigV4Test, NoAuthentication) {
  struct Expect {
    ErrorStyle style;
    const char* code;
    int status;
  };
  for (auto e : {Expect{ErrorStyle::kS3, "AccessDenied", 403},
                 Expect{ErrorStyle::kJson, "MissingAuthenticationTokenException", 400},
                 Expect{ErrorStyle::kQuery, "MissingAuthenticationToken", 403}}) {
    auto request = MakeRequest("GET", "/bucket/key", {{"Host", "localhost"}});
    auto r = Authenticate(request, creds_, OptionsAt(At(2024, 1, 1, 0, 0, 0), e.style));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, e.code);
    EXPECT_EQ(r.error().http_status, e.status);
  }
  auto options = OptionsAt(At(2024, 1, 1, 0, 0, 0), ErrorStyle::kS3);
  options.allow_anonymous = true;
  auto request = MakeRequest("GET", "/bucket/key", {{"Host", "localhost"}});
  auto r = Authenticate(request, creds_, options);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->anonymous);
}

TEST_F(SigV4Test, MalformedAuthorization) {
  auto now = At(2024, 1, 1, 0, 0, 0);
  for (const char* auth :
       {"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/s3/aws4_request",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/2024/us-east-1/s3, SignedHeaders=host, Signature=00",
        "AWS4-HMAC-SHA256"}) {
    auto request = MakeRequest(
        "GET", "/", {{"Host", "localhost"}, {"X-Amz-Date", "20240101T000000Z"}, {"Authorization", auth}});
    auto r = Authenticate(request, creds_, OptionsAt(now, ErrorStyle::kS3));
    ASSERT_FALSE(r.ok()) << auth;
    EXPECT_EQ(r.error().code, "AuthorizationHeaderMalformed") << auth;
    EXPECT_EQ(r.error().http_status, 400);
    auto request2 = MakeRequest(
        "GET", "/", {{"Host", "localhost"}, {"X-Amz-Date", "20240101T000000Z"}, {"Authorization", auth}});
    auto r2 = Authenticate(request2, creds_, OptionsAt(now, ErrorStyle::kJson));
    ASSERT_FALSE(r2.ok());
    EXPECT_EQ(r2.error().code, "IncompleteSignatureException");
  }
  // Credential date differs from X-Amz-Date.
  auto request = MakeRequest("GET", "/", {{"Host", "localhost"}});
  SignRequest(request, "AKIDEXAMPLE", kSuiteSecret, "us-east-1", "s3", now, Sha256Hex(""));
  request.headers.Set("X-Amz-Date", "20240102T000000Z");
  auto r = Authenticate(request, creds_, OptionsAt(now, ErrorStyle::kS3));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "AuthorizationHeaderMalformed");
  // S3 requires x-amz-content-sha256 with header auth.
  auto request3 = MakeRequest("GET", "/", {{"Host", "localhost"}});
  SignRequest(request3, "AKIDEXAMPLE", kSuiteSecret, "us-east-1", "s3", now, Sha256Hex(""));
  request3.headers.Remove("x-amz-content-sha256");
  auto r3 = Authenticate(request3, creds_, OptionsAt(now, ErrorStyle::kS3));
  ASSERT_FALSE(r3.ok());
  EXPECT_EQ(r3.error().code, "InvalidRequest");
}

TEST_F(SigV4Test, SignRequestRoundTripWithAwkwardKey) {
  auto now = At(2024, 6, 1, 8, 0, 0);
  std::string body = "payload";
  auto request =
      MakeRequest("PUT", "/bucket/a%20b/%E2%82%AC%2B%21.txt?x-id=PutObject",
                  {{"Host", "127.0.0.1:9000"}, {"Content-Type", "text/plain"}, {"User-Agent", "t"}}, body);
  SignRequest(request, "AKIDEXAMPLE", kSuiteSecret, "eu-central-1", "s3", now, Sha256Hex(body), "");
  auto r = Authenticate(request, creds_, OptionsAt(now, ErrorStyle::kS3));
  ASSERT_TRUE(r.ok()) << r.error().code << " " << r.error().message;
  auto got = Drain(*request.body);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, body);
  // Changing a signed header breaks the signature; S3 echoes the string to sign.
  auto request2 =
      MakeRequest("PUT", "/bucket/k", {{"Host", "127.0.0.1:9000"}, {"Content-Type", "text/plain"}}, body);
  SignRequest(request2, "AKIDEXAMPLE", kSuiteSecret, "eu-central-1", "s3", now, Sha256Hex(body), "");
  request2.headers.Set("Content-Type", "text/html");
  auto r2 = Authenticate(request2, creds_, OptionsAt(now, ErrorStyle::kS3));
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error().code, "SignatureDoesNotMatch");
  bool has_sts = false;
  for (const auto& [k, v] : r2.error().fields) has_sts = has_sts || (k == "StringToSign" && !v.empty());
  EXPECT_TRUE(has_sts);
}

TEST(PeekScope, HeaderAndQuery) {
  auto request = MakeRequest("GET", "/", {{"Host", "h"}});
  SignRequest(request, "AKID", "secret", "eu-west-3", "dynamodb", At(2024, 2, 29, 1, 2, 3), Sha256Hex(""));
  auto scope = PeekScope(request);
  ASSERT_TRUE(scope.has_value());
  EXPECT_EQ(scope->access_key_id, "AKID");
  EXPECT_EQ(scope->date, "20240229");
  EXPECT_EQ(scope->region, "eu-west-3");
  EXPECT_EQ(scope->service, "dynamodb");
  std::string url = PresignUrl("GET", "http://h/b/k", "AKID2", "s", "ap-south-1", "s3",
                               At(2024, 2, 29, 1, 2, 3), std::chrono::seconds(60));
  auto presigned = MakeRequest("GET", url.substr(url.find("/b/k")), {{"Host", "h"}});
  auto scope2 = PeekScope(presigned);
  ASSERT_TRUE(scope2.has_value());
  EXPECT_EQ(scope2->access_key_id, "AKID2");
  EXPECT_EQ(scope2->region, "ap-south-1");
  EXPECT_EQ(scope2->service, "s3");
  auto anonymous = MakeRequest("GET", "/", {{"Authorization", "AWS AKID:sig"}});
  EXPECT_FALSE(PeekScope(anonymous).has_value());
  // The first parameter named X-Amz-Credential after decoding wins, as in ParseQuery.
  auto encoded_name = MakeRequest(
      "GET", "/b/k?x=1&X-Amz-%43redential=K1%2F20240229%2Fus-west-2%2Fs3%2Faws4_request&X-Amz-Credential=K2",
      {{"Host", "h"}});
  auto scope3 = PeekScope(encoded_name);
  ASSERT_TRUE(scope3.has_value());
  EXPECT_EQ(scope3->access_key_id, "K1");
  EXPECT_EQ(scope3->region, "us-west-2");
  auto bad = MakeRequest("GET", "/b/k?X-Amz-Credential=nonsense", {{"Host", "h"}});
  EXPECT_FALSE(PeekScope(bad).has_value());
}

// ---- SigV2. ----

// A date past the range the clock can hold is answered as a malformed one, in every form and style.
TEST_F(SigV4Test, FarFutureDatesAnswerTheMalformedDateError) {
  const auto now = At(2024, 1, 1, 0, 0, 0);
  auto error_for = [&](std::string target, std::vector<std::pair<std::string, std::string>> headers,
                       ErrorStyle style, bool sign_v4) {
    headers.emplace_back("Host", "localhost");
    http::HttpRequest request = MakeRequest("GET", target, {});
    if (sign_v4) SignRequest(request, "AKIDEXAMPLE", kSuiteSecret, "us-east-1", "s3", now, Sha256Hex(""));
    for (auto& [k, v] : headers) request.headers.Set(k, v);
    auto r = Authenticate(request, creds_, OptionsAt(now, style));
    EXPECT_FALSE(r.ok()) << target;
    return r.ok() ? Error{} : r.error();
  };
  auto expect_same = [](const Error& got, const Error& malformed, const std::string& what) {
    EXPECT_EQ(got.code, malformed.code) << what;
    EXPECT_EQ(got.message, malformed.message) << what;
    EXPECT_EQ(got.http_status, malformed.http_status) << what;
  };
  for (auto style : {ErrorStyle::kS3, ErrorStyle::kJson, ErrorStyle::kQuery}) {
    // SigV4 header: X-Amz-Date (the credential scope date matches, so only the range can fail it).
    Error bad = error_for("/", {{"X-Amz-Date", "2024010xT000000Z"}}, style, true);
    for (const char* date : {"22000101T000000Z", "22620412T000000Z", "99991231T235959Z"}) {
      expect_same(error_for("/", {{"X-Amz-Date", date}}, style, true), bad, date);
    }
    // SigV4 presigned: X-Amz-Date in the query.
    auto presigned = [](const std::string& date) {
      return "/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F" + date.substr(0, 8) +
             "%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=" + date +
             "&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=00";
    };
    Error bad_query = error_for(presigned("2024010xT000000Z"), {}, style, false);
    EXPECT_EQ(bad_query.code,
              style == ErrorStyle::kS3 ? "AuthorizationQueryParametersError" : bad_query.code);
    for (const char* date : {"22000101T000000Z", "99991231T235959Z"}) {
      expect_same(error_for(presigned(date), {}, style, false), bad_query, date);
    }
  }
  // SigV2 header: Date (and x-amz-date, read as an HTTP date first).
  const std::string v2_auth = "AWS AKIDEXAMPLE:c2lnbmF0dXJl";
  Error bad_v2 = error_for("/b/k", {{"Date", "garbage"}, {"Authorization", v2_auth}}, ErrorStyle::kS3, false);
  EXPECT_EQ(bad_v2.code, "AccessDenied");
  for (const char* date : {"Wed, 01 Jan 2200 00:00:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT"}) {
    expect_same(error_for("/b/k", {{"Date", date}, {"Authorization", v2_auth}}, ErrorStyle::kS3, false),
                bad_v2, date);
    expect_same(error_for("/b/k", {{"X-Amz-Date", date}, {"Authorization", v2_auth}}, ErrorStyle::kS3, false),
                bad_v2, date);
  }
  // SigV2 presigned: Expires, seconds since the epoch. The message names the value, so compare the rest.
  auto v2_query = [](const std::string& expires) {
    return "/b/k?AWSAccessKeyId=AKIDEXAMPLE&Signature=c2lnbmF0dXJl&Expires=" + expires;
  };
  for (const char* expires : {"abc", "7258118400", "9223372037", "9999999999", "99999999999999999999999"}) {
    Error e = error_for(v2_query(expires), {}, ErrorStyle::kS3, false);
    EXPECT_EQ(e.code, "AccessDenied") << expires;
    EXPECT_EQ(e.message, std::string("Invalid date (should be seconds since epoch): ") + expires);
    EXPECT_EQ(e.http_status, 403);
  }
  // The last second in range is a date like any other: checked, then the signature fails.
  EXPECT_EQ(error_for(v2_query("7258118399"), {}, ErrorStyle::kS3, false).code, "SignatureDoesNotMatch");
  EXPECT_EQ(error_for(v2_query("1"), {}, ErrorStyle::kS3, false).message, "Request has expired");
}

// botocore signs a path-style request to a bucket ("GET /bucket?location") over the resource "/bucket/"
// (its auth_path): boto3's default presigned URLs for us-east-1 (SigV2) of ListObjects, ListObjectsV2 and
// GetBucketLocation. Virtual-hosted, "/key" names an object, and a signature over "/key/" does not stand
// for it.
TEST_F(SigV4Test, SigV2PathStyleBucketSignedWithATrailingSlash) {
  const auto now = At(2024, 6, 1, 8, 0, 0);
  const std::string expires = "1717232400";  // now + 1 hour
  auto presigned = [&](const std::string& path, const std::string& query, const std::string& resource) {
    http::Headers none;
    const std::string sts = SigV2StringToSign("GET", none, expires, resource, query);
    const std::string signature = UriEncode(Base64Encode(HmacSha1(kDocSecret, sts)), true);
    return path + "?" + query + (query.empty() ? "" : "&") +
           "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=" + signature + "&Expires=" + expires;
  };
  auto authenticate = [&](const std::string& target, const std::string& host, bool virtual_hosted) {
    auto request = MakeRequest("GET", target, {{"Host", host}});
    AuthOptions options = OptionsAt(now, ErrorStyle::kS3);
    options.virtual_hosted = virtual_hosted;
    return Authenticate(request, creds_, options);
  };
  for (const char* query : {"location", "list-type=2&encoding-type=url", ""}) {
    auto r = authenticate(presigned("/bucket", query, "/bucket/"), "localhost:4566", false);
    EXPECT_TRUE(r.ok()) << query << ": " << r.error().code;
    // Signed as sent, with or without the slash.
    EXPECT_TRUE(authenticate(presigned("/bucket", query, "/bucket"), "localhost:4566", false).ok()) << query;
    EXPECT_TRUE(authenticate(presigned("/bucket/", query, "/bucket/"), "localhost:4566", false).ok())
        << query;
  }
  // An object's path gains no slash, and neither does a virtual-hosted request.
  auto object = authenticate(presigned("/bucket/key", "", "/bucket/key/"), "localhost:4566", false);
  ASSERT_FALSE(object.ok());
  EXPECT_EQ(object.error().code, "SignatureDoesNotMatch");
  auto virtual_hosted = authenticate(presigned("/key", "", "/key/"), "bucket.localhost:4566", true);
  ASSERT_FALSE(virtual_hosted.ok());
  EXPECT_EQ(virtual_hosted.error().code, "SignatureDoesNotMatch");
  EXPECT_TRUE(authenticate(presigned("/key", "", "/bucket/key"), "bucket.localhost:4566", true).ok());
}

TEST_F(SigV4Test, SigV2DocExample) {
  // S3 docs (RESTAuthentication): GET /photos/puppy.jpg on johnsmith.s3.amazonaws.com (virtual-hosted).
  auto request = MakeRequest("GET", "/photos/puppy.jpg",
                             {{"Host", "johnsmith.s3.amazonaws.com"},
                              {"Date", "Tue, 27 Mar 2007 19:36:42 +0000"},
                              {"Authorization", "AWS AKIAIOSFODNN7EXAMPLE:bWq2s1WEIj+Ydj0vQ697zp+IXMU="}});
  auto r = Authenticate(request, creds_, OptionsAt(At(2007, 3, 27, 19, 40, 0), ErrorStyle::kS3));
  ASSERT_TRUE(r.ok()) << r.error().code << " " << r.error().message;
  auto late = MakeRequest("GET", "/photos/puppy.jpg",
                          {{"Host", "johnsmith.s3.amazonaws.com"},
                           {"Date", "Tue, 27 Mar 2007 19:36:42 +0000"},
                           {"Authorization", "AWS AKIAIOSFODNN7EXAMPLE:bWq2s1WEIj+Ydj0vQ697zp+IXMU="}});
  auto r2 = Authenticate(late, creds_, OptionsAt(At(2007, 3, 27, 20, 0, 0), ErrorStyle::kS3));
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error().code, "RequestTimeTooSkewed");
}

// ---- S3 POST uploads: the signature is in the form. ----
namespace post_form {

constexpr char kBoundary[] = "----cenoteFormBoundary";

std::string Field(std::string_view name, std::string_view value) {
  return std::string("--") + kBoundary + "\r\nContent-Disposition: form-data; name=\"" + std::string(name) +
         "\"\r\n\r\n" + std::string(value) + "\r\n";
}

std::string Form(const std::vector<std::pair<std::string, std::string>>& fields, std::string_view file) {
  std::string body;
  for (const auto& [name, value] : fields) body += Field(name, value);
  body += std::string("--") + kBoundary +
          "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\n" +
          std::string(file) + "\r\n--" + kBoundary + "--\r\n";
  return body;
}

http::HttpRequest PostRequest(std::string body) {
  return MakeRequest(
      "POST", "/bucket",
      {{"Host", "localhost"}, {"Content-Type", std::string("multipart/form-data; boundary=") + kBoundary}},
      std::move(body), {5, 100});
}

const std::string kPolicy = Base64Encode(R"({"expiration":"2030-01-01T00:00:00Z","conditions":[]})");

struct PostFormTest : ::testing::Test {
  PostFormTest() { creds.Add("AKID", "secret"); }
  Result<iam::Principal> Run(http::HttpRequest& r, bool anonymous = false) {
    AuthOptions o = OptionsAt(At(2026, 1, 1, 0, 0, 0), ErrorStyle::kS3);
    o.allow_anonymous = anonymous;
    return Authenticate(r, creds, o);
  }
  FakeCredentials creds;
};

TEST_F(PostFormTest, SigV2FormIsVerifiedAndTheBodyReplayedWhole) {
  const std::string body = Form({{"key", "k"},
                                 {"AWSAccessKeyId", "AKID"},
                                 {"pOLICy", kPolicy},
                                 {"signature", Base64Encode(HmacSha1("secret", kPolicy))}},
                                std::string(100'000, 'z'));
  auto r = PostRequest(body);
  auto p = Run(r);
  ASSERT_TRUE(p.ok()) << p.error().code << ": " << p.error().message;
  EXPECT_EQ(p->access_key_id, "AKID");
  EXPECT_FALSE(p->anonymous);
  auto replayed = Drain(*r.body, 333);
  ASSERT_TRUE(replayed.ok());
  EXPECT_EQ(*replayed, body);
  EXPECT_EQ(r.body->Length(), body.size());
}

TEST_F(PostFormTest, SigV4FormIsVerified) {
  const std::string key = SigningKey("secret", "20260101", "us-east-1", "s3");
  auto form = [&](std::string signature) {
    return Form({{"key", "k"},
                 {"x-amz-algorithm", "AWS4-HMAC-SHA256"},
                 {"x-amz-credential", "AKID/20260101/us-east-1/s3/aws4_request"},
                 {"x-amz-date", "20260101T000000Z"},
                 {"policy", kPolicy},
                 {"x-amz-signature", std::move(signature)}},
                "data");
  };
  auto good = PostRequest(form(HexEncode(HmacSha256(key, kPolicy))));
  auto p = Run(good);
  ASSERT_TRUE(p.ok()) << p.error().code << ": " << p.error().message;
  EXPECT_EQ(p->access_key_id, "AKID");

  auto bad = PostRequest(form(std::string(64, '0')));
  auto denied = Run(bad);
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().code, "SignatureDoesNotMatch");
  EXPECT_EQ(denied.error().http_status, 403);
}

TEST_F(PostFormTest, RefusalsInS3Words) {
  struct Case {
    std::vector<std::pair<std::string, std::string>> fields;
    const char* code;
    int status;
  };
  const std::vector<Case> cases = {
      {{{"AWSAccessKeyId", "AKID"}, {"policy", kPolicy}, {"signature", "AAAA"}},
       "SignatureDoesNotMatch",
       403},
      {{{"AWSAccessKeyId", "NOPE"}, {"policy", kPolicy}, {"signature", "AAAA"}}, "InvalidAccessKeyId", 403},
      {{{"AWSAccessKeyId", "AKID"}, {"policy", kPolicy}}, "InvalidArgument", 400},
      {{{"AWSAccessKeyId", "AKID"}, {"signature", "AAAA"}}, "InvalidArgument", 400},
      {{{"x-amz-signature", "00"}, {"policy", kPolicy}}, "InvalidArgument", 400},
      {{{"key", "k"}}, "AccessDenied", 403},  // unsigned: anonymous, not allowed here
      {{{"policy", std::string(30 * 1024, 'p')}}, "MaxPostPreDataLengthExceededError", 400},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.code);
    auto r = PostRequest(Form(c.fields, "x"));
    auto p = Run(r);
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(p.error().code, c.code);
    EXPECT_EQ(p.error().http_status, c.status);
  }
  auto missing = PostRequest(Form({{"AWSAccessKeyId", "AKID"}, {"policy", kPolicy}}, "x"));
  auto p = Run(missing);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(
      p.error().message,
      "Bucket POST must contain a field named 'Signature'.  If it is specified, please check the order of "
      "the fields.");
  auto malformed = PostRequest("--" + std::string(kBoundary) + "\r\nContent-Disposition: form-data");
  auto m = Run(malformed);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code, "MalformedPOSTRequest");
}

TEST_F(PostFormTest, UnsignedFormIsAnonymousWhereAllowed) {
  auto r = PostRequest(Form({{"key", "k"}}, "x"));
  auto p = Run(r, /*anonymous=*/true);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->anonymous);
}

}  // namespace post_form

}  // namespace
}  // namespace cenote::aws::sigv4
