// FirehoseProvider called through a real request pipeline (ProviderHarness) with documents, over a real
// SQLite MetadataStore, a local StreamLog and a fake LakeAccess (objects in memory) reached through the
// invoked lake (testing::LakeThroughPipeline: every delivery is an in-process S3 call the pipeline records),
// with an injectable clock so buffering intervals are tested without sleeping. GCC 12 reports a false
// -Wrestrict on `"x" + std::string + ...` (GCC bug 105329).
#pragma GCC diagnostic ignored "-Wrestrict"

#include "services/firehose/firehose_provider.hpp"

#include <gtest/gtest.h>
#include <snappy.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <fstream>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include <filesystem>
#include "../../store/temp_dir.hpp"
#include "../fresh_schema_check.hpp"
#include "../lake_put_each.hpp"
#include "../lake_through_pipeline.hpp"
#include "../provider_harness.hpp"
#include "common/encoding.hpp"
#include "query/engine.hpp"
#include "services/firehose/errors.hpp"
#include "services/firehose/internal.hpp"
#include "services/glue/catalog.hpp"
#include "services/kinesis/kinesis_provider.hpp"
#include "store/free_space.hpp"

namespace cenote::firehose {
namespace {

namespace json = boost::json;
using store::testing::TempDir;

// A role ARN the model's pattern accepts (the pipeline checks it before the provider runs).
constexpr char kRole[] = "arn:aws:iam::000000000000:role/firehose-delivery";

// Objects in memory by bucket/key; one bucket "lake" exists. `fail_after_write` stores the object and then
// reports an error (a crash between the PutObject and the position commit, as seen by the provider).
class FakeLake final : public s3::LakeAccess {
 public:
  Status HeadBucket(const std::string& bucket) override {
    if (bucket != "lake") return MakeError("NoSuchBucket", "The specified bucket does not exist", 404);
    return Status::Ok();
  }
  Result<std::vector<s3::LakeObject>> ListObjects(const std::string& bucket, const std::string& prefix,
                                                  std::size_t) override {
    std::lock_guard<std::mutex> g(mu);
    std::vector<s3::LakeObject> out;
    for (const auto& [k, v] : objects)
      if (k.rfind(bucket + "/" + prefix, 0) == 0)
        out.push_back({k.substr(bucket.size() + 1), v.size(), "", 0});
    return out;
  }
  Result<std::string> LocalPath(const std::string&, const std::string&) override {
    return MakeError("NotImplemented", "no", 501);
  }
  Result<std::string> GetObject(const std::string& bucket, const std::string& key, std::uint64_t) override {
    std::lock_guard<std::mutex> g(mu);
    auto it = objects.find(bucket + "/" + key);
    if (it == objects.end()) return MakeError("NoSuchKey", "The specified key does not exist.", 404);
    return it->second;
  }
  Result<s3::LakeObject> PutObject(const std::string& bucket, const std::string& key,
                                   const std::string& bytes, const std::string& content_type) override {
    if (auto st = HeadBucket(bucket); !st.ok()) return st.error();
    std::lock_guard<std::mutex> g(mu);
    objects[bucket + "/" + key] = bytes;
    content_types[bucket + "/" + key] = content_type;
    ++puts;
    if (fail_after_write) return MakeError("InternalError", "simulated crash", 500);
    return s3::LakeObject{key, bytes.size(), "\"etag\"", 0};
  }
  Result<std::vector<s3::LakeObject>> PutObjects(
      const std::string& bucket, const std::vector<s3::LakePut>& puts,
      const std::function<Status(store::Transaction&)>& also) override {
    return s3::testing::PutEach(*this, bucket, puts, also);
  }
  Result<s3::LakeObject> PutObjectFromFile(const std::string& bucket, const std::string& key,
                                           const std::string& path,
                                           const std::string& content_type) override {
    std::ifstream in(path, std::ios::binary);
    if (!in) return MakeError("InternalError", "cannot read " + path, 500);
    std::stringstream ss;
    ss << in.rdbuf();
    return PutObject(bucket, key, ss.str(), content_type);
  }
  Status DeleteObject(const std::string& bucket, const std::string& key) override {
    std::lock_guard<std::mutex> g(mu);
    objects.erase(bucket + "/" + key);
    return Status::Ok();
  }
  void SetWriteEncryption(const s3::LakeWriteEncryption& encryption) override {
    std::lock_guard<std::mutex> g(mu);
    write_encryption = encryption;
  }

  std::mutex mu;
  std::map<std::string, std::string> objects;  // "bucket/key" -> bytes
  std::map<std::string, std::string> content_types;
  int puts = 0;
  bool fail_after_write = false;
  s3::LakeWriteEncryption write_encryption;  // the last one a delivery asked for
};

std::string Gunzip(const std::string& in) {
  z_stream zs{};
  EXPECT_EQ(inflateInit2(&zs, 15 + 16), Z_OK);
  std::string out(1 << 20, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = inflate(&zs, Z_FINISH);
  EXPECT_EQ(rc, Z_STREAM_END);
  out.resize(zs.total_out);
  inflateEnd(&zs);
  return out;
}

// 2026-03-04 05:06:07.089 UTC
constexpr std::int64_t kStart = 1772600767089;

class FirehoseTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  // Tests call DeliverDue themselves unless they ask for the delivery thread.
  static FirehoseOptions NoThread() {
    FirehoseOptions o;
    o.delivery_poll_ms = 0;
    return o;
  }

  void Open(aws::Invoker* invoker = nullptr, FirehoseOptions options = NoThread()) {
    harness_.reset();  // the provider goes with its pipeline
    provider_ = nullptr;
    log_.reset();
    metadata_.reset();
    auto md = store::MetadataStore::OpenSqlite(root_ + "/metadata.db");
    ASSERT_TRUE(md.ok());
    metadata_ = std::move(md).value();
    store::StreamLogOptions log_options;
    log_options.reserve = reserve_.get();
    auto log = store::StreamLog::OpenLocal(root_ + "/firehose", log_options);
    ASSERT_TRUE(log.ok());
    log_ = std::move(log).value();
    options.clock = [this] { return now_.load(); };
    if (options.owned_key_file.empty()) options.owned_key_file = root_ + "/firehose-owned.key";
    harness_ = std::make_unique<testing::ProviderHarness>();
    lake_through_pipeline_ = std::make_unique<testing::LakeThroughPipeline>(harness_->invoker(), lake_);
    auto p = FirehoseProvider::Open(*metadata_, *log_, *lake_through_pipeline_, invoker, tasks_, options);
    ASSERT_TRUE(p.ok()) << p.error().message;
    provider_ = p->get();
    harness_->Register(std::move(p).value());
  }

  // A call of the account's root user from a client in `region`.
  Result<aws::OperationOutput> Call(std::string_view op, json::object params,
                                    const std::string& region = "us-east-1") {
    return harness_->Call("firehose", op, std::move(params), region);
  }

  json::object Ok(std::string_view op, json::object params, const std::string& region = "us-east-1") {
    auto r = Call(op, std::move(params), region);
    EXPECT_TRUE(r.ok()) << op << ": " << (r.ok() ? "" : r.error().code + " " + r.error().message);
    if (!r.ok()) return {};
    return r->result.as_object();
  }

  Error Err(std::string_view op, json::object params, const std::string& region = "us-east-1") {
    auto r = Call(op, std::move(params), region);
    EXPECT_FALSE(r.ok()) << op << " unexpectedly succeeded";
    if (r.ok()) return Error{};
    return r.error();
  }

  void Create(const std::string& name, json::object destination = {},
              const std::string& region = "us-east-1") {
    destination["RoleARN"] = "arn:aws:iam::000000000000:role/firehose";
    destination["BucketARN"] = "arn:aws:s3:::lake";
    Ok("CreateDeliveryStream",
       {{"DeliveryStreamName", name}, {"ExtendedS3DestinationConfiguration", std::move(destination)}},
       region);
  }

  json::object Describe(const std::string& name, const std::string& region = "us-east-1") {
    return Ok("DescribeDeliveryStream", {{"DeliveryStreamName", name}}, region)["DeliveryStreamDescription"]
        .as_object();
  }

  void Put(const std::string& name, const std::string& data, const std::string& region = "us-east-1") {
    auto out = Ok("PutRecord", {{"DeliveryStreamName", name}, {"Record", {{"Data", data}}}}, region);
    EXPECT_TRUE(out.contains("RecordId"));
  }

  static std::string Arn(const std::string& name, const std::string& region = "us-east-1") {
    return "arn:aws:firehose:" + region + ":000000000000:deliverystream/" + name;
  }

  // The in-process S3 calls the pipeline recorded (deliveries).
  std::vector<testing::RecordingHook::Call> S3Calls() const {
    std::vector<testing::RecordingHook::Call> out;
    for (auto& c : harness_->recorder().calls())
      if (c.service == "s3") out.push_back(c);
    return out;
  }

  std::map<std::string, std::string> Objects() {
    std::lock_guard<std::mutex> g(lake_.mu);
    return lake_.objects;
  }

  TempDir dir_;
  std::string root_ = dir_.path();  // the data directory Open() uses
  FakeLake lake_;
  std::atomic<std::uint64_t> disk_free_{1ull << 40};  // what the reserve (when set) reads
  std::unique_ptr<store::FreeSpaceReserve> reserve_;
  std::atomic<std::int64_t> now_{kStart};
  BackgroundTasks tasks_;
  std::unique_ptr<store::MetadataStore> metadata_;
  std::unique_ptr<store::StreamLog> log_;
  std::unique_ptr<s3::Lake> lake_through_pipeline_;    // lake_ as the S3 service offers it to others
  std::unique_ptr<testing::ProviderHarness> harness_;  // owns the provider; goes before what it uses
  FirehoseProvider* provider_ = nullptr;
};

TEST_F(FirehoseTest, CreateAndDescribeFillsAwsDefaults) {
  auto out = Ok("CreateDeliveryStream",
                {{"DeliveryStreamName", "clicks"},
                 {"ExtendedS3DestinationConfiguration",
                  {{"RoleARN", "arn:aws:iam::000000000000:role/r"}, {"BucketARN", "arn:aws:s3:::lake"}}}});
  EXPECT_EQ(out["DeliveryStreamARN"].as_string(),
            "arn:aws:firehose:us-east-1:000000000000:deliverystream/clicks");
  auto d = Describe("clicks");
  EXPECT_EQ(d["DeliveryStreamStatus"].as_string(), "ACTIVE");
  EXPECT_EQ(d["DeliveryStreamType"].as_string(), "DirectPut");
  EXPECT_EQ(d["VersionId"].as_string(), "1");
  EXPECT_EQ(d["CreateTimestamp"].as_int64(), kStart);
  EXPECT_FALSE(d["HasMoreDestinations"].as_bool());
  auto& dest = d["Destinations"].as_array().at(0).as_object();
  EXPECT_EQ(dest["DestinationId"].as_string(), "destinationId-000000000001");
  auto& ext = dest["ExtendedS3DestinationDescription"].as_object();
  EXPECT_EQ(ext["BufferingHints"].at("SizeInMBs").as_int64(), 5);
  EXPECT_EQ(ext["BufferingHints"].at("IntervalInSeconds").as_int64(), 300);
  EXPECT_EQ(ext["CompressionFormat"].as_string(), "UNCOMPRESSED");
  EXPECT_EQ(ext["EncryptionConfiguration"].at("NoEncryptionConfig").as_string(), "NoEncryption");
  EXPECT_EQ(dest["S3DestinationDescription"].at("BucketARN").as_string(), "arn:aws:s3:::lake");
}

TEST_F(FirehoseTest, CreateErrors) {
  Create("dup");
  auto e =
      Err("CreateDeliveryStream",
          {{"DeliveryStreamName", "dup"},
           {"ExtendedS3DestinationConfiguration", {{"RoleARN", kRole}, {"BucketARN", "arn:aws:s3:::lake"}}}});
  EXPECT_EQ(e.code, "ResourceInUseException");
  EXPECT_EQ(e.message, "Firehose dup under accountId 000000000000 already exists");
  e = Err("CreateDeliveryStream",
          {{"DeliveryStreamName", "bad name!"},
           {"ExtendedS3DestinationConfiguration", {{"RoleARN", kRole}, {"BucketARN", "arn:aws:s3:::lake"}}}});
  EXPECT_EQ(e.code, "ValidationException");
  e = Err(
      "CreateDeliveryStream",
      {{"DeliveryStreamName", "x"},
       {"ExtendedS3DestinationConfiguration",
        {{"RoleARN", kRole}, {"BucketARN", "arn:aws:s3:::lake"}, {"BufferingHints", {{"SizeInMBs", 129}}}}}});
  EXPECT_EQ(e.code, "ValidationException");
  e = Err("CreateDeliveryStream",
          {{"DeliveryStreamName", "x"},
           {"ExtendedS3DestinationConfiguration",
            {{"RoleARN", kRole}, {"BucketARN", "arn:aws:s3:::lake"}, {"Prefix", "!{timestamp:yyyy}/"}}}});
  EXPECT_EQ(e.code, "InvalidArgumentException");
  e = Err("CreateDeliveryStream",
          {{"DeliveryStreamName", "x"},
           {"ExtendedS3DestinationConfiguration",
            {{"RoleARN", kRole}, {"BucketARN", "arn:aws:s3:::lake"}, {"CompressionFormat", "LZ4"}}}});
  EXPECT_EQ(e.code, "ValidationException");
  e = Err("CreateDeliveryStream", {{"DeliveryStreamName", "x"}});
  EXPECT_EQ(e.code, "InvalidArgumentException");
  e = Err("DescribeDeliveryStream", {{"DeliveryStreamName", "missing"}});
  EXPECT_EQ(e.code, "ResourceNotFoundException");
  EXPECT_EQ(e.message, "Firehose missing under account 000000000000 not found.");
  // Operations outside the table are the pipeline's to answer (every model operation is in it now).
  EXPECT_FALSE(provider_->Implements("NoSuchOperation"));
}

TEST_F(FirehoseTest, ListPaginatesAndDeleteRemoves) {
  for (const char* n : {"c", "a", "b"}) Create(n);
  auto out = Ok("ListDeliveryStreams", {{"Limit", 2}});
  ASSERT_EQ(out["DeliveryStreamNames"].as_array().size(), 2u);
  EXPECT_EQ(out["DeliveryStreamNames"].as_array()[0].as_string(), "a");
  EXPECT_TRUE(out["HasMoreDeliveryStreams"].as_bool());
  out = Ok("ListDeliveryStreams", {{"ExclusiveStartDeliveryStreamName", "b"}});
  ASSERT_EQ(out["DeliveryStreamNames"].as_array().size(), 1u);
  EXPECT_EQ(out["DeliveryStreamNames"].as_array()[0].as_string(), "c");
  EXPECT_FALSE(out["HasMoreDeliveryStreams"].as_bool());
  Ok("DeleteDeliveryStream", {{"DeliveryStreamName", "b"}});
  EXPECT_EQ(Err("DescribeDeliveryStream", {{"DeliveryStreamName", "b"}}).code, "ResourceNotFoundException");
  EXPECT_EQ(Err("DeleteDeliveryStream", {{"DeliveryStreamName", "b"}}).code, "ResourceNotFoundException");
  EXPECT_EQ(Ok("ListDeliveryStreams", {})["DeliveryStreamNames"].as_array().size(), 2u);
  Open();  // survives a restart
  EXPECT_EQ(Ok("ListDeliveryStreams", {})["DeliveryStreamNames"].as_array().size(), 2u);
}

TEST_F(FirehoseTest, UpdateDestinationChecksVersion) {
  Create("s");
  auto e = Err("UpdateDestination", {{"DeliveryStreamName", "s"},
                                     {"CurrentDeliveryStreamVersionId", "7"},
                                     {"DestinationId", "destinationId-000000000001"},
                                     {"ExtendedS3DestinationUpdate", {{"Prefix", "p/"}}}});
  EXPECT_EQ(e.code, "ConcurrentModificationException");
  e = Err("UpdateDestination", {{"DeliveryStreamName", "s"},
                                {"CurrentDeliveryStreamVersionId", "1"},
                                {"DestinationId", "destinationId-000000000009"},
                                {"ExtendedS3DestinationUpdate", {{"Prefix", "p/"}}}});
  EXPECT_EQ(e.code, "InvalidArgumentException");
  now_ += 5000;
  Ok("UpdateDestination",
     {{"DeliveryStreamName", "s"},
      {"CurrentDeliveryStreamVersionId", "1"},
      {"DestinationId", "destinationId-000000000001"},
      {"ExtendedS3DestinationUpdate", {{"Prefix", "p/"}, {"BufferingHints", {{"IntervalInSeconds", 60}}}}}});
  auto d = Describe("s");
  EXPECT_EQ(d["VersionId"].as_string(), "2");
  EXPECT_EQ(d["LastUpdateTimestamp"].as_int64(), kStart + 5000);
  auto& ext = d["Destinations"].as_array()[0].at("ExtendedS3DestinationDescription").as_object();
  EXPECT_EQ(ext.at("Prefix").as_string(), "p/");
  EXPECT_EQ(ext.at("BufferingHints").at("IntervalInSeconds").as_int64(), 60);
  EXPECT_EQ(ext.at("BufferingHints").at("SizeInMBs").as_int64(), 5);
}

TEST_F(FirehoseTest, Tags) {
  Create("t");
  Ok("TagDeliveryStream", {{"DeliveryStreamName", "t"},
                           {"Tags", json::array{json::object{{"Key", "b"}, {"Value", "2"}},
                                                json::object{{"Key", "a"}, {"Value", "1"}}}}});
  auto out = Ok("ListTagsForDeliveryStream", {{"DeliveryStreamName", "t"}, {"Limit", 1}});
  ASSERT_EQ(out["Tags"].as_array().size(), 1u);
  EXPECT_EQ(out["Tags"].as_array()[0].at("Key").as_string(), "a");
  EXPECT_TRUE(out["HasMoreTags"].as_bool());
  Ok("UntagDeliveryStream", {{"DeliveryStreamName", "t"}, {"TagKeys", json::array{"a"}}});
  out = Ok("ListTagsForDeliveryStream", {{"DeliveryStreamName", "t"}});
  ASSERT_EQ(out["Tags"].as_array().size(), 1u);
  EXPECT_EQ(out["Tags"].as_array()[0].at("Value").as_string(), "2");
  json::array many;
  for (int i = 0; i < 50; ++i) many.push_back(json::object{{"Key", "k" + std::to_string(i)}, {"Value", ""}});
  EXPECT_EQ(Err("TagDeliveryStream", {{"DeliveryStreamName", "t"}, {"Tags", many}}).code,
            "LimitExceededException");
}

TEST_F(FirehoseTest, AFullDiskRefusesRecordsWithANonRetryableError) {
  // 100 MiB above the reserve: close enough that every admission reads the pretend disk afresh (far from
  // the reserve a reading is reused for up to a second).
  disk_free_ = (16 + 100) << 20;
  reserve_ = store::FreeSpaceReserve::OpenWithProbe(
                 [this]() -> Result<store::FilesystemSpace> {
                   return store::FilesystemSpace{1ull << 40, disk_free_.load()};
                 },
                 store::ParseMinFreeSpace("16MiB").value())
                 .value();
  Open();
  Create("r");
  Put("r", "before");
  disk_free_ = 16 << 20;  // at the reserve
  Error put = Err("PutRecord", {{"DeliveryStreamName", "r"}, {"Record", {{"Data", "x"}}}});
  EXPECT_EQ(put.code, "InsufficientStorage") << "not ServiceUnavailableException, which clients retry";
  EXPECT_EQ(put.http_status, 507);
  json::array records;
  for (int i = 0; i < 3; ++i) records.push_back(json::object{{"Data", "rec" + std::to_string(i)}});
  Error batch = Err("PutRecordBatch", {{"DeliveryStreamName", "r"}, {"Records", records}});
  EXPECT_EQ(batch.code, "InsufficientStorage");
  disk_free_ = 1ull << 30;
  EXPECT_EQ(
      Ok("PutRecordBatch", {{"DeliveryStreamName", "r"}, {"Records", records}})["FailedPutCount"].as_int64(),
      0);
}

TEST_F(FirehoseTest, PutRecordBatchLimits) {
  Create("r");
  json::array records;
  for (int i = 0; i < 3; ++i) records.push_back(json::object{{"Data", "rec" + std::to_string(i)}});
  auto out = Ok("PutRecordBatch", {{"DeliveryStreamName", "r"}, {"Records", records}});
  EXPECT_EQ(out["FailedPutCount"].as_int64(), 0);
  EXPECT_FALSE(out["Encrypted"].as_bool());
  ASSERT_EQ(out["RequestResponses"].as_array().size(), 3u);
  EXPECT_NE(out["RequestResponses"].as_array()[0].at("RecordId").as_string(),
            out["RequestResponses"].as_array()[1].at("RecordId").as_string());
  json::array too_many;
  for (int i = 0; i < 501; ++i) too_many.push_back(json::object{{"Data", "x"}});
  EXPECT_EQ(Err("PutRecordBatch", {{"DeliveryStreamName", "r"}, {"Records", too_many}}).code,
            "ValidationException");
  EXPECT_EQ(
      Err("PutRecord", {{"DeliveryStreamName", "r"}, {"Record", {{"Data", std::string(1024001, 'x')}}}}).code,
      "ValidationException");
  json::array big;
  for (int i = 0; i < 5; ++i) big.push_back(json::object{{"Data", std::string(1000 * 1024, 'x')}});
  EXPECT_EQ(Err("PutRecordBatch", {{"DeliveryStreamName", "r"}, {"Records", big}}).code,
            "InvalidArgumentException");
  EXPECT_EQ(Err("PutRecord", {{"DeliveryStreamName", "nope"}, {"Record", {{"Data", "x"}}}}).code,
            "ResourceNotFoundException");
  auto m = provider_->Metrics().at(Arn("r"));
  EXPECT_EQ(m.incoming_records, 3);
  EXPECT_EQ(m.incoming_bytes, 12);
}

TEST_F(FirehoseTest, DeliversOneObjectWhenTheIntervalElapses) {
  Create("ev", {{"BufferingHints", {{"IntervalInSeconds", 60}, {"SizeInMBs", 1}}}});
  Put("ev", "{\"a\":1}");
  now_ += 1000;
  Put("ev", "{\"a\":2}");
  ASSERT_TRUE(provider_->DeliverDue().ok());
  EXPECT_TRUE(Objects().empty());
  now_ += 59'000;  // 60 s after the first record
  auto n = provider_->DeliverDue();
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1);
  auto objects = Objects();
  ASSERT_EQ(objects.size(), 1u);
  const auto& [key, bytes] = *objects.begin();
  EXPECT_EQ(bytes, "{\"a\":1}{\"a\":2}");  // no delimiter, as AWS
  std::regex pattern(
      "lake/2026/03/04/05/"
      "ev-1-2026-03-04-05-06-07-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
  EXPECT_TRUE(std::regex_match(key, pattern)) << key;
  EXPECT_EQ(*provider_->DeliverDue(true), 0);  // nothing left
  auto m = provider_->Metrics().at(Arn("ev"));
  EXPECT_EQ(m.delivery_records, 2);
  EXPECT_EQ(m.delivery_success, 1);
  EXPECT_EQ(m.data_freshness_ms, 60'000);
}

TEST_F(FirehoseTest, DeliversWhenTheSizeHintIsReached) {
  Create("big", {{"BufferingHints", {{"IntervalInSeconds", 900}, {"SizeInMBs", 1}}}});
  std::string half(512 * 1024, 'z');
  Put("big", half);
  EXPECT_EQ(*provider_->DeliverDue(), 0);
  Put("big", half);
  EXPECT_EQ(*provider_->DeliverDue(), 1);
  ASSERT_EQ(Objects().size(), 1u);
  EXPECT_EQ(Objects().begin()->second.size(), 1024u * 1024u);
}

TEST_F(FirehoseTest, GzipCustomPrefixAndDelimiter) {
  Create("gz", {{"BufferingHints", {{"IntervalInSeconds", 0}}},
                {"CompressionFormat", "GZIP"},
                {"Prefix", "raw/!{timestamp:yyyy/MM/dd}/!{firehose:random-string}/"},
                {"ErrorOutputPrefix", "err/!{firehose:error-output-type}/"},
                {"ProcessingConfiguration",
                 {{"Enabled", true},
                  {"Processors", json::array{json::object{{"Type", "AppendDelimiterToRecord"}}}}}}});
  Put("gz", "one");
  Put("gz", "two");
  EXPECT_EQ(*provider_->DeliverDue(), 1);
  auto objects = Objects();
  ASSERT_EQ(objects.size(), 1u);
  const auto& [key, bytes] = *objects.begin();
  EXPECT_TRUE(std::regex_match(
      key, std::regex("lake/raw/2026/03/04/[A-Za-z0-9]{11}/gz-1-2026-03-04-05-06-07-[-0-9a-f]{36}\\.gz")))
      << key;
  EXPECT_EQ(Gunzip(bytes), "one\ntwo\n");
}

TEST_F(FirehoseTest, UndeliveredRecordsSurviveARestart) {
  Create("dur", {{"BufferingHints", {{"IntervalInSeconds", 60}}}});
  Put("dur", "a");
  Put("dur", "b");
  Open();  // the provider (and its in-memory state) is gone; the log and metadata remain
  now_ += 60'000;
  EXPECT_EQ(*provider_->DeliverDue(), 1);
  ASSERT_EQ(Objects().size(), 1u);
  EXPECT_EQ(Objects().begin()->second, "ab");
}

TEST_F(FirehoseTest, ReplayAfterACrashOverwritesTheSameKey) {
  Create("once", {{"BufferingHints", {{"IntervalInSeconds", 0}}}});
  Put("once", "a");
  lake_.fail_after_write = true;  // the object lands, the position is not committed
  EXPECT_FALSE(provider_->DeliverDue().ok());
  auto first = Objects();
  ASSERT_EQ(first.size(), 1u);
  lake_.fail_after_write = false;
  Put("once", "b");  // arrived meanwhile
  Open();
  EXPECT_EQ(*provider_->DeliverDue(), 1);
  auto objects = Objects();
  ASSERT_EQ(objects.size(), 1u);  // replaced, not duplicated
  EXPECT_EQ(objects.begin()->first, first.begin()->first);
  EXPECT_EQ(objects.begin()->second, "ab");
  EXPECT_EQ(*provider_->DeliverDue(true), 0);
  Put("once", "c");
  EXPECT_EQ(*provider_->DeliverDue(), 1);
  objects = Objects();
  ASSERT_EQ(objects.size(), 2u);
}

TEST_F(FirehoseTest, MissingBucketKeepsRecordsForRetry) {
  Ok("CreateDeliveryStream", {{"DeliveryStreamName", "nb"},
                              {"ExtendedS3DestinationConfiguration",
                               {{"RoleARN", kRole},
                                {"BucketARN", "arn:aws:s3:::nobucket"},
                                {"BufferingHints", {{"IntervalInSeconds", 0}}}}}});
  Put("nb", "x");
  EXPECT_FALSE(provider_->DeliverDue().ok());
  EXPECT_EQ(provider_->Metrics().at(Arn("nb")).delivery_failures, 1);
  Ok("UpdateDestination", {{"DeliveryStreamName", "nb"},
                           {"CurrentDeliveryStreamVersionId", "1"},
                           {"DestinationId", "destinationId-000000000001"},
                           {"ExtendedS3DestinationUpdate", {{"BucketARN", "arn:aws:s3:::lake"}}}});
  EXPECT_EQ(*provider_->DeliverDue(), 1);
  auto objects = Objects();
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_NE(objects.begin()->first.find("/nb-2-"), std::string::npos);
  EXPECT_EQ(objects.begin()->second, "x");
}

TEST_F(FirehoseTest, ErrorTableIsWellFormed) {
  for (const auto& spec : ErrorTable()) {
    EXPECT_FALSE(std::string(spec.code).empty());
    EXPECT_GE(spec.http_status, 400);
  }
}

}  // namespace
}  // namespace cenote::firehose

namespace cenote::firehose {
namespace {

json::object PartitionedDestination() {
  return json::object{
      {"BufferingHints", {{"IntervalInSeconds", 0}}},
      {"Prefix", "cust=!{partitionKeyFromQuery:customer}/y=!{timestamp:yyyy}/"},
      {"ErrorOutputPrefix", "errors/!{firehose:error-output-type}/"},
      {"DynamicPartitioningConfiguration", {{"Enabled", true}}},
      {"ProcessingConfiguration",
       {{"Enabled", true},
        {"Processors",
         json::array{json::object{{"Type", "MetadataExtraction"},
                                  {"Parameters",
                                   json::array{json::object{{"ParameterName", "MetadataExtractionQuery"},
                                                            {"ParameterValue", "{customer: .customer_id}"}},
                                               json::object{{"ParameterName", "JsonParsingEngine"},
                                                            {"ParameterValue", "JQ-1.6"}}}}},
                     json::object{{"Type", "AppendDelimiterToRecord"}}}}}}};
}

TEST_F(FirehoseTest, DynamicPartitioningWritesOneObjectPerPartitionAndErrorsAside) {
  Create("dp", PartitionedDestination());
  Put("dp", R"({"customer_id":"a","v":1})");
  Put("dp", R"({"customer_id":"b","v":2})");
  Put("dp", R"({"customer_id":"a","v":3})");
  Put("dp", "not json");
  EXPECT_EQ(*provider_->DeliverDue(), 3);
  auto objects = Objects();
  ASSERT_EQ(objects.size(), 3u);
  std::map<std::string, std::string> by_prefix;
  for (const auto& [k, v] : objects) by_prefix[k.substr(0, k.find("/dp-"))] = v;
  EXPECT_EQ(by_prefix["lake/cust=a/y=2026"],
            "{\"customer_id\":\"a\",\"v\":1}\n{\"customer_id\":\"a\",\"v\":3}\n");
  EXPECT_EQ(by_prefix["lake/cust=b/y=2026"], "{\"customer_id\":\"b\",\"v\":2}\n");
  const std::string& err = by_prefix["lake/errors/partitioning-failed/2026/03/04/05"];
  auto line = json::parse(err.substr(0, err.find('\n'))).as_object();
  EXPECT_EQ(line["errorCode"].as_string(), "DynamicPartitioning.MetadataExtractionFailed");
  EXPECT_EQ(line["rawData"].as_string(), "bm90IGpzb24=");  // base64("not json")
  EXPECT_EQ(line["arrivalTimestamp"].as_int64(), kStart);
}

TEST_F(FirehoseTest, DynamicPartitioningConfigurationIsChecked) {
  auto dest = PartitionedDestination();
  dest.erase("ErrorOutputPrefix");
  dest["RoleARN"] = kRole;
  dest["BucketARN"] = "arn:aws:s3:::lake";
  EXPECT_EQ(
      Err("CreateDeliveryStream", {{"DeliveryStreamName", "x"}, {"ExtendedS3DestinationConfiguration", dest}})
          .code,
      "InvalidArgumentException");
  dest = PartitionedDestination();
  dest["RoleARN"] = kRole;
  dest["BucketARN"] = "arn:aws:s3:::lake";
  dest["Prefix"] = "cust=!{partitionKeyFromQuery:nokey}/";
  EXPECT_EQ(
      Err("CreateDeliveryStream", {{"DeliveryStreamName", "x"}, {"ExtendedS3DestinationConfiguration", dest}})
          .code,
      "InvalidArgumentException");
  dest["Prefix"] = "static/";
  EXPECT_EQ(
      Err("CreateDeliveryStream", {{"DeliveryStreamName", "x"}, {"ExtendedS3DestinationConfiguration", dest}})
          .code,
      "InvalidArgumentException");
}

}  // namespace
}  // namespace cenote::firehose

namespace cenote::firehose {
namespace {

// A Kinesis provider behind a pipeline of its own, as the server has it, for delivery streams that read one.
// Members go in reverse: the provider (in `pipeline`) before the tasks and stores it uses.
struct KinesisSource {
  std::unique_ptr<store::MetadataStore> metadata;
  std::unique_ptr<store::StreamLog> log;
  BackgroundTasks tasks;
  testing::ProviderHarness pipeline;

  void Open(const TempDir& dir, std::atomic<std::int64_t>& now) {
    auto md = store::MetadataStore::OpenSqlite(dir / "kinesis.db");
    ASSERT_TRUE(md.ok());
    metadata = std::move(md).value();
    auto lg = store::StreamLog::OpenLocal(dir / "kinesis");
    ASSERT_TRUE(lg.ok());
    log = std::move(lg).value();
    kinesis::KinesisOptions options;
    options.clock = [&now] { return now.load(); };
    options.maintenance_interval_ms = 0;
    auto provider = kinesis::KinesisProvider::Open(*metadata, *log, tasks, options);
    ASSERT_TRUE(provider.ok()) << provider.error().message;
    pipeline.Register(std::move(provider).value());
  }

  // A Kinesis operation that must succeed.
  void Call(std::string_view op, json::object params, const std::string& region = "us-east-1") {
    auto r = pipeline.Call("kinesis", op, std::move(params), region);
    EXPECT_TRUE(r.ok()) << op << ": " << (r.ok() ? "" : r.error().message);
  }
};

TEST_F(FirehoseTest, KinesisStreamAsSourceDeliversEachRecordOnce) {
  // Firehose reads its source through the pipeline, as in the server.
  KinesisSource kinesis;
  ASSERT_NO_FATAL_FAILURE(kinesis.Open(dir_, now_));
  testing::ProviderHarness& harness = kinesis.pipeline;
  auto kcall = [&](std::string_view op, json::object params) { kinesis.Call(op, std::move(params)); };
  kcall("CreateStream", {{"StreamName", "src"}, {"ShardCount", 2}});
  Open(&harness.invoker());
  const std::string arn = "arn:aws:kinesis:us-east-1:000000000000:stream/src";
  const std::string source_role = "arn:aws:iam::000000000000:role/service/source-reader";
  const std::string delivery_role = "arn:aws:iam::000000000000:role/writer";
  auto e = Err("CreateDeliveryStream", {{"DeliveryStreamName", "fromk"},
                                        {"DeliveryStreamType", "KinesisStreamAsSource"},
                                        {"KinesisStreamSourceConfiguration",
                                         {{"KinesisStreamARN", arn + "-missing"}, {"RoleARN", source_role}}},
                                        {"ExtendedS3DestinationConfiguration",
                                         {{"RoleARN", delivery_role}, {"BucketARN", "arn:aws:s3:::lake"}}}});
  EXPECT_EQ(e.code, "InvalidArgumentException");
  Ok("CreateDeliveryStream",
     {{"DeliveryStreamName", "fromk"},
      {"DeliveryStreamType", "KinesisStreamAsSource"},
      {"KinesisStreamSourceConfiguration", {{"KinesisStreamARN", arn}, {"RoleARN", source_role}}},
      {"ExtendedS3DestinationConfiguration",
       {{"RoleARN", delivery_role},
        {"BucketARN", "arn:aws:s3:::lake"},
        {"BufferingHints", {{"IntervalInSeconds", 0}}},
        {"ProcessingConfiguration",
         {{"Processors", json::array{json::object{{"Type", "AppendDelimiterToRecord"}}}}}}}}});
  auto d = Describe("fromk");
  EXPECT_EQ(d["DeliveryStreamType"].as_string(), "KinesisStreamAsSource");
  EXPECT_EQ(d["Source"].at("KinesisStreamSourceDescription").at("KinesisStreamARN").as_string(), arn);
  EXPECT_EQ(Err("PutRecord", {{"DeliveryStreamName", "fromk"}, {"Record", {{"Data", "x"}}}}).code,
            "InvalidArgumentException");
  now_ += 1000;
  kcall("PutRecord", {{"StreamName", "src"}, {"PartitionKey", "p1"}, {"Data", "r1"}});
  kcall("PutRecord", {{"StreamName", "src"}, {"PartitionKey", "p2"}, {"Data", "r2"}});
  kcall("PutRecord", {{"StreamName", "src"}, {"PartitionKey", "p3"}, {"Data", "r3"}});
  EXPECT_EQ(*provider_->DeliverDue(), 1);
  auto objects = Objects();
  ASSERT_EQ(objects.size(), 1u);
  std::string body = objects.begin()->second;
  for (const char* r : {"r1\n", "r2\n", "r3\n"}) EXPECT_NE(body.find(r), std::string::npos) << body;
  EXPECT_EQ(body.size(), 9u);
  EXPECT_EQ(provider_->Metrics().at(Arn("fromk")).incoming_records, 3);
  // Kinesis was read as the source configuration's role, in the stream's region, by Firehose; S3 was
  // written as the destination's role.
  bool read_records = false;
  for (const auto& c : harness.recorder().calls()) {
    if (c.invoked_by != "firehose.amazonaws.com") continue;
    EXPECT_EQ(c.principal_arn, "arn:aws:sts::000000000000:assumed-role/source-reader/AWSFirehoseFromKinesis");
    EXPECT_EQ(c.region, "us-east-1");
    read_records |= c.operation == "GetRecords" && c.error_code.empty();
  }
  EXPECT_TRUE(read_records);
  auto puts = S3Calls();
  ASSERT_EQ(puts.size(), 1u);
  EXPECT_EQ(puts[0].operation, "PutObject");
  EXPECT_EQ(puts[0].principal_arn, "arn:aws:sts::000000000000:assumed-role/writer/AWSFirehoseToS3");
  EXPECT_EQ(puts[0].invoked_by, "firehose.amazonaws.com");
  EXPECT_EQ(puts[0].region, "us-east-1");

  Open(&harness.invoker());  // restart: positions come back from the metadata store
  now_ += 1000;
  kcall("PutRecord", {{"StreamName", "src"}, {"PartitionKey", "p1"}, {"Data", "r4"}});
  EXPECT_EQ(*provider_->DeliverDue(), 1);
  objects = Objects();
  ASSERT_EQ(objects.size(), 2u);
  std::size_t total = 0;
  for (const auto& [key, bytes] : objects) total += bytes.size();
  EXPECT_EQ(total, 12u);  // r1..r4 once each
  EXPECT_EQ(*provider_->DeliverDue(true), 0);
  harness_.reset();
}

}  // namespace
}  // namespace cenote::firehose

namespace cenote::firehose {
namespace {

// ---- regions: every delivery stream lives in the namespace of (account, region) of its creator ----

std::vector<std::string> Names(const json::object& list) {
  std::vector<std::string> out;
  for (const auto& n : list.at("DeliveryStreamNames").as_array()) out.emplace_back(n.as_string());
  return out;
}

TEST_F(FirehoseTest, TheSameNameInTwoRegionsIsTwoDeliveryStreams) {
  Create("clicks", {{"BufferingHints", {{"IntervalInSeconds", 0}}}, {"Prefix", "us/"}}, "us-east-1");
  Create("clicks", {{"BufferingHints", {{"IntervalInSeconds", 0}}}, {"Prefix", "eu/"}}, "eu-west-1");
  EXPECT_EQ(Describe("clicks", "us-east-1")["DeliveryStreamARN"].as_string(), Arn("clicks", "us-east-1"));
  EXPECT_EQ(Describe("clicks", "eu-west-1")["DeliveryStreamARN"].as_string(), Arn("clicks", "eu-west-1"));
  auto dup =
      Err("CreateDeliveryStream",
          {{"DeliveryStreamName", "clicks"},
           {"ExtendedS3DestinationConfiguration",
            {{"RoleARN", "arn:aws:iam::000000000000:role/firehose"}, {"BucketARN", "arn:aws:s3:::lake"}}}},
          "eu-west-1");
  EXPECT_EQ(dup.code, "ResourceInUseException");

  Create("only-eu", {}, "eu-west-1");
  EXPECT_EQ(Names(Ok("ListDeliveryStreams", {}, "us-east-1")), (std::vector<std::string>{"clicks"}));
  EXPECT_EQ(Names(Ok("ListDeliveryStreams", {}, "eu-west-1")),
            (std::vector<std::string>{"clicks", "only-eu"}));
  EXPECT_TRUE(Names(Ok("ListDeliveryStreams", {}, "ap-south-1")).empty());
  auto missing = Err("DescribeDeliveryStream", {{"DeliveryStreamName", "only-eu"}}, "us-east-1");
  EXPECT_EQ(missing.code, "ResourceNotFoundException");
  EXPECT_EQ(missing.message, "Firehose only-eu under account 000000000000 not found.");

  // Each delivers its own records, writing to S3 in its own region.
  Put("clicks", "to-us", "us-east-1");
  Put("clicks", "to-eu", "eu-west-1");
  EXPECT_EQ(*provider_->DeliverDue(), 2);
  std::map<std::string, std::string> by_prefix;
  for (const auto& [key, bytes] : Objects()) by_prefix[key.substr(0, key.find('/', 5))] = bytes;
  EXPECT_EQ(by_prefix["lake/us"], "to-us");
  EXPECT_EQ(by_prefix["lake/eu"], "to-eu");
  std::multiset<std::string> regions;
  for (const auto& c : S3Calls()) regions.insert(c.region);
  EXPECT_EQ(regions, (std::multiset<std::string>{"eu-west-1", "us-east-1"}));
  EXPECT_EQ(provider_->Metrics().at(Arn("clicks", "eu-west-1")).delivery_records, 1);

  Ok("DeleteDeliveryStream", {{"DeliveryStreamName", "clicks"}}, "eu-west-1");
  EXPECT_EQ(Err("DescribeDeliveryStream", {{"DeliveryStreamName", "clicks"}}, "eu-west-1").code,
            "ResourceNotFoundException");
  EXPECT_EQ(Describe("clicks", "us-east-1")["DeliveryStreamStatus"].as_string(), "ACTIVE");
}

TEST_F(FirehoseTest, RegionsSurviveARestart) {
  Create("s", {{"BufferingHints", {{"IntervalInSeconds", 60}}}}, "eu-west-1");
  Create("s", {}, "us-west-2");
  Put("s", "kept", "eu-west-1");
  Open();
  EXPECT_EQ(Names(Ok("ListDeliveryStreams", {}, "eu-west-1")), (std::vector<std::string>{"s"}));
  EXPECT_EQ(Names(Ok("ListDeliveryStreams", {}, "us-west-2")), (std::vector<std::string>{"s"}));
  EXPECT_TRUE(Names(Ok("ListDeliveryStreams", {}, "us-east-1")).empty());
  EXPECT_EQ(Describe("s", "eu-west-1")["DeliveryStreamARN"].as_string(), Arn("s", "eu-west-1"));
  now_ += 60'000;
  EXPECT_EQ(*provider_->DeliverDue(), 1);
  ASSERT_EQ(Objects().size(), 1u);
  EXPECT_EQ(Objects().begin()->second, "kept");
  EXPECT_EQ(S3Calls().at(0).region, "eu-west-1");
}

TEST_F(FirehoseTest, StreamsStoredBeforeRegionsMoveToTheDefaultNamespace) {
  // A data directory of schema v3: delivery streams keyed by name alone, in the server's one namespace.
  root_ = dir_ / "v3";
  std::filesystem::create_directories(root_);
  const std::string uid = "0123456789abcdef01234567";
  {
    auto md = store::MetadataStore::OpenSqlite(root_ + "/metadata.db");
    ASSERT_TRUE(md.ok());
    ASSERT_TRUE(
        (*md)
            ->Migrate("firehose",
                      {"CREATE TABLE firehose_streams (name TEXT PRIMARY KEY, doc TEXT NOT NULL)",
                       "CREATE TABLE firehose_positions (uid TEXT PRIMARY KEY, next_sequence INTEGER NOT "
                       "NULL)",
                       "CREATE TABLE firehose_kinesis_positions (uid TEXT NOT NULL, shard_id TEXT NOT "
                       "NULL, after_sequence TEXT NOT NULL, log_next INTEGER NOT NULL, PRIMARY KEY (uid, "
                       "shard_id))"})
            .ok());
    auto log = store::StreamLog::OpenLocal(root_ + "/firehose");
    ASSERT_TRUE(log.ok());
    ASSERT_TRUE((*log)->CreateLog(uid, 1).ok());
    std::vector<store::StreamRecordInput> records(1);
    records[0].arrival_ms = kStart;
    records[0].data = "old";
    ASSERT_TRUE((*log)->Append(uid, records).ok());
    // The document as the server wrote it then (with its ARN, now derived from the row's key).
    json::object doc{{"name", "legacy"},
                     {"uid", uid},
                     {"arn", "arn:aws:firehose:us-east-1:000000000000:deliverystream/legacy"},
                     {"type", "DirectPut"},
                     {"status", "ACTIVE"},
                     {"status_ms", kStart},
                     {"created", kStart},
                     {"updated", 0},
                     {"version", 1},
                     {"destination",
                      {{"RoleARN", "arn:aws:iam::000000000000:role/firehose"},
                       {"BucketARN", "arn:aws:s3:::lake"},
                       {"Prefix", "old/"},
                       {"BufferingHints", {{"SizeInMBs", 5}, {"IntervalInSeconds", 0}}},
                       {"CompressionFormat", "UNCOMPRESSED"}}},
                     {"legacy_s3", false},
                     {"source", json::object{}},
                     {"tags", {{"team", "data"}}}};
    auto txn = (*md)->Begin(store::MetadataStore::Mode::kWrite);
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE((*txn)
                    ->Exec("INSERT INTO firehose_streams (name, doc) VALUES (?, ?)",
                           {std::string("legacy"), json::serialize(doc)})
                    .ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  FirehoseOptions options = NoThread();
  options.default_account = "000000000000";
  options.default_region = "ap-south-1";  // the server's --region when it migrates
  Open(nullptr, options);
  EXPECT_EQ(Describe("legacy", "ap-south-1")["DeliveryStreamARN"].as_string(), Arn("legacy", "ap-south-1"));
  EXPECT_EQ(Err("DescribeDeliveryStream", {{"DeliveryStreamName", "legacy"}}, "us-east-1").code,
            "ResourceNotFoundException");
  EXPECT_EQ(Ok("ListTagsForDeliveryStream", {{"DeliveryStreamName", "legacy"}}, "ap-south-1")["Tags"]
                .as_array()
                .size(),
            1u);
  // Records accepted before the upgrade are delivered, from the stream's new region.
  EXPECT_EQ(*provider_->DeliverDue(), 1);
  ASSERT_EQ(Objects().size(), 1u);
  EXPECT_EQ(Objects().begin()->first.substr(0, 9), "lake/old/");
  EXPECT_EQ(Objects().begin()->second, "old");
  EXPECT_EQ(S3Calls().at(0).region, "ap-south-1");
  Open(nullptr, options);
  EXPECT_EQ(Describe("legacy", "ap-south-1")["VersionId"].as_string(), "1");
}

TEST_F(FirehoseTest, AKinesisSourceIsReadInItsRegionAsTheSourceRole) {
  KinesisSource kinesis;
  ASSERT_NO_FATAL_FAILURE(kinesis.Open(dir_, now_));
  testing::ProviderHarness& kinesis_pipeline = kinesis.pipeline;
  auto kcall = [&](std::string_view op, json::object params) {
    kinesis.Call(op, std::move(params), "eu-west-1");
  };
  // A stream created by a client in eu-west-1 has an eu-west-1 ARN; the delivery stream reading it is found
  // there, whatever the server's default region.
  kcall("CreateStream", {{"StreamName", "events"}, {"ShardCount", 1}});
  Open(&kinesis_pipeline.invoker());
  const std::string source = "arn:aws:kinesis:eu-west-1:000000000000:stream/events";
  auto config = [&](const std::string& arn) {
    return json::object{{"DeliveryStreamName", "from-eu"},
                        {"DeliveryStreamType", "KinesisStreamAsSource"},
                        {"KinesisStreamSourceConfiguration",
                         {{"KinesisStreamARN", arn}, {"RoleARN", "arn:aws:iam::000000000000:role/reader"}}},
                        {"ExtendedS3DestinationConfiguration",
                         {{"RoleARN", "arn:aws:iam::000000000000:role/writer"},
                          {"BucketARN", "arn:aws:s3:::lake"},
                          {"BufferingHints", {{"IntervalInSeconds", 0}}}}}};
  };
  // The same name in us-east-1 is no stream.
  EXPECT_EQ(Err("CreateDeliveryStream", config("arn:aws:kinesis:us-east-1:000000000000:stream/events")).code,
            "InvalidArgumentException");
  auto created = Ok("CreateDeliveryStream", config(source), "eu-west-1");
  EXPECT_EQ(created["DeliveryStreamARN"].as_string(), Arn("from-eu", "eu-west-1"));
  now_ += 1000;
  kcall("PutRecord", {{"StreamName", "events"}, {"PartitionKey", "k"}, {"Data", "from eu"}});
  EXPECT_EQ(*provider_->DeliverDue(), 1);
  ASSERT_EQ(Objects().size(), 1u);
  EXPECT_EQ(Objects().begin()->second, "from eu");
  std::set<std::string> operations;
  for (const auto& c : kinesis_pipeline.recorder().calls()) {
    if (c.invoked_by != "firehose.amazonaws.com") continue;
    EXPECT_EQ(c.principal_arn, "arn:aws:sts::000000000000:assumed-role/reader/AWSFirehoseFromKinesis");
    // Each call in its source ARN's region: the refused us-east-1 source was looked for there.
    EXPECT_EQ(c.region, c.error_code.empty() ? "eu-west-1" : "us-east-1") << c.operation;
    if (c.error_code.empty()) operations.insert(c.operation);
  }
  EXPECT_EQ(operations,
            (std::set<std::string>{"DescribeStreamSummary", "GetRecords", "GetShardIterator", "ListShards"}));
  auto puts = S3Calls();
  ASSERT_EQ(puts.size(), 1u);
  EXPECT_EQ(puts[0].region, "eu-west-1");
  EXPECT_EQ(puts[0].principal_arn, "arn:aws:sts::000000000000:assumed-role/writer/AWSFirehoseToS3");
  harness_.reset();  // before the Kinesis pipeline it reads through
}

TEST(FirehoseRoles, AssumedRolePrincipals) {
  auto p = AssumedRolePrincipal("arn:aws:iam::123456789012:role/path/to/delivery", "AWSFirehoseToS3",
                                "000000000000");
  EXPECT_EQ(p.account_id, "123456789012");
  EXPECT_EQ(p.arn, "arn:aws:sts::123456789012:assumed-role/delivery/AWSFirehoseToS3");
  EXPECT_FALSE(p.is_root);
  // Stored before the model's pattern was checked: the stream's own account.
  auto legacy = AssumedRolePrincipal("r", "AWSFirehoseToS3", "000000000000");
  EXPECT_EQ(legacy.account_id, "000000000000");
  EXPECT_EQ(legacy.arn, "arn:aws:sts::000000000000:assumed-role/r/AWSFirehoseToS3");
  EXPECT_EQ(ArnRegion("arn:aws:kinesis:eu-west-1:000000000000:stream/s"), "eu-west-1");
  EXPECT_EQ(ArnRegion("nonsense"), "");
}

// docs/firehose-coverage.md (generated by src/services/firehose/gen_coverage.py) must match what Invoke does.
TEST(FirehoseCoverage, DocMatchesProvider) {
  std::ifstream in(std::string(CENOTE_SOURCE_DIR) + "/docs/firehose-coverage.md");
  ASSERT_TRUE(in.good()) << "run: python3 src/services/firehose/gen_coverage.py";
  std::stringstream ss;
  ss << in.rdbuf();
  std::string doc = ss.str();
  for (auto op : FirehoseProvider::SupportedOperations())
    EXPECT_NE(doc.find("| " + std::string(op) + " | supported |"), std::string::npos)
        << op
        << " missing or stale in docs/firehose-coverage.md; run python3 "
           "src/services/firehose/gen_coverage.py";
  for (const auto& e : ErrorTable()) EXPECT_NE(doc.find(e.code), std::string::npos) << e.code;
}

}  // namespace
}  // namespace cenote::firehose

namespace cenote::firehose {
namespace {

TEST_F(FirehoseTest, ConvertsJsonToParquetWithTheGlueSchema) {
  const std::string scratch = dir_ / "scratch";
  std::filesystem::create_directories(scratch + "/firehose");
  query::EngineOptions eo;
  eo.scratch_dir = scratch;
  eo.readable_dirs = {dir_.path()};
  eo.threads = 1;
  auto engine = query::QueryEngine::Open(eo);
  ASSERT_TRUE(engine.ok()) << engine.error().message;
  auto glue_md = store::MetadataStore::OpenSqlite(dir_ / "glue.db");  // Open() below replaces metadata_
  ASSERT_TRUE(glue_md.ok());
  auto catalog = glue::Catalog::Open(**glue_md, "000000000000", "us-east-1");
  ASSERT_TRUE(catalog.ok()) << catalog.error().message;
  auto regional = (*catalog)->ForRegion("000000000000", "us-east-1");
  ASSERT_TRUE(regional->CreateDatabase(json::object{{"Name", "lake"}}).ok());
  auto st = regional->CreateTable(
      "lake",
      json::object{{"Name", "events"},
                   {"StorageDescriptor",
                    {{"Columns", json::array{json::object{{"Name", "id"}, {"Type", "bigint"}},
                                             json::object{{"Name", "name"}, {"Type", "string"}},
                                             json::object{{"Name", "score"}, {"Type", "double"}}}}}}});
  ASSERT_TRUE(st.ok()) << st.error().message;
  FirehoseOptions options = NoThread();
  options.catalog = catalog->get();
  options.engine = engine->get();
  options.conversion_dir = scratch + "/firehose";
  Open(nullptr, options);

  json::object conversion{
      {"Enabled", true},
      {"SchemaConfiguration",
       {{"DatabaseName", "lake"}, {"TableName", "events"}, {"RoleARN", kRole}, {"VersionId", "LATEST"}}},
      {"InputFormatConfiguration", {{"Deserializer", {{"OpenXJsonSerDe", json::object{}}}}}},
      {"OutputFormatConfiguration", {{"Serializer", {{"ParquetSerDe", json::object{}}}}}}};
  auto bad = Err("CreateDeliveryStream", {{"DeliveryStreamName", "pq"},
                                          {"ExtendedS3DestinationConfiguration",
                                           {{"RoleARN", kRole},
                                            {"BucketARN", "arn:aws:s3:::lake"},
                                            {"BufferingHints", {{"SizeInMBs", 5}}},
                                            {"DataFormatConversionConfiguration", conversion}}}});
  EXPECT_EQ(bad.code, "InvalidArgumentException");  // AWS requires >= 64 MiB with conversion
  Create("pq", {{"BufferingHints", {{"IntervalInSeconds", 0}}},
                {"ErrorOutputPrefix", "err/!{firehose:error-output-type}/"},
                {"DataFormatConversionConfiguration", conversion}});
  EXPECT_EQ(Describe("pq")["Destinations"]
                .as_array()[0]
                .at("ExtendedS3DestinationDescription")
                .at("BufferingHints")
                .at("SizeInMBs")
                .as_int64(),
            128);
  Put("pq", R"({"id": 1, "Name": "a", "score": 1.5})");
  Put("pq", R"({"id": "not a number", "name": "x"})");  // does not fit bigint: only this record fails
  Put("pq", R"({"id": 2, "name": "b"})");
  Put("pq", "{broken");
  Put("pq", R"({"id": 3, "name": "c", "score": {"nested": true}})");  // an object for a double
  Put("pq", R"({"id": 4, "name": "d", "score": 2})");
  EXPECT_EQ(*provider_->DeliverDue(), 2);
  auto objects = Objects();
  ASSERT_EQ(objects.size(), 2u);
  std::string parquet_key, error_body;
  for (const auto& [k, v] : objects) {
    if (k.find("/err/format-conversion-failed/") != std::string::npos) error_body = v;
    if (k.size() > 8 && k.substr(k.size() - 8) == ".parquet") parquet_key = k;
  }
  ASSERT_FALSE(parquet_key.empty());
  ASSERT_FALSE(error_body.empty());
  EXPECT_NE(error_body.find("\"errorCode\":\"DataFormatConversion.MalformedData\""), std::string::npos);
  EXPECT_NE(error_body.find("\"rawData\":\"e2Jyb2tlbg==\""), std::string::npos);  // base64("{broken")
  EXPECT_NE(error_body.find(Base64Encode(R"({"id": "not a number", "name": "x"})")), std::string::npos);
  EXPECT_NE(error_body.find(Base64Encode(R"({"id": 3, "name": "c", "score": {"nested": true}})")),
            std::string::npos);
  EXPECT_EQ(std::count(error_body.begin(), error_body.end(), '\n'), 3);
  const std::string copy = scratch + "/check.parquet";
  {
    std::ofstream out(copy, std::ios::binary);
    out << objects[parquet_key];
  }
  auto rows =
      (*engine)->ExecuteTrusted("SELECT id, name, score FROM read_parquet('" + copy + "') ORDER BY id");
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[0][0].value_or("?"), "1");
  EXPECT_EQ((*rows)[0][1].value_or("?"), "a");
  EXPECT_EQ((*rows)[0][2].value_or("?"), "1.5");
  EXPECT_EQ((*rows)[1][1].value_or("?"), "b");
  EXPECT_FALSE((*rows)[1][2].has_value());
  EXPECT_EQ((*rows)[2][0].value_or("?"), "4");
  EXPECT_EQ((*rows)[2][2].value_or("?"), "2.0");
  harness_.reset();
}

}  // namespace
}  // namespace cenote::firehose

namespace cenote::firehose {
namespace {

TEST_F(FirehoseTest, BackgroundThreadDelivers) {
  FirehoseOptions options;
  options.delivery_poll_ms = 10;
  Open(nullptr, options);
  Create("bg", {{"BufferingHints", {{"IntervalInSeconds", 0}}}});
  Put("bg", "payload");
  bool delivered = false;
  for (int i = 0; i < 500 && !delivered; ++i) {  // at most 5 s
    delivered = !Objects().empty();
    if (!delivered) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(delivered);
  EXPECT_EQ(Objects().begin()->second, "payload");
  EXPECT_EQ(tasks_.Running(), (std::vector<std::string>{"firehose.delivery"}));
  harness_.reset();  // the provider's task stops with it
  EXPECT_TRUE(tasks_.Running().empty());
}

}  // namespace
}  // namespace cenote::firehose

namespace cenote::firehose {
namespace {

std::uint32_t ReadLe(const std::string& s, std::size_t at, int bytes) {
  std::uint32_t v = 0;
  for (int i = bytes - 1; i >= 0; --i)
    v = (v << 8) | static_cast<unsigned char>(s[at + static_cast<std::size_t>(i)]);
  return v;
}

TEST_F(FirehoseTest, ZipObjectsHoldOneDeflatedEntry) {
  Create("zp", {{"BufferingHints", {{"IntervalInSeconds", 0}}}, {"CompressionFormat", "ZIP"}});
  Put("zp", "hello ");
  Put("zp", "zip");
  EXPECT_EQ(*provider_->DeliverDue(), 1);
  auto objects = Objects();
  ASSERT_EQ(objects.size(), 1u);
  const auto& [key, zip] = *objects.begin();
  ASSERT_GT(key.size(), 4u);
  EXPECT_EQ(key.substr(key.size() - 4), ".zip");
  ASSERT_GT(zip.size(), 30u + 22u);
  EXPECT_EQ(ReadLe(zip, 0, 4), 0x04034b50u);
  EXPECT_EQ(ReadLe(zip, zip.size() - 22, 4), 0x06054b50u);
  const std::uint32_t csize = ReadLe(zip, 18, 4);
  const std::uint32_t usize = ReadLe(zip, 22, 4);
  const std::uint32_t nlen = ReadLe(zip, 26, 2);
  EXPECT_EQ(usize, 9u);
  EXPECT_EQ(zip.substr(30, nlen), key.substr(key.rfind('/') + 1, key.size() - key.rfind('/') - 1 - 4));
  z_stream zs{};
  ASSERT_EQ(inflateInit2(&zs, -15), Z_OK);
  std::string out(64, '\0');
  std::string in = zip.substr(30 + nlen, csize);
  zs.next_in = reinterpret_cast<Bytef*>(in.data());
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  inflateEnd(&zs);
  EXPECT_EQ(out, "hello zip");
  EXPECT_EQ(ReadLe(zip, 14, 4),
            static_cast<std::uint32_t>(crc32(0L, reinterpret_cast<const Bytef*>(out.data()), 9)));
}

}  // namespace
}  // namespace cenote::firehose

namespace cenote::firehose {
namespace {

TEST_F(FirehoseTest, SnappyFramedAndHadoopSnappy) {
  Create("sf", {{"BufferingHints", {{"IntervalInSeconds", 0}}}, {"CompressionFormat", "Snappy"}});
  Create("hs", {{"BufferingHints", {{"IntervalInSeconds", 0}}}, {"CompressionFormat", "HADOOP_SNAPPY"}});
  std::string payload;
  for (int i = 0; i < 20000; ++i) payload += "record " + std::to_string(i) + "\n";  // > one 64 KiB chunk
  Put("sf", payload);
  Put("hs", payload);
  EXPECT_EQ(*provider_->DeliverDue(), 2);
  auto objects = Objects();
  ASSERT_EQ(objects.size(), 2u);
  for (const auto& [key, bytes] : objects) {
    EXPECT_EQ(key.substr(key.size() - 7), ".snappy") << key;
    std::string out;
    if (key.find("/sf-") != std::string::npos) {
      ASSERT_EQ(bytes.substr(0, 10), std::string("\xff\x06\x00\x00sNaPpY", 10));
      std::size_t at = 10;
      while (at + 4 <= bytes.size()) {
        unsigned type = static_cast<unsigned char>(bytes[at]);
        std::size_t len = ReadLe(bytes, at + 1, 3);
        std::string body = bytes.substr(at + 8, len - 4);
        std::string chunk;
        if (type == 0x00) {
          ASSERT_TRUE(snappy::Uncompress(body.data(), body.size(), &chunk));
        } else {
          chunk = body;
        }
        out += chunk;
        at += 4 + len;
      }
    } else {
      std::size_t at = 0;
      while (at + 8 <= bytes.size()) {
        std::uint32_t clen = (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + 4])) << 24) |
                             (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + 5])) << 16) |
                             (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + 6])) << 8) |
                             static_cast<unsigned char>(bytes[at + 7]);
        std::string block;
        ASSERT_TRUE(snappy::Uncompress(bytes.data() + at + 8, clen, &block));
        out += block;
        at += 8 + clen;
      }
    }
    EXPECT_EQ(out, payload) << key;
  }
}

// Buffer encryption with Firehose's own key (AWS_OWNED_CMK): records are sealed in the log, delivered in the
// clear, and the setting survives a restart.
TEST_F(FirehoseTest, OwnedKeyEncryptsTheBuffer) {
  Create("sse");
  EXPECT_EQ(Describe("sse")["DeliveryStreamEncryptionConfiguration"].as_object().at("Status"), "DISABLED");
  auto plain = Ok("PutRecord", {{"DeliveryStreamName", "sse"}, {"Record", {{"Data", "clear-record\n"}}}});
  EXPECT_FALSE(plain["Encrypted"].as_bool());
  Ok("StartDeliveryStreamEncryption",
     {{"DeliveryStreamName", "sse"},
      {"DeliveryStreamEncryptionConfigurationInput", {{"KeyType", "AWS_OWNED_CMK"}}}});
  auto config = Describe("sse")["DeliveryStreamEncryptionConfiguration"].as_object();
  EXPECT_EQ(config.at("Status"), "ENABLED");
  EXPECT_EQ(config.at("KeyType"), "AWS_OWNED_CMK");
  auto sealed = Ok("PutRecord", {{"DeliveryStreamName", "sse"}, {"Record", {{"Data", "sealed-record-1\n"}}}});
  EXPECT_TRUE(sealed["Encrypted"].as_bool());
  auto batch = Ok("PutRecordBatch", {{"DeliveryStreamName", "sse"},
                                     {"Records", json::array{json::object{{"Data", "sealed-record-2\n"}}}}});
  EXPECT_TRUE(batch["Encrypted"].as_bool());
  auto holds = [&](const std::string& needle) {
    for (const auto& e : std::filesystem::recursive_directory_iterator(root_ + "/firehose")) {
      if (!e.is_regular_file()) continue;
      std::ifstream f(e.path(), std::ios::binary);
      std::stringstream ss;
      ss << f.rdbuf();
      if (ss.str().find(needle) != std::string::npos) return true;
    }
    return false;
  };
  EXPECT_TRUE(holds("clear-record"));
  EXPECT_FALSE(holds("sealed-record"));
  Open();  // a restart: the setting and Firehose's key survive, so the sealed records are delivered
  EXPECT_EQ(Describe("sse")["DeliveryStreamEncryptionConfiguration"].as_object().at("Status"), "ENABLED");
  now_ += 301'000;
  ASSERT_TRUE(provider_->DeliverDue().ok());
  auto objects = Objects();
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects.begin()->second, "clear-record\nsealed-record-1\nsealed-record-2\n");
  Ok("StopDeliveryStreamEncryption", {{"DeliveryStreamName", "sse"}});
  EXPECT_EQ(Describe("sse")["DeliveryStreamEncryptionConfiguration"].as_object().at("Status"), "DISABLED");
  EXPECT_FALSE(
      Ok("PutRecord", {{"DeliveryStreamName", "sse"}, {"Record", {{"Data", "x\n"}}}})["Encrypted"].as_bool());
}

TEST_F(FirehoseTest, OwnedKeyRecordsAreDeliveredInTheClear) {
  Create("sse2");
  Ok("StartDeliveryStreamEncryption", {{"DeliveryStreamName", "sse2"}});  // KeyType defaults to AWS_OWNED_CMK
  Put("sse2", "one\n");
  Put("sse2", "two\n");
  now_ += 301'000;
  ASSERT_TRUE(provider_->DeliverDue().ok());
  auto objects = Objects();
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects.begin()->second, "one\ntwo\n");
}

TEST_F(FirehoseTest, EncryptionInputIsChecked) {
  Create("sse3");
  EXPECT_EQ(Err("StartDeliveryStreamEncryption",
                {{"DeliveryStreamName", "sse3"},
                 {"DeliveryStreamEncryptionConfigurationInput", {{"KeyType", "CUSTOMER_MANAGED_CMK"}}}})
                .code,
            "InvalidArgumentException");
  EXPECT_EQ(Err("StartDeliveryStreamEncryption",
                {{"DeliveryStreamName", "sse3"},
                 {"DeliveryStreamEncryptionConfigurationInput",
                  {{"KeyType", "AWS_OWNED_CMK"}, {"KeyARN", "arn:aws:kms:us-east-1:000000000000:key/k"}}}})
                .code,
            "InvalidArgumentException");
  EXPECT_EQ(Err("StartDeliveryStreamEncryption", {{"DeliveryStreamName", "missing"}}).code,
            "ResourceNotFoundException");
}

// KMSEncryptionConfig: the delivery asks S3 for SSE-KMS with the key.
TEST_F(FirehoseTest, DestinationKmsEncryptionConfig) {
  const std::string key = "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab";
  Create("kmsdest", {{"EncryptionConfiguration", {{"KMSEncryptionConfig", {{"AWSKMSKeyARN", key}}}}}});
  auto dest =
      Describe("kmsdest")["Destinations"].as_array()[0].as_object()["ExtendedS3DestinationDescription"];
  EXPECT_EQ(dest.at("EncryptionConfiguration").at("KMSEncryptionConfig").at("AWSKMSKeyARN").as_string(), key);
  Put("kmsdest", "r\n");
  now_ += 301'000;
  ASSERT_TRUE(provider_->DeliverDue().ok());
  EXPECT_EQ(lake_.write_encryption.algorithm, "aws:kms");
  EXPECT_EQ(lake_.write_encryption.kms_key_id, key);
  auto both =
      Err("CreateDeliveryStream",
          {{"DeliveryStreamName", "both"},
           {"ExtendedS3DestinationConfiguration",
            {{"RoleARN", kRole},
             {"BucketARN", "arn:aws:s3:::lake"},
             {"EncryptionConfiguration",
              {{"NoEncryptionConfig", "NoEncryption"}, {"KMSEncryptionConfig", {{"AWSKMSKeyARN", key}}}}}}}});
  EXPECT_EQ(both.code, "InvalidArgumentException");
}

}  // namespace
}  // namespace cenote::firehose

// A new data directory creates the schema from fresh_schema.inc; it must be what the migrations build.
TEST(FreshSchema, Firehose) {
  cenote::testing::CheckFreshSchema("firehose", cenote::firehose::Migrations("123456789012", "us-east-1"),
                                    cenote::firehose::FreshSchema(), CENOTE_SOURCE_DIR,
                                    "src/services/firehose/fresh_schema.inc");
}
