#include "services/iam/iam_provider.hpp"

#include <gtest/gtest.h>

// GCC 12 warns falsely (-Wrestrict, GCC bug 105329) on `"literal" + std::string`, which these tests use
// freely.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include <boost/json.hpp>
#include <fstream>
#include <sstream>

#include "../../store/temp_dir.hpp"
#include "../fresh_schema_check.hpp"
#include "../provider_harness.hpp"
#include "common/encoding.hpp"
#include "iam/action_map.hpp"
#include "iam/evaluate.hpp"
#include "services/iam/errors.hpp"

namespace cenote::iam {
namespace {

namespace json = boost::json;
using store::testing::TempDir;

constexpr const char* kAccount = "123456789012";
constexpr const char* kAllowS3 =
    R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]})";
constexpr const char* kAllowGlue =
    R"({"Version":"2012-10-17","Statement":[{"Sid":"Glue","Effect":"Allow","Action":"glue:Get*","Resource":"*"}]})";
constexpr const char* kDenyDelete =
    R"({"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]})";
constexpr const char* kTrust =
    R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"glue.amazonaws.com"},"Action":"sts:AssumeRole"}]})";

// IAM's URL-encoding of policy documents (RFC 3986, '*' included).
std::string PercentEncode(std::string_view text) { return UriEncode(text, true); }

class IamTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open() {
    harness_.reset();
    provider_ = nullptr;
    metadata_.reset();
    auto md = store::MetadataStore::OpenSqlite(dir_ / "metadata.db");
    ASSERT_TRUE(md.ok());
    metadata_ = std::move(md).value();
    IamOptions options;
    options.clock = [this] { return now_; };
    options.key_use_flush_ms = 0;
    auto p = IamProvider::Open(*metadata_, tasks_, options);
    ASSERT_TRUE(p.ok()) << p.error().message;
    provider_ = p->get();
    harness_ = std::make_unique<testing::ProviderHarness>(kAccount);
    harness_->Register(std::move(p).value());
  }

  IamDirectory& dir() { return provider_->directory(); }

  Result<aws::OperationOutput> Call(std::string_view op, json::object params) {
    return harness_->Call("iam", op, std::move(params));
  }
  json::object Ok(std::string_view op, json::object params = {}) {
    auto r = Call(op, std::move(params));
    EXPECT_TRUE(r.ok()) << op << ": " << (r.ok() ? "" : r.error().code + " " + r.error().message);
    if (!r.ok()) return {};
    return r->result.as_object();
  }
  // The error code (and status) of a call that must fail.
  std::string Err(std::string_view op, json::object params, int status = 0) {
    auto r = Call(op, std::move(params));
    EXPECT_FALSE(r.ok()) << op << " succeeded";
    if (r.ok()) return "";
    if (status != 0) {
      EXPECT_EQ(r.error().http_status, status) << op << " " << r.error().message;
    }
    return r.error().code;
  }

  std::string UserArn(const std::string& name, const std::string& path = "/") {
    return std::string("arn:aws:iam::") + kAccount + ":user" + path + name;
  }
  std::string PolicyArn(const std::string& name) {
    return std::string("arn:aws:iam::") + kAccount + ":policy/" + name;
  }

  // Names of the policies PoliciesOf reports for `arn`.
  std::vector<std::string> PolicyNames(const std::string& arn) {
    std::vector<std::string> out;
    auto e = dir().PoliciesOf(arn);
    if (e)
      for (const auto& p : e->identity) out.push_back(p.name);
    return out;
  }

  TempDir dir_;
  std::int64_t now_ = 1'700'000'000'000;
  BackgroundTasks tasks_;
  std::unique_ptr<store::MetadataStore> metadata_;
  IamProvider* provider_ = nullptr;
  std::unique_ptr<testing::ProviderHarness> harness_;
};

// ---- users

TEST_F(IamTest, UserLifecycle) {
  auto out = Ok("CreateUser", {{"UserName", "Alice"},
                               {"Path", "/eng/"},
                               {"Tags", json::array{json::object{{"Key", "team"}, {"Value", "data"}}}}});
  const auto& user = out["User"].as_object();
  EXPECT_EQ(user.at("Arn").as_string(), UserArn("Alice", "/eng/"));
  EXPECT_EQ(user.at("UserId").as_string().subview().substr(0, 4), "AIDA");
  EXPECT_EQ(user.at("UserId").as_string().size(), 20u);
  EXPECT_EQ(user.at("CreateDate").as_int64(), now_);
  EXPECT_EQ(Err("CreateUser", {{"UserName", "alice"}}, 409), "EntityAlreadyExists");  // case-insensitive
  auto got = Ok("GetUser", {{"UserName", "ALICE"}});
  EXPECT_EQ(got["User"].at("UserName").as_string(), "Alice");
  EXPECT_EQ(got["User"].at("Tags").as_array().size(), 1u);
  EXPECT_EQ(Err("GetUser", {{"UserName", "bob"}}, 404), "NoSuchEntity");
  // The root caller without UserName: the root user.
  auto root = Ok("GetUser");
  EXPECT_EQ(root["User"].at("Arn").as_string(), std::string("arn:aws:iam::") + kAccount + ":root");
  EXPECT_EQ(root["User"].at("UserId").as_string(), kAccount);

  Ok("UpdateUser", {{"UserName", "Alice"}, {"NewUserName", "Alicia"}, {"NewPath", "/ops/"}});
  EXPECT_EQ(Err("GetUser", {{"UserName", "Alice"}}), "NoSuchEntity");
  EXPECT_EQ(Ok("GetUser", {{"UserName", "Alicia"}})["User"].at("Arn").as_string(),
            UserArn("Alicia", "/ops/"));

  Ok("TagUser", {{"UserName", "Alicia"},
                 {"Tags", json::array{json::object{{"Key", "TEAM"}, {"Value", "ops"}},
                                      json::object{{"Key", "x"}, {"Value", "1"}}}}});
  auto tags = Ok("ListUserTags", {{"UserName", "Alicia"}})["Tags"].as_array();
  ASSERT_EQ(tags.size(), 2u);  // "TEAM" replaced "team"
  EXPECT_EQ(tags[0].at("Key").as_string(), "TEAM");
  Ok("UntagUser", {{"UserName", "Alicia"}, {"TagKeys", json::array{"team"}}});
  EXPECT_EQ(Ok("ListUserTags", {{"UserName", "Alicia"}})["Tags"].as_array().size(), 1u);
  EXPECT_EQ(Err("TagUser", {{"UserName", "Alicia"},
                            {"Tags", json::array{json::object{{"Key", "a"}, {"Value", "1"}},
                                                 json::object{{"Key", "A"}, {"Value", "2"}}}}}),
            "InvalidInput");

  Ok("DeleteUser", {{"UserName", "Alicia"}});
  EXPECT_EQ(Err("DeleteUser", {{"UserName", "Alicia"}}, 404), "NoSuchEntity");
}

TEST_F(IamTest, ValidationOfNamesAndPaths) {
  EXPECT_EQ(Err("CreateUser", {{"UserName", "bad name"}}, 400), "ValidationError");
  EXPECT_EQ(Err("CreateUser", {{"UserName", "u"}, {"Path", "noslash"}}, 400), "ValidationError");
  EXPECT_EQ(Err("CreateUser", {{"UserName", std::string(65, 'a')}}, 400), "ValidationError");
  EXPECT_EQ(Err("CreateRole",
                {{"RoleName", "r"}, {"AssumeRolePolicyDocument", kTrust}, {"MaxSessionDuration", 60}}, 400),
            "ValidationError");
}

TEST_F(IamTest, ListUsersPagesWithMarker) {
  for (int i = 0; i < 5; ++i)
    Ok("CreateUser", {{"UserName", "u" + std::to_string(i)}, {"Path", i < 3 ? "/a/" : "/b/"}});
  auto page = Ok("ListUsers", {{"MaxItems", 2}});
  EXPECT_EQ(page["Users"].as_array().size(), 2u);
  EXPECT_TRUE(page["IsTruncated"].as_bool());
  auto rest = Ok("ListUsers", {{"MaxItems", 10}, {"Marker", page["Marker"]}});
  EXPECT_EQ(rest["Users"].as_array().size(), 3u);
  EXPECT_FALSE(rest["IsTruncated"].as_bool());
  EXPECT_EQ(rest["Users"].as_array()[0].at("UserName").as_string(), "u2");
  EXPECT_EQ(Ok("ListUsers", {{"PathPrefix", "/b/"}})["Users"].as_array().size(), 2u);
}

TEST_F(IamTest, DeleteUserConflicts) {
  Ok("CreateUser", {{"UserName", "u"}});
  Ok("CreateGroup", {{"GroupName", "g"}});
  auto key = Ok("CreateAccessKey", {{"UserName", "u"}})["AccessKey"].as_object();
  EXPECT_EQ(Err("DeleteUser", {{"UserName", "u"}}, 409), "DeleteConflict");
  Ok("DeleteAccessKey", {{"UserName", "u"}, {"AccessKeyId", key["AccessKeyId"]}});
  Ok("PutUserPolicy", {{"UserName", "u"}, {"PolicyName", "p"}, {"PolicyDocument", kAllowS3}});
  EXPECT_EQ(Err("DeleteUser", {{"UserName", "u"}}), "DeleteConflict");
  Ok("DeleteUserPolicy", {{"UserName", "u"}, {"PolicyName", "p"}});
  Ok("AttachUserPolicy", {{"UserName", "u"}, {"PolicyArn", "arn:aws:iam::aws:policy/AdministratorAccess"}});
  EXPECT_EQ(Err("DeleteUser", {{"UserName", "u"}}), "DeleteConflict");
  Ok("DetachUserPolicy", {{"UserName", "u"}, {"PolicyArn", "arn:aws:iam::aws:policy/AdministratorAccess"}});
  Ok("AddUserToGroup", {{"UserName", "u"}, {"GroupName", "g"}});
  EXPECT_EQ(Err("DeleteUser", {{"UserName", "u"}}), "DeleteConflict");
  Ok("RemoveUserFromGroup", {{"UserName", "u"}, {"GroupName", "g"}});
  Ok("DeleteUser", {{"UserName", "u"}});
}

// ---- access keys and the credential source

TEST_F(IamTest, AccessKeysAndCredentialSource) {
  Ok("CreateUser", {{"UserName", "kate"}, {"Path", "/p/"}});
  auto key = Ok("CreateAccessKey", {{"UserName", "kate"}})["AccessKey"].as_object();
  std::string id(key["AccessKeyId"].as_string()), secret(key["SecretAccessKey"].as_string());
  EXPECT_EQ(id.size(), 20u);
  EXPECT_EQ(id.substr(0, 4), "AKIA");
  EXPECT_EQ(secret.size(), 40u);
  EXPECT_EQ(key["Status"].as_string(), "Active");
  Ok("CreateAccessKey", {{"UserName", "kate"}});
  EXPECT_EQ(Err("CreateAccessKey", {{"UserName", "kate"}}, 409), "LimitExceeded");
  EXPECT_EQ(Ok("ListAccessKeys", {{"UserName", "kate"}})["AccessKeyMetadata"].as_array().size(), 2u);
  // The root caller's own keys (no UserName, as the root user): at most two, the account's root user.
  auto root_key = Ok("CreateAccessKey", {})["AccessKey"].as_object();
  EXPECT_FALSE(root_key.contains("UserName"));
  const std::string root_id(root_key["AccessKeyId"].as_string());
  auto root_rec = dir().Lookup(root_id);
  ASSERT_TRUE(root_rec.has_value());
  EXPECT_EQ(root_rec->secret_access_key, std::string(root_key["SecretAccessKey"].as_string()));
  EXPECT_EQ(root_rec->principal.type, PrincipalType::kRoot);
  EXPECT_EQ(root_rec->principal.arn, "arn:aws:iam::" + std::string(kAccount) + ":root");
  EXPECT_EQ(root_rec->principal.access_key_id, root_id);
  Ok("CreateAccessKey", {});
  EXPECT_EQ(Err("CreateAccessKey", {}, 409), "LimitExceeded");
  EXPECT_EQ(Ok("ListAccessKeys", {})["AccessKeyMetadata"].as_array().size(), 2u);
  Ok("UpdateAccessKey", {{"AccessKeyId", root_id}, {"Status", "Inactive"}});
  EXPECT_FALSE(dir().Lookup(root_id).has_value());
  Ok("DeleteAccessKey", {{"AccessKeyId", root_id}});
  EXPECT_EQ(Ok("ListAccessKeys", {})["AccessKeyMetadata"].as_array().size(), 1u);
  EXPECT_EQ(Err("DeleteAccessKey", {{"AccessKeyId", root_id}}, 404), "NoSuchEntity");

  auto rec = dir().Lookup(id);
  ASSERT_TRUE(rec.has_value());
  EXPECT_EQ(rec->secret_access_key, secret);
  EXPECT_EQ(rec->principal.type, PrincipalType::kUser);
  EXPECT_EQ(rec->principal.arn, UserArn("kate", "/p/"));
  EXPECT_EQ(rec->principal.entity_arn, UserArn("kate", "/p/"));
  EXPECT_EQ(rec->principal.user_id.substr(0, 4), "AIDA");
  EXPECT_EQ(rec->principal.account_id, kAccount);
  EXPECT_EQ(rec->principal.canonical_id, CanonicalUserId(kAccount));
  EXPECT_EQ(rec->principal.display_name, "kate");
  EXPECT_EQ(rec->principal.access_key_id, id);
  EXPECT_FALSE(dir().Lookup("AKIAAAAAAAAAAAAAAAAA").has_value());

  // Inactive keys are unknown; active again, known.
  Ok("UpdateAccessKey", {{"UserName", "kate"}, {"AccessKeyId", id}, {"Status", "Inactive"}});
  EXPECT_FALSE(dir().Lookup(id).has_value());
  EXPECT_EQ(Ok("ListAccessKeys", {{"UserName", "kate"}})["AccessKeyMetadata"]
                .as_array()[0]
                .at("Status")
                .as_string(),
            "Inactive");
  Ok("UpdateAccessKey", {{"UserName", "kate"}, {"AccessKeyId", id}, {"Status", "Active"}});
  EXPECT_TRUE(dir().Lookup(id).has_value());
  EXPECT_EQ(Err("UpdateAccessKey",
                {{"UserName", "kate"}, {"AccessKeyId", "AKIAXXXXXXXXXXXXXXXX"}, {"Status", "Active"}}, 404),
            "NoSuchEntity");

  // Last use: N/A, then what RecordUse saw; survives a reopen once flushed.
  auto last = Ok("GetAccessKeyLastUsed", {{"AccessKeyId", id}});
  EXPECT_EQ(last["UserName"].as_string(), "kate");
  EXPECT_EQ(last["AccessKeyLastUsed"].at("ServiceName").as_string(), "N/A");
  dir().RecordUse(id, "s3", "eu-west-1", now_ + 5);
  last = Ok("GetAccessKeyLastUsed", {{"AccessKeyId", id}});
  EXPECT_EQ(last["AccessKeyLastUsed"].at("ServiceName").as_string(), "s3");
  EXPECT_EQ(last["AccessKeyLastUsed"].at("Region").as_string(), "eu-west-1");
  EXPECT_EQ(last["AccessKeyLastUsed"].at("LastUsedDate").as_int64(), now_ + 5);
  ASSERT_TRUE(provider_->FlushKeyUse().ok());
  Open();
  EXPECT_EQ(
      Ok("GetAccessKeyLastUsed", {{"AccessKeyId", id}})["AccessKeyLastUsed"].at("ServiceName").as_string(),
      "s3");
  EXPECT_TRUE(dir().Lookup(id).has_value());

  // A deleted user's keys no longer look up.
  json::array keys = Ok("ListAccessKeys", {{"UserName", "kate"}})["AccessKeyMetadata"].as_array();
  for (const auto& k : keys)
    Ok("DeleteAccessKey", {{"UserName", "kate"}, {"AccessKeyId", k.at("AccessKeyId")}});
  EXPECT_FALSE(dir().Lookup(id).has_value());
  Ok("DeleteUser", {{"UserName", "kate"}});
  EXPECT_EQ(dir().PoliciesOf(UserArn("kate", "/p/")), nullptr);
}

TEST_F(IamTest, DeletedUserKeyNoLongerLooksUp) {
  Ok("CreateUser", {{"UserName", "d"}});
  std::string id(Ok("CreateAccessKey", {{"UserName", "d"}})["AccessKey"].at("AccessKeyId").as_string());
  ASSERT_TRUE(dir().Lookup(id).has_value());
  Ok("DeleteAccessKey", {{"UserName", "d"}, {"AccessKeyId", id}});
  Ok("DeleteUser", {{"UserName", "d"}});
  EXPECT_FALSE(dir().Lookup(id).has_value());
}

// ---- groups and the directory

TEST_F(IamTest, GroupsAndDirectorySnapshot) {
  Ok("CreateUser", {{"UserName", "u1"}});
  Ok("CreateUser", {{"UserName", "u2"}});
  auto g = Ok("CreateGroup", {{"GroupName", "analysts"}, {"Path", "/teams/"}})["Group"].as_object();
  EXPECT_EQ(g["GroupId"].as_string().subview().substr(0, 4), "AGPA");
  EXPECT_EQ(Err("CreateGroup", {{"GroupName", "ANALYSTS"}}, 409), "EntityAlreadyExists");
  Ok("AddUserToGroup", {{"UserName", "u1"}, {"GroupName", "analysts"}});
  Ok("AddUserToGroup", {{"UserName", "u2"}, {"GroupName", "analysts"}});
  auto got = Ok("GetGroup", {{"GroupName", "analysts"}, {"MaxItems", 1}});
  EXPECT_EQ(got["Users"].as_array().size(), 1u);
  EXPECT_TRUE(got["IsTruncated"].as_bool());
  EXPECT_EQ(Ok("ListGroupsForUser", {{"UserName", "u1"}})["Groups"].as_array().size(), 1u);
  EXPECT_EQ(Ok("ListGroups", {{"PathPrefix", "/teams/"}})["Groups"].as_array().size(), 1u);

  // A change to the group's policies is seen by PoliciesOf of its users.
  EXPECT_TRUE(PolicyNames(UserArn("u1")).empty());
  Ok("PutGroupPolicy", {{"GroupName", "analysts"}, {"PolicyName", "s3"}, {"PolicyDocument", kAllowS3}});
  EXPECT_EQ(PolicyNames(UserArn("u1")), std::vector<std::string>{"analysts/s3"});
  Ok("AttachGroupPolicy",
     {{"GroupName", "analysts"}, {"PolicyArn", "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"}});
  EXPECT_EQ(PolicyNames(UserArn("u2")),
            (std::vector<std::string>{"analysts/s3", "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"}));
  auto e = dir().PoliciesOf(UserArn("u1"));
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->type, PrincipalType::kUser);
  EXPECT_EQ(e->name, "u1");
  EXPECT_EQ(e->id.substr(0, 4), "AIDA");
  // The snapshot handed out before a change stays as it was (immutable).
  Ok("DeleteGroupPolicy", {{"GroupName", "analysts"}, {"PolicyName", "s3"}});
  EXPECT_EQ(e->identity.size(), 2u);
  EXPECT_EQ(PolicyNames(UserArn("u1")),
            std::vector<std::string>{"arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"});

  EXPECT_EQ(Err("DeleteGroup", {{"GroupName", "analysts"}}, 409), "DeleteConflict");
  Ok("UpdateGroup", {{"GroupName", "analysts"}, {"NewGroupName", "readers"}});
  EXPECT_EQ(Ok("ListGroupsForUser", {{"UserName", "u1"}})["Groups"].as_array()[0].at("GroupName").as_string(),
            "readers");
  EXPECT_EQ(PolicyNames(UserArn("u1")).size(), 1u);
  EXPECT_EQ(Err("RemoveUserFromGroup", {{"UserName", "u1"}, {"GroupName", "nope"}}, 404), "NoSuchEntity");
  Ok("RemoveUserFromGroup", {{"UserName", "u1"}, {"GroupName", "readers"}});
  Ok("RemoveUserFromGroup", {{"UserName", "u2"}, {"GroupName", "readers"}});
  EXPECT_TRUE(PolicyNames(UserArn("u1")).empty());
  Ok("DetachGroupPolicy",
     {{"GroupName", "readers"}, {"PolicyArn", "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"}});
  Ok("DeleteGroup", {{"GroupName", "readers"}});
}

TEST_F(IamTest, GroupsPerUserQuota) {
  Ok("CreateUser", {{"UserName", "u"}});
  for (int i = 0; i < 10; ++i) {
    Ok("CreateGroup", {{"GroupName", "g" + std::to_string(i)}});
    Ok("AddUserToGroup", {{"UserName", "u"}, {"GroupName", "g" + std::to_string(i)}});
  }
  Ok("CreateGroup", {{"GroupName", "g10"}});
  EXPECT_EQ(Err("AddUserToGroup", {{"UserName", "u"}, {"GroupName", "g10"}}, 409), "LimitExceeded");
}

// ---- roles

TEST_F(IamTest, RoleLifecycleAndFindRole) {
  EXPECT_EQ(Err("CreateRole", {{"RoleName", "r"}, {"AssumeRolePolicyDocument", kAllowS3}}, 400),
            "MalformedPolicyDocument");
  auto role = Ok("CreateRole", {{"RoleName", "GlueRole"},
                                {"Path", "/service-role/"},
                                {"AssumeRolePolicyDocument", kTrust},
                                {"Description", "crawler"},
                                {"MaxSessionDuration", 7200},
                                {"Tags", json::array{json::object{{"Key", "k"}, {"Value", "v"}}}}})["Role"]
                  .as_object();
  const std::string arn = std::string("arn:aws:iam::") + kAccount + ":role/service-role/GlueRole";
  EXPECT_EQ(role["Arn"].as_string(), arn);
  EXPECT_EQ(role["RoleId"].as_string().subview().substr(0, 4), "AROA");
  EXPECT_EQ(role["AssumeRolePolicyDocument"].as_string(), PercentEncode(kTrust));
  EXPECT_EQ(Err("CreateRole", {{"RoleName", "gluerole"}, {"AssumeRolePolicyDocument", kTrust}}, 409),
            "EntityAlreadyExists");

  auto info = dir().FindRole(arn);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->max_session_duration_s, 7200);
  EXPECT_EQ(info->trust_policy.name, "trust policy");
  ASSERT_NE(info->trust_policy.policy, nullptr);
  EXPECT_EQ(info->trust_policy.policy->kind(), PolicyKind::kTrust);
  EXPECT_EQ(info->tags.size(), 1u);
  // Without the path too.
  EXPECT_TRUE(dir().FindRole(std::string("arn:aws:iam::") + kAccount + ":role/GlueRole").has_value());
  EXPECT_FALSE(dir().FindRole(std::string("arn:aws:iam::") + kAccount + ":role/other/GlueRole").has_value());

  Ok("UpdateRole", {{"RoleName", "GlueRole"}, {"MaxSessionDuration", 3600}, {"Description", "d2"}});
  auto got = Ok("GetRole", {{"RoleName", "GlueRole"}})["Role"].as_object();
  EXPECT_EQ(got["MaxSessionDuration"].as_int64(), 3600);
  EXPECT_EQ(got["Description"].as_string(), "d2");
  EXPECT_EQ(Ok("UpdateRoleDescription", {{"RoleName", "GlueRole"}, {"Description", "d3"}})["Role"]
                .at("Description")
                .as_string(),
            "d3");
  const char* trust2 =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]})";
  Ok("UpdateAssumeRolePolicy", {{"RoleName", "GlueRole"}, {"PolicyDocument", trust2}});
  EXPECT_EQ(dir().FindRole(arn)->trust_policy.policy->statements()[0].principals.accounts.size(), 1u);

  Ok("PutRolePolicy", {{"RoleName", "GlueRole"}, {"PolicyName", "inline"}, {"PolicyDocument", kAllowGlue}});
  Ok("AttachRolePolicy",
     {{"RoleName", "GlueRole"}, {"PolicyArn", "arn:aws:iam::aws:policy/service-role/AWSGlueServiceRole"}});
  auto e = dir().PoliciesOf(arn);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->type, PrincipalType::kAssumedRole);
  EXPECT_EQ(e->identity.size(), 2u);
  EXPECT_NE(dir().PoliciesOf(std::string("arn:aws:iam::") + kAccount + ":role/GlueRole"), nullptr);

  Ok("TagRole",
     {{"RoleName", "GlueRole"}, {"Tags", json::array{json::object{{"Key", "k2"}, {"Value", "v"}}}}});
  EXPECT_EQ(Ok("ListRoleTags", {{"RoleName", "GlueRole"}})["Tags"].as_array().size(), 2u);
  Ok("UntagRole", {{"RoleName", "GlueRole"}, {"TagKeys", json::array{"k", "k2"}}});
  EXPECT_TRUE(Ok("ListRoleTags", {{"RoleName", "GlueRole"}})["Tags"].as_array().empty());
  EXPECT_EQ(Ok("ListRoles", {{"PathPrefix", "/service-role/"}})["Roles"].as_array().size(), 1u);

  EXPECT_EQ(Err("DeleteRole", {{"RoleName", "GlueRole"}}, 409), "DeleteConflict");
  Ok("DeleteRolePolicy", {{"RoleName", "GlueRole"}, {"PolicyName", "inline"}});
  Ok("DetachRolePolicy",
     {{"RoleName", "GlueRole"}, {"PolicyArn", "arn:aws:iam::aws:policy/service-role/AWSGlueServiceRole"}});
  Ok("DeleteRole", {{"RoleName", "GlueRole"}});
  EXPECT_FALSE(dir().FindRole(arn).has_value());
  EXPECT_EQ(dir().PoliciesOf(arn), nullptr);
}

TEST_F(IamTest, InstanceProfiles) {
  Ok("CreateRole", {{"RoleName", "r1"}, {"AssumeRolePolicyDocument", kTrust}});
  Ok("CreateRole", {{"RoleName", "r2"}, {"AssumeRolePolicyDocument", kTrust}});
  auto ip = Ok("CreateInstanceProfile", {{"InstanceProfileName", "ip"}})["InstanceProfile"].as_object();
  EXPECT_EQ(ip["InstanceProfileId"].as_string().subview().substr(0, 4), "AIPA");
  EXPECT_EQ(Err("CreateInstanceProfile", {{"InstanceProfileName", "IP"}}, 409), "EntityAlreadyExists");
  Ok("AddRoleToInstanceProfile", {{"InstanceProfileName", "ip"}, {"RoleName", "r1"}});
  EXPECT_EQ(Err("AddRoleToInstanceProfile", {{"InstanceProfileName", "ip"}, {"RoleName", "r2"}}, 409),
            "LimitExceeded");
  EXPECT_EQ(Ok("GetInstanceProfile", {{"InstanceProfileName", "ip"}})["InstanceProfile"]
                .at("Roles")
                .as_array()
                .size(),
            1u);
  EXPECT_EQ(Ok("ListInstanceProfilesForRole", {{"RoleName", "r1"}})["InstanceProfiles"].as_array().size(),
            1u);
  EXPECT_EQ(Ok("ListInstanceProfiles")["InstanceProfiles"].as_array().size(), 1u);
  EXPECT_EQ(Err("DeleteRole", {{"RoleName", "r1"}}, 409), "DeleteConflict");
  EXPECT_EQ(Err("DeleteInstanceProfile", {{"InstanceProfileName", "ip"}}, 409), "DeleteConflict");
  EXPECT_EQ(Err("RemoveRoleFromInstanceProfile", {{"InstanceProfileName", "ip"}, {"RoleName", "r2"}}, 404),
            "NoSuchEntity");
  Ok("RemoveRoleFromInstanceProfile", {{"InstanceProfileName", "ip"}, {"RoleName", "r1"}});
  Ok("TagInstanceProfile",
     {{"InstanceProfileName", "ip"}, {"Tags", json::array{json::object{{"Key", "a"}, {"Value", "b"}}}}});
  EXPECT_EQ(Ok("ListInstanceProfileTags", {{"InstanceProfileName", "ip"}})["Tags"].as_array().size(), 1u);
  Ok("UntagInstanceProfile", {{"InstanceProfileName", "ip"}, {"TagKeys", json::array{"a"}}});
  Ok("DeleteInstanceProfile", {{"InstanceProfileName", "ip"}});
  EXPECT_EQ(Err("GetInstanceProfile", {{"InstanceProfileName", "ip"}}, 404), "NoSuchEntity");
}

// ---- inline policies

TEST_F(IamTest, InlinePoliciesUrlEncodedAndChecked) {
  Ok("CreateUser", {{"UserName", "u"}});
  EXPECT_EQ(Err("PutUserPolicy", {{"UserName", "u"}, {"PolicyName", "p"}, {"PolicyDocument", "{"}}, 400),
            "MalformedPolicyDocument");
  EXPECT_EQ(Err("PutUserPolicy", {{"UserName", "u"}, {"PolicyName", "p"}, {"PolicyDocument", kTrust}}),
            "MalformedPolicyDocument");
  EXPECT_EQ(
      Err("PutUserPolicy", {{"UserName", "nobody"}, {"PolicyName", "p"}, {"PolicyDocument", kAllowS3}}, 404),
      "NoSuchEntity");
  Ok("PutUserPolicy", {{"UserName", "u"}, {"PolicyName", "p"}, {"PolicyDocument", kAllowS3}});
  auto got = Ok("GetUserPolicy", {{"UserName", "u"}, {"PolicyName", "p"}});
  EXPECT_EQ(got["PolicyDocument"].as_string(), PercentEncode(kAllowS3));
  EXPECT_NE(got["PolicyDocument"].as_string().subview().find("%7B%22Version%22%3A%222012-10-17%22"),
            std::string::npos);
  EXPECT_EQ(UriDecode(std::string(got["PolicyDocument"].as_string())), kAllowS3);
  EXPECT_EQ(Err("GetUserPolicy", {{"UserName", "u"}, {"PolicyName", "q"}}, 404), "NoSuchEntity");
  Ok("PutUserPolicy", {{"UserName", "u"}, {"PolicyName", "a"}, {"PolicyDocument", kAllowGlue}});
  auto names = Ok("ListUserPolicies", {{"UserName", "u"}})["PolicyNames"].as_array();
  EXPECT_EQ(names, (json::array{"a", "p"}));
  // The user quota (2,048 characters) is an aggregate.
  std::string big =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":[)";
  for (int i = 0; i < 60; ++i)
    big += std::string(i ? "," : "") + "\"arn:aws:s3:::bucket-number-" + std::to_string(i) + "/*\"";
  big += "]}]}";
  EXPECT_EQ(Err("PutUserPolicy", {{"UserName", "u"}, {"PolicyName", "big"}, {"PolicyDocument", big}}, 409),
            "LimitExceeded");
  // Groups and roles take it (5,120 and 10,240).
  Ok("CreateRole", {{"RoleName", "r"}, {"AssumeRolePolicyDocument", kTrust}});
  Ok("PutRolePolicy", {{"RoleName", "r"}, {"PolicyName", "big"}, {"PolicyDocument", big}});
  EXPECT_EQ(Ok("GetRolePolicy", {{"RoleName", "r"}, {"PolicyName", "big"}})["PolicyDocument"].as_string(),
            PercentEncode(big));
  EXPECT_EQ(Ok("ListRolePolicies", {{"RoleName", "r"}})["PolicyNames"].as_array().size(), 1u);
  Ok("CreateGroup", {{"GroupName", "g"}});
  Ok("PutGroupPolicy", {{"GroupName", "g"}, {"PolicyName", "big"}, {"PolicyDocument", big}});
  EXPECT_EQ(Ok("GetGroupPolicy", {{"GroupName", "g"}, {"PolicyName", "big"}})["GroupName"].as_string(), "g");
  EXPECT_EQ(Ok("ListGroupPolicies", {{"GroupName", "g"}})["PolicyNames"].as_array().size(), 1u);
  EXPECT_EQ(Err("DeleteGroupPolicy", {{"GroupName", "g"}, {"PolicyName", "x"}}, 404), "NoSuchEntity");
  // Replacing a policy by name keeps one.
  Ok("PutUserPolicy", {{"UserName", "u"}, {"PolicyName", "p"}, {"PolicyDocument", kDenyDelete}});
  EXPECT_EQ(Ok("ListUserPolicies", {{"UserName", "u"}})["PolicyNames"].as_array().size(), 2u);
  EXPECT_EQ(PolicyNames(UserArn("u")), (std::vector<std::string>{"u/p", "u/a"}));
}

// ---- managed policies

TEST_F(IamTest, ManagedPoliciesAndVersions) {
  auto pol = Ok("CreatePolicy", {{"PolicyName", "S3All"},
                                 {"Path", "/data/"},
                                 {"PolicyDocument", kAllowS3},
                                 {"Description", "s3"}})["Policy"]
                 .as_object();
  const std::string arn = std::string("arn:aws:iam::") + kAccount + ":policy/data/S3All";
  EXPECT_EQ(pol["Arn"].as_string(), arn);
  EXPECT_EQ(pol["PolicyId"].as_string().subview().substr(0, 4), "ANPA");
  EXPECT_EQ(pol["DefaultVersionId"].as_string(), "v1");
  EXPECT_EQ(pol["AttachmentCount"].as_int64(), 0);
  EXPECT_TRUE(pol["IsAttachable"].as_bool());
  EXPECT_EQ(Err("CreatePolicy", {{"PolicyName", "s3all"}, {"PolicyDocument", kAllowS3}}, 409),
            "EntityAlreadyExists");
  EXPECT_EQ(Err("CreatePolicy", {{"PolicyName", "bad"}, {"PolicyDocument", kTrust}}, 400),
            "MalformedPolicyDocument");

  Ok("CreateUser", {{"UserName", "u"}});
  Ok("AttachUserPolicy", {{"UserName", "u"}, {"PolicyArn", arn}});
  Ok("AttachUserPolicy", {{"UserName", "u"}, {"PolicyArn", arn}});  // idempotent
  EXPECT_EQ(Ok("GetPolicy", {{"PolicyArn", arn}})["Policy"].at("AttachmentCount").as_int64(), 1);
  EXPECT_EQ(Err("AttachUserPolicy", {{"UserName", "u"}, {"PolicyArn", PolicyArn("nope")}}, 404),
            "NoSuchEntity");
  EXPECT_EQ(Err("GetPolicy", {{"PolicyArn", PolicyArn("nope")}}, 404), "NoSuchEntity");
  auto attached = Ok("ListAttachedUserPolicies", {{"UserName", "u"}})["AttachedPolicies"].as_array();
  ASSERT_EQ(attached.size(), 1u);
  EXPECT_EQ(attached[0].at("PolicyName").as_string(), "S3All");
  EXPECT_EQ(Ok("ListAttachedUserPolicies", {{"UserName", "u"}, {"PathPrefix", "/other/"}})["AttachedPolicies"]
                .as_array()
                .size(),
            0u);

  // Versions: the default moves; the Directory sees the default version.
  auto v2 = Ok("CreatePolicyVersion",
               {{"PolicyArn", arn}, {"PolicyDocument", kAllowGlue}, {"SetAsDefault", true}})["PolicyVersion"]
                .as_object();
  EXPECT_EQ(v2["VersionId"].as_string(), "v2");
  EXPECT_TRUE(v2["IsDefaultVersion"].as_bool());
  auto e = dir().PoliciesOf(UserArn("u"));
  ASSERT_NE(e, nullptr);
  ASSERT_EQ(e->identity.size(), 1u);
  EXPECT_EQ(e->identity[0].name, arn);
  EXPECT_EQ(e->identity[0].policy->statements()[0].sid, "Glue");
  EXPECT_EQ(dir().ManagedPolicy(arn)->statements()[0].sid, "Glue");
  Ok("CreatePolicyVersion", {{"PolicyArn", arn}, {"PolicyDocument", kAllowS3}});
  Ok("CreatePolicyVersion", {{"PolicyArn", arn}, {"PolicyDocument", kAllowS3}});
  Ok("CreatePolicyVersion", {{"PolicyArn", arn}, {"PolicyDocument", kAllowS3}});
  EXPECT_EQ(Err("CreatePolicyVersion", {{"PolicyArn", arn}, {"PolicyDocument", kAllowS3}}, 409),
            "LimitExceeded");
  auto versions = Ok("ListPolicyVersions", {{"PolicyArn", arn}})["Versions"].as_array();
  ASSERT_EQ(versions.size(), 5u);
  EXPECT_EQ(versions[0].at("VersionId").as_string(), "v5");
  auto v1 = Ok("GetPolicyVersion", {{"PolicyArn", arn}, {"VersionId", "v1"}})["PolicyVersion"].as_object();
  EXPECT_EQ(v1["Document"].as_string(), PercentEncode(kAllowS3));
  EXPECT_FALSE(v1["IsDefaultVersion"].as_bool());
  EXPECT_EQ(Err("GetPolicyVersion", {{"PolicyArn", arn}, {"VersionId", "v9"}}, 404), "NoSuchEntity");
  EXPECT_EQ(Err("DeletePolicyVersion", {{"PolicyArn", arn}, {"VersionId", "v2"}}, 409), "DeleteConflict");
  Ok("SetDefaultPolicyVersion", {{"PolicyArn", arn}, {"VersionId", "v1"}});
  EXPECT_EQ(dir().ManagedPolicy(arn)->statements()[0].sid, "");
  for (const char* v : {"v2", "v3", "v4", "v5"})
    Ok("DeletePolicyVersion", {{"PolicyArn", arn}, {"VersionId", v}});
  EXPECT_EQ(Ok("CreatePolicyVersion", {{"PolicyArn", arn}, {"PolicyDocument", kAllowS3}})["PolicyVersion"]
                .at("VersionId")
                .as_string(),
            "v6");

  // ListEntitiesForPolicy, ListPolicies.
  auto entities = Ok("ListEntitiesForPolicy", {{"PolicyArn", arn}});
  EXPECT_EQ(entities["PolicyUsers"].as_array().size(), 1u);
  EXPECT_EQ(Ok("ListPolicies", {{"Scope", "Local"}})["Policies"].as_array().size(), 1u);
  EXPECT_EQ(Ok("ListPolicies", {{"Scope", "Local"}, {"OnlyAttached", true}})["Policies"].as_array().size(),
            1u);
  EXPECT_EQ(Ok("ListPolicies", {{"Scope", "Local"}, {"PathPrefix", "/x/"}})["Policies"].as_array().size(),
            0u);

  EXPECT_EQ(Err("DeletePolicy", {{"PolicyArn", arn}}, 409), "DeleteConflict");  // attached
  Ok("DetachUserPolicy", {{"UserName", "u"}, {"PolicyArn", arn}});
  EXPECT_EQ(Err("DetachUserPolicy", {{"UserName", "u"}, {"PolicyArn", arn}}, 404), "NoSuchEntity");
  EXPECT_EQ(Err("DeletePolicy", {{"PolicyArn", arn}}, 409), "DeleteConflict");  // two versions
  Ok("DeletePolicyVersion", {{"PolicyArn", arn}, {"VersionId", "v6"}});
  Ok("TagPolicy", {{"PolicyArn", arn}, {"Tags", json::array{json::object{{"Key", "a"}, {"Value", "b"}}}}});
  EXPECT_EQ(Ok("ListPolicyTags", {{"PolicyArn", arn}})["Tags"].as_array().size(), 1u);
  Ok("UntagPolicy", {{"PolicyArn", arn}, {"TagKeys", json::array{"a"}}});
  Ok("DeletePolicy", {{"PolicyArn", arn}});
  EXPECT_EQ(dir().ManagedPolicy(arn), nullptr);
}

TEST_F(IamTest, AwsManagedPolicies) {
  const std::string admin = "arn:aws:iam::aws:policy/AdministratorAccess";
  auto p = Ok("GetPolicy", {{"PolicyArn", admin}})["Policy"].as_object();
  EXPECT_EQ(p["PolicyName"].as_string(), "AdministratorAccess");
  EXPECT_EQ(p["DefaultVersionId"].as_string(), "v1");
  auto aws = Ok("ListPolicies", {{"Scope", "AWS"}, {"MaxItems", 1000}})["Policies"].as_array();
  EXPECT_GE(aws.size(), 10u);
  bool glue = false;
  for (const auto& x : aws)
    glue |= x.at("Arn").as_string() == "arn:aws:iam::aws:policy/service-role/AWSGlueServiceRole";
  EXPECT_TRUE(glue);
  EXPECT_EQ(Err("DeletePolicy", {{"PolicyArn", admin}}, 400), "UnmodifiableEntity");
  EXPECT_EQ(Err("CreatePolicyVersion", {{"PolicyArn", admin}, {"PolicyDocument", kAllowS3}}),
            "UnmodifiableEntity");
  auto doc = Ok("GetPolicyVersion", {{"PolicyArn", admin}, {"VersionId", "v1"}})["PolicyVersion"]
                 .at("Document")
                 .as_string();
  EXPECT_NE(UriDecode(std::string(doc)).find("\"Action\":\"*\""), std::string::npos);
  ASSERT_NE(dir().ManagedPolicy(admin), nullptr);
  // Every catalog entry parses.
  for (const auto& x : aws)
    EXPECT_NE(dir().ManagedPolicy(std::string(x.at("Arn").as_string())), nullptr) << x.at("Arn");
  Ok("CreateUser", {{"UserName", "u"}});
  Ok("AttachUserPolicy", {{"UserName", "u"}, {"PolicyArn", admin}});
  EXPECT_EQ(Ok("GetPolicy", {{"PolicyArn", admin}})["Policy"].at("AttachmentCount").as_int64(), 1);
  EXPECT_EQ(Ok("ListPolicies", {{"Scope", "AWS"}, {"OnlyAttached", true}})["Policies"].as_array().size(), 1u);
}

TEST_F(IamTest, PermissionsBoundaries) {
  Ok("CreatePolicy", {{"PolicyName", "boundary"}, {"PolicyDocument", kAllowS3}});
  EXPECT_EQ(Err("CreateUser", {{"UserName", "u"}, {"PermissionsBoundary", PolicyArn("none")}}, 404),
            "NoSuchEntity");
  auto u = Ok("CreateUser", {{"UserName", "u"}, {"PermissionsBoundary", PolicyArn("boundary")}})["User"]
               .as_object();
  EXPECT_EQ(u["PermissionsBoundary"].at("PermissionsBoundaryArn").as_string(), PolicyArn("boundary"));
  auto e = dir().PoliciesOf(UserArn("u"));
  ASSERT_NE(e, nullptr);
  ASSERT_TRUE(e->boundary.has_value());
  EXPECT_EQ(e->boundary->name, PolicyArn("boundary"));
  EXPECT_EQ(Ok("GetPolicy", {{"PolicyArn", PolicyArn("boundary")}})["Policy"]
                .at("PermissionsBoundaryUsageCount")
                .as_int64(),
            1);
  EXPECT_EQ(Err("DeletePolicy", {{"PolicyArn", PolicyArn("boundary")}}, 409), "DeleteConflict");
  Ok("DeleteUserPermissionsBoundary", {{"UserName", "u"}});
  EXPECT_FALSE(dir().PoliciesOf(UserArn("u"))->boundary.has_value());
  Ok("PutUserPermissionsBoundary",
     {{"UserName", "u"}, {"PermissionsBoundary", "arn:aws:iam::aws:policy/PowerUserAccess"}});
  EXPECT_TRUE(dir().PoliciesOf(UserArn("u"))->boundary.has_value());
  Ok("CreateRole", {{"RoleName", "r"}, {"AssumeRolePolicyDocument", kTrust}});
  Ok("PutRolePermissionsBoundary", {{"RoleName", "r"}, {"PermissionsBoundary", PolicyArn("boundary")}});
  EXPECT_EQ(Ok("GetRole", {{"RoleName", "r"}})["Role"]
                .at("PermissionsBoundary")
                .at("PermissionsBoundaryArn")
                .as_string(),
            PolicyArn("boundary"));
  Ok("DeleteRolePermissionsBoundary", {{"RoleName", "r"}});
  EXPECT_EQ(Err("DeleteRolePermissionsBoundary", {{"RoleName", "r"}}, 404), "NoSuchEntity");
  EXPECT_EQ(
      Err("PutRolePermissionsBoundary", {{"RoleName", "r"}, {"PermissionsBoundary", PolicyArn("none")}}),
      "NoSuchEntity");
}

// ---- OIDC providers

TEST_F(IamTest, OpenIdConnectProviders) {
  EXPECT_EQ(Err("CreateOpenIDConnectProvider", {{"Url", "http://insecure.example.com"}}, 400),
            "InvalidInput");
  auto out = Ok("CreateOpenIDConnectProvider",
                {{"Url", "https://token.example.com/"},
                 {"ClientIDList", json::array{"sts.amazonaws.com"}},
                 {"ThumbprintList", json::array{"9E99A48A9960B14926BB7F3B02E22DA2B0AB7280"}}});
  const std::string arn = std::string("arn:aws:iam::") + kAccount + ":oidc-provider/token.example.com";
  EXPECT_EQ(out["OpenIDConnectProviderArn"].as_string(), arn);
  EXPECT_EQ(Err("CreateOpenIDConnectProvider", {{"Url", "https://token.example.com"}}, 409),
            "EntityAlreadyExists");
  auto got = Ok("GetOpenIDConnectProvider", {{"OpenIDConnectProviderArn", arn}});
  EXPECT_EQ(got["Url"].as_string(), "token.example.com");
  EXPECT_EQ(got["ThumbprintList"].as_array()[0].as_string(), "9e99a48a9960b14926bb7f3b02e22da2b0ab7280");
  Ok("AddClientIDToOpenIDConnectProvider", {{"OpenIDConnectProviderArn", arn}, {"ClientID", "my-app"}});
  Ok("RemoveClientIDFromOpenIDConnectProvider",
     {{"OpenIDConnectProviderArn", arn}, {"ClientID", "sts.amazonaws.com"}});
  Ok("RemoveClientIDFromOpenIDConnectProvider", {{"OpenIDConnectProviderArn", arn}, {"ClientID", "absent"}});
  Ok("UpdateOpenIDConnectProviderThumbprint",
     {{"OpenIDConnectProviderArn", arn},
      {"ThumbprintList", json::array{"0000000000000000000000000000000000000000"}}});
  auto info = dir().FindByUrl(kAccount, "https://token.example.com");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->client_ids, std::vector<std::string>{"my-app"});
  EXPECT_EQ(info->thumbprints, std::vector<std::string>{"0000000000000000000000000000000000000000"});
  EXPECT_TRUE(dir().FindByArn(arn).has_value());
  EXPECT_FALSE(dir().FindByUrl("999999999999", "token.example.com").has_value());
  EXPECT_EQ(Ok("ListOpenIDConnectProviders")["OpenIDConnectProviderList"].as_array().size(), 1u);
  Ok("TagOpenIDConnectProvider",
     {{"OpenIDConnectProviderArn", arn}, {"Tags", json::array{json::object{{"Key", "a"}, {"Value", "b"}}}}});
  EXPECT_EQ(
      Ok("ListOpenIDConnectProviderTags", {{"OpenIDConnectProviderArn", arn}})["Tags"].as_array().size(), 1u);
  Ok("UntagOpenIDConnectProvider", {{"OpenIDConnectProviderArn", arn}, {"TagKeys", json::array{"a"}}});
  Ok("DeleteOpenIDConnectProvider", {{"OpenIDConnectProviderArn", arn}});
  EXPECT_EQ(Err("GetOpenIDConnectProvider", {{"OpenIDConnectProviderArn", arn}}, 404), "NoSuchEntity");
  EXPECT_FALSE(dir().FindByArn(arn).has_value());
}

// ---- account

TEST_F(IamTest, AccountAliasPasswordPolicySummary) {
  Ok("CreateAccountAlias", {{"AccountAlias", "my-lake"}});
  EXPECT_EQ(Ok("ListAccountAliases")["AccountAliases"], (json::array{"my-lake"}));
  EXPECT_EQ(Err("CreateAccountAlias", {{"AccountAlias", "other-lake"}}, 409), "LimitExceeded");
  EXPECT_EQ(Err("DeleteAccountAlias", {{"AccountAlias", "other-lake"}}, 404), "NoSuchEntity");
  Ok("DeleteAccountAlias", {{"AccountAlias", "my-lake"}});
  EXPECT_TRUE(Ok("ListAccountAliases")["AccountAliases"].as_array().empty());

  EXPECT_EQ(Err("GetAccountPasswordPolicy", {}, 404), "NoSuchEntity");
  Ok("UpdateAccountPasswordPolicy", {{"MinimumPasswordLength", 12}, {"MaxPasswordAge", 90}});
  auto pp = Ok("GetAccountPasswordPolicy")["PasswordPolicy"].as_object();
  EXPECT_EQ(pp["MinimumPasswordLength"].as_int64(), 12);
  EXPECT_TRUE(pp["ExpirePasswords"].as_bool());
  Ok("DeleteAccountPasswordPolicy");
  EXPECT_EQ(Err("DeleteAccountPasswordPolicy", {}, 404), "NoSuchEntity");

  Ok("CreateUser", {{"UserName", "u"}});
  Ok("CreateRole", {{"RoleName", "r"}, {"AssumeRolePolicyDocument", kTrust}});
  auto m = Ok("GetAccountSummary")["SummaryMap"].as_object();
  EXPECT_EQ(m["Users"].as_int64(), 1);
  EXPECT_EQ(m["Roles"].as_int64(), 1);
  EXPECT_EQ(m["UsersQuota"].as_int64(), 5000);
  EXPECT_EQ(m["AccessKeysPerUserQuota"].as_int64(), 2);
}

TEST_F(IamTest, AccountAuthorizationDetails) {
  Ok("CreateUser", {{"UserName", "u"}});
  Ok("PutUserPolicy", {{"UserName", "u"}, {"PolicyName", "p"}, {"PolicyDocument", kAllowS3}});
  Ok("CreateGroup", {{"GroupName", "g"}});
  Ok("AddUserToGroup", {{"UserName", "u"}, {"GroupName", "g"}});
  Ok("CreateRole", {{"RoleName", "r"}, {"AssumeRolePolicyDocument", kTrust}});
  Ok("AttachRolePolicy",
     {{"RoleName", "r"}, {"PolicyArn", "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"}});
  Ok("CreatePolicy", {{"PolicyName", "mine"}, {"PolicyDocument", kAllowGlue}});
  auto all = Ok("GetAccountAuthorizationDetails");
  ASSERT_EQ(all["UserDetailList"].as_array().size(), 1u);
  const auto& ud = all["UserDetailList"].as_array()[0].as_object();
  EXPECT_EQ(ud.at("GroupList"), (json::array{"g"}));
  EXPECT_EQ(ud.at("UserPolicyList").as_array()[0].at("PolicyDocument").as_string(), PercentEncode(kAllowS3));
  EXPECT_EQ(all["GroupDetailList"].as_array().size(), 1u);
  EXPECT_EQ(all["RoleDetailList"].as_array().size(), 1u);
  EXPECT_EQ(all["RoleDetailList"].as_array()[0].at("AttachedManagedPolicies").as_array().size(), 1u);
  // The account's policy and the AWS-managed one in use.
  EXPECT_EQ(all["Policies"].as_array().size(), 2u);
  auto roles = Ok("GetAccountAuthorizationDetails", {{"Filter", json::array{"Role"}}});
  EXPECT_TRUE(roles["UserDetailList"].as_array().empty());
  EXPECT_EQ(roles["RoleDetailList"].as_array().size(), 1u);
  auto page = Ok("GetAccountAuthorizationDetails", {{"MaxItems", 2}});
  EXPECT_TRUE(page["IsTruncated"].as_bool());
  auto next = Ok("GetAccountAuthorizationDetails", {{"MaxItems", 10}, {"Marker", page["Marker"]}});
  EXPECT_FALSE(next["IsTruncated"].as_bool());
  EXPECT_EQ(next["RoleDetailList"].as_array().size() + next["Policies"].as_array().size(), 3u);
}

// ---- simulation

TEST_F(IamTest, SimulatePrincipalPolicy) {
  Ok("CreateUser", {{"UserName", "u"}});
  Ok("CreateGroup", {{"GroupName", "g"}});
  Ok("AddUserToGroup", {{"UserName", "u"}, {"GroupName", "g"}});
  Ok("PutGroupPolicy", {{"GroupName", "g"}, {"PolicyName", "s3"}, {"PolicyDocument", kAllowS3}});
  Ok("PutUserPolicy", {{"UserName", "u"}, {"PolicyName", "deny"}, {"PolicyDocument", kDenyDelete}});
  auto out = Ok("SimulatePrincipalPolicy",
                {{"PolicySourceArn", UserArn("u")},
                 {"ActionNames", json::array{"s3:GetObject", "s3:DeleteObject", "glue:GetTable"}},
                 {"ResourceArns", json::array{"arn:aws:s3:::b/k"}}});
  auto results = out["EvaluationResults"].as_array();
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0].at("EvalDecision").as_string(), "allowed");
  EXPECT_EQ(results[0].at("EvalResourceName").as_string(), "arn:aws:s3:::b/k");
  EXPECT_EQ(results[0].at("MatchedStatements").as_array()[0].at("SourcePolicyId").as_string(), "s3");
  EXPECT_EQ(results[0].at("MatchedStatements").as_array()[0].at("SourcePolicyType").as_string(), "group");
  EXPECT_EQ(results[1].at("EvalDecision").as_string(), "explicitDeny");
  EXPECT_EQ(results[1].at("MatchedStatements").as_array()[0].at("SourcePolicyId").as_string(), "deny");
  EXPECT_EQ(results[2].at("EvalDecision").as_string(), "implicitDeny");
  EXPECT_TRUE(results[2].at("MatchedStatements").as_array().empty());

  // Extra input policies, a boundary, and condition keys.
  const char* conditional =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"glue:GetTable","Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/env":"prod"}}}]})";
  out = Ok("SimulatePrincipalPolicy", {{"PolicySourceArn", UserArn("u")},
                                       {"PolicyInputList", json::array{conditional}},
                                       {"ActionNames", json::array{"glue:GetTable"}}});
  results = out["EvaluationResults"].as_array();
  EXPECT_EQ(results[0].at("EvalDecision").as_string(), "implicitDeny");
  EXPECT_EQ(results[0].at("EvalResourceName").as_string(), "*");
  EXPECT_EQ(results[0].at("MissingContextValues"), (json::array{"aws:requesttag/env"}));
  out = Ok("SimulatePrincipalPolicy",
           {{"PolicySourceArn", UserArn("u")},
            {"PolicyInputList", json::array{conditional}},
            {"ActionNames", json::array{"glue:GetTable"}},
            {"ContextEntries", json::array{json::object{{"ContextKeyName", "aws:RequestTag/env"},
                                                        {"ContextKeyValues", json::array{"prod"}},
                                                        {"ContextKeyType", "string"}}}}});
  results = out["EvaluationResults"].as_array();
  EXPECT_EQ(results[0].at("EvalDecision").as_string(), "allowed");
  EXPECT_EQ(results[0].at("MatchedStatements").as_array()[0].at("SourcePolicyId").as_string(),
            "PolicyInputList.1");
  EXPECT_TRUE(results[0].at("MissingContextValues").as_array().empty());

  out = Ok("SimulatePrincipalPolicy", {{"PolicySourceArn", UserArn("u")},
                                       {"PermissionsBoundaryPolicyInputList", json::array{kAllowGlue}},
                                       {"ActionNames", json::array{"s3:GetObject"}}});
  results = out["EvaluationResults"].as_array();
  EXPECT_EQ(results[0].at("EvalDecision").as_string(), "implicitDeny");
  EXPECT_FALSE(
      results[0].at("PermissionsBoundaryDecisionDetail").at("AllowedByPermissionsBoundary").as_bool());

  EXPECT_EQ(Err("SimulatePrincipalPolicy",
                {{"PolicySourceArn", UserArn("nobody")}, {"ActionNames", json::array{"s3:GetObject"}}}, 404),
            "NoSuchEntity");
  // Roles and groups as the source.
  Ok("CreateRole", {{"RoleName", "r"}, {"AssumeRolePolicyDocument", kTrust}});
  Ok("AttachRolePolicy",
     {{"RoleName", "r"}, {"PolicyArn", "arn:aws:iam::aws:policy/AmazonKinesisReadOnlyAccess"}});
  out = Ok("SimulatePrincipalPolicy",
           {{"PolicySourceArn", std::string("arn:aws:iam::") + kAccount + ":role/r"},
            {"ActionNames", json::array{"kinesis:GetRecords", "kinesis:PutRecord"}}});
  results = out["EvaluationResults"].as_array();
  EXPECT_EQ(results[0].at("EvalDecision").as_string(), "allowed");
  EXPECT_EQ(results[0].at("MatchedStatements").as_array()[0].at("SourcePolicyType").as_string(),
            "aws-managed");
  EXPECT_EQ(results[1].at("EvalDecision").as_string(), "implicitDeny");

  auto keys = Ok("GetContextKeysForPrincipalPolicy",
                 {{"PolicySourceArn", UserArn("u")}, {"PolicyInputList", json::array{conditional}}});
  EXPECT_EQ(keys["ContextKeyNames"], (json::array{"aws:requesttag/env"}));
}

TEST_F(IamTest, SimulateCustomPolicy) {
  auto out = Ok("SimulateCustomPolicy", {{"PolicyInputList", json::array{kAllowS3, kDenyDelete}},
                                         {"ActionNames", json::array{"s3:PutObject", "s3:DeleteObject"}}});
  auto results = out["EvaluationResults"].as_array();
  EXPECT_EQ(results[0].at("EvalDecision").as_string(), "allowed");
  EXPECT_EQ(results[1].at("EvalDecision").as_string(), "explicitDeny");
  EXPECT_EQ(results[1].at("MatchedStatements").as_array()[0].at("SourcePolicyId").as_string(),
            "PolicyInputList.2");
  EXPECT_EQ(Err("SimulateCustomPolicy",
                {{"PolicyInputList", json::array{"{"}}, {"ActionNames", json::array{"s3:GetObject"}}}, 400),
            "MalformedPolicyDocument");
  // A resource policy naming the caller allows on its own.
  const char* bucket_policy =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/x"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]})";
  out = Ok("SimulateCustomPolicy", {{"PolicyInputList", json::array{kAllowGlue}},
                                    {"ActionNames", json::array{"s3:GetObject"}},
                                    {"ResourceArns", json::array{"arn:aws:s3:::b/k"}},
                                    {"ResourcePolicy", bucket_policy},
                                    {"CallerArn", "arn:aws:iam::123456789012:user/x"}});
  results = out["EvaluationResults"].as_array();
  EXPECT_EQ(results[0].at("EvalDecision").as_string(), "allowed");
  EXPECT_EQ(results[0].at("MatchedStatements").as_array()[0].at("SourcePolicyType").as_string(), "resource");
  EXPECT_EQ(
      Ok("GetContextKeysForCustomPolicy", {{"PolicyInputList", json::array{kAllowS3}}})["ContextKeyNames"]
          .as_array()
          .size(),
      0u);
}

// ---- persistence and seams

TEST_F(IamTest, EverythingSurvivesReopen) {
  Ok("CreateUser",
     {{"UserName", "u"}, {"Path", "/p/"}, {"Tags", json::array{json::object{{"Key", "a"}, {"Value", "b"}}}}});
  std::string key(Ok("CreateAccessKey", {{"UserName", "u"}})["AccessKey"].at("AccessKeyId").as_string());
  Ok("CreateGroup", {{"GroupName", "g"}});
  Ok("AddUserToGroup", {{"UserName", "u"}, {"GroupName", "g"}});
  Ok("PutGroupPolicy", {{"GroupName", "g"}, {"PolicyName", "gp"}, {"PolicyDocument", kAllowS3}});
  Ok("CreatePolicy", {{"PolicyName", "mp"}, {"PolicyDocument", kAllowGlue}});
  Ok("CreatePolicyVersion",
     {{"PolicyArn", PolicyArn("mp")}, {"PolicyDocument", kAllowS3}, {"SetAsDefault", true}});
  Ok("AttachUserPolicy", {{"UserName", "u"}, {"PolicyArn", PolicyArn("mp")}});
  Ok("CreateRole", {{"RoleName", "r"}, {"AssumeRolePolicyDocument", kTrust}, {"MaxSessionDuration", 43200}});
  Ok("CreateInstanceProfile", {{"InstanceProfileName", "ip"}});
  Ok("AddRoleToInstanceProfile", {{"InstanceProfileName", "ip"}, {"RoleName", "r"}});
  Ok("CreateOpenIDConnectProvider",
     {{"Url", "https://issuer.example.com"}, {"ClientIDList", json::array{"a"}}});
  Ok("CreateAccountAlias", {{"AccountAlias", "lake"}});
  Ok("UpdateAccountPasswordPolicy", {{"MinimumPasswordLength", 10}});
  std::string root_key(Ok("CreateAccessKey", {})["AccessKey"].at("AccessKeyId").as_string());
  Open();
  EXPECT_EQ(Ok("GetUser", {{"UserName", "u"}})["User"].at("Arn").as_string(), UserArn("u", "/p/"));
  EXPECT_TRUE(dir().Lookup(key).has_value());
  ASSERT_TRUE(dir().Lookup(root_key).has_value());
  EXPECT_EQ(dir().Lookup(root_key)->principal.type, PrincipalType::kRoot);
  EXPECT_EQ(PolicyNames(UserArn("u", "/p/")), (std::vector<std::string>{PolicyArn("mp"), "g/gp"}));
  EXPECT_EQ(Ok("GetPolicy", {{"PolicyArn", PolicyArn("mp")}})["Policy"].at("DefaultVersionId").as_string(),
            "v2");
  EXPECT_EQ(Ok("ListPolicyVersions", {{"PolicyArn", PolicyArn("mp")}})["Versions"].as_array().size(), 2u);
  EXPECT_EQ(Ok("CreatePolicyVersion",
               {{"PolicyArn", PolicyArn("mp")}, {"PolicyDocument", kAllowS3}})["PolicyVersion"]
                .at("VersionId")
                .as_string(),
            "v3");
  EXPECT_EQ(dir().FindRole(std::string("arn:aws:iam::") + kAccount + ":role/r")->max_session_duration_s,
            43200);
  EXPECT_EQ(Ok("GetInstanceProfile", {{"InstanceProfileName", "ip"}})["InstanceProfile"]
                .at("Roles")
                .as_array()
                .size(),
            1u);
  EXPECT_TRUE(dir().FindByUrl(kAccount, "issuer.example.com").has_value());
  EXPECT_EQ(Ok("ListAccountAliases")["AccountAliases"], (json::array{"lake"}));
  EXPECT_EQ(Ok("GetAccountPasswordPolicy")["PasswordPolicy"].at("MinimumPasswordLength").as_int64(), 10);
}

TEST_F(IamTest, ResourceAuthorityLookups) {
  Ok("CreateUser", {{"UserName", "u"}, {"Path", "/team/"}});
  std::string key(Ok("CreateAccessKey", {{"UserName", "u"}})["AccessKey"].at("AccessKeyId").as_string());
  Ok("CreateRole", {{"RoleName", "r"}, {"Path", "/svc/"}, {"AssumeRolePolicyDocument", kTrust}});
  std::vector<std::string> args{kAccount, "U"};
  EXPECT_EQ(*dir().Lookup("UserPath", args), "/team/");
  args = {kAccount, "nobody"};
  EXPECT_EQ(*dir().Lookup("UserPath", args), "/");
  args = {kAccount, "r"};
  EXPECT_EQ(*dir().Lookup("RolePath", args), "/svc/");
  args = {kAccount, key};
  EXPECT_EQ(*dir().Lookup("AccessKeyUser", args), "/team/u");
  args = {"https://x.example.com/"};
  EXPECT_EQ(*dir().Lookup("OidcProviderName", args), "x.example.com");
  args = {kAccount};
  EXPECT_FALSE(dir().Lookup("Other", args).ok());
  EXPECT_EQ(dir().service(), "iam");
  RequestPrincipal caller;
  caller.account_id = kAccount;
  auto facts = dir().Facts(caller, "iam:GetPolicy", "arn:aws:iam::aws:policy/AdministratorAccess");
  ASSERT_TRUE(facts.ok());
  EXPECT_EQ(facts->owner_account, kAccount);
  Ok("TagUser", {{"UserName", "u"}, {"Tags", json::array{json::object{{"Key", "team"}, {"Value", "data"}}}}});
  facts = dir().Facts(caller, "iam:GetUser", UserArn("u", "/team/"));
  ASSERT_TRUE(facts.ok());
  ASSERT_NE(facts->keys.Find("aws:ResourceTag/team"), nullptr);
  EXPECT_EQ(*facts->keys.Find("aws:ResourceTag/team"), std::vector<std::string>{"data"});
  // The action map resolves IAM's resource ARNs with these lookups.
  const ActionMap* map = ActionMap::Find("iam");
  ASSERT_NE(map, nullptr);
  auto auths = map->Resolve(
      "PutUserPolicy", json::object{{"UserName", "u"}, {"PolicyName", "p"}, {"PolicyDocument", "{}"}},
      "us-east-1", kAccount,
      [&](std::string_view n, std::span<const std::string> a) { return dir().Lookup(n, a); });
  ASSERT_TRUE(auths.ok()) << auths.error().message;
  EXPECT_EQ((*auths)[0].action, "iam:PutUserPolicy");
  EXPECT_EQ((*auths)[0].resource, UserArn("u", "/team/"));
}

TEST_F(IamTest, AccountsAreSeparate) {
  Ok("CreateUser", {{"UserName", "u"}});
  // Another account's root user: its own namespace.
  aws::Caller caller = harness_->Root();
  caller.principal.account_id = "210987654321";
  caller.principal.arn = "arn:aws:iam::210987654321:root";
  aws::OperationInput in;
  in.params = json::object{{"UserName", "u"}};
  auto r = harness_->pipeline().Call(caller, "iam", "GetUser", in);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "NoSuchEntity");
  in.params = json::object{{"UserName", "u"}};
  ASSERT_TRUE(harness_->pipeline().Call(caller, "iam", "CreateUser", in).ok());
  EXPECT_NE(dir().PoliciesOf("arn:aws:iam::210987654321:user/u"), nullptr);
}

TEST(IamCoverage, DocMatchesProvider) {
  std::ifstream in(std::string(CENOTE_SOURCE_DIR) + "/docs/iam-coverage.md");
  ASSERT_TRUE(in.good()) << "run: python3 src/services/iam/gen_coverage.py";
  std::stringstream ss;
  ss << in.rdbuf();
  std::string doc = ss.str();
  for (auto op : IamProvider::SupportedOperations())
    EXPECT_NE(doc.find("| " + std::string(op) + " | supported |"), std::string::npos)
        << op << " missing or stale in docs/iam-coverage.md; run python3 src/services/iam/gen_coverage.py";
  for (const auto& e : ErrorTable()) EXPECT_NE(doc.find(e.code), std::string::npos) << e.code;
}

TEST(FreshSchema, Iam) {
  cenote::testing::CheckFreshSchema("iam", Migrations(), FreshSchema(), CENOTE_SOURCE_DIR,
                                    "src/services/iam/fresh_schema.inc");
}

}  // namespace
}  // namespace cenote::iam
