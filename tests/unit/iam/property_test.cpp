// Randomized properties of the evaluation logic (fixed seed, bounded loops): an applicable explicit Deny
// always denies; adding an Allow statement never turns an Allow into a deny; statement order never changes
// the decision.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "iam/evaluate.hpp"
#include "iam_test_util.hpp"

namespace cenote::iam {
namespace {

using namespace testing;

constexpr const char* kActions[] = {"s3:GetObject",   "s3:PutObject", "s3:*", "s3:Get*", "iam:*", "*",
                                    "sqs:SendMessage"};
constexpr const char* kResources[] = {"*",
                                      "arn:aws:s3:::b/*",
                                      "arn:aws:s3:::b/k",
                                      "arn:aws:s3:::other/*",
                                      "arn:aws:s3:::b/${aws:username}/*",
                                      "arn:aws:sqs:*:111122223333:q"};
constexpr const char* kConditions[] = {
    "",
    R"(,"Condition":{"Bool":{"aws:SecureTransport":"true"}})",
    R"(,"Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}})",
    R"(,"Condition":{"StringEquals":{"aws:PrincipalTag/team":"red"}})",
    R"(,"Condition":{"ForAllValues:StringLike":{"aws:TagKeys":"env*"}})",
    R"(,"Condition":{"NumericLessThan":{"s3:max-keys":"100"}})",
};
constexpr const char* kPrincipals[] = {
    R"("*")", R"({"AWS":"111122223333"})", R"({"AWS":"arn:aws:iam::111122223333:user/alice"})",
    R"({"AWS":"444455556666"})", R"({"AWS":"arn:aws:iam::111122223333:role/reader"})"};

class Generator {
 public:
  explicit Generator(std::uint32_t seed) : rng_(seed) {}

  template <typename T, std::size_t N>
  const T& Pick(const T (&items)[N]) {
    return items[std::uniform_int_distribution<std::size_t>(0, N - 1)(rng_)];
  }
  bool Coin() { return std::uniform_int_distribution<int>(0, 1)(rng_) == 1; }

  std::string Statement(bool resource_policy, const char* effect) {
    std::string s = R"({"Effect":")";
    s.append(effect).append("\"");
    if (resource_policy) s.append(R"(,"Principal":)").append(Pick(kPrincipals));
    s.append(Coin() ? R"(,"Action":")" : R"(,"NotAction":")").append(Pick(kActions)).append("\"");
    s.append(Coin() || resource_policy ? R"(,"Resource":")" : R"(,"NotResource":")").append(Pick(kResources));
    s.append("\"").append(Pick(kConditions)).append("}");
    return s;
  }
  std::vector<std::string> Statements(bool resource_policy, int max) {
    std::vector<std::string> out;
    int n = std::uniform_int_distribution<int>(0, max)(rng_);
    for (int i = 0; i < n; ++i)
      out.push_back(Statement(resource_policy, Coin() && Coin() ? "Deny" : "Allow"));
    return out;
  }

  Request RandomRequest() {
    RequestPrincipal principal;
    switch (std::uniform_int_distribution<int>(0, 3)(rng_)) {
      case 0:
        principal = User("111122223333", "alice");
        break;
      case 1:
        principal = RoleSession("111122223333", "reader", "s");
        break;
      case 2:
        principal = User("444455556666", "mallory");
        break;
      default:
        principal = Anonymous();
    }
    Request r = MakeRequest(principal, Pick(kActions) == std::string("*") ? "s3:GetObject" : "s3:PutObject",
                            Coin() ? "arn:aws:s3:::b/k" : "arn:aws:s3:::b/alice/x", "111122223333");
    if (std::string_view(r.action).find('*') != std::string_view::npos) r.action = "s3:GetObject";
    if (Coin()) r.context.Set("aws:SecureTransport", Coin() ? "true" : "false");
    if (Coin()) r.context.Set("aws:SourceIp", Coin() ? "10.1.2.3" : "192.0.2.1");
    if (Coin()) r.context.Set("aws:PrincipalTag/team", Coin() ? "red" : "blue");
    if (Coin()) r.context.Set("aws:TagKeys", std::vector<std::string>{"env", Coin() ? "envx" : "cost"});
    if (Coin()) r.context.Set("s3:max-keys", Coin() ? "10" : "1000");
    return r;
  }

  std::mt19937& rng() { return rng_; }

 private:
  std::mt19937 rng_;
};

std::string Document(const std::vector<std::string>& statements) {
  std::string doc = R"({"Version":"2012-10-17","Statement":[)";
  for (std::size_t i = 0; i < statements.size(); ++i) {
    if (i > 0) doc.append(",");
    doc.append(statements[i]);
  }
  doc.append("]}");
  return doc;
}

struct Scenario {
  std::vector<std::string> identity;
  std::vector<std::string> resource;
  std::vector<std::string> boundary;
  bool has_boundary = false;
};

EvaluationResult RunScenario(const Scenario& s, const Request& request) {
  Policy identity = MustParse(Document(s.identity), PolicyKind::kIdentity);
  Policy resource = MustParse(Document(s.resource), PolicyKind::kResource);
  Policy boundary = MustParse(Document(s.boundary), PolicyKind::kBoundary);
  PolicySet set;
  set.identity.push_back({"identity", &identity});
  set.resource = PolicyRef{"resource", &resource};
  if (s.has_boundary) set.boundary = PolicyRef{"boundary", &boundary};
  return Evaluate(request, set);
}

Scenario RandomScenario(Generator& g) {
  Scenario s;
  s.identity = g.Statements(false, 5);
  s.resource = g.Statements(true, 4);
  s.has_boundary = g.Coin();
  s.boundary = g.Statements(false, 3);
  return s;
}

constexpr int kIterations = 400;

TEST(EvaluatePropertyTest, ApplicableDenyAlwaysDenies) {
  Generator g(20260101);
  for (int i = 0; i < kIterations; ++i) {
    Scenario s = RandomScenario(g);
    Request request = g.RandomRequest();
    // A Deny that certainly applies to this request, placed in a random policy at a random position.
    std::string deny = R"({"Effect":"Deny","Action":")";
    deny.append(request.action).append(R"(","Resource":"*"})");
    std::vector<std::string>* target = &s.identity;
    if (request.principal.type == PrincipalType::kAnonymous || g.Coin()) {
      deny = R"({"Effect":"Deny","Principal":"*","Action":")";
      deny.append(request.action).append(R"(","Resource":"*"})");
      target = &s.resource;
    } else if (s.has_boundary && g.Coin()) {
      target = &s.boundary;
    }
    std::size_t at = std::uniform_int_distribution<std::size_t>(0, target->size())(g.rng());
    target->insert(target->begin() + static_cast<std::ptrdiff_t>(at), deny);
    EXPECT_EQ(RunScenario(s, request).decision, Decision::kExplicitDeny) << "iteration " << i;
  }
}

TEST(EvaluatePropertyTest, AddingAnAllowNeverDenies) {
  Generator g(7);
  int allowed = 0;
  for (int i = 0; i < kIterations; ++i) {
    Scenario s = RandomScenario(g);
    Request request = g.RandomRequest();
    EvaluationResult before = RunScenario(s, request);
    if (!before.allowed()) continue;
    ++allowed;
    bool to_resource = g.Coin();
    std::vector<std::string>& target =
        to_resource ? s.resource : (s.has_boundary && g.Coin() ? s.boundary : s.identity);
    target.push_back(g.Statement(to_resource, "Allow"));
    EXPECT_TRUE(RunScenario(s, request).allowed()) << "iteration " << i;
  }
  EXPECT_GT(allowed, 10);  // the generator does reach allowed requests
}

TEST(EvaluatePropertyTest, StatementOrderDoesNotMatter) {
  Generator g(99);
  for (int i = 0; i < kIterations; ++i) {
    Scenario s = RandomScenario(g);
    Request request = g.RandomRequest();
    Decision before = RunScenario(s, request).decision;
    std::shuffle(s.identity.begin(), s.identity.end(), g.rng());
    std::shuffle(s.resource.begin(), s.resource.end(), g.rng());
    std::shuffle(s.boundary.begin(), s.boundary.end(), g.rng());
    EXPECT_EQ(RunScenario(s, request).decision, before) << "iteration " << i;
  }
}

}  // namespace
}  // namespace cenote::iam
