// Kinesis stream encryption: Kinesis and KMS registered in one request pipeline (ProviderHarness), Kinesis
// asking KMS for data keys in-process as the caller; the harness's recorder counts the KMS calls. Records
// written after StartStreamEncryption are sealed in the log (their bytes are nowhere on disk) and read back,
// across restarts; KMS's refusals are Kinesis's KMS* errors.

// GCC 12 reports a false -Wrestrict on `"literal" + std::string + ...` (GCC bug 105329).
#pragma GCC diagnostic ignored "-Wrestrict"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "../../store/temp_dir.hpp"
#include "../provider_harness.hpp"
#include "common/background_tasks.hpp"
#include "services/kinesis/kinesis_provider.hpp"
#include "services/kms/kms_provider.hpp"

namespace cenote::kinesis {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using store::testing::TempDir;

constexpr std::int64_t kTtl = 300'000;

class StreamEncryptionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Open();
    key_arn_ = std::string(Ok("kms", "CreateKey", {})["KeyMetadata"].as_object().at("Arn").as_string());
    Ok("kinesis", "CreateStream", {{"StreamName", "s"}, {"ShardCount", 1}});
  }
  void TearDown() override {
    harness_.reset();
    log_.reset();
    metadata_.reset();
  }

  // Opens (or reopens, as a restart does) the stores, KMS and Kinesis in a fresh pipeline.
  void Open() {
    harness_.reset();
    log_.reset();
    metadata_.reset();
    auto m = store::MetadataStore::OpenSqlite(dir_.path() + "/meta.db");
    ASSERT_TRUE(m.ok()) << m.error().message;
    metadata_ = std::move(*m);
    auto log = store::StreamLog::OpenLocal(dir_.path() + "/kinesis");
    ASSERT_TRUE(log.ok());
    log_ = std::move(*log);
    kms::KmsOptions kms_options;
    kms_options.root_key_file = dir_.path() + "/kms.key";
    kms_options.maintenance_interval_ms = 0;
    kms_options.clock = [this] { return now_.load(); };
    auto k = kms::KmsProvider::Open(*metadata_, tasks_, kms_options);
    ASSERT_TRUE(k.ok()) << k.error().message;
    harness_ = std::make_unique<testing::ProviderHarness>();
    KinesisOptions options;
    options.clock = [this] { return now_.load(); };
    options.maintenance_interval_ms = 0;
    options.invoker = &harness_->invoker();
    options.data_key_ttl_ms = kTtl;
    auto p = KinesisProvider::Open(*metadata_, *log_, tasks_, options);
    ASSERT_TRUE(p.ok()) << p.error().message;
    harness_->Register(std::move(*k));
    harness_->Register(std::move(*p));
  }

  Result<aws::OperationOutput> Call(const aws::Caller& caller, std::string_view service, std::string_view op,
                                    json::object params) {
    aws::OperationInput in;
    in.params = std::move(params);
    return harness_->invoker().Call(caller, service, op, in);
  }
  json::object Ok(std::string_view service, std::string_view op, json::object params) {
    auto r = Call(harness_->Root(), service, op, std::move(params));
    EXPECT_TRUE(r.ok()) << op << ": " << (r.ok() ? "" : r.error().code + " " + r.error().message);
    if (!r.ok()) return {};
    return r->result.as_object();
  }
  std::string Fails(std::string_view service, std::string_view op, json::object params,
                    const aws::Caller* caller = nullptr) {
    auto r = Call(caller ? *caller : harness_->Root(), service, op, std::move(params));
    EXPECT_FALSE(r.ok()) << op << " unexpectedly succeeded";
    return r.ok() ? "" : r.error().code;
  }
  json::object Put(const std::string& data, const std::string& key = "pk") {
    return Ok("kinesis", "PutRecord", {{"StreamName", "s"}, {"PartitionKey", key}, {"Data", data}});
  }
  // Every record of the stream's shard: (data, EncryptionType or "").
  Result<std::vector<std::pair<std::string, std::string>>> TryRead(const aws::Caller& caller) {
    auto it = Call(
        caller, "kinesis", "GetShardIterator",
        {{"StreamName", "s"}, {"ShardId", "shardId-000000000000"}, {"ShardIteratorType", "TRIM_HORIZON"}});
    if (!it) return it.error();
    auto r = Call(caller, "kinesis", "GetRecords",
                  {{"ShardIterator", it->result.as_object().at("ShardIterator")}});
    if (!r) return r.error();
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& rec : r->result.as_object().at("Records").as_array()) {
      const auto& o = rec.as_object();
      out.emplace_back(std::string(o.at("Data").as_string()),
                       o.contains("EncryptionType") ? std::string(o.at("EncryptionType").as_string()) : "");
    }
    return out;
  }
  std::vector<std::pair<std::string, std::string>> Read() {
    auto r = TryRead(harness_->Root());
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().code + " " + r.error().message);
    return r.ok() ? *r : std::vector<std::pair<std::string, std::string>>{};
  }
  std::size_t KmsCalls(std::string_view operation) const {
    std::size_t n = 0;
    for (const auto& c : harness_->recorder().calls()) {
      if (c.service == "kms" && c.operation == operation && c.error_code.empty()) ++n;
    }
    return n;
  }
  // Whether any file under the stream logs holds `needle`.
  bool LogsHold(const std::string& needle) {
    for (const auto& e : fs::recursive_directory_iterator(dir_.path() + "/kinesis")) {
      if (!e.is_regular_file()) continue;
      std::ifstream f(e.path(), std::ios::binary);
      std::stringstream ss;
      ss << f.rdbuf();
      if (ss.str().find(needle) != std::string::npos) return true;
    }
    return false;
  }
  void Start(const std::string& key) {
    Ok("kinesis", "StartStreamEncryption", {{"StreamName", "s"}, {"EncryptionType", "KMS"}, {"KeyId", key}});
  }

  TempDir dir_;
  BackgroundTasks tasks_;
  std::atomic<std::int64_t> now_{1'800'000'000'000};
  std::unique_ptr<store::MetadataStore> metadata_;
  std::unique_ptr<store::StreamLog> log_;
  std::unique_ptr<testing::ProviderHarness> harness_;
  std::string key_arn_;
};

TEST_F(StreamEncryptionTest, RecordsAfterStartAreSealedAndReadBack) {
  Put("plain-before-encryption");
  Start(key_arn_);
  auto summary = Ok("kinesis", "DescribeStreamSummary", {{"StreamName", "s"}})["StreamDescriptionSummary"];
  EXPECT_EQ(summary.at("EncryptionType").as_string(), "KMS");
  EXPECT_EQ(summary.at("KeyId").as_string(), key_arn_);
  EXPECT_EQ(Ok("kinesis", "DescribeStream", {{"StreamName", "s"}})["StreamDescription"].at("EncryptionType"),
            "KMS");
  for (int i = 0; i < 10; ++i) {
    auto put = Put("sealed-secret-" + std::to_string(i), "pk" + std::to_string(i));
    EXPECT_EQ(put["EncryptionType"].as_string(), "KMS");
  }
  Ok("kinesis", "PutRecords",
     {{"StreamName", "s"},
      {"Records", json::array{json::object{{"PartitionKey", "a"}, {"Data", "sealed-secret-batch"}}}}});
  EXPECT_EQ(KmsCalls("GenerateDataKey"), 1u);  // StartStreamEncryption's, reused by every write
  auto records = Read();
  ASSERT_EQ(records.size(), 12u);
  EXPECT_EQ(records[0], std::make_pair(std::string("plain-before-encryption"), std::string("")));
  EXPECT_EQ(records[1], std::make_pair(std::string("sealed-secret-0"), std::string("KMS")));
  EXPECT_EQ(records[11], std::make_pair(std::string("sealed-secret-batch"), std::string("KMS")));
  EXPECT_EQ(KmsCalls("Decrypt"), 1u);
  EXPECT_TRUE(LogsHold("plain-before-encryption"));
  EXPECT_FALSE(LogsHold("sealed-secret"));
}

TEST_F(StreamEncryptionTest, SurvivesRestartAndStop) {
  Start(key_arn_);
  Put("sealed-one");
  Open();
  auto summary = Ok("kinesis", "DescribeStreamSummary", {{"StreamName", "s"}})["StreamDescriptionSummary"];
  EXPECT_EQ(summary.at("EncryptionType").as_string(), "KMS");
  Put("sealed-two");
  EXPECT_EQ(KmsCalls("GenerateDataKey"), 1u);  // a fresh cache after the restart
  Ok("kinesis", "StopStreamEncryption",
     {{"StreamName", "s"}, {"EncryptionType", "KMS"}, {"KeyId", key_arn_}});
  EXPECT_EQ(Put("plain-three")["EncryptionType"].as_string(), "NONE");
  auto records = Read();
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].first, "sealed-one");
  EXPECT_EQ(records[1].first, "sealed-two");
  EXPECT_EQ(records[2], std::make_pair(std::string("plain-three"), std::string("")));
  EXPECT_FALSE(LogsHold("sealed-one"));
  EXPECT_FALSE(LogsHold("sealed-two"));
}

TEST_F(StreamEncryptionTest, KmsRefusalsAreKinesisErrors) {
  EXPECT_EQ(Fails("kinesis", "StartStreamEncryption",
                  {{"StreamName", "s"}, {"EncryptionType", "KMS"}, {"KeyId", "alias/nope"}}),
            "KMSNotFoundException");
  EXPECT_EQ(Ok("kinesis", "DescribeStreamSummary", {{"StreamName", "s"}})["StreamDescriptionSummary"].at(
                "EncryptionType"),
            "NONE");
  Start(key_arn_);
  Put("v");
  Ok("kms", "DisableKey", {{"KeyId", key_arn_}});
  EXPECT_EQ(Fails("kinesis", "StartStreamEncryption",
                  {{"StreamName", "s"}, {"EncryptionType", "KMS"}, {"KeyId", key_arn_ + "x"}}),
            "KMSNotFoundException");
  now_ += kTtl;  // the data key's reuse period is over: KMS is asked again, and refuses
  EXPECT_EQ(Fails("kinesis", "PutRecord", {{"StreamName", "s"}, {"PartitionKey", "k"}, {"Data", "w"}}),
            "KMSDisabledException");
  auto read = TryRead(harness_->Root());
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().code, "KMSDisabledException");
  Ok("kms", "EnableKey", {{"KeyId", key_arn_}});
  EXPECT_EQ(Read().size(), 1u);
}

TEST_F(StreamEncryptionTest, TheAwsManagedKeyAndEachCallerItsOwnKeys) {
  Start("alias/aws/kinesis");
  Put("managed");
  aws::Caller via_firehose = harness_->Root();
  via_firehose.invoked_by = "firehose.amazonaws.com";
  auto first = TryRead(harness_->Root());
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(KmsCalls("Decrypt"), 1u);
  auto other = TryRead(via_firehose);
  ASSERT_TRUE(other.ok()) << other.error().code;
  EXPECT_EQ((*other)[0].first, "managed");
  EXPECT_EQ(KmsCalls("Decrypt"), 2u);
  auto summary = Ok("kinesis", "DescribeStreamSummary", {{"StreamName", "s"}})["StreamDescriptionSummary"];
  EXPECT_EQ(summary.at("KeyId").as_string(), "alias/aws/kinesis");
}

}  // namespace
}  // namespace cenote::kinesis
