// Input validation against the models' constraints (src/aws/protocol/validate.hpp): AWS's message format,
// AWS's codes per protocol, and every pattern of every embedded model compiling.
#include "aws/protocol/validate.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <set>

#include "common/java_regex.hpp"
#include "test_support.hpp"

namespace cenote::aws::protocol {
namespace {

using testing::Json;
using testing::RawRequest;
using testing::Service;

const model::Operation& Op(const model::ServiceModel& s, std::string_view name) {
  EXPECT_TRUE(s.LoadConstraints().ok());
  const model::Operation* op = s.FindOperation(name);
  if (op == nullptr || op->input == nullptr) throw std::runtime_error("no input for " + std::string(name));
  return *op;
}

// The message AWS would answer for `input`, or "ok".
std::string Message(std::string_view service, std::string_view operation, const boost::json::value& input) {
  const auto& s = Service(service);
  auto violations = FindViolations(*Op(s, operation).input, input);
  if (violations.empty()) return "ok";
  return MakeValidationError(s, violations, nullptr).message;
}

std::string Message(std::string_view service, std::string_view operation, const char* json) {
  return Message(service, operation, Json(json));
}

const std::string kGlueName = "[\\u0020-\\uD7FF\\uE000-\\uFFFD\\uD800\\uDC00-\\uDBFF\\uDFFF\\t]*";

TEST(Validate, GlueEmptyCatalogIdAndLongName) {
  // What Terraform's empty CatalogId and a 300-character name get from AWS, before any Glue logic.
  std::string name(300, 'n');
  boost::json::object input{{"CatalogId", ""}, {"Name", name}};
  EXPECT_EQ(
      Message("glue", "GetDatabase", input),
      "2 validation errors detected: "
      "Value '' at 'catalogId' failed to satisfy constraint: Member must have length greater than or equal "
      "to 1; "
      "Value '" +
          name +
          "' at 'name' failed to satisfy constraint: Member must have length less than or equal to 255");
  const auto& glue = Service("glue");
  Error e = MakeValidationError(glue, FindViolations(*Op(glue, "GetDatabase").input, input), nullptr);
  EXPECT_EQ(e.code, "ValidationException");
  EXPECT_EQ(e.http_status, 400);
  EXPECT_TRUE(e.fields.empty());
  EXPECT_EQ(Message("glue", "GetDatabase", R"({"Name":"sales"})"), "ok");
}

TEST(Validate, MissingRequiredMembersAreNullValues) {
  EXPECT_EQ(
      Message("glue", "GetTable", R"({"DatabaseName":"d"})"),
      "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be "
      "null");
  // Kinesis lists every missing member (kinesalite, tested against AWS: "Value null at 'shardCount' ...").
  EXPECT_EQ(
      Message("kinesis", "CreateStream", "{}"),
      "1 validation error detected: Value null at 'streamName' failed to satisfy constraint: Member must "
      "not be null");
  EXPECT_EQ(Message("kinesis", "PutRecord", "{}"),
            "2 validation errors detected: "
            "Value null at 'data' failed to satisfy constraint: Member must not be null; "
            "Value null at 'partitionKey' failed to satisfy constraint: Member must not be null");
}

TEST(Validate, PatternThenMinimumThenMaximumThenEnum) {
  // kinesalite's "empty StreamName" case (AWS's answer, there in alphabetical order): here in model order.
  EXPECT_EQ(
      Message("kinesis", "GetShardIterator",
              R"({"StreamName":"","ShardId":"","ShardIteratorType":"","StartingSequenceNumber":""})"),
      "6 validation errors detected: "
      "Value '' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression "
      "pattern: [a-zA-Z0-9_.-]+; "
      "Value '' at 'streamName' failed to satisfy constraint: Member must have length greater than or "
      "equal to 1; "
      "Value '' at 'shardId' failed to satisfy constraint: Member must satisfy regular expression pattern: "
      "[a-zA-Z0-9_.-]+; "
      "Value '' at 'shardId' failed to satisfy constraint: Member must have length greater than or equal "
      "to 1; "
      "Value '' at 'shardIteratorType' failed to satisfy constraint: Member must satisfy enum value set: "
      "[AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER, TRIM_HORIZON, LATEST, AT_TIMESTAMP]; "
      "Value '' at 'startingSequenceNumber' failed to satisfy constraint: Member must satisfy regular "
      "expression pattern: 0|([1-9]\\d{0,128})");
  EXPECT_EQ(Message("kinesis", "GetShardIterator",
                    R"({"StreamName":"s","ShardId":"shardId-000000000000","ShardIteratorType":"LATEST"})"),
            "ok");
}

TEST(Validate, NumericRanges) {
  EXPECT_EQ(
      Message("kinesis", "GetRecords", R"({"ShardIterator":"it","Limit":0})"),
      "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have "
      "value greater than or equal to 1");
  EXPECT_EQ(
      Message("kinesis", "GetRecords", R"({"ShardIterator":"it","Limit":10001})"),
      "1 validation error detected: Value '10001' at 'limit' failed to satisfy constraint: Member must have "
      "value less than or equal to 10000");
  EXPECT_EQ(Message("kinesis", "GetRecords", R"({"ShardIterator":"it","Limit":10000})"), "ok");
  // A double range prints as Java prints doubles.
  EXPECT_EQ(
      Message("glue", "CreateMLTransform", R"({"Name":"t","Role":"r","InputRecordTables":[
                      {"DatabaseName":"d","TableName":"t"}],"Parameters":{"TransformType":"FIND_MATCHES",
                      "FindMatchesParameters":{"PrecisionRecallTradeoff":1.5}}})"),
      "1 validation error detected: Value '1.5' at 'parameters.findMatchesParameters.precisionRecallTradeoff'"
      " failed to satisfy constraint: Member must have value less than or equal to 1.0");
}

TEST(Validate, NestedStructuresAndLists) {
  std::string long_name(300, 'c');
  boost::json::object column{{"Name", long_name}, {"Type", "int"}};
  boost::json::object input{{"DatabaseName", "db"},
                            {"TableInput",
                             {{"Name", "t"},
                              {"StorageDescriptor",
                               {{"Columns", boost::json::array{boost::json::object{{"Name", "a"}}, column,
                                                               boost::json::object{}}}}}}}};
  std::string message = Message("glue", "CreateTable", input);
  EXPECT_EQ(
      message,
      "2 validation errors detected: Value '" + long_name +
          "' at 'tableInput.storageDescriptor.columns.2.member.name' failed to satisfy constraint: Member "
          "must have length less than or equal to 255; "
          "Value null at 'tableInput.storageDescriptor.columns.3.member.name' failed to satisfy constraint: "
          "Member must not be null");
}

TEST(Validate, ListAndMapElementsAreReportedAtTheCollection) {
  // Scalar list elements: AWS lists the element's constraints in brackets (CloudFormation's
  // "Value '[CAPABILITY_IAM, x]' at 'capabilities' ... Member must satisfy constraint: [Member must satisfy
  // enum value set: [...]]").
  EXPECT_EQ(Message("glue", "GetDatabases", R"({"AttributesToGet":["NAME","BOGUS"]})"),
            "1 validation error detected: Value '[NAME, BOGUS]' at 'attributesToGet' failed to satisfy "
            "constraint: Member must satisfy constraint: [Member must satisfy enum value set: [NAME, "
            "TARGET_DATABASE]]");
  const std::string arn = "arn:aws:glue:us-east-1:123456789012:database/d";
  EXPECT_EQ(
      Message("glue", "TagResource", boost::json::object{{"ResourceArn", arn}, {"TagsToAdd", {{"", "v"}}}}),
      "1 validation error detected: Value '{=v}' at 'tagsToAdd' failed to satisfy constraint: Map keys must "
      "satisfy constraint: [Member must have length less than or equal to 128, Member must have length "
      "greater than or equal to 1]");
  std::string long_value(257, 'v');
  EXPECT_EQ(Message("glue", "TagResource",
                    boost::json::object{{"ResourceArn", arn}, {"TagsToAdd", {{"k", long_value}}}}),
            "1 validation error detected: Value '{k=" + long_value +
                "}' at 'tagsToAdd' failed to satisfy constraint: Map value must satisfy constraint: [Member "
                "must have "
                "length less than or equal to 256]");
  // List and map sizes.
  boost::json::object tags;
  for (int i = 0; i < 51; ++i) tags[std::to_string(i) + "k"] = "v";
  std::string m =
      Message("glue", "TagResource", boost::json::object{{"ResourceArn", arn}, {"TagsToAdd", tags}});
  EXPECT_NE(
      m.find("at 'tagsToAdd' failed to satisfy constraint: Member must have length less than or equal to 50"),
      std::string::npos)
      << m;
  boost::json::array records;
  for (int i = 0; i < 501; ++i) records.push_back(boost::json::object{{"Data", "x"}, {"PartitionKey", "p"}});
  m = Message("kinesis", "PutRecords", boost::json::object{{"StreamName", "s"}, {"Records", records}});
  EXPECT_NE(
      m.find("at 'records' failed to satisfy constraint: Member must have length less than or equal to 500"),
      std::string::npos);
  EXPECT_EQ(m.rfind("1 validation error detected: Value '[{", 0), 0u) << m.substr(0, 80);
}

TEST(Validate, EchoedValuesAsAwsPrintsThem) {
  // Blobs print as the ByteBuffer AWS echoes (Kinesis: "Value 'java.nio.HeapByteBuffer[pos=0 lim=56817
  // cap=56817]' at 'data'").
  // (Kinesis records may be 10 MiB since 2025; a stream's own limit is the provider's to check.)
  std::string data(10485761, 'd');
  EXPECT_EQ(
      Message("kinesis", "PutRecord",
              boost::json::object{{"StreamName", "s"}, {"PartitionKey", "p"}, {"Data", data}}),
      "1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=10485761 cap=10485761]' at "
      "'data' failed to satisfy constraint: Member must have length less than or equal to 10485760");
  // Sensitive members are not echoed (KMS Plaintext).
  EXPECT_EQ(
      Message("kms", "Encrypt",
              boost::json::object{{"KeyId", "alias/k"}, {"Plaintext", std::string(4097, 'p')}}),
      "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have "
      "length less than or equal to 4096");
}

TEST(Validate, EchoedValuesAreCapped) {
  std::string huge(1 << 20, 'x');
  std::string m = Message("glue", "GetDatabase", boost::json::object{{"Name", huge}});
  EXPECT_EQ(
      m, "1 validation error detected: Value '" + std::string(512, 'x') +
             "...(truncated)' at 'name' failed to satisfy constraint: Member must have length less than or "
             "equal to 255");
  // Capped by characters, never splitting one.
  std::string emoji;
  for (int i = 0; i < 600; ++i) emoji += "\xF0\x9F\x98\x80";
  m = Message("glue", "GetDatabase", boost::json::object{{"Name", emoji}});
  std::string expected_value;
  for (int i = 0; i < 512; ++i) expected_value += "\xF0\x9F\x98\x80";
  EXPECT_NE(m.find("Value '" + expected_value + "...(truncated)' at 'name'"), std::string::npos);
}

TEST(Validate, SupplementaryCharactersInPatternsAndLengths) {
  // Glue's name pattern takes any supplementary character; Kinesis's does not.
  EXPECT_EQ(Message("glue", "GetDatabase", R"({"Name":"db\ud83d\ude00"})"), "ok");
  EXPECT_EQ(
      Message("glue", "GetDatabase", R"({"Name":"two\nlines"})"),
      "1 validation error detected: Value 'two\nlines' at 'name' failed to satisfy constraint: Member must "
      "satisfy regular expression pattern: " +
          kGlueName);
  EXPECT_EQ(
      Message("kinesis", "DescribeStream", R"({"StreamName":"s\ud83d\ude00"})"),
      "1 validation error detected: Value 's\xF0\x9F\x98\x80' at 'streamName' failed to satisfy constraint: "
      "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+");
  // Lengths count UTF-16 code units, as Java does: 128 emoji are 256 units.
  std::string emoji;
  for (int i = 0; i < 128; ++i) emoji += "\xF0\x9F\x98\x80";
  std::string m = Message("glue", "GetDatabase", boost::json::object{{"Name", emoji}});
  EXPECT_NE(m.find("Member must have length less than or equal to 255"), std::string::npos) << m;
  EXPECT_EQ(Message("glue", "GetDatabase", boost::json::object{{"Name", emoji.substr(4)}}), "ok");
}

TEST(Validate, AtMostTenViolations) {
  boost::json::array columns;
  for (int i = 0; i < 12; ++i) columns.push_back(boost::json::object{{"Type", "int"}});
  std::string m = Message(
      "glue", "CreateTable",
      boost::json::object{{"DatabaseName", "db"},
                          {"TableInput", {{"Name", "t"}, {"StorageDescriptor", {{"Columns", columns}}}}}});
  EXPECT_EQ(m.rfind("10 validation errors detected: ", 0), 0u);
  EXPECT_NE(m.find("columns.10.member.name"), std::string::npos);
  EXPECT_EQ(m.find("columns.11.member.name"), std::string::npos);
}

TEST(Validate, CodesPerProtocol) {
  auto parse_and_validate = [](std::string_view service, http::HttpRequest r) {
    const auto& s = Service(service);
    auto p = ParseRequest(s, r, 1 << 20);
    if (!p.ok()) return p.error();
    Status v = ValidateRequest(s, *p, r.headers);
    return v.ok() ? MakeError("ok", "") : v.error();
  };
  // json 1.1
  Error e = parse_and_validate(
      "glue", RawRequest("POST / HTTP/1.1\r\nX-Amz-Target: AWSGlue.GetDatabase\r\n\r\n{\"CatalogId\":\"\"}"));
  EXPECT_EQ(e.code, "ValidationException");
  EXPECT_EQ(
      e.message,
      "2 validation errors detected: Value '' at 'catalogId' failed to satisfy constraint: Member must have "
      "length greater than or equal to 1; Value null at 'name' failed to satisfy constraint: Member must "
      "not be null");
  // Athena names its own code.
  e = parse_and_validate(
      "athena", RawRequest("POST / HTTP/1.1\r\nX-Amz-Target: AmazonAthena.GetQueryExecution\r\n\r\n{}"));
  EXPECT_EQ(e.code, "InvalidRequestException");
  EXPECT_EQ(
      e.message,
      "1 validation error detected: Value null at 'queryExecutionId' failed to satisfy constraint: Member "
      "must not be null");
  // query (IAM): ValidationError, paths of list elements as AWS writes them.
  e = parse_and_validate("iam", RawRequest("POST / HTTP/1.1\r\n\r\nAction=CreateUser&Version=2010-05-08"));
  EXPECT_EQ(e.code, "ValidationError");
  EXPECT_EQ(
      e.message,
      "1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member must not "
      "be null");
  e = parse_and_validate("iam",
                         RawRequest("POST / HTTP/1.1\r\n\r\nAction=CreateUser&Version=2010-05-08&UserName=u"
                                    "&Tags.member.1.Key=k&Tags.member.1.Value=a%21b"));
  EXPECT_EQ(e.code, "ValidationError");
  EXPECT_EQ(e.message,
            "1 validation error detected: Value 'a!b' at 'tags.1.member.value' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*");
  // SQS over query answers a missing parameter alone, in its own words; over json, as the others.
  e = parse_and_validate("sqs", RawRequest("POST / HTTP/1.1\r\n\r\nAction=SendMessage&Version=2012-11-05"));
  EXPECT_EQ(e.code, "MissingParameter");
  EXPECT_EQ(e.message, "The request must contain the parameter QueueUrl.");
  e = parse_and_validate("sqs",
                         RawRequest("POST / HTTP/1.1\r\nX-Amz-Target: AmazonSQS.SendMessage\r\n"
                                    "Content-Type: application/x-amz-json-1.0\r\n\r\n{\"QueueUrl\":\"u\"}"));
  EXPECT_EQ(e.code, "ValidationException");
  EXPECT_EQ(
      e.message,
      "1 validation error detected: Value null at 'messageBody' failed to satisfy constraint: Member must "
      "not be null");
  // rest-json (Lambda): URI and body members alike.
  e = parse_and_validate("lambda",
                         RawRequest("POST /2015-03-31/functions HTTP/1.1\r\n\r\n{\"FunctionName\":\"fn\"}"));
  EXPECT_EQ(e.code, "ValidationException");
  EXPECT_EQ(
      e.message.rfind("2 validation errors detected: Value null at 'role' failed to satisfy constraint: "
                      "Member must not be null; Value null at 'code'",
                      0),
      0u)
      << e.message;
  // S3 (rest-xml) keeps its own errors: nothing is validated this way.
  e = parse_and_validate("s3", RawRequest("PUT /b/" + std::string(2000, 'k') + " HTTP/1.1\r\n\r\n"));
  EXPECT_EQ(e.code, "ok");
}

TEST(Validate, JsonServiceSpeakingQueryAnswersInTheRequestsProtocol) {
  const auto& sqs = Service("sqs");
  std::vector<Violation> v{{"queueUrl", "null", "Member must not be null"}};
  http::Headers json;
  json.Add("X-Amz-Target", "AmazonSQS.GetQueueUrl");
  json.Add("Content-Type", "application/x-amz-json-1.0");
  EXPECT_EQ(MakeValidationError(sqs, v, &json).code, "ValidationException");
  http::Headers form;
  form.Add("Content-Type", "application/x-www-form-urlencoded");
  EXPECT_EQ(MakeValidationError(sqs, v, &form).code, "ValidationError");
}

// Every pattern of every embedded model compiles: a pattern the matcher cannot compile is skipped (it
// never rejects input), and this keeps the number of such patterns at zero.
TEST(Validate, EveryModelPatternCompiles) {
  std::set<std::string> patterns;
  std::set<const model::Shape*> seen;
  std::function<void(const model::Shape*)> walk = [&](const model::Shape* s) {
    if (s == nullptr || !seen.insert(s).second) return;
    if (!s->pattern.empty()) patterns.insert(s->pattern);
    for (const auto& m : s->members) walk(m.shape);
    walk(s->member.shape);
    walk(s->key.shape);
    walk(s->value.shape);
  };
  for (const model::ServiceModel* service : model::ModelRegistry::Embedded().services()) {
    ASSERT_TRUE(service->LoadConstraints().ok()) << service->uid();
    for (const model::Operation* op : service->operations()) walk(op->input);
  }
  EXPECT_GE(patterns.size(), 250u);  // Glue's SchemaDefinition pattern is relaxed by the overlay
  std::vector<std::string> failed;
  for (const std::string& p : patterns) {
    auto re = JavaRegex::Compile(p);
    if (!re.ok()) failed.push_back(p + " (" + re.error().message + ")");
  }
  EXPECT_TRUE(failed.empty()) << failed.size() << " patterns do not compile, first: " << failed.front();
}

}  // namespace
}  // namespace cenote::aws::protocol
