// CBOR body coding of the json protocol (src/aws/protocol/cbor.cpp): RFC 8949 Appendix A vectors, malformed
// input, and Kinesis requests/responses as the AWS Java SDK / KCL send them (application/x-amz-cbor-1.1).
#include "aws/protocol/cbor.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace cenote::aws::protocol {
namespace {

using testing::Json;
using testing::Service;

std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

Document Decode(const std::string& bytes) {
  auto v = cbor::DecodeToJson(bytes);
  EXPECT_TRUE(v.ok()) << (v.ok() ? "" : v.error().message);
  return v.ok() ? *v : Document();
}

std::string DecodeErrorCode(const std::string& bytes) {
  auto v = cbor::DecodeToJson(bytes);
  return v.ok() ? std::string("ok") : v.error().code;
}

TEST(CborDecode, Rfc8949Vectors) {
  EXPECT_EQ(Decode(Bytes({0x00})), Json("0"));
  EXPECT_EQ(Decode(Bytes({0x17})), Json("23"));
  EXPECT_EQ(Decode(Bytes({0x18, 0x18})), Json("24"));
  EXPECT_EQ(Decode(Bytes({0x19, 0x03, 0xe8})), Json("1000"));
  EXPECT_EQ(Decode(Bytes({0x1b, 0x00, 0x00, 0x00, 0xe8, 0xd4, 0xa5, 0x10, 0x00})), Json("1000000000000"));
  EXPECT_EQ(Decode(Bytes({0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})).as_uint64(), UINT64_MAX);
  EXPECT_EQ(Decode(Bytes({0x20})), Json("-1"));
  EXPECT_EQ(Decode(Bytes({0x38, 0x63})), Json("-100"));
  EXPECT_EQ(Decode(Bytes({0xf9, 0x3c, 0x00})).as_double(), 1.0);
  EXPECT_EQ(Decode(Bytes({0xf9, 0x3e, 0x00})).as_double(), 1.5);
  EXPECT_EQ(Decode(Bytes({0xf9, 0xc4, 0x00})).as_double(), -4.0);
  EXPECT_EQ(Decode(Bytes({0xfa, 0x47, 0xc3, 0x50, 0x00})).as_double(), 100000.0);
  EXPECT_EQ(Decode(Bytes({0xfb, 0x3f, 0xf1, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a})).as_double(), 1.1);
  EXPECT_EQ(Decode(Bytes({0xf4})), Json("false"));
  EXPECT_EQ(Decode(Bytes({0xf5})), Json("true"));
  EXPECT_EQ(Decode(Bytes({0xf6})), Json("null"));
  EXPECT_EQ(Decode(Bytes({0xf7})), Json("null"));
  EXPECT_EQ(Decode(Bytes({0x64, 0x49, 0x45, 0x54, 0x46})), Json(R"("IETF")"));
  EXPECT_EQ(Decode(Bytes({0x62, 0xc3, 0xbc})), Json("\"\xc3\xbc\""));
  // Byte strings become base64 text, the json protocol's blob coding.
  EXPECT_EQ(Decode(Bytes({0x44, 0x01, 0x02, 0x03, 0x04})), Json(R"("AQIDBA==")"));
  EXPECT_EQ(Decode(Bytes({0x83, 0x01, 0x02, 0x03})), Json("[1,2,3]"));
  EXPECT_EQ(Decode(Bytes({0xa2, 0x61, 0x61, 0x01, 0x61, 0x62, 0x82, 0x02, 0x03})),
            Json(R"({"a":1,"b":[2,3]})"));
  // Indefinite lengths.
  EXPECT_EQ(Decode(Bytes({0x5f, 0x42, 0x01, 0x02, 0x43, 0x03, 0x04, 0x05, 0xff})), Json(R"("AQIDBAU=")"));
  EXPECT_EQ(Decode(Bytes({0x7f, 0x65, 0x73, 0x74, 0x72, 0x65, 0x61, 0x64, 0x6d, 0x69, 0x6e, 0x67, 0xff})),
            Json(R"("streaming")"));
  EXPECT_EQ(Decode(Bytes({0x9f, 0x01, 0x82, 0x02, 0x03, 0x9f, 0x04, 0x05, 0xff, 0xff})),
            Json("[1,[2,3],[4,5]]"));
  EXPECT_EQ(Decode(Bytes({0xbf, 0x61, 0x61, 0x01, 0x61, 0x62, 0x9f, 0x02, 0x03, 0xff, 0xff})),
            Json(R"({"a":1,"b":[2,3]})"));
  // Tag 1: RFC seconds (int and double) and the Java SDK's milliseconds, all as epoch seconds.
  EXPECT_EQ(Decode(Bytes({0xc1, 0x1a, 0x51, 0x4b, 0x67, 0xb0})).as_double(), 1363896240.0);
  EXPECT_EQ(Decode(Bytes({0xc1, 0xfb, 0x41, 0xd4, 0x52, 0xd9, 0xec, 0x20, 0x00, 0x00})).as_double(),
            1363896240.5);
  EXPECT_EQ(Decode(Bytes({0xc1, 0x1b, 0x00, 0x00, 0x01, 0x3d, 0x8e, 0x8d, 0x0b, 0x74})).as_double(),
            1363896241.012);  // 1363896241012 ms
  // Other tags are transparent.
  EXPECT_EQ(Decode(Bytes({0xd8, 0x20, 0x61, 0x78})), Json(R"("x")"));
}

TEST(CborDecode, MalformedInputIsSerializationException) {
  EXPECT_EQ(DecodeErrorCode(""), "SerializationException");
  EXPECT_EQ(DecodeErrorCode(Bytes({0x1a, 0x00, 0x00})), "SerializationException");        // truncated
  EXPECT_EQ(DecodeErrorCode(Bytes({0x00, 0x00})), "SerializationException");              // trailing
  EXPECT_EQ(DecodeErrorCode(Bytes({0xff})), "SerializationException");                    // stray break
  EXPECT_EQ(DecodeErrorCode(Bytes({0x1c})), "SerializationException");                    // reserved info
  EXPECT_EQ(DecodeErrorCode(Bytes({0x1f})), "SerializationException");                    // indefinite int
  EXPECT_EQ(DecodeErrorCode(Bytes({0xa1, 0x01, 0x01})), "SerializationException");        // int key
  EXPECT_EQ(DecodeErrorCode(Bytes({0x9f, 0x01})), "SerializationException");              // no break
  EXPECT_EQ(DecodeErrorCode(Bytes({0x5f, 0x61, 0x61, 0xff})), "SerializationException");  // text in bytes
  EXPECT_EQ(DecodeErrorCode(Bytes({0x5f, 0x5f, 0xff, 0xff})), "SerializationException");  // nested indefinite
  EXPECT_EQ(DecodeErrorCode(Bytes({0x65, 0x61})), "SerializationException");              // short string
  EXPECT_EQ(DecodeErrorCode(Bytes({0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})),
            "SerializationException");  // huge array
  EXPECT_EQ(DecodeErrorCode(Bytes({0x3b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})),
            "SerializationException");                                              // negative out of range
  EXPECT_EQ(DecodeErrorCode(Bytes({0xc1, 0x61, 0x61})), "SerializationException");  // tag 1 on text
  EXPECT_EQ(DecodeErrorCode(Bytes({0xf8, 0x20})), "SerializationException");        // simple(32)
  EXPECT_EQ(DecodeErrorCode(std::string(200, '\x81') + Bytes({0x00})), "SerializationException");  // depth
  EXPECT_EQ(DecodeErrorCode(std::string(60, '\x81') + Bytes({0x00})), "ok");
}

TEST(CborEncode, JsonRoundTrip) {
  Document v = Json(R"({"s":"text","i":-5,"u":4294967296,"d":0.25,"t":true,"f":false,"n":null,
                        "a":[1,[2],{"k":"v"}],"o":{},"e":""})");
  std::string out;
  cbor::EncodeJson(out, v);
  EXPECT_EQ(Decode(out), v);
  out.clear();
  cbor::EncodeJson(out, Json("24"));
  EXPECT_EQ(out, Bytes({0x18, 0x18}));
  out.clear();
  cbor::EncodeJson(out, Json("-100"));
  EXPECT_EQ(out, Bytes({0x38, 0x63}));
}

http::HttpRequest CborRequest(const std::string& target, const std::string& body) {
  http::HttpRequest r;
  r.method = "POST";
  r.target = "/";
  r.headers.Add("Host", "127.0.0.1:4566");
  r.headers.Add("X-Amz-Target", target);
  r.headers.Add("Content-Type", "application/x-amz-cbor-1.1");
  r.body = std::make_unique<http::StringReader>(body);
  return r;
}

// A CBOR text string item.
std::string Text(std::string_view s) {
  std::string out;
  cbor::EncodeJson(out, Document(boost::json::string(s)));
  return out;
}

TEST(CborProtocol, KinesisPutRecordBlobIsAByteString) {
  // {"StreamName":"orders","Data":h'00ff68690a',"PartitionKey":"pk-1"} as the Java SDK writes it.
  std::string body = Bytes({0xa3}) + Text("StreamName") + Text("orders") + Text("Data") +
                     Bytes({0x45, 0x00, 0xff, 0x68, 0x69, 0x0a}) + Text("PartitionKey") + Text("pk-1");
  auto r = CborRequest("Kinesis_20131202.PutRecord", body);
  auto p = ParseRequest(Service("kinesis"), r, 1 << 20);
  ASSERT_TRUE(p.ok()) << p.error().code << " " << p.error().message;
  EXPECT_EQ(p->operation->name, "PutRecord");
  EXPECT_EQ(p->input.at("StreamName"), Json(R"("orders")"));
  EXPECT_EQ(p->input.at("Data").as_string(), std::string_view("\x00\xffhi\n", 5));
  EXPECT_EQ(p->input.at("PartitionKey"), Json(R"("pk-1")"));
}

TEST(CborProtocol, KinesisGetShardIteratorTimestampMillis) {
  // Timestamp: tag 1 + 1700000000123 (ms, what SdkCborGenerator writes).
  std::string body = Bytes({0xbf}) + Text("StreamName") + Text("s") + Text("ShardId") +
                     Text("shardId-000000000000") + Text("ShardIteratorType") + Text("AT_TIMESTAMP") +
                     Text("Timestamp") + Bytes({0xc1, 0x1b, 0x00, 0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x7b}) +
                     Bytes({0xff});
  auto r = CborRequest("Kinesis_20131202.GetShardIterator", body);
  auto p = ParseRequest(Service("kinesis"), r, 1 << 20);
  ASSERT_TRUE(p.ok()) << p.error().code << " " << p.error().message;
  EXPECT_EQ(p->input.at("Timestamp"), Json("1700000000123"));
  EXPECT_EQ(p->input.at("ShardIteratorType"), Json(R"("AT_TIMESTAMP")"));
}

TEST(CborProtocol, KinesisRequestErrors) {
  const auto& kinesis = Service("kinesis");
  auto code = [&](const std::string& body) {
    auto r = CborRequest("Kinesis_20131202.PutRecord", body);
    auto p = testing::ParseAndValidate(kinesis, r);
    return p.ok() ? std::string("ok") : p.error().code;
  };
  EXPECT_EQ(code(""), "SerializationException");
  EXPECT_EQ(code(Bytes({0x83, 0x01, 0x02, 0x03})), "SerializationException");  // not a map
  EXPECT_EQ(code(Bytes({0xa1}) + Text("StreamName")), "SerializationException");
  // A missing required member is the same ValidationException as in JSON.
  EXPECT_EQ(code(Bytes({0xa1}) + Text("StreamName") + Text("s")), "ValidationException");
  // Wrong type for a blob member.
  EXPECT_EQ(code(Bytes({0xa3}) + Text("StreamName") + Text("s") + Text("Data") + Bytes({0x01}) +
                 Text("PartitionKey") + Text("p")),
            "SerializationException");
}

TEST(CborProtocol, KinesisGetRecordsResponse) {
  const auto& kinesis = Service("kinesis");
  const auto* op = kinesis.FindOperation("GetRecords");
  ASSERT_NE(op, nullptr);
  http::Headers headers;
  headers.Add("Content-Type", "application/x-amz-cbor-1.1");
  RequestContext ctx;
  ctx.request_id = "req-1";
  ctx.headers = &headers;
  OperationOutput out;
  boost::json::object record;
  record["SequenceNumber"] = "49590338271490256608559692538361571095921575989136588898";
  record["ApproximateArrivalTimestamp"] = 1700000000123;
  record["Data"] = boost::json::string(std::string("\x00\x01", 2));
  record["PartitionKey"] = "pk";
  out.result = boost::json::object{
      {"Records", boost::json::array{record}}, {"NextShardIterator", "it-2"}, {"MillisBehindLatest", 0}};
  http::HttpResponse r = SerializeResponse(kinesis, *op, std::move(out), ctx);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.Get("content-type").value_or(""), "application/x-amz-cbor-1.1");
  // The blob is a CBOR byte string (0x42 00 01) and the timestamp tag 1 + uint64 ms.
  EXPECT_NE(r.body.find(Text("Data") + Bytes({0x42, 0x00, 0x01})), std::string::npos);
  EXPECT_NE(r.body.find(Text("ApproximateArrivalTimestamp") +
                        Bytes({0xc1, 0x1b, 0x00, 0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x7b})),
            std::string::npos);
  Document decoded = Decode(r.body);
  EXPECT_EQ(decoded.at("NextShardIterator"), Json(R"("it-2")"));
  EXPECT_EQ(decoded.at("MillisBehindLatest"), Json("0"));
  EXPECT_EQ(decoded.at("Records").at(0).at("Data"), Json(R"("AAE=")"));
  EXPECT_EQ(decoded.at("Records").at(0).at("ApproximateArrivalTimestamp").as_double(), 1700000000.123);

  // A JSON request still gets JSON.
  http::Headers json_headers;
  json_headers.Add("Content-Type", "application/x-amz-json-1.1");
  ctx.headers = &json_headers;
  OperationOutput json_out;
  json_out.result = boost::json::object{{"NextShardIterator", "it-3"}};
  http::HttpResponse j = SerializeResponse(kinesis, *op, std::move(json_out), ctx);
  EXPECT_EQ(j.headers.Get("content-type").value_or(""), "application/x-amz-json-1.1");
  EXPECT_EQ(Json(j.body).at("NextShardIterator"), Json(R"("it-3")"));
}

TEST(CborProtocol, KinesisErrorIsCbor) {
  const auto& kinesis = Service("kinesis");
  http::Headers headers;
  headers.Add("Content-Type", "application/x-amz-cbor-1.1");
  RequestContext ctx;
  ctx.request_id = "req-2";
  ctx.headers = &headers;
  Error e =
      MakeError("ResourceNotFoundException", "Stream orders under account 000000000000 not found.", 400);
  http::HttpResponse r = SerializeError(kinesis, kinesis.FindOperation("PutRecord"), e, ctx);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.headers.Get("content-type").value_or(""), "application/x-amz-cbor-1.1");
  EXPECT_EQ(r.headers.Get("x-amzn-errortype").value_or(""), "ResourceNotFoundException");
  Document decoded = Decode(r.body);
  EXPECT_EQ(decoded.at("__type"), Json(R"("ResourceNotFoundException")"));
  EXPECT_EQ(decoded.at("message"), Json(R"("Stream orders under account 000000000000 not found.")"));
}

}  // namespace
}  // namespace cenote::aws::protocol
