// IamAuthorizer: the action map, the principal's policies, the resource's policy and SCPs, decided by the
// evaluator; the modes; the denial in each protocol's words.
#include "aws/pipeline/iam_authorizer.hpp"

#include <gtest/gtest.h>

#include <map>

#include "iam/directory.hpp"
#include "pipeline_test_support.hpp"

namespace cenote::aws::pipeline {
namespace {

constexpr char kOther[] = "210987654321";

std::shared_ptr<const iam::Policy> Compile(std::string_view text, iam::PolicyKind kind) {
  auto p = iam::ParsePolicy(text, kind);
  if (!p) throw std::runtime_error(p.error().message);
  return std::make_shared<const iam::Policy>(std::move(*p));
}

class FakeDirectory final : public iam::Directory {
 public:
  std::map<std::string, std::shared_ptr<const iam::EntityPolicies>, std::less<>> entities;
  std::shared_ptr<const iam::EntityPolicies> PoliciesOf(std::string_view arn) const override {
    auto it = entities.find(arn);
    return it == entities.end() ? nullptr : it->second;
  }
  std::optional<iam::RoleInfo> FindRole(std::string_view) const override { return std::nullopt; }
  std::shared_ptr<const iam::Policy> ManagedPolicy(std::string_view) const override { return nullptr; }
};

class FakeOrganizations final : public iam::Organizations {
 public:
  std::vector<std::vector<iam::NamedPolicy>> layers;
  std::vector<std::vector<iam::NamedPolicy>> rcp_layers;
  std::vector<std::vector<iam::NamedPolicy>> ScpLayers(std::string_view account) const override {
    return account == testing::kAccount ? layers : std::vector<std::vector<iam::NamedPolicy>>{};
  }
  std::vector<std::vector<iam::NamedPolicy>> RcpLayers(std::string_view account) const override {
    return account == testing::kAccount ? rcp_layers : std::vector<std::vector<iam::NamedPolicy>>{};
  }
  std::string OrganizationId(std::string_view) const override { return "o-abcdefghij"; }
  std::string OrganizationPath(std::string_view) const override { return "o-abcdefghij/r-ab12/"; }
};

// Buckets "mine" (this account) and "theirs" (kOther), each with an optional policy.
class FakeS3 final : public iam::ResourceAuthority {
 public:
  std::string mine_policy;
  std::string theirs_policy;
  std::string_view service() const override { return "s3"; }
  Result<iam::ResourceFacts> Facts(const iam::RequestPrincipal&, std::string_view,
                                   std::string_view arn) const override {
    iam::ResourceFacts facts;
    const bool theirs = arn.starts_with("arn:aws:s3:::theirs");
    facts.owner_account = theirs ? kOther : testing::kAccount;
    const std::string& text = theirs ? theirs_policy : mine_policy;
    if (!text.empty())
      facts.policy = iam::NamedPolicy{"bucket policy", Compile(text, iam::PolicyKind::kResource)};
    return facts;
  }
};

iam::Principal User(std::string name, std::string account = testing::kAccount) {
  iam::Principal p;
  p.type = iam::PrincipalType::kUser;
  p.account_id = account;
  p.arn = "arn:aws:iam::" + account + ":user/" + name;
  p.entity_arn = p.arn;
  p.user_id = "AIDAEXAMPLE" + name;
  p.canonical_id = iam::CanonicalUserId(account);
  return p;
}

iam::Principal Anonymous() {
  iam::Principal p;
  p.anonymous = true;
  p.type = iam::PrincipalType::kAnonymous;
  return p;
}

struct Fixture {
  explicit Fixture(IamMode mode = IamMode::kEnforce) : authorizer(mode) {
    auto alice = std::make_shared<iam::EntityPolicies>();
    alice->arn = User("alice").arn;
    alice->account_id = testing::kAccount;
    alice->name = "alice";
    alice->identity.push_back(
        {"ReadMine",
         Compile(R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject",
           "s3:ListBucket"],"Resource":["arn:aws:s3:::mine","arn:aws:s3:::mine/*","arn:aws:s3:::theirs/*"]},
           {"Effect":"Allow","Action":"glue:GetDatabase","Resource":"*"}]})",
                 iam::PolicyKind::kIdentity)});
    alice->tags = {{"team", "data"}};
    directory.entities[alice->arn] = alice;
    Rebind();
  }
  void Rebind() {
    IamAuthorizer::Sources sources;
    sources.directory = &directory;
    sources.organizations = &organizations;
    sources.authorities = {&s3};
    authorizer.Bind(std::move(sources));
  }

  Status Call(const iam::Principal& principal, std::string_view service, std::string_view operation,
              boost::json::object params, std::string invoked_by = "", bool forwarded = false) {
    RequestContext ctx;
    ctx.invoked_by = std::move(invoked_by);
    ctx.forwarded = forwarded;
    ctx.principal = principal;
    ctx.region = "us-east-1";
    ctx.service = std::string(service);
    ctx.operation = std::string(operation);
    ctx.source_ip = "127.0.0.1:53211";  // as the server records it
    boost::json::value doc = std::move(params);
    AuthorizationRequest request{ctx, testing::Model(service), operation, doc};
    return authorizer.Authorize(request);
  }

  FakeDirectory directory;
  FakeOrganizations organizations;
  FakeS3 s3;
  IamAuthorizer authorizer;
};

boost::json::object Object(std::string bucket, std::string key) {
  return {{"Bucket", std::move(bucket)}, {"Key", std::move(key)}};
}

TEST(IamAuthorizer, RootNeedsNoPolicy) {
  Fixture f;
  EXPECT_TRUE(f.Call(iam::RootPrincipal(testing::kAccount), "s3", "GetObject", Object("mine", "k")));
  EXPECT_TRUE(f.Call(iam::RootPrincipal(testing::kAccount), "glue", "GetDatabase", {{"Name", "db"}}));
}

TEST(IamAuthorizer, UserGetsWhatItsPoliciesAllow) {
  Fixture f;
  EXPECT_TRUE(f.Call(User("alice"), "s3", "GetObject", Object("mine", "a/b.csv")));
  EXPECT_TRUE(f.Call(User("alice"), "s3", "HeadObject", Object("mine", "a/b.csv")));  // s3:GetObject
  EXPECT_TRUE(f.Call(User("alice"), "s3", "ListObjectsV2", {{"Bucket", "mine"}}));    // s3:ListBucket
  Status put = f.Call(User("alice"), "s3", "PutObject", Object("mine", "a/b.csv"));
  ASSERT_FALSE(put);
  EXPECT_EQ(put.error().code, "AccessDenied");
  EXPECT_EQ(put.error().http_status, 403);
  EXPECT_EQ(put.error().message,
            "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: "
            "s3:PutObject on resource: \"arn:aws:s3:::mine/a/b.csv\" because no "
            "identity-based policy allows the s3:PutObject action");
}

TEST(IamAuthorizer, DenialsInEachProtocolsWords) {
  Fixture f;
  Status json = f.Call(User("alice"), "glue", "GetTable", {{"DatabaseName", "db"}, {"Name", "t"}});
  ASSERT_FALSE(json);
  EXPECT_EQ(json.error().code, "AccessDeniedException");
  EXPECT_EQ(json.error().http_status, 400);
  EXPECT_NE(json.error().message.find("glue:GetTable"), std::string::npos);
  // S3 names nothing to a caller of another account.
  Status s3 = f.Call(User("bob", kOther), "s3", "GetObject", Object("mine", "k"));
  ASSERT_FALSE(s3);
  EXPECT_EQ(s3.error().message, "Access Denied");
}

TEST(IamAuthorizer, AnEntityIamDoesNotKnowIsDenied) {
  Fixture f;
  Status st = f.Call(User("ghost"), "s3", "GetObject", Object("mine", "k"));
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("no identity-based policy"), std::string::npos);
}

TEST(IamAuthorizer, BucketPolicyGrantsAnonymousAndOtherAccounts) {
  Fixture f;
  EXPECT_FALSE(f.Call(Anonymous(), "s3", "GetObject", Object("mine", "public/x")));
  f.s3.mine_policy = R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",
      "Action":"s3:GetObject","Resource":"arn:aws:s3:::mine/public/*"}]})";
  EXPECT_TRUE(f.Call(Anonymous(), "s3", "GetObject", Object("mine", "public/x")));
  EXPECT_FALSE(f.Call(Anonymous(), "s3", "GetObject", Object("mine", "private/x")));
  EXPECT_FALSE(f.Call(Anonymous(), "s3", "PutObject", Object("mine", "public/x")));
  // Cross-account: the bucket policy and the caller's own identity policy must both allow.
  EXPECT_FALSE(f.Call(User("alice"), "s3", "GetObject", Object("theirs", "k")));
  f.s3.theirs_policy = R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow",
      "Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":["s3:GetObject","s3:PutObject"],
      "Resource":"arn:aws:s3:::theirs/*"}]})";
  EXPECT_TRUE(f.Call(User("alice"), "s3", "GetObject", Object("theirs", "k")));
  EXPECT_FALSE(f.Call(User("alice"), "s3", "PutObject", Object("theirs", "k")));  // not in her policy
  EXPECT_TRUE(f.Call(iam::RootPrincipal(testing::kAccount), "s3", "PutObject", Object("theirs", "k")));
}

TEST(IamAuthorizer, ExplicitDenyWinsEvenForRoot) {
  Fixture f;
  f.s3.mine_policy = R"({"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*",
      "Action":"s3:GetObject","Resource":"arn:aws:s3:::mine/*",
      "Condition":{"Bool":{"aws:SecureTransport":"false"}}}]})";
  Status st = f.Call(iam::RootPrincipal(testing::kAccount), "s3", "GetObject", Object("mine", "k"));
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("explicit deny in a resource-based policy"), std::string::npos);
}

TEST(IamAuthorizer, ServiceControlPoliciesLimitTheAccount) {
  Fixture f;
  f.organizations.layers = {
      {{"FullAWSAccess", Compile(R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*",
          "Resource":"*"}]})",
                                 iam::PolicyKind::kScp)}},
      {{"OnlyS3", Compile(R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*",
          "Resource":"*"}]})",
                          iam::PolicyKind::kScp)}}};
  EXPECT_TRUE(f.Call(User("alice"), "s3", "GetObject", Object("mine", "k")));
  Status st = f.Call(User("alice"), "glue", "GetDatabase", {{"Name", "db"}});
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("service control policy"), std::string::npos);
  EXPECT_FALSE(f.Call(iam::RootPrincipal(testing::kAccount), "glue", "GetDatabase", {{"Name", "db"}}));
}

TEST(IamAuthorizer, ResourceControlPoliciesGuardTheOwnersResources) {
  Fixture f;
  // RCPFullAWSAccess on every level (as Organizations attaches it), and on the account a perimeter: outsiders
  // of the organization may not reach this account's objects, whatever the bucket policy says (service
  // principals exempt).
  const iam::NamedPolicy full{
      "RCPFullAWSAccess", Compile(R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",
                                  "Action":"*","Resource":"*"}]})",
                                  iam::PolicyKind::kRcp)};
  const iam::NamedPolicy perimeter{
      "perimeter", Compile(R"({"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*",
          "Action":"s3:*","Resource":"*","Condition":{"StringNotEqualsIfExists":
          {"aws:PrincipalOrgID":"o-abcdefghij"},"BoolIfExists":{"aws:PrincipalIsAWSService":"false"}}}]})",
                           iam::PolicyKind::kRcp)};
  f.organizations.rcp_layers = {{full}, {full, perimeter}};
  f.s3.mine_policy = R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",
      "Action":"s3:GetObject","Resource":"arn:aws:s3:::mine/*"}]})";
  // Anonymous callers are outside the organization: the RCP stops what the bucket policy grants them.
  Status anonymous = f.Call(Anonymous(), "s3", "GetObject", Object("mine", "k"));
  ASSERT_FALSE(anonymous);
  EXPECT_EQ(anonymous.error().code, "AccessDenied");
  EXPECT_TRUE(f.Call(User("alice"), "s3", "GetObject", Object("mine", "k")));
  // A layer without an Allow denies everything below it, as with SCPs.
  f.organizations.rcp_layers = {{full}, {perimeter}};
  EXPECT_FALSE(f.Call(User("alice"), "s3", "GetObject", Object("mine", "k")));
  // RCPs guard only the services they cover: Glue is not one of them.
  EXPECT_TRUE(f.Call(User("alice"), "glue", "GetDatabase", {{"Name", "db"}}));
  // Without RCPs, the bucket policy's grant to everyone stands.
  f.organizations.rcp_layers.clear();
  EXPECT_TRUE(f.Call(Anonymous(), "s3", "GetObject", Object("mine", "k")));
}

TEST(IamAuthorizer, PrincipalTagsAndGlobalKeysReachConditions) {
  Fixture f;
  auto carol = std::make_shared<iam::EntityPolicies>();
  carol->arn = User("carol").arn;
  carol->tags = {{"team", "data"}};
  carol->identity.push_back(
      {"Tagged", Compile(R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject",
          "Resource":"arn:aws:s3:::mine/${aws:PrincipalTag/team}/*",
          "Condition":{"IpAddress":{"aws:SourceIp":"127.0.0.0/8"},"StringEquals":{"aws:RequestedRegion":"us-east-1"}}}]})",
                         iam::PolicyKind::kIdentity)});
  f.directory.entities[carol->arn] = carol;
  EXPECT_TRUE(f.Call(User("carol"), "s3", "GetObject", Object("mine", "data/x")));
  EXPECT_FALSE(f.Call(User("carol"), "s3", "GetObject", Object("mine", "finance/x")));
}

TEST(IamAuthorizer, ForwardedCallsAreCallsViaTheService) {
  Fixture f;
  auto dana = std::make_shared<iam::EntityPolicies>();
  dana->arn = User("dana").arn;
  dana->identity.push_back(
      {"ViaAthenaOnly",
       Compile(R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"glue:GetDatabase",
          "Resource":"*","Condition":{"ForAnyValue:StringEquals":{"aws:CalledVia":"athena.amazonaws.com"},
          "Bool":{"aws:ViaAWSService":"true"}}}]})",
               iam::PolicyKind::kIdentity)});
  f.directory.entities[dana->arn] = dana;
  const boost::json::object db{{"Name", "db"}};
  EXPECT_FALSE(f.Call(User("dana"), "glue", "GetDatabase", db));  // from the network
  EXPECT_TRUE(f.Call(User("dana"), "glue", "GetDatabase", db, "athena.amazonaws.com", /*forwarded=*/true));
  // The service acting as itself (not with the caller's credentials) is not a call via it.
  EXPECT_FALSE(f.Call(User("dana"), "glue", "GetDatabase", db, "athena.amazonaws.com", /*forwarded=*/false));
}

// IAM's users all at path "/".
class FakeIam final : public iam::ResourceAuthority {
 public:
  std::string_view service() const override { return "iam"; }
  Result<iam::ResourceFacts> Facts(const iam::RequestPrincipal&, std::string_view,
                                   std::string_view) const override {
    return iam::ResourceFacts{};
  }
  Result<std::string> Lookup(std::string_view name, std::span<const std::string> args) const override {
    if (name == "UserPath") return std::string("/");
    return ResourceAuthority::Lookup(name, args);
  }
};

TEST(IamAuthorizer, SelfServiceCallsAreAuthorizedOnTheCallersOwnArn) {
  Fixture f;
  FakeIam iam_authority;
  IamAuthorizer::Sources sources;
  sources.directory = &f.directory;
  sources.organizations = &f.organizations;
  sources.authorities = {&f.s3, &iam_authority};
  f.authorizer.Bind(std::move(sources));
  auto erin = std::make_shared<iam::EntityPolicies>();
  erin->arn = User("erin").arn;
  erin->identity.push_back(
      {"OwnKeys", Compile(R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GetUser",
          "iam:CreateAccessKey","iam:ListAccessKeys"],"Resource":"arn:aws:iam::*:user/${aws:username}"}]})",
                          iam::PolicyKind::kIdentity)});
  f.directory.entities[erin->arn] = erin;
  // Without UserName the call acts on the caller: its own ARN is the resource, so ${aws:username} matches.
  EXPECT_TRUE(f.Call(User("erin"), "iam", "GetUser", {}));
  EXPECT_TRUE(f.Call(User("erin"), "iam", "CreateAccessKey", {}));
  // Another user's keys are not the caller's own.
  Status other = f.Call(User("erin"), "iam", "ListAccessKeys", {{"UserName", "frank"}});
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, "AccessDenied") << other.error().message;
}

TEST(IamAuthorizer, SessionPoliciesNarrowARole) {
  Fixture f;
  auto role = std::make_shared<iam::EntityPolicies>();
  role->type = iam::PrincipalType::kAssumedRole;
  role->arn = std::string("arn:aws:iam::") + testing::kAccount + ":role/loader";
  role->identity.push_back({"S3", Compile(R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow",
      "Action":"s3:*","Resource":"*"}]})",
                                          iam::PolicyKind::kIdentity)});
  f.directory.entities[role->arn] = role;
  iam::Principal p = iam::RoleSessionPrincipal(role->arn, "s1", testing::kAccount);
  EXPECT_TRUE(f.Call(p, "s3", "PutObject", Object("mine", "k")));
  auto session = std::make_shared<iam::Session>();
  session->policies.push_back({"session", Compile(R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow",
      "Action":"s3:GetObject","Resource":"*"}]})",
                                                  iam::PolicyKind::kSession)});
  p.session = session;
  EXPECT_TRUE(f.Call(p, "s3", "GetObject", Object("mine", "k")));
  EXPECT_FALSE(f.Call(p, "s3", "PutObject", Object("mine", "k")));
}

TEST(IamAuthorizer, AuditModeAllowsAndOffModeDoesNotEvaluate) {
  Fixture audit(IamMode::kAudit);
  EXPECT_TRUE(audit.Call(User("alice"), "s3", "PutObject", Object("mine", "k")));
  EXPECT_TRUE(audit.Call(Anonymous(), "s3", "GetObject", Object("mine", "k")));
  Fixture off(IamMode::kOff);
  EXPECT_TRUE(off.Call(Anonymous(), "s3", "DeleteBucket", {{"Bucket", "mine"}}));
}

TEST(IamAuthorizer, PostUploadsAreAuthorizedOnTheirFormsKey) {
  Fixture f;
  f.s3.mine_policy = R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",
      "Action":"s3:PutObject","Resource":"arn:aws:s3:::mine/uploads/*"}]})";
  // Key: the form's key field, parsed from the header authentication sets (the PostObject overlay model).
  EXPECT_TRUE(f.Call(Anonymous(), "s3", "PostObject", {{"Bucket", "mine"}, {"Key", "uploads/photo.jpg"}}));
  EXPECT_FALSE(f.Call(Anonymous(), "s3", "PostObject", {{"Bucket", "mine"}, {"Key", "elsewhere/photo.jpg"}}));
}

TEST(IamAuthorizer, ModesParse) {
  EXPECT_EQ(*ParseIamMode("audit"), IamMode::kAudit);
  EXPECT_FALSE(ParseIamMode("permissive"));
  EXPECT_EQ(IamModeName(IamMode::kOff), "off");
}

}  // namespace
}  // namespace cenote::aws::pipeline
