// rest-xml (S3) parsing and serialization, with requests written the way botocore and the JS SDK v3 send
// them.
#include <gtest/gtest.h>
#include <pugixml.hpp>

#include "test_support.hpp"

namespace cenote::aws::protocol {
namespace {

using testing::Json;
using testing::RawRequest;
using testing::Service;

const model::ServiceModel& S3() { return Service("s3"); }

Result<ParsedRequest> Parse(http::HttpRequest& r) { return ParseRequest(S3(), r, 1 << 20); }

std::string OpName(std::string_view raw) {
  auto r = RawRequest(raw);
  auto p = Parse(r);
  return p ? p->operation->name : "error:" + p.error().code;
}

RequestContext Ctx(const http::Headers* headers = nullptr) {
  RequestContext ctx;
  ctx.request_id = "4442587FB7D0A2F9";
  ctx.service = "s3";
  ctx.headers = headers;
  return ctx;
}

TEST(RestXmlParse, PutObjectWithMetadataBotocore) {
  auto r = RawRequest(
      "PUT /my-bucket/dir/a%20b%2Bc.txt HTTP/1.1\r\n"
      "Host: 127.0.0.1:4566\r\n"
      "User-Agent: Boto3/1.34.0 md/Botocore#1.34.0\r\n"
      "Content-MD5: XUFAKrxLKna5cZ2REBfFkg==\r\n"
      "x-amz-meta-Color: blue\r\n"
      "x-amz-meta-empty: \r\n"
      "Content-Type: text/plain\r\n"
      "x-amz-storage-class: STANDARD_IA\r\n"
      "x-amz-checksum-crc64nvme: AAAAAAAAAAA=\r\n"
      "x-amz-sdk-checksum-algorithm: CRC64NVME\r\n"
      "Expires: Wed, 21 Oct 2015 07:28:00 GMT\r\n"
      "Expect: 100-continue\r\n"
      "x-amz-content-sha256: UNSIGNED-PAYLOAD\r\n"
      "Content-Length: 5\r\n"
      "\r\n"
      "hello");
  auto* reader = static_cast<testing::StringReader*>(r.body.get());
  auto p = Parse(r);
  ASSERT_TRUE(p.ok()) << p.error().code << " " << p.error().message;
  EXPECT_EQ(p->operation->name, "PutObject");
  const auto& in = p->input.as_object();
  EXPECT_EQ(in.at("Bucket"), "my-bucket");
  EXPECT_EQ(in.at("Key"), "dir/a b+c.txt");
  EXPECT_EQ(in.at("ContentType"), "text/plain");
  EXPECT_EQ(in.at("ContentLength"), 5);
  EXPECT_EQ(in.at("StorageClass"), "STANDARD_IA");
  EXPECT_EQ(in.at("ChecksumCRC64NVME"), "AAAAAAAAAAA=");
  EXPECT_EQ(in.at("Expires"), 1445412480000);
  EXPECT_EQ(in.at("Metadata"), Json(R"({"color":"blue","empty":""})"));
  EXPECT_FALSE(in.contains("Body"));
  EXPECT_EQ(reader->consumed(), 0u) << "a streaming payload is left for the provider";
}

TEST(RestXmlParse, PutObjectAwsChunkedJsSdk) {
  // JS SDK v3 stream upload with a CRC32 trailer: aws-chunked inside HTTP chunked, x-id query parameter.
  auto r = RawRequest(
      "PUT /b/k?x-id=PutObject HTTP/1.1\r\n"
      "content-type: application/octet-stream\r\n"
      "content-encoding: aws-chunked\r\n"
      "x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER\r\n"
      "x-amz-decoded-content-length: 11\r\n"
      "x-amz-sdk-checksum-algorithm: CRC32\r\n"
      "x-amz-trailer: x-amz-checksum-crc32\r\n"
      "transfer-encoding: chunked\r\n"
      "\r\n");
  auto p = Parse(r);
  ASSERT_TRUE(p.ok()) << p.error().code;
  EXPECT_EQ(p->operation->name, "PutObject");
  EXPECT_EQ(p->input.at("ContentLength"), 11);
  EXPECT_FALSE(p->input.as_object().contains("ContentEncoding"));
  EXPECT_EQ(p->input.at("ChecksumAlgorithm"), "CRC32");

  auto gz = RawRequest(
      "PUT /b/k HTTP/1.1\r\nContent-Encoding: gzip, aws-chunked\r\nContent-Length: 99\r\n"
      "x-amz-decoded-content-length: 42\r\n\r\n");
  auto pg = Parse(gz);
  ASSERT_TRUE(pg.ok());
  EXPECT_EQ(pg->input.at("ContentEncoding"), "gzip");
  EXPECT_EQ(pg->input.at("ContentLength"), 42);

  // Without aws-chunked, Content-Encoding is stored as sent, separators included.
  auto two = RawRequest("PUT /b/k HTTP/1.1\r\nContent-Encoding: deflate, gzip\r\nContent-Length: 0\r\n\r\n");
  auto pt = Parse(two);
  ASSERT_TRUE(pt.ok());
  EXPECT_EQ(pt->input.at("ContentEncoding"), "deflate, gzip");
}

TEST(RestXmlParse, HostileKeysAreKeptVerbatim) {
  auto r = RawRequest("PUT /b/a//b/../c/%E2%9C%93/ HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
  auto p = Parse(r);
  ASSERT_TRUE(p.ok()) << p.error().code;
  EXPECT_EQ(p->input.at("Key"), "a//b/../c/\xE2\x9C\x93/");
}

TEST(RestXmlParse, OperationMatching) {
  EXPECT_EQ(OpName("GET / HTTP/1.1\r\n\r\n"), "ListBuckets");
  EXPECT_EQ(OpName("GET /b HTTP/1.1\r\n\r\n"), "ListObjects");
  EXPECT_EQ(OpName("GET /b/ HTTP/1.1\r\n\r\n"), "ListObjects");
  EXPECT_EQ(OpName("GET /b?list-type=2&prefix=a HTTP/1.1\r\n\r\n"), "ListObjectsV2");
  EXPECT_EQ(OpName("GET /b?location HTTP/1.1\r\n\r\n"), "GetBucketLocation");
  EXPECT_EQ(OpName("GET /b?lifecycle HTTP/1.1\r\n\r\n"), "GetBucketLifecycleConfiguration");
  EXPECT_EQ(OpName("GET /b?versions HTTP/1.1\r\n\r\n"), "ListObjectVersions");
  EXPECT_EQ(OpName("GET /b?uploads HTTP/1.1\r\n\r\n"), "ListMultipartUploads");
  EXPECT_EQ(OpName("PUT /b HTTP/1.1\r\n\r\n"), "CreateBucket");
  EXPECT_EQ(
      OpName(
          "PUT /b?tagging HTTP/1.1\r\n\r\n<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag></TagSet>"
          "</Tagging>"),
      "PutBucketTagging");
  EXPECT_EQ(OpName("PUT /b?tagging HTTP/1.1\r\n\r\n"), "error:MalformedXML");
  EXPECT_EQ(OpName("HEAD /b HTTP/1.1\r\n\r\n"), "HeadBucket");
  EXPECT_EQ(OpName("HEAD /b/k HTTP/1.1\r\n\r\n"), "HeadObject");
  EXPECT_EQ(OpName("DELETE /b HTTP/1.1\r\n\r\n"), "DeleteBucket");
  EXPECT_EQ(OpName("PUT /b/k HTTP/1.1\r\n\r\n"), "PutObject");
  EXPECT_EQ(OpName("PUT /b/k HTTP/1.1\r\nx-amz-copy-source: src/key\r\n\r\n"), "CopyObject");
  EXPECT_EQ(OpName("PUT /b/k?partNumber=1&uploadId=U HTTP/1.1\r\n\r\n"), "UploadPart");
  EXPECT_EQ(OpName("PUT /b/k?partNumber=1&uploadId=U HTTP/1.1\r\nx-amz-copy-source: /s/k\r\n\r\n"),
            "UploadPartCopy");
  EXPECT_EQ(OpName("GET /b/k HTTP/1.1\r\n\r\n"), "GetObject");
  EXPECT_EQ(OpName("GET /b/k?uploadId=U HTTP/1.1\r\n\r\n"), "ListParts");
  EXPECT_EQ(OpName("GET /b/k?tagging HTTP/1.1\r\n\r\n"), "GetObjectTagging");
  EXPECT_EQ(OpName("DELETE /b/k HTTP/1.1\r\n\r\n"), "DeleteObject");
  EXPECT_EQ(OpName("DELETE /b/k?uploadId=U HTTP/1.1\r\n\r\n"), "AbortMultipartUpload");
  EXPECT_EQ(OpName("POST /b/k?uploads HTTP/1.1\r\n\r\n"), "CreateMultipartUpload");
  EXPECT_EQ(OpName("POST /b?delete HTTP/1.1\r\n\r\n<Delete><Object><Key>a</Key></Object></Delete>"),
            "DeleteObjects");
  EXPECT_EQ(OpName("PATCH /b/k HTTP/1.1\r\n\r\n"), "error:MethodNotAllowed");
}

TEST(RestXmlParse, ListObjectsV2JsSdk) {
  // JS SDK v3 with forcePathStyle: path-style, query keys in its own order.
  auto r = RawRequest(
      "GET "
      "/my-bucket?list-type=2&delimiter=%2F&encoding-type=url&max-keys=100&prefix=photos%2F2024%20x&fetch-"
      "owner=true "
      "HTTP/1.1\r\n"
      "host: 127.0.0.1:4566\r\n"
      "x-amz-user-agent: aws-sdk-js/3.600.0\r\n"
      "amz-sdk-request: attempt=1; max=3\r\n"
      "\r\n");
  auto p = Parse(r);
  ASSERT_TRUE(p.ok()) << p.error().code;
  EXPECT_EQ(p->operation->name, "ListObjectsV2");
  EXPECT_EQ(p->input, Json(R"({"Bucket":"my-bucket","Delimiter":"/","EncodingType":"url","MaxKeys":100,
                               "Prefix":"photos/2024 x","FetchOwner":true})"));
}

TEST(RestXmlParse, BadIntegerIsInvalidArgument) {
  auto r = RawRequest("GET /b?list-type=2&max-keys=abc HTTP/1.1\r\n\r\n");
  auto p = Parse(r);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, "InvalidArgument");
  EXPECT_EQ(p.error().http_status, 400);
}

TEST(RestXmlParse, CompleteMultipartUpload) {
  auto r = RawRequest(
      "POST /b/big.bin?uploadId=VXBsb2FkIElE HTTP/1.1\r\n"
      "Content-Type: application/xml\r\n"
      "\r\n"
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<Part><ETag>\"etag1\"</ETag><PartNumber>1</PartNumber><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part>"
      "<Part><ETag>&quot;etag2&quot;</ETag><PartNumber>2</PartNumber></Part>"
      "</CompleteMultipartUpload>");
  auto p = Parse(r);
  ASSERT_TRUE(p.ok()) << p.error().code << " " << p.error().message;
  EXPECT_EQ(p->operation->name, "CompleteMultipartUpload");
  EXPECT_EQ(p->input, Json(R"({"Bucket":"b","Key":"big.bin","UploadId":"VXBsb2FkIElE",
      "MultipartUpload":{"Parts":[{"ETag":"\"etag1\"","PartNumber":1,"ChecksumCRC32":"AAAAAA=="},
                                  {"ETag":"\"etag2\"","PartNumber":2}]}})"));
}

TEST(RestXmlParse, DeleteObjects) {
  auto r = RawRequest(
      "POST /b?delete HTTP/1.1\r\n"
      "Content-MD5: 1B2M2Y8AsgTpgAmY7PhCfg==\r\n"
      "\r\n"
      "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Object><Key>a.txt</Key></Object>"
      "<Object><Key>b &amp; c</Key><VersionId>v1</VersionId></Object><Quiet>true</Quiet></Delete>");
  auto p = Parse(r);
  ASSERT_TRUE(p.ok()) << p.error().code;
  EXPECT_EQ(p->input.at("Delete"),
            Json(R"({"Objects":[{"Key":"a.txt"},{"Key":"b & c","VersionId":"v1"}],"Quiet":true})"));
}

TEST(RestXmlParse, WhitespaceKeysAreKeys) {
  // A key of one space, of a tab and newline, and one with spaces around a letter: each is its text, whole.
  auto r = RawRequest(
      "POST /b?delete HTTP/1.1\r\n"
      "\r\n"
      "<Delete>\n  <Object><Key> </Key></Object>\n  <Object><Key>\t\n</Key></Object>\n"
      "  <Object><Key> a </Key></Object>\n</Delete>");
  auto p = Parse(r);
  ASSERT_TRUE(p.ok()) << p.error().code;
  EXPECT_EQ(p->input.at("Delete"), Json(R"({"Objects":[{"Key":" "},{"Key":"\t\n"},{"Key":" a "}]})"));
}

TEST(RestXmlParse, DocumentTypeDeclarationsAreMalformed) {
  // Every XML body S3 reads, not only DeleteObjects: a DTD, with or without internal or external entities.
  const std::vector<std::pair<std::string, std::string>> documents = {
      {"POST /b?delete", "<Delete><Object><Key>&x;</Key></Object></Delete>"},
      {"PUT /b?tagging", "<Tagging><TagSet><Tag><Key>&x;</Key><Value>v</Value></Tag></TagSet></Tagging>"},
      {"PUT /b/k?tagging", "<Tagging><TagSet><Tag><Key>k</Key><Value>&x;</Value></Tag></TagSet></Tagging>"},
      {"PUT /b?versioning", "<VersioningConfiguration><Status>&x;</Status></VersioningConfiguration>"},
      {"POST /b/k?uploadId=u",
       "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&x;</ETag></Part>"
       "</CompleteMultipartUpload>"},
      {"PUT /b",
       "<CreateBucketConfiguration><LocationConstraint>&x;</LocationConstraint>"
       "</CreateBucketConfiguration>"},
  };
  for (const auto& [request_line, document] : documents) {
    const std::string root = document.substr(1, document.find('>') - 1);
    for (const std::string& prolog :
         {"<!DOCTYPE " + root + ">", "<?xml version=\"1.0\"?><!DOCTYPE " + root + " [<!ENTITY x \"y\">]>",
          "<!DOCTYPE " + root + " [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>",
          "<!DOCTYPE " + root + " SYSTEM \"http://example.com/evil.dtd\">"}) {
      auto r = RawRequest(request_line + " HTTP/1.1\r\n\r\n" + prolog + document);
      auto p = Parse(r);
      ASSERT_FALSE(p.ok()) << request_line << " " << prolog;
      EXPECT_EQ(p.error().code, "MalformedXML") << request_line << " " << prolog;
    }
  }
}

// XML is UTF-8 here; other bytes would let a DeleteObjects key name what no UTF-8 client can list or send.
TEST(RestXmlParse, DocumentsThatAreNotUtf8AreMalformed) {
  for (const char* key : {"caf\xe9", "\xff", "\xc3", "\xed\xa0\x80"}) {
    auto r = RawRequest(std::string("POST /b?delete HTTP/1.1\r\n\r\n<Delete><Object><Key>") + key +
                        "</Key></Object></Delete>");
    auto p = Parse(r);
    ASSERT_FALSE(p.ok()) << key;
    EXPECT_EQ(p.error().code, "MalformedXML") << key;
  }
  auto r =
      RawRequest("POST /b?delete HTTP/1.1\r\n\r\n<Delete><Object><Key>caf\xc3\xa9</Key></Object></Delete>");
  auto p = Parse(r);
  ASSERT_TRUE(p.ok()) << p.error().code;
  EXPECT_EQ(p->input.at("Delete"), Json(R"({"Objects":[{"Key":"caf\u00e9"}]})"));
}

// The bytes of a document read whole travel with it (S3 checks the Content-MD5 / x-amz-checksum-* sent for
// them); a streaming payload is left to the provider to read.
TEST(RestXmlParse, DocumentBodiesAreKeptAsReceived) {
  const std::string body = "<Delete><Object><Key>a</Key></Object></Delete>\n";
  auto r = RawRequest("POST /b?delete HTTP/1.1\r\n\r\n" + body);
  auto p = Parse(r);
  ASSERT_TRUE(p.ok()) << p.error().code;
  ASSERT_TRUE(p->raw_body.has_value());
  EXPECT_EQ(*p->raw_body, body);
  auto empty = RawRequest("PUT /b HTTP/1.1\r\n\r\n");
  auto create = Parse(empty);
  ASSERT_TRUE(create.ok()) << create.error().code;
  EXPECT_EQ(create->raw_body, std::optional<std::string>(""));
  auto put = RawRequest("PUT /b/k HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello");
  auto object = Parse(put);
  ASSERT_TRUE(object.ok()) << object.error().code;
  EXPECT_FALSE(object->raw_body.has_value());
  auto get = RawRequest("GET /b/k HTTP/1.1\r\n\r\n");
  auto read = Parse(get);
  ASSERT_TRUE(read.ok()) << read.error().code;
  EXPECT_FALSE(read->raw_body.has_value());
}

TEST(RestXmlParse, MalformedXml) {
  for (const char* body :
       {"<Delete><Object><Key>a</Key></Object>", "not xml", "<Delete><Quiet>maybe</Quiet></Delete>"}) {
    auto r = RawRequest(std::string("POST /b?delete HTTP/1.1\r\n\r\n") + body);
    auto p = Parse(r);
    ASSERT_FALSE(p.ok()) << body;
    EXPECT_EQ(p.error().code, "MalformedXML") << body;
    EXPECT_EQ(p.error().message,
              "The XML you provided was not well-formed or did not validate against our published schema");
  }
  // Well-formed but missing the required Objects list.
  auto r = RawRequest("POST /b?delete HTTP/1.1\r\n\r\n<Delete><Quiet>true</Quiet></Delete>");
  auto p = Parse(r);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, "MalformedXML");
}

TEST(RestXmlParse, CopyObject) {
  auto r = RawRequest(
      "PUT /dst/new%20key HTTP/1.1\r\n"
      "x-amz-copy-source: src-bucket/old%20key?versionId=abc\r\n"
      "x-amz-metadata-directive: REPLACE\r\n"
      "x-amz-copy-source-if-match: \"e1\"\r\n"
      "x-amz-meta-a: 1\r\n"
      "\r\n");
  auto p = Parse(r);
  ASSERT_TRUE(p.ok()) << p.error().code;
  EXPECT_EQ(p->operation->name, "CopyObject");
  EXPECT_EQ(p->input.at("CopySource"), "src-bucket/old%20key?versionId=abc");
  EXPECT_EQ(p->input.at("MetadataDirective"), "REPLACE");
  EXPECT_EQ(p->input.at("CopySourceIfMatch"), "\"e1\"");
  EXPECT_EQ(p->input.at("Key"), "new key");
}

TEST(RestXmlParse, GetObjectRangeAndConditions) {
  auto r = RawRequest(
      "GET /b/k?versionId=3HL4kqtJlcpXroDTDmJ%2BrmSpXd3dIbrHY&response-content-type=text%2Fcsv HTTP/1.1\r\n"
      "Range: bytes=0-99\r\n"
      "If-None-Match: \"abc\"\r\n"
      "If-Modified-Since: Sat, 29 Oct 1994 19:43:31 GMT\r\n"
      "x-amz-checksum-mode: ENABLED\r\n"
      "\r\n");
  auto p = Parse(r);
  ASSERT_TRUE(p.ok()) << p.error().code;
  EXPECT_EQ(p->operation->name, "GetObject");
  EXPECT_EQ(p->input, Json(R"({"Bucket":"b","Key":"k","VersionId":"3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY",
      "ResponseContentType":"text/csv","Range":"bytes=0-99","IfNoneMatch":"\"abc\"",
      "IfModifiedSince":783459811000,"ChecksumMode":"ENABLED"})"));
}

TEST(RestXmlParse, BodyTooLarge) {
  auto r =
      RawRequest("POST /b?delete HTTP/1.1\r\n\r\n<Delete><Object><Key>aaaaaaaaaaaa</Key></Object></Delete>");
  auto p = ParseRequest(S3(), r, 10);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, "MaxMessageLengthExceeded");
}

// ---- serialization -----------------------------------------------------------------------------------

pugi::xml_document ParseXml(const std::string& body) {
  pugi::xml_document doc;
  EXPECT_TRUE(doc.load_string(body.c_str())) << body;
  return doc;
}

TEST(RestXmlSerialize, ListObjectsV2) {
  const auto* op = S3().FindOperation("ListObjectsV2");
  OperationOutput out;
  out.result =
      Json(R"({"IsTruncated":false,"Name":"b","Prefix":"p/","Delimiter":"/","MaxKeys":1000,"KeyCount":2,
      "EncodingType":"url",
      "Contents":[{"Key":"p/a<&>.txt","LastModified":1255369830000,"ETag":"\"x\"","Size":5,"StorageClass":"STANDARD",
                   "ChecksumAlgorithm":["CRC32"]}],
      "CommonPrefixes":[{"Prefix":"p/d/"}]})");
  auto resp = SerializeResponse(S3(), *op, std::move(out), Ctx());
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(resp.headers.Get("x-amz-request-id"), "4442587FB7D0A2F9");
  EXPECT_TRUE(resp.headers.Has("x-amz-id-2"));
  EXPECT_EQ(resp.headers.Get("content-type"), "application/xml");
  EXPECT_NE(resp.body.find("<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"),
            std::string::npos)
      << resp.body;
  EXPECT_NE(resp.body.find("<LastModified>2009-10-12T17:50:30.000Z</LastModified>"), std::string::npos);
  EXPECT_NE(resp.body.find("<Key>p/a&lt;&amp;&gt;.txt</Key>"), std::string::npos);
  EXPECT_NE(resp.body.find("<Contents><Key>"), std::string::npos) << "flattened list, no wrapper";
  EXPECT_NE(resp.body.find("<ChecksumAlgorithm>CRC32</ChecksumAlgorithm>"), std::string::npos) << resp.body;
  EXPECT_NE(resp.body.find("<CommonPrefixes><Prefix>p/d/</Prefix></CommonPrefixes>"), std::string::npos);
  EXPECT_NE(resp.body.find("<IsTruncated>false</IsTruncated>"), std::string::npos);
  auto doc = ParseXml(resp.body);
  EXPECT_STREQ(doc.document_element().name(), "ListBucketResult");
}

TEST(RestXmlSerialize, ListBucketsWithOwner) {
  const auto* op = S3().FindOperation("ListBuckets");
  OperationOutput out;
  out.result = Json(R"({"Buckets":[{"Name":"a","CreationDate":1700000000123},{"Name":"b","CreationDate":0}],
                        "Owner":{"ID":"abc","DisplayName":"me"}})");
  auto resp = SerializeResponse(S3(), *op, std::move(out), Ctx());
  EXPECT_EQ(resp.body,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<ListAllMyBucketsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            "<Buckets><Bucket><Name>a</Name><CreationDate>2023-11-14T22:13:20.123Z</CreationDate></Bucket>"
            "<Bucket><Name>b</Name><CreationDate>1970-01-01T00:00:00.000Z</CreationDate></Bucket></Buckets>"
            "<Owner><DisplayName>me</DisplayName><ID>abc</ID></Owner></ListAllMyBucketsResult>");
}

TEST(RestXmlSerialize, GetBucketLocationIsBare) {
  const auto* op = S3().FindOperation("GetBucketLocation");
  OperationOutput out;
  out.result = Json(R"({"LocationConstraint":"eu-west-1"})");
  auto resp = SerializeResponse(S3(), *op, std::move(out), Ctx());
  EXPECT_EQ(
      resp.body,
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<LocationConstraint xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">eu-west-1</LocationConstraint>");
  OperationOutput empty;
  auto resp2 = SerializeResponse(S3(), *op, std::move(empty), Ctx());
  EXPECT_NE(
      resp2.body.find(
          "<LocationConstraint xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"></LocationConstraint>"),
      std::string::npos);
}

TEST(RestXmlSerialize, HeadObjectHeadersNoBody) {
  const auto* op = S3().FindOperation("HeadObject");
  OperationOutput out;
  out.result =
      Json(R"({"ContentLength":1234,"ETag":"\"e\"","LastModified":1445412480000,"ContentType":"text/csv",
                        "Metadata":{"color":"blue"},"ChecksumCRC64NVME":"AAAAAAAAAAA=","ChecksumType":"FULL_OBJECT",
                        "DeleteMarker":false})");
  auto resp = SerializeResponse(S3(), *op, std::move(out), Ctx());
  EXPECT_EQ(resp.status, 200);
  EXPECT_TRUE(resp.body.empty());
  EXPECT_EQ(resp.head_content_length, 1234u);
  EXPECT_FALSE(resp.headers.Has("Content-Length"));
  EXPECT_EQ(resp.headers.Get("Last-Modified"), "Wed, 21 Oct 2015 07:28:00 GMT");
  EXPECT_EQ(resp.headers.Get("ETag"), "\"e\"");
  EXPECT_EQ(resp.headers.Get("Content-Type"), "text/csv");
  EXPECT_EQ(resp.headers.Get("x-amz-meta-color"), "blue");
  EXPECT_EQ(resp.headers.Get("x-amz-checksum-crc64nvme"), "AAAAAAAAAAA=");
  EXPECT_EQ(resp.headers.Get("x-amz-checksum-type"), "FULL_OBJECT");
  EXPECT_EQ(resp.headers.Get("x-amz-delete-marker"), "false");
}

TEST(RestXmlSerialize, GetObjectStreamsAndPartialContent) {
  const auto* op = S3().FindOperation("GetObject");
  OperationOutput out;
  out.result = Json(R"({"ContentRange":"bytes 0-4/10","ContentType":"text/plain"})");
  out.body = std::make_unique<http::StringBody>("hello");
  out.http_status = 206;
  auto resp = SerializeResponse(S3(), *op, std::move(out), Ctx());
  EXPECT_EQ(resp.status, 206);
  ASSERT_TRUE(resp.stream);
  EXPECT_EQ(resp.stream->Size(), 5u);
  EXPECT_EQ(resp.headers.Get("Content-Range"), "bytes 0-4/10");
  EXPECT_EQ(resp.headers.Get("Content-Type"), "text/plain");
}

TEST(RestXmlSerialize, PayloadStructureAndGrantee) {
  const auto* op = S3().FindOperation("GetBucketAcl");
  OperationOutput out;
  out.result = Json(R"({"Owner":{"ID":"o"},"Grants":[{"Grantee":{"ID":"o","Type":"CanonicalUser"},
                        "Permission":"FULL_CONTROL"}]})");
  auto resp = SerializeResponse(S3(), *op, std::move(out), Ctx());
  EXPECT_NE(resp.body.find("<AccessControlPolicy xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"),
            std::string::npos)
      << resp.body;
  EXPECT_NE(
      resp.body.find("<AccessControlList><Grant><Grantee "
                     "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"CanonicalUser\">"
                     "<ID>o</ID></Grantee><Permission>FULL_CONTROL</Permission></Grant></AccessControlList>"),
      std::string::npos)
      << resp.body;

  const auto* copy = S3().FindOperation("CopyObject");
  OperationOutput c;
  c.result = Json(R"({"CopyObjectResult":{"ETag":"\"e\"","LastModified":0},"VersionId":"v"})");
  auto cr = SerializeResponse(S3(), *copy, std::move(c), Ctx());
  EXPECT_EQ(cr.headers.Get("x-amz-version-id"), "v");
  EXPECT_NE(
      cr.body.find(
          "<CopyObjectResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><ETag>&quot;e&quot;</ETag>"
          "<LastModified>1970-01-01T00:00:00.000Z</LastModified></CopyObjectResult>"),
      std::string::npos)
      << cr.body;
}

TEST(RestXmlSerialize, DeleteObjectIs204) {
  const auto* op = S3().FindOperation("DeleteObject");
  OperationOutput out;
  out.result = Json(R"({"DeleteMarker":true,"VersionId":"v1"})");
  auto resp = SerializeResponse(S3(), *op, std::move(out), Ctx());
  EXPECT_EQ(resp.status, 204);
  EXPECT_TRUE(resp.body.empty());
  EXPECT_EQ(resp.headers.Get("x-amz-delete-marker"), "true");
}

TEST(RestXmlSerialize, S3Error) {
  Error e = MakeError("NoSuchKey", "The specified key does not exist.", 404).With("Key", "a<b");
  auto resp = SerializeError(S3(), S3().FindOperation("GetObject"), e, Ctx());
  EXPECT_EQ(resp.status, 404);
  EXPECT_EQ(resp.headers.Get("x-amz-request-id"), "4442587FB7D0A2F9");
  EXPECT_TRUE(resp.headers.Has("x-amz-id-2"));
  EXPECT_EQ(resp.body.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code>"
                            "<Message>The specified key does not exist.</Message><Key>a&lt;b</Key>"
                            "<RequestId>4442587FB7D0A2F9</RequestId><HostId>",
                            0),
            0u)
      << resp.body;
  auto head = SerializeError(S3(), S3().FindOperation("HeadObject"), e, Ctx());
  EXPECT_EQ(head.status, 404);
  EXPECT_TRUE(head.body.empty());
  Error moved = MakeError("PermanentRedirect", "wrong region", 301);
  moved.headers.emplace_back("x-amz-bucket-region", "eu-west-1");
  auto r = SerializeError(S3(), nullptr, moved, Ctx());
  EXPECT_EQ(r.headers.Get("x-amz-bucket-region"), "eu-west-1");
}

TEST(RestXmlRoundTrip, CompleteMultipartUploadOutput) {
  const auto* op = S3().FindOperation("CompleteMultipartUpload");
  OperationOutput out;
  out.result = Json(R"({"Location":"http://x/b/k","Bucket":"b","Key":"k","ETag":"\"abc-2\"",
                        "ChecksumCRC64NVME":"AAAAAAAAAAA=","ChecksumType":"FULL_OBJECT","VersionId":"v"})");
  auto resp = SerializeResponse(S3(), *op, std::move(out), Ctx());
  EXPECT_EQ(resp.headers.Get("x-amz-version-id"), "v");
  EXPECT_NE(resp.body.find("<CompleteMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                           "<Location>http://x/b/k</Location><Bucket>b</Bucket><Key>k</Key>"
                           "<ETag>&quot;abc-2&quot;</ETag>"),
            std::string::npos)
      << resp.body;
  EXPECT_NE(resp.body.find("<ChecksumCRC64NVME>AAAAAAAAAAA=</ChecksumCRC64NVME>"), std::string::npos);
}

}  // namespace
}  // namespace cenote::aws::protocol
