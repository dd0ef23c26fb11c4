// After-hooks: every answered call reaches them (network and in-process, allowed and denied), with what
// it was; a failing hook never fails the call; RequestMetrics counts.
#include "aws/pipeline/after_hooks.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "pipeline_test_support.hpp"

namespace cenote::aws::pipeline {
namespace {

using testing::PipelineFixture;
using testing::SignedJsonRequest;

class AfterHooksTest : public PipelineFixture {};

class ThrowingHook final : public AfterHook {
 public:
  void AfterCall(const CallRecord&) override { throw std::runtime_error("hook failed"); }
};

TEST_F(AfterHooksTest, NetworkCallsAreRecordedWithTheirOutcome) {
  Add("glue").On("GetDatabase", [](const RequestContext&, OperationInput&) -> Result<OperationOutput> {
    return MakeError("EntityNotFoundException", "Database d not found.", 400);
  });
  auto request = SignedJsonRequest("glue", "GetDatabase", R"({"Name":"d"})", "eu-west-1");
  EXPECT_EQ(pipeline_.Handle(request).status, 400);
  ASSERT_EQ(recorder_.seen.size(), 1u);
  const auto& seen = recorder_.seen[0];
  EXPECT_EQ(seen.service, "glue");
  EXPECT_EQ(seen.operation, "GetDatabase");
  EXPECT_EQ(seen.error_code, "EntityNotFoundException");
  EXPECT_EQ(seen.region, "eu-west-1");
  EXPECT_EQ(seen.target, "/");
  EXPECT_EQ(seen.status, 400);
  EXPECT_TRUE(seen.invoked_by.empty());
  EXPECT_TRUE(seen.had_params);
}

TEST_F(AfterHooksTest, CallsRefusedBeforeTheProviderAreRecordedToo) {
  auto request = SignedJsonRequest("kinesis", "ListStreams", "{}", "us-east-1", /*sign=*/false);
  EXPECT_EQ(pipeline_.Handle(request).status, 400);  // no signature: MissingAuthenticationToken
  ASSERT_EQ(recorder_.seen.size(), 1u);
  EXPECT_EQ(recorder_.seen[0].service, "kinesis");
  EXPECT_FALSE(recorder_.seen[0].error_code.empty());
  EXPECT_FALSE(recorder_.seen[0].had_params);
}

TEST_F(AfterHooksTest, AFailingHookDoesNotFailTheCall) {
  ThrowingHook thrower;
  pipeline_.AddHook(&thrower);
  Add("kinesis").On("ListStreams", [](const RequestContext&, OperationInput&) -> Result<OperationOutput> {
    return boost::json::object{{"StreamNames", boost::json::array()}};
  });
  auto request = SignedJsonRequest("kinesis", "ListStreams", "{}");
  EXPECT_EQ(pipeline_.Handle(request).status, 200);
  EXPECT_EQ(recorder_.seen.size(), 1u);
}

TEST(RequestMetrics, CountsCallsErrorsAndInProcessCalls) {
  RequestMetrics metrics;
  RequestContext ctx;
  ctx.service = "s3";
  ctx.operation = "GetObject";
  Error not_found = MakeError("NoSuchKey", "x", 404);
  metrics.AfterCall(CallRecord{.ctx = ctx, .http_status = 200, .duration = std::chrono::microseconds(10)});
  metrics.AfterCall(CallRecord{.ctx = ctx, .http_status = 404, .error = &not_found});
  ctx.invoked_by = "athena.amazonaws.com";
  metrics.AfterCall(CallRecord{.ctx = ctx, .http_status = 500});
  auto snapshot = metrics.Snapshot();
  ASSERT_EQ(snapshot.count("s3:GetObject"), 1u);
  const auto& c = snapshot.at("s3:GetObject");
  EXPECT_EQ(c.calls, 3);
  EXPECT_EQ(c.client_errors, 1);
  EXPECT_EQ(c.server_errors, 1);
  EXPECT_EQ(c.in_process_calls, 1);
  EXPECT_EQ(c.total_micros, 10);
}

}  // namespace
}  // namespace cenote::aws::pipeline
