#include "aws/model/model.hpp"

#include "aws/model/embedded.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

namespace cenote::aws::model {
namespace {

TEST(ModelTest, AllEmbeddedModelsLoad) {
  const ModelRegistry& r = ModelRegistry::Embedded();
  EXPECT_EQ(r.services().size(), 21u);
  std::printf("embedded models loaded in %lld us\n", static_cast<long long>(r.load_micros()));
  for (const char* prefix : {"s3",
                             "glue",
                             "athena",
                             "kinesis",
                             "firehose",
                             "sqs",
                             "sns",
                             "events",
                             "scheduler",
                             "states",
                             "lambda",
                             "kms",
                             "iam",
                             "sts",
                             "lakeformation",
                             "cloudtrail",
                             "monitoring",
                             "logs",
                             "cloudformation",
                             "macie2",
                             "organizations"}) {
    EXPECT_NE(r.ByEndpointPrefix(prefix), nullptr) << prefix;
  }
}

// Every constraint overlay applies cleanly (names only operations, shapes and members its model has).
// Also reports what applying them costs, the time deferred from start to each service's first request.
// The registry parses only each model's metadata at start and the rest on first use: the lazily built
// models must be the eager ones.
TEST(ModelTest, LazyModelsMatchEagerlyParsedOnes) {
  const ModelRegistry& registry = ModelRegistry::Embedded();
  for (const EmbeddedFile& file : EmbeddedModels()) {
    // The registry's overlays: "<uid>.json" first, then every "<uid>.<kind>.json" but the deferred
    // constraints.
    ModelSource source;
    source.model = file.data;
    const std::string base = std::string(file.uid) + ".json";
    for (const EmbeddedFile& o : EmbeddedOverlays()) {
      if (o.name == base) source.overlays.push_back(o.data);
    }
    for (const EmbeddedFile& o : EmbeddedOverlays()) {
      if (o.uid == file.uid && o.name != base && o.name != std::string(file.uid) + ".constraints.json") {
        source.overlays.push_back(o.data);
      }
    }
    auto eager = ServiceModel::Parse(source);
    ASSERT_TRUE(eager.ok()) << file.uid;
    const ServiceModel* lazy = registry.ByEndpointPrefix((*eager)->endpoint_prefix());
    ASSERT_NE(lazy, nullptr) << file.uid;
    EXPECT_EQ(lazy->uid(), (*eager)->uid());
    EXPECT_EQ(lazy->protocol(), (*eager)->protocol());
    EXPECT_EQ(lazy->protocols(), (*eager)->protocols());
    EXPECT_EQ(lazy->signing_name(), (*eager)->signing_name());
    EXPECT_EQ(lazy->target_prefix(), (*eager)->target_prefix());
    EXPECT_EQ(lazy->json_version(), (*eager)->json_version());
    EXPECT_EQ(lazy->validation_error_code(), (*eager)->validation_error_code());
    EXPECT_EQ(lazy->aws_query_compatible(), (*eager)->aws_query_compatible());
    EXPECT_EQ(lazy->xml_namespace(), (*eager)->xml_namespace()) << file.uid;
    ASSERT_EQ(lazy->operations().size(), (*eager)->operations().size()) << file.uid;
    for (std::size_t i = 0; i < lazy->operations().size(); ++i) {
      EXPECT_EQ(lazy->operations()[i]->name, (*eager)->operations()[i]->name);
      EXPECT_EQ(lazy->operations()[i]->request_uri, (*eager)->operations()[i]->request_uri);
    }
  }
}

TEST(ModelTest, AllConstraintOverlaysApply) {
  const ModelRegistry& r = ModelRegistry::Embedded();
  std::int64_t total = 0;
  for (const ServiceModel* m : r.services()) {
    auto started = std::chrono::steady_clock::now();
    Status s = m->LoadConstraints();
    auto micros =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started)
            .count();
    total += micros;
    EXPECT_TRUE(s.ok()) << m->uid() << ": " << s.error().message;
    std::printf("constraints of %s applied in %lld us\n", m->uid().c_str(), static_cast<long long>(micros));
    EXPECT_TRUE(m->LoadConstraints().ok());  // later calls return the outcome
  }
  std::printf("all constraint overlays applied in %lld us\n", static_cast<long long>(total));
}

TEST(ModelTest, ConstraintsReachInlineAndSharedShapes) {
  const ModelRegistry& r = ModelRegistry::Embedded();
  const ServiceModel* glue = r.ByEndpointPrefix("glue");
  ASSERT_TRUE(glue->LoadConstraints().ok());
  // Inline members of an operation's input.
  const Shape* catalog_id = glue->FindOperation("GetDatabase")->input->FindMember("CatalogId")->shape;
  EXPECT_EQ(catalog_id->min, 1);
  EXPECT_EQ(catalog_id->max, 255);
  EXPECT_EQ(catalog_id->pattern, "[\\u0020-\\uD7FF\\uE000-\\uFFFD\\uD800\\uDC00-\\uDBFF\\uDFFF\\t]*");
  // A shared shape (TableInput) and the inline shapes below it.
  const Shape* table_input = glue->FindOperation("CreateTable")->input->FindMember("TableInput")->shape;
  EXPECT_FALSE(table_input->name.empty());
  EXPECT_EQ(table_input->FindMember("Name")->shape->max, 255);
  // Enums, numeric ranges and list sizes.
  const ServiceModel* kinesis = r.ByEndpointPrefix("kinesis");
  ASSERT_TRUE(kinesis->LoadConstraints().ok());
  const Shape* type =
      kinesis->FindOperation("GetShardIterator")->input->FindMember("ShardIteratorType")->shape;
  EXPECT_EQ(type->enum_values.size(), 5u);
  const Shape* limit = kinesis->FindOperation("GetRecords")->input->FindMember("Limit")->shape;
  EXPECT_EQ(limit->min, 1);
  EXPECT_EQ(limit->max, 10000);
  const Shape* records = kinesis->FindOperation("PutRecords")->input->FindMember("Records")->shape;
  EXPECT_EQ(records->max, 500);
  // The hand-written overlay's operations get constraints too (overlays apply before the walk).
  const Shape* consumer = kinesis->FindOperation("SubscribeToShard")->input->FindMember("ConsumerARN")->shape;
  EXPECT_FALSE(consumer->pattern.empty());
  // S3 has no constraint overlay: rest-xml input is not validated this way.
  const ServiceModel* s3 = r.ByEndpointPrefix("s3");
  ASSERT_TRUE(s3->LoadConstraints().ok());
  EXPECT_FALSE(s3->FindOperation("PutObject")->input->FindMember("Key")->shape->min.has_value());
  // Athena's overlay names its validation error code.
  EXPECT_EQ(r.ByEndpointPrefix("athena")->validation_error_code(), "InvalidRequestException");
  EXPECT_EQ(glue->validation_error_code(), "ValidationException");
}

TEST(ModelTest, SeveralOverlaysApplyInOrderAndConstraintsLater) {
  ModelSource source;
  source.model = R"({"metadata":{"endpointPrefix":"x","protocol":"json"},
      "operations":{"A":{"input":{"type":"structure","members":{"N":{},"L":{"type":"list","member":{}}}}}},
      "shapes":{"S1":{"type":"integer"}}})";
  source.overlays = {
      R"({"operations":{"A":{"http":{"method":"GET"}}}})",
      R"({"operations":{"A":{"http":{"method":"PUT"}}},"metadata":{"validationErrorCode":"E"}})"};
  source.constraints =
      R"({"//":"doc","operations":{"A":{"input":{"members":{"N":{"min":1,"max":3,"pattern":"[a-z]*"},
          "L":{"max":2,"member":{"enum":["a","b"],"sensitive":true}}}}}},"shapes":{"S1":{"min":0,"max":9}}})";
  auto model = ServiceModel::Parse(source);
  ASSERT_TRUE(model.ok()) << model.error().message;
  const ServiceModel& m = **model;
  EXPECT_EQ(m.FindOperation("A")->http_method, "PUT");  // the later overlay wins
  EXPECT_EQ(m.validation_error_code(), "E");
  const Shape* n = m.FindOperation("A")->input->FindMember("N")->shape;
  EXPECT_FALSE(n->max.has_value());  // not before LoadConstraints
  ASSERT_TRUE(m.LoadConstraints().ok());
  EXPECT_EQ(n->min, 1);
  EXPECT_EQ(n->max, 3);
  EXPECT_EQ(n->pattern, "[a-z]*");
  const Shape* l = m.FindOperation("A")->input->FindMember("L")->shape;
  EXPECT_EQ(l->max, 2);
  EXPECT_EQ(l->member.shape->enum_values, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(l->member.shape->sensitive);
  EXPECT_EQ(m.FindShape("S1")->max, 9);

  // A constraint overlay that names what the model lacks fails, and keeps failing.
  for (const char* bad : {R"({"operations":{"Nope":{"input":{}}}})", R"({"shapes":{"Nope":{}}})",
                          R"({"operations":{"A":{"input":{"members":{"Nope":{"min":1}}}}}})",
                          R"({"operations":{"A":{"input":{"bogus":1}}}})", "not json"}) {
    source.constraints = bad;
    auto b = ServiceModel::Parse(source);
    ASSERT_TRUE(b.ok());
    EXPECT_FALSE((*b)->LoadConstraints().ok()) << bad;
    EXPECT_FALSE((*b)->LoadConstraints().ok()) << bad;
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
