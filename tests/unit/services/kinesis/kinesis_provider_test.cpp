// KinesisProvider called through a real request pipeline (ProviderHarness: in-process calls, authorize,
// after-hooks) with documents, over a real SQLite MetadataStore and a local StreamLog in a temp dir, with an
// injectable clock.
#include "services/kinesis/kinesis_provider.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "../../store/temp_dir.hpp"
#include "../fresh_schema_check.hpp"
#include "../provider_harness.hpp"
#include "aws/protocol/cbor.hpp"
#include "aws/protocol/event_stream.hpp"
#include "common/checksum.hpp"
#include "services/kinesis/errors.hpp"
#include "services/kinesis/internal.hpp"
#include "store/free_space.hpp"

namespace cenote::kinesis {
namespace {

using aws::protocol::EventStreamMessage;

namespace json = boost::json;
using store::testing::TempDir;

class KinesisTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  // Tests call Maintain() themselves unless they ask for the maintenance task.
  void Open(KinesisOptions options = {}, bool maintenance_task = false) {
    harness_.reset();  // the provider goes with its pipeline
    provider_ = nullptr;
    log_.reset();
    metadata_.reset();
    auto md = store::MetadataStore::OpenSqlite(root_ + "/metadata.db");
    ASSERT_TRUE(md.ok());
    metadata_ = std::move(md).value();
    store::StreamLogOptions log_options;
    log_options.segment_bytes = segment_bytes_;
    log_options.reserve = reserve_.get();
    auto log = store::StreamLog::OpenLocal(root_ + "/kinesis", log_options);
    ASSERT_TRUE(log.ok());
    log_ = std::move(log).value();
    options.clock = [this] { return now_.load(); };
    if (!maintenance_task) options.maintenance_interval_ms = 0;
    options_ = options;
    auto p = KinesisProvider::Open(*metadata_, *log_, tasks_, options);
    ASSERT_TRUE(p.ok()) << p.error().message;
    provider_ = p->get();
    harness_ = std::make_unique<testing::ProviderHarness>();
    harness_->Register(std::move(p).value());
  }

  // A call of the account's root user from a client in `region`.
  Result<aws::OperationOutput> Call(std::string_view op, json::object params,
                                    const std::string& region = "us-east-1") {
    return harness_->Call("kinesis", op, std::move(params), region);
  }

  json::object Ok(std::string_view op, json::object params, const std::string& region = "us-east-1") {
    auto r = Call(op, std::move(params), region);
    EXPECT_TRUE(r.ok()) << op << ": " << (r.ok() ? "" : r.error().code + " " + r.error().message);
    if (!r.ok()) return {};
    return r->result.as_object();
  }

  Error Fails(std::string_view op, json::object params, const std::string& region = "us-east-1") {
    auto r = Call(op, std::move(params), region);
    EXPECT_FALSE(r.ok()) << op << " unexpectedly succeeded";
    if (r.ok()) return Error{};
    return r.error();
  }

  void Create(const std::string& name, int shards, const std::string& region = "us-east-1") {
    Ok("CreateStream", {{"StreamName", name}, {"ShardCount", shards}}, region);
  }

  static std::string Arn(const std::string& name, const std::string& region = "us-east-1") {
    return "arn:aws:kinesis:" + region + ":000000000000:stream/" + name;
  }

  json::array Shards(const std::string& name) {
    return Ok("ListShards", {{"StreamName", name}})["Shards"].as_array();
  }

  std::string Iterator(const std::string& stream, const std::string& shard, const std::string& type,
                       json::object extra = {}, const std::string& region = "us-east-1") {
    extra["StreamName"] = stream;
    extra["ShardId"] = shard;
    extra["ShardIteratorType"] = type;
    auto r = Ok("GetShardIterator", extra, region);
    return r.contains("ShardIterator") ? std::string(r["ShardIterator"].as_string()) : "";
  }

  // Reads a shard from `iterator` until caught up or closed; data strings in order.
  std::vector<std::string> Drain(std::string iterator, json::array* children = nullptr,
                                 const std::string& region = "us-east-1") {
    std::vector<std::string> out;
    for (int i = 0; i < 1000 && !iterator.empty(); ++i) {
      auto r = Ok("GetRecords", {{"ShardIterator", iterator}}, region);
      for (const auto& rec : r["Records"].as_array()) out.emplace_back(rec.at("Data").as_string());
      if (!r.contains("NextShardIterator")) {
        if (children && r.contains("ChildShards")) *children = r["ChildShards"].as_array();
        break;
      }
      iterator = std::string(r["NextShardIterator"].as_string());
      if (r["Records"].as_array().empty() && r["MillisBehindLatest"].as_int64() == 0) break;
    }
    return out;
  }

  TempDir dir_;
  std::string root_ = dir_.path();  // the data directory Open() uses
  std::uint64_t segment_bytes_ = 64ull * 1024 * 1024;
  std::atomic<std::uint64_t> disk_free_{1ull << 40};  // what the reserve (when set) reads
  std::unique_ptr<store::FreeSpaceReserve> reserve_;
  std::atomic<std::int64_t> now_{1'764'000'000'000};
  KinesisOptions options_;
  BackgroundTasks tasks_;
  std::unique_ptr<store::MetadataStore> metadata_;
  std::unique_ptr<store::StreamLog> log_;
  std::unique_ptr<testing::ProviderHarness> harness_;  // owns the provider; goes before the stores
  KinesisProvider* provider_ = nullptr;
};

TEST(KinesisHashKeys, Md5MappingAndUniformRanges) {
  // python3: int(hashlib.md5(b"a").hexdigest(), 16)
  EXPECT_EQ(U128ToString(HashKeyOf("a")), "16955237001963240173058271559858726497");
  EXPECT_EQ(U128ToString(HashKeyOf("partition-1")), "198019941650871988756153596255032211816");
  EXPECT_EQ(U128ToString(HashKeyOf("hello")), "123957004363873451094272536567338222994");
  auto [s1, e1] = UniformRange(1, 3);
  EXPECT_EQ(U128ToString(s1), "113427455640312821154458202477256070485");
  EXPECT_EQ(U128ToString(e1), "226854911280625642308916404954512140969");
  auto [s2, e2] = UniformRange(1, 2);
  EXPECT_EQ(U128ToString(s2), "170141183460469231731687303715884105728");
  EXPECT_EQ(U128ToString(e2), "340282366920938463463374607431768211455");
  EXPECT_EQ(U128ToString(UniformRange(0, 1).second), "340282366920938463463374607431768211455");
  EXPECT_FALSE(ParseU128("340282366920938463463374607431768211456").has_value());
  EXPECT_TRUE(ParseU128("340282366920938463463374607431768211455").has_value());
  EXPECT_FALSE(ParseU128("01").has_value());
  std::string seq = EncodeSequenceNumber(123456789, 7);
  EXPECT_EQ(seq.size(), 56u);
  auto d = DecodeSequenceNumber(seq);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->log_sequence, 123456789u);
  EXPECT_EQ(d->shard_index, 7);
  EXPECT_LT(EncodeSequenceNumber(99, 0), EncodeSequenceNumber(100, 0));
}

TEST_F(KinesisTest, CreateDescribeListDelete) {
  Create("orders", 3);
  auto d = Ok("DescribeStream", {{"StreamName", "orders"}})["StreamDescription"].as_object();
  EXPECT_EQ(d["StreamStatus"].as_string(), "ACTIVE");
  EXPECT_EQ(d["StreamARN"].as_string(), "arn:aws:kinesis:us-east-1:000000000000:stream/orders");
  EXPECT_EQ(d["RetentionPeriodHours"].as_int64(), 24);
  EXPECT_EQ(d["HasMoreShards"].as_bool(), false);
  const auto& shards = d["Shards"].as_array();
  ASSERT_EQ(shards.size(), 3u);
  EXPECT_EQ(shards[0].at("ShardId").as_string(), "shardId-000000000000");
  EXPECT_EQ(shards[1].at("HashKeyRange").at("StartingHashKey").as_string(),
            "113427455640312821154458202477256070485");
  EXPECT_EQ(shards[2].at("HashKeyRange").at("EndingHashKey").as_string(),
            "340282366920938463463374607431768211455");
  EXPECT_EQ(shards[0].at("SequenceNumberRange").at("StartingSequenceNumber").as_string().size(), 56u);

  auto e = Fails("CreateStream", {{"StreamName", "orders"}, {"ShardCount", 1}});
  EXPECT_EQ(e.code, "ResourceInUseException");
  EXPECT_EQ(e.message, "Stream orders under account 000000000000 already exists.");

  // Paging DescribeStream.
  auto page = Ok("DescribeStream", {{"StreamName", "orders"}, {"Limit", 2}})["StreamDescription"].as_object();
  EXPECT_EQ(page["Shards"].as_array().size(), 2u);
  EXPECT_TRUE(page["HasMoreShards"].as_bool());
  auto rest =
      Ok("DescribeStream", {{"StreamName", "orders"}, {"ExclusiveStartShardId", "shardId-000000000001"}});
  EXPECT_EQ(rest["StreamDescription"].at("Shards").as_array().size(), 1u);

  auto sum =
      Ok("DescribeStreamSummary", {{"StreamARN", "arn:aws:kinesis:us-east-1:000000000000:stream/orders"}});
  EXPECT_EQ(sum["StreamDescriptionSummary"].at("OpenShardCount").as_int64(), 3);

  Create("alpha", 1);
  Create("beta", 1);
  auto l1 = Ok("ListStreams", {{"Limit", 2}});
  ASSERT_EQ(l1["StreamNames"].as_array().size(), 2u);
  EXPECT_EQ(l1["StreamNames"].as_array()[0].as_string(), "alpha");
  EXPECT_TRUE(l1["HasMoreStreams"].as_bool());
  ASSERT_TRUE(l1.contains("NextToken"));
  auto l2 = Ok("ListStreams", {{"NextToken", l1["NextToken"]}});
  ASSERT_EQ(l2["StreamNames"].as_array().size(), 1u);
  EXPECT_EQ(l2["StreamNames"].as_array()[0].as_string(), "orders");
  EXPECT_EQ(l2["StreamSummaries"].as_array()[0].at("StreamStatus").as_string(), "ACTIVE");
  auto l3 = Ok("ListStreams", {{"ExclusiveStartStreamName", "alpha"}});
  EXPECT_EQ(l3["StreamNames"].as_array().size(), 2u);

  Ok("DeleteStream", {{"StreamName", "orders"}});
  auto nf = Fails("DescribeStream", {{"StreamName", "orders"}});
  EXPECT_EQ(nf.code, "ResourceNotFoundException");
  EXPECT_EQ(nf.message, "Stream orders under account 000000000000 not found.");
  EXPECT_EQ(Fails("DeleteStream", {{"StreamName", "orders"}}).code, "ResourceNotFoundException");
  // The name is free again.
  Create("orders", 1);
}

TEST_F(KinesisTest, StatesTransitionWithTheClock) {
  KinesisOptions options;
  options.transition_ms = 1000;
  Open(options);
  Create("s", 1);
  auto status = [&] {
    return std::string(Ok("DescribeStreamSummary", {{"StreamName", "s"}})["StreamDescriptionSummary"]
                           .at("StreamStatus")
                           .as_string());
  };
  EXPECT_EQ(status(), "CREATING");
  auto put = Fails("PutRecord", {{"StreamName", "s"}, {"PartitionKey", "k"}, {"Data", "x"}});
  EXPECT_EQ(put.code, "ResourceNotFoundException");
  EXPECT_EQ(
      Fails("SplitShard",
            {{"StreamName", "s"}, {"ShardToSplit", "shardId-000000000000"}, {"NewStartingHashKey", "5"}})
          .message,
      "Stream s under account 000000000000 not ACTIVE, instead in state CREATING");
  now_ += 1000;
  EXPECT_EQ(status(), "ACTIVE");
  Ok("SplitShard",
     {{"StreamName", "s"}, {"ShardToSplit", "shardId-000000000000"}, {"NewStartingHashKey", "5"}});
  EXPECT_EQ(status(), "UPDATING");
  Ok("PutRecord", {{"StreamName", "s"}, {"PartitionKey", "k"}, {"Data", "x"}});  // writes continue
  now_ += 1000;
  EXPECT_EQ(status(), "ACTIVE");
  Ok("DeleteStream", {{"StreamName", "s"}});
  EXPECT_EQ(status(), "DELETING");
  now_ += 1000;
  EXPECT_EQ(Fails("DescribeStreamSummary", {{"StreamName", "s"}}).code, "ResourceNotFoundException");
  ASSERT_TRUE(provider_->Maintain());
  auto logs = log_->ListLogs();
  ASSERT_TRUE(logs.ok());
  EXPECT_TRUE(logs->empty());
}

TEST_F(KinesisTest, AFullDiskRefusesRecordsWithANonRetryableError) {
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
  Create("s", 2);
  now_ += 1000;
  Ok("PutRecord", {{"StreamName", "s"}, {"PartitionKey", "k"}, {"Data", "before"}});
  disk_free_ = 16 << 20;  // at the reserve
  Error put = Fails("PutRecord", {{"StreamName", "s"}, {"PartitionKey", "k"}, {"Data", "x"}});
  EXPECT_EQ(put.code, "InsufficientStorage") << "not InternalFailure, which clients retry";
  EXPECT_EQ(put.http_status, 507);
  json::array records;
  for (int i = 0; i < 10; ++i)
    records.push_back(json::object{{"PartitionKey", "k" + std::to_string(i)}, {"Data", "d"}});
  Error puts = Fails("PutRecords", {{"StreamName", "s"}, {"Records", records}});
  EXPECT_EQ(puts.code, "InsufficientStorage");
  EXPECT_EQ(puts.http_status, 507);
  disk_free_ = 1ull << 30;  // space freed
  EXPECT_EQ(Ok("PutRecords", {{"StreamName", "s"}, {"Records", records}})["FailedRecordCount"].as_int64(), 0);
  auto shard = std::string(Shards("s")[0].at("ShardId").as_string());
  EXPECT_FALSE(Drain(Iterator("s", shard, "TRIM_HORIZON")).empty());
}

TEST_F(KinesisTest, PutRecordsRouteByMd5AndReadBackAcrossShards) {
  Create("s", 4);
  auto shards = Shards("s");
  json::array records;
  for (int i = 0; i < 200; ++i)
    records.push_back(
        json::object{{"PartitionKey", "key-" + std::to_string(i)}, {"Data", "data-" + std::to_string(i)}});
  auto r = Ok("PutRecords", {{"StreamName", "s"}, {"Records", records}});
  EXPECT_EQ(r["FailedRecordCount"].as_int64(), 0);
  const auto& results = r["Records"].as_array();
  ASSERT_EQ(results.size(), 200u);
  std::map<std::string, std::vector<std::string>> expected;
  for (int i = 0; i < 200; ++i) {
    U128 h = HashKeyOf("key-" + std::to_string(i));
    std::string want;
    for (const auto& sh : shards) {
      auto lo = *ParseU128(sh.at("HashKeyRange").at("StartingHashKey").as_string());
      auto hi = *ParseU128(sh.at("HashKeyRange").at("EndingHashKey").as_string());
      if (h >= lo && h <= hi) want = std::string(sh.at("ShardId").as_string());
    }
    EXPECT_EQ(results[i].at("ShardId").as_string(), want) << i;
    expected[want].push_back("data-" + std::to_string(i));
  }
  std::size_t total = 0;
  for (const auto& sh : shards) {
    std::string id(sh.at("ShardId").as_string());
    auto got = Drain(Iterator("s", id, "TRIM_HORIZON"));
    EXPECT_EQ(got, expected[id]) << id;
    total += got.size();
  }
  EXPECT_EQ(total, 200u);

  // ExplicitHashKey overrides the partition key.
  auto e = Ok("PutRecord", {{"StreamName", "s"},
                            {"PartitionKey", "a"},
                            {"ExplicitHashKey", "340282366920938463463374607431768211455"},
                            {"Data", "last"}});
  EXPECT_EQ(e["ShardId"].as_string(), "shardId-000000000003");

  auto metrics = provider_->Metrics();
  EXPECT_EQ(metrics[Arn("s")].incoming_records, 201);
  EXPECT_EQ(metrics[Arn("s")].put_records_successful_records, 200);
  EXPECT_GE(metrics[Arn("s")].get_records_records, 200);
}

TEST_F(KinesisTest, IteratorTypes) {
  Create("s", 1);
  const std::string shard = "shardId-000000000000";
  std::vector<std::string> seqs;
  for (int i = 0; i < 5; ++i) {
    now_ += 1000;
    auto r = Ok("PutRecord", {{"StreamName", "s"}, {"PartitionKey", "k"}, {"Data", "r" + std::to_string(i)}});
    seqs.emplace_back(r["SequenceNumber"].as_string());
  }
  for (std::size_t i = 1; i < seqs.size(); ++i) EXPECT_LT(seqs[i - 1], seqs[i]);
  EXPECT_EQ(Drain(Iterator("s", shard, "TRIM_HORIZON")),
            (std::vector<std::string>{"r0", "r1", "r2", "r3", "r4"}));
  EXPECT_EQ(Drain(Iterator("s", shard, "AT_SEQUENCE_NUMBER", {{"StartingSequenceNumber", seqs[2]}})),
            (std::vector<std::string>{"r2", "r3", "r4"}));
  EXPECT_EQ(Drain(Iterator("s", shard, "AFTER_SEQUENCE_NUMBER", {{"StartingSequenceNumber", seqs[2]}})),
            (std::vector<std::string>{"r3", "r4"}));
  // Arrival times are 1764000001000 .. 1764000005000.
  EXPECT_EQ(Drain(Iterator("s", shard, "AT_TIMESTAMP", {{"Timestamp", now_.load() - 500}})),
            (std::vector<std::string>{"r4"}));
  std::string latest = Iterator("s", shard, "LATEST");
  EXPECT_TRUE(Drain(latest).empty());
  Ok("PutRecord", {{"StreamName", "s"}, {"PartitionKey", "k"}, {"Data", "r5"}});
  EXPECT_EQ(Drain(latest), (std::vector<std::string>{"r5"}));

  // Limit and MillisBehindLatest.
  now_ += 10'000;
  auto r = Ok("GetRecords", {{"ShardIterator", Iterator("s", shard, "TRIM_HORIZON")}, {"Limit", 2}});
  EXPECT_EQ(r["Records"].as_array().size(), 2u);
  EXPECT_GT(r["MillisBehindLatest"].as_int64(), 0);
  EXPECT_EQ(r["Records"].as_array()[0].at("ApproximateArrivalTimestamp").as_int64(), 1'764'000'001'000);

  // Errors.
  EXPECT_EQ(Fails("GetShardIterator",
                  {{"StreamName", "s"}, {"ShardId", shard}, {"ShardIteratorType", "AT_SEQUENCE_NUMBER"}})
                .code,
            "InvalidArgumentException");
  EXPECT_EQ(
      Fails("GetShardIterator", {{"StreamName", "s"}, {"ShardId", shard}, {"ShardIteratorType", "SOMETIMES"}})
          .code,
      "ValidationException");
  auto nf =
      Fails("GetShardIterator",
            {{"StreamName", "s"}, {"ShardId", "shardId-000000000009"}, {"ShardIteratorType", "LATEST"}});
  EXPECT_EQ(nf.code, "ResourceNotFoundException");
  EXPECT_EQ(nf.message, "Shard shardId-000000000009 in stream s under account 000000000000 does not exist");
  EXPECT_EQ(Fails("GetShardIterator", {{"StreamName", "s"},
                                       {"ShardId", shard},
                                       {"ShardIteratorType", "AT_SEQUENCE_NUMBER"},
                                       {"StartingSequenceNumber", "12345"}})
                .code,
            "InvalidArgumentException");
  EXPECT_EQ(Fails("GetShardIterator", {{"StreamName", "s"},
                                       {"ShardId", shard},
                                       {"ShardIteratorType", "AT_TIMESTAMP"},
                                       {"Timestamp", now_.load() + 100000}})
                .code,
            "InvalidArgumentException");
}

TEST_F(KinesisTest, IteratorsAreSignedAndExpire) {
  Create("s", 1);
  std::string it = Iterator("s", "shardId-000000000000", "TRIM_HORIZON");
  now_ += 299'000;
  auto ok = Ok("GetRecords", {{"ShardIterator", it}});
  EXPECT_TRUE(ok.contains("NextShardIterator"));
  now_ += 2'000;
  auto expired = Fails("GetRecords", {{"ShardIterator", it}});
  EXPECT_EQ(expired.code, "ExpiredIteratorException");
  EXPECT_NE(expired.message.find("tolerated delay of 300000 milliseconds"), std::string::npos);
  // The fresh NextShardIterator is still good.
  Ok("GetRecords", {{"ShardIterator", ok["NextShardIterator"]}});

  std::string tampered = std::string(ok["NextShardIterator"].as_string());
  tampered[3] = tampered[3] == 'A' ? 'B' : 'A';
  auto bad = Fails("GetRecords", {{"ShardIterator", tampered}});
  EXPECT_EQ(bad.code, "InvalidArgumentException");
  EXPECT_EQ(bad.message, "Invalid ShardIterator.");
  EXPECT_EQ(Fails("GetRecords", {{"ShardIterator", "garbage"}}).code, "InvalidArgumentException");
  EXPECT_EQ(Fails("GetRecords", {{"ShardIterator", ok["NextShardIterator"]}, {"Limit", 10001}}).code,
            "ValidationException");

  // Iterators survive a restart (the secret is persisted).
  std::string fresh = Iterator("s", "shardId-000000000000", "TRIM_HORIZON");
  Open();
  Ok("GetRecords", {{"ShardIterator", fresh}});
}

TEST_F(KinesisTest, BadRecordsAreRejected) {
  Create("s", 1);
  auto e1 = Fails("PutRecord", {{"StreamName", "s"}, {"PartitionKey", ""}, {"Data", "x"}});
  EXPECT_EQ(e1.code, "ValidationException");
  EXPECT_EQ(e1.message,
            "1 validation error detected: Value '' at 'partitionKey' failed to satisfy constraint: Member "
            "must have "
            "length greater than or equal to 1");
  EXPECT_EQ(
      Fails("PutRecord", {{"StreamName", "s"}, {"PartitionKey", std::string(257, 'k')}, {"Data", "x"}}).code,
      "ValidationException");
  auto big =
      Fails("PutRecord", {{"StreamName", "s"}, {"PartitionKey", "k"}, {"Data", std::string(1048577, 'x')}});
  EXPECT_EQ(big.code, "ValidationException");
  EXPECT_EQ(big.message,
            "1 validation error detected: Value at 'data' failed to satisfy constraint: Member must have "
            "length less "
            "than or equal to 1048576");
  EXPECT_EQ(
      Fails("PutRecord", {{"StreamName", "s"}, {"PartitionKey", "kk"}, {"Data", std::string(1048575, 'x')}})
          .code,
      "InvalidArgumentException");
  Ok("PutRecord", {{"StreamName", "s"}, {"PartitionKey", "k"}, {"Data", std::string(1048575, 'x')}});
  EXPECT_EQ(Fails("PutRecord",
                  {{"StreamName", "s"}, {"PartitionKey", "k"}, {"ExplicitHashKey", "-1"}, {"Data", "x"}})
                .code,
            "ValidationException");
  EXPECT_EQ(Fails("PutRecord", {{"StreamName", "s"},
                                {"PartitionKey", "k"},
                                {"ExplicitHashKey", "340282366920938463463374607431768211456"},
                                {"Data", "x"}})
                .code,
            "InvalidArgumentException");

  json::array many;
  for (int i = 0; i < 501; ++i) many.push_back(json::object{{"PartitionKey", "k"}, {"Data", "x"}});
  auto e2 = Fails("PutRecords", {{"StreamName", "s"}, {"Records", many}});
  EXPECT_EQ(e2.code, "ValidationException");
  EXPECT_NE(e2.message.find("'records'"), std::string::npos);
  json::array heavy;
  for (int i = 0; i < 6; ++i)
    heavy.push_back(json::object{{"PartitionKey", "k"}, {"Data", std::string(1000000, 'x')}});
  auto e3 = Fails("PutRecords", {{"StreamName", "s"}, {"Records", heavy}});
  EXPECT_EQ(e3.code, "InvalidArgumentException");
  EXPECT_EQ(e3.message, "Records size exceeds 5 MB limit");
  json::array one_bad{json::object{{"PartitionKey", "k"}, {"Data", "x"}},
                      json::object{{"PartitionKey", ""}, {"Data", "x"}}};
  auto e4 = Fails("PutRecords", {{"StreamName", "s"}, {"Records", one_bad}});
  EXPECT_NE(e4.message.find("records.2.member.partitionKey"), std::string::npos);
  EXPECT_EQ(
      Fails("PutRecords", {{"StreamName", "nope"},
                           {"Records", json::array{json::object{{"PartitionKey", "k"}, {"Data", "x"}}}}})
          .code,
      "ResourceNotFoundException");
  EXPECT_EQ(Fails("CreateStream", {{"StreamName", "bad name!"}, {"ShardCount", 1}}).code,
            "ValidationException");
  EXPECT_EQ(Fails("CreateStream", {{"StreamName", "z"}, {"ShardCount", 0}}).code, "ValidationException");
  EXPECT_EQ(Fails("DescribeStream", {}).code, "InvalidArgumentException");
  // Operations outside the table are the pipeline's to answer.
  EXPECT_FALSE(provider_->Implements("NoSuchOperation"));
}

TEST_F(KinesisTest, ThrottlingPerShard) {
  KinesisOptions options;
  options.write_records_per_second = 3;
  options.get_records_per_second = 2;
  Open(options);
  Create("s", 1);
  json::array records;
  for (int i = 0; i < 5; ++i) records.push_back(json::object{{"PartitionKey", "k"}, {"Data", "x"}});
  auto r = Ok("PutRecords", {{"StreamName", "s"}, {"Records", records}});
  EXPECT_EQ(r["FailedRecordCount"].as_int64(), 2);
  EXPECT_EQ(r["Records"].as_array()[3].at("ErrorCode").as_string(), "ProvisionedThroughputExceededException");
  EXPECT_EQ(r["Records"].as_array()[3].at("ErrorMessage").as_string(),
            "Rate exceeded for shard shardId-000000000000 in stream s under account 000000000000.");
  EXPECT_EQ(Fails("PutRecord", {{"StreamName", "s"}, {"PartitionKey", "k"}, {"Data", "x"}}).code,
            "ProvisionedThroughputExceededException");
  now_ += 1000;
  Ok("PutRecord", {{"StreamName", "s"}, {"PartitionKey", "k"}, {"Data", "x"}});
  std::string it = Iterator("s", "shardId-000000000000", "TRIM_HORIZON");
  Ok("GetRecords", {{"ShardIterator", it}});
  Ok("GetRecords", {{"ShardIterator", it}});
  EXPECT_EQ(Fails("GetRecords", {{"ShardIterator", it}}).code, "ProvisionedThroughputExceededException");
  EXPECT_EQ(provider_->Metrics()[Arn("s")].put_records_throttled_records, 2);
}

// Split, merge and UpdateShardCount while producing: following the lineage from the roots, every record is
// read exactly once, and parents come before children.
TEST_F(KinesisTest, ReshardingKeepsEveryRecordExactlyOnce) {
  Create("s", 2);
  int next = 0;
  auto produce = [&](int n) {
    json::array records;
    for (int i = 0; i < n; ++i, ++next)
      records.push_back(json::object{{"PartitionKey", "pk" + std::to_string(next % 37)},
                                     {"Data", "d" + std::to_string(next)}});
    auto r = Ok("PutRecords", {{"StreamName", "s"}, {"Records", records}});
    EXPECT_EQ(r["FailedRecordCount"].as_int64(), 0);
  };
  produce(100);
  now_ += 1000;
  Ok("SplitShard", {{"StreamName", "s"},
                    {"ShardToSplit", "shardId-000000000000"},
                    {"NewStartingHashKey", "85070591730234615865843651857942052864"}});
  produce(100);
  now_ += 1000;
  // Parent closed, children open.
  auto after_split = Shards("s");
  ASSERT_EQ(after_split.size(), 4u);
  EXPECT_TRUE(after_split[0].at("SequenceNumberRange").as_object().contains("EndingSequenceNumber"));
  EXPECT_EQ(after_split[2].at("ParentShardId").as_string(), "shardId-000000000000");
  auto err = Fails("SplitShard", {{"StreamName", "s"},
                                  {"ShardToSplit", "shardId-000000000000"},
                                  {"NewStartingHashKey", "85070591730234615865843651857942052864"}});
  EXPECT_EQ(err.code, "InvalidArgumentException");
  EXPECT_EQ(Fails("MergeShards", {{"StreamName", "s"},
                                  {"ShardToMerge", "shardId-000000000002"},
                                  {"AdjacentShardToMerge", "shardId-000000000001"}})
                .code,
            "InvalidArgumentException");  // 2 and 1 are not adjacent
  Ok("MergeShards", {{"StreamName", "s"},
                     {"ShardToMerge", "shardId-000000000003"},
                     {"AdjacentShardToMerge", "shardId-000000000001"}});
  produce(100);
  auto u = Ok("UpdateShardCount",
              {{"StreamName", "s"}, {"TargetShardCount", 4}, {"ScalingType", "UNIFORM_SCALING"}});
  EXPECT_EQ(u["CurrentShardCount"].as_int64(), 2);
  EXPECT_EQ(u["TargetShardCount"].as_int64(), 4);
  produce(100);
  EXPECT_EQ(Fails("UpdateShardCount",
                  {{"StreamName", "s"}, {"TargetShardCount", 9}, {"ScalingType", "UNIFORM_SCALING"}})
                .code,
            "LimitExceededException");
  Ok("UpdateShardCount", {{"StreamName", "s"}, {"TargetShardCount", 3}, {"ScalingType", "UNIFORM_SCALING"}});
  produce(100);
  auto d = Ok("DescribeStreamSummary", {{"StreamName", "s"}});
  EXPECT_EQ(d["StreamDescriptionSummary"].at("OpenShardCount").as_int64(), 3);

  // Walk the lineage: start at the roots, go to children once all their parents are drained.
  auto all = Shards("s");
  std::map<std::string, json::object> by_id;
  for (const auto& sh : all) by_id[std::string(sh.at("ShardId").as_string())] = sh.as_object();
  std::set<std::string> done;
  std::vector<std::string> queue;
  for (const auto& [id, sh] : by_id)
    if (!sh.contains("ParentShardId")) queue.push_back(id);
  std::map<std::string, int> seen;
  for (int guard = 0; guard < 100 && !queue.empty(); ++guard) {
    std::string id = queue.front();
    queue.erase(queue.begin());
    if (done.count(id)) continue;
    json::array children;
    for (const auto& data : Drain(Iterator("s", id, "TRIM_HORIZON"), &children)) ++seen[data];
    done.insert(id);
    for (const auto& c : children) {
      bool ready = true;
      for (const auto& parent : c.at("ParentShards").as_array())
        ready &= done.count(std::string(parent.as_string())) > 0;
      if (ready) queue.emplace_back(c.at("ShardId").as_string());
    }
  }
  EXPECT_EQ(done.size(), by_id.size());
  ASSERT_EQ(seen.size(), 500u);
  for (const auto& [data, count] : seen) EXPECT_EQ(count, 1) << data;

  // ListShards filters.
  auto latest =
      Ok("ListShards", {{"StreamName", "s"}, {"ShardFilter", {{"Type", "AT_LATEST"}}}})["Shards"].as_array();
  EXPECT_EQ(latest.size(), 3u);
  auto horizon =
      Ok("ListShards", {{"StreamName", "s"}, {"ShardFilter", {{"Type", "AT_TRIM_HORIZON"}}}})["Shards"]
          .as_array();
  ASSERT_EQ(horizon.size(), 2u);
  EXPECT_EQ(horizon[0].at("ShardId").as_string(), "shardId-000000000000");
  auto after =
      Ok("ListShards",
         {{"StreamName", "s"},
          {"ShardFilter", {{"Type", "AFTER_SHARD_ID"}, {"ShardId", "shardId-000000000004"}}}})["Shards"]
          .as_array();
  EXPECT_EQ(after.size(), all.size() - 5);
  auto p1 = Ok("ListShards", {{"StreamName", "s"}, {"MaxResults", 3}});
  ASSERT_EQ(p1["Shards"].as_array().size(), 3u);
  auto p2 = Ok("ListShards", {{"NextToken", p1["NextToken"]}});
  EXPECT_EQ(p2["Shards"].as_array()[0].at("ShardId").as_string(), "shardId-000000000003");
  EXPECT_EQ(Fails("ListShards", {{"StreamName", "s"}, {"NextToken", p1["NextToken"]}}).code,
            "InvalidArgumentException");
  now_ += 301'000;
  EXPECT_EQ(Fails("ListShards", {{"NextToken", p1["NextToken"]}}).code, "ExpiredNextTokenException");
}

TEST_F(KinesisTest, RecordsAndMetadataSurviveReopen) {
  Create("s", 2);
  std::string last;
  for (int i = 0; i < 10; ++i) {
    auto r = Ok("PutRecord", {{"StreamName", "s"}, {"PartitionKey", "k"}, {"Data", "v" + std::to_string(i)}});
    last = std::string(r["SequenceNumber"].as_string());
  }
  Ok("AddTagsToStream", {{"StreamName", "s"}, {"Tags", {{"team", "data"}}}});
  Open();
  auto r = Ok("PutRecord", {{"StreamName", "s"}, {"PartitionKey", "k"}, {"Data", "v10"}});
  EXPECT_GT(std::string(r["SequenceNumber"].as_string()), last);
  auto shard = std::string(r["ShardId"].as_string());
  auto got = Drain(Iterator("s", shard, "TRIM_HORIZON"));
  ASSERT_EQ(got.size(), 11u);
  EXPECT_EQ(got[10], "v10");
  auto tags = Ok("ListTagsForStream", {{"StreamName", "s"}});
  EXPECT_EQ(tags["Tags"].as_array().size(), 1u);
}

TEST_F(KinesisTest, RetentionPeriodsAndTrimming) {
  segment_bytes_ = 2048;
  Open();
  Create("s", 1);
  auto e1 = Fails("IncreaseStreamRetentionPeriod", {{"StreamName", "s"}, {"RetentionPeriodHours", 8761}});
  EXPECT_EQ(
      e1.message,
      "Maximum allowed retention period is 8760 hours. Requested retention period (8761 hours) is too long.");
  EXPECT_EQ(Fails("DecreaseStreamRetentionPeriod", {{"StreamName", "s"}, {"RetentionPeriodHours", 23}}).code,
            "InvalidArgumentException");
  EXPECT_EQ(Fails("DecreaseStreamRetentionPeriod", {{"StreamName", "s"}, {"RetentionPeriodHours", 48}}).code,
            "InvalidArgumentException");
  Ok("IncreaseStreamRetentionPeriod", {{"StreamName", "s"}, {"RetentionPeriodHours", 48}});
  EXPECT_EQ(Fails("IncreaseStreamRetentionPeriod", {{"StreamName", "s"}, {"RetentionPeriodHours", 30}}).code,
            "InvalidArgumentException");
  for (int i = 0; i < 20; ++i)
    Ok("PutRecord", {{"StreamName", "s"}, {"PartitionKey", "k"}, {"Data", std::string(500, 'a' + i % 26)}});
  now_ += 30ll * 3600 * 1000;  // 30 h later
  for (int i = 0; i < 20; ++i) Ok("PutRecord", {{"StreamName", "s"}, {"PartitionKey", "k"}, {"Data", "new"}});
  ASSERT_TRUE(provider_->Maintain());
  EXPECT_EQ(Drain(Iterator("s", "shardId-000000000000", "TRIM_HORIZON")).size(), 40u);  // 48 h keeps all
  Ok("DecreaseStreamRetentionPeriod", {{"StreamName", "s"}, {"RetentionPeriodHours", 24}});
  auto left = Drain(Iterator("s", "shardId-000000000000", "TRIM_HORIZON"));
  ASSERT_EQ(left.size(), 20u);  // exactly the records younger than 24 h
  EXPECT_EQ(left.front(), "new");
  EXPECT_EQ(left.back(), "new");
  // Whole old segments are gone from disk (the one being appended to stays).
  auto bounds = log_->Bounds(std::string(log_->ListLogs()->at(0)));
  ASSERT_TRUE(bounds.ok());
  EXPECT_LT(bounds->record_count, 40u);
  EXPECT_EQ(Ok("DescribeStreamSummary", {{"StreamName", "s"}})["StreamDescriptionSummary"]
                .at("RetentionPeriodHours")
                .as_int64(),
            24);
}

TEST_F(KinesisTest, TagsConsumersLimitsMonitoring) {
  Create("s", 1);
  const std::string arn = "arn:aws:kinesis:us-east-1:000000000000:stream/s";
  Ok("AddTagsToStream", {{"StreamName", "s"}, {"Tags", {{"b", "2"}, {"a", "1"}, {"c", "3"}}}});
  auto t = Ok("ListTagsForStream", {{"StreamName", "s"}, {"Limit", 2}});
  ASSERT_EQ(t["Tags"].as_array().size(), 2u);
  EXPECT_EQ(t["Tags"].as_array()[0].at("Key").as_string(), "a");
  EXPECT_TRUE(t["HasMoreTags"].as_bool());
  Ok("RemoveTagsFromStream", {{"StreamARN", arn}, {"TagKeys", {"a"}}});
  auto t2 = Ok("ListTagsForStream", {{"StreamName", "s"}, {"ExclusiveStartTagKey", "b"}});
  ASSERT_EQ(t2["Tags"].as_array().size(), 1u);
  EXPECT_EQ(t2["Tags"].as_array()[0].at("Key").as_string(), "c");
  json::object many;
  for (int i = 0; i < 51; ++i) many["k" + std::to_string(i)] = "v";
  EXPECT_EQ(Fails("AddTagsToStream", {{"StreamName", "s"}, {"Tags", many}}).code, "InvalidArgumentException");

  auto c =
      Ok("RegisterStreamConsumer", {{"StreamARN", arn}, {"ConsumerName", "app"}})["Consumer"].as_object();
  std::string consumer_arn(c["ConsumerARN"].as_string());
  EXPECT_EQ(consumer_arn.rfind(arn + "/consumer/app:", 0), 0u);
  EXPECT_EQ(Fails("RegisterStreamConsumer", {{"StreamARN", arn}, {"ConsumerName", "app"}}).code,
            "ResourceInUseException");
  auto dc = Ok("DescribeStreamConsumer", {{"ConsumerARN", consumer_arn}});
  EXPECT_EQ(dc["ConsumerDescription"].at("ConsumerStatus").as_string(), "ACTIVE");
  EXPECT_EQ(dc["ConsumerDescription"].at("StreamARN").as_string(), arn);
  Ok("RegisterStreamConsumer", {{"StreamARN", arn}, {"ConsumerName", "app2"}});
  auto lc = Ok("ListStreamConsumers", {{"StreamARN", arn}, {"MaxResults", 1}});
  ASSERT_EQ(lc["Consumers"].as_array().size(), 1u);
  auto lc2 = Ok("ListStreamConsumers", {{"StreamARN", arn}, {"NextToken", lc["NextToken"]}});
  EXPECT_EQ(lc2["Consumers"].as_array()[0].at("ConsumerName").as_string(), "app2");
  EXPECT_EQ(Fails("DeleteStream", {{"StreamName", "s"}}).code, "ResourceInUseException");
  Ok("DeregisterStreamConsumer", {{"StreamARN", arn}, {"ConsumerName", "app"}});
  EXPECT_EQ(Fails("DescribeStreamConsumer", {{"ConsumerARN", consumer_arn}}).code,
            "ResourceNotFoundException");

  auto limits = Ok("DescribeLimits", {});
  EXPECT_EQ(limits["ShardLimit"].as_int64(), 500);
  EXPECT_EQ(limits["OpenShardCount"].as_int64(), 1);
  auto m = Ok("EnableEnhancedMonitoring", {{"StreamName", "s"}, {"ShardLevelMetrics", {"IncomingBytes"}}});
  EXPECT_EQ(m["DesiredShardLevelMetrics"].as_array().size(), 1u);
  Ok("DeleteStream", {{"StreamName", "s"}, {"EnforceConsumerDeletion", true}});

  KinesisOptions small;
  small.shard_limit = 6;
  Open(small);
  Create("x", 2);
  auto over = Fails("CreateStream", {{"StreamName", "y"}, {"ShardCount", 5}});
  EXPECT_EQ(over.code, "LimitExceededException");
  EXPECT_EQ(
      over.message.substr(0, over.message.find(" Refer to")),
      "This request would exceed the shard limit for the account 000000000000 in us-east-1. Current shard "
      "count for the account: 2. Limit: 6. Number of additional shards that would have resulted from this "
      "request: 5.");
  EXPECT_NE(over.message.find("aws_service_limits.html"), std::string::npos);
  Ok("CreateStream", {{"StreamName", "od"}, {"StreamModeDetails", {{"StreamMode", "ON_DEMAND"}}}}).size();
}

TEST_F(KinesisTest, ConcurrentProducersAndAReshard) {
  Create("s", 2);
  std::atomic<int> acked{0};
  std::vector<std::thread> producers;
  for (int t = 0; t < 4; ++t) {
    producers.emplace_back([&, t] {
      for (int i = 0; i < 30; ++i) {
        json::array records;
        for (int k = 0; k < 10; ++k)
          records.push_back(json::object{{"PartitionKey", "p" + std::to_string(t * 1000 + i * 10 + k)},
                                         {"Data", std::to_string(t) + ":" + std::to_string(i * 10 + k)}});
        auto r = Call("PutRecords", {{"StreamName", "s"}, {"Records", records}});
        if (r.ok() && r->result.at("FailedRecordCount").as_int64() == 0) acked += 10;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  Ok("UpdateShardCount", {{"StreamName", "s"}, {"TargetShardCount", 4}, {"ScalingType", "UNIFORM_SCALING"}});
  for (auto& p : producers) p.join();
  EXPECT_EQ(acked.load(), 1200);
  std::multiset<std::string> seen;
  for (const auto& sh : Shards("s"))
    for (auto& d : Drain(Iterator("s", std::string(sh.at("ShardId").as_string()), "TRIM_HORIZON")))
      seen.insert(d);
  EXPECT_EQ(seen.size(), 1200u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 1200u);
}

// ---- regions: every stream lives in the namespace of (account, region) of the request that created it ----

std::vector<std::string> Names(const json::object& list_streams) {
  std::vector<std::string> out;
  for (const auto& n : list_streams.at("StreamNames").as_array()) out.emplace_back(n.as_string());
  return out;
}

TEST_F(KinesisTest, TheSameNameInTwoRegionsIsTwoStreams) {
  Create("orders", 1, "us-east-1");
  Create("orders", 2, "eu-west-1");
  auto us = Ok("DescribeStreamSummary", {{"StreamName", "orders"}}, "us-east-1")["StreamDescriptionSummary"];
  auto eu = Ok("DescribeStreamSummary", {{"StreamName", "orders"}}, "eu-west-1")["StreamDescriptionSummary"];
  EXPECT_EQ(us.at("StreamARN").as_string(), "arn:aws:kinesis:us-east-1:000000000000:stream/orders");
  EXPECT_EQ(eu.at("StreamARN").as_string(), "arn:aws:kinesis:eu-west-1:000000000000:stream/orders");
  EXPECT_EQ(us.at("OpenShardCount").as_int64(), 1);
  EXPECT_EQ(eu.at("OpenShardCount").as_int64(), 2);
  EXPECT_EQ(Fails("CreateStream", {{"StreamName", "orders"}, {"ShardCount", 1}}, "eu-west-1").code,
            "ResourceInUseException");

  // ListStreams and DescribeLimits answer for the request's region.
  Create("only-eu", 1, "eu-west-1");
  EXPECT_EQ(Names(Ok("ListStreams", {}, "us-east-1")), (std::vector<std::string>{"orders"}));
  EXPECT_EQ(Names(Ok("ListStreams", {}, "eu-west-1")), (std::vector<std::string>{"only-eu", "orders"}));
  EXPECT_TRUE(Names(Ok("ListStreams", {}, "ap-south-1")).empty());
  EXPECT_EQ(Ok("DescribeLimits", {}, "eu-west-1")["OpenShardCount"].as_int64(), 3);
  EXPECT_EQ(Ok("DescribeLimits", {}, "us-east-1")["OpenShardCount"].as_int64(), 1);

  // Records stay in their stream.
  Ok("PutRecord", {{"StreamName", "orders"}, {"PartitionKey", "k"}, {"Data", "eu"}}, "eu-west-1");
  Ok("PutRecord", {{"StreamName", "orders"}, {"PartitionKey", "k"}, {"Data", "us"}}, "us-east-1");
  EXPECT_EQ(Drain(Iterator("orders", "shardId-000000000000", "TRIM_HORIZON")),
            (std::vector<std::string>{"us"}));

  // A StreamARN is looked up in the request's region: another region's ARN names no stream there (a Kinesis
  // endpoint serves its own region).
  auto e = Fails("DescribeStreamSummary", {{"StreamARN", Arn("only-eu", "eu-west-1")}}, "us-east-1");
  EXPECT_EQ(e.code, "ResourceNotFoundException");
  EXPECT_EQ(e.message, "Stream only-eu under account 000000000000 not found.");
  Ok("DescribeStreamSummary", {{"StreamARN", Arn("only-eu", "eu-west-1")}}, "eu-west-1");

  // Consumer ARNs extend their stream's.
  auto consumer =
      Ok("RegisterStreamConsumer", {{"StreamARN", Arn("only-eu", "eu-west-1")}, {"ConsumerName", "app"}},
         "eu-west-1")["Consumer"];
  const std::string consumer_arn(consumer.at("ConsumerARN").as_string());
  EXPECT_EQ(consumer_arn.rfind(Arn("only-eu", "eu-west-1") + "/consumer/app:", 0), 0u);
  Ok("DescribeStreamConsumer", {{"ConsumerARN", consumer_arn}}, "eu-west-1");
  EXPECT_EQ(Fails("DescribeStreamConsumer", {{"ConsumerARN", consumer_arn}}, "us-east-1").code,
            "ResourceNotFoundException");

  // Deleting one leaves the other.
  Ok("DeleteStream", {{"StreamName", "orders"}}, "eu-west-1");
  EXPECT_EQ(Fails("DescribeStreamSummary", {{"StreamName", "orders"}}, "eu-west-1").code,
            "ResourceNotFoundException");
  Ok("DescribeStreamSummary", {{"StreamName", "orders"}}, "us-east-1");

  // The pipeline saw every call in the region it was made in.
  auto calls = harness_->recorder().calls();
  ASSERT_FALSE(calls.empty());
  EXPECT_EQ(calls.back().operation, "DescribeStreamSummary");
  EXPECT_EQ(calls.back().region, "us-east-1");
  EXPECT_EQ(calls.front().region, "us-east-1");
  EXPECT_EQ(calls[1].region, "eu-west-1");
}

TEST_F(KinesisTest, IteratorsAndTokensAreRefusedInAnotherRegion) {
  Create("s", 1, "us-east-1");
  Create("s", 1, "eu-west-1");
  Ok("PutRecord", {{"StreamName", "s"}, {"PartitionKey", "k"}, {"Data", "eu"}}, "eu-west-1");
  std::string it = Iterator("s", "shardId-000000000000", "TRIM_HORIZON", {}, "eu-west-1");
  auto e = Fails("GetRecords", {{"ShardIterator", it}}, "us-east-1");
  EXPECT_EQ(e.code, "InvalidArgumentException");
  EXPECT_EQ(e.message, "Invalid ShardIterator.");
  EXPECT_EQ(Drain(it, nullptr, "eu-west-1"), (std::vector<std::string>{"eu"}));

  Create("wide", 3, "eu-west-1");
  auto page = Ok("ListShards", {{"StreamName", "wide"}, {"MaxResults", 1}}, "eu-west-1");
  EXPECT_EQ(Fails("ListShards", {{"NextToken", page["NextToken"]}}, "us-east-1").code,
            "InvalidArgumentException");
  EXPECT_EQ(Ok("ListShards", {{"NextToken", page["NextToken"]}}, "eu-west-1")["Shards"].as_array().size(),
            2u);
}

TEST_F(KinesisTest, RegionsSurviveARestart) {
  Create("s", 1, "eu-west-1");
  Create("s", 2, "us-west-2");
  Ok("PutRecord", {{"StreamName", "s"}, {"PartitionKey", "k"}, {"Data", "kept"}}, "eu-west-1");
  Open();
  EXPECT_EQ(Names(Ok("ListStreams", {}, "eu-west-1")), (std::vector<std::string>{"s"}));
  EXPECT_EQ(Names(Ok("ListStreams", {}, "us-west-2")), (std::vector<std::string>{"s"}));
  EXPECT_TRUE(Names(Ok("ListStreams", {}, "us-east-1")).empty());
  auto eu = Ok("DescribeStreamSummary", {{"StreamName", "s"}}, "eu-west-1")["StreamDescriptionSummary"];
  EXPECT_EQ(eu.at("StreamARN").as_string(), Arn("s", "eu-west-1"));
  EXPECT_EQ(eu.at("OpenShardCount").as_int64(), 1);
  EXPECT_EQ(Ok("DescribeStreamSummary", {{"StreamName", "s"}}, "us-west-2")["StreamDescriptionSummary"]
                .at("OpenShardCount")
                .as_int64(),
            2);
  EXPECT_EQ(
      Drain(Iterator("s", "shardId-000000000000", "TRIM_HORIZON", {}, "eu-west-1"), nullptr, "eu-west-1"),
      (std::vector<std::string>{"kept"}));
}

TEST_F(KinesisTest, StreamsStoredBeforeRegionsMoveToTheDefaultNamespace) {
  // A data directory of schema v2: streams keyed by name alone, in the one namespace the server had.
  root_ = dir_ / "v2";
  std::filesystem::create_directories(root_);
  {
    auto md = store::MetadataStore::OpenSqlite(root_ + "/metadata.db");
    ASSERT_TRUE(md.ok());
    ASSERT_TRUE(
        (*md)
            ->Migrate("kinesis", {"CREATE TABLE kinesis_streams (name TEXT PRIMARY KEY, doc TEXT NOT NULL)",
                                  "CREATE TABLE kinesis_settings (name TEXT PRIMARY KEY, value TEXT NOT "
                                  "NULL)"})
            .ok());
    auto log = store::StreamLog::OpenLocal(root_ + "/kinesis");
    ASSERT_TRUE(log.ok());
    const std::uint64_t first = 1ull << 40;
    ASSERT_TRUE((*log)->CreateLog("0123456789abcdef/shardId-000000000000", first).ok());
    std::vector<store::StreamRecordInput> records(1);
    records[0].arrival_ms = now_.load();
    records[0].partition_key = "k";
    records[0].data = "old";
    ASSERT_TRUE((*log)->Append("0123456789abcdef/shardId-000000000000", records).ok());
    // The document as the server wrote it then (with its ARN, now derived from the row's key).
    json::object doc{{"name", "legacy"},
                     {"uid", "0123456789abcdef"},
                     {"arn", "arn:aws:kinesis:us-east-1:000000000000:stream/legacy"},
                     {"status", "ACTIVE"},
                     {"status_ms", now_.load()},
                     {"mode", "PROVISIONED"},
                     {"retention", 24},
                     {"created", now_.load()},
                     {"next_shard", 1},
                     {"shards", json::array{json::object{{"index", 0},
                                                         {"parent", ""},
                                                         {"adjacent", ""},
                                                         {"start", "0"},
                                                         {"end", "340282366920938463463374607431768211455"},
                                                         {"first", first},
                                                         {"created", now_.load()}}}},
                     {"tags", json::object{{"team", "data"}}},
                     {"consumers", json::array{json::object{{"name", "app"},
                                                            {"arn", "ignored"},
                                                            {"status", "ACTIVE"},
                                                            {"created", now_.load()},
                                                            {"status_ms", now_.load()}}}},
                     {"encryption", "NONE"},
                     {"key_id", ""},
                     {"metrics", json::array{}}};
    auto txn = (*md)->Begin(store::MetadataStore::Mode::kWrite);
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE((*txn)
                    ->Exec("INSERT INTO kinesis_streams (name, doc) VALUES (?, ?)",
                           {std::string("legacy"), json::serialize(doc)})
                    .ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  KinesisOptions options;
  options.default_account = "000000000000";
  options.default_region = "ap-south-1";  // the server's --region when it migrates
  Open(options);
  auto d = Ok("DescribeStreamSummary", {{"StreamName", "legacy"}}, "ap-south-1")["StreamDescriptionSummary"];
  EXPECT_EQ(d.at("StreamARN").as_string(), "arn:aws:kinesis:ap-south-1:000000000000:stream/legacy");
  EXPECT_EQ(d.at("ConsumerCount").as_int64(), 1);
  EXPECT_EQ(Fails("DescribeStreamSummary", {{"StreamName", "legacy"}}, "us-east-1").code,
            "ResourceNotFoundException");
  EXPECT_EQ(Drain(Iterator("legacy", "shardId-000000000000", "TRIM_HORIZON", {}, "ap-south-1"), nullptr,
                  "ap-south-1"),
            (std::vector<std::string>{"old"}));
  auto consumers = Ok("ListStreamConsumers", {{"StreamARN", Arn("legacy", "ap-south-1")}}, "ap-south-1");
  EXPECT_EQ(std::string(consumers["Consumers"].as_array().at(0).at("ConsumerARN").as_string())
                .rfind(Arn("legacy", "ap-south-1") + "/consumer/app:", 0),
            0u);
  EXPECT_EQ(Ok("ListTagsForStream", {{"StreamName", "legacy"}}, "ap-south-1")["Tags"].as_array().size(), 1u);
  // Written back under its new key (a restart finds it in the same place).
  Ok("AddTagsToStream", {{"StreamName", "legacy"}, {"Tags", {{"more", "x"}}}}, "ap-south-1");
  Open(options);
  EXPECT_EQ(Ok("ListTagsForStream", {{"StreamName", "legacy"}}, "ap-south-1")["Tags"].as_array().size(), 2u);
}

TEST_F(KinesisTest, TheMaintenanceTaskCleansUpEveryRegion) {
  KinesisOptions options;
  options.transition_ms = 1000;
  options.maintenance_interval_ms = 10;
  Open(options, /*maintenance_task=*/true);
  EXPECT_EQ(tasks_.Running(), (std::vector<std::string>{"kinesis.maintenance"}));
  for (const char* region : {"us-east-1", "eu-west-1", "ap-south-1"}) {
    Create("s", 1, region);
    now_ += 1000;
    Ok("DeleteStream", {{"StreamName", "s"}}, region);
  }
  now_ += 1000;  // every DELETING state has ended: the task removes the streams and their logs
  bool clean = false;
  for (int i = 0; i < 500 && !clean; ++i) {  // at most 5 s
    auto logs = log_->ListLogs();
    clean = logs.ok() && logs->empty();
    if (!clean) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(clean);
  Open();  // the provider's task stops with it
  EXPECT_TRUE(tasks_.Running().empty());
}

// docs/kinesis-coverage.md (generated by src/services/kinesis/gen_coverage.py) must match what Invoke does.
TEST(KinesisCoverage, DocMatchesProvider) {
  std::ifstream in(std::string(CENOTE_SOURCE_DIR) + "/docs/kinesis-coverage.md");
  ASSERT_TRUE(in.good()) << "run: python3 src/services/kinesis/gen_coverage.py";
  std::stringstream ss;
  ss << in.rdbuf();
  std::string doc = ss.str();
  for (auto op : KinesisProvider::SupportedOperations())
    EXPECT_NE(doc.find("| " + std::string(op) + " | supported |"), std::string::npos)
        << op
        << " missing or stale in docs/kinesis-coverage.md; run python3 src/services/kinesis/gen_coverage.py";
  for (const auto& e : ErrorTable()) EXPECT_NE(doc.find(e.code), std::string::npos) << e.code;
}

// ---- SubscribeToShard (subscribe.cpp) ----

struct EventMessage {
  std::map<std::string, std::string> headers;
  std::string payload;
};

std::uint32_t BE32(const std::string& b, std::size_t at) {
  return (static_cast<std::uint32_t>(static_cast<unsigned char>(b[at])) << 24) |
         (static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 1])) << 16) |
         (static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 2])) << 8) |
         static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 3]));
}

// Parses one event-stream message, checking both CRCs.
EventMessage ParseMessage(const std::string& m) {
  EventMessage out;
  EXPECT_GE(m.size(), 16u);
  if (m.size() < 16) return out;
  EXPECT_EQ(BE32(m, 0), m.size());
  EXPECT_EQ(BE32(m, 8), Crc32(0, m.data(), 8));
  EXPECT_EQ(BE32(m, m.size() - 4), Crc32(0, m.data(), m.size() - 4));
  std::size_t headers_end = 12 + BE32(m, 4);
  std::size_t i = 12;
  while (i < headers_end && i < m.size()) {
    std::size_t name_len = static_cast<unsigned char>(m[i]);
    std::string name = m.substr(i + 1, name_len);
    i += 1 + name_len;
    EXPECT_EQ(m[i], 7);  // string
    std::size_t len = (static_cast<unsigned char>(m[i + 1]) << 8) | static_cast<unsigned char>(m[i + 2]);
    out.headers[name] = m.substr(i + 3, len);
    i += 3 + len;
  }
  out.payload = m.substr(headers_end, m.size() - 4 - headers_end);
  return out;
}

// Reads the next whole message from a subscription body (small reads, to exercise partial Reads); nullopt
// at the end of the stream.
std::optional<EventMessage> NextMessage(http::BodySource& body) {
  std::string buf;
  char chunk[7];
  for (int i = 0; i < 100000; ++i) {
    std::size_t want = buf.size() < 4 ? 4 - buf.size() : BE32(buf, 0) - buf.size();
    if (buf.size() >= 4 && want == 0) return ParseMessage(buf);
    auto n = body.Read(chunk, std::min(sizeof(chunk), want));
    EXPECT_TRUE(n.ok());
    if (!n.ok() || *n == 0) {
      EXPECT_TRUE(buf.empty()) << "stream ended inside a message";
      return std::nullopt;
    }
    buf.append(chunk, *n);
  }
  ADD_FAILURE() << "message never completed";
  return std::nullopt;
}

TEST(KinesisEventStream, MessageFraming) {
  std::string m = EventStreamMessage({{":event-type", "SubscribeToShardEvent"}, {":message-type", "event"}},
                                     R"({"Records":[]})");
  EXPECT_EQ(m.size(), 12u + (1 + 11 + 3 + 21) + (1 + 13 + 3 + 5) + 14 + 4);
  auto parsed = ParseMessage(m);
  EXPECT_EQ(parsed.headers[":event-type"], "SubscribeToShardEvent");
  EXPECT_EQ(parsed.headers[":message-type"], "event");
  EXPECT_EQ(parsed.payload, R"({"Records":[]})");
}

class KinesisSubscribeTest : public KinesisTest {
 protected:
  void SetUp() override {
    KinesisTest::SetUp();
    Create("s", 1);
    arn_ = std::string(Ok("DescribeStreamSummary", {{"StreamName", "s"}})["StreamDescriptionSummary"]
                           .at("StreamARN")
                           .as_string());
    consumer_ =
        std::string(Ok("RegisterStreamConsumer", {{"StreamARN", arn_}, {"ConsumerName", "efo"}})["Consumer"]
                        .at("ConsumerARN")
                        .as_string());
  }

  std::unique_ptr<http::BodySource> Subscribe(json::object position,
                                              const std::string& shard = "shardId-000000000000") {
    auto r = Call("SubscribeToShard",
                  {{"ConsumerARN", consumer_}, {"ShardId", shard}, {"StartingPosition", position}});
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().code + " " + r.error().message);
    if (!r.ok()) return nullptr;
    EXPECT_NE(r->body, nullptr);
    EXPECT_FALSE(r->body->Size().has_value());
    return std::move(r->body);
  }

  std::string Put(const std::string& data) {
    return std::string(
        Ok("PutRecord", {{"StreamName", "s"}, {"Data", data}, {"PartitionKey", "pk"}})["SequenceNumber"]
            .as_string());
  }

  std::string arn_;
  std::string consumer_;
};

TEST_F(KinesisSubscribeTest, PushesRecordsAsTheyArrive) {
  std::string first = Put(std::string("a\0b", 3));
  std::string second = Put("second");
  auto body = Subscribe({{"Type", "TRIM_HORIZON"}});
  ASSERT_NE(body, nullptr);
  auto initial = NextMessage(*body);
  ASSERT_TRUE(initial);
  EXPECT_EQ(initial->headers[":event-type"], "initial-response");
  EXPECT_EQ(initial->headers[":message-type"], "event");
  EXPECT_EQ(initial->payload, "{}");

  auto event = NextMessage(*body);
  ASSERT_TRUE(event);
  EXPECT_EQ(event->headers[":event-type"], "SubscribeToShardEvent");
  EXPECT_EQ(event->headers[":content-type"], "application/json");
  auto doc = json::parse(event->payload).as_object();
  const auto& records = doc["Records"].as_array();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].at("SequenceNumber").as_string(), first);
  EXPECT_EQ(records[0].at("Data").as_string(), "YQBi");  // base64 of "a\0b"
  EXPECT_EQ(records[0].at("PartitionKey").as_string(), "pk");
  EXPECT_DOUBLE_EQ(records[0].at("ApproximateArrivalTimestamp").as_double(), now_.load() / 1000.0);
  EXPECT_EQ(records[1].at("Data").as_string(), "c2Vjb25k");
  EXPECT_EQ(doc["ContinuationSequenceNumber"].as_string(), second);
  EXPECT_EQ(doc["MillisBehindLatest"].as_int64(), 0);

  // A record written while the subscription waits is pushed within a poll interval.
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    Put("third");
  });
  auto pushed = NextMessage(*body);
  writer.join();
  ASSERT_TRUE(pushed);
  auto pdoc = json::parse(pushed->payload).as_object();
  ASSERT_EQ(pdoc["Records"].as_array().size(), 1u);
  EXPECT_EQ(pdoc["Records"].as_array()[0].at("Data").as_string(), "dGhpcmQ=");

  // Resubscribing AFTER the continuation sees only newer records.
  std::string cont(pdoc["ContinuationSequenceNumber"].as_string());
  EXPECT_EQ(Fails("SubscribeToShard", {{"ConsumerARN", consumer_},
                                       {"ShardId", "shardId-000000000000"},
                                       {"StartingPosition", {{"Type", "LATEST"}}}})
                .code,
            "ResourceInUseException");
  now_ += 6000;  // past the 5 s guard: the new call takes over
  Put("fourth");
  auto again = Subscribe({{"Type", "AFTER_SEQUENCE_NUMBER"}, {"SequenceNumber", cont}});
  ASSERT_NE(again, nullptr);
  ASSERT_TRUE(NextMessage(*again));
  auto next = NextMessage(*again);
  ASSERT_TRUE(next);
  auto ndoc = json::parse(next->payload).as_object();
  ASSERT_EQ(ndoc["Records"].as_array().size(), 1u);
  EXPECT_EQ(ndoc["Records"].as_array()[0].at("Data").as_string(), "Zm91cnRo");

  // The old subscription ends with a ResourceInUseException event.
  auto ended = NextMessage(*body);
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->headers[":message-type"], "exception");
  EXPECT_EQ(ended->headers[":exception-type"], "ResourceInUseException");
  EXPECT_FALSE(NextMessage(*body));
}

TEST_F(KinesisSubscribeTest, EmptyShardContinuationResubscribes) {
  auto body = Subscribe({{"Type", "LATEST"}});
  ASSERT_NE(body, nullptr);
  ASSERT_TRUE(NextMessage(*body));
  auto event = NextMessage(*body);
  ASSERT_TRUE(event);
  auto doc = json::parse(event->payload).as_object();
  EXPECT_TRUE(doc["Records"].as_array().empty());
  std::string cont(doc["ContinuationSequenceNumber"].as_string());
  EXPECT_EQ(cont.size(), 56u);
  body.reset();  // client went away: the subscription is released
  Put("x");
  auto again = Subscribe({{"Type", "AFTER_SEQUENCE_NUMBER"}, {"SequenceNumber", cont}});
  ASSERT_NE(again, nullptr);
  ASSERT_TRUE(NextMessage(*again));
  auto next = NextMessage(*again);
  ASSERT_TRUE(next);
  auto ndoc = json::parse(next->payload).as_object();
  ASSERT_EQ(ndoc["Records"].as_array().size(), 1u);
  EXPECT_EQ(ndoc["Records"].as_array()[0].at("Data").as_string(), "eA==");
}

TEST_F(KinesisSubscribeTest, ClosedShardEndsWithChildShards) {
  Put("before-split");
  Ok("SplitShard", {{"StreamName", "s"},
                    {"ShardToSplit", "shardId-000000000000"},
                    {"NewStartingHashKey", "170141183460469231731687303715884105728"}});
  auto body = Subscribe({{"Type", "TRIM_HORIZON"}});
  ASSERT_NE(body, nullptr);
  ASSERT_TRUE(NextMessage(*body));
  json::array children;
  int records = 0;
  for (int i = 0; i < 10; ++i) {
    auto m = NextMessage(*body);
    if (!m) break;
    auto doc = json::parse(m->payload).as_object();
    records += static_cast<int>(doc["Records"].as_array().size());
    if (doc.contains("ChildShards")) children = doc["ChildShards"].as_array();
  }
  EXPECT_EQ(records, 1);
  ASSERT_EQ(children.size(), 2u);
  EXPECT_EQ(children[0].at("ParentShards").as_array()[0].as_string(), "shardId-000000000000");
  EXPECT_FALSE(NextMessage(*body));
}

TEST_F(KinesisSubscribeTest, Errors) {
  auto code = [&](json::object params) { return Fails("SubscribeToShard", std::move(params)).code; };
  json::object latest{{"Type", "LATEST"}};
  EXPECT_EQ(code({{"ShardId", "shardId-000000000000"}, {"StartingPosition", latest}}), "ValidationException");
  EXPECT_EQ(
      code({{"ConsumerARN", "nope"}, {"ShardId", "shardId-000000000000"}, {"StartingPosition", latest}}),
      "ValidationException");
  EXPECT_EQ(code({{"ConsumerARN", consumer_}, {"ShardId", "shardId-000000000000"}}), "ValidationException");
  EXPECT_EQ(code({{"ConsumerARN", arn_ + "/consumer/other:1"},
                  {"ShardId", "shardId-000000000000"},
                  {"StartingPosition", latest}}),
            "ResourceNotFoundException");
  EXPECT_EQ(
      code({{"ConsumerARN", consumer_}, {"ShardId", "shardId-000000000009"}, {"StartingPosition", latest}}),
      "ResourceNotFoundException");
  EXPECT_EQ(code({{"ConsumerARN", consumer_},
                  {"ShardId", "shardId-000000000000"},
                  {"StartingPosition", {{"Type", "SIDEWAYS"}}}}),
            "ValidationException");
  EXPECT_EQ(code({{"ConsumerARN", consumer_},
                  {"ShardId", "shardId-000000000000"},
                  {"StartingPosition", {{"Type", "AT_SEQUENCE_NUMBER"}}}}),
            "InvalidArgumentException");
}

TEST_F(KinesisSubscribeTest, CborRequestGetsCborEvents) {
  Put(std::string("\x00\xff", 2));
  // Straight to the provider: only a network request carries the Content-Type that asks for CBOR events.
  http::Headers headers;
  headers.Add("Content-Type", "application/x-amz-cbor-1.1");
  aws::RequestContext ctx;
  ctx.operation = "SubscribeToShard";
  ctx.service = "kinesis";
  ctx.region = "us-east-1";
  ctx.principal.account_id = "000000000000";
  ctx.headers = &headers;
  aws::OperationInput in;
  in.params = json::object{{"ConsumerARN", consumer_},
                           {"ShardId", "shardId-000000000000"},
                           {"StartingPosition", {{"Type", "TRIM_HORIZON"}}}};
  auto r = provider_->Invoke(ctx, "SubscribeToShard", in);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_NE(r->body, nullptr);
  auto initial = NextMessage(*r->body);
  ASSERT_TRUE(initial);
  EXPECT_EQ(initial->headers[":content-type"], "application/x-amz-cbor-1.1");
  EXPECT_EQ(initial->payload, std::string("\xa0", 1));
  auto event = NextMessage(*r->body);
  ASSERT_TRUE(event);
  EXPECT_EQ(event->headers[":content-type"], "application/x-amz-cbor-1.1");
  // Data is a CBOR byte string (0x42 00 ff), the arrival time tag 1 + milliseconds.
  EXPECT_NE(event->payload.find(std::string("\x64"
                                            "Data\x42\x00\xff",
                                            8)),
            std::string::npos);
  auto doc = aws::protocol::cbor::DecodeToJson(event->payload);
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  const auto& rec = doc->at("Records").at(0);
  EXPECT_EQ(rec.at("Data").as_string(), "AP8=");
  EXPECT_DOUBLE_EQ(rec.at("ApproximateArrivalTimestamp").as_double(), now_.load() / 1000.0);
  EXPECT_EQ(doc->at("MillisBehindLatest").as_int64(), 0);
  EXPECT_EQ(doc->at("ContinuationSequenceNumber"), rec.at("SequenceNumber"));
}

}  // namespace
}  // namespace cenote::kinesis

// A new data directory creates the schema from fresh_schema.inc; it must be what the migrations build.
TEST(FreshSchema, Kinesis) {
  cenote::testing::CheckFreshSchema("kinesis", cenote::kinesis::Migrations("123456789012", "us-east-1"),
                                    cenote::kinesis::FreshSchema(), CENOTE_SOURCE_DIR,
                                    "src/services/kinesis/fresh_schema.inc");
}
