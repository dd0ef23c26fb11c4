// The action maps (src/services/<service>/iam_actions.json) against the services' supported operations, and
// the resolution of the cases AWS documents (S3 User Guide, "Required permissions for Amazon S3 API
// operations"; the Service Authorization Reference of each service; Glue's "Specifying AWS Glue resource
// ARNs").
#include "iam/action_map.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace cenote::iam {
namespace {

namespace json = boost::json;

constexpr std::string_view kRegion = "eu-west-1";
constexpr std::string_view kAccount = "123456789012";

// The operations of docs/<service>-coverage.md (generated from each provider's operation table, and checked
// against it by the provider's CoverageDocMatchesProvider test), by status: "supported" or any status.
std::set<std::string> CoverageOperations(const std::string& service, bool supported_only) {
  std::ifstream in(std::string(CENOTE_SOURCE_DIR) + "/docs/" + service + "-coverage.md");
  EXPECT_TRUE(in.good()) << service;
  std::set<std::string> out;
  std::string line;
  static const std::regex kRow(R"(^\| (\w+) \| ([a-z ]+) \|)");
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_search(line, m, kRow) && (!supported_only || m[2] == "supported")) out.insert(m[1]);
  }
  return out;
}

// Every service with a coverage doc (docs/<service>-coverage.md), sorted: each must have an action map.
std::vector<std::string> CoveredServices() {
  std::vector<std::string> out;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(CENOTE_SOURCE_DIR) + "/docs")) {
    std::string name = entry.path().filename().string();
    if (name.ends_with("-coverage.md"))
      out.push_back(name.substr(0, name.size() - std::string("-coverage.md").size()));
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(ActionMapTest, EveryEmbeddedMapParsesAndEveryServiceHasOne) {
  EXPECT_TRUE(ActionMap::EmbeddedErrors().empty()) << ActionMap::EmbeddedErrors().front();
  const std::vector<std::string_view> names = ActionMap::Services();
  std::vector<std::string> services(names.begin(), names.end());
  EXPECT_EQ(services, CoveredServices()) << "add src/services/<service>/iam_actions.json";
  EXPECT_GE(services.size(), 5u);
}

TEST(ActionMapTest, EverySupportedOperationIsMapped) {
  for (const std::string& service : CoveredServices()) {
    const ActionMap* map = ActionMap::Find(service);
    ASSERT_NE(map, nullptr) << service;
    std::set<std::string> mapped;
    for (std::string_view op : map->Operations()) mapped.emplace(op);
    const std::set<std::string> supported = CoverageOperations(service, true);
    ASSERT_FALSE(supported.empty()) << service;
    for (const std::string& op : supported)
      EXPECT_TRUE(mapped.contains(op)) << service << " " << op << " unmapped";
    // A mapping names an operation the service supports (a real one, listed by the coverage doc).
    for (const std::string& op : mapped)
      EXPECT_TRUE(supported.contains(op)) << service << " maps unknown " << op;
    for (const std::string& op : mapped) {
      for (std::string_view action : map->Actions(op)) {
        // iam:PassRole is the one other service's action a map may name (a role handed to the service).
        if (action == "iam:PassRole") continue;
        EXPECT_TRUE(action.starts_with(service + ":")) << service << " " << op << ": " << action;
        EXPECT_GT(action.size(), service.size() + 1);
      }
    }
  }
}

TEST(ActionMapTest, UnsignedRequestsAndAuthorizerModesAreData) {
  const char* op = R"("operations": {"Get": {"authorizer": "handler",
      "authorizations": [{"action": "x:Get", "resource": "*"}]}})";
  auto refused = ActionMap::Parse(std::string(R"({"service": "x", )") + op + "}");
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->Unsigned(), UnsignedRequests::kRefused);
  EXPECT_EQ(refused->Mode("Get"), AuthorizerMode::kHandler);
  EXPECT_EQ(refused->Mode("Other"), AuthorizerMode::kEvaluate);
  auto handler = ActionMap::Parse(std::string(R"({"service": "x", "unsigned": "handler", )") + op + "}");
  ASSERT_TRUE(handler.ok());
  EXPECT_EQ(handler->Unsigned(), UnsignedRequests::kHandlerOnly);
  EXPECT_FALSE(ActionMap::Parse(std::string(R"({"service": "x", "unsigned": "yes", )") + op + "}").ok());
  // The embedded maps: S3 evaluates anonymous callers; STS takes unsigned calls for its handler only.
  EXPECT_EQ(ActionMap::Find("s3")->Unsigned(), UnsignedRequests::kAnonymous);
  EXPECT_EQ(ActionMap::Find("sts")->Unsigned(), UnsignedRequests::kHandlerOnly);
  EXPECT_EQ(ActionMap::Find("glue")->Unsigned(), UnsignedRequests::kRefused);
  EXPECT_EQ(ActionMap::Find("sts")->Mode("GetCallerIdentity"), AuthorizerMode::kAllowSigned);
}

TEST(ActionMapTest, ParseRejectsMalformedMaps) {
  EXPECT_FALSE(ActionMap::Parse("{").ok());
  EXPECT_FALSE(
      ActionMap::Parse(R"({"service": "s3", "operations": {"GetObject": {"authorizations": []}}})").ok());
  // Another service's action.
  EXPECT_FALSE(ActionMap::Parse(R"({"service": "s3", "operations": {"GetObject": {"authorizations": [
      {"action": "glue:GetTable", "resource": "*"}]}}})")
                   .ok());
  // An unknown named resource, an unknown field, an unclosed placeholder, forEach without as.
  EXPECT_FALSE(ActionMap::Parse(R"({"service": "s3", "operations": {"GetObject": {"authorizations": [
      {"action": "s3:GetObject", "resource": "objcet"}]}}})")
                   .ok());
  EXPECT_FALSE(ActionMap::Parse(R"({"service": "s3", "operations": {"GetObject": {"authorizations": [
      {"action": "s3:GetObject", "resource": "*", "If": "x"}]}}})")
                   .ok());
  EXPECT_FALSE(ActionMap::Parse(R"({"service": "s3", "operations": {"GetObject": {"authorizations": [
      {"action": "s3:GetObject", "resource": "arn:${Partition}:s3:::${Bucket"}]}}})")
                   .ok());
  EXPECT_FALSE(ActionMap::Parse(R"({"service": "s3", "operations": {"GetObject": {"authorizations": [
      {"action": "s3:GetObject", "resource": "*", "forEach": "Delete.Objects"}]}}})")
                   .ok());
}

std::vector<RequiredAuthorization> ResolveOk(std::string_view service, std::string_view op,
                                             json::object params, const ActionLookup& lookup = {}) {
  auto r = Resolve(service, op, params, kRegion, kAccount, lookup);
  EXPECT_TRUE(r.ok()) << service << " " << op << ": " << (r.ok() ? "" : r.error().message);
  return r.ok() ? std::move(r).value() : std::vector<RequiredAuthorization>{};
}

std::vector<std::pair<std::string, std::string>> Pairs(const std::vector<RequiredAuthorization>& auths) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& a : auths) out.emplace_back(a.action, a.resource);
  return out;
}

using P = std::vector<std::pair<std::string, std::string>>;

TEST(ActionMapTest, HeadObjectIsGetObject) {
  EXPECT_EQ(Pairs(ResolveOk("s3", "HeadObject", {{"Bucket", "b"}, {"Key", "k"}})),
            (P{{"s3:GetObject", "arn:aws:s3:::b/k"}}));
}

TEST(ActionMapTest, RolesHandedToAServiceNeedPassRole) {
  // A rule target's role: one iam:PassRole per target that has one, passed to EventBridge.
  json::array targets{json::object{{"Id", "q"}, {"Arn", "arn:aws:sqs:eu-west-1:123456789012:q"}},
                      json::object{{"Id", "k"},
                                   {"Arn", "arn:aws:kinesis:eu-west-1:123456789012:stream/s"},
                                   {"RoleArn", "arn:aws:iam::123456789012:role/to-kinesis"}}};
  const ActionLookup rule_arn = [](std::string_view, std::span<const std::string>) -> Result<std::string> {
    return std::string("arn:aws:events:eu-west-1:123456789012:rule/r");
  };
  auto auths = ResolveOk("events", "PutTargets", {{"Rule", "r"}, {"Targets", targets}}, rule_arn);
  ASSERT_EQ(auths.size(), 2u);
  EXPECT_EQ(auths[1].action, "iam:PassRole");
  EXPECT_EQ(auths[1].resource, "arn:aws:iam::123456789012:role/to-kinesis");
  const std::vector<std::string>* to = auths[1].context.Find("iam:PassedToService");
  ASSERT_NE(to, nullptr);
  EXPECT_EQ(*to, std::vector<std::string>{"events.amazonaws.com"});
  // Glue's Role is a name or an ARN; a name becomes this account's role.
  EXPECT_EQ(Pairs(ResolveOk("glue", "CreateCrawler", {{"Name", "c"}, {"Role", "service-role/crawl"}}))[1],
            (std::pair<std::string, std::string>{"iam:PassRole",
                                                 "arn:aws:iam::123456789012:role/service-role/crawl"}));
  // A subscription attribute other than the role passes none.
  EXPECT_EQ(ResolveOk("sns", "SetSubscriptionAttributes",
                      {{"SubscriptionArn", "arn:aws:sns:eu-west-1:123456789012:t:1"},
                       {"AttributeName", "RawMessageDelivery"},
                       {"AttributeValue", "true"}})
                .size(),
            1u);
  // No other service's action is allowed in a map.
  EXPECT_FALSE(ActionMap::Parse(R"({"service": "s3", "operations": {"GetObject": {"authorizations": [
      {"action": "iam:GetRole", "resource": "*"}]}}})")
                   .ok());
}

TEST(ActionMapTest, GetObjectWithVersionIdIsGetObjectVersion) {
  auto auths = ResolveOk("s3", "GetObject", {{"Bucket", "b"}, {"Key", "a/b c"}, {"VersionId", "v1"}});
  EXPECT_EQ(Pairs(auths), (P{{"s3:GetObjectVersion", "arn:aws:s3:::b/a/b c"}}));
  ASSERT_NE(auths[0].context.Find("s3:VersionId"), nullptr);
  EXPECT_EQ(*auths[0].context.Find("s3:VersionId"), std::vector<std::string>{"v1"});
}

TEST(ActionMapTest, ListObjectsV2IsListBucketWithPrefix) {
  auto auths = ResolveOk("s3", "ListObjectsV2", {{"Bucket", "b"}, {"Prefix", "logs/"}, {"MaxKeys", 10}});
  EXPECT_EQ(Pairs(auths), (P{{"s3:ListBucket", "arn:aws:s3:::b"}}));
  ASSERT_NE(auths[0].context.Find("s3:prefix"), nullptr);
  EXPECT_EQ(*auths[0].context.Find("s3:prefix"), std::vector<std::string>{"logs/"});
  EXPECT_EQ(*auths[0].context.Find("s3:max-keys"), std::vector<std::string>{"10"});
  EXPECT_EQ(auths[0].context.Find("s3:delimiter"), nullptr);
}

TEST(ActionMapTest, ListObjectVersionsIsListBucketVersions) {
  EXPECT_EQ(Pairs(ResolveOk("s3", "ListObjectVersions", {{"Bucket", "b"}})),
            (P{{"s3:ListBucketVersions", "arn:aws:s3:::b"}}));
  EXPECT_EQ(Pairs(ResolveOk("s3", "ListBuckets", {})), (P{{"s3:ListAllMyBuckets", "*"}}));
}

TEST(ActionMapTest, CopyObjectReadsTheSourceAndWritesTheDestination) {
  EXPECT_EQ(Pairs(ResolveOk("s3", "CopyObject",
                            {{"Bucket", "dst"}, {"Key", "d"}, {"CopySource", "/src/dir/s%20k"}})),
            (P{{"s3:GetObject", "arn:aws:s3:::src/dir/s k"}, {"s3:PutObject", "arn:aws:s3:::dst/d"}}));
  EXPECT_EQ(Pairs(ResolveOk("s3", "CopyObject",
                            {{"Bucket", "dst"}, {"Key", "d"}, {"CopySource", "src/s?versionId=v2"}})),
            (P{{"s3:GetObjectVersion", "arn:aws:s3:::src/s"}, {"s3:PutObject", "arn:aws:s3:::dst/d"}}));
  EXPECT_EQ(Pairs(ResolveOk("s3", "UploadPartCopy",
                            {{"Bucket", "dst"}, {"Key", "d"}, {"CopySource", "src/s"}, {"UploadId", "u"}})),
            (P{{"s3:GetObject", "arn:aws:s3:::src/s"}, {"s3:PutObject", "arn:aws:s3:::dst/d"}}));
  // A copy source that names no object is refused, not mapped to a guessed ARN.
  EXPECT_FALSE(Resolve("s3", "CopyObject",
                       json::object{{"Bucket", "dst"}, {"Key", "d"}, {"CopySource", "src"}}, kRegion,
                       kAccount)
                   .ok());
}

TEST(ActionMapTest, PutObjectWithAclAlsoNeedsPutObjectAcl) {
  auto auths = ResolveOk("s3", "PutObject",
                         {{"Bucket", "b"}, {"Key", "k"}, {"ACL", "public-read"}, {"GrantRead", "id=x"}});
  EXPECT_EQ(Pairs(auths), (P{{"s3:PutObject", "arn:aws:s3:::b/k"}, {"s3:PutObjectAcl", "arn:aws:s3:::b/k"}}));
  EXPECT_EQ(*auths[1].context.Find("s3:x-amz-acl"), std::vector<std::string>{"public-read"});
  // The canned ACL bucket-owner-full-control alone needs only s3:PutObject (AWS's documented delivery
  // policies for CloudTrail, Config and ELB logs grant nothing else), with s3:x-amz-acl for their condition.
  auto owner =
      ResolveOk("s3", "PutObject", {{"Bucket", "b"}, {"Key", "k"}, {"ACL", "bucket-owner-full-control"}});
  EXPECT_EQ(Pairs(owner), (P{{"s3:PutObject", "arn:aws:s3:::b/k"}}));
  EXPECT_EQ(*owner[0].context.Find("s3:x-amz-acl"), std::vector<std::string>{"bucket-owner-full-control"});
  EXPECT_EQ(Pairs(ResolveOk("s3", "PutObject", {{"Bucket", "b"}, {"Key", "k"}, {"Tagging", "a=1"}})),
            (P{{"s3:PutObject", "arn:aws:s3:::b/k"}, {"s3:PutObjectTagging", "arn:aws:s3:::b/k"}}));
  EXPECT_EQ(Pairs(ResolveOk("s3", "PutObject", {{"Bucket", "b"}, {"Key", "k"}})),
            (P{{"s3:PutObject", "arn:aws:s3:::b/k"}}));
}

TEST(ActionMapTest, DeleteObjectsNeedsDeleteObjectPerKey) {
  json::array objects = {json::object{{"Key", "a"}}, json::object{{"Key", "b"}, {"VersionId", "v"}},
                         json::object{{"Key", "c"}}};
  auto auths =
      ResolveOk("s3", "DeleteObjects", {{"Bucket", "bk"}, {"Delete", json::object{{"Objects", objects}}}});
  EXPECT_EQ(Pairs(auths), (P{{"s3:DeleteObject", "arn:aws:s3:::bk/a"},
                             {"s3:DeleteObject", "arn:aws:s3:::bk/c"},
                             {"s3:DeleteObjectVersion", "arn:aws:s3:::bk/b"}}));
  EXPECT_EQ(*auths[2].context.Find("s3:VersionId"), std::vector<std::string>{"v"});
  // No keys would require nothing: refused.
  EXPECT_FALSE(Resolve("s3", "DeleteObjects",
                       json::object{{"Bucket", "bk"}, {"Delete", json::object{{"Objects", json::array()}}}},
                       kRegion, kAccount)
                   .ok());
}

TEST(ActionMapTest, MissingMemberIsAnErrorNeverAPartialArn) {
  auto r = Resolve("s3", "GetObject", json::object{{"Bucket", "b"}}, kRegion, kAccount);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("Key"), std::string::npos) << r.error().message;
  EXPECT_FALSE(Resolve("s3", "NoSuchOperation", json::object{}, kRegion, kAccount).ok());
  EXPECT_FALSE(Resolve("nosuchservice", "GetObject", json::object{}, kRegion, kAccount).ok());
}

TEST(ActionMapTest, KinesisStreamByNameOrArn) {
  EXPECT_EQ(Pairs(ResolveOk("kinesis", "PutRecord",
                            {{"StreamName", "s1"}, {"Data", "eA=="}, {"PartitionKey", "p"}})),
            (P{{"kinesis:PutRecord", "arn:aws:kinesis:eu-west-1:123456789012:stream/s1"}}));
  EXPECT_EQ(Pairs(ResolveOk("kinesis", "PutRecord",
                            {{"StreamARN", "arn:aws:kinesis:eu-west-1:210987654321:stream/s2"},
                             {"Data", "eA=="},
                             {"PartitionKey", "p"}})),
            (P{{"kinesis:PutRecord", "arn:aws:kinesis:eu-west-1:210987654321:stream/s2"}}));
  EXPECT_EQ(Pairs(ResolveOk("kinesis", "ListStreams", {})), (P{{"kinesis:ListStreams", "*"}}));
}

TEST(ActionMapTest, LookupsSupplyWhatTheInputDoesNotCarry) {
  json::object get_records{{"ShardIterator", "opaque"}};
  // Without a lookup the resource cannot be named: an error, not a guess.
  EXPECT_FALSE(Resolve("kinesis", "GetRecords", get_records, kRegion, kAccount).ok());
  ActionLookup lookup = [](std::string_view name, std::span<const std::string> args) -> Result<std::string> {
    if (name == "ShardIteratorStreamARN" && args.size() == 1 && args[0] == "opaque")
      return std::string("arn:aws:kinesis:eu-west-1:123456789012:stream/s1");
    if (name == "QueryExecutionWorkGroup") return std::string("wg-of-" + args[0]);
    return MakeError("InvalidArgumentException", "bad " + std::string(name));
  };
  EXPECT_EQ(Pairs(ResolveOk("kinesis", "GetRecords", get_records, lookup)),
            (P{{"kinesis:GetRecords", "arn:aws:kinesis:eu-west-1:123456789012:stream/s1"}}));
  EXPECT_EQ(Pairs(ResolveOk("athena", "GetQueryResults", {{"QueryExecutionId", "q1"}}, lookup)),
            (P{{"athena:GetQueryResults", "arn:aws:athena:eu-west-1:123456789012:workgroup/wg-of-q1"}}));
  // A lookup's own error is the answer.
  auto r = Resolve("athena", "GetNamedQuery", json::object{{"NamedQueryId", "n"}}, kRegion, kAccount, lookup);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "InvalidArgumentException");
}

TEST(ActionMapTest, GlueGetTableNeedsCatalogDatabaseAndTable) {
  const std::string p = "arn:aws:glue:eu-west-1:123456789012:";
  EXPECT_EQ(Pairs(ResolveOk("glue", "GetTable", {{"DatabaseName", "db"}, {"Name", "t"}})),
            (P{{"glue:GetTable", p + "catalog"},
               {"glue:GetTable", p + "database/db"},
               {"glue:GetTable", p + "table/db/t"}}));
  // CatalogId is the catalog's account.
  EXPECT_EQ(Pairs(ResolveOk("glue", "GetTables", {{"CatalogId", "210987654321"}, {"DatabaseName", "db"}}))[2],
            std::make_pair(std::string("glue:GetTables"),
                           std::string("arn:aws:glue:eu-west-1:210987654321:table/db/*")));
  auto batch = ResolveOk("glue", "BatchDeleteTable",
                         {{"DatabaseName", "db"}, {"TablesToDelete", json::array{"a", "b"}}});
  EXPECT_EQ(Pairs(batch), (P{{"glue:BatchDeleteTable", p + "catalog"},
                             {"glue:BatchDeleteTable", p + "database/db"},
                             {"glue:BatchDeleteTable", p + "table/db/a"},
                             {"glue:BatchDeleteTable", p + "table/db/b"}}));
}

TEST(ActionMapTest, AthenaStartQueryExecutionIsOnTheWorkgroup) {
  EXPECT_EQ(
      Pairs(ResolveOk("athena", "StartQueryExecution", {{"QueryString", "SELECT 1"}, {"WorkGroup", "etl"}})),
      (P{{"athena:StartQueryExecution", "arn:aws:athena:eu-west-1:123456789012:workgroup/etl"}}));
  EXPECT_EQ(Pairs(ResolveOk("athena", "StartQueryExecution", {{"QueryString", "SELECT 1"}})),
            (P{{"athena:StartQueryExecution", "arn:aws:athena:eu-west-1:123456789012:workgroup/primary"}}));
}

TEST(ActionMapTest, TagsBecomeRequestTagKeys) {
  auto auths = ResolveOk("firehose", "TagDeliveryStream",
                         {{"DeliveryStreamName", "d"},
                          {"Tags", json::array{json::object{{"Key", "team"}, {"Value", "data"}},
                                               json::object{{"Key", "env"}, {"Value", "dev"}}}}});
  ASSERT_EQ(auths.size(), 1u);
  EXPECT_EQ(auths[0].resource, "arn:aws:firehose:eu-west-1:123456789012:deliverystream/d");
  EXPECT_EQ(*auths[0].context.Find("aws:RequestTag/team"), std::vector<std::string>{"data"});
  EXPECT_EQ(*auths[0].context.Find("aws:TagKeys"), (std::vector<std::string>{"team", "env"}));
  auto glue = ResolveOk("glue", "TagResource",
                        {{"ResourceArn", "arn:aws:glue:eu-west-1:123456789012:database/db"},
                         {"TagsToAdd", json::object{{"owner", "me"}}}});
  EXPECT_EQ(*glue[0].context.Find("aws:RequestTag/owner"), std::vector<std::string>{"me"});
}

TEST(ActionMapTest, ColonKeysExpandPerEntryAndTagKeyListsAreTags) {
  // KMS: kms:EncryptionContext:<key> per context entry; tags spelled [{TagKey, TagValue}].
  auto lookup = [](std::string_view name, std::span<const std::string> args) -> Result<std::string> {
    EXPECT_EQ(name, "KeyArn");
    return "arn:aws:kms:" + args[1] + ":" + args[2] + ":key/" + args[0];
  };
  auto auths = ResolveOk("kms", "Encrypt",
                         {{"KeyId", "k1"},
                          {"Plaintext", "x"},
                          {"EncryptionContext", json::object{{"dept", "it"}, {"app", "etl"}}}},
                         lookup);
  ASSERT_EQ(auths.size(), 1u);
  EXPECT_EQ(auths[0].resource, "arn:aws:kms:eu-west-1:123456789012:key/k1");
  EXPECT_EQ(*auths[0].context.Find("kms:EncryptionContext:dept"), std::vector<std::string>{"it"});
  EXPECT_EQ(*auths[0].context.Find("kms:EncryptionContext:app"), std::vector<std::string>{"etl"});
  EXPECT_EQ(*auths[0].context.Find("kms:EncryptionContextKeys"), (std::vector<std::string>{"dept", "app"}));
  EXPECT_EQ(*auths[0].context.Find("kms:EncryptionAlgorithm"), std::vector<std::string>{"SYMMETRIC_DEFAULT"});
  auto tagged = ResolveOk("kms", "CreateKey",
                          {{"Tags", json::array{json::object{{"TagKey", "team"}, {"TagValue", "data"}}}}});
  EXPECT_EQ(*tagged[0].context.Find("aws:RequestTag/team"), std::vector<std::string>{"data"});
  EXPECT_EQ(*tagged[0].context.Find("aws:TagKeys"), std::vector<std::string>{"team"});
}

// A forEach whose list a `when` names is optional: StartQuery names its groups in one of three members.
TEST(ActionMapTest, LogsStartQueryNamesEachGroup) {
  const std::string group = "arn:aws:logs:eu-west-1:123456789012:log-group:";
  EXPECT_EQ(Pairs(ResolveOk("logs", "StartQuery", {{"logGroupNames", json::array{"/a", "/b"}}})),
            (P{{"logs:StartQuery", group + "/a:*"}, {"logs:StartQuery", group + "/b:*"}}));
  EXPECT_EQ(Pairs(ResolveOk("logs", "StartQuery", {{"logGroupName", "/a"}})),
            (P{{"logs:StartQuery", group + "/a:*"}}));
  EXPECT_EQ(Pairs(ResolveOk("logs", "StartQuery", {{"queryString", "fields @message"}})),
            (P{{"logs:StartQuery", group + "*"}}));
  EXPECT_EQ(Pairs(ResolveOk("logs", "PutLogEvents", {{"logGroupName", "/a"}, {"logStreamName", "s"}})),
            (P{{"logs:PutLogEvents", group + "/a:log-stream:s"}}));
}

}  // namespace
}  // namespace cenote::iam
