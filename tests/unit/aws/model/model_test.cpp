#include "aws/model/model.hpp"

#include <gtest/gtest.h>

#include <cstdio>

namespace cenote::aws::model {
namespace {

TEST(ModelTest, AllEmbeddedModelsLoad) {
  const ModelRegistry& r = ModelRegistry::Embedded();
  EXPECT_EQ(r.services().size(), 20u);
  std::printf("embedded models loaded in %lld us\n", static_cast<long long>(r.load_micros()));
  for (const char* prefix :
       {"s3",         "glue",   "athena",         "kinesis", "firehose", "sqs", "sns",           "events",
        "scheduler",  "states", "lambda",         "kms",     "iam",      "sts", "lakeformation", "cloudtrail",
        "monitoring", "logs",   "cloudformation", "macie2"}) {
    EXPECT_NE(r.ByEndpointPrefix(prefix), nullptr) << prefix;
  }
}

TEST(ModelTest, ServiceMetadata) {
  const ModelRegistry& r = ModelRegistry::Embedded();
  const ServiceModel* s3 = r.ByEndpointPrefix("s3");
  ASSERT_NE(s3, nullptr);
  EXPECT_EQ(s3->protocol(), "rest-xml");
  EXPECT_EQ(s3->signing_name(), "s3");
  EXPECT_EQ(s3->xml_namespace(), "http://s3.amazonaws.com/doc/2006-03-01/");
  const ServiceModel* glue = r.ByTargetPrefix("AWSGlue");
  ASSERT_NE(glue, nullptr);
  EXPECT_EQ(glue->endpoint_prefix(), "glue");
  EXPECT_EQ(glue->json_version(), "1.1");
  const ServiceModel* sqs = r.ByEndpointPrefix("sqs");
  ASSERT_NE(sqs, nullptr);
  EXPECT_TRUE(sqs->aws_query_compatible());
  EXPECT_EQ(sqs->json_version(), "1.0");
  EXPECT_EQ(r.ByTargetPrefix("CloudTrail_20131101"), r.ByEndpointPrefix("cloudtrail"));
  EXPECT_EQ(r.ByTargetPrefix("com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101"),
            r.ByEndpointPrefix("cloudtrail"));
  EXPECT_EQ(r.BySigningName("lakeformation"), r.ByEndpointPrefix("lakeformation"));
  EXPECT_EQ(r.ByEndpointPrefix("iam")->xml_namespace(), "https://iam.amazonaws.com/doc/2010-05-08/");
  EXPECT_EQ(r.ByEndpointPrefix("nosuch"), nullptr);
}

TEST(ModelTest, S3Operations) {
  const ServiceModel* s3 = ModelRegistry::Embedded().ByEndpointPrefix("s3");
  const Operation* put = s3->FindOperation("PutObject");
  ASSERT_NE(put, nullptr);
  EXPECT_EQ(put->http_method, "PUT");
  EXPECT_EQ(put->path_template, "/{Bucket}/{Key+}");
  EXPECT_TRUE(put->HasStreamingInput());
  EXPECT_FALSE(put->HasStreamingOutput());
  const Member* meta = put->input->FindMember("Metadata");
  ASSERT_NE(meta, nullptr);
  EXPECT_EQ(meta->location, Location::kHeaders);
  EXPECT_EQ(meta->location_name, "x-amz-meta-");
  EXPECT_EQ(meta->shape->type, ShapeType::kMap);
  const Member* len = put->input->FindMember("ContentLength");
  ASSERT_NE(len, nullptr);
  EXPECT_EQ(len->shape->type, ShapeType::kLong);
  EXPECT_TRUE(put->input->FindMember("Bucket")->required);

  const Operation* get = s3->FindOperation("GetObject");
  EXPECT_TRUE(get->HasStreamingOutput());
  EXPECT_EQ(get->input->FindMember("IfModifiedSince")->shape->type, ShapeType::kTimestamp);

  const Operation* list = s3->FindOperation("ListObjectsV2");
  ASSERT_EQ(list->query_literals.size(), 1u);
  EXPECT_EQ(list->query_literals[0].key, "list-type");
  EXPECT_EQ(list->query_literals[0].value, "2");
  EXPECT_EQ(list->output_root_name, "ListBucketResult");  // from the overlay
  const Member* contents = list->output->FindMember("Contents");
  ASSERT_NE(contents, nullptr);
  EXPECT_TRUE(contents->flattened);
  EXPECT_EQ(contents->shape->type, ShapeType::kList);
  EXPECT_EQ(contents->shape->member.shape->FindMember("LastModified")->shape->type, ShapeType::kTimestamp);

  const Operation* lb = s3->FindOperation("ListBuckets");
  EXPECT_EQ(lb->http_method, "GET");
  EXPECT_EQ(lb->request_uri, "/");  // defaulted
  EXPECT_EQ(lb->output_root_name, "ListAllMyBucketsResult");

  const Operation* cmu = s3->FindOperation("CompleteMultipartUpload");
  EXPECT_EQ(cmu->http_method, "POST");  // defaulted
  EXPECT_EQ(cmu->input_root_name, "CompleteMultipartUpload");
  EXPECT_EQ(cmu->input_xml_namespace, "http://s3.amazonaws.com/doc/2006-03-01/");
  EXPECT_EQ(cmu->output_root_name, "CompleteMultipartUploadResult");

  // Grantee: xsi:type attribute with a prefixed namespace.
  const Operation* acl = s3->FindOperation("GetBucketAcl");
  const Shape* grants = acl->output->FindMember("Grants")->shape;
  EXPECT_EQ(grants->member.location_name, "Grant");
  const Member* grantee = grants->member.shape->FindMember("Grantee");
  EXPECT_EQ(grantee->xml_namespace_prefix, "xsi");
  const Member* type = grantee->shape->FindMember("Type");
  EXPECT_TRUE(type->xml_attribute);
  EXPECT_EQ(type->location_name, "xsi:type");

  EXPECT_TRUE(s3->FindOperation("GetBucketLifecycle")->deprecated);
  EXPECT_FALSE(s3->FindOperation("GetBucketLifecycleConfiguration")->deprecated);
  EXPECT_EQ(s3->FindOperation("DeleteObject")->response_code, 204);
}

TEST(ModelTest, OverlayAddsCrc64NvmeAndChecksumType) {
  const ServiceModel* s3 = ModelRegistry::Embedded().ByEndpointPrefix("s3");
  for (const char* op : {"PutObject", "UploadPart", "CompleteMultipartUpload"}) {
    const Member* m = s3->FindOperation(op)->input->FindMember("ChecksumCRC64NVME");
    ASSERT_NE(m, nullptr) << op;
    EXPECT_EQ(m->location, Location::kHeader);
    EXPECT_EQ(m->location_name, "x-amz-checksum-crc64nvme");
  }
  const Member* t = s3->FindOperation("HeadObject")->output->FindMember("ChecksumType");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->location_name, "x-amz-checksum-type");
  const Shape* part = s3->FindOperation("CompleteMultipartUpload")
                          ->input->FindMember("MultipartUpload")
                          ->shape->FindMember("Parts")
                          ->shape->member.shape;
  EXPECT_NE(part->FindMember("ChecksumCRC64NVME"), nullptr);
  EXPECT_EQ(part->FindMember("ChecksumCRC64NVME")->location, Location::kBody);
}

TEST(ModelTest, QueryAndJsonModels) {
  const ModelRegistry& r = ModelRegistry::Embedded();
  const Operation* create = r.ByEndpointPrefix("iam")->FindOperation("CreateUser");
  ASSERT_NE(create, nullptr);
  EXPECT_EQ(create->output_result_wrapper, "CreateUserResult");
  EXPECT_EQ(create->output->FindMember("User")->shape->FindMember("CreateDate")->shape->type,
            ShapeType::kTimestamp);
  const Operation* invoke = r.ByEndpointPrefix("lambda")->FindOperation("Invoke");
  ASSERT_NE(invoke, nullptr);
  EXPECT_EQ(invoke->request_uri, "/2015-03-31/functions/{FunctionName}/invocations");
  EXPECT_EQ(invoke->input->payload, "Payload");
  EXPECT_EQ(invoke->output->FindMember("StatusCode")->location, Location::kStatusCode);
}

TEST(ModelTest, ParseRejectsBadModels) {
  EXPECT_FALSE(ServiceModel::Parse("not json").ok());
  EXPECT_FALSE(ServiceModel::Parse(R"({"metadata":{}})").ok());
  EXPECT_FALSE(
      ServiceModel::Parse(
          R"({"metadata":{"endpointPrefix":"x","protocol":"json"},"operations":{"A":{"input":{"shape":"Nope"}}},"shapes":{}})")
          .ok());
  auto ok = ServiceModel::Parse(
      R"({"metadata":{"endpointPrefix":"x","protocol":"json"},"operations":{"A":{"input":{"shape":"S1"}}},
          "shapes":{"S1":{"type":"structure","members":{"Self":{"shape":"S1"},"N":{"type":"integer"}}}}})",
      R"({"operations":{"A":{"http":{"method":"GET"}}},"shapes":{"S1":{"required":["N"]}}})");
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  const Operation* a = (*ok)->FindOperation("A");
  EXPECT_EQ(a->http_method, "GET");
  EXPECT_EQ(a->input->FindMember("Self")->shape, a->input);  // recursive shapes resolve
  EXPECT_TRUE(a->input->FindMember("N")->required);
  EXPECT_EQ(a->input->FindMember("Self")->shape->FindMember("N")->shape->type, ShapeType::kInteger);
}

}  // namespace
}  // namespace cenote::aws::model
