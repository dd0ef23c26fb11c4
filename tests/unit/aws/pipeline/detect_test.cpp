#include "aws/pipeline/detect.hpp"

#include <gtest/gtest.h>

#include "pipeline_test_support.hpp"

namespace cenote::aws::pipeline {
namespace {

TEST(VirtualHostedBucket, PathStyleHostsHaveNoBucket) {
  EXPECT_EQ(VirtualHostedBucket("localhost:4566"), std::nullopt);
  EXPECT_EQ(VirtualHostedBucket("localhost"), std::nullopt);
  EXPECT_EQ(VirtualHostedBucket("127.0.0.1:4566"), std::nullopt);
  EXPECT_EQ(VirtualHostedBucket("[::1]:4566"), std::nullopt);
  EXPECT_EQ(VirtualHostedBucket("s3.localhost:4566"), std::nullopt);
  EXPECT_EQ(VirtualHostedBucket("s3.amazonaws.com"), std::nullopt);
  EXPECT_EQ(VirtualHostedBucket(""), std::nullopt);
}

TEST(VirtualHostedBucket, VirtualHostsNameTheBucket) {
  EXPECT_EQ(VirtualHostedBucket("lake.localhost:4566"), "lake");
  EXPECT_EQ(VirtualHostedBucket("lake.s3.localhost:4566"), "lake");
  EXPECT_EQ(VirtualHostedBucket("my.dotted.bucket.s3.localhost"), "my.dotted.bucket");
  EXPECT_EQ(VirtualHostedBucket("Lake.LOCALHOST"), "lake");
  EXPECT_EQ(VirtualHostedBucket("lake.s3.amazonaws.com"), "lake");
  EXPECT_EQ(VirtualHostedBucket("lake.s3.eu-west-1.amazonaws.com"), "lake");
}

// ---- the detect stage

using testing::SignedJsonRequest;
using testing::SignedQueryRequest;
using testing::SignedS3Request;
using testing::StageHarness;

Exchange Detect(StageHarness& h, http::HttpRequest& request, Status* status = nullptr) {
  Exchange e;
  e.request = &request;
  Status st = stages::DetectService(h.env, e);
  if (status) *status = st;
  return e;
}

TEST(DetectService, XAmzTargetNamesJsonServices) {
  StageHarness h;
  auto glue = SignedJsonRequest("glue", "GetDatabase", "{}");
  EXPECT_EQ(Detect(h, glue).ctx.service, "glue");
  auto kinesis = SignedJsonRequest("kinesis", "ListStreams", "{}");
  EXPECT_EQ(Detect(h, kinesis).ctx.service, "kinesis");
  // CloudTrail's short target prefix form.
  auto trail = SignedJsonRequest("cloudtrail", "DescribeTrails", "{}");
  trail.headers.Set("x-amz-target", "CloudTrail_20131101.DescribeTrails");
  EXPECT_EQ(Detect(h, trail).ctx.service, "cloudtrail");
}

TEST(DetectService, CredentialScopeNamesQueryAndRestServices) {
  StageHarness h;
  auto sts = SignedQueryRequest("sts", "Action=GetCallerIdentity&Version=2011-06-15");
  EXPECT_EQ(Detect(h, sts).ctx.service, "sts");
  auto cw = SignedQueryRequest("monitoring", "Action=ListMetrics&Version=2010-08-01");
  EXPECT_EQ(Detect(h, cw).ctx.service, "monitoring");
  auto s3 = SignedS3Request("GET", "/lake?list-type=2");
  EXPECT_EQ(Detect(h, s3).ctx.service, "s3");
}

TEST(DetectService, UnsignedAndSigV2RequestsAreS3s) {
  StageHarness h;
  http::HttpRequest presigned;
  presigned.method = "GET";
  presigned.target = "/lake/key?AWSAccessKeyId=AKID&Expires=1&Signature=x";
  presigned.headers.Add("host", "localhost:4566");
  presigned.body = std::make_unique<http::StringReader>("");
  EXPECT_EQ(Detect(h, presigned).ctx.service, "s3");
}

// ---- unsigned routes (provider.hpp UnsignedRoute)

TEST(MatchHostPattern, LabelsWildcardsAndCaptures) {
  std::vector<std::string> c;
  EXPECT_TRUE(MatchHostPattern("*.lambda-url.*.on.aws", "abc123.lambda-url.us-east-1.on.aws", &c));
  EXPECT_EQ(c, (std::vector<std::string>{"abc123", "us-east-1"}));
  // Any case, a port, the absolute form.
  EXPECT_TRUE(MatchHostPattern("*.lambda-url.*.on.aws", "ABC.Lambda-Url.eu-west-1.on.aws:4566", &c));
  EXPECT_EQ(c, (std::vector<std::string>{"abc", "eu-west-1"}));
  EXPECT_TRUE(MatchHostPattern("*.lambda-url.*.on.aws", "abc.lambda-url.eu-west-1.on.aws.", &c));
  // One label per "*": no more, no fewer, never empty.
  EXPECT_FALSE(MatchHostPattern("*.lambda-url.*.on.aws", "a.b.lambda-url.us-east-1.on.aws", &c));
  EXPECT_FALSE(MatchHostPattern("*.lambda-url.*.on.aws", "lambda-url.us-east-1.on.aws", &c));
  EXPECT_FALSE(MatchHostPattern("*.lambda-url.*.on.aws", ".lambda-url.us-east-1.on.aws", &c));
  EXPECT_FALSE(MatchHostPattern("*.lambda-url.*.on.aws", "abc.lambda-url.us-east-1.on.aws.evil", &c));
  // "prefix*suffix" within a label; a leading "**" takes one or more labels (dotted bucket names).
  EXPECT_TRUE(
      MatchHostPattern("**.s3-website-*.amazonaws.com", "my.site.s3-website-eu-west-1.amazonaws.com", &c));
  EXPECT_EQ(c, (std::vector<std::string>{"my.site", "eu-west-1"}));
  EXPECT_TRUE(
      MatchHostPattern("**.s3-website-*.amazonaws.com", "site.s3-website-us-east-1.amazonaws.com", &c));
  EXPECT_EQ(c, (std::vector<std::string>{"site", "us-east-1"}));
  EXPECT_FALSE(MatchHostPattern("**.s3-website-*.amazonaws.com", "s3-website-us-east-1.amazonaws.com", &c));
  EXPECT_FALSE(MatchHostPattern("**.s3-website-*.amazonaws.com", "site.s3-website-.amazonaws.com", &c));
  EXPECT_FALSE(MatchHostPattern("**.s3-website-*.amazonaws.com", "site.s3.us-east-1.amazonaws.com", &c));
  // IP literals and empty hosts match nothing.
  EXPECT_FALSE(MatchHostPattern("*.localhost", "[::1]:4566", &c));
  EXPECT_FALSE(MatchHostPattern("*", "", &c));
  EXPECT_FALSE(MatchHostPattern("*.localhost", "a..localhost", &c));
}

http::HttpRequest Unsigned(std::string method, std::string target, std::string host = "localhost:4566") {
  http::HttpRequest r;
  r.method = std::move(method);
  r.target = std::move(target);
  r.headers.Add("host", std::move(host));
  r.body = std::make_unique<http::StringReader>("");
  return r;
}

TEST(MatchRoute, HostRoutesMatchSignedOrNotAnyHostRoutesOnlyUnsigned) {
  ServiceRegistry services;
  auto lambda = std::make_unique<testing::FakeProvider>("lambda");
  UnsignedRoute url;
  url.host = "*.lambda-url.*.on.aws";
  url.operation = "InvokeFunctionUrl";
  url.handler = [](RawRequest&) { return http::HttpResponse{}; };
  lambda->routes.push_back(url);
  services.Register(std::move(lambda));
  auto sns = std::make_unique<testing::FakeProvider>("sns");
  UnsignedRoute link;
  link.method = "GET";
  link.accepts = [](const http::HttpRequest& r) { return r.Path() == "/link"; };
  sns->routes.push_back(link);
  services.Register(std::move(sns));

  auto get = Unsigned("GET", "/x?y=1", "abc.lambda-url.us-east-1.on.aws");
  auto m = services.MatchRoute(get, true);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->provider->service(), "lambda");
  EXPECT_EQ(m->captures, (std::vector<std::string>{"abc", "us-east-1"}));
  // Any method, and whatever the request carries: a host route's handler decides.
  auto post = Unsigned("POST", "/", "abc.lambda-url.us-east-1.on.aws");
  EXPECT_TRUE(services.MatchRoute(post, false).has_value());

  auto l = Unsigned("GET", "/link");
  ASSERT_TRUE(services.MatchRoute(l, true).has_value());
  EXPECT_EQ(services.MatchRoute(l, true)->provider->service(), "sns");
  EXPECT_FALSE(services.MatchRoute(l, false).has_value());  // signed: the API's
  auto put = Unsigned("PUT", "/link");
  EXPECT_FALSE(services.MatchRoute(put, true).has_value());  // method
  auto other = Unsigned("GET", "/other");
  EXPECT_FALSE(services.MatchRoute(other, true).has_value());  // condition
}

TEST(DetectService, AnApiRouteNamesItsServiceAndRewritesTheRequest) {
  StageHarness h;
  auto sns = std::make_unique<testing::FakeProvider>("sns");
  UnsignedRoute cert;
  cert.method = "GET";
  cert.accepts = [](const http::HttpRequest& r) { return r.Path().ends_with(".pem"); };
  cert.rewrite = [](http::HttpRequest& r) { r.target = "/?Action=GetSigningCertificate"; };
  sns->routes.push_back(cert);
  h.services.Register(std::move(sns));
  auto get = Unsigned("GET", "/cert.pem");
  EXPECT_EQ(Detect(h, get).ctx.service, "sns");
  EXPECT_EQ(get.target, "/?Action=GetSigningCertificate");
  // Unsigned routes claim nothing signed, nor a virtual-hosted bucket's request: those stay S3's.
  auto virtual_hosted = Unsigned("GET", "/cert.pem", "lake.localhost:4566");
  EXPECT_EQ(Detect(h, virtual_hosted).ctx.service, "s3");
  EXPECT_EQ(virtual_hosted.target, "/cert.pem");
  auto signed_get = SignedS3Request("GET", "/lake/cert.pem");
  EXPECT_EQ(Detect(h, signed_get).ctx.service, "s3");
  // Without a route, an unsigned request is S3's.
  auto other = Unsigned("GET", "/lake/key");
  EXPECT_EQ(Detect(h, other).ctx.service, "s3");
}

TEST(DetectService, TheRegionIsTheRequestsOwn) {
  StageHarness h;
  h.options.default_region = "us-east-1";
  auto eu = SignedJsonRequest("kinesis", "ListStreams", "{}", "eu-west-1");
  EXPECT_EQ(Detect(h, eu).ctx.region, "eu-west-1");
  http::HttpRequest unsigned_request;
  unsigned_request.method = "GET";
  unsigned_request.target = "/lake";
  unsigned_request.headers.Add("host", "localhost");
  unsigned_request.body = std::make_unique<http::StringReader>("");
  EXPECT_EQ(Detect(h, unsigned_request).ctx.region, "us-east-1");
}

TEST(DetectService, VirtualHostedS3NamesTheBucket) {
  StageHarness h;
  auto request = SignedS3Request("GET", "/key.csv", "lake.s3.localhost:4566");
  Exchange e = Detect(h, request);
  EXPECT_EQ(e.virtual_bucket, "lake");
  // Not for other services, whatever their Host.
  auto glue = SignedJsonRequest("glue", "GetDatabase", "{}");
  glue.headers.Set("host", "lake.localhost:4566");
  EXPECT_EQ(Detect(h, glue).virtual_bucket, std::nullopt);
}

}  // namespace
}  // namespace cenote::aws::pipeline
