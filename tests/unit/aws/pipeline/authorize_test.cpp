// The authorize stage with the baseline authorizer (until IAM): roots and service calls are allowed,
// everyone else is denied in the service's words.
#include <gtest/gtest.h>

#include "pipeline_test_support.hpp"

namespace cenote::aws::pipeline {
namespace {

using testing::StageHarness;

Status AuthorizeAs(StageHarness& h, std::string_view service, std::string_view operation,
                   iam::Principal principal, std::string invoked_by = "") {
  Exchange e;
  e.service = &testing::Model(service);
  e.ctx.service = std::string(service);
  e.ctx.operation = std::string(operation);
  e.ctx.principal = std::move(principal);
  e.ctx.invoked_by = std::move(invoked_by);
  e.input.params = boost::json::object();
  return stages::Authorize(h.env, e);
}

iam::Principal Root() {
  iam::Principal p;
  p.account_id = testing::kAccount;
  p.arn = std::string("arn:aws:iam::") + testing::kAccount + ":root";
  p.is_root = true;
  p.type = iam::PrincipalType::kRoot;
  return p;
}

iam::Principal Role() {
  iam::Principal p;
  p.account_id = testing::kAccount;
  p.arn = std::string("arn:aws:sts::") + testing::kAccount + ":assumed-role/delivery/firehose";
  return p;
}

TEST(Authorize, RootIsAllowed) {
  StageHarness h;
  EXPECT_TRUE(AuthorizeAs(h, "glue", "GetDatabase", Root()));
  EXPECT_TRUE(AuthorizeAs(h, "s3", "GetObject", Root()));
}

TEST(Authorize, ServiceCallsAsAConfiguredRoleAreAllowed) {
  StageHarness h;
  EXPECT_TRUE(AuthorizeAs(h, "s3", "PutObject", Role(), "firehose.amazonaws.com"));
}

TEST(Authorize, OtherCallersAreDeniedInTheServicesWords) {
  StageHarness h;
  Status json = AuthorizeAs(h, "glue", "GetDatabase", Role());
  ASSERT_FALSE(json);
  EXPECT_EQ(json.error().code, "AccessDeniedException");
  EXPECT_EQ(json.error().message,
            "User: " + Role().arn + " is not authorized to perform: glue:GetDatabase on resource: *");
  Status s3 = AuthorizeAs(h, "s3", "GetObject", Role());
  ASSERT_FALSE(s3);
  EXPECT_EQ(s3.error().code, "AccessDenied");
  EXPECT_EQ(s3.error().http_status, 403);
  iam::Principal anonymous;
  anonymous.anonymous = true;
  Status query = AuthorizeAs(h, "sts", "GetCallerIdentity", anonymous);
  ASSERT_FALSE(query);
  EXPECT_EQ(query.error().code, "AccessDenied");
  // A query service with its own code for a denial (the model overlay's accessDeniedCode).
  Status sns = AuthorizeAs(h, "sns", "Publish", Role());
  ASSERT_FALSE(sns);
  EXPECT_EQ(sns.error().code, "AuthorizationError");
  EXPECT_EQ(sns.error().http_status, 403);
}

}  // namespace
}  // namespace cenote::aws::pipeline
