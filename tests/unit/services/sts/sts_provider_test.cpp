// STS through the real pipeline (ProviderHarness), with a fake IAM directory holding roles and managed
// policies, a fake OIDC provider list, and an injected clock.
#if defined(__GNUC__) && !defined(__clang__)
// GCC 12 reports a false -Wrestrict on `"x" + std::string + ...` (GCC bug 105329).
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include "services/sts/sts_provider.hpp"

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <atomic>
#include <boost/json.hpp>
#include <fstream>
#include <map>
#include <sstream>

#include "../../store/temp_dir.hpp"
#include "../provider_harness.hpp"
#include "common/encoding.hpp"
#include "iam/action_map.hpp"
#include "iam/evaluate.hpp"
#include "services/sts/errors.hpp"
#include "services/sts/jwt.hpp"

namespace cenote::sts {
namespace {

namespace json = boost::json;

constexpr std::string_view kAccount = "123456789012";
constexpr std::int64_t kStart = 1'750'000'000'000;  // 2025-06-15

std::shared_ptr<const iam::Policy> Parse(std::string_view text, iam::PolicyKind kind) {
  auto p = iam::ParsePolicy(text, kind);
  EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error().message);
  return std::make_shared<const iam::Policy>(std::move(*p));
}

class FakeDirectory final : public iam::Directory {
 public:
  std::shared_ptr<const iam::EntityPolicies> PoliciesOf(std::string_view) const override { return nullptr; }
  std::optional<iam::RoleInfo> FindRole(std::string_view role_arn) const override {
    for (const auto& role : roles) {
      if (role.arn == role_arn) return role;
      // Without its path: arn:aws:iam::<account>:role/<name>.
      if ("arn:aws:iam::" + role.account_id + ":role/" + role.name == role_arn) return role;
    }
    return std::nullopt;
  }
  std::shared_ptr<const iam::Policy> ManagedPolicy(std::string_view policy_arn) const override {
    auto it = managed.find(std::string(policy_arn));
    return it == managed.end() ? nullptr : it->second;
  }
  void AddRole(std::string name, std::string trust, std::string path = "/", std::int64_t max_s = 3600,
               iam::Tags tags = {}) {
    iam::RoleInfo role;
    role.account_id = std::string(kAccount);
    role.name = name;
    role.path = path;
    role.arn = "arn:aws:iam::" + role.account_id + ":role" + path + name;
    role.id = "AROA" + std::string(17 - std::min<std::size_t>(name.size(), 16), 'X') +
              AsciiUpper(name).substr(0, 16);
    role.trust_policy = iam::NamedPolicy{"trust policy", Parse(trust, iam::PolicyKind::kTrust)};
    role.max_session_duration_s = max_s;
    role.tags = std::move(tags);
    roles.push_back(std::move(role));
  }
  std::vector<iam::RoleInfo> roles;
  std::map<std::string, std::shared_ptr<const iam::Policy>> managed;
};

class FakeOidc final : public OidcProviders {
 public:
  std::optional<OidcProviderInfo> FindOidcProvider(std::string_view account,
                                                   std::string_view host_path) const override {
    auto it = providers.find(std::string(account) + "|" + std::string(host_path));
    if (it == providers.end()) return std::nullopt;
    return it->second;
  }
  std::map<std::string, OidcProviderInfo> providers;
};

iam::Principal User(std::string name) {
  iam::Principal p;
  p.type = iam::PrincipalType::kUser;
  p.account_id = std::string(kAccount);
  p.arn = "arn:aws:iam::" + p.account_id + ":user/" + name;
  p.entity_arn = p.arn;
  p.user_id = "AIDAEXAMPLE" + AsciiUpper(name);
  p.display_name = name;
  p.canonical_id = iam::CanonicalUserId(kAccount);
  return p;
}

const std::string kTrustAlice = R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow",
  "Principal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":["sts:AssumeRole","sts:TagSession"]}]})";

class StsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_.AddRole("reader", kTrustAlice, "/team/", 7200, {{"project", "lake"}});
    directory_.AddRole("other", kTrustAlice);
    directory_.managed["arn:aws:iam::aws:policy/ReadOnlyAccess"] = Parse(
        R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}]})",
        iam::PolicyKind::kIdentity);
    auto metadata = store::MetadataStore::OpenSqlite(dir_ / "metadata.db");
    ASSERT_TRUE(metadata.ok());
    metadata_ = std::move(*metadata);
    Reopen();
  }

  void Reopen(bool with_directory = true) {
    StsOptions options;
    options.directory = with_directory ? &directory_ : nullptr;
    options.oidc = &oidc_;
    options.message_key_path = dir_ / "sts/authorization-message.key";
    options.prune_interval_ms = 0;
    options.clock = [this] { return now_.load(); };
    auto provider = StsProvider::Open(*metadata_, tasks_, options);
    ASSERT_TRUE(provider.ok()) << provider.error().message;
    provider_ = provider->get();
    harness_ = std::make_unique<testing::ProviderHarness>(std::string(kAccount));
    harness_->Register(std::move(*provider));
  }

  Result<aws::OperationOutput> Call(const iam::Principal& who, std::string_view op,
                                    json::object params = {}) {
    aws::Caller caller;
    caller.principal = who;
    caller.region = "us-east-1";
    caller.invoked_by = "test";
    aws::OperationInput in;
    in.params = std::move(params);
    return harness_->pipeline().Call(caller, "sts", op, in);
  }

  json::object Ok(const iam::Principal& who, std::string_view op, json::object params = {}) {
    auto out = Call(who, op, std::move(params));
    EXPECT_TRUE(out.ok()) << op << ": " << (out.ok() ? "" : out.error().code + " " + out.error().message);
    return out.ok() ? out->result.as_object() : json::object();
  }

  Error Fails(const iam::Principal& who, std::string_view op, json::object params = {}) {
    auto out = Call(who, op, std::move(params));
    EXPECT_FALSE(out.ok()) << op;
    return out.ok() ? Error{} : out.error();
  }

  // The principal SigV4 would resolve for the credentials of a response.
  iam::Principal PrincipalOf(const json::object& response) {
    std::string akid(response.at("Credentials").at("AccessKeyId").as_string());
    auto record = provider_->sessions().Lookup(akid);
    EXPECT_TRUE(record.has_value()) << akid;
    if (!record) return {};
    EXPECT_EQ(record->session_token, std::string(response.at("Credentials").at("SessionToken").as_string()));
    record->principal.access_key_id = akid;
    return record->principal;
  }

  json::object AssumeReader(const iam::Principal& who, json::object extra = {}) {
    json::object params{{"RoleArn", "arn:aws:iam::123456789012:role/team/reader"}, {"RoleSessionName", "s1"}};
    for (auto& [k, v] : extra) params[k] = v;
    return Ok(who, "AssumeRole", std::move(params));
  }

  store::testing::TempDir dir_;
  FakeDirectory directory_;
  FakeOidc oidc_;
  BackgroundTasks tasks_;
  std::unique_ptr<store::MetadataStore> metadata_;
  std::atomic<std::int64_t> now_{kStart};
  StsProvider* provider_ = nullptr;
  std::unique_ptr<testing::ProviderHarness> harness_;
};

// ---- GetCallerIdentity

TEST_F(StsTest, GetCallerIdentityRootAndUser) {
  json::object root = Ok(iam::RootPrincipal(kAccount), "GetCallerIdentity");
  EXPECT_EQ(root.at("Account").as_string(), "123456789012");
  EXPECT_EQ(root.at("UserId").as_string(), "123456789012");
  EXPECT_EQ(root.at("Arn").as_string(), "arn:aws:iam::123456789012:root");
  json::object user = Ok(User("alice"), "GetCallerIdentity");
  EXPECT_EQ(user.at("UserId").as_string(), "AIDAEXAMPLEALICE");
  EXPECT_EQ(user.at("Arn").as_string(), "arn:aws:iam::123456789012:user/alice");
}

// ---- AssumeRole

TEST_F(StsTest, AssumeRoleIssuesARoleSession) {
  json::object out = AssumeReader(User("alice"));
  const json::object& c = out.at("Credentials").as_object();
  std::string akid(c.at("AccessKeyId").as_string());
  EXPECT_EQ(akid.size(), 20u);
  EXPECT_TRUE(akid.starts_with("ASIA"));
  EXPECT_EQ(akid.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 4), std::string::npos);
  EXPECT_EQ(c.at("SecretAccessKey").as_string().size(), 40u);
  EXPECT_GT(c.at("SessionToken").as_string().size(), 100u);
  EXPECT_EQ(c.at("Expiration").as_int64(), kStart + 3600 * 1000);
  const json::object& user = out.at("AssumedRoleUser").as_object();
  const iam::RoleInfo& role = directory_.roles[0];
  EXPECT_EQ(user.at("AssumedRoleId").as_string(), role.id + ":s1");
  EXPECT_EQ(user.at("Arn").as_string(), "arn:aws:sts::123456789012:assumed-role/reader/s1");
  EXPECT_FALSE(out.contains("PackedPolicySize"));
  EXPECT_FALSE(out.contains("SourceIdentity"));

  iam::Principal p = PrincipalOf(out);
  EXPECT_EQ(p.type, iam::PrincipalType::kAssumedRole);
  EXPECT_EQ(p.arn, "arn:aws:sts::123456789012:assumed-role/reader/s1");
  EXPECT_EQ(p.entity_arn, "arn:aws:iam::123456789012:role/team/reader");
  EXPECT_EQ(p.user_id, role.id + ":s1");
  EXPECT_EQ(p.account_id, "123456789012");
  EXPECT_EQ(p.canonical_id, iam::CanonicalUserId(kAccount));
  ASSERT_NE(p.session, nullptr);
  EXPECT_EQ(p.session->expires_ms, kStart + 3600 * 1000);
  EXPECT_EQ(p.session->issued_ms, kStart);
  EXPECT_TRUE(p.session->policies.empty());

  // GetCallerIdentity with the new credentials, exactly as AWS formats a role session.
  json::object who = Ok(p, "GetCallerIdentity");
  EXPECT_EQ(who.at("Arn").as_string(), "arn:aws:sts::123456789012:assumed-role/reader/s1");
  EXPECT_EQ(who.at("UserId").as_string(), role.id + ":s1");
  EXPECT_EQ(who.at("Account").as_string(), "123456789012");
}

TEST_F(StsTest, AssumeRoleRefusals) {
  Error root = Fails(iam::RootPrincipal(kAccount), "AssumeRole",
                     {{"RoleArn", "arn:aws:iam::123456789012:role/other"}, {"RoleSessionName", "s1"}});
  EXPECT_EQ(root.code, "AccessDenied");
  EXPECT_EQ(root.message, "Roles may not be assumed by root accounts.");
  EXPECT_EQ(root.http_status, 403);

  Error missing = Fails(User("alice"), "AssumeRole",
                        {{"RoleArn", "arn:aws:iam::123456789012:role/nope"}, {"RoleSessionName", "s1"}});
  EXPECT_EQ(missing.code, "AccessDenied");
  EXPECT_EQ(
      missing.message,
      "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: sts:AssumeRole on resource: "
      "arn:aws:iam::123456789012:role/nope");

  // Session names and durations the model refuses, answered by the pipeline as ValidationError.
  EXPECT_EQ(Fails(User("alice"), "AssumeRole",
                  {{"RoleArn", "arn:aws:iam::123456789012:role/other"}, {"RoleSessionName", "a"}})
                .code,
            "ValidationError");
  EXPECT_EQ(Fails(User("alice"), "AssumeRole",
                  {{"RoleArn", "arn:aws:iam::123456789012:role/other"}, {"RoleSessionName", "bad name"}})
                .code,
            "ValidationError");
  EXPECT_EQ(Fails(User("alice"), "AssumeRole",
                  {{"RoleArn", "arn:aws:iam::123456789012:role/other"},
                   {"RoleSessionName", "s1"},
                   {"DurationSeconds", 899}})
                .code,
            "ValidationError");
  Error too_long = Fails(User("alice"), "AssumeRole",
                         {{"RoleArn", "arn:aws:iam::123456789012:role/other"},
                          {"RoleSessionName", "s1"},
                          {"DurationSeconds", 3601}});
  EXPECT_EQ(too_long.code, "ValidationError");
  EXPECT_EQ(too_long.message,
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.");
  // The role allows two hours.
  json::object two_hours = AssumeReader(User("alice"), {{"DurationSeconds", 7200}});
  EXPECT_EQ(two_hours.at("Credentials").at("Expiration").as_int64(), kStart + 7200 * 1000);

  Error mfa = Fails(User("alice"), "AssumeRole",
                    {{"RoleArn", "arn:aws:iam::123456789012:role/other"},
                     {"RoleSessionName", "s1"},
                     {"SerialNumber", "arn:aws:iam::123456789012:mfa/alice"},
                     {"TokenCode", "123456"}});
  EXPECT_EQ(mfa.code, "AccessDenied");

  // A federated user may call no STS operation but GetCallerIdentity.
  json::object fed = Ok(User("alice"), "GetFederationToken", {{"Name", "bob"}});
  EXPECT_EQ(Fails(PrincipalOf(fed), "AssumeRole",
                  {{"RoleArn", "arn:aws:iam::123456789012:role/other"}, {"RoleSessionName", "s1"}})
                .code,
            "AccessDenied");
}

TEST_F(StsTest, AssumeRoleWithoutIamIsDenied) {
  Reopen(false);
  Error e = Fails(User("alice"), "AssumeRole",
                  {{"RoleArn", "arn:aws:iam::123456789012:role/other"}, {"RoleSessionName", "s1"}});
  EXPECT_EQ(e.code, "AccessDenied");
}

TEST_F(StsTest, RoleChaining) {
  iam::Principal first = PrincipalOf(AssumeReader(User("alice")));
  Error e = Fails(first, "AssumeRole",
                  {{"RoleArn", "arn:aws:iam::123456789012:role/team/reader"},
                   {"RoleSessionName", "s2"},
                   {"DurationSeconds", 7200}});
  EXPECT_EQ(e.code, "ValidationError");
  EXPECT_EQ(
      e.message,
      "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.");
  json::object second = Ok(first, "AssumeRole",
                           {{"RoleArn", "arn:aws:iam::123456789012:role/other"}, {"RoleSessionName", "s2"}});
  EXPECT_EQ(second.at("AssumedRoleUser").at("Arn").as_string(),
            "arn:aws:sts::123456789012:assumed-role/other/s2");
}

TEST_F(StsTest, SessionPolicies) {
  const std::string policy =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject",
      "Resource":"arn:aws:s3:::b/*"}]})";
  json::array arns{json::object{{"arn", "arn:aws:iam::aws:policy/ReadOnlyAccess"}}};
  json::object out = AssumeReader(User("alice"), {{"Policy", policy}, {"PolicyArns", arns}});
  ASSERT_TRUE(out.contains("PackedPolicySize"));
  EXPECT_GE(out.at("PackedPolicySize").as_int64(), 1);
  EXPECT_LE(out.at("PackedPolicySize").as_int64(), 100);
  iam::Principal p = PrincipalOf(out);
  ASSERT_EQ(p.session->policies.size(), 2u);
  EXPECT_EQ(p.session->policies[0].policy->kind(), iam::PolicyKind::kSession);
  EXPECT_EQ(p.session->policies[1].name, "arn:aws:iam::aws:policy/ReadOnlyAccess");

  Error malformed = Fails(User("alice"), "AssumeRole",
                          {{"RoleArn", "arn:aws:iam::123456789012:role/other"},
                           {"RoleSessionName", "s1"},
                           {"Policy", R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow"}]})"}});
  EXPECT_EQ(malformed.code, "MalformedPolicyDocument");
  Error with_principal = Fails(User("alice"), "AssumeRole",
                               {{"RoleArn", "arn:aws:iam::123456789012:role/other"},
                                {"RoleSessionName", "s1"},
                                {"Policy", R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow",
                                   "Principal":"*","Action":"s3:*","Resource":"*"}]})"}});
  EXPECT_EQ(with_principal.code, "MalformedPolicyDocument");

  std::string big =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":[)";
  for (int i = 0; i < 100; ++i)
    big += std::string(i ? "," : "") + "\"arn:aws:s3:::bucket-" + std::to_string(i) + "/*\"";
  big += "]}]}";
  Error large = Fails(
      User("alice"), "AssumeRole",
      {{"RoleArn", "arn:aws:iam::123456789012:role/other"}, {"RoleSessionName", "s1"}, {"Policy", big}});
  EXPECT_EQ(large.code, "PackedPolicyTooLarge");
  EXPECT_TRUE(large.message.starts_with("Packed policy consumes ")) << large.message;

  Error unknown_arn =
      Fails(User("alice"), "AssumeRole",
            {{"RoleArn", "arn:aws:iam::123456789012:role/other"},
             {"RoleSessionName", "s1"},
             {"PolicyArns", json::array{json::object{{"arn", "arn:aws:iam::aws:policy/NoSuchPolicy"}}}}});
  EXPECT_EQ(unknown_arn.code, "MalformedPolicyDocument");
  json::array eleven;
  for (int i = 0; i < 11; ++i)
    eleven.push_back(json::object{{"arn", "arn:aws:iam::aws:policy/ReadOnlyAccess"}});
  EXPECT_EQ(Fails(User("alice"), "AssumeRole",
                  {{"RoleArn", "arn:aws:iam::123456789012:role/other"},
                   {"RoleSessionName", "s1"},
                   {"PolicyArns", eleven}})
                .code,
            "ValidationError");
}

json::array Tags(std::initializer_list<std::pair<std::string, std::string>> tags) {
  json::array out;
  for (const auto& [k, v] : tags) out.push_back(json::object{{"Key", k}, {"Value", v}});
  return out;
}

TEST_F(StsTest, SessionTagsAndTransitiveKeys) {
  json::object out = AssumeReader(User("alice"), {{"Tags", Tags({{"team", "data"}, {"cost", "42"}})},
                                                  {"TransitiveTagKeys", json::array{"team"}}});
  EXPECT_TRUE(out.contains("PackedPolicySize"));
  iam::Principal p = PrincipalOf(out);
  ASSERT_EQ(p.session->tags.size(), 2u);
  EXPECT_EQ(p.session->transitive_tag_keys, std::vector<std::string>{"team"});

  // Role chaining inherits the transitive tag, not the other one; the inherited key cannot be passed again.
  iam::Principal chained = PrincipalOf(
      Ok(p, "AssumeRole", {{"RoleArn", "arn:aws:iam::123456789012:role/other"}, {"RoleSessionName", "s2"}}));
  ASSERT_EQ(chained.session->tags.size(), 1u);
  EXPECT_EQ(chained.session->tags[0], (std::pair<std::string, std::string>{"team", "data"}));
  EXPECT_EQ(chained.session->transitive_tag_keys, std::vector<std::string>{"team"});
  EXPECT_EQ(Fails(p, "AssumeRole",
                  {{"RoleArn", "arn:aws:iam::123456789012:role/other"},
                   {"RoleSessionName", "s2"},
                   {"Tags", Tags({{"Team", "x"}})}})
                .code,
            "ValidationError");

  Error dup = Fails(User("alice"), "AssumeRole",
                    {{"RoleArn", "arn:aws:iam::123456789012:role/other"},
                     {"RoleSessionName", "s1"},
                     {"Tags", Tags({{"team", "a"}, {"TEAM", "b"}})}});
  EXPECT_EQ(dup.code, "ValidationError");
  EXPECT_EQ(dup.message, "Duplicate tag keys found. Please note that Tag keys are case insensitive.");
  EXPECT_EQ(Fails(User("alice"), "AssumeRole",
                  {{"RoleArn", "arn:aws:iam::123456789012:role/other"},
                   {"RoleSessionName", "s1"},
                   {"Tags", Tags({{"team", "a"}})},
                   {"TransitiveTagKeys", json::array{"cost"}}})
                .code,
            "ValidationError");
  json::array fifty_one;
  for (int i = 0; i < 51; ++i)
    fifty_one.push_back(json::object{{"Key", "k" + std::to_string(i)}, {"Value", "v"}});
  EXPECT_EQ(Fails(User("alice"), "AssumeRole",
                  {{"RoleArn", "arn:aws:iam::123456789012:role/other"},
                   {"RoleSessionName", "s1"},
                   {"Tags", fifty_one}})
                .code,
            "ValidationError");
}

TEST_F(StsTest, SourceIdentityIsKeptAlongAChain) {
  json::object out = AssumeReader(User("alice"), {{"SourceIdentity", "alice@example.com"}});
  EXPECT_EQ(out.at("SourceIdentity").as_string(), "alice@example.com");
  iam::Principal p = PrincipalOf(out);
  EXPECT_EQ(p.session->source_identity, "alice@example.com");
  json::object chained =
      Ok(p, "AssumeRole", {{"RoleArn", "arn:aws:iam::123456789012:role/other"}, {"RoleSessionName", "s2"}});
  EXPECT_EQ(chained.at("SourceIdentity").as_string(), "alice@example.com");
  EXPECT_EQ(Fails(p, "AssumeRole",
                  {{"RoleArn", "arn:aws:iam::123456789012:role/other"},
                   {"RoleSessionName", "s2"},
                   {"SourceIdentity", "mallory"}})
                .code,
            "ValidationError");
  EXPECT_EQ(Fails(User("alice"), "AssumeRole",
                  {{"RoleArn", "arn:aws:iam::123456789012:role/other"},
                   {"RoleSessionName", "s1"},
                   {"SourceIdentity", "aws:me"}})
                .code,
            "ValidationError");
}

// ---- GetSessionToken

TEST_F(StsTest, GetSessionToken) {
  json::object out = Ok(User("alice"), "GetSessionToken");
  EXPECT_EQ(out.at("Credentials").at("Expiration").as_int64(), kStart + 43200ll * 1000);
  iam::Principal p = PrincipalOf(out);
  EXPECT_EQ(p.type, iam::PrincipalType::kUser);
  EXPECT_EQ(p.arn, "arn:aws:iam::123456789012:user/alice");
  EXPECT_EQ(p.entity_arn, "arn:aws:iam::123456789012:user/alice");
  EXPECT_EQ(p.user_id, "AIDAEXAMPLEALICE");
  ASSERT_NE(p.session, nullptr);
  EXPECT_EQ(Ok(p, "GetCallerIdentity").at("Arn").as_string(), "arn:aws:iam::123456789012:user/alice");

  Error again = Fails(p, "GetSessionToken");
  EXPECT_EQ(again.code, "AccessDenied");
  EXPECT_EQ(again.message, "Cannot call GetSessionToken with session credentials");
  Error federate = Fails(p, "GetFederationToken", {{"Name", "bob"}});
  EXPECT_EQ(federate.message, "Cannot call GetFederationToken with session credentials");
  // GetSessionToken credentials may still assume a role.
  Ok(p, "AssumeRole", {{"RoleArn", "arn:aws:iam::123456789012:role/other"}, {"RoleSessionName", "s1"}});

  json::object longest = Ok(User("alice"), "GetSessionToken", {{"DurationSeconds", 129600}});
  EXPECT_EQ(longest.at("Credentials").at("Expiration").as_int64(), kStart + 129600ll * 1000);
  EXPECT_EQ(Fails(User("alice"), "GetSessionToken", {{"DurationSeconds", 129601}}).code, "ValidationError");
  EXPECT_EQ(Fails(User("alice"), "GetSessionToken", {{"DurationSeconds", 600}}).code, "ValidationError");
  // The root user's sessions last at most an hour.
  json::object root = Ok(iam::RootPrincipal(kAccount), "GetSessionToken", {{"DurationSeconds", 7200}});
  EXPECT_EQ(root.at("Credentials").at("Expiration").as_int64(), kStart + 3600 * 1000);
  iam::Principal rp = PrincipalOf(root);
  EXPECT_EQ(rp.type, iam::PrincipalType::kRoot);
  EXPECT_TRUE(rp.is_root);
  EXPECT_EQ(Fails(User("alice"), "GetSessionToken",
                  {{"SerialNumber", "arn:aws:iam::123456789012:mfa/alice"}, {"TokenCode", "123456"}})
                .code,
            "AccessDenied");
}

// ---- GetFederationToken

TEST_F(StsTest, GetFederationToken) {
  const std::string policy =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]})";
  json::object out = Ok(User("alice"), "GetFederationToken", {{"Name", "bob"}, {"Policy", policy}});
  EXPECT_EQ(out.at("FederatedUser").at("FederatedUserId").as_string(), "123456789012:bob");
  EXPECT_EQ(out.at("FederatedUser").at("Arn").as_string(), "arn:aws:sts::123456789012:federated-user/bob");
  EXPECT_TRUE(out.contains("PackedPolicySize"));
  EXPECT_EQ(out.at("Credentials").at("Expiration").as_int64(), kStart + 43200ll * 1000);
  iam::Principal p = PrincipalOf(out);
  EXPECT_EQ(p.type, iam::PrincipalType::kFederatedUser);
  EXPECT_EQ(p.arn, "arn:aws:sts::123456789012:federated-user/bob");
  EXPECT_EQ(p.entity_arn, "arn:aws:iam::123456789012:user/alice");
  EXPECT_EQ(p.user_id, "123456789012:bob");
  ASSERT_EQ(p.session->policies.size(), 1u);
  json::object who = Ok(p, "GetCallerIdentity");
  EXPECT_EQ(who.at("UserId").as_string(), "123456789012:bob");

  // Without session policies a federated user has no permissions, whatever the user's policies allow.
  iam::Principal bare = PrincipalOf(Ok(User("alice"), "GetFederationToken", {{"Name", "carol"}}));
  EXPECT_TRUE(bare.session->policies.empty());
  auto admin =
      Parse(R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]})",
            iam::PolicyKind::kIdentity);
  iam::Request request;
  request.action = "s3:ListBucket";
  request.resource = "arn:aws:s3:::b";
  request.principal = iam::ToRequestPrincipal(bare);
  iam::PolicySet set;
  set.identity.push_back(iam::PolicyRef{"admin", admin.get()});
  EXPECT_FALSE(iam::Evaluate(request, set).allowed());
  request.principal = iam::ToRequestPrincipal(p);
  set.session.push_back(iam::PolicyRef{"session policy", p.session->policies[0].policy.get()});
  EXPECT_TRUE(iam::Evaluate(request, set).allowed());

  EXPECT_EQ(Fails(User("alice"), "GetFederationToken", {{"Name", "b"}}).code, "ValidationError");
  EXPECT_EQ(Fails(User("alice"), "GetFederationToken", {{"Name", std::string(33, 'n')}}).code,
            "ValidationError");
  EXPECT_EQ(
      Fails(User("alice"), "GetFederationToken", {{"Name", "bob"}, {"Policy", std::string(2049, ' ')}}).code,
      "ValidationError");
  json::object root = Ok(iam::RootPrincipal(kAccount), "GetFederationToken", {{"Name", "bob"}});
  EXPECT_EQ(root.at("Credentials").at("Expiration").as_int64(), kStart + 3600 * 1000);
}

// ---- the credential source

TEST_F(StsTest, CredentialSourceExpiryPruneAndReopen) {
  json::object out = AssumeReader(User("alice"));
  const std::string akid(out.at("Credentials").at("AccessKeyId").as_string());
  const std::string token(out.at("Credentials").at("SessionToken").as_string());
  SessionStore& sessions = provider_->sessions();
  EXPECT_TRUE(sessions.Lookup(akid).has_value());
  EXPECT_FALSE(sessions.Lookup("ASIAUNKNOWNUNKNOWN00").has_value());
  EXPECT_FALSE(sessions.IsExpired(akid, token));

  // Survives a restart (a new store over the same database).
  Reopen();
  ASSERT_TRUE(provider_->sessions().Lookup(akid).has_value());
  EXPECT_EQ(provider_->sessions().Lookup(akid)->principal.arn,
            "arn:aws:sts::123456789012:assumed-role/reader/s1");

  now_ += 3600 * 1000;  // the moment it expires
  EXPECT_FALSE(provider_->sessions().Lookup(akid).has_value());
  EXPECT_TRUE(provider_->sessions().IsExpired(akid, token));
  EXPECT_FALSE(provider_->sessions().IsExpired(akid, "another token"));
  EXPECT_FALSE(provider_->sessions().IsExpired("ASIAUNKNOWNUNKNOWN00", token));
  ASSERT_TRUE(provider_->sessions().Prune().ok());
  EXPECT_TRUE(provider_->sessions().IsExpired(akid, token));  // kept for a day

  now_ += 24ll * 3600 * 1000 + 1;
  ASSERT_TRUE(provider_->sessions().Prune().ok());
  EXPECT_FALSE(provider_->sessions().IsExpired(akid, token));
  EXPECT_EQ(provider_->sessions().size(), 0u);
  Reopen();
  EXPECT_EQ(provider_->sessions().size(), 0u);
  auto txn = metadata_->Begin(store::MetadataStore::Mode::kRead);
  ASSERT_TRUE(txn.ok());
  auto rows = (*txn)->Query("SELECT COUNT(*) FROM sts_sessions");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(store::AsInt((*rows)[0][0]), 0);
}

TEST_F(StsTest, ReloadedSessionWhosePolicyVanishedDeniesEverything) {
  json::array arns{json::object{{"arn", "arn:aws:iam::aws:policy/ReadOnlyAccess"}}};
  iam::Principal p = PrincipalOf(AssumeReader(User("alice"), {{"PolicyArns", arns}}));
  directory_.managed.clear();
  Reopen();
  auto record = provider_->sessions().Lookup(p.access_key_id);
  ASSERT_TRUE(record.has_value());
  ASSERT_EQ(record->principal.session->policies.size(), 1u);
  iam::Request request;
  request.action = "s3:GetObject";
  request.resource = "arn:aws:s3:::b/k";
  request.principal = iam::ToRequestPrincipal(record->principal);
  iam::PolicySet set;
  auto admin =
      Parse(R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]})",
            iam::PolicyKind::kIdentity);
  set.identity.push_back(iam::PolicyRef{"admin", admin.get()});
  set.session.push_back(iam::PolicyRef{"s", record->principal.session->policies[0].policy.get()});
  EXPECT_FALSE(iam::Evaluate(request, set).allowed());
}

// ---- the resource authority

TEST_F(StsTest, RoleTrustFacts) {
  RoleTrustAuthority& trust = provider_->trust();
  EXPECT_EQ(trust.service(), "sts");
  iam::RequestPrincipal alice = iam::ToRequestPrincipal(User("alice"));
  auto facts = trust.Facts(alice, "sts:AssumeRole", "arn:aws:iam::123456789012:role/team/reader");
  ASSERT_TRUE(facts.ok());
  ASSERT_TRUE(facts->policy.has_value());
  EXPECT_EQ(facts->policy->name, "trust policy");
  EXPECT_TRUE(facts->policy_required);
  EXPECT_EQ(facts->owner_account, "123456789012");
  ASSERT_NE(facts->keys.Find("aws:ResourceTag/project"), nullptr);
  EXPECT_EQ(*facts->keys.Find("aws:ResourceTag/project"), std::vector<std::string>{"lake"});
  EXPECT_NE(facts->keys.Find("iam:ResourceTag/project"), nullptr);

  // As the authorizer uses them: the trust policy allows alice, not mallory.
  auto decide = [&](const iam::Principal& who, std::string_view action) {
    iam::Request request;
    request.action = std::string(action);
    request.resource = "arn:aws:iam::123456789012:role/team/reader";
    request.resource_account = facts->owner_account;
    request.principal = iam::ToRequestPrincipal(who);
    iam::PolicySet set;
    set.resource = iam::PolicyRef{facts->policy->name, facts->policy->policy.get()};
    set.resource_policy_required = facts->policy_required;
    return iam::Evaluate(request, set).allowed();
  };
  EXPECT_TRUE(decide(User("alice"), "sts:AssumeRole"));
  EXPECT_TRUE(decide(User("alice"), "sts:TagSession"));
  EXPECT_FALSE(decide(User("alice"), "sts:SetSourceIdentity"));
  EXPECT_FALSE(decide(User("mallory"), "sts:AssumeRole"));

  auto missing = trust.Facts(alice, "sts:AssumeRole", "arn:aws:iam::123456789012:role/nope");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->policy.has_value());
  EXPECT_TRUE(missing->policy_required);
  RoleTrustAuthority no_iam(nullptr);
  auto none = no_iam.Facts(alice, "sts:AssumeRole", "arn:aws:iam::123456789012:role/team/reader");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->policy.has_value());
}

TEST(StsActionMap, AssumeRoleAuthorizations) {
  json::object params{{"RoleArn", "arn:aws:iam::123456789012:role/r"},
                      {"RoleSessionName", "s"},
                      {"Tags", Tags({{"team", "data"}})},
                      {"TransitiveTagKeys", json::array{"team"}},
                      {"ExternalId", "xid"},
                      {"SourceIdentity", "me"}};
  auto auths = iam::Resolve("sts", "AssumeRole", params, "us-east-1", "123456789012");
  ASSERT_TRUE(auths.ok()) << auths.error().message;
  ASSERT_EQ(auths->size(), 3u);
  EXPECT_EQ((*auths)[0].action, "sts:AssumeRole");
  EXPECT_EQ((*auths)[0].resource, "arn:aws:iam::123456789012:role/r");
  EXPECT_EQ((*auths)[1].action, "sts:TagSession");
  EXPECT_EQ((*auths)[2].action, "sts:SetSourceIdentity");
  const iam::ContextKeys& keys = (*auths)[0].context;
  ASSERT_NE(keys.Find("sts:ExternalId"), nullptr);
  EXPECT_EQ(*keys.Find("sts:ExternalId"), std::vector<std::string>{"xid"});
  EXPECT_EQ(*keys.Find("aws:RequestTag/team"), std::vector<std::string>{"data"});
  EXPECT_EQ(*keys.Find("sts:TransitiveTagKeys"), std::vector<std::string>{"team"});
  EXPECT_EQ(*keys.Find("sts:RoleSessionName"), std::vector<std::string>{"s"});

  auto plain = iam::Resolve("sts", "AssumeRole",
                            json::object{{"RoleArn", "arn:aws:iam::1:role/r"}, {"RoleSessionName", "s"}},
                            "us-east-1", "123456789012");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->size(), 1u);
  auto fed =
      iam::Resolve("sts", "GetFederationToken", json::object{{"Name", "bob"}}, "us-east-1", "123456789012");
  ASSERT_TRUE(fed.ok());
  EXPECT_EQ((*fed)[0].resource, "arn:aws:sts::123456789012:federated-user/bob");
}

// ---- DecodeAuthorizationMessage

TEST_F(StsTest, DecodeAuthorizationMessage) {
  iam::AuthorizationFailure failure;
  failure.explicit_deny = true;
  failure.matched_statements = {"DenyAll"};
  failure.principal_id = "AIDAEXAMPLEALICE";
  failure.principal_name = "alice";
  failure.principal_arn = "arn:aws:iam::123456789012:user/alice";
  failure.action = "s3:GetObject";
  failure.resource = "arn:aws:s3:::b/k";
  failure.conditions = {{"aws:username", {"alice"}}};
  const std::string encoded = provider_->messages().Encode(failure);
  json::object out = Ok(User("alice"), "DecodeAuthorizationMessage", {{"EncodedMessage", encoded}});
  json::value doc = json::parse(out.at("DecodedMessage").as_string());
  EXPECT_EQ(doc.at("allowed").as_bool(), false);
  EXPECT_EQ(doc.at("explicitDeny").as_bool(), true);
  EXPECT_EQ(doc.at("matchedStatements").at("items").at(0).at("statementId").as_string(), "DenyAll");
  EXPECT_EQ(doc.at("context").at("principal").at("arn").as_string(), "arn:aws:iam::123456789012:user/alice");
  EXPECT_EQ(doc.at("context").at("action").as_string(), "s3:GetObject");
  EXPECT_EQ(doc.at("context").at("conditions").at("items").at(0).at("key").as_string(), "aws:username");

  // The key is kept in the data directory: a restart still decodes.
  Reopen();
  EXPECT_TRUE(Call(User("alice"), "DecodeAuthorizationMessage", {{"EncodedMessage", encoded}}).ok());

  std::string tampered = encoded;
  tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == 'A' ? 'B' : 'A';
  Error e = Fails(User("alice"), "DecodeAuthorizationMessage", {{"EncodedMessage", tampered}});
  EXPECT_EQ(e.code, "InvalidAuthorizationMessageException");
  EXPECT_EQ(Fails(User("alice"), "DecodeAuthorizationMessage", {{"EncodedMessage", "not a message"}}).code,
            "InvalidAuthorizationMessageException");
  // Another server's key cannot decode it.
  EXPECT_FALSE(AuthorizationMessageCodec::Ephemeral()->Decode(encoded).has_value());
}

// ---- AssumeRoleWithWebIdentity and JWTs

std::string B64(std::string_view bytes) { return Base64Encode(bytes, Base64Alphabet::kUrlSafe, false); }

std::string BnBytes(const BIGNUM* bn, int width = 0) {
  std::string out(width > 0 ? width : BN_num_bytes(bn), '\0');
  if (width > 0) {
    BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), width);
  } else {
    BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  }
  return out;
}

// A signing key and its JWK, generated by OpenSSL for the test.
struct TestKey {
  EVP_PKEY* pkey = nullptr;
  std::string alg;
  std::string kid;
  json::object jwk;
  ~TestKey() { EVP_PKEY_free(pkey); }

  static std::unique_ptr<TestKey> Rsa(std::string kid) {
    auto k = std::make_unique<TestKey>();
    k->pkey = EVP_RSA_gen(2048);
    k->alg = "RS256";
    k->kid = kid;
    BIGNUM* n = nullptr;
    BIGNUM* e = nullptr;
    EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_RSA_N, &n);
    EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_RSA_E, &e);
    k->jwk = json::object{{"kty", "RSA"},   {"kid", kid},           {"use", "sig"},
                          {"alg", "RS256"}, {"n", B64(BnBytes(n))}, {"e", B64(BnBytes(e))}};
    BN_free(n);
    BN_free(e);
    return k;
  }

  static std::unique_ptr<TestKey> Ec(std::string kid) {
    auto k = std::make_unique<TestKey>();
    k->pkey = EVP_EC_gen("P-256");
    k->alg = "ES256";
    k->kid = kid;
    unsigned char point[65];
    size_t len = 0;
    EVP_PKEY_set_utf8_string_param(k->pkey, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, "uncompressed");
    EVP_PKEY_get_octet_string_param(k->pkey, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point), &len);
    EXPECT_EQ(len, 65u);
    std::string p(reinterpret_cast<char*>(point), len);
    k->jwk = json::object{{"kty", "EC"},
                          {"kid", kid},
                          {"crv", "P-256"},
                          {"x", B64(p.substr(1, 32))},
                          {"y", B64(p.substr(33, 32))}};
    return k;
  }

  std::string Sign(const json::object& claims, std::string alg_override = "") const {
    json::object header{{"alg", alg_override.empty() ? alg : alg_override}, {"typ", "JWT"}, {"kid", kid}};
    std::string input = B64(json::serialize(header)) + "." + B64(json::serialize(claims));
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, pkey);
    size_t n = 0;
    EVP_DigestSign(ctx, nullptr, &n, reinterpret_cast<const unsigned char*>(input.data()), input.size());
    std::string sig(n, '\0');
    EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &n,
                   reinterpret_cast<const unsigned char*>(input.data()), input.size());
    sig.resize(n);
    EVP_MD_CTX_free(ctx);
    if (alg == "ES256") {  // DER -> JWS's r||s
      const unsigned char* p = reinterpret_cast<const unsigned char*>(sig.data());
      ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
      sig = BnBytes(ECDSA_SIG_get0_r(es), 32) + BnBytes(ECDSA_SIG_get0_s(es), 32);
      ECDSA_SIG_free(es);
    }
    return input + "." + B64(sig);
  }
};

// The caller of an unsigned request as these tests can pass it: the baseline authorizer of the harness
// refuses anonymous principals (the platform's authorizer lets AssumeRoleWithWebIdentity through), and the
// handler never looks at the caller.
iam::Principal Unsigned() {
  iam::Principal p;
  p.type = iam::PrincipalType::kAnonymous;
  p.account_id = std::string(kAccount);
  return p;
}

const std::string kIssuer = "https://idp.example.com/realm";
const std::string kProviderArn = "arn:aws:iam::123456789012:oidc-provider/idp.example.com/realm";

class WebIdentityTest : public StsTest {
 protected:
  void SetUp() override {
    StsTest::SetUp();
    rsa_ = TestKey::Rsa("rsa-1");
    ec_ = TestKey::Ec("ec-1");
    json::object jwks{{"keys", json::array{rsa_->jwk, ec_->jwk}}};
    std::ofstream(dir_ / "jwks.json") << json::serialize(jwks);
    oidc_.providers["123456789012|idp.example.com/realm"] =
        OidcProviderInfo{kProviderArn, kIssuer, {"my-app"}, "file://" + (dir_ / "jwks.json")};
    directory_.AddRole("web", R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow",
        "Principal":{"Federated":")" +
                                  kProviderArn +
                                  R"("},"Action":["sts:AssumeRoleWithWebIdentity","sts:TagSession"],
        "Condition":{"StringEquals":{"idp.example.com/realm:aud":"my-app","idp.example.com/realm:sub":"user-1"}}}]})");
  }

  json::object Claims(std::string sub = "user-1") const {
    return json::object{{"iss", kIssuer},
                        {"sub", sub},
                        {"aud", "my-app"},
                        {"iat", kStart / 1000},
                        {"exp", kStart / 1000 + 600}};
  }

  Result<aws::OperationOutput> Assume(const std::string& token, json::object extra = {}) {
    json::object params{{"RoleArn", "arn:aws:iam::123456789012:role/web"},
                        {"RoleSessionName", "web-1"},
                        {"WebIdentityToken", token}};
    for (auto& [k, v] : extra) params[k] = v;
    return Call(Unsigned(), "AssumeRoleWithWebIdentity", std::move(params));
  }

  std::unique_ptr<TestKey> rsa_;
  std::unique_ptr<TestKey> ec_;
};

TEST_F(WebIdentityTest, JwtParsingAndSignatures) {
  json::object claims = Claims();
  auto jwt = ParseJwt(rsa_->Sign(claims));
  ASSERT_TRUE(jwt.ok());
  std::string jwks = json::serialize(json::object{{"keys", json::array{rsa_->jwk, ec_->jwk}}});
  EXPECT_TRUE(VerifyJwtSignature(*jwt, jwks).ok());
  auto ec_jwt = ParseJwt(ec_->Sign(claims));
  ASSERT_TRUE(ec_jwt.ok());
  EXPECT_TRUE(VerifyJwtSignature(*ec_jwt, jwks).ok());
  // Another key's set, an altered payload, "none", and things that are not JWTs.
  auto other = TestKey::Rsa("rsa-1");
  EXPECT_FALSE(
      VerifyJwtSignature(*jwt, json::serialize(json::object{{"keys", json::array{other->jwk}}})).ok());
  Jwt altered = *jwt;
  altered.signing_input[altered.signing_input.size() - 2] ^= 1;
  EXPECT_FALSE(VerifyJwtSignature(altered, jwks).ok());
  auto none = ParseJwt(B64(R"({"alg":"none"})") + "." + B64(json::serialize(claims)) + ".");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(VerifyJwtSignature(*none, jwks).ok());
  EXPECT_FALSE(ParseJwt("abc").ok());
  EXPECT_FALSE(ParseJwt("a.b.c.d").ok());
  EXPECT_FALSE(ParseJwt(B64("[1]") + "." + B64("{}") + ".").ok());
  EXPECT_EQ(ClaimStrings(json::object{{"aud", json::array{"a", "b"}}}, "aud"),
            (std::vector<std::string>{"a", "b"}));
}

TEST_F(WebIdentityTest, AssumesTheRoleForAValidToken) {
  for (const TestKey* key : {rsa_.get(), ec_.get()}) {
    auto out = Assume(key->Sign(Claims()));
    ASSERT_TRUE(out.ok()) << out.error().code << " " << out.error().message;
    const json::object& o = out->result.as_object();
    EXPECT_EQ(o.at("SubjectFromWebIdentityToken").as_string(), "user-1");
    EXPECT_EQ(o.at("Audience").as_string(), "my-app");
    EXPECT_EQ(o.at("Provider").as_string(), "idp.example.com/realm");
    EXPECT_EQ(o.at("AssumedRoleUser").at("Arn").as_string(),
              "arn:aws:sts::123456789012:assumed-role/web/web-1");
    iam::Principal p = PrincipalOf(o);
    EXPECT_EQ(p.type, iam::PrincipalType::kAssumedRole);
    EXPECT_EQ(p.session->federated_provider, kProviderArn);
    EXPECT_EQ(iam::ToRequestPrincipal(p).federated_provider, kProviderArn);
  }
  // Session tags from the token's claims need sts:TagSession, which the trust policy grants.
  json::object claims = Claims();
  claims["https://aws.amazon.com/tags"] =
      json::object{{"principal_tags", json::object{{"team", json::array{"data"}}}},
                   {"transitive_tag_keys", json::array{"team"}}};
  auto tagged = Assume(rsa_->Sign(claims));
  ASSERT_TRUE(tagged.ok()) << tagged.error().message;
  iam::Principal p = PrincipalOf(tagged->result.as_object());
  ASSERT_EQ(p.session->tags.size(), 1u);
  EXPECT_EQ(p.session->transitive_tag_keys, std::vector<std::string>{"team"});
}

TEST_F(WebIdentityTest, RefusesBadTokens) {
  auto code = [&](const std::string& token) {
    auto out = Assume(token);
    return out.ok() ? std::string("ok") : out.error().code;
  };
  EXPECT_EQ(code("not-a-jwt"), "InvalidIdentityToken");
  json::object wrong_aud = Claims();
  wrong_aud["aud"] = "other-app";
  EXPECT_EQ(code(rsa_->Sign(wrong_aud)), "InvalidIdentityToken");
  json::object expired = Claims();
  expired["exp"] = kStart / 1000 - 1;
  auto e = Assume(rsa_->Sign(expired));
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, "ExpiredTokenException");
  json::object early = Claims();
  early["nbf"] = kStart / 1000 + 60;
  EXPECT_EQ(code(rsa_->Sign(early)), "InvalidIdentityToken");
  json::object unknown_issuer = Claims();
  unknown_issuer["iss"] = "https://elsewhere.example.com";
  auto unknown = Assume(rsa_->Sign(unknown_issuer));
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, "InvalidIdentityToken");
  EXPECT_EQ(unknown.error().message,
            "No OpenIDConnect provider found in your account for https://elsewhere.example.com");
  // Signed by a key the provider does not publish.
  auto stranger = TestKey::Rsa("rsa-1");
  EXPECT_EQ(code(stranger->Sign(Claims())), "InvalidIdentityToken");
  // The trust policy's condition on sub.
  auto denied = Assume(rsa_->Sign(Claims("user-2")));
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().code, "AccessDenied");
  EXPECT_EQ(denied.error().message, "Not authorized to perform sts:AssumeRoleWithWebIdentity");
  // A role whose trust policy names another provider.
  json::object params{{"RoleArn", "arn:aws:iam::123456789012:role/other"},
                      {"RoleSessionName", "web-1"},
                      {"WebIdentityToken", rsa_->Sign(Claims())}};
  auto other = Call(Unsigned(), "AssumeRoleWithWebIdentity", params);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, "AccessDenied");
  // The key set cannot be read.
  oidc_.providers["123456789012|idp.example.com/realm"].jwks = dir_ / "missing.json";
  EXPECT_EQ(code(rsa_->Sign(Claims())), "IDPCommunicationError");
  oidc_.providers["123456789012|idp.example.com/realm"].jwks = "http://203.0.113.1/jwks.json";
  EXPECT_EQ(code(rsa_->Sign(Claims())), "IDPCommunicationError");
}

// ---- coverage

TEST(StsCoverage, DocMatchesProvider) {
  std::ifstream in(std::string(CENOTE_SOURCE_DIR) + "/docs/sts-coverage.md");
  ASSERT_TRUE(in.good()) << "run: python3 src/services/sts/gen_coverage.py";
  std::stringstream ss;
  ss << in.rdbuf();
  std::string doc = ss.str();
  for (auto op : StsProvider::SupportedOperations())
    EXPECT_NE(doc.find("| " + std::string(op) + " | supported |"), std::string::npos)
        << op << " missing or stale in docs/sts-coverage.md; run python3 src/services/sts/gen_coverage.py";
  for (const auto& e : ErrorTable()) EXPECT_NE(doc.find(e.code), std::string::npos) << e.code;
}

}  // namespace
}  // namespace cenote::sts
