// OrganizationsProvider called through a real request pipeline (ProviderHarness: in-process calls,
// authorize, invoke, after-hooks), with a fake IAM provider in the same pipeline that records the calls
// CreateAccount makes in the new account.
#if defined(__GNUC__) && !defined(__clang__)
// GCC 12 reports a false -Wrestrict on `"x" + std::string + ...` (GCC bug 105329).
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include "services/organizations/organizations_provider.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <sstream>

#include "../../store/temp_dir.hpp"
#include "../provider_harness.hpp"
#include "common/mutex.hpp"
#include "iam/action_map.hpp"
#include "iam/evaluate.hpp"
#include "services/organizations/errors.hpp"

namespace cenote::organizations {
namespace {

namespace json = boost::json;
using store::testing::TempDir;

constexpr const char* kManagement = "000000000000";

// IAM's CreateRole / AttachRolePolicy, recorded; or failing with `fail_with` when set.
class FakeIam final : public aws::Provider {
 public:
  struct Call {
    std::string operation, account, principal_arn, invoked_by;
    json::object params;
  };
  std::string_view service() const override { return "iam"; }
  bool Implements(std::string_view op) const override {
    return op == "CreateRole" || op == "AttachRolePolicy";
  }
  Result<aws::OperationOutput> Invoke(const aws::RequestContext& ctx, std::string_view op,
                                      aws::OperationInput& in) override {
    MutexLock lock(mu_);
    calls_.push_back(
        Call{std::string(op), ctx.account_id(), ctx.principal.arn, ctx.invoked_by, in.params.as_object()});
    if (!fail_with_.empty()) return MakeError(fail_with_, "failing on purpose", 400);
    if (op == "CreateRole" && !create_role_error_.empty())
      return MakeError(create_role_error_, "exists", 409);
    if (op == "CreateRole")
      return json::object{{"Role", json::object{{"RoleName", in.params.at("RoleName")}}}};
    return json::object{};
  }
  std::vector<Call> calls() const {
    MutexLock lock(mu_);
    return calls_;
  }
  void FailWith(std::string code) {
    MutexLock lock(mu_);
    fail_with_ = std::move(code);
  }
  void FailCreateRoleWith(std::string code) {
    MutexLock lock(mu_);
    create_role_error_ = std::move(code);
  }

 private:
  mutable Mutex mu_;
  std::vector<Call> calls_ GUARDED_BY(mu_);
  std::string fail_with_ GUARDED_BY(mu_);
  std::string create_role_error_ GUARDED_BY(mu_);
};

class OrganizationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto md = store::MetadataStore::OpenSqlite(dir_ / "metadata.db");
    ASSERT_TRUE(md.ok());
    metadata_ = std::move(md).value();
    Open(true);
  }

  // A new pipeline and provider over the same metadata store (a restart).
  void Open(bool with_iam) {
    harness_.reset();
    harness_ = std::make_unique<testing::ProviderHarness>(kManagement);
    iam_ = nullptr;
    if (with_iam) {
      auto fake = std::make_unique<FakeIam>();
      iam_ = fake.get();
      harness_->Register(std::move(fake));
    }
    OrganizationsOptions options;
    options.account_id = kManagement;
    options.max_accounts = 5;
    options.resume_interval_ms = 0;
    auto p = OrganizationsProvider::Open(*metadata_, harness_->invoker(), tasks_, options);
    ASSERT_TRUE(p.ok()) << p.error().message;
    orgs_ = p->get();
    harness_->Register(std::move(p).value());
  }

  Result<aws::OperationOutput> Call(std::string_view op, json::object params = {}) {
    return harness_->Call("organizations", op, std::move(params));
  }
  Result<aws::OperationOutput> CallAs(const std::string& account, std::string_view op,
                                      json::object params = {}) {
    aws::Caller caller;
    caller.principal = iam::RootPrincipal(account);
    caller.region = "us-east-1";
    caller.invoked_by = "test";
    aws::OperationInput in;
    in.params = std::move(params);
    return harness_->invoker().Call(caller, "organizations", op, in);
  }
  json::object Ok(std::string_view op, json::object params = {}) {
    auto r = Call(op, std::move(params));
    EXPECT_TRUE(r.ok()) << op << ": " << (r.ok() ? "" : r.error().code + " " + r.error().message);
    return r.ok() ? r->result.as_object() : json::object{};
  }
  std::string Fails(std::string_view op, json::object params = {}) {
    auto r = Call(op, std::move(params));
    EXPECT_FALSE(r.ok()) << op;
    return r.ok() ? "" : r.error().code;
  }
  static std::string Reason(const Error& e) {
    for (const auto& [k, v] : e.fields)
      if (k == "Reason") return v;
    return "";
  }
  std::string FailReason(std::string_view op, json::object params = {}) {
    auto r = Call(op, std::move(params));
    EXPECT_FALSE(r.ok()) << op;
    return r.ok() ? "" : r.error().code + "/" + Reason(r.error());
  }

  std::string CreateOrganization() {
    auto out = Ok("CreateOrganization", {});
    return std::string(out["Organization"].at("Id").as_string());
  }
  std::string RootId() { return std::string(Ok("ListRoots")["Roots"].as_array()[0].at("Id").as_string()); }
  // Creates an account and returns its id (the request must succeed).
  std::string CreateAccount(const std::string& name) {
    auto out = Ok("CreateAccount", {{"Email", name + "@example.com"}, {"AccountName", name}});
    std::string request(out["CreateAccountStatus"].at("Id").as_string());
    auto status = Ok("DescribeCreateAccountStatus", {{"CreateAccountRequestId", request}});
    const auto& st = status["CreateAccountStatus"].as_object();
    EXPECT_EQ(st.at("State").as_string(), "SUCCEEDED");
    return st.contains("AccountId") ? std::string(st.at("AccountId").as_string()) : "";
  }
  std::string CreateUnit(const std::string& parent, const std::string& name) {
    auto out = Ok("CreateOrganizationalUnit", {{"ParentId", parent}, {"Name", name}});
    return std::string(out["OrganizationalUnit"].at("Id").as_string());
  }
  std::string CreateScp(const std::string& name, const std::string& content) {
    auto out =
        Ok("CreatePolicy",
           {{"Name", name}, {"Description", "d"}, {"Type", "SERVICE_CONTROL_POLICY"}, {"Content", content}});
    return std::string(out["Policy"].at("PolicySummary").at("Id").as_string());
  }
  static std::vector<std::string> Sorted(std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  }
  static std::vector<std::string> Names(const std::vector<std::vector<iam::NamedPolicy>>& layers, size_t i) {
    std::vector<std::string> out;
    for (const auto& p : layers.at(i)) out.push_back(p.name.substr(p.name.rfind('/') + 1));
    std::sort(out.begin(), out.end());
    return out;
  }

  TempDir dir_;
  std::unique_ptr<store::MetadataStore> metadata_;
  BackgroundTasks tasks_;
  std::unique_ptr<testing::ProviderHarness> harness_;  // owns the providers
  FakeIam* iam_ = nullptr;
  OrganizationsProvider* orgs_ = nullptr;
};

constexpr const char* kDenyS3 =
    R"({"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"}]})";

TEST_F(OrganizationsTest, CreateDescribeDeleteOrganization) {
  EXPECT_EQ(Fails("DescribeOrganization"), "AWSOrganizationsNotInUseException");
  EXPECT_EQ(Fails("ListAccounts"), "AWSOrganizationsNotInUseException");
  auto out = Ok("CreateOrganization", {});
  const auto& org = out["Organization"].as_object();
  std::string id(org.at("Id").as_string());
  EXPECT_EQ(id.substr(0, 2), "o-");
  EXPECT_EQ(id.size(), 12u);
  EXPECT_EQ(org.at("FeatureSet").as_string(), "ALL");
  EXPECT_EQ(org.at("MasterAccountId").as_string(), kManagement);
  EXPECT_EQ(org.at("Arn").as_string(), "arn:aws:organizations::000000000000:organization/" + id);
  EXPECT_EQ(org.at("MasterAccountArn").as_string(),
            "arn:aws:organizations::000000000000:account/" + id + "/" + kManagement);
  EXPECT_EQ(Fails("CreateOrganization"), "AlreadyInOrganizationException");
  EXPECT_EQ(Ok("DescribeOrganization")["Organization"].at("Id").as_string(), id);
  // The management account is the organization's first account.
  auto accounts = Ok("ListAccounts")["Accounts"].as_array();
  ASSERT_EQ(accounts.size(), 1u);
  EXPECT_EQ(accounts[0].at("Id").as_string(), kManagement);
  std::string root = RootId();
  EXPECT_EQ(root.substr(0, 2), "r-");
  EXPECT_EQ(orgs_->OrganizationId(kManagement), id);
  EXPECT_EQ(orgs_->OrganizationPath(kManagement), id + "/" + root + "/");
  // Not empty while a member account is in it.
  std::string member = CreateAccount("dev");
  EXPECT_EQ(Fails("DeleteOrganization"), "OrganizationNotEmptyException");
  Ok("RemoveAccountFromOrganization", {{"AccountId", member}});
  Ok("DeleteOrganization");
  EXPECT_EQ(Fails("DescribeOrganization"), "AWSOrganizationsNotInUseException");
  EXPECT_EQ(orgs_->OrganizationId(kManagement), "");
  // The removed account stays a standalone account.
  EXPECT_TRUE(orgs_->AccountExists(member));
  // A new organization can be created again.
  EXPECT_NE(CreateOrganization(), id);
}

TEST_F(OrganizationsTest, ConsolidatedBillingHasNoPolicies) {
  auto out = Ok("CreateOrganization", {{"FeatureSet", "CONSOLIDATED_BILLING"}});
  EXPECT_EQ(out["Organization"].at("FeatureSet").as_string(), "CONSOLIDATED_BILLING");
  EXPECT_EQ(Fails("EnablePolicyType", {{"RootId", RootId()}, {"PolicyType", "SERVICE_CONTROL_POLICY"}}),
            "PolicyTypeNotAvailableForOrganizationException");
  EXPECT_EQ(FailReason("CreateOrganization", {{"FeatureSet", "NOPE"}}), "InvalidInputException/INVALID_ENUM");
}

TEST_F(OrganizationsTest, CreateAccountCreatesTheRoleInTheNewAccount) {
  std::string org = CreateOrganization();
  auto out = Ok("CreateAccount", {{"Email", "dev@example.com"},
                                  {"AccountName", "dev"},
                                  {"Tags", json::array{json::object{{"Key", "team"}, {"Value", "data"}}}}});
  const auto& status = out["CreateAccountStatus"].as_object();
  // AWS answers IN_PROGRESS, without the account id.
  EXPECT_EQ(status.at("State").as_string(), "IN_PROGRESS");
  EXPECT_FALSE(status.contains("AccountId"));
  std::string request(status.at("Id").as_string());
  EXPECT_EQ(request.substr(0, 4), "car-");
  EXPECT_EQ(request.size(), 36u);
  auto described = Ok("DescribeCreateAccountStatus", {{"CreateAccountRequestId", request}});
  const auto& st = described["CreateAccountStatus"].as_object();
  EXPECT_EQ(st.at("State").as_string(), "SUCCEEDED");
  EXPECT_EQ(st.at("AccountName").as_string(), "dev");
  ASSERT_TRUE(st.contains("CompletedTimestamp"));
  std::string account(st.at("AccountId").as_string());
  EXPECT_EQ(account.size(), 12u);
  EXPECT_NE(account, kManagement);

  auto calls = iam_->calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].operation, "CreateRole");
  EXPECT_EQ(calls[0].account, account);
  EXPECT_EQ(calls[0].principal_arn, "arn:aws:iam::" + account + ":root");
  EXPECT_EQ(calls[0].invoked_by, "organizations.amazonaws.com");
  EXPECT_EQ(calls[0].params.at("RoleName").as_string(), "OrganizationAccountAccessRole");
  auto trust = json::parse(calls[0].params.at("AssumeRolePolicyDocument").as_string()).as_object();
  const auto& stmt = trust.at("Statement").as_array()[0].as_object();
  EXPECT_EQ(stmt.at("Principal").at("AWS").as_string(), "arn:aws:iam::000000000000:root");
  EXPECT_EQ(stmt.at("Action").as_string(), "sts:AssumeRole");
  EXPECT_TRUE(
      iam::ParsePolicy(calls[0].params.at("AssumeRolePolicyDocument").as_string(), iam::PolicyKind::kTrust)
          .ok());
  EXPECT_EQ(calls[1].operation, "AttachRolePolicy");
  EXPECT_EQ(calls[1].account, account);
  EXPECT_EQ(calls[1].params.at("PolicyArn").as_string(), "arn:aws:iam::aws:policy/AdministratorAccess");

  auto acct = Ok("DescribeAccount", {{"AccountId", account}})["Account"].as_object();
  EXPECT_EQ(acct.at("Name").as_string(), "dev");
  EXPECT_EQ(acct.at("Email").as_string(), "dev@example.com");
  EXPECT_EQ(acct.at("Status").as_string(), "ACTIVE");
  EXPECT_EQ(acct.at("JoinedMethod").as_string(), "CREATED");
  EXPECT_EQ(acct.at("Arn").as_string(), "arn:aws:organizations::000000000000:account/" + org + "/" + account);
  EXPECT_EQ(Ok("ListAccounts")["Accounts"].as_array().size(), 2u);
  auto tags = Ok("ListTagsForResource", {{"ResourceId", account}})["Tags"].as_array();
  ASSERT_EQ(tags.size(), 1u);
  EXPECT_EQ(tags[0].at("Key").as_string(), "team");
  EXPECT_TRUE(orgs_->AccountExists(account));
  EXPECT_TRUE(orgs_->AccountExists(kManagement));
  EXPECT_FALSE(orgs_->AccountExists("123456789012"));
  auto all = orgs_->ListAllAccounts();
  EXPECT_EQ(all.size(), 2u);

  // A custom role name.
  auto custom =
      Ok("CreateAccount", {{"Email", "ops@example.com"}, {"AccountName", "ops"}, {"RoleName", "Admin"}});
  EXPECT_EQ(iam_->calls()[2].params.at("RoleName").as_string(), "Admin");
  EXPECT_EQ(FailReason("CreateAccount",
                       {{"Email", "x@example.com"}, {"AccountName", "x"}, {"RoleName", "bad name!"}}),
            "InvalidInputException/INVALID_ROLE_NAME");
  EXPECT_EQ(FailReason("CreateAccount", {{"Email", "not-an-email"}, {"AccountName", "x"}}),
            "InvalidInputException/INVALID_PATTERN");
  EXPECT_EQ(Fails("DescribeCreateAccountStatus", {{"CreateAccountRequestId", "car-0123456789abcdef"}}),
            "CreateAccountStatusNotFoundException");
  EXPECT_EQ(Fails("DescribeAccount", {{"AccountId", "123456789012"}}), "AccountNotFoundException");
  EXPECT_EQ(FailReason("DescribeAccount", {{"AccountId", "12"}}), "InvalidInputException/INVALID_PATTERN");
}

TEST_F(OrganizationsTest, CreateAccountFailsWhenTheRoleCannotBeCreated) {
  Open(false);  // no IAM in the pipeline: the call answers an unsupported-operation error
  CreateOrganization();
  auto out = Ok("CreateAccount", {{"Email", "dev@example.com"}, {"AccountName", "dev"}});
  std::string request(out["CreateAccountStatus"].at("Id").as_string());
  auto st = Ok("DescribeCreateAccountStatus", {{"CreateAccountRequestId", request}})["CreateAccountStatus"]
                .as_object();
  EXPECT_EQ(st.at("State").as_string(), "FAILED");
  EXPECT_EQ(st.at("FailureReason").as_string(), "INTERNAL_FAILURE");
  EXPECT_FALSE(st.contains("AccountId"));
  EXPECT_EQ(Ok("ListAccounts")["Accounts"].as_array().size(), 1u);
  EXPECT_EQ(orgs_->ListAllAccounts().size(), 1u);
  // ListCreateAccountStatus filters by state.
  EXPECT_EQ(Ok("ListCreateAccountStatus", {{"States", json::array{"FAILED"}}})["CreateAccountStatuses"]
                .as_array()
                .size(),
            1u);
  EXPECT_EQ(Ok("ListCreateAccountStatus", {{"States", json::array{"SUCCEEDED"}}})["CreateAccountStatuses"]
                .as_array()
                .size(),
            0u);
}

TEST_F(OrganizationsTest, CreateAccountEmailTakenAndAccountLimit) {
  CreateOrganization();
  CreateAccount("a");
  auto out = Ok("CreateAccount", {{"Email", "A@example.com"}, {"AccountName", "again"}});
  std::string request(out["CreateAccountStatus"].at("Id").as_string());
  auto st = Ok("DescribeCreateAccountStatus", {{"CreateAccountRequestId", request}})["CreateAccountStatus"]
                .as_object();
  EXPECT_EQ(st.at("State").as_string(), "FAILED");
  EXPECT_EQ(st.at("FailureReason").as_string(), "EMAIL_ALREADY_EXISTS");
  CreateAccount("b");
  CreateAccount("c");
  CreateAccount("d");  // 5 with the management account: the test's quota
  EXPECT_EQ(FailReason("CreateAccount", {{"Email", "e@example.com"}, {"AccountName", "e"}}),
            "ConstraintViolationException/ACCOUNT_NUMBER_LIMIT_EXCEEDED");
  // Every id is distinct and never the management account's.
  std::set<std::string> ids;
  const json::array accounts = Ok("ListAccounts")["Accounts"].as_array();
  for (const auto& a : accounts) ids.insert(std::string(a.at("Id").as_string()));
  EXPECT_EQ(ids.size(), 5u);
  EXPECT_FALSE(ids.count("000000000001"));
}

TEST_F(OrganizationsTest, OnlyTheManagementAccountManages) {
  CreateOrganization();
  std::string member = CreateAccount("dev");
  auto denied = CallAs(member, "ListAccounts");
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().code, "AccessDeniedException");
  EXPECT_EQ(CallAs(member, "CreateOrganizationalUnit", {{"ParentId", RootId()}, {"Name", "x"}}).error().code,
            "AccessDeniedException");
  // Any member may describe its organization.
  EXPECT_TRUE(CallAs(member, "DescribeOrganization").ok());
  EXPECT_EQ(CallAs(member, "CreateOrganization").error().code, "AlreadyInOrganizationException");
  // An account outside the organization is not in one.
  EXPECT_EQ(CallAs("123456789012", "ListAccounts").error().code, "AWSOrganizationsNotInUseException");
  EXPECT_EQ(CallAs("123456789012", "DescribeOrganization").error().code, "AWSOrganizationsNotInUseException");
}

TEST_F(OrganizationsTest, OrganizationalUnits) {
  std::string org = CreateOrganization();
  std::string root = RootId();
  std::string ou = CreateUnit(root, "prod");
  EXPECT_EQ(ou.substr(0, 3 + root.size() - 2 + 1), "ou-" + root.substr(2) + "-");
  auto d = Ok("DescribeOrganizationalUnit", {{"OrganizationalUnitId", ou}})["OrganizationalUnit"].as_object();
  EXPECT_EQ(d.at("Name").as_string(), "prod");
  EXPECT_EQ(d.at("Arn").as_string(), "arn:aws:organizations::000000000000:ou/" + org + "/" + ou);
  EXPECT_EQ(Fails("CreateOrganizationalUnit", {{"ParentId", root}, {"Name", "prod"}}),
            "DuplicateOrganizationalUnitException");
  EXPECT_EQ(Fails("CreateOrganizationalUnit", {{"ParentId", "ou-abcd-abcdefgh"}, {"Name", "x"}}),
            "ParentNotFoundException");
  // Five levels of OUs, not six.
  std::string parent = ou;
  for (int i = 2; i <= 5; ++i) parent = CreateUnit(parent, "l" + std::to_string(i));
  EXPECT_EQ(FailReason("CreateOrganizationalUnit", {{"ParentId", parent}, {"Name", "l6"}}),
            "ConstraintViolationException/OU_DEPTH_LIMIT_EXCEEDED");
  // Rename.
  Ok("UpdateOrganizationalUnit", {{"OrganizationalUnitId", ou}, {"Name", "production"}});
  EXPECT_EQ(Ok("DescribeOrganizationalUnit", {{"OrganizationalUnitId", ou}})["OrganizationalUnit"]
                .at("Name")
                .as_string(),
            "production");
  std::string other = CreateUnit(root, "dev");
  EXPECT_EQ(Fails("UpdateOrganizationalUnit", {{"OrganizationalUnitId", other}, {"Name", "production"}}),
            "DuplicateOrganizationalUnitException");
  // The tree.
  auto children =
      Ok("ListChildren", {{"ParentId", root}, {"ChildType", "ORGANIZATIONAL_UNIT"}})["Children"].as_array();
  EXPECT_EQ(children.size(), 2u);
  EXPECT_EQ(
      Ok("ListOrganizationalUnitsForParent", {{"ParentId", root}})["OrganizationalUnits"].as_array().size(),
      2u);
  auto parents = Ok("ListParents", {{"ChildId", ou}})["Parents"].as_array();
  ASSERT_EQ(parents.size(), 1u);
  EXPECT_EQ(parents[0].at("Id").as_string(), root);
  EXPECT_EQ(parents[0].at("Type").as_string(), "ROOT");
  EXPECT_EQ(Fails("ListParents", {{"ChildId", "ou-abcd-abcdefgh"}}), "ChildNotFoundException");
  // Accounts move between parents.
  std::string account = CreateAccount("dev");
  Ok("MoveAccount", {{"AccountId", account}, {"SourceParentId", root}, {"DestinationParentId", other}});
  EXPECT_EQ(Ok("ListParents", {{"ChildId", account}})["Parents"].as_array()[0].at("Id").as_string(), other);
  EXPECT_EQ(Ok("ListAccountsForParent", {{"ParentId", other}})["Accounts"].as_array().size(), 1u);
  EXPECT_EQ(Ok("ListChildren", {{"ParentId", other}, {"ChildType", "ACCOUNT"}})["Children"].as_array().size(),
            1u);
  EXPECT_EQ(Fails("MoveAccount",
                  {{"AccountId", account}, {"SourceParentId", root}, {"DestinationParentId", other}}),
            "DuplicateAccountException");
  EXPECT_EQ(
      Fails("MoveAccount",
            {{"AccountId", account}, {"SourceParentId", "ou-abcd-abcdefgh"}, {"DestinationParentId", root}}),
      "SourceParentNotFoundException");
  EXPECT_EQ(
      Fails("MoveAccount",
            {{"AccountId", account}, {"SourceParentId", other}, {"DestinationParentId", "ou-abcd-abcdefgh"}}),
      "DestinationParentNotFoundException");
  EXPECT_EQ(Fails("MoveAccount",
                  {{"AccountId", "123456789012"}, {"SourceParentId", other}, {"DestinationParentId", root}}),
            "AccountNotFoundException");
  // Not empty while it holds an account or an OU.
  EXPECT_EQ(Fails("DeleteOrganizationalUnit", {{"OrganizationalUnitId", other}}),
            "OrganizationalUnitNotEmptyException");
  EXPECT_EQ(Fails("DeleteOrganizationalUnit", {{"OrganizationalUnitId", ou}}),
            "OrganizationalUnitNotEmptyException");
  Ok("MoveAccount", {{"AccountId", account}, {"SourceParentId", other}, {"DestinationParentId", root}});
  Ok("DeleteOrganizationalUnit", {{"OrganizationalUnitId", other}});
  EXPECT_EQ(Fails("DescribeOrganizationalUnit", {{"OrganizationalUnitId", other}}),
            "OrganizationalUnitNotFoundException");
  EXPECT_EQ(FailReason("DescribeOrganizationalUnit", {{"OrganizationalUnitId", "nope"}}),
            "InvalidInputException/INVALID_PATTERN");
}

TEST_F(OrganizationsTest, ServiceControlPolicies) {
  CreateOrganization();
  std::string root = RootId();
  std::string ou = CreateUnit(root, "prod");
  std::string account = CreateAccount("dev");
  // The AWS-managed FullAWSAccess exists; attaching needs the type enabled.
  auto listed = Ok("ListPolicies", {{"Filter", "SERVICE_CONTROL_POLICY"}})["Policies"].as_array();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].at("Id").as_string(), "p-FullAWSAccess");
  EXPECT_TRUE(listed[0].at("AwsManaged").as_bool());
  EXPECT_EQ(listed[0].at("Arn").as_string(),
            "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess");
  std::string deny = CreateScp("deny-s3", kDenyS3);
  EXPECT_EQ(Fails("AttachPolicy", {{"PolicyId", deny}, {"TargetId", account}}),
            "PolicyTypeNotEnabledException");
  EXPECT_TRUE(orgs_->ScpLayers(account).empty());
  // Enabling attaches FullAWSAccess to the root and every OU and account.
  auto root_doc = Ok("EnablePolicyType", {{"RootId", root}, {"PolicyType", "SERVICE_CONTROL_POLICY"}})["Root"]
                      .as_object();
  ASSERT_EQ(root_doc.at("PolicyTypes").as_array().size(), 1u);
  EXPECT_EQ(root_doc.at("PolicyTypes").as_array()[0].at("Status").as_string(), "ENABLED");
  EXPECT_EQ(Fails("EnablePolicyType", {{"RootId", root}, {"PolicyType", "SERVICE_CONTROL_POLICY"}}),
            "PolicyTypeAlreadyEnabledException");
  for (const std::string& t : {root, ou, account}) {
    auto p = Ok("ListPoliciesForTarget", {{"TargetId", t}, {"Filter", "SERVICE_CONTROL_POLICY"}})["Policies"]
                 .as_array();
    ASSERT_EQ(p.size(), 1u) << t;
    EXPECT_EQ(p[0].at("Id").as_string(), "p-FullAWSAccess");
  }
  auto layers = orgs_->ScpLayers(account);
  ASSERT_EQ(layers.size(), 2u);  // root, account
  EXPECT_EQ(Names(layers, 0), std::vector<std::string>{"p-FullAWSAccess"});
  EXPECT_EQ(Names(layers, 1), std::vector<std::string>{"p-FullAWSAccess"});
  EXPECT_TRUE(orgs_->ScpLayers(kManagement).empty());  // SCPs never bind the management account
  EXPECT_TRUE(orgs_->ScpLayers("123456789012").empty());

  // Attach at the OU, move the account under it: three layers.
  Ok("AttachPolicy", {{"PolicyId", deny}, {"TargetId", ou}});
  EXPECT_EQ(Fails("AttachPolicy", {{"PolicyId", deny}, {"TargetId", ou}}),
            "DuplicatePolicyAttachmentException");
  Ok("MoveAccount", {{"AccountId", account}, {"SourceParentId", root}, {"DestinationParentId", ou}});
  layers = orgs_->ScpLayers(account);
  ASSERT_EQ(layers.size(), 3u);
  EXPECT_EQ(Names(layers, 1), Sorted({"p-FullAWSAccess", deny}));
  EXPECT_EQ(orgs_->OrganizationPath(account), orgs_->OrganizationId(account) + "/" + root + "/" + ou + "/");
  // The compiled SCPs evaluate: s3 is denied by the OU's layer.
  bool denied = false;
  for (const auto& p : layers[1])
    for (const auto& st : p.policy->statements())
      if (st.effect == iam::Effect::kDeny) denied = true;
  EXPECT_TRUE(denied);
  // Attach at the account.
  Ok("AttachPolicy", {{"PolicyId", deny}, {"TargetId", account}});
  EXPECT_EQ(Names(orgs_->ScpLayers(account), 2), Sorted({"p-FullAWSAccess", deny}));
  auto targets = Ok("ListTargetsForPolicy", {{"PolicyId", deny}})["Targets"].as_array();
  EXPECT_EQ(targets.size(), 2u);
  // Detaching the last SCP of a target is refused; FullAWSAccess can go once another is attached.
  Ok("DetachPolicy", {{"PolicyId", "p-FullAWSAccess"}, {"TargetId", account}});
  EXPECT_EQ(FailReason("DetachPolicy", {{"PolicyId", deny}, {"TargetId", account}}),
            "ConstraintViolationException/MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED");
  EXPECT_EQ(FailReason("DetachPolicy", {{"PolicyId", "p-FullAWSAccess"}, {"TargetId", root}}),
            "ConstraintViolationException/MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED");
  EXPECT_EQ(Fails("DetachPolicy", {{"PolicyId", "p-FullAWSAccess"}, {"TargetId", account}}),
            "PolicyNotAttachedException");
  EXPECT_EQ(Fails("DeletePolicy", {{"PolicyId", deny}}), "PolicyInUseException");
  EXPECT_EQ(FailReason("DeletePolicy", {{"PolicyId", "p-FullAWSAccess"}}),
            "InvalidInputException/IMMUTABLE_POLICY");
  EXPECT_EQ(FailReason("UpdatePolicy", {{"PolicyId", "p-FullAWSAccess"}, {"Name", "x"}}),
            "InvalidInputException/IMMUTABLE_POLICY");
  EXPECT_EQ(Fails("AttachPolicy", {{"PolicyId", "p-abcdefgh"}, {"TargetId", account}}),
            "PolicyNotFoundException");
  EXPECT_EQ(Fails("AttachPolicy", {{"PolicyId", deny}, {"TargetId", "123456789012"}}),
            "TargetNotFoundException");
  EXPECT_EQ(FailReason("AttachPolicy", {{"PolicyId", deny}, {"TargetId", "x"}}),
            "InvalidInputException/INVALID_PATTERN_TARGET_ID");
  // At most five SCPs on one target.
  for (int i = 0; i < 4; ++i)
    Ok("AttachPolicy", {{"PolicyId", CreateScp("p" + std::to_string(i), kDenyS3)}, {"TargetId", root}});
  EXPECT_EQ(FailReason("AttachPolicy", {{"PolicyId", CreateScp("p5", kDenyS3)}, {"TargetId", root}}),
            "ConstraintViolationException/MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED");
  // Update changes the compiled document the layers hold.
  const std::string allow_all =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]})";
  auto updated =
      Ok("UpdatePolicy", {{"PolicyId", deny}, {"Content", allow_all}, {"Description", "now allows"}});
  EXPECT_EQ(updated["Policy"].at("Content").as_string(), allow_all);
  EXPECT_EQ(orgs_->ScpLayers(account)[2][0].policy->statements()[0].effect, iam::Effect::kAllow);
  // Disabling detaches every SCP: no layers, and re-enabling starts from FullAWSAccess only.
  Ok("DisablePolicyType", {{"RootId", root}, {"PolicyType", "SERVICE_CONTROL_POLICY"}});
  EXPECT_TRUE(orgs_->ScpLayers(account).empty());
  EXPECT_EQ(Fails("DisablePolicyType", {{"RootId", root}, {"PolicyType", "SERVICE_CONTROL_POLICY"}}),
            "PolicyTypeNotEnabledException");
  Ok("EnablePolicyType", {{"RootId", root}, {"PolicyType", "SERVICE_CONTROL_POLICY"}});
  layers = orgs_->ScpLayers(account);
  ASSERT_EQ(layers.size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(Names(layers, i), std::vector<std::string>{"p-FullAWSAccess"});
  Ok("DeletePolicy", {{"PolicyId", deny}});
  EXPECT_EQ(Fails("DescribePolicy", {{"PolicyId", deny}}), "PolicyNotFoundException");
  EXPECT_EQ(Fails("EnablePolicyType", {{"RootId", "r-zzzz"}, {"PolicyType", "SERVICE_CONTROL_POLICY"}}),
            "RootNotFoundException");
  // Removing the account from the organization takes it off every layer.
  Ok("RemoveAccountFromOrganization", {{"AccountId", account}});
  EXPECT_TRUE(orgs_->ScpLayers(account).empty());
  EXPECT_EQ(orgs_->OrganizationId(account), "");
  EXPECT_EQ(Fails("RemoveAccountFromOrganization", {{"AccountId", kManagement}}),
            "MasterCannotLeaveOrganizationException");
}

TEST_F(OrganizationsTest, PolicyContentChecks) {
  CreateOrganization();
  auto create = [&](const std::string& name, const std::string& content) {
    return FailReason(
        "CreatePolicy",
        {{"Name", name}, {"Description", ""}, {"Type", "SERVICE_CONTROL_POLICY"}, {"Content", content}});
  };
  EXPECT_EQ(create("bad", "{not json"), "MalformedPolicyDocumentException/");
  // SCP Allow statements take Resource "*" and no Condition.
  EXPECT_EQ(
      create(
          "bad2",
          R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b"}]})"),
      "MalformedPolicyDocumentException/");
  std::string big = R"({"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":[)";
  for (int i = 0; i < 400; ++i)
    big += std::string(i ? "," : "") + "\"s3:GetObject" + std::to_string(i) + "\"";
  big += R"(],"Resource":"*"}]})";
  EXPECT_EQ(create("big", big), "ConstraintViolationException/POLICY_CONTENT_LIMIT_EXCEEDED");
  CreateScp("one", kDenyS3);
  EXPECT_EQ(create("one", kDenyS3), "DuplicatePolicyException/");
  EXPECT_EQ(FailReason("CreatePolicy",
                       {{"Name", "x"}, {"Description", ""}, {"Type", "NOPE"}, {"Content", kDenyS3}}),
            "InvalidInputException/INVALID_ENUM_POLICY_TYPE");
  // Resource control policies: the managed RCPFullAWSAccess, Principal "*" documents.
  auto rcps = Ok("ListPolicies", {{"Filter", "RESOURCE_CONTROL_POLICY"}})["Policies"].as_array();
  ASSERT_EQ(rcps.size(), 1u);
  EXPECT_EQ(rcps[0].at("Id").as_string(), "p-RCPFullAWSAccess");
  auto rcp = Ok(
      "CreatePolicy",
      {{"Name", "rcp"},
       {"Description", ""},
       {"Type", "RESOURCE_CONTROL_POLICY"},
       {"Content",
        R"({"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}]})"}});
  EXPECT_EQ(rcp["Policy"].at("PolicySummary").at("Type").as_string(), "RESOURCE_CONTROL_POLICY");
}

TEST_F(OrganizationsTest, Tags) {
  CreateOrganization();
  std::string root = RootId();
  std::string ou = CreateUnit(root, "prod");
  std::string policy = CreateScp("p", kDenyS3);
  for (const std::string& id : {root, ou, policy}) {
    Ok("TagResource", {{"ResourceId", id},
                       {"Tags", json::array{json::object{{"Key", "k"}, {"Value", "v"}},
                                            json::object{{"Key", "k2"}, {"Value", "v2"}}}}});
    Ok("UntagResource", {{"ResourceId", id}, {"TagKeys", json::array{"k2"}}});
    auto tags = Ok("ListTagsForResource", {{"ResourceId", id}})["Tags"].as_array();
    ASSERT_EQ(tags.size(), 1u) << id;
    EXPECT_EQ(tags[0].at("Value").as_string(), "v");
  }
  EXPECT_EQ(Fails("TagResource", {{"ResourceId", "123456789012"},
                                  {"Tags", json::array{json::object{{"Key", "k"}, {"Value", "v"}}}}}),
            "TargetNotFoundException");
  EXPECT_EQ(
      FailReason("TagResource",
                 {{"ResourceId", ou}, {"Tags", json::array{json::object{{"Key", "aws:x"}, {"Value", "v"}}}}}),
      "InvalidInputException/INVALID_SYSTEM_TAGS_PARAMETER");
  json::array many;
  for (int i = 0; i < 51; ++i) many.push_back(json::object{{"Key", "k" + std::to_string(i)}, {"Value", ""}});
  EXPECT_EQ(FailReason("TagResource", {{"ResourceId", ou}, {"Tags", many}}),
            "ConstraintViolationException/MAX_TAG_LIMIT_EXCEEDED");
  // The resource authority reports tags as aws:ResourceTag/ keys.
  auto arn = orgs_->Lookup("TargetArn", std::vector<std::string>{ou});
  ASSERT_TRUE(arn.ok());
  auto facts = orgs_->Facts(iam::RequestPrincipal{}, "organizations:DescribeOrganizationalUnit", *arn);
  ASSERT_TRUE(facts.ok());
  ASSERT_NE(facts->keys.Find("aws:ResourceTag/k"), nullptr);
  EXPECT_EQ(facts->keys.Find("aws:ResourceTag/k")->at(0), "v");
  auto managed = orgs_->Facts(iam::RequestPrincipal{}, "organizations:DetachPolicy",
                              "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess");
  ASSERT_TRUE(managed.ok());
  EXPECT_EQ(managed->owner_account, kManagement);
}

TEST_F(OrganizationsTest, Pagination) {
  CreateOrganization();
  std::string root = RootId();
  for (int i = 0; i < 5; ++i) CreateUnit(root, "u" + std::to_string(i));
  std::set<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    json::object in{{"ParentId", root}, {"MaxResults", 2}};
    if (!token.empty()) in["NextToken"] = token;
    auto out = Ok("ListOrganizationalUnitsForParent", in);
    for (const auto& u : out["OrganizationalUnits"].as_array())
      seen.insert(std::string(u.at("Id").as_string()));
    token = out.contains("NextToken") ? std::string(out["NextToken"].as_string()) : "";
    ++pages;
  } while (!token.empty() && pages < 10);
  EXPECT_EQ(seen.size(), 5u);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(FailReason("ListOrganizationalUnitsForParent", {{"ParentId", root}, {"NextToken", "garbage"}}),
            "InvalidInputException/INVALID_NEXT_TOKEN");
  EXPECT_EQ(FailReason("ListAccounts", {{"MaxResults", 21}}), "InvalidInputException/MAX_VALUE_EXCEEDED");
}

TEST_F(OrganizationsTest, LookupsForTheActionMap) {
  EXPECT_EQ(orgs_->Lookup("TargetArn", std::vector<std::string>{"123456789012"}).error().code,
            "AWSOrganizationsNotInUseException");
  std::string org = CreateOrganization();
  std::string root = RootId();
  std::string policy = CreateScp("p", kDenyS3);
  EXPECT_EQ(*orgs_->Lookup("TargetArn", std::vector<std::string>{root}),
            "arn:aws:organizations::000000000000:root/" + org + "/" + root);
  EXPECT_EQ(*orgs_->Lookup("TargetArn", std::vector<std::string>{"123456789012"}),
            "arn:aws:organizations::000000000000:account/" + org + "/123456789012");
  EXPECT_EQ(*orgs_->Lookup("PolicyArn", std::vector<std::string>{policy}),
            "arn:aws:organizations::000000000000:policy/" + org + "/service_control_policy/" + policy);
  EXPECT_EQ(*orgs_->Lookup("PolicyType", std::vector<std::string>{policy}), "SERVICE_CONTROL_POLICY");
  EXPECT_EQ(orgs_->Lookup("PolicyArn", std::vector<std::string>{"p-zzzzzzzz"}).error().code,
            "PolicyNotFoundException");
  // The embedded action map resolves with them.
  auto lookup = [&](std::string_view name, std::span<const std::string> args) {
    return orgs_->Lookup(name, args);
  };
  auto auths =
      iam::Resolve("organizations", "AttachPolicy", json::object{{"PolicyId", policy}, {"TargetId", root}},
                   "us-east-1", kManagement, lookup);
  ASSERT_TRUE(auths.ok()) << auths.error().message;
  ASSERT_EQ(auths->size(), 2u);
  EXPECT_EQ((*auths)[0].action, "organizations:AttachPolicy");
  EXPECT_EQ((*auths)[0].resource, *orgs_->Lookup("PolicyArn", std::vector<std::string>{policy}));
  EXPECT_EQ((*auths)[1].resource, "arn:aws:organizations::000000000000:root/" + org + "/" + root);
  ASSERT_NE((*auths)[0].context.Find("organizations:PolicyType"), nullptr);
  EXPECT_EQ((*auths)[0].context.Find("organizations:PolicyType")->at(0), "SERVICE_CONTROL_POLICY");
}

TEST_F(OrganizationsTest, SurvivesReopen) {
  std::string org = CreateOrganization();
  std::string root = RootId();
  std::string ou = CreateUnit(root, "prod");
  std::string account = CreateAccount("dev");
  Ok("MoveAccount", {{"AccountId", account}, {"SourceParentId", root}, {"DestinationParentId", ou}});
  Ok("EnablePolicyType", {{"RootId", root}, {"PolicyType", "SERVICE_CONTROL_POLICY"}});
  std::string deny = CreateScp("deny-s3", kDenyS3);
  Ok("AttachPolicy", {{"PolicyId", deny}, {"TargetId", ou}});
  auto before = orgs_->ScpLayers(account);
  Open(true);
  EXPECT_EQ(Ok("DescribeOrganization")["Organization"].at("Id").as_string(), org);
  EXPECT_EQ(RootId(), root);
  EXPECT_EQ(Ok("DescribeAccount", {{"AccountId", account}})["Account"].at("Name").as_string(), "dev");
  auto after = orgs_->ScpLayers(account);
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < after.size(); ++i) EXPECT_EQ(Names(after, i), Names(before, i));
  EXPECT_EQ(orgs_->OrganizationPath(account), org + "/" + root + "/" + ou + "/");
  EXPECT_TRUE(orgs_->AccountExists(account));
  // New account ids keep counting after a restart.
  std::string next = CreateAccount("ops");
  EXPECT_NE(next, account);
}

TEST_F(OrganizationsTest, ResumesARequestACrashLeftInProgress) {
  std::string org = CreateOrganization();
  // A crash between recording the request and its outcome leaves it IN_PROGRESS in the store.
  {
    auto txn = metadata_->Begin(store::MetadataStore::Mode::kWrite);
    ASSERT_TRUE(txn.ok());
    json::object doc{{"id", "car-00000000000000000000000000000001"},
                     {"account_name", "late"},
                     {"email", "late@example.com"},
                     {"role_name", "OrganizationAccountAccessRole"},
                     {"state", "IN_PROGRESS"},
                     {"account_id", "555555555555"},
                     {"failure_reason", ""},
                     {"requested", 1},
                     {"completed", 0},
                     {"tags", json::object{}}};
    ASSERT_TRUE((*txn)
                    ->Exec("INSERT INTO organizations_objects (kind, id, doc) VALUES ('request', ?, ?)",
                           {std::string("car-00000000000000000000000000000001"), json::serialize(doc)})
                    .ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  Open(true);
  EXPECT_TRUE(orgs_->AccountExists("555555555555"));  // its IAM calls are served meanwhile
  iam_->FailCreateRoleWith("EntityAlreadyExists");    // the role was created before the crash
  orgs_->ResumePendingRequests();
  auto st =
      Ok("DescribeCreateAccountStatus", {{"CreateAccountRequestId", "car-00000000000000000000000000000001"}});
  EXPECT_EQ(st["CreateAccountStatus"].at("State").as_string(), "SUCCEEDED");
  EXPECT_EQ(st["CreateAccountStatus"].at("AccountId").as_string(), "555555555555");
  EXPECT_EQ(iam_->calls().back().operation, "AttachRolePolicy");
  EXPECT_EQ(Ok("DescribeAccount", {{"AccountId", "555555555555"}})["Account"].at("Name").as_string(), "late");
  EXPECT_TRUE(orgs_->AccountExists("555555555555"));
  // A request whose role cannot be created fails.
  iam_->FailWith("ServiceFailure");
  auto failed = Ok("CreateAccount", {{"Email", "x@example.com"}, {"AccountName", "x"}});
  auto st2 = Ok("DescribeCreateAccountStatus",
                {{"CreateAccountRequestId", failed["CreateAccountStatus"].at("Id")}})["CreateAccountStatus"]
                 .as_object();
  EXPECT_EQ(st2.at("State").as_string(), "FAILED");
  EXPECT_EQ(st2.at("FailureReason").as_string(), "INTERNAL_FAILURE");
}

TEST(OrganizationsCoverage, DocMatchesProvider) {
  std::ifstream in(std::string(CENOTE_SOURCE_DIR) + "/docs/organizations-coverage.md");
  ASSERT_TRUE(in.good()) << "run: python3 src/services/organizations/gen_coverage.py";
  std::stringstream ss;
  ss << in.rdbuf();
  std::string doc = ss.str();
  for (auto op : OrganizationsProvider::SupportedOperations())
    EXPECT_NE(doc.find("| " + std::string(op) + " | supported |"), std::string::npos)
        << op << " missing or stale; run python3 src/services/organizations/gen_coverage.py";
  for (const auto& e : ErrorTable()) EXPECT_NE(doc.find(e.code), std::string::npos) << e.code;
}

}  // namespace
}  // namespace cenote::organizations
