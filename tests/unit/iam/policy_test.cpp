#include "iam/policy.hpp"

#include <gtest/gtest.h>

#include "iam_test_util.hpp"

namespace cenote::iam {
namespace {

using testing::MustParse;
using testing::ParseError;

constexpr std::string_view kSimple = R"({
  "Version": "2012-10-17",
  "Id": "example",
  "Statement": {"Sid": "One", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}
})";

TEST(PolicyTest, ParsesSingleStatementAndArrays) {
  Policy p = MustParse(kSimple);
  EXPECT_EQ(p.version(), "2012-10-17");
  EXPECT_EQ(p.id(), "example");
  ASSERT_EQ(p.statements().size(), 1u);
  const Statement& s = p.statements()[0];
  EXPECT_EQ(s.sid, "One");
  EXPECT_EQ(s.effect, Effect::kAllow);
  EXPECT_EQ(s.actions.size(), 1u);
  EXPECT_TRUE(s.has_resource);

  Policy arrays = MustParse(R"({"Version":"2012-10-17","Statement":[
    {"Effect":"Deny","NotAction":["s3:*","iam:*"],"NotResource":["arn:aws:s3:::a","arn:aws:s3:::b"]},
    {"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":true},
      "NumericLessThan":{"s3:max-keys":10}}}]})");
  ASSERT_EQ(arrays.statements().size(), 2u);
  EXPECT_TRUE(arrays.statements()[0].not_action);
  EXPECT_TRUE(arrays.statements()[0].not_resource);
  EXPECT_EQ(arrays.statements()[1].conditions.size(), 2u);
}

TEST(PolicyTest, Versions) {
  EXPECT_EQ(MustParse(R"({"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}})").version(),
            "2008-10-17");
  EXPECT_EQ(
      MustParse(R"({"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}})")
          .version(),
      "2008-10-17");
  EXPECT_EQ(
      ParseError(R"({"Version":"2012-10-18","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}})"),
      "The policy failed legacy parsing");
  // Variables only in 2012-10-17.
  Policy old = MustParse(
      R"({"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${aws:username}"}})");
  EXPECT_FALSE(old.statements()[0].resources[0].has_variables());
  Policy current = MustParse(
      R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${aws:username}"}})");
  EXPECT_TRUE(current.statements()[0].resources[0].has_variables());
}

TEST(PolicyTest, SyntaxErrors) {
  EXPECT_EQ(ParseError("not json"), "Syntax errors in policy.");
  EXPECT_EQ(ParseError("[]"), "Syntax errors in policy.");
  EXPECT_EQ(
      ParseError(R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"})"),
      "Syntax errors in policy.");
  EXPECT_EQ(ParseError(R"({"Version":"2012-10-17","Statement":"x"})"), "Syntax errors in policy.");
  EXPECT_EQ(
      ParseError(R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":5,"Resource":"*"}})"),
      "Syntax errors in policy.");
  EXPECT_EQ(ParseError(R"({"Version":"2012-10-17"})"), "Missing required field Statement");
}

TEST(PolicyTest, StatementErrors) {
  auto doc = [](std::string_view statement) {
    std::string out = R"({"Version":"2012-10-17","Statement":)";
    out.append(statement).append("}");
    return out;
  };
  EXPECT_EQ(ParseError(doc(R"({"Action":"*","Resource":"*"})")), "Missing required field Effect");
  EXPECT_EQ(ParseError(doc(R"({"Effect":"Permit","Action":"*","Resource":"*"})")), "Invalid effect: Permit");
  EXPECT_EQ(ParseError(doc(R"({"Effect":"Allow","Resource":"*"})")),
            "Policy statement must contain actions.");
  EXPECT_EQ(ParseError(doc(R"({"Effect":"Allow","Action":[],"Resource":"*"})")),
            "Policy statement must contain actions.");
  EXPECT_EQ(ParseError(doc(R"({"Effect":"Allow","Action":"*"})")),
            "Policy statement must contain resources.");
  EXPECT_EQ(ParseError(doc(R"({"Effect":"Allow","Action":"*","Resource":"*","Colour":"red"})")),
            "Unknown field Colour");
  EXPECT_EQ(ParseError(R"({"Version":"2012-10-17","Statements":[]})"), "Unknown field Statements");
  EXPECT_EQ(ParseError(doc(R"({"Effect":"Allow","Action":"GetObject","Resource":"*"})")),
            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.");
  EXPECT_EQ(ParseError(doc(R"({"Effect":"Allow","Action":"s3:Get:Object","Resource":"*"})")),
            "Actions/Condition can contain only one colon.");
  EXPECT_EQ(ParseError(doc(R"({"Effect":"Allow","Action":"s*:GetObject","Resource":"*"})")),
            "Action vendor must be fully qualified and cannot contain regexes.");
  EXPECT_EQ(ParseError(doc(R"({"Effect":"Allow","Action":"*","Resource":"my-bucket"})")),
            "Resource my-bucket must be in ARN format or \"*\".");
  EXPECT_EQ(ParseError(doc(R"({"Effect":"Allow","Action":"*","Resource":"arn:aws:s*:::b"})")),
            "Resource vendor must be fully qualified and cannot contain regexes.");
  EXPECT_EQ(ParseError(doc(R"({"Effect":"Allow","Action":"*","NotAction":"s3:*","Resource":"*"})")),
            "Statement cannot contain both Action and NotAction.");
  EXPECT_EQ(
      ParseError(
          doc(R"({"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqualz":{"a:b":"c"}}})")),
      "Invalid Condition type : StringEqualz");
  EXPECT_EQ(
      ParseError(doc(
          R"({"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"a:b":{"x":1}}}})")),
      "Syntax errors in policy.");
  EXPECT_EQ(ParseError(doc(R"([{"Sid":"A","Effect":"Allow","Action":"*","Resource":"*"},
                                 {"Sid":"A","Effect":"Deny","Action":"*","Resource":"*"}])")),
            "Statement IDs (SID) in a single policy must be unique.");
  EXPECT_EQ(
      ParseError(doc(R"({"Sid":"has space","Effect":"Allow","Action":"*","Resource":"*"})")),
      "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression "
      "[0-9A-Za-z]*");
  // Resource-based policies take any Sid text.
  EXPECT_EQ(
      ParseError(doc(R"({"Sid":"has space","Effect":"Allow","Principal":"*","Action":"*","Resource":"*"})"),
                 PolicyKind::kResource),
      "");
}

TEST(PolicyTest, PrincipalRulesByKind) {
  std::string with_principal =
      R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"s3:*","Resource":"*"}})";
  std::string without_principal =
      R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}})";
  for (PolicyKind kind : {PolicyKind::kIdentity, PolicyKind::kBoundary, PolicyKind::kSession}) {
    EXPECT_EQ(ParseError(with_principal, kind), "Policy document should not specify a principal.");
    EXPECT_EQ(ParseError(without_principal, kind), "");
  }
  EXPECT_EQ(ParseError(without_principal, PolicyKind::kResource), "Missing required field Principal");
  EXPECT_EQ(ParseError(with_principal, PolicyKind::kResource), "");
  EXPECT_EQ(ParseError(with_principal, PolicyKind::kScp),
            "The provided policy document does not meet the requirements of the specified policy type.");

  // Trust policies: a principal, no resource.
  std::string trust =
      R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}})";
  Policy t = MustParse(trust, PolicyKind::kTrust);
  EXPECT_FALSE(t.statements()[0].has_resource);
  EXPECT_EQ(t.statements()[0].principals.services, std::vector<std::string>{"lambda.amazonaws.com"});
  EXPECT_EQ(ParseError(with_principal, PolicyKind::kTrust), "Has prohibited field Resource");
}

TEST(PolicyTest, PrincipalForms) {
  Policy p = MustParse(R"({"Version":"2012-10-17","Statement":[
    {"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"},
    {"Effect":"Allow","Principal":{"AWS":["123456789012","arn:aws:iam::111122223333:root",
       "arn:aws:iam::111122223333:user/division/alice","arn:aws:iam::111122223333:role/reader",
       "arn:aws:sts::111122223333:assumed-role/reader/session1","arn:aws:sts::111122223333:federated-user/bob"]},
     "Action":"s3:*","Resource":"*"},
    {"Effect":"Allow","Principal":{"Service":["S3.amazonaws.com"],"Federated":"cognito-identity.amazonaws.com",
       "CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},"Action":"s3:*","Resource":"*"},
    {"Effect":"Deny","NotPrincipal":{"AWS":"*"},"Action":"s3:*","Resource":"*"}]})",
                       PolicyKind::kResource);
  const auto& s = p.statements();
  EXPECT_TRUE(s[0].principals.everyone);
  EXPECT_EQ(s[1].principals.accounts, (std::vector<std::string>{"123456789012", "111122223333"}));
  EXPECT_EQ(s[1].principals.arns.size(), 4u);
  EXPECT_EQ(s[2].principals.services, std::vector<std::string>{"s3.amazonaws.com"});
  EXPECT_EQ(s[2].principals.federated.size(), 1u);
  EXPECT_EQ(s[2].principals.canonical_users.size(), 1u);
  EXPECT_TRUE(s[3].not_principal);
  EXPECT_TRUE(s[3].principals.everyone);

  auto principal_error = [](std::string_view principal) {
    std::string doc = R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":)";
    doc.append(principal).append(R"(,"Action":"s3:*","Resource":"*"}})");
    return ParseError(doc, PolicyKind::kResource);
  };
  EXPECT_EQ(principal_error(R"({"AWS":"alice"})"), "Invalid principal in policy: \"AWS\":\"alice\"");
  EXPECT_EQ(principal_error(R"({"AWS":"arn:aws:iam::111122223333:user/*"})"),
            "Invalid principal in policy: \"AWS\":\"arn:aws:iam::111122223333:user/*\"");
  EXPECT_EQ(principal_error(R"({"Everyone":"*"})"), "Invalid principal in policy: \"Everyone\":\"*\"");
  EXPECT_EQ(principal_error(R"("123456789012")"), "Invalid principal in policy: 123456789012");
}

TEST(PolicyTest, ServiceControlPolicies) {
  EXPECT_EQ(
      ParseError(R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}})",
                 PolicyKind::kScp),
      "");
  EXPECT_EQ(
      ParseError(
          R"({"Version":"2012-10-17","Statement":{"Effect":"Deny","NotAction":"iam:*","Resource":"arn:aws:s3:::b",
                           "Condition":{"StringNotEquals":{"aws:RequestedRegion":"eu-west-1"}}}})",
          PolicyKind::kScp),
      "");
  for (
      std::string_view bad : {
          R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b"}})",
          R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}})",
          R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}})",
      }) {
    EXPECT_EQ(ParseError(bad, PolicyKind::kScp),
              "The provided policy document does not meet the requirements of the specified policy type.")
        << bad;
  }
}

TEST(PolicyTest, SizeQuotas) {
  EXPECT_EQ(PolicySizeWithoutWhitespace("{ \"a\" :\n\t\"b c\" }"), 10u);  // {"a":"bc"}
  EXPECT_EQ(PolicySizeWithoutWhitespace("\xC3\xA9"), 1u);
  EXPECT_TRUE(CheckPolicySize(6144, PolicyQuota::kManagedPolicy).ok());
  Status managed = CheckPolicySize(6145, PolicyQuota::kManagedPolicy);
  ASSERT_FALSE(managed.ok());
  EXPECT_EQ(managed.error().code, "LimitExceeded");
  EXPECT_EQ(managed.error().http_status, 409);
  EXPECT_EQ(managed.error().message, "Cannot exceed quota for PolicySize: 6144");
  EXPECT_EQ(CheckPolicySize(2049, PolicyQuota::kUserInline, "alice").error().message,
            "Maximum policy size of 2048 bytes exceeded for user alice");
  EXPECT_TRUE(CheckPolicySize(10240, PolicyQuota::kRoleInline, "r").ok());
  EXPECT_FALSE(CheckPolicySize(5121, PolicyQuota::kGroupInline, "g").ok());
  EXPECT_FALSE(CheckPolicySize(2049, PolicyQuota::kRoleTrust).ok());
}

}  // namespace
}  // namespace cenote::iam
