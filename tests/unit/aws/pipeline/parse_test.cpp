// The parse stage (wire -> operation + document) and the in-process operation lookup.
#include <gtest/gtest.h>

#include "pipeline_test_support.hpp"

namespace cenote::aws::pipeline {
namespace {

using testing::SignedJsonRequest;
using testing::StageHarness;

TEST(Parse, FindsTheOperationAndItsInput) {
  StageHarness h;
  auto request = SignedJsonRequest("glue", "GetDatabase", R"({"Name":"sales"})");
  Exchange e;
  e.request = &request;
  ASSERT_TRUE(stages::DetectService(h.env, e));
  ASSERT_TRUE(stages::Parse(h.env, e));
  EXPECT_EQ(e.ctx.operation, "GetDatabase");
  ASSERT_NE(e.operation, nullptr);
  EXPECT_EQ(e.input.params.at("Name").as_string(), "sales");
  EXPECT_EQ(e.input.body, nullptr);
}

TEST(Parse, MalformedBodiesAreTheProtocolsError) {
  StageHarness h;
  auto request = SignedJsonRequest("kinesis", "ListStreams", "{not json");
  Exchange e;
  e.request = &request;
  ASSERT_TRUE(stages::DetectService(h.env, e));
  Status st = stages::Parse(h.env, e);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, "SerializationException");
}

TEST(Parse, AnUnknownTargetIsUnknownOperationException) {
  StageHarness h;
  auto request = SignedJsonRequest("glue", "GetDatabase", "{}");
  request.headers.Set("x-amz-target", "AWSGlue.NoSuchOperation");
  Exchange e;
  e.request = &request;
  ASSERT_TRUE(stages::DetectService(h.env, e));
  Status st = stages::Parse(h.env, e);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, "UnknownOperationException");
}

TEST(LookUpOperation, InProcessCallsNameAModelOperation) {
  StageHarness h;
  Exchange e;
  e.service = &testing::Model("kinesis");
  e.ctx.operation = "GetRecords";
  ASSERT_TRUE(stages::LookUpOperation(h.env, e));
  EXPECT_TRUE(e.input.params.is_object());
  e.ctx.operation = "GetRecordz";
  Status st = stages::LookUpOperation(h.env, e);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, "UnknownOperationException");
}

TEST(LookUpOperation, InProcessDocumentsMeetTheModelsConstraintsToo) {
  StageHarness h;
  h.services.Register(std::make_unique<testing::FakeProvider>("glue"));
  static_cast<testing::FakeProvider*>(h.services.Find("glue"))
      ->On("GetDatabase", [](const RequestContext&, OperationInput&) -> Result<OperationOutput> {
        return boost::json::object{};
      });
  Exchange e;
  e.service = &testing::Model("glue");
  e.ctx.service = "glue";
  e.ctx.operation = "GetDatabase";
  e.input.params = boost::json::object{{"CatalogId", ""}, {"Name", std::string(300, 'n')}};
  Status st = stages::LookUpOperation(h.env, e);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, "ValidationException");
  EXPECT_NE(st.error().message.find("2 validation errors detected"), std::string::npos) << st.error().message;
  e.input.params = boost::json::object{{"Name", "sales"}};
  EXPECT_TRUE(stages::LookUpOperation(h.env, e));
  // An operation the provider lacks is not validated: the invoke stage answers it as unsupported.
  e.ctx.operation = "CreateJob";
  e.input.params = boost::json::object{};
  EXPECT_TRUE(stages::LookUpOperation(h.env, e));
}

}  // namespace
}  // namespace cenote::aws::pipeline
