// query protocol (IAM, STS, SNS, CloudWatch): form bodies as botocore sends them, XML responses.
#include <gtest/gtest.h>

#include "test_support.hpp"

namespace cenote::aws::protocol {
namespace {

using testing::Json;
using testing::ParseAndValidate;
using testing::RawRequest;
using testing::Service;

RequestContext Ctx(const http::Headers* headers = nullptr) {
  RequestContext ctx;
  ctx.request_id = "7a62c49f-347e-4fc4-9331-6e8eEXAMPLE";
  ctx.headers = headers;
  return ctx;
}

TEST(QueryParse, IamCreateUserWithTags) {
  auto r = RawRequest(
      "POST / HTTP/1.1\r\n"
      "Content-Type: application/x-www-form-urlencoded; charset=utf-8\r\n"
      "\r\n"
      "Action=CreateUser&Version=2010-05-08&UserName=alice&Path=%2Fteam%2F"
      "&Tags.member.1.Key=dept&Tags.member.1.Value=data+eng&Tags.member.2.Key=k2&Tags.member.2.Value=");
  auto p = ParseRequest(Service("iam"), r, 1 << 20);
  ASSERT_TRUE(p.ok()) << p.error().code << " " << p.error().message;
  EXPECT_EQ(p->operation->name, "CreateUser");
  EXPECT_EQ(p->input, Json(R"({"Path":"/team/","UserName":"alice",
      "Tags":[{"Key":"dept","Value":"data eng"},{"Key":"k2","Value":""}]})"));
}

TEST(QueryParse, StsGetCallerIdentityAndGet) {
  auto r = RawRequest(
      "POST / HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\n"
      "Action=GetCallerIdentity&Version=2011-06-15");
  auto p = ParseRequest(Service("sts"), r, 1 << 20);
  ASSERT_TRUE(p.ok()) << p.error().code;
  EXPECT_EQ(p->operation->name, "GetCallerIdentity");
  EXPECT_EQ(p->input, Json("{}"));
  auto g = RawRequest(
      "GET /?Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fr"
      "&RoleSessionName=s&DurationSeconds=900 HTTP/1.1\r\n\r\n");
  auto pg = ParseRequest(Service("sts"), g, 1 << 20);
  ASSERT_TRUE(pg.ok()) << pg.error().code;
  EXPECT_EQ(pg->input.at("DurationSeconds"), 900);
  EXPECT_EQ(pg->input.at("RoleArn"), "arn:aws:iam::1:role/r");
}

TEST(QueryParse, MapsAndErrors) {
  // SNS: Attributes.entry.N.key/value.
  auto r = RawRequest(
      "POST / HTTP/1.1\r\n\r\nAction=CreateTopic&Version=2010-03-31&Name=t"
      "&Attributes.entry.1.key=DisplayName&Attributes.entry.1.value=My+Topic"
      "&Attributes.entry.2.key=FifoTopic&Attributes.entry.2.value=false");
  auto p = ParseRequest(Service("sns"), r, 1 << 20);
  ASSERT_TRUE(p.ok()) << p.error().code << " " << p.error().message;
  EXPECT_EQ(p->input.at("Attributes"), Json(R"({"DisplayName":"My Topic","FifoTopic":"false"})"));

  auto code = [](std::string_view svc, std::string body) {
    auto req = RawRequest("POST / HTTP/1.1\r\n\r\n" + body);
    auto res = ParseAndValidate(Service(svc), req);
    return res.ok() ? std::string("ok") : res.error().code;
  };
  EXPECT_EQ(code("iam", "Version=2010-05-08"), "MissingAction");
  EXPECT_EQ(code("iam", "Action=Nope&Version=2010-05-08"), "InvalidAction");
  // A missing required member is a validation error (IAM, STS and CloudFormation answer "ValidationError:
  // 1 validation error detected: Value null at 'userName' ..."), no longer MissingParameter.
  EXPECT_EQ(code("iam", "Action=CreateUser&Version=2010-05-08"), "ValidationError");
  // SQS keeps its own answer (sqs-2012-11-05.json overlay).
  EXPECT_EQ(code("sqs", "Action=GetQueueUrl&Version=2012-11-05"), "MissingParameter");
  EXPECT_EQ(code("iam", "Action=ListUsers&Version=2010-05-08&MaxItems=abc"), "InvalidParameterValue");
  EXPECT_EQ(code("iam", "Action=ListUsers&Version=2010-05-08&MaxItems=10"), "ok");
}

TEST(QuerySerialize, IamGetUser) {
  const auto& iam = Service("iam");
  OperationOutput out;
  out.result = Json(
      R"({"User":{"Path":"/","UserName":"alice","UserId":"AIDA1","Arn":"arn:aws:iam::000000000000:user/alice",
                        "CreateDate":1700000000000,"Tags":[{"Key":"a","Value":"b"}]}})");
  auto resp = SerializeResponse(iam, *iam.FindOperation("GetUser"), std::move(out), Ctx());
  EXPECT_EQ(resp.headers.Get("Content-Type"), "text/xml");
  EXPECT_EQ(resp.headers.Get("x-amzn-RequestId"), "7a62c49f-347e-4fc4-9331-6e8eEXAMPLE");
  EXPECT_EQ(resp.body,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<GetUserResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><GetUserResult><User>"
            "<Path>/</Path><UserName>alice</UserName><UserId>AIDA1</UserId>"
            "<Arn>arn:aws:iam::000000000000:user/alice</Arn><CreateDate>2023-11-14T22:13:20.000Z</CreateDate>"
            "<Tags><member><Key>a</Key><Value>b</Value></member></Tags></User></GetUserResult>"
            "<ResponseMetadata><RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId></ResponseMetadata>"
            "</GetUserResponse>");
}

TEST(QuerySerialize, NoOutputAndError) {
  const auto& iam = Service("iam");
  OperationOutput out;
  auto resp = SerializeResponse(iam, *iam.FindOperation("DeleteUser"), std::move(out), Ctx());
  EXPECT_EQ(resp.body,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<DeleteUserResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">"
            "<ResponseMetadata><RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId></ResponseMetadata>"
            "</DeleteUserResponse>");
  auto err = SerializeError(iam, nullptr,
                            MakeError("NoSuchEntity", "The user with name bob cannot be found.", 404), Ctx());
  EXPECT_EQ(err.status, 404);
  EXPECT_EQ(err.body,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type>"
            "<Code>NoSuchEntity</Code><Message>The user with name bob cannot be found.</Message></Error>"
            "<RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId></ErrorResponse>");
  auto fault = SerializeError(iam, nullptr, InternalError(), Ctx());
  EXPECT_NE(fault.body.find("<Type>Receiver</Type>"), std::string::npos);
}

TEST(QueryCompat, SqsLegacyQueryRequestAnswersInXml) {
  // An old client sending SQS as query (no X-Amz-Target): parsed by member names, answered as query XML.
  auto r = RawRequest(
      "POST / HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\n"
      "Action=GetQueueUrl&Version=2012-11-05&QueueName=q");
  const auto& sqs = Service("sqs");
  auto p = ParseRequest(sqs, r, 1 << 20);
  ASSERT_TRUE(p.ok()) << p.error().code;
  EXPECT_EQ(p->input.at("QueueName"), "q");
  OperationOutput out;
  out.result = Json(R"({"QueueUrl":"http://h/1/q"})");
  auto resp = SerializeResponse(sqs, *p->operation, std::move(out), Ctx(&r.headers));
  EXPECT_EQ(resp.headers.Get("Content-Type"), "text/xml");
  EXPECT_NE(resp.body.find("<GetQueueUrlResult><QueueUrl>http://h/1/q</QueueUrl></GetQueueUrlResult>"),
            std::string::npos)
      << resp.body;
}

}  // namespace
}  // namespace cenote::aws::protocol
