// The authenticate stage: SigV4 verification in the service's error words, and the virtual-host rewrite.
#include <gtest/gtest.h>

#include "pipeline_test_support.hpp"

namespace cenote::aws::pipeline {
namespace {

using testing::SignedJsonRequest;
using testing::SignedS3Request;
using testing::StageHarness;

Status DetectAndAuthenticate(StageHarness& h, Exchange& e) {
  CENOTE_RETURN_IF_ERROR(stages::DetectService(h.env, e));
  return stages::Authenticate(h.env, e);
}

TEST(Authenticate, AValidSignatureYieldsThePrincipal) {
  StageHarness h;
  auto request = SignedJsonRequest("glue", "GetDatabases", "{}");
  Exchange e;
  e.request = &request;
  ASSERT_TRUE(DetectAndAuthenticate(h, e));
  EXPECT_TRUE(e.ctx.principal.is_root);
  EXPECT_EQ(e.ctx.principal.account_id, testing::kAccount);
}

TEST(Authenticate, AnUnknownKeyIsRefusedInTheServicesWords) {
  StageHarness h;
  auto json = SignedJsonRequest("kinesis", "ListStreams", "{}", "us-east-1", /*sign=*/false);
  sigv4::SignRequest(json, "test", "test", "us-east-1", "kinesis", std::chrono::system_clock::now(),
                     Sha256Hex("{}"));
  Exchange e;
  e.request = &json;
  Status st = DetectAndAuthenticate(h, e);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, "UnrecognizedClientException");

  http::HttpRequest s3;
  s3.method = "GET";
  s3.target = "/lake";
  s3.headers.Add("host", "localhost:4566");
  sigv4::SignRequest(s3, "test", "test", "us-east-1", "s3", std::chrono::system_clock::now(), Sha256Hex(""));
  s3.body = std::make_unique<http::StringReader>("");
  Exchange e2;
  e2.request = &s3;
  st = DetectAndAuthenticate(h, e2);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, "InvalidAccessKeyId");
}

TEST(Authenticate, VirtualHostedRequestsBecomePathStyleAfterVerification) {
  StageHarness h;
  // The client signs its own path ("/data/a.csv" on host "lake.localhost").
  auto request = SignedS3Request("GET", "/data/a.csv?versionId=1", "lake.localhost:4566");
  Exchange e;
  e.request = &request;
  ASSERT_TRUE(DetectAndAuthenticate(h, e));
  EXPECT_EQ(request.target, "/lake/data/a.csv?versionId=1");
  auto root = SignedS3Request("GET", "/", "lake.localhost:4566");
  Exchange e2;
  e2.request = &root;
  ASSERT_TRUE(DetectAndAuthenticate(h, e2));
  EXPECT_EQ(root.target, "/lake");
}

}  // namespace
}  // namespace cenote::aws::pipeline
