// Prints serialized responses as JSON lines for botocore_check.py, which parses them with botocore's own
// response parsers (the judge of wire compatibility). Not a unit test: run by hand or in CI with Python.
#include <boost/json.hpp>
#include <iostream>

#include "aws/model/model.hpp"
#include "aws/protocol/protocol.hpp"

using namespace cenote;
using namespace cenote::aws;

namespace {

void Dump(const char* name, const char* service, const char* op_name, const char* result_json,
          int error_status = 0, const char* error_code = nullptr, const char* target = nullptr) {
  const auto* model = model::ModelRegistry::Embedded().ByEndpointPrefix(service);
  const auto* op = model->FindOperation(op_name);
  http::Headers headers;
  if (target) headers.Add("X-Amz-Target", target);
  RequestContext ctx;
  ctx.request_id = "REQ123";
  ctx.headers = &headers;
  http::HttpResponse r;
  if (error_code) {
    Error e = MakeError(error_code, "something went wrong", error_status);
    if (std::string(service) == "s3") e.With("Key", "k");
    r = protocol::SerializeError(*model, op, e, ctx);
  } else {
    OperationOutput out;
    out.result = boost::json::parse(result_json);
    r = protocol::SerializeResponse(*model, *op, std::move(out), ctx);
  }
  boost::json::object line;
  line["case"] = name;
  line["service"] = service;
  line["op"] = op_name;
  line["status"] = r.status;
  boost::json::object h;
  for (const auto& e : r.headers) h[e.name] = e.value;
  line["headers"] = std::move(h);
  line["body"] = r.body;
  std::cout << boost::json::serialize(line) << "\n";
}

}  // namespace

int main() {
  Dump(
      "s3-list-v2", "s3", "ListObjectsV2",
      R"({"IsTruncated":true,"Name":"b","Prefix":"p/","Delimiter":"/","MaxKeys":2,"KeyCount":2,"EncodingType":"url",
           "NextContinuationToken":"tok",
           "Contents":[{"Key":"p/a%20b.txt","LastModified":1255369830000,"ETag":"\"x\"","Size":5,
                        "StorageClass":"STANDARD","ChecksumAlgorithm":["CRC32"],"ChecksumType":"FULL_OBJECT",
                        "Owner":{"ID":"o","DisplayName":"d"}}],
           "CommonPrefixes":[{"Prefix":"p/d/"},{"Prefix":"p/e/"}]})");
  Dump("s3-list-buckets", "s3", "ListBuckets",
       R"({"Buckets":[{"Name":"a","CreationDate":1700000000123}],"Owner":{"ID":"abc","DisplayName":"me"}})");
  Dump(
      "s3-complete-mpu", "s3", "CompleteMultipartUpload",
      R"({"Location":"http://x/b/k","Bucket":"b","Key":"k","ETag":"\"abc-2\"","ChecksumCRC64NVME":"AAAAAAAAAAA=",
           "ChecksumType":"COMPOSITE","VersionId":"v","ServerSideEncryption":"AES256"})");
  Dump("s3-delete-objects", "s3", "DeleteObjects",
       R"({"Deleted":[{"Key":"a"},{"Key":"b","VersionId":"v","DeleteMarker":true}],
           "Errors":[{"Key":"c","Code":"AccessDenied","Message":"Access Denied"}]})");
  Dump("s3-head-object", "s3", "HeadObject",
       R"({"ContentLength":10,"ETag":"\"e\"","LastModified":1445412480000,"ContentType":"text/csv",
           "Metadata":{"color":"blue"},"ChecksumCRC64NVME":"AAAAAAAAAAA=","ChecksumType":"FULL_OBJECT"})");
  Dump(
      "s3-get-acl", "s3", "GetBucketAcl",
      R"({"Owner":{"ID":"o"},"Grants":[{"Grantee":{"ID":"o","Type":"CanonicalUser"},"Permission":"FULL_CONTROL"}]})");
  Dump("s3-location", "s3", "GetBucketLocation", R"({"LocationConstraint":"eu-west-1"})");
  Dump("s3-tagging", "s3", "GetObjectTagging", R"({"TagSet":[{"Key":"a","Value":"1"}],"VersionId":"v"})");
  Dump("s3-create-mpu", "s3", "CreateMultipartUpload", R"({"Bucket":"b","Key":"k","UploadId":"u1"})");
  Dump("s3-error", "s3", "GetObject", nullptr, 404, "NoSuchKey");
  Dump(
      "glue-get-table", "glue", "GetTable",
      R"({"Table":{"Name":"orders","DatabaseName":"sales","CreateTime":1700000000000,"UpdateTime":1700000000250,
           "Parameters":{"a":"b"},"StorageDescriptor":{"Columns":[{"Name":"id","Type":"bigint"}],
           "Location":"s3://lake/orders/","NumberOfBuckets":-1}}})",
      0, nullptr, "AWSGlue.GetTable");
  Dump("glue-error", "glue", "GetTable", nullptr, 400, "EntityNotFoundException", "AWSGlue.GetTable");
  Dump(
      "iam-get-user", "iam", "GetUser",
      R"({"User":{"Path":"/","UserName":"alice","UserId":"AIDA1","Arn":"arn:aws:iam::000000000000:user/alice",
           "CreateDate":1700000000000,"Tags":[{"Key":"a","Value":"b"}]}})");
  Dump("iam-error", "iam", "GetUser", nullptr, 404, "NoSuchEntity");
  Dump("sts-caller", "sts", "GetCallerIdentity",
       R"({"UserId":"AIDA1","Account":"000000000000","Arn":"arn:aws:iam::000000000000:root"})");
  Dump("sqs-receive", "sqs", "ReceiveMessage",
       R"({"Messages":[{"MessageId":"m","ReceiptHandle":"r","Body":"hi","Attributes":{"SentTimestamp":"1"},
           "MessageAttributes":{"a":{"DataType":"Binary","BinaryValue":"\u0000\u0001"}}}]})",
       0, nullptr, "AmazonSQS.ReceiveMessage");
  Dump("sqs-error", "sqs", "GetQueueUrl", nullptr, 400, "AWS.SimpleQueueService.NonExistentQueue",
       "AmazonSQS.GetQueueUrl");
  Dump("lambda-invoke", "lambda", "Invoke",
       R"({"StatusCode":200,"FunctionError":"Unhandled","ExecutedVersion":"$LATEST","Payload":"{\"x\":1}"})");
  Dump("lambda-get", "lambda", "GetFunction",
       R"({"Configuration":{"FunctionName":"fn","Timeout":3,"MemorySize":128},"Tags":{"a":"b"}})");
  Dump("lambda-error", "lambda", "GetFunction", nullptr, 404, "ResourceNotFoundException");
  Dump("cw-get-metric-stats", "monitoring", "GetMetricStatistics",
       R"({"Label":"CPU","Datapoints":[{"Timestamp":1700000000000,"Average":1.5,"Unit":"Percent"}]})");
  return 0;
}
