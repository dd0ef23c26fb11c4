// The invoke stage: the one provider boundary. Unsupported operations, exceptions and 500s are answered
// the same way for every service, in its protocol's words, and no internal text reaches the client.
#include <gtest/gtest.h>

#include <stdexcept>

#include "pipeline_test_support.hpp"

namespace cenote::aws::pipeline {
namespace {

using testing::PipelineFixture;
using testing::SignedJsonRequest;
using testing::SignedQueryRequest;
using testing::SignedS3Request;

class InvokeTest : public PipelineFixture {};

TEST_F(InvokeTest, EveryServiceAnswersAnUnsupportedOperationInItsProtocolsWords) {
  // No provider at all (most of the 20 embedded models today), in-process.
  for (const model::ServiceModel* service : model::ModelRegistry::Embedded().services()) {
    ASSERT_FALSE(service->operations().empty()) << service->uid();
    const std::string op = service->operations().front()->name;
    OperationInput input;
    auto out = pipeline_.Call(RootCaller(), service->endpoint_prefix(), op, input);
    ASSERT_FALSE(out.ok()) << service->uid();
    const std::string& protocol = service->protocol();
    if (protocol == "rest-xml") {
      EXPECT_EQ(out.error().code, "NotImplemented") << service->uid();
      EXPECT_EQ(out.error().http_status, 501) << service->uid();
    } else if (protocol == "query") {
      EXPECT_EQ(out.error().code, "InvalidAction") << service->uid();
      EXPECT_EQ(out.error().http_status, 400) << service->uid();
    } else {
      EXPECT_EQ(out.error().code, "UnknownOperationException") << service->uid();
      EXPECT_EQ(out.error().http_status, 400) << service->uid();
    }
    EXPECT_NE(out.error().message.find(op), std::string::npos) << service->uid();
    EXPECT_NE(out.error().message.find("docs/" + service->endpoint_prefix() + "-coverage.md"),
              std::string::npos);
  }
}

TEST_F(InvokeTest, AnOperationTheProviderLacksIsUnsupportedOnTheWire) {
  Add("glue").On("GetDatabase", [](const RequestContext&, OperationInput&) -> Result<OperationOutput> {
    return boost::json::object{{"Database", {{"Name", "d"}}}};
  });
  auto request = SignedJsonRequest("glue", "CreateJob", R"({"Name":"j","Role":"r","Command":{}})");
  http::HttpResponse response = pipeline_.Handle(request);
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(Body(response).at("__type").as_string(), "UnknownOperationException");
  auto ok = SignedJsonRequest("glue", "GetDatabase", R"({"Name":"d"})");
  EXPECT_EQ(pipeline_.Handle(ok).status, 200);

  auto s3 = SignedS3Request("GET", "/lake?acl");
  http::HttpResponse s3_response = pipeline_.Handle(s3);
  EXPECT_EQ(s3_response.status, 501);
  EXPECT_NE(s3_response.body.find("<Code>NotImplemented</Code>"), std::string::npos);
  auto sts = SignedQueryRequest("sts", "Action=GetCallerIdentity&Version=2011-06-15");
  http::HttpResponse sts_response = pipeline_.Handle(sts);
  EXPECT_EQ(sts_response.status, 400);
  EXPECT_NE(sts_response.body.find("<Code>InvalidAction</Code>"), std::string::npos);
}

TEST_F(InvokeTest, ExceptionsNeverReachTheClientAsText) {
  const std::string secret_path = "/var/lib/cenote/data/s3/blobs/ab/cdef";
  auto thrower = [secret_path](const RequestContext&, OperationInput&) -> Result<OperationOutput> {
    throw std::runtime_error("rename blob: " + secret_path);
  };
  Add("glue", "InternalServiceException").On("GetDatabase", thrower);
  Add("kinesis").On("ListStreams", thrower);
  Add("s3").On("ListBuckets", thrower);

  auto glue = SignedJsonRequest("glue", "GetDatabase", R"({"Name":"d"})");
  http::HttpResponse r1 = pipeline_.Handle(glue);
  EXPECT_EQ(r1.status, 500);
  EXPECT_EQ(Body(r1).at("__type").as_string(), "InternalServiceException");
  EXPECT_EQ(r1.body.find(secret_path), std::string::npos) << r1.body;

  auto kinesis = SignedJsonRequest("kinesis", "ListStreams", "{}");
  http::HttpResponse r2 = pipeline_.Handle(kinesis);
  EXPECT_EQ(r2.status, 500);
  EXPECT_EQ(Body(r2).at("__type").as_string(), "InternalFailure");
  EXPECT_EQ(r2.body.find("rename"), std::string::npos) << r2.body;

  auto s3 = SignedS3Request("GET", "/");
  http::HttpResponse r3 = pipeline_.Handle(s3);
  EXPECT_EQ(r3.status, 500);
  EXPECT_NE(r3.body.find("<Code>InternalError</Code>"), std::string::npos);
  EXPECT_EQ(r3.body.find(secret_path), std::string::npos) << r3.body;
}

TEST_F(InvokeTest, AProvidersFiveHundredIsWordedByThePipelineButOtherFiveHundredsPass) {
  Add("s3")
      .On("ListBuckets",
          [](const RequestContext&, OperationInput&) -> Result<OperationOutput> {
            return InternalError("rename blob: /data/s3/blobs/xy: No space left on device");
          })
      .On("HeadBucket", [](const RequestContext&, OperationInput&) -> Result<OperationOutput> {
        return MakeError("SlowDown", "Please reduce your request rate.", 503);
      });
  OperationInput input;
  auto out = pipeline_.Call(RootCaller(), "s3", "ListBuckets", input);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code, "InternalError");
  EXPECT_EQ(out.error().message, "We encountered an internal error. Please try again.");
  OperationInput head;
  head.params = boost::json::object{{"Bucket", "lake"}};
  auto slow = pipeline_.Call(RootCaller(), "s3", "HeadBucket", head);
  ASSERT_FALSE(slow.ok());
  EXPECT_EQ(slow.error().code, "SlowDown");
  EXPECT_EQ(slow.error().http_status, 503);
}

TEST_F(InvokeTest, CallWithWordsItsFailuresTheSameWay) {
  Status st =
      pipeline_.CallWith(RootCaller(), "s3", "GetObject", boost::json::object{{"Bucket", "b"}, {"Key", "k"}},
                         [] { return Status(InternalError("open /data/s3/blobs/x failed")); });
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().message, "We encountered an internal error. Please try again.");
  st = pipeline_.CallWith(RootCaller(), "s3", "GetObject", boost::json::object{{"Bucket", "b"}, {"Key", "k"}},
                          []() -> Status { throw std::runtime_error("boom /data"); });
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, "InternalError");
  st = pipeline_.CallWith(
      RootCaller(), "s3", "GetObject", boost::json::object{{"Bucket", "b"}, {"Key", "k"}},
      [] { return Status(MakeError("NoSuchKey", "The specified key does not exist.", 404)); });
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, "NoSuchKey");
}

}  // namespace
}  // namespace cenote::aws::pipeline
