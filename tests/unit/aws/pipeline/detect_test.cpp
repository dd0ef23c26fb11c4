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

// The links SNS messages carry, which endpoints follow unsigned (SubscribeURL, UnsubscribeURL,
// SigningCertURL).
TEST(DetectService, UnsignedSnsMessageLinksAreSnss) {
  StageHarness h;
  auto get = [](std::string target) {
    http::HttpRequest r;
    r.method = "GET";
    r.target = std::move(target);
    r.headers.Add("host", "localhost:4566");
    r.body = std::make_unique<http::StringReader>("");
    return r;
  };
  auto confirm = get("/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-east-1:1:t&Token=abc");
  EXPECT_EQ(Detect(h, confirm).ctx.service, "sns");
  auto unsubscribe = get("/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-east-1:1:t:x");
  EXPECT_EQ(Detect(h, unsubscribe).ctx.service, "sns");
  auto cert = get("/SimpleNotificationService-0123abcd.pem");
  EXPECT_EQ(Detect(h, cert).ctx.service, "sns");
  EXPECT_EQ(cert.target,
            "/?Action=GetSigningCertificate&CertificateName=SimpleNotificationService-0123abcd.pem");
  // Anything else unsigned stays S3's (a bucket cannot be named SimpleNotificationService-...).
  auto list = get("/?Action=ListTopics");
  EXPECT_EQ(Detect(h, list).ctx.service, "s3");
  auto object = get("/bucket/SimpleNotificationService-0123abcd.pem");
  EXPECT_EQ(Detect(h, object).ctx.service, "s3");
  auto virtual_hosted = get("/?Action=Unsubscribe");
  virtual_hosted.headers.Set("host", "lake.localhost:4566");
  EXPECT_EQ(Detect(h, virtual_hosted).ctx.service, "s3");
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
