// The pipeline as a whole: a network call end to end, and in-process calls (the invoker) passing
// authorize and the after-hooks exactly as network calls do.
#include "aws/pipeline/pipeline.hpp"

#include <gtest/gtest.h>

#include "pipeline_test_support.hpp"

namespace cenote::aws::pipeline {
namespace {

using testing::FakeProvider;
using testing::PipelineFixture;
using testing::SignedJsonRequest;

class PipelineTest : public PipelineFixture {};

TEST_F(PipelineTest, ANetworkCallRunsEveryStage) {
  FakeProvider& glue = Add("glue");
  glue.On("GetDatabase", [](const RequestContext& ctx, OperationInput& in) -> Result<OperationOutput> {
    return boost::json::object{
        {"Database",
         {{"Name", in.params.at("Name")}, {"CatalogId", ctx.principal.account_id}, {"Region", ctx.region}}}};
  });
  auto request = SignedJsonRequest("glue", "GetDatabase", R"({"Name":"sales"})", "ap-south-1");
  http::HttpResponse response = pipeline_.Handle(request);
  ASSERT_EQ(response.status, 200) << response.body;
  auto db = Body(response).at("Database");
  EXPECT_EQ(db.at("Name").as_string(), "sales");
  EXPECT_EQ(db.at("CatalogId").as_string(), testing::kAccount);
  EXPECT_EQ(glue.last_ctx.region, "ap-south-1");
  EXPECT_EQ(glue.last_ctx.source_ip, "127.0.0.1:40000");
  EXPECT_FALSE(glue.last_ctx.in_process());
  EXPECT_FALSE(glue.last_ctx.request_id.empty());
  EXPECT_TRUE(response.headers.Get("x-amzn-requestid").has_value());
}

TEST_F(PipelineTest, AnInProcessCallIsAuthorizedAndRecorded) {
  FakeProvider& kinesis = Add("kinesis");
  kinesis.On("DescribeStreamSummary",
             [](const RequestContext& ctx, OperationInput&) -> Result<OperationOutput> {
               return boost::json::object{{"Region", ctx.region}};
             });
  OperationInput input;
  input.params = boost::json::object{{"StreamName", "s"}};
  auto out = pipeline_.Call(RootCaller("eu-central-1"), "kinesis", "DescribeStreamSummary", input);
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(out->result.at("Region").as_string(), "eu-central-1");
  EXPECT_EQ(kinesis.last_ctx.invoked_by, "athena.amazonaws.com");
  EXPECT_EQ(kinesis.last_ctx.source_ip, "athena.amazonaws.com");
  EXPECT_TRUE(kinesis.last_ctx.in_process());
  ASSERT_EQ(recorder_.seen.size(), 1u);
  EXPECT_EQ(recorder_.seen[0].operation, "DescribeStreamSummary");
  EXPECT_EQ(recorder_.seen[0].invoked_by, "athena.amazonaws.com");
  EXPECT_TRUE(recorder_.seen[0].target.empty());
  EXPECT_EQ(recorder_.seen[0].status, 200);
  // The caller gets its document back (for retries and logs).
  EXPECT_EQ(input.params.at("StreamName").as_string(), "s");
}

TEST_F(PipelineTest, ADeniedInProcessCallNeverReachesTheProviderButIsRecorded) {
  bool reached = false;
  Add("kinesis").On("GetRecords", [&](const RequestContext&, OperationInput&) -> Result<OperationOutput> {
    reached = true;
    return boost::json::object{};
  });
  Caller anonymous;
  anonymous.principal.anonymous = true;
  anonymous.invoked_by = "firehose.amazonaws.com";
  OperationInput input;
  input.params = boost::json::object{{"ShardIterator", "AAAA"}};
  auto out = pipeline_.Call(anonymous, "kinesis", "GetRecords", input);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code, "AccessDeniedException");
  EXPECT_FALSE(reached);
  ASSERT_EQ(recorder_.seen.size(), 1u);
  EXPECT_EQ(recorder_.seen[0].error_code, "AccessDeniedException");

  bool performed = false;
  Status st = pipeline_.CallWith(anonymous, "s3", "PutObject",
                                 boost::json::object{{"Bucket", "b"}, {"Key", "k"}}, [&] {
                                   performed = true;
                                   return Status::Ok();
                                 });
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, "AccessDenied");
  EXPECT_FALSE(performed);
  ASSERT_EQ(recorder_.seen.size(), 2u);
  EXPECT_EQ(recorder_.seen[1].operation, "PutObject");
}

TEST_F(PipelineTest, CallWithRunsTheWorkAsTheNamedOperation) {
  bool performed = false;
  Status st = pipeline_.CallWith(RootCaller(), "s3", "GetObject",
                                 boost::json::object{{"Bucket", "b"}, {"Key", "k"}}, [&] {
                                   performed = true;
                                   return Status::Ok();
                                 });
  ASSERT_TRUE(st);
  EXPECT_TRUE(performed);
  ASSERT_EQ(recorder_.seen.size(), 1u);
  EXPECT_EQ(recorder_.seen[0].service, "s3");
  EXPECT_EQ(recorder_.seen[0].operation, "GetObject");
  EXPECT_TRUE(recorder_.seen[0].had_params);
}

TEST_F(PipelineTest, UnknownServicesAndOperationsInProcess) {
  OperationInput input;
  auto out = pipeline_.Call(RootCaller(), "nosuchservice", "Anything", input);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code, "UnknownService");
  out = pipeline_.Call(RootCaller(), "kinesis", "NoSuchOperation", input);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code, "UnknownOperationException");
}

// A raw unsigned route (a Lambda function URL, an S3 website endpoint): its handler answers the HTTP request
// itself, may authenticate it (SigV4, its scope's service checked) and authorize an operation of its
// service's action map; the after-hooks record it under the route's operation.
TEST(PipelineRawRoutes, AHandlerAnswersAuthenticatesAndAuthorizes) {
  testing::RootKey key;
  BaselineAuthorizer authorizer;  // root callers only
  testing::Recorder recorder;
  Pipeline pipeline(model::ModelRegistry::Embedded(), key, authorizer, {});
  pipeline.AddHook(&recorder);
  auto lambda = std::make_unique<FakeProvider>("lambda");
  UnsignedRoute url;
  url.host = "*.lambda-url.*.on.aws";
  url.operation = "InvokeFunctionUrl";
  url.handler = [](RawRequest& raw) {
    http::HttpResponse r;
    raw.ctx.region = raw.captures[1];
    r.status = 200;
    r.body = raw.captures[0] + " " + raw.http.method + " " + std::string(raw.http.Path());
    if (raw.http.headers.Has("x-auth")) {
      Status st = raw.authenticate("lambda");
      if (st) st = raw.authorize("InvokeFunctionUrl", boost::json::object{{"FunctionName", "f"}});
      r.body += st ? " allowed " + raw.ctx.principal.arn : " " + st.error().code;
      r.status = st ? 200 : 403;
    }
    return r;
  };
  lambda->routes.push_back(url);
  pipeline.Register(std::move(lambda));

  http::HttpRequest get;
  get.method = "GET";
  get.target = "/path?x=1";
  get.headers.Add("host", "abc.lambda-url.eu-west-1.on.aws");
  get.body = std::make_unique<http::StringReader>("");
  http::HttpResponse response = pipeline.Handle(get);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "abc GET /path");
  EXPECT_TRUE(response.headers.Has("x-amzn-requestid"));
  ASSERT_EQ(recorder.seen.size(), 1u);
  EXPECT_EQ(recorder.seen[0].service, "lambda");
  EXPECT_EQ(recorder.seen[0].operation, "InvokeFunctionUrl");
  EXPECT_EQ(recorder.seen[0].region, "eu-west-1");

  // Unsigned, where the handler wants a signature.
  http::HttpRequest bare;
  bare.method = "POST";
  bare.target = "/";
  bare.headers.Add("host", "abc.lambda-url.eu-west-1.on.aws");
  bare.headers.Add("x-auth", "1");
  bare.body = std::make_unique<http::StringReader>("");
  response = pipeline.Handle(bare);
  EXPECT_EQ(response.status, 403);
  EXPECT_EQ(response.body, "abc POST / MissingAuthenticationTokenException");

  // Signed for the right service: the root key passes the baseline authorizer.
  auto sign = [](std::string service) {
    http::HttpRequest r;
    r.method = "POST";
    r.target = "/";
    r.headers.Add("host", "abc.lambda-url.eu-west-1.on.aws");
    r.headers.Add("x-auth", "1");
    sigv4::SignRequest(r, testing::kAccessKey, testing::kSecret, "eu-west-1", service,
                       std::chrono::system_clock::now(), Sha256Hex(""));
    r.body = std::make_unique<http::StringReader>("");
    return r;
  };
  auto good = sign("lambda");
  response = pipeline.Handle(good);
  EXPECT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.body, std::string("abc POST / allowed arn:aws:iam::") + testing::kAccount + ":root");
  // Signed for another service: refused.
  auto wrong = sign("s3");
  response = pipeline.Handle(wrong);
  EXPECT_EQ(response.body, "abc POST / InvalidSignatureException");
  // A tampered signature.
  auto tampered = sign("lambda");
  tampered.target = "/other";
  response = pipeline.Handle(tampered);
  EXPECT_EQ(response.status, 403);
  EXPECT_NE(response.body.find("abc POST /other "), std::string::npos);
  EXPECT_EQ(response.body.find("allowed"), std::string::npos);
}

}  // namespace
}  // namespace cenote::aws::pipeline
