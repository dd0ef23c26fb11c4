// The catalog objects kept by CatalogObjects, through the Glue provider and the real pipeline: user-defined
// functions, connections (with password encryption), resource policies, partition indexes, column statistics
// and the GetUnfiltered* calls.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <set>
#include <string>
#include <thread>

#include "common/background_tasks.hpp"
#include "common/encoding.hpp"
#include "common/mutex.hpp"
#include "query/engine.hpp"
#include "services/glue/glue_provider.hpp"
#include "services/provider_harness.hpp"
#include "store/temp_dir.hpp"

namespace cenote::glue {
namespace {

namespace json = boost::json;

class NoCrawlers final : public Crawlers {
 public:
#define CENOTE_NO_OP(Op) \
  Output Op(const aws::RequestContext&, const Input&) override { return json::object(); }
  CENOTE_NO_OP(CreateCrawler)
  CENOTE_NO_OP(GetCrawler)
  CENOTE_NO_OP(GetCrawlers)
  CENOTE_NO_OP(ListCrawlers)
  CENOTE_NO_OP(BatchGetCrawlers)
  CENOTE_NO_OP(UpdateCrawler)
  CENOTE_NO_OP(DeleteCrawler)
  CENOTE_NO_OP(StartCrawler)
  CENOTE_NO_OP(StopCrawler)
  CENOTE_NO_OP(GetCrawlerMetrics)
  CENOTE_NO_OP(ListCrawls)
  CENOTE_NO_OP(UpdateCrawlerSchedule)
#undef CENOTE_NO_OP
  Output SetScheduleState(const aws::RequestContext&, const Input&, bool) override { return json::object(); }
  void RunDueSchedules(std::int64_t) override {}
  void Shutdown() override {}
};

// KMS Encrypt as "<key>|<plaintext reversed>"; callers in `denied` are refused.
class FakeKms final : public CatalogKms {
 public:
  Result<DataKey> GenerateDataKey(const aws::Caller&, const std::string&) override {
    return MakeError("UnsupportedOperationException", "not in this test");
  }
  Result<std::string> Decrypt(const aws::Caller&, const std::string&) override {
    return MakeError("UnsupportedOperationException", "not in this test");
  }
  Result<std::string> Encrypt(const aws::Caller& as, const std::string& key_id,
                              const std::string& plaintext) override {
    if (denied.count(as.principal.arn) != 0) {
      return MakeError("AccessDeniedException",
                       "User: " + as.principal.arn + " is not authorized to perform: kms:Encrypt");
    }
    ++encrypted;
    return key_id + "|" + std::string(plaintext.rbegin(), plaintext.rend());
  }
  std::set<std::string> denied;
  int encrypted = 0;
};

// The engine's side of statistics task runs: remembers the SQL and answers `row` (or `error`); `block` makes
// the query wait until cancelled.
class FakeQueries final : public StatisticsQueries {
 public:
  Result<std::vector<std::optional<std::string>>> FirstRow(const aws::Caller& as, const std::string& account,
                                                           const std::string& database,
                                                           const std::string& sql,
                                                           query::Cancellation& cancel) override {
    {
      MutexLock lock(mu);
      sqls.push_back(sql);
      callers.push_back(as.principal.arn + " " + account + " " + database + " " + as.invoked_by);
    }
    for (int i = 0; i < 500 && block && !cancel.cancelled(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (cancel.cancelled()) return MakeError("USER_CANCELLED", "Query was cancelled");
    if (!error.empty()) return MakeError("SYNTAX_ERROR", error);
    return row;
  }
  Mutex mu;
  std::vector<std::string> sqls GUARDED_BY(mu);
  std::vector<std::string> callers GUARDED_BY(mu);
  std::vector<std::optional<std::string>> row;
  std::string error;
  std::atomic<bool> block{false};
};

class CatalogObjectsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto md = store::MetadataStore::OpenSqlite(dir_ / "meta.db");
    ASSERT_TRUE(md.ok()) << md.error().message;
    metadata_ = std::move(md).value();
    OpenCatalog();
  }
  void OpenCatalog() {
    harness_ = std::make_unique<cenote::testing::ProviderHarness>("123456789012");
    runs_.reset();
    auto c = Catalog::Open(*metadata_, "123456789012", "us-east-1");
    ASSERT_TRUE(c.ok()) << c.error().message;
    catalog_ = std::move(c).value();
    auto kms = std::make_unique<FakeKms>();
    kms_ = kms.get();
    catalog_->UseKms(std::move(kms), 0);
    catalog_->UseStatisticsQueries(&queries_);
    auto runs = ColumnStatisticsRuns::Open(*catalog_, tasks_);
    ASSERT_TRUE(runs.ok()) << runs.error().message;
    runs_ = std::move(runs).value();
    harness_->Register(std::make_unique<GlueProvider>(*catalog_, crawlers_, nullptr, runs_.get()));
  }
  Result<aws::OperationOutput> Call(std::string_view op, const std::string& params) {
    return harness_->Call("glue", op, json::parse(params).as_object(), "us-east-1");
  }
  json::object Ok(std::string_view op, const std::string& params) {
    auto r = Call(op, params);
    EXPECT_TRUE(r.ok()) << op << " " << params << ": "
                        << (r.ok() ? "" : r.error().code + " " + r.error().message);
    if (!r.ok()) return {};
    return r->result.as_object();
  }
  Error Err(std::string_view op, const std::string& params) {
    auto r = Call(op, params);
    EXPECT_FALSE(r.ok()) << op << " " << params;
    if (r.ok()) return Error{};
    return r.error();
  }
  void SetUpSales() {
    Ok("CreateDatabase", R"({"DatabaseInput": {"Name": "lake"}})");
    Ok("CreateTable", R"j({"DatabaseName": "lake", "TableInput": {"Name": "sales",
        "StorageDescriptor": {"Columns": [{"Name": "id", "Type": "bigint"}, {"Name": "amount", "Type": "double"},
                                          {"Name": "product", "Type": "string"}, {"Name": "paid", "Type": "boolean"},
                                          {"Name": "price", "Type": "decimal(10,2)"}, {"Name": "day", "Type": "date"},
                                          {"Name": "raw", "Type": "binary"}, {"Name": "ts", "Type": "timestamp"}],
                              "Location": "s3://lake/sales/"},
        "PartitionKeys": [{"Name": "year", "Type": "int"}, {"Name": "region", "Type": "string"},
                          {"Name": "ratio", "Type": "double"}]}})j");
  }
  void AddPartition(const std::string& year, const std::string& region) {
    Ok("CreatePartition",
       R"({"DatabaseName": "lake", "TableName": "sales", "PartitionInput": {"Values": [")" + year +
           R"(", ")" + region + R"(", "0.5"], "StorageDescriptor": {"Location": "s3://lake/sales/x/"}}})");
  }

  // Polls a task run until it leaves STARTING/RUNNING (bounded).
  json::object WaitRun(const std::string& id) {
    json::object run;
    for (int i = 0; i < 500; ++i) {
      run = Ok("GetColumnStatisticsTaskRun",
               R"({"ColumnStatisticsTaskRunId": ")" + id + "\"}")["ColumnStatisticsTaskRun"]
                .as_object();
      const auto status = run.at("Status").as_string();
      if (status != "STARTING" && status != "RUNNING") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return run;
  }

  store::testing::TempDir dir_;
  std::unique_ptr<store::MetadataStore> metadata_;
  BackgroundTasks tasks_;
  FakeQueries queries_;
  std::unique_ptr<Catalog> catalog_;
  std::unique_ptr<ColumnStatisticsRuns> runs_;
  NoCrawlers crawlers_;
  FakeKms* kms_ = nullptr;
  std::unique_ptr<cenote::testing::ProviderHarness> harness_;
};

TEST_F(CatalogObjectsTest, ColumnStatisticsTaskRuns) {
  SetUpSales();
  // count(*), then per column: id (LONG: nulls, ndv, min, max), product (STRING: nulls, ndv, max len, avg
  // len), paid (BOOLEAN: nulls, trues, falses), price (DECIMAL), day (DATE).
  queries_.row = {"200", "0",  "200", "1",  "200",   "3",      "4", "6",  "5.25",       "1",
                  "150", "49", "0",   "40", "-1.50", "999.99", "0", "31", "2024-01-01", "2024-01-31"};
  auto started = Ok("StartColumnStatisticsTaskRun", R"({"DatabaseName": "lake", "TableName": "sales",
      "Role": "arn:aws:iam::123456789012:role/stats", "ColumnNameList": ["id", "product", "paid", "price", "day"]})");
  const std::string id(started["ColumnStatisticsTaskRunId"].as_string());
  auto run = WaitRun(id);
  EXPECT_EQ(run.at("Status").as_string(), "SUCCEEDED") << json::serialize(run);
  EXPECT_EQ(run.at("DatabaseName").as_string(), "lake");
  EXPECT_EQ(run.at("Role").as_string(), "arn:aws:iam::123456789012:role/stats");
  EXPECT_TRUE(run.at("StartTime").is_int64());
  EXPECT_TRUE(run.at("EndTime").is_int64());
  {
    MutexLock lock(queries_.mu);
    ASSERT_EQ(queries_.sqls.size(), 1u);
    EXPECT_EQ(queries_.sqls[0],
              "SELECT count(*), count(*) - count(\"id\"), count(DISTINCT \"id\"), min(\"id\"), max(\"id\"), "
              "count(*) - count(\"product\"), count(DISTINCT \"product\"), max(length(\"product\")), "
              "avg(CAST(length(\"product\") AS double)), count(*) - count(\"paid\"), "
              "sum(CASE WHEN \"paid\" THEN 1 ELSE 0 END), sum(CASE WHEN NOT \"paid\" THEN 1 ELSE 0 END), "
              "count(*) - count(\"price\"), count(DISTINCT \"price\"), min(\"price\"), max(\"price\"), "
              "count(*) - count(\"day\"), count(DISTINCT \"day\"), min(\"day\"), max(\"day\") "
              "FROM \"lake\".\"sales\"");
    // As the role assumed by Glue.
    EXPECT_EQ(queries_.callers[0],
              "arn:aws:sts::123456789012:assumed-role/stats/AWS-Glue-ColumnStatistics 123456789012 lake "
              "glue.amazonaws.com");
  }
  auto got = Ok("GetColumnStatisticsForTable", R"({"DatabaseName": "lake", "TableName": "sales",
      "ColumnNames": ["id", "product", "paid", "price", "day", "amount"]})");
  const auto& list = got["ColumnStatisticsList"].as_array();
  ASSERT_EQ(list.size(), 5u);
  EXPECT_EQ(list[0].at("StatisticsData"),
            (json::object{{"Type", "LONG"},
                          {"LongColumnStatisticsData", json::object{{"NumberOfNulls", 0},
                                                                    {"NumberOfDistinctValues", 200},
                                                                    {"MinimumValue", 1},
                                                                    {"MaximumValue", 200}}}}));
  EXPECT_EQ(list[1].at("StatisticsData").at("StringColumnStatisticsData"),
            (json::object{{"NumberOfNulls", 3},
                          {"NumberOfDistinctValues", 4},
                          {"MaximumLength", 6},
                          {"AverageLength", 5.25}}));
  EXPECT_EQ(list[2].at("StatisticsData").at("BooleanColumnStatisticsData"),
            (json::object{{"NumberOfNulls", 1}, {"NumberOfTrues", 150}, {"NumberOfFalses", 49}}));
  const auto& dec = list[3].at("StatisticsData").at("DecimalColumnStatisticsData");
  EXPECT_EQ(dec.at("MinimumValue").at("UnscaledValue").as_string(), std::string("\xff\x6a"));  // -150
  EXPECT_EQ(dec.at("MinimumValue").at("Scale").as_int64(), 2);
  EXPECT_EQ(dec.at("MaximumValue").at("UnscaledValue").as_string(), std::string("\x01\x86\x9f"));  // 99999
  EXPECT_EQ(list[4].at("StatisticsData").at("DateColumnStatisticsData").at("MinimumValue").as_int64(),
            1704067200000);
  EXPECT_EQ(list[4].at("StatisticsData").at("DateColumnStatisticsData").at("MaximumValue").as_int64(),
            1706659200000);

  auto runs = Ok("GetColumnStatisticsTaskRuns", R"({"DatabaseName": "lake", "TableName": "sales"})");
  ASSERT_EQ(runs["ColumnStatisticsTaskRuns"].as_array().size(), 1u);
  EXPECT_EQ(Ok("ListColumnStatisticsTaskRuns", "{}")["ColumnStatisticsTaskRunIds"],
            (json::array{json::value(id)}));

  // A failing query fails the run with its reason.
  queries_.error = "line 1:8: Column 'x' cannot be resolved";
  auto failed =
      WaitRun(std::string(Ok("StartColumnStatisticsTaskRun", R"({"DatabaseName": "lake", "TableName": "sales",
      "Role": "stats"})")["ColumnStatisticsTaskRunId"]
                              .as_string()));
  EXPECT_EQ(failed.at("Status").as_string(), "FAILED");
  EXPECT_EQ(failed.at("ErrorMessage").as_string(), "line 1:8: Column 'x' cannot be resolved");
  queries_.error.clear();

  // Stop: one run at a time per table; stopping cancels the query.
  queries_.block = true;
  auto blocked = Ok("StartColumnStatisticsTaskRun",
                    R"({"DatabaseName": "lake", "TableName": "sales", "Role": "stats"})");
  EXPECT_EQ(Err("StartColumnStatisticsTaskRun",
                R"({"DatabaseName": "lake", "TableName": "sales", "Role": "stats"})")
                .code,
            "ColumnStatisticsTaskRunningException");
  for (int i = 0; i < 500; ++i) {  // until the query runs
    {
      MutexLock lock(queries_.mu);
      if (queries_.sqls.size() == 3) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  Ok("StopColumnStatisticsTaskRun", R"({"DatabaseName": "lake", "TableName": "sales"})");
  auto stopped = WaitRun(std::string(blocked["ColumnStatisticsTaskRunId"].as_string()));
  EXPECT_EQ(stopped.at("Status").as_string(), "STOPPED");
  queries_.block = false;
  EXPECT_EQ(Err("StopColumnStatisticsTaskRun", R"({"DatabaseName": "lake", "TableName": "sales"})").code,
            "ColumnStatisticsTaskNotRunningException");

  // Bad input.
  EXPECT_EQ(Err("StartColumnStatisticsTaskRun", R"({"DatabaseName": "lake", "TableName": "sales", "Role": "r",
      "ColumnNameList": ["nope"]})")
                .code,
            "InvalidInputException");
  EXPECT_EQ(
      Err("StartColumnStatisticsTaskRun", R"({"DatabaseName": "lake", "TableName": "nope", "Role": "r"})")
          .code,
      "EntityNotFoundException");
  EXPECT_EQ(Err("GetColumnStatisticsTaskRun", R"({"ColumnStatisticsTaskRunId": "nope"})").code,
            "EntityNotFoundException");
}

TEST_F(CatalogObjectsTest, UserDefinedFunctions) {
  Ok("CreateDatabase", R"({"DatabaseInput": {"Name": "lake"}})");
  Ok("CreateDatabase", R"({"DatabaseInput": {"Name": "other"}})");
  EXPECT_EQ(Err("CreateUserDefinedFunction",
                R"({"DatabaseName": "nope", "FunctionInput": {"FunctionName": "f", "ClassName": "C"}})")
                .message,
            "Database nope not found.");
  Ok("CreateUserDefinedFunction", R"({"DatabaseName": "lake", "FunctionInput": {"FunctionName": "Upper2",
      "ClassName": "com.example.Upper", "OwnerName": "me", "OwnerType": "USER",
      "ResourceUris": [{"ResourceType": "JAR", "Uri": "s3://lake/udf.jar"}]}})");
  Ok("CreateUserDefinedFunction",
     R"({"DatabaseName": "lake", "FunctionInput": {"FunctionName": "lower2", "ClassName": "com.example.Lower"}})");
  Ok("CreateUserDefinedFunction",
     R"({"DatabaseName": "other", "FunctionInput": {"FunctionName": "upper3", "ClassName": "com.example.U"}})");
  auto dup =
      Err("CreateUserDefinedFunction",
          R"({"DatabaseName": "lake", "FunctionInput": {"FunctionName": "UPPER2", "ClassName": "X"}})");
  EXPECT_EQ(dup.code, "AlreadyExistsException");

  auto f = Ok("GetUserDefinedFunction",
              R"({"DatabaseName": "LAKE", "FunctionName": "upper2"})")["UserDefinedFunction"]
               .as_object();
  EXPECT_EQ(f.at("FunctionName").as_string(), "upper2");
  EXPECT_EQ(f.at("DatabaseName").as_string(), "lake");
  EXPECT_EQ(f.at("ClassName").as_string(), "com.example.Upper");
  EXPECT_EQ(f.at("CatalogId").as_string(), "123456789012");
  EXPECT_EQ(f.at("ResourceUris").as_array().size(), 1u);
  EXPECT_TRUE(f.at("CreateTime").is_int64());

  auto upper = Ok("GetUserDefinedFunctions", R"({"Pattern": "upper*"})")["UserDefinedFunctions"].as_array();
  ASSERT_EQ(upper.size(), 2u);  // both databases
  EXPECT_EQ(upper[0].at("DatabaseName").as_string(), "lake");
  EXPECT_EQ(upper[1].at("DatabaseName").as_string(), "other");
  EXPECT_EQ(
      Ok("GetUserDefinedFunctions", R"({"DatabaseName": "lake", "Pattern": "*"})")["UserDefinedFunctions"]
          .as_array()
          .size(),
      2u);
  EXPECT_EQ(Ok("GetUserDefinedFunctions",
               R"({"DatabaseName": "lake", "Pattern": "lower2|nothing"})")["UserDefinedFunctions"]
                .as_array()
                .size(),
            1u);
  // Pages of one.
  auto p1 = Ok("GetUserDefinedFunctions", R"({"Pattern": "*", "MaxResults": 1})");
  ASSERT_TRUE(p1.contains("NextToken"));
  std::set<std::string> seen{
      std::string(p1["UserDefinedFunctions"].as_array()[0].at("FunctionName").as_string())};
  std::string token(p1["NextToken"].as_string());
  for (int i = 0; i < 5 && !token.empty(); ++i) {
    auto p =
        Ok("GetUserDefinedFunctions", R"({"Pattern": "*", "MaxResults": 1, "NextToken": ")" + token + "\"}");
    for (const auto& fn : p["UserDefinedFunctions"].as_array())
      seen.emplace(fn.at("FunctionName").as_string());
    token = p.contains("NextToken") ? std::string(p["NextToken"].as_string()) : "";
  }
  EXPECT_EQ(seen, (std::set<std::string>{"upper2", "lower2", "upper3"}));

  Ok("UpdateUserDefinedFunction", R"({"DatabaseName": "lake", "FunctionName": "upper2",
      "FunctionInput": {"FunctionName": "upper2", "ClassName": "com.example.Upper2"}})");
  EXPECT_EQ(Ok("GetUserDefinedFunction",
               R"({"DatabaseName": "lake", "FunctionName": "upper2"})")["UserDefinedFunction"]
                .at("ClassName")
                .as_string(),
            "com.example.Upper2");
  // Rename.
  Ok("UpdateUserDefinedFunction", R"({"DatabaseName": "lake", "FunctionName": "upper2",
      "FunctionInput": {"FunctionName": "upper9", "ClassName": "com.example.Upper2"}})");
  EXPECT_EQ(Err("GetUserDefinedFunction", R"({"DatabaseName": "lake", "FunctionName": "upper2"})").code,
            "EntityNotFoundException");
  Ok("GetUserDefinedFunction", R"({"DatabaseName": "lake", "FunctionName": "upper9"})");
  // Onto a taken name: refused, both functions unchanged.
  EXPECT_EQ(Err("UpdateUserDefinedFunction", R"({"DatabaseName": "lake", "FunctionName": "upper9",
      "FunctionInput": {"FunctionName": "lower2", "ClassName": "com.example.Other"}})")
                .code,
            "AlreadyExistsException");
  EXPECT_EQ(Ok("GetUserDefinedFunction",
               R"({"DatabaseName": "lake", "FunctionName": "lower2"})")["UserDefinedFunction"]
                .at("ClassName")
                .as_string(),
            "com.example.Lower");
  Ok("GetUserDefinedFunction", R"({"DatabaseName": "lake", "FunctionName": "upper9"})");
  EXPECT_EQ(Err("UpdateUserDefinedFunction", R"({"DatabaseName": "lake", "FunctionName": "gone",
      "FunctionInput": {"FunctionName": "gone2", "ClassName": "X"}})")
                .code,
            "EntityNotFoundException");
  EXPECT_EQ(Err("UpdateUserDefinedFunction", R"({"DatabaseName": "lake", "FunctionName": "gone",
      "FunctionInput": {"FunctionName": "gone", "ClassName": "X"}})")
                .code,
            "EntityNotFoundException");

  Ok("DeleteUserDefinedFunction", R"({"DatabaseName": "lake", "FunctionName": "upper9"})");
  EXPECT_EQ(Err("DeleteUserDefinedFunction", R"({"DatabaseName": "lake", "FunctionName": "upper9"})").code,
            "EntityNotFoundException");
  // Deleting the database deletes its functions; a new database of the same name has none.
  Ok("DeleteDatabase", R"({"Name": "lake"})");
  Ok("CreateDatabase", R"({"DatabaseInput": {"Name": "lake"}})");
  EXPECT_EQ(
      Ok("GetUserDefinedFunctions", R"({"DatabaseName": "lake", "Pattern": "*"})")["UserDefinedFunctions"]
          .as_array()
          .size(),
      0u);
}

TEST_F(CatalogObjectsTest, Connections) {
  const std::string jdbc = R"({"ConnectionInput": {"Name": "pg", "ConnectionType": "JDBC",
      "MatchCriteria": ["prod", "pg"], "ConnectionProperties": {"JDBC_CONNECTION_URL": "jdbc:postgresql://db:5432/x",
      "USERNAME": "u", "PASSWORD": "secret"}}, "Tags": {"team": "data"}})";
  auto created = Ok("CreateConnection", jdbc);
  EXPECT_EQ(created["CreateConnectionStatus"].as_string(), "READY");
  EXPECT_EQ(Err("CreateConnection", jdbc).code, "AlreadyExistsException");
  EXPECT_EQ(Err("CreateConnection", R"({"ConnectionInput": {"Name": "bad", "ConnectionType": "JDBC",
      "ConnectionProperties": {"USERNAME": "u"}}})")
                .code,
            "InvalidInputException");
  Ok("CreateConnection", R"({"ConnectionInput": {"Name": "kafka", "ConnectionType": "KAFKA",
      "ConnectionProperties": {"KAFKA_BOOTSTRAP_SERVERS": "b:9092"}}})");

  auto pg = Ok("GetConnection", R"({"Name": "pg"})")["Connection"].as_object();
  EXPECT_EQ(pg.at("ConnectionProperties").at("PASSWORD").as_string(), "secret");
  EXPECT_EQ(pg.at("Status").as_string(), "READY");
  EXPECT_TRUE(pg.at("CreationTime").is_int64());
  auto hidden = Ok("GetConnection", R"({"Name": "pg", "HidePassword": true})")["Connection"].as_object();
  EXPECT_FALSE(hidden.at("ConnectionProperties").as_object().contains("PASSWORD"));
  EXPECT_EQ(Ok("GetTags", R"({"ResourceArn": "arn:aws:glue:us-east-1:123456789012:connection/pg"})")["Tags"],
            (json::object{{"team", "data"}}));

  EXPECT_EQ(Ok("GetConnections", "{}")["ConnectionList"].as_array().size(), 2u);
  auto by_type =
      Ok("GetConnections", R"({"Filter": {"ConnectionType": "KAFKA"}})")["ConnectionList"].as_array();
  ASSERT_EQ(by_type.size(), 1u);
  EXPECT_EQ(by_type[0].at("Name").as_string(), "kafka");
  EXPECT_EQ(
      Ok("GetConnections", R"({"Filter": {"MatchCriteria": ["prod"]}})")["ConnectionList"].as_array().size(),
      1u);
  EXPECT_EQ(Ok("GetConnections", R"({"Filter": {"MatchCriteria": ["prod", "x"]}})")["ConnectionList"]
                .as_array()
                .size(),
            0u);
  auto page = Ok("GetConnections", R"({"MaxResults": 1, "HidePassword": true})");
  EXPECT_EQ(page["ConnectionList"].as_array().size(), 1u);
  ASSERT_TRUE(page.contains("NextToken"));

  // Password encryption: PASSWORD becomes ENCRYPTED_PASSWORD, KMS-encrypted as the caller.
  Ok("PutDataCatalogEncryptionSettings", R"({"DataCatalogEncryptionSettings": {"ConnectionPasswordEncryption":
      {"ReturnConnectionPasswordEncrypted": true, "AwsKmsKeyId": "alias/conn"}}})");
  Ok("UpdateConnection", R"({"Name": "pg", "ConnectionInput": {"Name": "pg", "ConnectionType": "JDBC",
      "ConnectionProperties": {"JDBC_CONNECTION_URL": "jdbc:postgresql://db:5432/x", "USERNAME": "u",
      "PASSWORD": "hunter2"}}})");
  EXPECT_EQ(kms_->encrypted, 1);
  auto enc = Ok("GetConnection", R"({"Name": "pg"})")["Connection"].at("ConnectionProperties").as_object();
  EXPECT_FALSE(enc.contains("PASSWORD"));
  EXPECT_EQ(Base64Decode(enc.at("ENCRYPTED_PASSWORD").as_string()).value_or(""), "alias/conn|2retnuh");
  kms_->denied.insert("arn:aws:iam::123456789012:root");
  EXPECT_EQ(
      Err("UpdateConnection", R"({"Name": "pg", "ConnectionInput": {"Name": "pg", "ConnectionType": "JDBC",
      "ConnectionProperties": {"JDBC_CONNECTION_URL": "jdbc:x", "PASSWORD": "p"}}})")
          .code,
      "GlueEncryptionException");
  kms_->denied.clear();

  // Rename, delete, batch delete.
  Ok("UpdateConnection", R"({"Name": "kafka", "ConnectionInput": {"Name": "kafka2", "ConnectionType": "KAFKA",
      "ConnectionProperties": {"KAFKA_BOOTSTRAP_SERVERS": "b:9092"}}})");
  EXPECT_EQ(Err("GetConnection", R"({"Name": "kafka"})").code, "EntityNotFoundException");
  EXPECT_EQ(Err("UpdateConnection", R"({"Name": "kafka2", "ConnectionInput": {"Name": "pg",
      "ConnectionType": "KAFKA", "ConnectionProperties": {"KAFKA_BOOTSTRAP_SERVERS": "c:9092"}}})")
                .code,
            "AlreadyExistsException");
  EXPECT_EQ(Ok("GetConnection", R"({"Name": "pg"})")["Connection"].at("ConnectionType").as_string(), "JDBC");
  EXPECT_EQ(Ok("GetConnection", R"({"Name": "kafka2"})")["Connection"]
                .at("ConnectionProperties")
                .at("KAFKA_BOOTSTRAP_SERVERS")
                .as_string(),
            "b:9092");
  auto batch = Ok("BatchDeleteConnection", R"({"ConnectionNameList": ["kafka2", "missing"]})");
  EXPECT_EQ(batch["Succeeded"], (json::array{"kafka2"}));
  EXPECT_EQ(batch["Errors"].at("missing").at("ErrorCode").as_string(), "EntityNotFoundException");
  Ok("DeleteConnection", R"({"ConnectionName": "pg"})");
  EXPECT_EQ(Err("DeleteConnection", R"({"ConnectionName": "pg"})").code, "EntityNotFoundException");
}

TEST_F(CatalogObjectsTest, ResourcePolicies) {
  const std::string policy =
      R"({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::210987654321:root"},
          "Action": "glue:GetTable", "Resource": "arn:aws:glue:us-east-1:123456789012:*"}]})";
  auto quoted = json::serialize(json::value(policy));
  EXPECT_EQ(Err("GetResourcePolicy", "{}").code, "EntityNotFoundException");
  EXPECT_EQ(Err("PutResourcePolicy",
                R"({"PolicyInJson": )" + quoted + R"(, "PolicyExistsCondition": "MUST_EXIST"})")
                .code,
            "ConditionCheckFailureException");
  auto put =
      Ok("PutResourcePolicy", R"({"PolicyInJson": )" + quoted + R"(, "PolicyExistsCondition": "NOT_EXIST"})");
  const std::string hash(put["PolicyHash"].as_string());
  EXPECT_FALSE(hash.empty());
  auto got = Ok("GetResourcePolicy", "{}");
  EXPECT_EQ(got["PolicyInJson"].as_string(), policy);
  EXPECT_EQ(got["PolicyHash"].as_string(), hash);
  EXPECT_TRUE(got["CreateTime"].is_int64());
  EXPECT_EQ(Ok("GetResourcePolicy",
               R"({"ResourceArn": "arn:aws:glue:us-east-1:123456789012:catalog"})")["PolicyHash"],
            json::value(hash));
  EXPECT_EQ(
      Err("PutResourcePolicy", R"({"PolicyInJson": )" + quoted + R"(, "PolicyExistsCondition": "NOT_EXIST"})")
          .code,
      "ConditionCheckFailureException");
  EXPECT_EQ(
      Err("PutResourcePolicy", R"({"PolicyInJson": )" + quoted + R"(, "PolicyHashCondition": "stale"})").code,
      "ConditionCheckFailureException");
  EXPECT_EQ(Err("PutResourcePolicy", R"({"PolicyInJson": "{\"Statement\": 1}"})").code,
            "InvalidInputException");
  // A resource policy names a principal.
  EXPECT_EQ(
      Err("PutResourcePolicy",
          R"({"PolicyInJson": "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"glue:*\", \"Resource\": \"*\"}]}"})")
          .code,
      "InvalidInputException");
  auto again = Ok("PutResourcePolicy", R"({"PolicyInJson": )" + quoted + R"(, "PolicyHashCondition": ")" +
                                           hash + R"(", "PolicyExistsCondition": "MUST_EXIST"})");
  EXPECT_EQ(again["PolicyHash"].as_string(), hash);  // the same document
  EXPECT_EQ(Ok("GetResourcePolicies", "{}")["GetResourcePoliciesResponseList"].as_array().size(), 1u);
  EXPECT_EQ(Err("DeleteResourcePolicy", R"({"PolicyHashCondition": "stale"})").code,
            "ConditionCheckFailureException");
  Ok("DeleteResourcePolicy", R"({"PolicyHashCondition": ")" + hash + "\"}");
  EXPECT_EQ(Err("DeleteResourcePolicy", "{}").code, "EntityNotFoundException");
  EXPECT_EQ(Ok("GetResourcePolicies", "{}")["GetResourcePoliciesResponseList"].as_array().size(), 0u);
}

TEST_F(CatalogObjectsTest, PartitionIndexes) {
  SetUpSales();
  AddPartition("2024", "eu");
  AddPartition("x2025", "us");  // not an int: the backfill of an index on year fails on it
  Ok("CreatePartitionIndex",
     R"({"DatabaseName": "lake", "TableName": "sales", "PartitionIndex": {"IndexName": "by_region", "Keys": ["region"]}})");
  Ok("CreatePartitionIndex", R"({"DatabaseName": "lake", "TableName": "sales",
      "PartitionIndex": {"IndexName": "by_year", "Keys": ["year", "region"]}})");
  EXPECT_EQ(Err("CreatePartitionIndex", R"({"DatabaseName": "lake", "TableName": "sales",
      "PartitionIndex": {"IndexName": "by_region", "Keys": ["region"]}})")
                .code,
            "AlreadyExistsException");
  EXPECT_EQ(Err("CreatePartitionIndex", R"({"DatabaseName": "lake", "TableName": "sales",
      "PartitionIndex": {"IndexName": "bad", "Keys": ["id"]}})")
                .code,
            "InvalidInputException");
  EXPECT_EQ(Err("CreatePartitionIndex", R"({"DatabaseName": "lake", "TableName": "sales",
      "PartitionIndex": {"IndexName": "dbl", "Keys": ["ratio"]}})")
                .code,
            "InvalidInputException");
  Ok("CreatePartitionIndex",
     R"({"DatabaseName": "lake", "TableName": "sales", "PartitionIndex": {"IndexName": "third", "Keys": ["region", "year"]}})");
  EXPECT_EQ(Err("CreatePartitionIndex", R"({"DatabaseName": "lake", "TableName": "sales",
      "PartitionIndex": {"IndexName": "fourth", "Keys": ["year"]}})")
                .code,
            "ResourceNumberLimitExceededException");

  auto list = Ok("GetPartitionIndexes",
                 R"({"DatabaseName": "lake", "TableName": "sales"})")["PartitionIndexDescriptorList"]
                  .as_array();
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].at("IndexName").as_string(), "by_region");
  EXPECT_EQ(list[0].at("IndexStatus").as_string(), "ACTIVE");
  EXPECT_EQ(list[0].at("Keys"), (json::array{json::object{{"Name", "region"}, {"Type", "string"}}}));
  EXPECT_EQ(list[1].at("IndexName").as_string(), "by_year");
  EXPECT_EQ(list[1].at("IndexStatus").as_string(), "FAILED");
  const auto& backfill = list[1].at("BackfillErrors").as_array();
  ASSERT_EQ(backfill.size(), 1u);
  EXPECT_EQ(backfill[0].at("Code").as_string(), "INVALID_PARTITION_TYPE_DATA_ERROR");
  EXPECT_EQ(backfill[0].at("Partitions"),
            (json::array{json::object{{"Values", json::array{"x2025", "us", "0.5"}}}}));

  Ok("DeletePartitionIndex", R"({"DatabaseName": "lake", "TableName": "sales", "IndexName": "by_year"})");
  EXPECT_EQ(
      Err("DeletePartitionIndex", R"({"DatabaseName": "lake", "TableName": "sales", "IndexName": "by_year"})")
          .code,
      "EntityNotFoundException");
  EXPECT_EQ(Err("GetPartitionIndexes", R"({"DatabaseName": "lake", "TableName": "none"})").code,
            "EntityNotFoundException");

  // CreateTable's PartitionIndexes: validated before the table is made, then created.
  EXPECT_EQ(Err("CreateTable", R"({"DatabaseName": "lake", "TableInput": {"Name": "t2",
      "PartitionKeys": [{"Name": "dt", "Type": "string"}]},
      "PartitionIndexes": [{"IndexName": "i", "Keys": ["nope"]}]})")
                .code,
            "InvalidInputException");
  EXPECT_EQ(Err("GetTable", R"({"DatabaseName": "lake", "Name": "t2"})").code, "EntityNotFoundException");
  Ok("CreateTable", R"({"DatabaseName": "lake", "TableInput": {"Name": "t2",
      "PartitionKeys": [{"Name": "dt", "Type": "date"}]}, "PartitionIndexes": [{"IndexName": "i", "Keys": ["dt"]}]})");
  auto t2 = Ok("GetPartitionIndexes",
               R"({"DatabaseName": "lake", "TableName": "t2"})")["PartitionIndexDescriptorList"]
                .as_array();
  ASSERT_EQ(t2.size(), 1u);
  EXPECT_EQ(t2[0].at("IndexStatus").as_string(), "ACTIVE");
  // Deleting the table deletes its indexes.
  Ok("DeleteTable", R"({"DatabaseName": "lake", "Name": "t2"})");
  Ok("CreateTable", R"({"DatabaseName": "lake", "TableInput": {"Name": "t2"}})");
  EXPECT_EQ(Ok("GetPartitionIndexes",
               R"({"DatabaseName": "lake", "TableName": "t2"})")["PartitionIndexDescriptorList"]
                .as_array()
                .size(),
            0u);
}

TEST_F(CatalogObjectsTest, ColumnStatistics) {
  SetUpSales();
  AddPartition("2024", "eu");
  auto update = Ok("UpdateColumnStatisticsForTable", R"j({"DatabaseName": "lake", "TableName": "sales",
      "ColumnStatisticsList": [
        {"ColumnName": "id", "ColumnType": "bigint", "AnalyzedTime": 1700000000,
         "StatisticsData": {"Type": "LONG", "LongColumnStatisticsData": {"MinimumValue": 1, "MaximumValue": 200,
                            "NumberOfNulls": 0, "NumberOfDistinctValues": 200}}},
        {"ColumnName": "amount", "ColumnType": "double", "AnalyzedTime": 1700000000,
         "StatisticsData": {"Type": "DOUBLE", "DoubleColumnStatisticsData": {"MinimumValue": 1.5, "MaximumValue": 999.99,
                            "NumberOfNulls": 3, "NumberOfDistinctValues": 180}}},
        {"ColumnName": "product", "ColumnType": "string", "AnalyzedTime": 1700000000,
         "StatisticsData": {"Type": "STRING", "StringColumnStatisticsData": {"MaximumLength": 6, "AverageLength": 5.5,
                            "NumberOfNulls": 0, "NumberOfDistinctValues": 4}}},
        {"ColumnName": "paid", "ColumnType": "boolean", "AnalyzedTime": 1700000000,
         "StatisticsData": {"Type": "BOOLEAN", "BooleanColumnStatisticsData": {"NumberOfTrues": 150,
                            "NumberOfFalses": 50, "NumberOfNulls": 0}}},
        {"ColumnName": "price", "ColumnType": "decimal(10,2)", "AnalyzedTime": 1700000000,
         "StatisticsData": {"Type": "DECIMAL", "DecimalColumnStatisticsData": {
            "MinimumValue": {"UnscaledValue": "\u0001\u0002", "Scale": 2},
            "MaximumValue": {"UnscaledValue": "\u007f", "Scale": 2},
            "NumberOfNulls": 0, "NumberOfDistinctValues": 10}}},
        {"ColumnName": "day", "ColumnType": "date", "AnalyzedTime": 1700000000,
         "StatisticsData": {"Type": "DATE", "DateColumnStatisticsData": {"MinimumValue": 1704067200,
                            "MaximumValue": 1706659200, "NumberOfNulls": 1, "NumberOfDistinctValues": 31}}},
        {"ColumnName": "raw", "ColumnType": "binary", "AnalyzedTime": 1700000000,
         "StatisticsData": {"Type": "BINARY", "BinaryColumnStatisticsData": {"MaximumLength": 64,
                            "AverageLength": 12.0, "NumberOfNulls": 2}}},
        {"ColumnName": "nosuch", "ColumnType": "bigint", "AnalyzedTime": 1700000000,
         "StatisticsData": {"Type": "LONG", "LongColumnStatisticsData": {"NumberOfNulls": 0, "NumberOfDistinctValues": 1}}},
        {"ColumnName": "product", "ColumnType": "string", "AnalyzedTime": 1700000000,
         "StatisticsData": {"Type": "LONG", "LongColumnStatisticsData": {"NumberOfNulls": 0, "NumberOfDistinctValues": 1}}},
        {"ColumnName": "ts", "ColumnType": "timestamp", "AnalyzedTime": 1700000000,
         "StatisticsData": {"Type": "LONG", "LongColumnStatisticsData": {"NumberOfNulls": 0, "NumberOfDistinctValues": 1}}}
      ]})j");
  const auto& errors = update["Errors"].as_array();
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0].at("ColumnStatistics").at("ColumnName").as_string(), "nosuch");
  EXPECT_EQ(errors[0].at("Error").at("ErrorCode").as_string(), "EntityNotFoundException");
  EXPECT_EQ(errors[1].at("Error").at("ErrorCode").as_string(), "InvalidInputException");
  EXPECT_EQ(errors[2].at("ColumnStatistics").at("ColumnName").as_string(), "ts");

  auto got = Ok("GetColumnStatisticsForTable", R"({"DatabaseName": "lake", "TableName": "sales",
      "ColumnNames": ["id", "amount", "product", "paid", "price", "day", "raw", "ts"]})");
  const auto& list = got["ColumnStatisticsList"].as_array();
  ASSERT_EQ(list.size(), 7u);
  EXPECT_EQ(list[0].at("ColumnName").as_string(), "id");
  EXPECT_EQ(list[0].at("StatisticsData").at("LongColumnStatisticsData").at("MaximumValue").as_int64(), 200);
  EXPECT_EQ(list[1].at("StatisticsData").at("DoubleColumnStatisticsData").at("MaximumValue").as_double(),
            999.99);
  EXPECT_EQ(list[3].at("StatisticsData").at("BooleanColumnStatisticsData").at("NumberOfTrues").as_int64(),
            150);
  // The decimal's unscaled bytes (raw in documents) come back as they went in.
  const auto& dec = list[4].at("StatisticsData").at("DecimalColumnStatisticsData");
  EXPECT_EQ(dec.at("MinimumValue").at("UnscaledValue").as_string(), std::string("\x01\x02"));
  EXPECT_EQ(dec.at("MaximumValue").at("UnscaledValue").as_string(), std::string("\x7f"));
  EXPECT_EQ(list[6].at("StatisticsData").at("Type").as_string(), "BINARY");
  ASSERT_EQ(got["Errors"].as_array().size(), 1u);
  EXPECT_EQ(got["Errors"].as_array()[0].at("ColumnName").as_string(), "ts");

  // Partition statistics are the partition's own.
  Ok("UpdateColumnStatisticsForPartition", R"({"DatabaseName": "lake", "TableName": "sales",
      "PartitionValues": ["2024", "eu", "0.5"], "ColumnStatisticsList": [
        {"ColumnName": "id", "ColumnType": "bigint", "AnalyzedTime": 1700000000,
         "StatisticsData": {"Type": "LONG", "LongColumnStatisticsData": {"MinimumValue": 5, "MaximumValue": 7,
                            "NumberOfNulls": 0, "NumberOfDistinctValues": 3}}}]})");
  EXPECT_EQ(Err("UpdateColumnStatisticsForPartition", R"({"DatabaseName": "lake", "TableName": "sales",
      "PartitionValues": ["1999", "eu", "0.5"], "ColumnStatisticsList": []})")
                .code,
            "EntityNotFoundException");
  auto part = Ok("GetColumnStatisticsForPartition", R"({"DatabaseName": "lake", "TableName": "sales",
      "PartitionValues": ["2024", "eu", "0.5"], "ColumnNames": ["id", "amount"]})");
  ASSERT_EQ(part["ColumnStatisticsList"].as_array().size(), 1u);
  EXPECT_EQ(part["ColumnStatisticsList"]
                .as_array()[0]
                .at("StatisticsData")
                .at("LongColumnStatisticsData")
                .at("MaximumValue"),
            json::value(7));
  Ok("DeleteColumnStatisticsForPartition", R"({"DatabaseName": "lake", "TableName": "sales",
      "PartitionValues": ["2024", "eu", "0.5"], "ColumnName": "id"})");
  EXPECT_EQ(Err("DeleteColumnStatisticsForPartition", R"({"DatabaseName": "lake", "TableName": "sales",
      "PartitionValues": ["2024", "eu", "0.5"], "ColumnName": "id"})")
                .code,
            "EntityNotFoundException");
  // The table's statistics are untouched; deleting one column's leaves the others.
  Ok("DeleteColumnStatisticsForTable",
     R"({"DatabaseName": "lake", "TableName": "sales", "ColumnName": "ID"})");
  auto after = Ok("GetColumnStatisticsForTable",
                  R"({"DatabaseName": "lake", "TableName": "sales", "ColumnNames": ["id", "amount"]})");
  EXPECT_EQ(after["ColumnStatisticsList"].as_array().size(), 1u);
  EXPECT_EQ(Err("GetColumnStatisticsForTable",
                R"({"DatabaseName": "lake", "TableName": "none", "ColumnNames": ["id"]})")
                .code,
            "EntityNotFoundException");

  // Durable: a new catalog over the same store sees them.
  OpenCatalog();
  EXPECT_EQ(Ok("GetColumnStatisticsForTable",
               R"({"DatabaseName": "lake", "TableName": "sales", "ColumnNames": ["amount"]})")
                ["ColumnStatisticsList"]
                    .as_array()
                    .size(),
            1u);
}

TEST_F(CatalogObjectsTest, UnfilteredMetadata) {
  SetUpSales();
  AddPartition("2024", "eu");
  AddPartition("2025", "us");
  auto t = Ok("GetUnfilteredTableMetadata",
              R"({"CatalogId": "123456789012", "DatabaseName": "lake", "Name": "sales",
      "SupportedPermissionTypes": ["COLUMN_PERMISSION"]})");
  EXPECT_EQ(t["Table"].at("Name").as_string(), "sales");
  EXPECT_FALSE(t["IsRegisteredWithLakeFormation"].as_bool());
  EXPECT_EQ(t["AuthorizedColumns"].as_array().size(), 11u);  // 8 columns + 3 partition keys
  EXPECT_EQ(t["AuthorizedColumns"].as_array()[8].as_string(), "year");
  EXPECT_EQ(t["ResourceArn"].as_string(), "arn:aws:glue:us-east-1:123456789012:table/lake/sales");
  EXPECT_EQ(
      Err("GetUnfilteredTableMetadata", R"({"CatalogId": "123456789012", "DatabaseName": "lake", "Name": "x",
      "SupportedPermissionTypes": ["COLUMN_PERMISSION"]})")
          .code,
      "EntityNotFoundException");
  EXPECT_EQ(Err("GetUnfilteredTableMetadata",
                R"({"CatalogId": "210987654321", "DatabaseName": "lake", "Name": "sales",
      "SupportedPermissionTypes": ["COLUMN_PERMISSION"]})")
                .code,
            "AccessDeniedException");

  auto p = Ok("GetUnfilteredPartitionMetadata", R"({"CatalogId": "123456789012", "DatabaseName": "lake",
      "TableName": "sales", "PartitionValues": ["2025", "us", "0.5"], "SupportedPermissionTypes": ["COLUMN_PERMISSION"]})");
  EXPECT_EQ(p["Partition"].at("Values"), (json::array{"2025", "us", "0.5"}));
  EXPECT_EQ(p["AuthorizedColumns"].as_array().size(), 11u);

  auto ps = Ok("GetUnfilteredPartitionsMetadata", R"({"CatalogId": "123456789012", "DatabaseName": "lake",
      "TableName": "sales", "Expression": "year > 2024", "SupportedPermissionTypes": ["COLUMN_PERMISSION"]})");
  const auto& parts = ps["UnfilteredPartitions"].as_array();
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].at("Partition").at("Values").as_array()[0].as_string(), "2025");
  EXPECT_FALSE(parts[0].at("IsRegisteredWithLakeFormation").as_bool());
  auto page = Ok("GetUnfilteredPartitionsMetadata", R"({"CatalogId": "123456789012", "DatabaseName": "lake",
      "TableName": "sales", "MaxResults": 1, "SupportedPermissionTypes": ["COLUMN_PERMISSION"]})");
  EXPECT_EQ(page["UnfilteredPartitions"].as_array().size(), 1u);
  EXPECT_TRUE(page.contains("NextToken"));
}

}  // namespace
}  // namespace cenote::glue
