// rest-json (Lambda, Scheduler, Lake Formation, Macie2).
#include <gtest/gtest.h>

#include "test_support.hpp"

namespace cenote::aws::protocol {
namespace {

using testing::Json;
using testing::ParseAndValidate;
using testing::RawRequest;
using testing::Service;

TEST(RestJsonParse, LambdaInvoke) {
  auto r = RawRequest(
      "POST "
      "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Afn/"
      "invocations?Qualifier=live "
      "HTTP/1.1\r\n"
      "X-Amz-Invocation-Type: RequestResponse\r\n"
      "X-Amz-Log-Type: Tail\r\n"
      "X-Amz-Client-Context: eyJhIjoxfQ==\r\n"
      "Content-Type: application/json\r\n"
      "\r\n"
      "{\"key\": \"value\"}");
  auto p = ParseRequest(Service("lambda"), r, 1 << 20);
  ASSERT_TRUE(p.ok()) << p.error().code << " " << p.error().message;
  EXPECT_EQ(p->operation->name, "Invoke");
  EXPECT_EQ(p->input.at("FunctionName"), "arn:aws:lambda:us-east-1:000000000000:function:fn");
  EXPECT_EQ(p->input.at("Qualifier"), "live");
  EXPECT_EQ(p->input.at("InvocationType"), "RequestResponse");
  EXPECT_EQ(p->input.at("Payload"), "{\"key\": \"value\"}");  // raw blob payload
}

TEST(RestJsonParse, BodyMembersAndValidation) {
  auto r = RawRequest(
      "POST /2015-03-31/functions HTTP/1.1\r\nContent-Type: application/json\r\n\r\n"
      R"({"FunctionName":"fn","Role":"arn:aws:iam::000000000000:role/r","Runtime":"python3.12",
          "Handler":"h.main","Code":{"ZipFile":"UEsDBA=="},"Timeout":30,"Environment":{"Variables":{"A":"1"}}})");
  auto p = ParseRequest(Service("lambda"), r, 1 << 20);
  ASSERT_TRUE(p.ok()) << p.error().code << " " << p.error().message;
  EXPECT_EQ(p->operation->name, "CreateFunction");
  EXPECT_EQ(p->input.at("Code").at("ZipFile"), boost::json::string(std::string("PK\x03\x04", 4)));
  EXPECT_EQ(p->input.at("Timeout"), 30);

  auto bad = RawRequest("POST /2015-03-31/functions HTTP/1.1\r\n\r\n{\"FunctionName\":\"fn\"}");
  auto pb = ParseAndValidate(Service("lambda"), bad);
  ASSERT_FALSE(pb.ok());
  EXPECT_EQ(pb.error().code, "ValidationException");

  auto unknown = RawRequest("GET /nope HTTP/1.1\r\n\r\n");
  auto pu = ParseRequest(Service("lambda"), unknown, 1 << 20);
  ASSERT_FALSE(pu.ok());
  EXPECT_EQ(pu.error().code, "UnknownOperationException");
}

TEST(RestJsonSerialize, InvokeStatusCodeHeadersAndPayload) {
  const auto& lambda = Service("lambda");
  RequestContext ctx;
  ctx.request_id = "r-1";
  OperationOutput out;
  out.result =
      Json(R"({"StatusCode":200,"FunctionError":"Unhandled","LogResult":"bG9n","ExecutedVersion":"$LATEST",
                        "Payload":"{\"errorMessage\":\"boom\"}"})");
  auto resp = SerializeResponse(lambda, *lambda.FindOperation("Invoke"), std::move(out), ctx);
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(resp.headers.Get("X-Amz-Function-Error"), "Unhandled");
  EXPECT_EQ(resp.headers.Get("X-Amz-Executed-Version"), "$LATEST");
  EXPECT_EQ(resp.headers.Get("x-amzn-RequestId"), "r-1");
  EXPECT_EQ(resp.body, "{\"errorMessage\":\"boom\"}");

  OperationOutput get;
  get.result = Json(
      R"({"Configuration":{"FunctionName":"fn","Timeout":3,"LastModified":"2024-01-01T00:00:00.000+0000"}})");
  auto g = SerializeResponse(lambda, *lambda.FindOperation("GetFunction"), std::move(get), ctx);
  EXPECT_EQ(g.headers.Get("Content-Type"), "application/json");
  EXPECT_EQ(Json(g.body).at("Configuration").at("Timeout"), 3);

  auto err = SerializeError(lambda, nullptr,
                            MakeError("ResourceNotFoundException", "Function not found: fn", 404), ctx);
  EXPECT_EQ(err.status, 404);
  EXPECT_EQ(err.headers.Get("X-Amzn-ErrorType"), "ResourceNotFoundException");
  EXPECT_EQ(Json(err.body).at("message"), "Function not found: fn");
}

}  // namespace
}  // namespace cenote::aws::protocol
