// The S3 website endpoint (website.cpp), driven through the provider's unsigned routes as the pipeline calls
// them, with a stand-in authorizer deciding what the anonymous reader may get and list.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <set>

#include "../../store/temp_dir.hpp"
#include "../provider_harness.hpp"
#include "aws/pipeline/service_registry.hpp"
#include "services/s3/s3_provider.hpp"

namespace cenote::s3 {
namespace {

namespace json = boost::json;

std::string Read(http::BodySource* body) {
  std::string out;
  if (body == nullptr) return out;
  char buf[256];
  while (true) {
    auto n = body->Read(buf, sizeof(buf));
    if (!n || *n == 0) break;
    out.append(buf, *n);
  }
  return out;
}

class WebsiteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto m = store::MetadataStore::OpenSqlite(dir_ / "meta.db");
    ASSERT_TRUE(m.ok());
    metadata_ = std::move(*m);
    auto b = store::BlobStore::OpenLocal(dir_ / "blobs", store::BlobStoreOptions{});
    ASSERT_TRUE(b.ok());
    blobs_ = std::move(*b);
    S3Options options;
    options.account_id = "000000000000";
    auto p = S3Provider::Open(*metadata_, *blobs_, options);
    ASSERT_TRUE(p.ok()) << p.error().message;
    provider_ = p->get();
    routes_ = provider_->UnsignedRoutes();
    harness_.Register(std::move(*p));
    ASSERT_TRUE(harness_.Call("s3", "CreateBucket", {{"Bucket", "site"}}).ok());
  }

  void Put(const std::string& key, std::string body, json::object extra = {}) {
    aws::OperationInput in;
    json::object params{{"Bucket", "site"}, {"Key", key}, {"ContentType", "text/html"}};
    for (const auto& [k, v] : extra) params[k] = v;
    in.params = std::move(params);
    http::StringReader reader(std::move(body));
    in.body = &reader;
    auto out = harness_.invoker().Call(harness_.Root(), "s3", "PutObject", in);
    ASSERT_TRUE(out.ok()) << out.error().message;
  }

  void Website(json::object config) {
    auto out =
        harness_.Call("s3", "PutBucketWebsite", {{"Bucket", "site"}, {"WebsiteConfiguration", config}});
    ASSERT_TRUE(out.ok()) << out.error().message;
  }

  // One request through the route whose host pattern matches `host`.
  http::HttpResponse Get(std::string path, std::string method = "GET",
                         std::string host = "site.s3-website-us-east-1.amazonaws.com") {
    http::HttpRequest request;
    request.method = std::move(method);
    request.target = std::move(path);
    request.headers.Add("host", host);
    request.body = std::make_unique<http::StringReader>("");
    for (const aws::UnsignedRoute& route : routes_) {
      std::vector<std::string> captures;
      if (!aws::pipeline::MatchHostPattern(route.host, host, &captures)) continue;
      aws::RequestContext ctx;
      ctx.request_id = "REQ123";
      ctx.headers = &request.headers;
      aws::RawRequest raw{
          .http = request, .ctx = ctx, .captures = captures, .authenticate = {}, .authorize = {}};
      raw.authorize = [this](std::string_view operation, const json::value& params) -> Status {
        const json::object& p = params.as_object();
        if (operation == "ListObjectsV2") {
          if (list_) return Status::Ok();
          return MakeError("AccessDenied", "Access Denied", 403);
        }
        std::string key(p.at("Key").as_string());
        if (readable_.empty() || readable_.contains(key)) return Status::Ok();
        return MakeError("AccessDenied", "Access Denied", 403);
      };
      http::HttpResponse r = route.handler(raw);
      if (r.stream) r.body = Read(r.stream.get());
      return r;
    }
    ADD_FAILURE() << "no route for " << host;
    return {};
  }

  store::testing::TempDir dir_;
  std::unique_ptr<store::MetadataStore> metadata_;
  std::unique_ptr<store::BlobStore> blobs_;
  testing::ProviderHarness harness_;
  S3Provider* provider_ = nullptr;
  std::vector<aws::UnsignedRoute> routes_;
  std::set<std::string> readable_;  // empty: every key
  bool list_ = true;
};

TEST_F(WebsiteTest, HostFormsIndexDocumentsAndFolders) {
  Website({{"IndexDocument", {{"Suffix", "index.html"}}}});
  Put("index.html", "home");
  Put("docs/index.html", "docs");
  Put("docs/a.html", "a", {{"CacheControl", "max-age=5"}, {"Metadata", {{"team", "web"}}}});
  for (const char* host :
       {"site.s3-website-us-east-1.amazonaws.com", "site.s3-website.eu-west-1.amazonaws.com",
        "site.s3-website.localhost:4566", "site.s3-website.us-east-1.localhost"}) {
    auto r = Get("/", "GET", host);
    EXPECT_EQ(r.status, 200) << host;
    EXPECT_EQ(r.body, "home") << host;
  }
  auto r = Get("/docs/");
  EXPECT_EQ(r.body, "docs");
  r = Get("/docs/a.html");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "a");
  EXPECT_EQ(r.headers.Get("content-type"), "text/html");
  EXPECT_EQ(r.headers.Get("cache-control"), "max-age=5");
  EXPECT_EQ(r.headers.Get("x-amz-meta-team"), "web");
  EXPECT_TRUE(r.headers.Has("etag"));
  EXPECT_TRUE(r.headers.Has("last-modified"));
  EXPECT_EQ(r.headers.Get("x-amz-request-id"), "REQ123");
  r = Get("/docs/a.html", "HEAD");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(r.head_content_length, 1u);
  r = Get("/docs?x=1");
  EXPECT_EQ(r.status, 302);
  EXPECT_EQ(r.headers.Get("location"), "/docs/?x=1");
  // Percent-encoded keys.
  Put("a b.html", "space");
  EXPECT_EQ(Get("/a%20b.html").body, "space");
}

TEST_F(WebsiteTest, ErrorPagesAndTheErrorDocument) {
  auto r = Get("/");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.headers.Get("content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(r.body,
            "<html>\n<head><title>404 Not Found</title></head>\n<body>\n<h1>404 Not Found</h1>\n<ul>\n"
            "<li>Code: NoSuchWebsiteConfiguration</li>\n"
            "<li>Message: The specified bucket does not have a website configuration</li>\n"
            "<li>BucketName: site</li>\n<li>RequestId: REQ123</li>\n<li>HostId: REQ123</li>\n</ul>\n"
            "<hr/>\n</body>\n</html>\n");
  r = Get("/", "GET", "nosuch.s3-website-us-east-1.amazonaws.com");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("<li>Code: NoSuchBucket</li>"), std::string::npos);

  Website({{"IndexDocument", {{"Suffix", "index.html"}}}, {"ErrorDocument", {{"Key", "err.html"}}}});
  r = Get("/missing.html");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("<li>Code: NoSuchKey</li>\n<li>Message: The specified key does not exist.</li>\n"
                        "<li>Key: missing.html</li>"),
            std::string::npos);
  EXPECT_NE(
      r.body.find("<h3>An Error Occurred While Attempting to Retrieve a Custom Error Document</h3>\n<ul>\n"
                  "<li>Code: NoSuchKey</li>"),
      std::string::npos);
  EXPECT_NE(r.body.find("<li>Key: err.html</li>"), std::string::npos);
  Put("err.html", "custom error");
  r = Get("/missing.html");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, "custom error");
  // Without list permission a missing key is a 403 (still the error document).
  list_ = false;
  r = Get("/missing.html");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.body, "custom error");
  // Not readable by everyone: 403, and the error document when it is readable.
  Put("private.html", "secret");
  readable_ = {"err.html"};
  r = Get("/private.html");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.body, "custom error");
  readable_ = {"nothing"};
  r = Get("/private.html");
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("<title>403 Forbidden</title>"), std::string::npos);
  EXPECT_NE(r.body.find("<li>Code: AccessDenied</li>\n<li>Message: Access Denied</li>"), std::string::npos);
  EXPECT_EQ(r.body.find("secret"), std::string::npos);
  // Other methods: 405.
  readable_.clear();
  r = Get("/private.html", "PUT");
  EXPECT_EQ(r.status, 405);
  EXPECT_NE(r.body.find("<li>Method: PUT</li>\n<li>ResourceType: OBJECT</li>"), std::string::npos);
}

TEST_F(WebsiteTest, RedirectsAndRoutingRules) {
  Website({{"IndexDocument", {{"Suffix", "index.html"}}},
           {"RoutingRules", json::array{
                                json::object{{"Condition", {{"KeyPrefixEquals", "docs/"}}},
                                             {"Redirect", {{"ReplaceKeyPrefixWith", "documents/"}}}},
                                json::object{{"Condition", {{"KeyPrefixEquals", "old"}}},
                                             {"Redirect",
                                              {{"Protocol", "https"},
                                               {"HostName", "example.com"},
                                               {"ReplaceKeyWith", "new.html"},
                                               {"HttpRedirectCode", "307"}}}},
                                json::object{{"Condition", {{"HttpErrorCodeReturnedEquals", "404"}}},
                                             {"Redirect", {{"HostName", "backup.example.com"}}}},
                            }}});
  auto r = Get("/docs/x/y.html");
  EXPECT_EQ(r.status, 301);
  EXPECT_EQ(r.headers.Get("location"), "http://site.s3-website-us-east-1.amazonaws.com/documents/x/y.html");
  r = Get("/old/thing");
  EXPECT_EQ(r.status, 307);
  EXPECT_EQ(r.headers.Get("location"), "https://example.com/new.html");
  r = Get("/gone.html");
  EXPECT_EQ(r.status, 301);
  EXPECT_EQ(r.headers.Get("location"), "http://backup.example.com/gone.html");
  Put("moved.html", "", {{"WebsiteRedirectLocation", "https://elsewhere.example/page"}});
  r = Get("/moved.html");
  EXPECT_EQ(r.status, 301);
  EXPECT_EQ(r.headers.Get("location"), "https://elsewhere.example/page");

  Website({{"RedirectAllRequestsTo", {{"HostName", "www.example.org"}}}});
  r = Get("/a/b?c=d");
  EXPECT_EQ(r.status, 301);
  EXPECT_EQ(r.headers.Get("location"), "http://www.example.org/a/b?c=d");
}

}  // namespace
}  // namespace cenote::s3
