// The CORS stages: preflights answered by the resource's provider without the call stages, and the
// Access-Control-* headers added to actual cross-origin requests.
#include <gtest/gtest.h>

#include "pipeline_test_support.hpp"

namespace cenote::aws::pipeline {
namespace {

using testing::FakeProvider;
using testing::PipelineFixture;
using testing::SignedS3Request;

class CorsTest : public PipelineFixture {
 protected:
  static http::HttpRequest Preflight(std::string target, std::string host = "localhost:4566") {
    http::HttpRequest request;
    request.method = "OPTIONS";
    request.target = std::move(target);
    request.remote_address = "127.0.0.1:40000";
    request.headers.Add("host", std::move(host));
    request.body = std::make_unique<http::StringReader>("");
    return request;
  }
  static Result<std::optional<http::Headers>> Allow(const CorsRequest& r) {
    http::Headers h;
    h.Set("Access-Control-Allow-Origin", r.origin);
    return std::optional<http::Headers>(std::move(h));
  }
};

TEST_F(CorsTest, APreflightIsAnsweredByTheProviderWithoutCredentials) {
  FakeProvider& s3 = Add("s3");
  s3.cors = Allow;
  auto request = Preflight("/photos/cat.jpg");
  request.headers.Add("origin", "https://app.example");
  request.headers.Add("access-control-request-method", "PUT");
  request.headers.Add("access-control-request-headers", "Content-Type, X-Amz-Date");
  http::HttpResponse response = pipeline_.Handle(request);
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.headers.Get("access-control-allow-origin").value_or(""), "https://app.example");
  ASSERT_EQ(s3.cors_requests.size(), 1u);
  const CorsRequest& seen = s3.cors_requests[0];
  EXPECT_TRUE(seen.preflight);
  EXPECT_EQ(seen.resource, "photos");
  EXPECT_EQ(seen.method, "PUT");
  EXPECT_EQ(seen.headers, (std::vector<std::string>{"content-type", "x-amz-date"}));
}

TEST_F(CorsTest, AVirtualHostedPreflightNamesTheBucketOfTheHost) {
  FakeProvider& s3 = Add("s3");
  s3.cors = Allow;
  auto request = Preflight("/cat.jpg", "photos.s3.localhost:4566");
  request.headers.Add("origin", "https://app.example");
  request.headers.Add("access-control-request-method", "GET");
  EXPECT_EQ(pipeline_.Handle(request).status, 200);
  ASSERT_EQ(s3.cors_requests.size(), 1u);
  EXPECT_EQ(s3.cors_requests[0].resource, "photos");
}

TEST_F(CorsTest, PreflightsThatCannotBeAllowedAreRefusedAsS3Does) {
  FakeProvider& s3 = Add("s3");  // allows nothing
  auto no_origin = Preflight("/photos/a");
  no_origin.headers.Add("access-control-request-method", "GET");
  http::HttpResponse r1 = pipeline_.Handle(no_origin);
  EXPECT_EQ(r1.status, 400);
  EXPECT_NE(r1.body.find("<Code>BadRequest</Code>"), std::string::npos) << r1.body;
  auto no_method = Preflight("/photos/a");
  no_method.headers.Add("origin", "https://app.example");
  EXPECT_EQ(pipeline_.Handle(no_method).status, 400);
  auto refused = Preflight("/photos/a");
  refused.headers.Add("origin", "https://app.example");
  refused.headers.Add("access-control-request-method", "DELETE");
  http::HttpResponse r3 = pipeline_.Handle(refused);
  EXPECT_EQ(r3.status, 403);
  EXPECT_NE(r3.body.find("<Code>AccessForbidden</Code>"), std::string::npos) << r3.body;
  EXPECT_FALSE(r3.headers.Has("access-control-allow-origin"));
  EXPECT_EQ(s3.cors_requests.size(), 1u) << "only the complete preflight reaches the provider";
}

TEST_F(CorsTest, ActualRequestsGetTheHeadersOnlyWhenTheyComeFromAnOrigin) {
  FakeProvider& s3 = Add("s3");
  s3.cors = Allow;
  s3.On("ListObjectsV2", [](const RequestContext&, OperationInput&) -> Result<OperationOutput> {
    return boost::json::object{{"Name", "photos"}};
  });
  auto plain = SignedS3Request("GET", "/photos?list-type=2");
  http::HttpResponse r1 = pipeline_.Handle(plain);
  ASSERT_EQ(r1.status, 200) << r1.body;
  EXPECT_FALSE(r1.headers.Has("access-control-allow-origin"));
  EXPECT_TRUE(s3.cors_requests.empty());

  auto cross = SignedS3Request("GET", "/photos?list-type=2");
  cross.headers.Add("origin", "https://app.example");
  http::HttpResponse r2 = pipeline_.Handle(cross);
  ASSERT_EQ(r2.status, 200) << r2.body;
  EXPECT_EQ(r2.headers.Get("access-control-allow-origin").value_or(""), "https://app.example");
  ASSERT_EQ(s3.cors_requests.size(), 1u);
  EXPECT_FALSE(s3.cors_requests[0].preflight);
  EXPECT_EQ(s3.cors_requests[0].method, "GET");
  EXPECT_EQ(s3.cors_requests[0].resource, "photos");
}

}  // namespace
}  // namespace cenote::aws::pipeline
