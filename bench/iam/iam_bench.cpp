// IAM evaluation cost: a 20-statement identity policy (actions, wildcards, NotResource, conditions, a policy
// variable) plus a bucket policy, evaluated for an allowed and a denied request. Prints ns per evaluation;
// never fails on timing. Run: bench/iam/run.sh (or build the target cenote_iam_bench).
#include <chrono>
#include <cstdio>
#include <string>

#include "iam/evaluate.hpp"
#include "iam/policy.hpp"

using namespace cenote::iam;

namespace {

std::string IdentityPolicy() {
  std::string doc = R"({"Version":"2012-10-17","Statement":[)";
  const char* services[] = {"sqs", "sns", "kinesis", "firehose", "glue", "athena", "logs", "kms"};
  for (int i = 0; i < 8; ++i) {
    doc.append(R"({"Sid":"Svc)").append(std::to_string(i)).append(R"(","Effect":"Allow","Action":[")");
    doc.append(services[i])
        .append(R"(:Get*",")")
        .append(services[i])
        .append(R"(:List*"],"Resource":"arn:aws:)");
    doc.append(services[i]).append(R"(:us-east-1:111122223333:*"},)");
  }
  for (int i = 0; i < 6; ++i) {
    doc.append(R"({"Sid":"Bucket)").append(std::to_string(i));
    doc.append(
        R"(","Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::data-)");
    doc.append(std::to_string(i))
        .append(R"(/*","Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32"]}}},)");
  }
  doc.append(R"(
    {"Sid":"Home","Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username}/*"},
    {"Sid":"List","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::home","Condition":{"StringLike":{"s3:prefix":["","${aws:username}/*"]}}},
    {"Sid":"Tls","Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}},
    {"Sid":"Region","Effect":"Deny","NotAction":["iam:*","sts:*"],"Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":["us-east-1","eu-west-1"]}}},
    {"Sid":"Tags","Effect":"Deny","Action":"s3:PutObjectTagging","Resource":"*","Condition":{"ForAnyValue:StringLike":{"aws:TagKeys":"secret*"}}},
    {"Sid":"Lake","Effect":"Allow","Action":["athena:StartQueryExecution","athena:GetQueryResults"],"Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}}
  ]})");
  return doc;
}

constexpr const char* kBucketPolicy = R"({"Version":"2012-10-17","Statement":[
  {"Sid":"DenyInsecure","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::home","arn:aws:s3:::home/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}},
  {"Sid":"Partners","Effect":"Allow","Principal":{"AWS":["444455556666","arn:aws:iam::777788889999:role/reader"]},"Action":"s3:GetObject","Resource":"arn:aws:s3:::home/shared/*"}
]})";

template <typename F>
double NsPer(F&& f, int iterations) {
  auto start = std::chrono::steady_clock::now();
  int sink = 0;
  for (int i = 0; i < iterations; ++i) sink += f();
  auto elapsed = std::chrono::steady_clock::now() - start;
  if (sink == -1) std::puts("");
  return std::chrono::duration<double, std::nano>(elapsed).count() / iterations;
}

}  // namespace

int main() {
  auto identity = ParsePolicy(IdentityPolicy(), PolicyKind::kIdentity);
  auto bucket = ParsePolicy(kBucketPolicy, PolicyKind::kResource);
  if (!identity.ok() || !bucket.ok()) {
    std::fprintf(stderr, "parse failed: %s\n",
                 identity.ok() ? bucket.error().message.c_str() : identity.error().message.c_str());
    return 1;
  }
  PolicySet set;
  set.identity.push_back({"Engineer", &*identity});
  set.resource = PolicyRef{"home bucket policy", &*bucket};

  Request request;
  request.principal.type = PrincipalType::kUser;
  request.principal.account_id = "111122223333";
  request.principal.arn = "arn:aws:iam::111122223333:user/alice";
  AddPrincipalContextKeys(request.principal, "AIDAEXAMPLE", request.context);
  request.context.Set("aws:SourceIp", "10.1.2.3");
  request.context.Set("aws:SecureTransport", "true");
  request.context.Set("aws:RequestedRegion", "us-east-1");
  request.context.Set("aws:CurrentTime", "2026-06-01T12:00:00Z");
  request.action = "s3:GetObject";
  request.resource = "arn:aws:s3:::home/alice/notes.txt";

  Request denied = request;
  denied.resource = "arn:aws:s3:::data-9/x";

  if (!Evaluate(request, set).allowed() || Evaluate(denied, set).allowed()) {
    std::fprintf(stderr, "unexpected decisions\n");
    return 1;
  }
  constexpr int kIterations = 200000;
  double allowed_ns = NsPer([&] { return static_cast<int>(Evaluate(request, set).decision); }, kIterations);
  double denied_ns = NsPer([&] { return static_cast<int>(Evaluate(denied, set).decision); }, kIterations);
  double parse_ns =
      NsPer([&] { return ParsePolicy(IdentityPolicy(), PolicyKind::kIdentity).ok() ? 1 : 0; }, 2000);
  std::printf("iam evaluate, 20-statement identity policy + 2-statement bucket policy:\n");
  std::printf("  allowed (matched at statement 14 of 20): %8.0f ns/evaluation\n", allowed_ns);
  std::printf("  implicit deny (every statement checked): %8.0f ns/evaluation\n", denied_ns);
  std::printf("  parse + compile the identity policy:     %8.0f ns/parse (%.0fx an evaluation)\n", parse_ns,
              parse_ns / allowed_ns);
  return 0;
}
