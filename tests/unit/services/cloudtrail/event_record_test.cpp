// Event records (src/services/cloudtrail/event_record.cpp): the record per principal type, redaction,
// classification and resources; event selectors (selectors.cpp).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wrestrict"  // GCC bug 105329
#endif

#include "services/cloudtrail/event_record.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "http/message.hpp"
#include "iam/directory.hpp"
#include "services/cloudtrail/internal.hpp"

namespace cenote::cloudtrail {
namespace {

namespace json = boost::json;

constexpr std::int64_t kNow = 1'765'000'000'000;  // 2025-12-06T05:46:40Z

struct Call {
  aws::RequestContext ctx;
  json::value params = json::object();
  json::value result = json::object();
  std::optional<Error> error;
  http::Headers headers;

  Call(std::string service, std::string operation) {
    ctx.request_id = "REQ123";
    ctx.region = "us-east-1";
    ctx.service = std::move(service);
    ctx.operation = std::move(operation);
    ctx.source_ip = "203.0.113.7:51234";
    headers.Set("user-agent", "aws-cli/2.9.19 Python/3.11");
    headers.Set("host", "localhost:4566");
    ctx.headers = &headers;
  }
  json::object Record() const {
    aws::pipeline::CallRecord r{.ctx = ctx,
                                .params = &params,
                                .http_status = error ? error->http_status : 200,
                                .error = error ? &*error : nullptr,
                                .result = error ? nullptr : &result};
    return BuildEventRecord(r, Classify(ctx.service, ctx.operation), kNow,
                            "11111111-2222-4333-8444-555555555555", "999999999999");
  }
};

iam::Principal User() {
  iam::Principal p;
  p.type = iam::PrincipalType::kUser;
  p.account_id = "123456789012";
  p.arn = "arn:aws:iam::123456789012:user/ops/alice";
  p.user_id = "AIDAEXAMPLEALICE";
  p.access_key_id = "AKIAEXAMPLEALICE";
  p.entity_arn = p.arn;
  return p;
}

// Values are escaped eight bytes at a time when no byte needs it: every special byte at every position of a
// word, and UTF-8 (bytes >= 0x80 are not escaped), must come back unchanged through a JSON parser.
TEST(CloudTrailRecord, StringsEscapedAtEveryPosition) {
  const std::string specials = std::string("\"\\\n\r\t\b\f\x01\x1f", 9) + std::string(1, '\0');
  std::vector<std::string> keys;
  for (char special : specials) {
    for (std::size_t at = 0; at < 19; ++at) {
      std::string key = "abcdefghijklmnopqr\xc3\xa9";  // 18 ASCII bytes and an e-acute
      key.insert(at, 1, special);
      keys.push_back(key);
    }
  }
  for (const std::string& key : keys) {
    Call c("s3", "DeleteObject");
    c.ctx.principal = User();
    c.params = json::object{{"Bucket", "b"}, {"Key", key}};
    json::object e = c.Record();
    ASSERT_EQ(e["requestParameters"].as_object().at("key").as_string(), key);
  }
}

TEST(CloudTrailRecord, IamUserDeniedDeleteBucket) {
  Call c("s3", "DeleteBucket");
  c.ctx.principal = User();
  c.params = json::object{{"Bucket", "precious"}};
  c.error = MakeError("AccessDenied", "Access Denied", 403);
  json::object e = c.Record();
  EXPECT_EQ(e["eventVersion"], "1.11");
  EXPECT_EQ(e["eventTime"], "2025-12-06T05:46:40Z");
  EXPECT_EQ(e["eventSource"], "s3.amazonaws.com");
  EXPECT_EQ(e["eventName"], "DeleteBucket");
  EXPECT_EQ(e["awsRegion"], "us-east-1");
  EXPECT_EQ(e["sourceIPAddress"], "203.0.113.7");
  EXPECT_EQ(e["userAgent"], "aws-cli/2.9.19 Python/3.11");
  EXPECT_EQ(e["errorCode"], "AccessDenied");
  EXPECT_EQ(e["errorMessage"], "Access Denied");
  EXPECT_EQ(e["requestID"], "REQ123");
  EXPECT_EQ(e["eventID"], "11111111-2222-4333-8444-555555555555");
  EXPECT_EQ(e["readOnly"], false);
  EXPECT_EQ(e["eventType"], "AwsApiCall");
  EXPECT_EQ(e["managementEvent"], true);
  EXPECT_EQ(e["eventCategory"], "Management");
  EXPECT_EQ(e["recipientAccountId"], "123456789012");
  EXPECT_TRUE(e["responseElements"].is_null());
  EXPECT_EQ(e["requestParameters"].at("bucketName"), "precious");
  EXPECT_EQ(e["requestParameters"].at("Host"), "localhost:4566");
  const json::object& id = e["userIdentity"].as_object();
  EXPECT_EQ(id.at("type"), "IAMUser");
  EXPECT_EQ(id.at("principalId"), "AIDAEXAMPLEALICE");
  EXPECT_EQ(id.at("arn"), "arn:aws:iam::123456789012:user/ops/alice");
  EXPECT_EQ(id.at("accountId"), "123456789012");
  EXPECT_EQ(id.at("accessKeyId"), "AKIAEXAMPLEALICE");
  EXPECT_EQ(id.at("userName"), "alice");
  ASSERT_TRUE(e["resources"].is_array());
  EXPECT_EQ(e["resources"].as_array()[0], (json::object{{"accountId", "123456789012"},
                                                        {"type", "AWS::S3::Bucket"},
                                                        {"ARN", "arn:aws:s3:::precious"}}));
  EXPECT_FALSE(e.contains("tlsDetails"));
}

TEST(CloudTrailRecord, Root) {
  Call c("cloudtrail", "DescribeTrails");
  c.ctx.principal.type = iam::PrincipalType::kRoot;
  c.ctx.principal.is_root = true;
  c.ctx.principal.account_id = "123456789012";
  c.ctx.principal.user_id = "123456789012";
  c.ctx.principal.arn = "arn:aws:iam::123456789012:root";
  c.ctx.principal.access_key_id = "AKIAROOT";
  c.ctx.tls = true;
  json::object e = c.Record();
  const json::object& id = e["userIdentity"].as_object();
  EXPECT_EQ(id.at("type"), "Root");
  EXPECT_EQ(id.at("principalId"), "123456789012");
  EXPECT_EQ(id.at("arn"), "arn:aws:iam::123456789012:root");
  EXPECT_FALSE(id.contains("userName"));
  EXPECT_EQ(e["readOnly"], true);
  EXPECT_TRUE(e["requestParameters"].is_null());  // no parameters: null, as AWS records it
  EXPECT_TRUE(e["responseElements"].is_null());   // read-only
  EXPECT_EQ(e["tlsDetails"].at("clientProvidedHostHeader"), "localhost:4566");
}

TEST(CloudTrailRecord, AssumedRoleWithSessionContext) {
  Call c("kinesis", "CreateStream");
  auto session = std::make_shared<iam::Session>();
  session->issued_ms = kNow - 60'000;
  session->mfa = true;
  session->source_identity = "alice";
  c.ctx.principal.type = iam::PrincipalType::kAssumedRole;
  c.ctx.principal.account_id = "123456789012";
  c.ctx.principal.arn = "arn:aws:sts::123456789012:assumed-role/etl/nightly";
  c.ctx.principal.entity_arn = "arn:aws:iam::123456789012:role/data/etl";
  c.ctx.principal.user_id = "AROAEXAMPLEETL:nightly";
  c.ctx.principal.access_key_id = "ASIAEXAMPLE";
  c.ctx.principal.session = session;
  c.params = json::object{{"StreamName", "clicks"}, {"ShardCount", 1}};
  json::object e = c.Record();
  const json::object& id = e["userIdentity"].as_object();
  EXPECT_EQ(id.at("type"), "AssumedRole");
  EXPECT_EQ(id.at("principalId"), "AROAEXAMPLEETL:nightly");
  const json::object& sc = id.at("sessionContext").as_object();
  EXPECT_EQ(sc.at("sessionIssuer"), (json::object{{"type", "Role"},
                                                  {"principalId", "AROAEXAMPLEETL"},
                                                  {"arn", "arn:aws:iam::123456789012:role/data/etl"},
                                                  {"accountId", "123456789012"},
                                                  {"userName", "etl"}}));
  EXPECT_EQ(sc.at("attributes"),
            (json::object{{"creationDate", "2025-12-06T05:45:40Z"}, {"mfaAuthenticated", "true"}}));
  EXPECT_EQ(sc.at("sourceIdentity"), "alice");
  EXPECT_EQ(e["requestParameters"], (json::object{{"streamName", "clicks"}, {"shardCount", 1}}));
  EXPECT_EQ(e["resources"].as_array()[0].at("type"), "AWS::Kinesis::Stream");
  EXPECT_EQ(e["resources"].as_array()[0].at("ARN"), "arn:aws:kinesis:us-east-1:123456789012:stream/clicks");
}

TEST(CloudTrailRecord, ServicePrincipalAndForwardedCaller) {
  Call c("s3", "PutObject");
  c.ctx.headers = nullptr;
  c.ctx.principal.type = iam::PrincipalType::kService;
  c.ctx.principal.account_id = "123456789012";
  c.ctx.principal.arn = "logging.s3.amazonaws.com";
  c.ctx.invoked_by = "logging.s3.amazonaws.com";
  c.ctx.source_ip = "logging.s3.amazonaws.com";
  c.params = json::object{{"Bucket", "logs"}, {"Key", "2025-12-06-log"}};
  json::object e = c.Record();
  EXPECT_EQ(e["userIdentity"],
            (json::object{{"type", "AWSService"}, {"invokedBy", "logging.s3.amazonaws.com"}}));
  EXPECT_EQ(e["sourceIPAddress"], "logging.s3.amazonaws.com");
  EXPECT_EQ(e["userAgent"], "logging.s3.amazonaws.com");
  EXPECT_EQ(e["eventCategory"], "Data");
  EXPECT_EQ(e["managementEvent"], false);
  EXPECT_EQ(e["resources"].as_array()[0].at("ARN"), "arn:aws:s3:::logs/2025-12-06-log");
  EXPECT_EQ(e["resources"].as_array()[0].at("type"), "AWS::S3::Object");

  // Athena reading the caller's table with the caller's credentials: the caller, invoked by Athena.
  Call f("glue", "GetTable");
  f.ctx.headers = nullptr;
  f.ctx.principal = User();
  f.ctx.principal.access_key_id.clear();
  f.ctx.invoked_by = "athena.amazonaws.com";
  f.ctx.source_ip = "athena.amazonaws.com";
  f.ctx.forwarded = true;
  f.params = json::object{{"DatabaseName", "db"}, {"Name", "t"}};
  json::object g = f.Record();
  EXPECT_EQ(g["userIdentity"].at("type"), "IAMUser");
  EXPECT_EQ(g["userIdentity"].at("invokedBy"), "athena.amazonaws.com");
  EXPECT_EQ(g["sourceIPAddress"], "athena.amazonaws.com");
  EXPECT_EQ(g["userAgent"], "athena.amazonaws.com");
}

TEST(CloudTrailRecord, AnonymousCaller) {
  Call c("s3", "GetObject");
  c.ctx.principal.type = iam::PrincipalType::kAnonymous;
  c.ctx.principal.anonymous = true;
  c.params = json::object{{"Bucket", "public"}, {"Key", "index.html"}};
  json::object e = c.Record();
  EXPECT_EQ(
      e["userIdentity"],
      (json::object{{"type", "AWSAccount"}, {"principalId", ""}, {"accountId", "ANONYMOUS_PRINCIPAL"}}));
  EXPECT_EQ(e["recipientAccountId"], "999999999999");  // S3 ARNs name no account: the fallback
  EXPECT_EQ(e["readOnly"], true);
}

TEST(CloudTrailRecord, SecretsAreLeftOut) {
  Call c("iam", "CreateAccessKey");
  c.ctx.principal = User();
  c.params = json::object{{"UserName", "bob"}};
  c.result = json::object{{"AccessKey", json::object{{"UserName", "bob"},
                                                     {"AccessKeyId", "AKIABOB"},
                                                     {"Status", "Active"},
                                                     {"SecretAccessKey", "s3cr3t"}}}};
  json::object e = c.Record();
  EXPECT_EQ(
      e["responseElements"],
      (json::object{{"accessKey",
                     json::object{{"userName", "bob"}, {"accessKeyId", "AKIABOB"}, {"status", "Active"}}}}));
  EXPECT_EQ(json::serialize(e).find("s3cr3t"), std::string::npos);

  Call l("iam", "CreateLoginProfile");
  l.ctx.principal = User();
  l.params = json::object{{"UserName", "bob"}, {"Password", "hunter2"}, {"PasswordResetRequired", true}};
  EXPECT_EQ(json::serialize(l.Record()).find("hunter2"), std::string::npos);

  Call k("kinesis", "PutRecord");
  k.ctx.principal = User();
  k.params = json::object{{"StreamName", "s"}, {"PartitionKey", "p"}, {"Data", "payload-bytes"}};
  json::object ke = k.Record();
  EXPECT_EQ(json::serialize(ke).find("payload-bytes"), std::string::npos);
  EXPECT_EQ(ke["requestParameters"].at("partitionKey"), "p");

  Call s("sts", "AssumeRole");
  s.ctx.principal = User();
  s.params = json::object{{"RoleArn", "arn:aws:iam::123456789012:role/r"}, {"RoleSessionName", "x"}};
  s.result = json::object{{"Credentials", json::object{{"AccessKeyId", "ASIA1"},
                                                       {"SecretAccessKey", "zzz"},
                                                       {"SessionToken", "tok"},
                                                       {"Expiration", 1}}}};
  json::object se = s.Record();
  EXPECT_EQ(se["responseElements"].at("credentials").as_object().count("secretAccessKey"), 0u);
  EXPECT_EQ(se["responseElements"].at("credentials").at("accessKeyId"), "ASIA1");

  Call m("kms", "Decrypt");
  m.ctx.principal = User();
  m.params = json::object{{"CiphertextBlob", "ct"}};
  m.result = json::object{{"Plaintext", "pt-secret"}, {"KeyId", "k"}};
  json::object me = m.Record();
  EXPECT_EQ(json::serialize(me).find("pt-secret"), std::string::npos);
  EXPECT_EQ(me["readOnly"], true);
}

TEST(CloudTrailClassify, DataAndManagementAsAwsClassifiesThem) {
  EXPECT_TRUE(Classify("s3", "GetObject").data);
  EXPECT_TRUE(Classify("s3", "GetObject").read_only);
  EXPECT_TRUE(Classify("s3", "PutObject").data);
  EXPECT_FALSE(Classify("s3", "PutObject").read_only);
  EXPECT_TRUE(Classify("s3", "DeleteObjects").data);
  EXPECT_FALSE(Classify("s3", "CreateBucket").data);
  EXPECT_FALSE(Classify("s3", "ListBuckets").data);
  EXPECT_TRUE(Classify("s3", "ListBuckets").read_only);
  EXPECT_FALSE(Classify("s3", "PutBucketPolicy").data);
  EXPECT_TRUE(Classify("kinesis", "PutRecords").data);
  EXPECT_TRUE(Classify("kinesis", "GetRecords").data);
  EXPECT_FALSE(Classify("kinesis", "CreateStream").data);
  EXPECT_FALSE(Classify("glue", "GetTable").data);
  EXPECT_TRUE(Classify("glue", "GetTable").read_only);
  EXPECT_FALSE(Classify("athena", "StartQueryExecution").read_only);
  EXPECT_TRUE(Classify("kms", "Encrypt").read_only);
  EXPECT_TRUE(Classify("cloudtrail", "LookupEvents").read_only);
  EXPECT_FALSE(Classify("iam", "Listen").read_only);  // "List" must be a word
}

TEST(CloudTrailRecord, ResourceTypes) {
  EXPECT_EQ(ResourceTypeOf("arn:aws:s3:::b"), "AWS::S3::Bucket");
  EXPECT_EQ(ResourceTypeOf("arn:aws:s3:::b/k/x"), "AWS::S3::Object");
  EXPECT_EQ(ResourceTypeOf("arn:aws:glue:us-east-1:1:table/db/t"), "AWS::Glue::Table");
  EXPECT_EQ(ResourceTypeOf("arn:aws:cloudtrail:us-east-1:1:trail/t"), "AWS::CloudTrail::Trail");
  EXPECT_EQ(ResourceTypeOf("arn:aws:iam::1:user/a"), "AWS::IAM::User");
  EXPECT_EQ(ResourceTypeOf("arn:aws:kinesis:us-east-1:1:stream/s/consumer/c:1"),
            "AWS::Kinesis::StreamConsumer");
  EXPECT_EQ(TrailArnOf("t1", "eu-west-1", "123456789012"),
            "arn:aws:cloudtrail:eu-west-1:123456789012:trail/t1");
  EXPECT_EQ(TrailArnOf("arn:aws:cloudtrail:us-east-1:1:trail/x", "eu-west-1", "2"),
            "arn:aws:cloudtrail:us-east-1:1:trail/x");
}

json::object S3Event(std::string name, std::string arn, bool read_only) {
  return json::object{{"eventCategory", "Data"},
                      {"eventSource", "s3.amazonaws.com"},
                      {"eventName", name},
                      {"readOnly", read_only},
                      {"resources", json::array{json::object{{"type", "AWS::S3::Object"}, {"ARN", arn}}}}};
}

TEST(CloudTrailSelectors, BasicSelectorsMatchPerAws) {
  json::object mgmt{
      {"eventCategory", "Management"}, {"eventSource", "kms.amazonaws.com"}, {"readOnly", false}};
  EXPECT_TRUE(SelectorsMatch(Selectors::Default(), mgmt));
  EXPECT_FALSE(SelectorsMatch(Selectors::Default(), S3Event("GetObject", "arn:aws:s3:::b/k", true)));
  auto parsed = ParseSelectors(json::parse(R"({"EventSelectors": [{"ReadWriteType": "WriteOnly",
      "IncludeManagementEvents": true, "ExcludeManagementEventSources": ["kms.amazonaws.com"],
      "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::b/logs/"]}]}]})")
                                   .as_object());
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->SelectsData());
  EXPECT_TRUE(SelectorsMatch(*parsed, S3Event("PutObject", "arn:aws:s3:::b/logs/1", false)));
  EXPECT_FALSE(SelectorsMatch(*parsed, S3Event("GetObject", "arn:aws:s3:::b/logs/1", true)));  // WriteOnly
  EXPECT_FALSE(SelectorsMatch(*parsed, S3Event("PutObject", "arn:aws:s3:::b/other", false)));  // prefix
  EXPECT_FALSE(SelectorsMatch(*parsed, mgmt));  // excluded source
  auto all = ParseSelectors(json::parse(R"({"EventSelectors": [{"DataResources":
      [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}]}]})")
                                .as_object());
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(SelectorsMatch(*all, S3Event("GetObject", "arn:aws:s3:::any/k", true)));
  // Errors as AWS answers them.
  EXPECT_EQ(ParseSelectors(json::parse(R"({"EventSelectors": [{"DataResources":
      [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::bucket-without-slash"]}]}]})")
                               .as_object())
                .error()
                .code,
            "InvalidEventSelectorsException");
  EXPECT_EQ(ParseSelectors(json::parse(R"({"EventSelectors": [], "AdvancedEventSelectors": []})").as_object())
                .error()
                .code,
            "InvalidParameterCombinationException");
}

TEST(CloudTrailSelectors, AdvancedSelectors) {
  auto parsed = ParseSelectors(json::parse(R"({"AdvancedEventSelectors": [
      {"Name": "writes to b", "FieldSelectors": [
        {"Field": "eventCategory", "Equals": ["Data"]},
        {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
        {"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::b/"]},
        {"Field": "readOnly", "Equals": ["false"]},
        {"Field": "eventName", "NotEquals": ["DeleteObject"]}]},
      {"Name": "management", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}]})")
                                   .as_object());
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_TRUE(parsed->SelectsData());
  EXPECT_TRUE(SelectorsMatch(*parsed, S3Event("PutObject", "arn:aws:s3:::b/x", false)));
  EXPECT_FALSE(SelectorsMatch(*parsed, S3Event("DeleteObject", "arn:aws:s3:::b/x", false)));
  EXPECT_FALSE(SelectorsMatch(*parsed, S3Event("GetObject", "arn:aws:s3:::b/x", true)));
  EXPECT_FALSE(SelectorsMatch(*parsed, S3Event("PutObject", "arn:aws:s3:::c/x", false)));
  EXPECT_TRUE(SelectorsMatch(*parsed, json::object{{"eventCategory", "Management"}}));
  EXPECT_EQ(ParseSelectors(json::parse(R"({"AdvancedEventSelectors": [{"FieldSelectors": [
      {"Field": "eventName", "Equals": ["x"]}]}]})")
                               .as_object())
                .error()
                .code,
            "InvalidEventSelectorsException");
}

}  // namespace
}  // namespace cenote::cloudtrail

namespace cenote::cloudtrail {
namespace {
// What writing one S3 GetObject record costs on the request's thread (printed; never a failure).
TEST(CloudTrailRecord, BuildCost) {
  Call c("s3", "GetObject");
  c.ctx.principal = User();
  c.params = json::object{{"Bucket", "ct-bench"}, {"Key", "data/object-4k"}};
  aws::pipeline::CallRecord r{.ctx = c.ctx, .params = &c.params, .result = &c.result};
  const EventClass cls = Classify("s3", "GetObject");
  constexpr int kN = 20000;
  // CPU time of this thread: wall time on a shared machine counts the waits for a core.
  auto cpu_now = [] {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
  };
  auto t0 = cpu_now();
  std::size_t bytes = 0;
  std::string text;
  for (int i = 0; i < kN; ++i) {
    text.clear();
    EventSummary summary;
    WriteEventRecord(r, cls, kNow, "11111111-2222-4333-8444-555555555555", "999999999999", text, summary);
    bytes += text.size();
  }
  auto t1 = cpu_now();
  std::printf("S3 GetObject record written: %.2f us of CPU (%zu bytes)\n",
              std::chrono::duration<double, std::micro>(t1 - t0).count() / kN, bytes / kN);
}
}  // namespace
}  // namespace cenote::cloudtrail
