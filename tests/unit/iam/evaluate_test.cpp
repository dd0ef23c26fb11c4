#include "iam/evaluate.hpp"

#include <gtest/gtest.h>

#include "iam_test_util.hpp"

namespace cenote::iam {
namespace {

using namespace testing;

constexpr std::string_view kAcct = "111122223333";
constexpr std::string_view kOther = "444455556666";

std::string Doc(std::string_view statements) {
  std::string doc = R"({"Version":"2012-10-17","Statement":)";
  doc.append(statements).append("}");
  return doc;
}

const Policy& AllowS3Get() {
  static const Policy p = MustParse(Doc(R"({"Effect":"Allow","Action":"s3:GetObject","Resource":"*"})"));
  return p;
}
const Policy& AllowAll(PolicyKind kind = PolicyKind::kIdentity) {
  static const Policy identity = MustParse(Doc(R"({"Effect":"Allow","Action":"*","Resource":"*"})"));
  static const Policy scp =
      MustParse(Doc(R"({"Effect":"Allow","Action":"*","Resource":"*"})"), PolicyKind::kScp);
  return kind == PolicyKind::kScp ? scp : identity;
}
const Policy& AllowIam() {
  static const Policy p = MustParse(Doc(R"({"Effect":"Allow","Action":"iam:*","Resource":"*"})"));
  return p;
}

Policy BucketPolicy(std::string_view principal, std::string_view effect = "Allow") {
  std::string statement = R"({"Sid":"Bucket","Effect":")";
  statement.append(effect).append(R"(","Principal":)").append(principal);
  statement.append(R"(,"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"})");
  return MustParse(Doc(statement), PolicyKind::kResource);
}

Request Get(RequestPrincipal principal, std::string_view resource_account = "") {
  return MakeRequest(std::move(principal), "s3:GetObject", "arn:aws:s3:::b/k", std::string(resource_account));
}

TEST(EvaluateTest, ImplicitDenyByDefault) {
  EvaluationResult r = Evaluate(Get(User(std::string(kAcct), "alice")), PolicySet{});
  EXPECT_EQ(r.decision, Decision::kImplicitDeny);
  EXPECT_EQ(r.missing, PolicyType::kIdentity);
  EXPECT_EQ(
      AccessDeniedMessage(Get(User(std::string(kAcct), "alice")), r),
      "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: s3:GetObject on resource: "
      "\"arn:aws:s3:::b/k\" because no identity-based policy allows the s3:GetObject action");
}

TEST(EvaluateTest, IdentityAllowAndExplicitDeny) {
  PolicySet set;
  set.identity.push_back({"ReadOnly", &AllowS3Get()});
  Request req = Get(User(std::string(kAcct), "alice"));
  EvaluationResult r = Evaluate(req, set);
  ASSERT_TRUE(r.allowed());
  EXPECT_EQ(r.statement->policy_name, "ReadOnly");
  EXPECT_EQ(DescribeEvaluation(r), "Allow by identity-based policy \"ReadOnly\" statement 0");

  Policy deny = MustParse(Doc(R"({"Sid":"NoGets","Effect":"Deny","Action":"s3:Get*","Resource":"*"})"));
  set.identity.push_back({"Guard", &deny});
  r = Evaluate(req, set);
  EXPECT_EQ(r.decision, Decision::kExplicitDeny);
  EXPECT_EQ(r.statement->sid, "NoGets");
  EXPECT_EQ(DenialReason(r, req.action), "with an explicit deny in an identity-based policy");
}

TEST(EvaluateTest, ActionsAreCaseInsensitiveResourcesAreNot) {
  Policy p = MustParse(Doc(R"({"Effect":"Allow","Action":"S3:getobject","Resource":"arn:aws:s3:::b/K*"})"));
  PolicySet set;
  set.identity.push_back({"p", &p});
  EXPECT_TRUE(
      Evaluate(MakeRequest(User("111122223333", "a"), "s3:GetObject", "arn:aws:s3:::b/Key"), set).allowed());
  EXPECT_FALSE(
      Evaluate(MakeRequest(User("111122223333", "a"), "s3:GetObject", "arn:aws:s3:::b/key"), set).allowed());
}

TEST(EvaluateTest, NotActionAndNotResource) {
  Policy p = MustParse(Doc(R"([{"Effect":"Allow","NotAction":"iam:*","Resource":"*"},
                               {"Effect":"Deny","Action":"s3:*","NotResource":["arn:aws:s3:::public","arn:aws:s3:::public/*"]}])"));
  PolicySet set;
  set.identity.push_back({"p", &p});
  RequestPrincipal alice = User("111122223333", "alice");
  EXPECT_TRUE(Evaluate(MakeRequest(alice, "s3:GetObject", "arn:aws:s3:::public/x"), set).allowed());
  EXPECT_EQ(Evaluate(MakeRequest(alice, "s3:GetObject", "arn:aws:s3:::private/x"), set).decision,
            Decision::kExplicitDeny);
  EXPECT_EQ(Evaluate(MakeRequest(alice, "iam:CreateUser", "*"), set).decision, Decision::kImplicitDeny);
  EXPECT_TRUE(
      Evaluate(MakeRequest(alice, "sqs:SendMessage", "arn:aws:sqs:us-east-1:111122223333:q"), set).allowed());
}

TEST(EvaluateTest, RootNeedsNoIdentityPolicyButScpsAndDeniesBindIt) {
  Request req = Get(Root(std::string(kAcct)));
  EXPECT_TRUE(Evaluate(req, PolicySet{}).allowed());
  PolicySet set;
  set.scp_layers.push_back({{"FullAWSAccess", &AllowAll(PolicyKind::kScp)}});
  Policy deny_s3 = MustParse(Doc(R"({"Effect":"Deny","Action":"s3:*","Resource":"*"})"), PolicyKind::kScp);
  set.scp_layers.push_back({{"NoS3", &deny_s3}});
  EvaluationResult r = Evaluate(req, set);
  EXPECT_EQ(r.decision, Decision::kExplicitDeny);
  EXPECT_EQ(r.statement->type, PolicyType::kScp);
  EXPECT_EQ(r.statement->layer, 1);
  EXPECT_EQ(DenialReason(r, "s3:GetObject"), "with an explicit deny in a service control policy");
}

TEST(EvaluateTest, ScpWithoutAllowDenies) {
  PolicySet set;
  set.identity.push_back({"admin", &AllowAll()});
  set.scp_layers.push_back({{"FullAWSAccess", &AllowAll(PolicyKind::kScp)}});
  Policy only_iam = MustParse(Doc(R"({"Effect":"Allow","Action":"iam:*","Resource":"*"})"), PolicyKind::kScp);
  set.scp_layers.push_back({{"OnlyIam", &only_iam}});
  Request req = Get(User(std::string(kAcct), "alice"));
  EvaluationResult r = Evaluate(req, set);
  EXPECT_EQ(r.decision, Decision::kImplicitDeny);
  EXPECT_EQ(r.missing, PolicyType::kScp);
  EXPECT_EQ(r.missing_layer, 1);
  EXPECT_EQ(DenialReason(r, req.action), "because no service control policy allows the s3:GetObject action");
  // An SCP never grants by itself.
  PolicySet scp_only;
  scp_only.scp_layers.push_back({{"FullAWSAccess", &AllowAll(PolicyKind::kScp)}});
  EXPECT_EQ(Evaluate(req, scp_only).missing, PolicyType::kIdentity);
  // A resource-policy grant is limited by SCPs too.
  Policy bucket = BucketPolicy(R"({"AWS":"arn:aws:iam::111122223333:user/alice"})");
  PolicySet with_bucket;
  with_bucket.resource = PolicyRef{"bucket", &bucket};
  with_bucket.scp_layers = set.scp_layers;
  EXPECT_EQ(Evaluate(req, with_bucket).missing, PolicyType::kScp);
}

TEST(EvaluateTest, RcpLayers) {
  Policy rcp_full =
      MustParse(Doc(R"({"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"})"), PolicyKind::kRcp);
  Policy rcp_deny = MustParse(Doc(R"({"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*",
      "Condition":{"StringNotEqualsIfExists":{"aws:PrincipalAccount":"111122223333"}}})"),
                              PolicyKind::kRcp);
  Policy bucket = BucketPolicy(R"("*")");
  PolicySet set;
  set.resource = PolicyRef{"bucket", &bucket};
  set.rcp_layers.push_back({{"RCPFullAWSAccess", &rcp_full}, {"OnlyOurAccount", &rcp_deny}});
  EXPECT_TRUE(Evaluate(Get(User(std::string(kAcct), "alice")), set).allowed());
  EvaluationResult r = Evaluate(Get(User(std::string(kOther), "mallory"), kAcct), set);
  EXPECT_EQ(r.decision, Decision::kExplicitDeny);
  EXPECT_EQ(DenialReason(r, "s3:GetObject"), "with an explicit deny in a resource control policy");
  set.rcp_layers.push_back({});
  EXPECT_EQ(Evaluate(Get(User(std::string(kAcct), "alice")), set).missing, PolicyType::kRcp);
}

// Same account: a resource policy naming the user's ARN grants without any identity policy and despite a
// permissions boundary that does not allow the action.
TEST(EvaluateTest, SameAccountResourcePolicyNamingTheUser) {
  Policy bucket = BucketPolicy(R"({"AWS":"arn:aws:iam::111122223333:user/alice"})");
  PolicySet set;
  set.resource = PolicyRef{"bucket", &bucket};
  Request alice = Get(User(std::string(kAcct), "alice"));
  EvaluationResult r = Evaluate(alice, set);
  ASSERT_TRUE(r.allowed());
  EXPECT_EQ(r.statement->type, PolicyType::kResource);
  set.boundary = PolicyRef{"boundary", &AllowIam()};
  EXPECT_TRUE(Evaluate(alice, set).allowed());
  // Bob is not named.
  EXPECT_FALSE(Evaluate(Get(User(std::string(kAcct), "bob")), set).allowed());
}

TEST(EvaluateTest, BoundaryLimitsIdentityPolicies) {
  PolicySet set;
  set.identity.push_back({"admin", &AllowAll()});
  set.boundary = PolicyRef{"boundary", &AllowIam()};
  Request req = Get(User(std::string(kAcct), "alice"));
  EvaluationResult r = Evaluate(req, set);
  EXPECT_EQ(r.decision, Decision::kImplicitDeny);
  EXPECT_EQ(r.missing, PolicyType::kBoundary);
  EXPECT_EQ(DenialReason(r, req.action), "because no permissions boundary allows the s3:GetObject action");
  EXPECT_TRUE(Evaluate(MakeRequest(User(std::string(kAcct), "alice"), "iam:ListUsers", "*"), set).allowed());
  // The boundary alone grants nothing.
  PolicySet boundary_only;
  boundary_only.boundary = PolicyRef{"boundary", &AllowAll()};
  EXPECT_EQ(Evaluate(req, boundary_only).missing, PolicyType::kIdentity);
  // A deny in the boundary is an explicit deny.
  Policy deny = MustParse(Doc(R"({"Effect":"Deny","Action":"s3:*","Resource":"*"})"));
  set.boundary = PolicyRef{"deny", &deny};
  EXPECT_EQ(Evaluate(req, set).decision, Decision::kExplicitDeny);
}

TEST(EvaluateTest, RoleSessionsAndResourcePolicies) {
  Request session = Get(RoleSession(std::string(kAcct), "reader", "s1"));
  // Naming the role: no identity policy needed, but the boundary and session policies limit it.
  Policy to_role = BucketPolicy(R"({"AWS":"arn:aws:iam::111122223333:role/reader"})");
  PolicySet set;
  set.resource = PolicyRef{"bucket", &to_role};
  EXPECT_TRUE(Evaluate(session, set).allowed());
  set.boundary = PolicyRef{"boundary", &AllowIam()};
  EXPECT_EQ(Evaluate(session, set).missing, PolicyType::kBoundary);
  set.boundary.reset();
  set.session.push_back({"session", &AllowIam()});
  EXPECT_EQ(Evaluate(session, set).missing, PolicyType::kSession);
  // Naming the session itself: not limited by the boundary or session policies.
  Policy to_session = BucketPolicy(R"({"AWS":"arn:aws:sts::111122223333:assumed-role/reader/s1"})");
  set.resource = PolicyRef{"bucket", &to_session};
  set.boundary = PolicyRef{"boundary", &AllowIam()};
  EXPECT_TRUE(Evaluate(session, set).allowed());
  EXPECT_FALSE(Evaluate(Get(RoleSession(std::string(kAcct), "reader", "s2")), set).allowed());
}

TEST(EvaluateTest, SessionPoliciesIntersectWithIdentityPolicies) {
  Request session = Get(RoleSession(std::string(kAcct), "admin", "s"));
  PolicySet set;
  set.identity.push_back({"admin", &AllowAll()});
  EXPECT_TRUE(Evaluate(session, set).allowed());  // no session policy: the role's permissions
  set.session.push_back({"session", &AllowIam()});
  EvaluationResult r = Evaluate(session, set);
  EXPECT_EQ(r.missing, PolicyType::kSession);
  EXPECT_EQ(DenialReason(r, "s3:GetObject"), "because no session policy allows the s3:GetObject action");
  set.session.push_back({"session2", &AllowS3Get()});  // several session policies: any may allow
  EXPECT_TRUE(Evaluate(session, set).allowed());
  // Session policies alone grant nothing.
  PolicySet session_only;
  session_only.session.push_back({"session", &AllowAll()});
  EXPECT_EQ(Evaluate(session, session_only).missing, PolicyType::kIdentity);
}

TEST(EvaluateTest, FederatedUsers) {
  Request fed = Get(FederatedUser(std::string(kAcct), "visitor", "alice"));
  PolicySet set;
  set.identity.push_back({"alice", &AllowAll()});
  // A GetFederationToken session without a session policy has no permissions.
  EXPECT_EQ(Evaluate(fed, set).missing, PolicyType::kSession);
  set.session.push_back({"session", &AllowS3Get()});
  EXPECT_TRUE(Evaluate(fed, set).allowed());
  // A resource policy naming the federated session grants directly.
  Policy to_session = BucketPolicy(R"({"AWS":"arn:aws:sts::111122223333:federated-user/visitor"})");
  PolicySet direct;
  direct.resource = PolicyRef{"bucket", &to_session};
  EXPECT_TRUE(Evaluate(fed, direct).allowed());
  // Naming the IAM user who federated: limited by the session policy.
  Policy to_user = BucketPolicy(R"({"AWS":"arn:aws:iam::111122223333:user/alice"})");
  PolicySet via_user;
  via_user.resource = PolicyRef{"bucket", &to_user};
  via_user.session.push_back({"session", &AllowIam()});
  EXPECT_EQ(Evaluate(fed, via_user).missing, PolicyType::kSession);
  via_user.session = {{"session", &AllowS3Get()}};
  EXPECT_TRUE(Evaluate(fed, via_user).allowed());
}

TEST(EvaluateTest, AccountPrincipalDelegatesToIdentityPolicies) {
  Policy to_account = BucketPolicy(R"({"AWS":"111122223333"})");
  PolicySet set;
  set.resource = PolicyRef{"bucket", &to_account};
  Request alice = Get(User(std::string(kAcct), "alice"));
  EXPECT_EQ(Evaluate(alice, set).missing, PolicyType::kIdentity);
  set.identity.push_back({"read", &AllowS3Get()});
  EXPECT_TRUE(Evaluate(alice, set).allowed());
}

TEST(EvaluateTest, CrossAccountNeedsBothSides) {
  Request mallory = Get(User(std::string(kOther), "mallory"), kAcct);
  PolicySet identity_only;
  identity_only.identity.push_back({"read", &AllowS3Get()});
  EvaluationResult r = Evaluate(mallory, identity_only);
  EXPECT_EQ(r.missing, PolicyType::kResource);
  EXPECT_EQ(DenialReason(r, "s3:GetObject"),
            "because no resource-based policy allows the s3:GetObject action");

  for (std::string_view principal :
       {R"({"AWS":"444455556666"})", R"({"AWS":"arn:aws:iam::444455556666:root"})",
        R"({"AWS":"arn:aws:iam::444455556666:user/mallory"})", R"("*")"}) {
    Policy bucket = BucketPolicy(principal);
    PolicySet resource_only;
    resource_only.resource = PolicyRef{"bucket", &bucket};
    EXPECT_EQ(Evaluate(mallory, resource_only).missing, PolicyType::kIdentity) << principal;
    PolicySet both = resource_only;
    both.identity.push_back({"read", &AllowS3Get()});
    EXPECT_TRUE(Evaluate(mallory, both).allowed()) << principal;
    both.boundary = PolicyRef{"boundary", &AllowIam()};
    EXPECT_EQ(Evaluate(mallory, both).missing, PolicyType::kBoundary) << principal;
  }
  // A grant to another account does not reach this one.
  Policy elsewhere = BucketPolicy(R"({"AWS":"999999999999"})");
  PolicySet set;
  set.resource = PolicyRef{"bucket", &elsewhere};
  set.identity.push_back({"read", &AllowS3Get()});
  EXPECT_EQ(Evaluate(mallory, set).missing, PolicyType::kResource);
}

TEST(EvaluateTest, ExplicitDenyInResourcePolicyWinsEverywhere) {
  Policy bucket =
      MustParse(Doc(R"([{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*"},
      {"Sid":"DenyAlice","Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"}])"),
                PolicyKind::kResource);
  PolicySet set;
  set.resource = PolicyRef{"bucket", &bucket};
  set.identity.push_back({"admin", &AllowAll()});
  Request alice = Get(User(std::string(kAcct), "alice"));
  EvaluationResult r = Evaluate(alice, set);
  EXPECT_EQ(r.decision, Decision::kExplicitDeny);
  EXPECT_EQ(r.statement->sid, "DenyAlice");
  EXPECT_EQ(
      AccessDeniedMessage(alice, r),
      "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: s3:GetObject on resource: "
      "\"arn:aws:s3:::b/k\" with an explicit deny in a resource-based policy");
  EXPECT_TRUE(Evaluate(Get(User(std::string(kAcct), "bob")), set).allowed());
  EXPECT_EQ(Evaluate(Get(Root(std::string(kAcct))), set).decision, Decision::kAllow);
}

TEST(EvaluateTest, AnonymousAndServicePrincipals) {
  Policy public_read = BucketPolicy(R"("*")");
  PolicySet set;
  set.resource = PolicyRef{"bucket", &public_read};
  EXPECT_TRUE(Evaluate(Get(Anonymous()), set).allowed());
  EXPECT_EQ(AccessDeniedMessage(Get(Anonymous()), Evaluate(Get(Anonymous()), PolicySet{})),
            "User: anonymous is not authorized to perform: s3:GetObject on resource: \"arn:aws:s3:::b/k\" "
            "because no "
            "resource-based policy allows the s3:GetObject action");
  Policy to_account = BucketPolicy(R"({"AWS":"111122223333"})");
  set.resource = PolicyRef{"bucket", &to_account};
  EXPECT_FALSE(Evaluate(Get(Anonymous()), set).allowed());

  Policy logging = BucketPolicy(R"({"Service":"logging.s3.amazonaws.com"})");
  set.resource = PolicyRef{"bucket", &logging};
  EXPECT_TRUE(Evaluate(Get(Service("logging.s3.amazonaws.com")), set).allowed());
  EXPECT_FALSE(Evaluate(Get(Service("sns.amazonaws.com")), set).allowed());
  // SCPs do not bind AWS services.
  set.scp_layers.push_back({});
  EXPECT_TRUE(Evaluate(Get(Service("logging.s3.amazonaws.com")), set).allowed());
}

// NotPrincipal with Deny (reference_policies_elements_notprincipal.md): everyone but the listed chain.
TEST(EvaluateTest, NotPrincipalDeny) {
  Policy bucket =
      MustParse(Doc(R"([{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*"},
      {"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:sts::444455556666:assumed-role/cross-account-read-only-role/cross-account-audit-app",
        "arn:aws:iam::444455556666:role/cross-account-read-only-role","arn:aws:iam::444455556666:root"]},
       "Action":"s3:*","Resource":"arn:aws:s3:::b/*"}])"),
                PolicyKind::kResource);
  PolicySet set;
  set.resource = PolicyRef{"bucket", &bucket};
  set.identity.push_back({"read", &AllowS3Get()});
  EXPECT_TRUE(Evaluate(Get(RoleSession(std::string(kOther), "cross-account-read-only-role",
                                       "cross-account-audit-app"),
                           kAcct),
                       set)
                  .allowed());
  EXPECT_EQ(
      Evaluate(Get(RoleSession(std::string(kOther), "cross-account-read-only-role", "other"), kAcct), set)
          .decision,
      Decision::kExplicitDeny);
  EXPECT_EQ(Evaluate(Get(User(std::string(kAcct), "alice")), set).decision, Decision::kExplicitDeny);
  EXPECT_EQ(Evaluate(Get(Anonymous()), set).decision, Decision::kExplicitDeny);
  // Only the user listed, not the account: the account link is denied.
  Policy user_only =
      MustParse(Doc(R"({"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::444455556666:user/Bob"},
       "Action":"s3:*","Resource":"*"})"),
                PolicyKind::kResource);
  set.resource = PolicyRef{"bucket", &user_only};
  EXPECT_EQ(Evaluate(Get(User(std::string(kOther), "Bob"), kAcct), set).decision, Decision::kExplicitDeny);
}

TEST(EvaluateTest, TrustPoliciesMustAllow) {
  Policy trust = MustParse(
      Doc(R"({"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"})"),
      PolicyKind::kTrust);
  PolicySet set;
  set.resource = PolicyRef{"trust", &trust};
  set.resource_policy_required = true;
  Request assume = MakeRequest(User(std::string(kAcct), "alice"), "sts:AssumeRole",
                               "arn:aws:iam::111122223333:role/admin");
  EXPECT_EQ(Evaluate(assume, set).missing, PolicyType::kIdentity);  // the account delegates to IAM policies
  Policy assume_any = MustParse(Doc(R"({"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"})"));
  set.identity.push_back({"assume", &assume_any});
  EXPECT_TRUE(Evaluate(assume, set).allowed());
  // Identity policies alone never let anyone assume a role whose trust policy does not name them.
  PolicySet no_trust;
  no_trust.identity.push_back({"assume", &assume_any});
  no_trust.resource_policy_required = true;
  EXPECT_EQ(Evaluate(assume, no_trust).missing, PolicyType::kResource);
  // Lambda's service principal.
  Policy lambda = MustParse(
      Doc(R"({"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"})"),
      PolicyKind::kTrust);
  PolicySet service;
  service.resource = PolicyRef{"trust", &lambda};
  service.resource_policy_required = true;
  EXPECT_TRUE(Evaluate(MakeRequest(Service("lambda.amazonaws.com"), "sts:AssumeRole",
                                   "arn:aws:iam::111122223333:role/fn"),
                       service)
                  .allowed());
}

// reference_policies_evaluation-logic.md, "Example identity-based and resource-based policy evaluation".
TEST(EvaluateTest, CarlosExample) {
  Policy carlos = MustParse(Doc(R"([
    {"Sid":"AllowS3ListRead","Effect":"Allow","Action":["s3:GetBucketLocation","s3:GetAccountPublicAccessBlock",
      "s3:ListAccessPoints","s3:ListAllMyBuckets"],"Resource":"arn:aws:s3:::*"},
    {"Sid":"AllowS3Self","Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::carlossalazar/*","arn:aws:s3:::carlossalazar"]},
    {"Sid":"DenyS3Logs","Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::*log*"}])"));
  Policy bucket = MustParse(Doc(R"({"Sid":"AllowS3PutObject","Effect":"Allow",
      "Principal":{"AWS":"arn:aws:iam::111122223333:user/carlossalazar"},"Action":"s3:PutObject",
      "Resource":"arn:aws:s3:::carlossalazar-logs/*"})"),
                            PolicyKind::kResource);
  PolicySet set;
  set.identity.push_back({"carlos", &carlos});
  set.resource = PolicyRef{"carlossalazar-logs", &bucket};
  RequestPrincipal c = User(std::string(kAcct), "carlossalazar");
  EvaluationResult put_logs =
      Evaluate(MakeRequest(c, "s3:PutObject", "arn:aws:s3:::carlossalazar-logs/f"), set);
  EXPECT_EQ(put_logs.decision, Decision::kExplicitDeny);
  EXPECT_EQ(put_logs.statement->sid, "DenyS3Logs");
  EXPECT_TRUE(Evaluate(MakeRequest(c, "s3:PutObject", "arn:aws:s3:::carlossalazar/f"), set).allowed());
  EXPECT_TRUE(Evaluate(MakeRequest(c, "s3:ListAllMyBuckets", "arn:aws:s3:::x"), set).allowed());
}

// Policy examples from the condition-operators and variables pages.
TEST(EvaluateTest, DocumentationConditionExamples) {
  PolicySet set;
  Policy home = MustParse(Doc(R"([
    {"Effect":"Allow","Action":["s3:ListAllMyBuckets","s3:GetBucketLocation"],"Resource":"arn:aws:s3:::*"},
    {"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::BUCKET-NAME",
     "Condition":{"StringLike":{"s3:prefix":["","home/","home/${aws:username}/"]}}},
    {"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::BUCKET-NAME/home/${aws:username}",
       "arn:aws:s3:::BUCKET-NAME/home/${aws:username}/*"]}])"));
  set.identity.push_back({"home", &home});
  RequestPrincipal alice = User(std::string(kAcct), "alice");
  EXPECT_TRUE(Evaluate(MakeRequest(alice, "s3:GetObject", "arn:aws:s3:::BUCKET-NAME/home/alice/a.txt"), set)
                  .allowed());
  EXPECT_FALSE(
      Evaluate(MakeRequest(alice, "s3:GetObject", "arn:aws:s3:::BUCKET-NAME/home/bob/a.txt"), set).allowed());
  Request list = MakeRequest(alice, "s3:ListBucket", "arn:aws:s3:::BUCKET-NAME");
  list.context.Set("s3:prefix", "home/alice/");
  EXPECT_TRUE(Evaluate(list, set).allowed());
  list.context.Set("s3:prefix", "home/bob/");
  EXPECT_FALSE(Evaluate(list, set).allowed());
  list.context.Set("s3:prefix", "");
  EXPECT_TRUE(Evaluate(list, set).allowed());

  // Deny S3 unless over TLS (Bool aws:SecureTransport).
  Policy tls = MustParse(Doc(R"([{"Effect":"Allow","Action":"s3:*","Resource":"*"},
    {"Sid":"BooleanExample","Action":"s3:*","Effect":"Deny","Resource":["arn:aws:s3:::DOC-EXAMPLE-BUCKET","arn:aws:s3:::DOC-EXAMPLE-BUCKET/*"],
     "Condition":{"Bool":{"aws:SecureTransport":"false"}}}])"));
  PolicySet tls_set;
  tls_set.identity.push_back({"tls", &tls});
  Request get = MakeRequest(alice, "s3:GetObject", "arn:aws:s3:::DOC-EXAMPLE-BUCKET/x");
  get.context.Set("aws:SecureTransport", "false");
  EXPECT_EQ(Evaluate(get, tls_set).decision, Decision::kExplicitDeny);
  get.context.Set("aws:SecureTransport", "true");
  EXPECT_TRUE(Evaluate(get, tls_set).allowed());

  // Source IP ranges, v4 and v6.
  Policy ip = MustParse(Doc(R"({"Effect":"Allow","Action":"someservice:*","Resource":"*",
      "Condition":{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:DB8:1234:5678::/64"]}}})"));
  PolicySet ip_set;
  ip_set.identity.push_back({"ip", &ip});
  Request call = MakeRequest(alice, "someservice:Do", "*");
  call.context.Set("aws:SourceIp", "2001:db8:1234:5678::9");
  EXPECT_TRUE(Evaluate(call, ip_set).allowed());
  call.context.Set("aws:SourceIp", "198.51.100.7");
  EXPECT_FALSE(Evaluate(call, ip_set).allowed());

  // The SQS queue policy: SNS may send on behalf of one topic (ArnEquals aws:SourceArn).
  Policy queue =
      MustParse(Doc(R"({"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"SQS:SendMessage",
      "Resource":"arn:aws:sqs:us-east-1:111122223333:QUEUE-ID",
      "Condition":{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:111122223333:TOPIC-ID"}}})"),
                PolicyKind::kResource);
  PolicySet queue_set;
  queue_set.resource = PolicyRef{"queue", &queue};
  queue_set.identity.push_back({"send", &AllowAll()});
  Request send = MakeRequest(alice, "sqs:SendMessage", "arn:aws:sqs:us-east-1:111122223333:QUEUE-ID");
  send.context.Set("aws:SourceArn", "arn:aws:sns:us-east-1:111122223333:TOPIC-ID");
  EXPECT_TRUE(Evaluate(send, queue_set).allowed());

  // Temporary credentials only (Null aws:TokenIssueTime).
  Policy no_temp = MustParse(Doc(
      R"({"Action":"ec2:*","Effect":"Allow","Resource":"*","Condition":{"Null":{"aws:TokenIssueTime":"true"}}})"));
  PolicySet no_temp_set;
  no_temp_set.identity.push_back({"no-temp", &no_temp});
  Request ec2 = MakeRequest(alice, "ec2:RunInstances", "*");
  EXPECT_TRUE(Evaluate(ec2, no_temp_set).allowed());
  ec2.context.Set("aws:TokenIssueTime", "2024-01-01T00:00:00Z");
  EXPECT_FALSE(Evaluate(ec2, no_temp_set).allowed());

  // Principal tags with a default value in the resource.
  Policy team = MustParse(Doc(
      R"({"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::DOC-EXAMPLE-BUCKET-${aws:PrincipalTag/team, 'company-wide'}"})"));
  PolicySet team_set;
  team_set.identity.push_back({"team", &team});
  Request untagged = MakeRequest(alice, "s3:ListBucket", "arn:aws:s3:::DOC-EXAMPLE-BUCKET-company-wide");
  EXPECT_TRUE(Evaluate(untagged, team_set).allowed());
  Request yellow = MakeRequest(alice, "s3:ListBucket", "arn:aws:s3:::DOC-EXAMPLE-BUCKET-yellow");
  EXPECT_FALSE(Evaluate(yellow, team_set).allowed());
  yellow.context.Set("aws:PrincipalTag/team", "yellow");
  EXPECT_TRUE(Evaluate(yellow, team_set).allowed());
}

TEST(EvaluateTest, PrincipalContextKeys) {
  ContextKeys keys;
  AddPrincipalContextKeys(RoleSession("111122223333", "reader", "s1"), "AROAEXAMPLE:s1", keys);
  EXPECT_EQ(keys.SingleLower("aws:principalarn"), "arn:aws:iam::111122223333:role/reader");
  EXPECT_EQ(keys.SingleLower("aws:principalaccount"), "111122223333");
  EXPECT_EQ(keys.SingleLower("aws:principaltype"), "AssumedRole");
  EXPECT_EQ(keys.SingleLower("aws:userid"), "AROAEXAMPLE:s1");
  EXPECT_EQ(keys.FindLower("aws:username"), nullptr);
  ContextKeys user;
  AddPrincipalContextKeys(User("111122223333", "alice"), "", user);
  EXPECT_EQ(user.SingleLower("aws:username"), "alice");
}

}  // namespace
}  // namespace cenote::iam
