// json 1.0 / 1.1 protocol (Glue, SQS, ...): requests as botocore and the JS SDK v3 send them.
#include <gtest/gtest.h>

#include "test_support.hpp"

namespace cenote::aws::protocol {
namespace {

using testing::Json;
using testing::ParseAndValidate;
using testing::RawRequest;
using testing::Service;

RequestContext Ctx(const http::Headers* headers) {
  RequestContext ctx;
  ctx.request_id = "c6a8f6d4-0000-4000-8000-000000000001";
  ctx.headers = headers;
  return ctx;
}

TEST(JsonParse, GlueCreateTable) {
  auto r = RawRequest(
      "POST / HTTP/1.1\r\n"
      "Host: 127.0.0.1:4566\r\n"
      "X-Amz-Target: AWSGlue.CreateTable\r\n"
      "Content-Type: application/x-amz-json-1.1\r\n"
      "\r\n"
      R"({"DatabaseName": "sales", "TableInput": {"Name": "orders", "TableType": "EXTERNAL_TABLE",
          "LastAccessTime": 1700000000.5, "Retention": 0,
          "Parameters": {"classification": "parquet"},
          "PartitionKeys": [{"Name": "dt", "Type": "string"}],
          "StorageDescriptor": {"Location": "s3://lake/orders/", "Columns": [{"Name": "id", "Type": "bigint"}],
                                "Compressed": false, "NumberOfBuckets": -1,
                                "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"}}},
          "UnknownFutureField": 1})");
  auto p = ParseRequest(Service("glue"), r, 1 << 20);
  ASSERT_TRUE(p.ok()) << p.error().code << " " << p.error().message;
  EXPECT_EQ(p->operation->name, "CreateTable");
  const auto& ti = p->input.at("TableInput");
  EXPECT_EQ(ti.at("LastAccessTime"), 1700000000500);
  EXPECT_EQ(ti.at("StorageDescriptor").at("NumberOfBuckets"), -1);
  EXPECT_EQ(ti.at("Parameters"), Json(R"({"classification":"parquet"})"));
  EXPECT_FALSE(p->input.as_object().contains("UnknownFutureField"));
}

TEST(JsonParse, Errors) {
  const auto& glue = Service("glue");
  auto code = [&](std::string raw) {
    auto r = RawRequest(raw);
    auto p = ParseAndValidate(glue, r);
    return p.ok() ? std::string("ok") : p.error().code;
  };
  EXPECT_EQ(code("POST / HTTP/1.1\r\nX-Amz-Target: AWSGlue.NoSuchThing\r\n\r\n{}"),
            "UnknownOperationException");
  EXPECT_EQ(code("POST / HTTP/1.1\r\nX-Amz-Target: AWSGlue.GetDatabases\r\n\r\n"), "SerializationException");
  EXPECT_EQ(code("POST / HTTP/1.1\r\nX-Amz-Target: AWSGlue.GetDatabases\r\n\r\n{not json"),
            "SerializationException");
  EXPECT_EQ(code("POST / HTTP/1.1\r\nX-Amz-Target: AWSGlue.GetDatabases\r\n\r\n[1]"),
            "SerializationException");
  EXPECT_EQ(code("POST / HTTP/1.1\r\nX-Amz-Target: AWSGlue.GetDatabases\r\n\r\n{}"), "ok");
  EXPECT_EQ(code("POST / HTTP/1.1\r\nX-Amz-Target: AWSGlue.GetDatabases\r\n\r\n{\"MaxResults\":\"abc\"}"),
            "SerializationException");
  EXPECT_EQ(code("POST / HTTP/1.1\r\nX-Amz-Target: AWSGlue.GetTable\r\n\r\n{\"DatabaseName\":\"d\"}"),
            "ValidationException");
  std::string deep(5000, '[');
  EXPECT_EQ(code("POST / HTTP/1.1\r\nX-Amz-Target: AWSGlue.GetDatabases\r\n\r\n" + deep),
            "SerializationException");
}

TEST(JsonParse, SqsSendMessageQueryMode) {
  // boto3 >= 1.34.90 / JS SDK: SQS over json 1.0 with x-amzn-query-mode.
  auto r = RawRequest(
      "POST / HTTP/1.1\r\n"
      "X-Amz-Target: AmazonSQS.SendMessage\r\n"
      "Content-Type: application/x-amz-json-1.0\r\n"
      "x-amzn-query-mode: true\r\n"
      "\r\n"
      R"({"QueueUrl": "http://127.0.0.1:4566/000000000000/q", "MessageBody": "hi", "DelaySeconds": 5,
          "MessageAttributes": {"attr": {"DataType": "Binary", "BinaryValue": "AAEC"}}})");
  const auto& sqs = Service("sqs");
  auto p = ParseRequest(sqs, r, 1 << 20);
  ASSERT_TRUE(p.ok()) << p.error().code << " " << p.error().message;
  EXPECT_EQ(p->operation->name, "SendMessage");
  EXPECT_EQ(p->input.at("DelaySeconds"), 5);
  EXPECT_EQ(p->input.at("MessageAttributes").at("attr").at("BinaryValue"),
            boost::json::string(std::string("\x00\x01\x02", 3)));

  OperationOutput out;
  out.result = Json(R"({"MessageId":"m1","MD5OfMessageBody":"49f68a5c8493ec2c0bf489821c21fc3b"})");
  auto resp = SerializeResponse(sqs, *p->operation, std::move(out), Ctx(&r.headers));
  EXPECT_EQ(resp.headers.Get("Content-Type"), "application/x-amz-json-1.0");
  EXPECT_EQ(resp.headers.Get("x-amzn-RequestId"), "c6a8f6d4-0000-4000-8000-000000000001");
  EXPECT_EQ(Json(resp.body),
            Json(R"({"MessageId":"m1","MD5OfMessageBody":"49f68a5c8493ec2c0bf489821c21fc3b"})"));

  auto err = SerializeError(
      sqs, p->operation,
      MakeError("AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist."),
      Ctx(&r.headers));
  EXPECT_EQ(err.status, 400);
  EXPECT_EQ(err.headers.Get("x-amzn-query-error"), "AWS.SimpleQueueService.NonExistentQueue;Sender");
  EXPECT_EQ(err.headers.Get("X-Amzn-ErrorType"), "AWS.SimpleQueueService.NonExistentQueue");
  EXPECT_EQ(Json(err.body), Json(R"({"__type":"AWS.SimpleQueueService.NonExistentQueue",
                                     "message":"The specified queue does not exist."})"));
}

TEST(JsonSerialize, GlueGetTableTimestampsAndBlobs) {
  const auto& glue = Service("glue");
  http::Headers h;
  h.Add("X-Amz-Target", "AWSGlue.GetTable");
  OperationOutput out;
  out.result = Json(R"({"Table":{"Name":"orders","DatabaseName":"sales","CreateTime":1700000000000,
                        "UpdateTime":1700000000250,"Parameters":{"a":"b"},
                        "StorageDescriptor":{"Columns":[{"Name":"id","Type":"bigint"}]}}})");
  auto resp = SerializeResponse(glue, *glue.FindOperation("GetTable"), std::move(out), Ctx(&h));
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(resp.headers.Get("Content-Type"), "application/x-amz-json-1.1");
  auto body = Json(resp.body);
  EXPECT_EQ(body.at("Table").at("CreateTime"), 1700000000);
  EXPECT_EQ(body.at("Table").at("UpdateTime"), 1700000000.25);
  EXPECT_EQ(body.at("Table").at("StorageDescriptor").at("Columns").at(0).at("Type"), "bigint");

  auto err =
      SerializeError(glue, nullptr, MakeError("EntityNotFoundException", "Table orders not found."), Ctx(&h));
  EXPECT_EQ(err.headers.Get("X-Amzn-ErrorType"), "EntityNotFoundException");
  EXPECT_FALSE(err.headers.Has("x-amzn-query-error"));
  EXPECT_EQ(Json(err.body),
            Json(R"({"__type":"EntityNotFoundException","message":"Table orders not found."})"));
}

TEST(JsonSerialize, KinesisBlobIsBase64) {
  const auto& kinesis = Service("kinesis");
  http::Headers h;
  h.Add("X-Amz-Target", "Kinesis_20131202.GetRecords");
  OperationOutput out;
  out.result = Json(R"({"Records":[{"SequenceNumber":"1","Data":"hello","PartitionKey":"p",
                        "ApproximateArrivalTimestamp":1700000000123}],"MillisBehindLatest":0})");
  auto resp = SerializeResponse(kinesis, *kinesis.FindOperation("GetRecords"), std::move(out), Ctx(&h));
  auto body = Json(resp.body);
  EXPECT_EQ(body.at("Records").at(0).at("Data"), "aGVsbG8=");
  EXPECT_EQ(body.at("Records").at(0).at("ApproximateArrivalTimestamp"), 1700000000.123);
}

}  // namespace
}  // namespace cenote::aws::protocol
