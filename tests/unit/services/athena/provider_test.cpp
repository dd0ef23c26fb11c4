#include "services/athena/athena_provider.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <thread>

#include "../fresh_schema_check.hpp"
#include "../glue/recording_lake.hpp"
#include "../lake_through_pipeline.hpp"
#include "../provider_harness.hpp"
#include "fakes.hpp"
#include "services/athena/internal.hpp"
#include "services/athena/table_resolver.hpp"
#include "store/metadata_store.hpp"

namespace cenote::athena {
namespace {

namespace json = boost::json;
using testing::FakeEngine;
using testing::FakeLake;
using testing::TempDir;

// Delegates to a real store, with a hook that runs before the commit of the transaction that records a
// new execution (StartQueryExecution's INSERT), and that commit made to fail on demand.
class RecordingHookStore : public store::MetadataStore {
 public:
  explicit RecordingHookStore(store::MetadataStore& inner) : inner_(inner) {}
  Result<std::unique_ptr<store::Transaction>> Begin(Mode mode) override {
    auto txn = inner_.Begin(mode);
    if (!txn) return std::move(txn).error();
    return std::unique_ptr<store::Transaction>(std::make_unique<Txn>(*this, std::move(*txn)));
  }
  Status Migrate(std::string_view component, const std::vector<std::string>& statements,
                 store::FreshSchema fresh) override {
    return inner_.Migrate(component, statements, fresh);
  }
  Result<std::vector<std::string>> SchemaStatements() override { return inner_.SchemaStatements(); }

  std::function<void()> before_recording_commit;
  std::atomic<bool> fail_recording{false};

 private:
  class Txn : public store::Transaction {
   public:
    Txn(RecordingHookStore& store, std::unique_ptr<store::Transaction> inner)
        : store_(store), inner_(std::move(inner)) {}
    Result<std::int64_t> Exec(std::string_view sql, const std::vector<store::Value>& params) override {
      if (sql.rfind("INSERT INTO athena_executions", 0) == 0) recording_ = true;
      return inner_->Exec(sql, params);
    }
    Result<std::vector<store::Row>> Query(std::string_view sql,
                                          const std::vector<store::Value>& params) override {
      return inner_->Query(sql, params);
    }
    Result<std::optional<store::Row>> QueryOne(std::string_view sql,
                                               const std::vector<store::Value>& params) override {
      return inner_->QueryOne(sql, params);
    }
    Status Commit() override {
      if (recording_) {
        if (store_.before_recording_commit) store_.before_recording_commit();
        if (store_.fail_recording) {
          inner_->Rollback();
          Error e;
          e.code = "InternalError";
          e.message = "disk I/O error";
          e.http_status = 500;
          return e;
        }
      }
      return inner_->Commit();
    }
    void Rollback() override { inner_->Rollback(); }

   private:
    RecordingHookStore& store_;
    std::unique_ptr<store::Transaction> inner_;
    bool recording_ = false;
  };
  store::MetadataStore& inner_;
};

class AthenaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = store::MetadataStore::OpenSqlite(dir_ / "meta.db");
    ASSERT_TRUE(store.ok());
    store_ = std::move(*store);
    auto catalog = glue::Catalog::Open(*store_, "123456789012", "us-east-1");
    ASSERT_TRUE(catalog.ok()) << catalog.error().message;
    glue_ = std::move(*catalog);
    catalog_ = glue_->ForRegion("123456789012", "us-east-1");
    lake_ = std::make_unique<FakeLake>(dir_ / "lake", store_.get());
    lakes_ = std::make_unique<cenote::testing::RecordingLake>(*lake_);
    lake_->CreateBucket("results");
    lake_->CreateBucket("data");
    Reopen();
  }
  void TearDown() override {
    if (athena_) athena_->Shutdown();
    athena_.reset();
  }

  void Reopen(int max_concurrent = 4, store::MetadataStore* metadata = nullptr,
              const std::function<void(AthenaOptions&)>& tweak = nullptr) {
    if (athena_) athena_->Shutdown();
    athena_.reset();
    AthenaOptions options;
    options.account_id = "123456789012";
    options.region = "us-east-1";
    options.max_concurrent_queries = max_concurrent;
    options.scratch_dir = dir_ / "scratch";
    if (tweak) tweak(options);
    auto p =
        AthenaProvider::Open(metadata != nullptr ? *metadata : *store_, *glue_, *lakes_, engine_, options);
    ASSERT_TRUE(p.ok()) << p.error().message;
    athena_ = std::move(*p);
  }

  Result<json::object> Call(std::string_view op, json::object params) {
    aws::RequestContext ctx;
    ctx.request_id = "req-1";
    ctx.service = "athena";
    ctx.region = region_;
    ctx.principal.account_id = "123456789012";
    ctx.principal.arn = principal_arn_;
    ctx.operation = std::string(op);
    aws::OperationInput input;
    input.params = std::move(params);
    auto out = athena_->Invoke(ctx, op, input);
    if (!out) return std::move(out).error();
    return out->result.as_object();
  }

  json::object Ok(std::string_view op, json::object params) {
    auto r = Call(op, std::move(params));
    EXPECT_TRUE(r.ok()) << op << ": " << (r.ok() ? "" : r.error().code + " " + r.error().message);
    return r.ok() ? *r : json::object{};
  }

  Error Err(std::string_view op, json::object params) {
    auto r = Call(op, std::move(params));
    EXPECT_FALSE(r.ok()) << op << " unexpectedly succeeded";
    return r.ok() ? Error{} : r.error();
  }

  std::string Start(const std::string& sql, const std::string& database = "default",
                    const std::string& output = "s3://results/out/") {
    json::object in{{"QueryString", sql}, {"QueryExecutionContext", json::object{{"Database", database}}}};
    if (!output.empty()) in["ResultConfiguration"] = json::object{{"OutputLocation", output}};
    auto r = Ok("StartQueryExecution", in);
    return r.contains("QueryExecutionId") ? std::string(r["QueryExecutionId"].as_string()) : "";
  }

  // Waits (bounded: 5 s) until the engine runs a query.
  void AwaitRunning() {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (engine_.running.load() == 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

  // Polls until the execution leaves QUEUED/RUNNING (bounded: 10 s).
  json::object Wait(const std::string& id) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      auto r = Ok("GetQueryExecution", {{"QueryExecutionId", id}});
      json::object qe = r["QueryExecution"].as_object();
      std::string state(qe["Status"].as_object()["State"].as_string());
      if (state != "QUEUED" && state != "RUNNING") return qe;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ADD_FAILURE() << "query " << id << " did not finish";
    return {};
  }

  static std::string State(json::object& qe) {
    return std::string(qe["Status"].as_object()["State"].as_string());
  }
  static std::string Reason(json::object& qe) {
    auto* r = qe["Status"].as_object().if_contains("StateChangeReason");
    return r ? std::string(r->as_string()) : "";
  }

  // Runs a statement to completion and returns its rows (as strings; NULL -> "<null>").
  std::vector<std::vector<std::string>> Rows(const std::string& sql, const std::string& db = "default") {
    std::string id = Start(sql, db);
    json::object qe = Wait(id);
    EXPECT_EQ(State(qe), "SUCCEEDED") << sql << ": " << Reason(qe);
    auto res = Ok("GetQueryResults", {{"QueryExecutionId", id}});
    std::vector<std::vector<std::string>> out;
    if (!res.contains("ResultSet")) return out;
    for (auto& row : res["ResultSet"].as_object()["Rows"].as_array()) {
      std::vector<std::string> r;
      for (auto& d : row.as_object()["Data"].as_array()) {
        auto* v = d.as_object().if_contains("VarCharValue");
        r.push_back(v ? std::string(v->as_string()) : "<null>");
      }
      out.push_back(std::move(r));
    }
    return out;
  }

  json::object Failed(const std::string& sql, const std::string& db = "default") {
    json::object qe = Wait(Start(sql, db));
    EXPECT_EQ(State(qe), "FAILED") << sql;
    return qe;
  }

  TempDir dir_;
  std::string region_ = "us-east-1";  // the region of Call's requests
  std::string principal_arn_ = "arn:aws:iam::123456789012:user/analyst";
  std::unique_ptr<store::MetadataStore> store_;
  std::unique_ptr<glue::Catalog> glue_;             // every region's catalog
  std::unique_ptr<glue::RegionalCatalog> catalog_;  // us-east-1's
  std::unique_ptr<FakeLake> lake_;
  std::unique_ptr<cenote::testing::RecordingLake> lakes_;  // the lake as Athena gets it (For(caller))
  FakeEngine engine_;
  std::unique_ptr<AthenaProvider> athena_;
};

TEST_F(AthenaTest, QueryStartsBeforeItsRowCommitsAndWritesNothingIfTheCommitFails) {
  RecordingHookStore hooked(*store_);
  Reopen(1, &hooked);
  auto seen = [&] {
    std::lock_guard<std::mutex> lock(engine_.mu);
    return engine_.seen_sql.size();
  };
  auto wait_until = [](const std::function<bool()>& done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!done() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return done();
  };

  // The worker runs the query while the QUEUED row is still being committed; it finishes once it is.
  bool overlapped = false;
  std::size_t before = seen();
  hooked.before_recording_commit = [&] { overlapped = wait_until([&] { return seen() > before; }); };
  std::string first = Start("SELECT 1");
  EXPECT_TRUE(overlapped);
  json::object qe = Wait(first);
  EXPECT_EQ(State(qe), "SUCCEEDED") << Reason(qe);

  // The commit fails while the worker runs the query: the client gets the error, the query is cancelled
  // and leaves no execution and no result objects behind.
  engine_.block_until_cancelled = true;
  hooked.fail_recording = true;
  hooked.before_recording_commit = [&] {
    overlapped = wait_until([&] { return engine_.running.load() > 0; });
  };
  overlapped = false;
  auto lost = Call("StartQueryExecution",
                   {{"QueryString", "SELECT 2"},
                    {"ResultConfiguration", json::object{{"OutputLocation", "s3://results/out/"}}}});
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.error().http_status, 500);
  EXPECT_TRUE(overlapped);

  // A statement that changes the catalog waits for its row: a lost CREATE DATABASE creates nothing.
  // (The hook gives the idle worker time to take it; without the wait, the DDL would run here.)
  engine_.block_until_cancelled = false;
  hooked.before_recording_commit = [] { std::this_thread::sleep_for(std::chrono::milliseconds(100)); };
  auto lost_ddl = Call("StartQueryExecution",
                       {{"QueryString", "CREATE DATABASE lostdb"},
                        {"ResultConfiguration", json::object{{"OutputLocation", "s3://results/out/"}}}});
  ASSERT_FALSE(lost_ddl.ok());

  // One worker: by the time this query is done, the lost ones have been dropped.
  hooked.fail_recording = false;
  EXPECT_EQ(Rows("SHOW DATABASES"), (std::vector<std::vector<std::string>>{{"default"}}));
  auto ids = Ok("ListQueryExecutions", {})["QueryExecutionIds"].as_array();
  EXPECT_EQ(ids.size(), 2u);
  auto objects = lake_->ListObjects("results", "", 100);
  ASSERT_TRUE(objects.ok());
  EXPECT_EQ(objects->size(), 4u);  // <id>.csv and <id>.csv.metadata for each of the two
}

// ---------------------------------------------------------------- workgroups

TEST_F(AthenaTest, PrimaryWorkGroupAlwaysExists) {
  auto wg = Ok("GetWorkGroup", {{"WorkGroup", "primary"}})["WorkGroup"].as_object();
  EXPECT_EQ(wg["Name"], "primary");
  EXPECT_EQ(wg["State"], "ENABLED");
  EXPECT_FALSE(wg["Configuration"].as_object().contains("ResultConfiguration"));
  auto list = Ok("ListWorkGroups", {})["WorkGroups"].as_array();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].as_object().at("Name"), "primary");
  Error e = Err("DeleteWorkGroup", {{"WorkGroup", "primary"}});
  EXPECT_EQ(e.code, "InvalidRequestException");
}

TEST_F(AthenaTest, WorkGroupLifecycle) {
  Ok("CreateWorkGroup",
     {{"Name", "etl"},
      {"Description", "jobs"},
      {"Configuration",
       json::object{{"ResultConfiguration", json::object{{"OutputLocation", "s3://results/etl/"}}}}}});
  Error dup = Err("CreateWorkGroup", {{"Name", "etl"}});
  EXPECT_EQ(dup.code, "InvalidRequestException");

  auto wg = Ok("GetWorkGroup", {{"WorkGroup", "etl"}})["WorkGroup"].as_object();
  EXPECT_EQ(wg["Description"], "jobs");
  EXPECT_EQ(wg["Configuration"].as_object()["ResultConfiguration"].as_object()["OutputLocation"],
            "s3://results/etl/");
  EXPECT_EQ(wg["Configuration"].as_object()["EngineVersion"].as_object()["EffectiveEngineVersion"],
            "Athena engine version 3");

  Ok("UpdateWorkGroup",
     {{"WorkGroup", "etl"},
      {"State", "DISABLED"},
      {"ConfigurationUpdates", json::object{{"EnforceWorkGroupConfiguration", true},
                                            {"ResultConfigurationUpdates",
                                             json::object{{"OutputLocation", "s3://results/etl2/"}}}}}});
  wg = Ok("GetWorkGroup", {{"WorkGroup", "etl"}})["WorkGroup"].as_object();
  EXPECT_EQ(wg["State"], "DISABLED");
  EXPECT_EQ(wg["Configuration"].as_object()["EnforceWorkGroupConfiguration"], true);
  EXPECT_EQ(wg["Configuration"].as_object()["ResultConfiguration"].as_object()["OutputLocation"],
            "s3://results/etl2/");
  Error disabled = Err("StartQueryExecution", {{"QueryString", "SELECT 1"}, {"WorkGroup", "etl"}});
  EXPECT_EQ(disabled.code, "InvalidRequestException");

  Ok("UpdateWorkGroup",
     {{"WorkGroup", "etl"},
      {"ConfigurationUpdates",
       json::object{{"ResultConfigurationUpdates", json::object{{"RemoveOutputLocation", true}}}}}});
  wg = Ok("GetWorkGroup", {{"WorkGroup", "etl"}})["WorkGroup"].as_object();
  EXPECT_FALSE(wg["Configuration"].as_object().contains("ResultConfiguration"));

  EXPECT_EQ(Ok("ListWorkGroups", {})["WorkGroups"].as_array().size(), 2u);
  Ok("DeleteWorkGroup", {{"WorkGroup", "etl"}});
  Error gone = Err("GetWorkGroup", {{"WorkGroup", "etl"}});
  EXPECT_EQ(gone.code, "InvalidRequestException");
  EXPECT_EQ(gone.message, "WorkGroup is not found.");
}

TEST_F(AthenaTest, WorkGroupWithNamedQueriesNeedsRecursiveDelete) {
  Ok("CreateWorkGroup", {{"Name", "wg"}});
  Ok("CreateNamedQuery",
     {{"Name", "q"}, {"Database", "db"}, {"QueryString", "SELECT 1"}, {"WorkGroup", "wg"}});
  // A finished execution of the workgroup (its final state just committed, so also among the recent
  // ones kept in memory) and one of another workgroup.
  json::object in{{"QueryString", "SELECT 1"},
                  {"WorkGroup", "wg"},
                  {"ResultConfiguration", json::object{{"OutputLocation", "s3://results/out/"}}}};
  std::string mine(Ok("StartQueryExecution", in)["QueryExecutionId"].as_string());
  std::string other = Start("SELECT 2");
  json::object qe = Wait(mine);
  ASSERT_EQ(State(qe), "SUCCEEDED") << Reason(qe);
  qe = Wait(other);
  ASSERT_EQ(State(qe), "SUCCEEDED") << Reason(qe);
  EXPECT_EQ(Err("DeleteWorkGroup", {{"WorkGroup", "wg"}}).code, "InvalidRequestException");
  Ok("DeleteWorkGroup", {{"WorkGroup", "wg"}, {"RecursiveDeleteOption", true}});
  EXPECT_EQ(Err("GetWorkGroup", {{"WorkGroup", "wg"}}).code, "InvalidRequestException");
  // Its executions went with it, from the store and from memory; the other workgroup's stayed.
  EXPECT_EQ(Err("GetQueryExecution", {{"QueryExecutionId", mine}}).code, "InvalidRequestException");
  EXPECT_EQ(Err("GetQueryResults", {{"QueryExecutionId", mine}}).code, "InvalidRequestException");
  auto kept = Ok("GetQueryExecution", {{"QueryExecutionId", other}})["QueryExecution"].as_object();
  EXPECT_EQ(State(kept), "SUCCEEDED");
}

TEST_F(AthenaTest, WorkGroupTags) {
  Ok("CreateWorkGroup",
     {{"Name", "tagged"}, {"Tags", json::array{json::object{{"Key", "team"}, {"Value", "a"}}}}});
  std::string arn = "arn:aws:athena:us-east-1:123456789012:workgroup/tagged";
  Ok("TagResource", {{"ResourceARN", arn},
                     {"Tags", json::array{json::object{{"Key", "env"}, {"Value", "dev"}},
                                          json::object{{"Key", "team"}, {"Value", "b"}}}}});
  auto tags = Ok("ListTagsForResource", {{"ResourceARN", arn}})["Tags"].as_array();
  ASSERT_EQ(tags.size(), 2u);
  EXPECT_EQ(tags[0].as_object().at("Value"), "b");
  Ok("UntagResource", {{"ResourceARN", arn}, {"TagKeys", json::array{"team"}}});
  tags = Ok("ListTagsForResource", {{"ResourceARN", arn}})["Tags"].as_array();
  ASSERT_EQ(tags.size(), 1u);
  EXPECT_EQ(tags[0].as_object().at("Key"), "env");
  EXPECT_EQ(Err("ListTagsForResource", {{"ResourceARN", "arn:aws:athena:us-east-1:1:workgroup/nope"}}).code,
            "ResourceNotFoundException");
}

// ---------------------------------------------------------------- executions and results

TEST_F(AthenaTest, MissingOutputLocation) {
  Error e = Err("StartQueryExecution", {{"QueryString", "SELECT 1"}});
  EXPECT_EQ(e.code, "InvalidRequestException");
  EXPECT_EQ(e.message,
            "No output location provided. An output location is required either through the Workgroup result "
            "configuration setting or as an API input.");
  EXPECT_EQ(Err("StartQueryExecution", {{"QueryString", "SELECT 1"}, {"WorkGroup", "nope"}}).message,
            "WorkGroup is not found.");
  EXPECT_EQ(Err("StartQueryExecution", {{"QueryString", ""}}).code, "InvalidRequestException");
}

TEST_F(AthenaTest, SelectRoundTrip) {
  engine_.columns = {{"id", "integer", 10, 0}, {"name", "varchar", 2147483647, 0}};
  engine_.rows = {{std::string("1"), std::string("a,\"b\"")}, {std::string("2"), std::nullopt}};
  std::string id = Start("SELECT id, name FROM t", "sales", "s3://results/out");
  json::object qe = Wait(id);
  ASSERT_EQ(State(qe), "SUCCEEDED") << Reason(qe);
  EXPECT_EQ(qe["QueryExecutionId"], id.c_str());
  EXPECT_EQ(qe["StatementType"], "DML");
  EXPECT_EQ(qe["WorkGroup"], "primary");
  EXPECT_EQ(qe["ResultConfiguration"].as_object()["OutputLocation"],
            ("s3://results/out/" + id + ".csv").c_str());
  EXPECT_EQ(qe["QueryExecutionContext"].as_object()["Database"], "sales");
  auto& stats = qe["Statistics"].as_object();
  EXPECT_EQ(stats["DataScannedInBytes"], 1234);
  EXPECT_EQ(stats["EngineExecutionTimeInMillis"], 2);
  EXPECT_TRUE(stats.contains("TotalExecutionTimeInMillis"));
  EXPECT_TRUE(stats.contains("QueryQueueTimeInMillis"));
  EXPECT_TRUE(qe["Status"].as_object().contains("CompletionDateTime"));
  EXPECT_TRUE(lake_->Get("results", "out/" + id + ".csv").has_value());
  EXPECT_TRUE(lake_->Get("results", "out/" + id + ".csv.metadata").has_value());
  EXPECT_EQ(engine_.LastSql(), "SELECT id, name FROM t");

  auto res = Ok("GetQueryResults", {{"QueryExecutionId", id}});
  EXPECT_FALSE(res.contains("NextToken"));
  auto& rows = res["ResultSet"].as_object()["Rows"].as_array();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].as_object().at("Data").as_array()[0].as_object().at("VarCharValue"), "id");  // header row
  EXPECT_EQ(rows[1].as_object().at("Data").as_array()[1].as_object().at("VarCharValue"), "a,\"b\"");
  EXPECT_TRUE(rows[2].as_object().at("Data").as_array()[1].as_object().empty());  // NULL: no VarCharValue
  auto& cols = res["ResultSet"].as_object()["ResultSetMetadata"].as_object()["ColumnInfo"].as_array();
  ASSERT_EQ(cols.size(), 2u);
  auto& c1 = cols[1].as_object();
  EXPECT_EQ(c1.at("CatalogName"), "hive");
  EXPECT_EQ(c1.at("SchemaName"), "");
  EXPECT_EQ(c1.at("Name"), "name");
  EXPECT_EQ(c1.at("Label"), "name");
  EXPECT_EQ(c1.at("Type"), "varchar");
  EXPECT_EQ(c1.at("Precision"), 2147483647);
  EXPECT_EQ(c1.at("Nullable"), "UNKNOWN");
  EXPECT_EQ(c1.at("CaseSensitive"), true);
  EXPECT_EQ(cols[0].as_object().at("CaseSensitive"), false);
}

TEST_F(AthenaTest, LargeResultsPageFromTheirFile) {
  // Past 1 MiB GetQueryResults reads through the object's local file instead of loading it whole.
  engine_.columns = {{"n", "integer", 10, 0}, {"pad", "varchar", 600, 0}};
  engine_.rows.clear();
  for (int i = 0; i < 2500; ++i) engine_.rows.push_back({std::to_string(i), std::string(500, 'p')});
  std::string id = Start("SELECT n, pad FROM t");
  json::object qe = Wait(id);
  ASSERT_EQ(State(qe), "SUCCEEDED");
  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  for (; pages < 10; ++pages) {
    json::object in{{"QueryExecutionId", id}, {"MaxResults", 1000}};
    if (!token.empty()) in["NextToken"] = token;
    auto res = Ok("GetQueryResults", in);
    for (auto& r : res["ResultSet"].as_object()["Rows"].as_array())
      seen.emplace_back(r.as_object().at("Data").as_array()[0].as_object().at("VarCharValue").as_string());
    if (!res.contains("NextToken")) break;
    token = std::string(res["NextToken"].as_string());
  }
  EXPECT_EQ(pages, 2);
  ASSERT_EQ(seen.size(), 2501u);
  EXPECT_EQ(seen[0], "n");
  EXPECT_EQ(seen[2500], "2499");
}

TEST_F(AthenaTest, ResultPaginationIncludesHeaderOnFirstPage) {
  engine_.columns = {{"n", "integer", 10, 0}};
  engine_.rows.clear();
  for (int i = 0; i < 5; ++i) engine_.rows.push_back({std::to_string(i)});
  std::string id = Start("SELECT n FROM t");
  ASSERT_EQ(State(*std::make_unique<json::object>(Wait(id))), "SUCCEEDED");
  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  for (; pages < 10; ++pages) {
    json::object in{{"QueryExecutionId", id}, {"MaxResults", 2}};
    if (!token.empty()) in["NextToken"] = token;
    auto res = Ok("GetQueryResults", in);
    auto& rows = res["ResultSet"].as_object()["Rows"].as_array();
    EXPECT_LE(rows.size(), 2u);
    for (auto& r : rows)
      seen.emplace_back(r.as_object().at("Data").as_array()[0].as_object().at("VarCharValue").as_string());
    if (!res.contains("NextToken")) break;
    token = std::string(res["NextToken"].as_string());
  }
  EXPECT_EQ(pages, 2);
  EXPECT_EQ(seen, (std::vector<std::string>{"n", "0", "1", "2", "3", "4"}));

  EXPECT_EQ(Err("GetQueryResults", {{"QueryExecutionId", id}, {"NextToken", "bogus"}}).code,
            "InvalidRequestException");
  std::string other = Start("SELECT n FROM t");
  Wait(other);
  EXPECT_EQ(Err("GetQueryResults", {{"QueryExecutionId", other}, {"NextToken", token}}).code,
            "InvalidRequestException");
}

TEST_F(AthenaTest, WorkGroupOutputLocationWinsWhenEnforced) {
  Ok("CreateWorkGroup",
     {{"Name", "enforced"},
      {"Configuration",
       json::object{{"EnforceWorkGroupConfiguration", true},
                    {"ResultConfiguration", json::object{{"OutputLocation", "s3://results/wg/"}}}}}});
  auto r = Ok("StartQueryExecution",
              {{"QueryString", "SELECT 1"},
               {"WorkGroup", "enforced"},
               {"ResultConfiguration", json::object{{"OutputLocation", "s3://results/mine/"}}}});
  std::string id(r["QueryExecutionId"].as_string());
  json::object qe = Wait(id);
  EXPECT_EQ(qe["ResultConfiguration"].as_object()["OutputLocation"],
            ("s3://results/wg/" + id + ".csv").c_str());
  EXPECT_EQ(qe["WorkGroup"], "enforced");
  // Not enforced: the request wins.
  Ok("UpdateWorkGroup", {{"WorkGroup", "enforced"},
                         {"ConfigurationUpdates", json::object{{"EnforceWorkGroupConfiguration", false}}}});
  r = Ok("StartQueryExecution",
         {{"QueryString", "SELECT 1"},
          {"WorkGroup", "enforced"},
          {"ResultConfiguration", json::object{{"OutputLocation", "s3://results/mine/"}}}});
  id = std::string(r["QueryExecutionId"].as_string());
  qe = Wait(id);
  EXPECT_EQ(qe["ResultConfiguration"].as_object()["OutputLocation"],
            ("s3://results/mine/" + id + ".csv").c_str());
}

// ResultConfiguration.EncryptionConfiguration: the request's, or the workgroup's when it enforces its
// configuration; the result files are written with it (LakeAccess::SetWriteEncryption).
TEST_F(AthenaTest, ResultEncryption) {
  const std::string key = "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab";
  auto encryption = [](std::string option, std::string kms_key = "") {
    json::object e{{"EncryptionOption", option}};
    if (!kms_key.empty()) e["KmsKey"] = kms_key;
    return e;
  };
  auto start = [&](json::object enc, std::string workgroup = "primary") {
    return Call("StartQueryExecution",
                {{"QueryString", "SELECT 1"},
                 {"WorkGroup", workgroup},
                 {"ResultConfiguration",
                  json::object{{"OutputLocation", "s3://results/enc/"}, {"EncryptionConfiguration", enc}}}});
  };
  auto r = start(encryption("SSE_KMS", key));
  ASSERT_TRUE(r.ok()) << r.error().message;
  json::object qe = Wait(std::string((*r)["QueryExecutionId"].as_string()));
  EXPECT_EQ(State(qe), "SUCCEEDED");
  EXPECT_EQ(qe["ResultConfiguration"].as_object()["EncryptionConfiguration"],
            json::value(encryption("SSE_KMS", key)));
  auto seen = lakes_->write_encryptions();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].algorithm, "aws:kms");
  EXPECT_EQ(seen[0].kms_key_id, key);
  for (auto bad : {encryption("SSE_KMS"), encryption("CSE_KMS"), encryption("NONE")}) {
    auto refused = start(bad);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, "InvalidRequestException");
  }
  Ok("CreateWorkGroup",
     {{"Name", "sse-s3"},
      {"Configuration", json::object{{"EnforceWorkGroupConfiguration", true},
                                     {"ResultConfiguration",
                                      json::object{{"OutputLocation", "s3://results/wg/"},
                                                   {"EncryptionConfiguration", encryption("SSE_S3")}}}}}});
  r = start(encryption("SSE_KMS", key), "sse-s3");
  ASSERT_TRUE(r.ok());
  qe = Wait(std::string((*r)["QueryExecutionId"].as_string()));
  EXPECT_EQ(qe["ResultConfiguration"].as_object()["EncryptionConfiguration"],
            json::value(encryption("SSE_S3")));
  seen = lakes_->write_encryptions();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].algorithm, "AES256");
}

TEST_F(AthenaTest, ExecutionParametersFillPlaceholders) {
  auto r = Ok("StartQueryExecution",
              {{"QueryString", "SELECT * FROM t WHERE a = ? AND b = ?"},
               {"ExecutionParameters", json::array{"'x'", "2"}},
               {"ResultConfiguration", json::object{{"OutputLocation", "s3://results/p/"}}}});
  json::object qe = Wait(std::string(r["QueryExecutionId"].as_string()));
  EXPECT_EQ(State(qe), "SUCCEEDED");
  EXPECT_EQ(engine_.LastSql(), "SELECT * FROM t WHERE a = 'x' AND b = 2");
  EXPECT_EQ(qe["ExecutionParameters"].as_array().size(), 2u);
  r = Ok("StartQueryExecution",
         {{"QueryString", "SELECT ?"},
          {"ExecutionParameters", json::array{"1", "2"}},
          {"ResultConfiguration", json::object{{"OutputLocation", "s3://results/p/"}}}});
  qe = Wait(std::string(r["QueryExecutionId"].as_string()));
  EXPECT_EQ(State(qe), "FAILED");
  EXPECT_EQ(Reason(qe), "INVALID_PARAMETER_USAGE: Incorrect number of parameters: expected 1 but found 2");
}

// ---------------------------------------------------------------- prepared statements

TEST_F(AthenaTest, PreparedStatementsApi) {
  json::object base{{"StatementName", "by_id"}, {"WorkGroup", "primary"}};
  json::object create = base;
  create["QueryStatement"] = "SELECT * FROM t WHERE id = ?";
  create["Description"] = "one row";
  Ok("CreatePreparedStatement", create);
  EXPECT_EQ(Err("CreatePreparedStatement", create).code, "InvalidRequestException");  // already exists
  json::object got = Ok("GetPreparedStatement", base)["PreparedStatement"].as_object();
  EXPECT_EQ(got["StatementName"], "by_id");
  EXPECT_EQ(got["QueryStatement"], "SELECT * FROM t WHERE id = ?");
  EXPECT_EQ(got["WorkGroupName"], "primary");
  EXPECT_EQ(got["Description"], "one row");
  EXPECT_TRUE(got.contains("LastModifiedTime"));

  json::object update = base;
  update["QueryStatement"] = "SELECT id FROM t WHERE id = ?";
  Ok("UpdatePreparedStatement", update);
  got = Ok("GetPreparedStatement", base)["PreparedStatement"].as_object();
  EXPECT_EQ(got["QueryStatement"], "SELECT id FROM t WHERE id = ?");
  EXPECT_FALSE(got.contains("Description"));

  for (const char* name : {"s_b", "s_a", "s_c"}) {
    Ok("CreatePreparedStatement",
       {{"StatementName", name}, {"WorkGroup", "primary"}, {"QueryStatement", "SELECT 1"}});
  }
  auto page = Ok("ListPreparedStatements", {{"WorkGroup", "primary"}, {"MaxResults", 2}});
  auto& list = page["PreparedStatements"].as_array();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].as_object().at("StatementName"), "by_id");
  EXPECT_EQ(list[1].as_object().at("StatementName"), "s_a");
  ASSERT_TRUE(page.contains("NextToken"));
  auto rest = Ok("ListPreparedStatements", {{"WorkGroup", "primary"}, {"NextToken", page["NextToken"]}});
  ASSERT_EQ(rest["PreparedStatements"].as_array().size(), 2u);
  EXPECT_FALSE(rest.contains("NextToken"));

  auto batch = Ok("BatchGetPreparedStatement",
                  {{"WorkGroup", "primary"}, {"PreparedStatementNames", json::array{"s_a", "nope", "9bad"}}});
  ASSERT_EQ(batch["PreparedStatements"].as_array().size(), 1u);
  auto& unprocessed = batch["UnprocessedPreparedStatementNames"].as_array();
  ASSERT_EQ(unprocessed.size(), 2u);
  EXPECT_EQ(unprocessed[0].as_object().at("ErrorCode"), "STATEMENT_NOT_FOUND");
  EXPECT_EQ(unprocessed[1].as_object().at("ErrorCode"), "INVALID_INPUT");

  Ok("DeletePreparedStatement", base);
  EXPECT_EQ(Err("GetPreparedStatement", base).code, "ResourceNotFoundException");
  EXPECT_EQ(Err("DeletePreparedStatement", base).code, "ResourceNotFoundException");
  EXPECT_EQ(Err("UpdatePreparedStatement", update).code, "ResourceNotFoundException");
  EXPECT_EQ(Err("CreatePreparedStatement",
                {{"StatementName", "x"}, {"WorkGroup", "no-such-wg"}, {"QueryStatement", "SELECT 1"}})
                .code,
            "InvalidRequestException");
}

TEST_F(AthenaTest, PrepareExecuteAndDeallocateInSql) {
  Rows("PREPARE pick FROM SELECT * FROM t WHERE a = ? AND b = ?");
  auto stored = Ok("GetPreparedStatement", {{"StatementName", "pick"}, {"WorkGroup", "primary"}});
  EXPECT_EQ(stored["PreparedStatement"].as_object()["QueryStatement"],
            "SELECT * FROM t WHERE a = ? AND b = ?");

  std::string id = Start("EXECUTE pick USING 'x, y', (1 + 2)");
  json::object qe = Wait(id);
  EXPECT_EQ(State(qe), "SUCCEEDED") << Reason(qe);
  EXPECT_EQ(engine_.LastSql(), "SELECT * FROM t WHERE a = 'x, y' AND b = (1 + 2)");
  EXPECT_EQ(qe["StatementType"], "DML");  // typed by the statement it runs; the result is a .csv
  std::string output(qe["ResultConfiguration"].as_object()["OutputLocation"].as_string());
  EXPECT_EQ(output.substr(output.size() - 4), ".csv");

  // ExecutionParameters fill the placeholders too; not together with USING.
  auto r = Ok("StartQueryExecution",
              {{"QueryString", "EXECUTE pick"},
               {"ExecutionParameters", json::array{"'p'", "7"}},
               {"ResultConfiguration", json::object{{"OutputLocation", "s3://results/p/"}}}});
  qe = Wait(std::string(r["QueryExecutionId"].as_string()));
  EXPECT_EQ(State(qe), "SUCCEEDED") << Reason(qe);
  EXPECT_EQ(engine_.LastSql(), "SELECT * FROM t WHERE a = 'p' AND b = 7");
  r = Ok("StartQueryExecution",
         {{"QueryString", "EXECUTE pick USING 1, 2"},
          {"ExecutionParameters", json::array{"1", "2"}},
          {"ResultConfiguration", json::object{{"OutputLocation", "s3://results/p/"}}}});
  qe = Wait(std::string(r["QueryExecutionId"].as_string()));
  EXPECT_EQ(State(qe), "FAILED");
  EXPECT_EQ(Reason(qe).rfind("INVALID_PARAMETER_USAGE", 0), 0u) << Reason(qe);
  json::object few = Failed("EXECUTE pick USING 1");
  EXPECT_EQ(Reason(few).rfind("INVALID_PARAMETER_USAGE: Incorrect number of parameters", 0), 0u)
      << Reason(few);
  json::object none = Failed("EXECUTE pick");
  EXPECT_EQ(Reason(none).rfind("INVALID_PARAMETER_USAGE", 0), 0u) << Reason(none);

  // PREPARE replaces; DEALLOCATE removes; both leave an empty .txt result.
  std::string again = Start("PREPARE pick FROM SELECT 42");
  qe = Wait(again);
  EXPECT_EQ(State(qe), "SUCCEEDED") << Reason(qe);
  EXPECT_TRUE(Ok("GetQueryResults", {{"QueryExecutionId", again}})["ResultSet"]
                  .as_object()["Rows"]
                  .as_array()
                  .empty());
  Rows("EXECUTE pick");
  EXPECT_EQ(engine_.LastSql(), "SELECT 42");
  Rows("DEALLOCATE PREPARE pick");
  EXPECT_EQ(Err("GetPreparedStatement", {{"StatementName", "pick"}, {"WorkGroup", "primary"}}).code,
            "ResourceNotFoundException");
  EXPECT_EQ(Reason(*std::make_unique<json::object>(Failed("EXECUTE pick")))
                .rfind("PREPARED_STATEMENT_NOT_FOUND", 0),
            0u);
  EXPECT_EQ(Reason(*std::make_unique<json::object>(Failed("DEALLOCATE PREPARE pick")))
                .rfind("PREPARED_STATEMENT_NOT_FOUND", 0),
            0u);
  json::object bad = Failed("PREPARE 1x FROM SELECT 1");
  EXPECT_EQ(Reason(bad).rfind("FAILED: ParseException", 0), 0u) << Reason(bad);
}

TEST_F(AthenaTest, ClientRequestTokenIsIdempotent) {
  Reopen(1);  // one worker: a later query finishing means every earlier one was handled
  json::object in{{"QueryString", "SELECT 1"},
                  {"ClientRequestToken", "0123456789abcdef0123456789abcdef"},
                  {"ResultConfiguration", json::object{{"OutputLocation", "s3://results/x/"}}}};
  auto a = Ok("StartQueryExecution", in);
  auto b = Ok("StartQueryExecution", in);
  EXPECT_EQ(a["QueryExecutionId"], b["QueryExecutionId"]);
  EXPECT_EQ(Ok("ListQueryExecutions", {})["QueryExecutionIds"].as_array().size(), 1u);
  // The retry's own execution (started before its token was checked) is dropped: it writes nothing.
  EXPECT_EQ(Rows("SELECT 1").size(), 2u);
  auto written = lake_->ListObjects("results", "x/", 100);
  ASSERT_TRUE(written.ok());
  EXPECT_EQ(written->size(), 2u);  // the first execution's result file and .metadata
  in["QueryString"] = "SELECT 2";  // same token, different parameters
  Error e = Err("StartQueryExecution", in);
  EXPECT_EQ(e.code, "InvalidRequestException");
  EXPECT_EQ(e.message, "Idempotent parameters do not match");
}

TEST_F(AthenaTest, ListAndBatchGetExecutions) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(Start("SELECT 1"));
  for (auto& id : ids) Wait(id);
  auto page1 = Ok("ListQueryExecutions", {{"MaxResults", 3}});
  auto& first = page1["QueryExecutionIds"].as_array();
  ASSERT_EQ(first.size(), 3u);
  EXPECT_EQ(first[0], ids[4].c_str());  // newest first
  ASSERT_TRUE(page1.contains("NextToken"));
  auto page2 = Ok("ListQueryExecutions", {{"MaxResults", 3}, {"NextToken", page1["NextToken"]}});
  auto& second = page2["QueryExecutionIds"].as_array();
  ASSERT_EQ(second.size(), 2u);
  EXPECT_EQ(second[1], ids[0].c_str());
  EXPECT_FALSE(page2.contains("NextToken"));

  auto batch = Ok("BatchGetQueryExecution", {{"QueryExecutionIds", json::array{ids[0].c_str(), "missing"}}});
  EXPECT_EQ(batch["QueryExecutions"].as_array().size(), 1u);
  auto& un = batch["UnprocessedQueryExecutionIds"].as_array();
  ASSERT_EQ(un.size(), 1u);
  EXPECT_EQ(un[0].as_object().at("QueryExecutionId"), "missing");
  EXPECT_EQ(Err("GetQueryExecution", {{"QueryExecutionId", "missing"}}).code, "InvalidRequestException");
}

TEST_F(AthenaTest, FailedQueryReportsReasonNotApiError) {
  engine_.error = MakeError("TABLE_NOT_FOUND", "line 1:15: Table 'awsdatacatalog.db.t' does not exist");
  json::object qe = Failed("SELECT * FROM db.t");
  EXPECT_EQ(Reason(qe), "TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.db.t' does not exist");
  auto& err = qe["Status"].as_object()["AthenaError"].as_object();
  EXPECT_EQ(err["ErrorCategory"], 2);
  EXPECT_EQ(err["Retryable"], false);
  EXPECT_EQ(err["ErrorMessage"], Reason(qe).c_str());
  Error e = Err("GetQueryResults", {{"QueryExecutionId", qe["QueryExecutionId"]}});
  EXPECT_EQ(e.code, "InvalidRequestException");
  EXPECT_NE(e.message.find("FAILED"), std::string::npos);
}

TEST_F(AthenaTest, MissingOutputBucketFailsTheQuery) {
  json::object qe = Wait(Start("SELECT 1", "default", "s3://nobucket/x/"));
  EXPECT_EQ(State(qe), "FAILED");
  EXPECT_NE(Reason(qe).find("Unable to verify/create output bucket nobucket"), std::string::npos);
}

TEST_F(AthenaTest, StopRunningQueryCancelsIt) {
  engine_.block_until_cancelled = true;
  std::string id = Start("SELECT slow()");
  AwaitRunning();
  ASSERT_EQ(engine_.running.load(), 1);
  auto qe = Ok("GetQueryExecution", {{"QueryExecutionId", id}})["QueryExecution"].as_object();
  EXPECT_EQ(State(qe), "RUNNING");
  Error e = Err("GetQueryResults", {{"QueryExecutionId", id}});
  EXPECT_EQ(e.message, "Query has not yet finished. Current state: RUNNING");
  Ok("StopQueryExecution", {{"QueryExecutionId", id}});
  qe = Wait(id);
  EXPECT_EQ(State(qe), "CANCELLED");
  Ok("StopQueryExecution", {{"QueryExecutionId", id}});  // already finished: no-op
  EXPECT_EQ(Err("StopQueryExecution", {{"QueryExecutionId", "nope"}}).code, "InvalidRequestException");
}

// GetQueryExecution of a running query waits for its final state (up to poll_wait_ms), but no more than
// max_waiting_polls calls wait at once: the others answer at once.
TEST_F(AthenaTest, PollsWaitForTheFinalStateButOnlySoManyAtOnce) {
  Reopen(4, nullptr, [](AthenaOptions& o) {
    o.poll_wait_ms = 8000;
    o.max_waiting_polls = 1;
  });
  engine_.block_until_cancelled = true;
  std::string id = Start("SELECT slow()");
  AwaitRunning();
  ASSERT_EQ(engine_.running.load(), 1);
  std::string waited_state;
  std::chrono::steady_clock::duration waited{};
  std::thread waiter([&] {
    auto start = std::chrono::steady_clock::now();
    auto r = Call("GetQueryExecution", {{"QueryExecutionId", id}});
    waited = std::chrono::steady_clock::now() - start;
    if (r.ok()) waited_state = State((*r)["QueryExecution"].as_object());
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the waiter is waiting by now
  auto start = std::chrono::steady_clock::now();
  auto qe = Ok("GetQueryExecution", {{"QueryExecutionId", id}})["QueryExecution"].as_object();
  EXPECT_EQ(State(qe), "RUNNING");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  Ok("StopQueryExecution", {{"QueryExecutionId", id}});
  waiter.join();
  // The waiting poll answered when the query ended, not after poll_wait_ms.
  EXPECT_EQ(waited_state, "CANCELLED");
  EXPECT_LT(waited, std::chrono::seconds(6));
}

TEST_F(AthenaTest, PoolBoundsConcurrencyAndQueuedQueriesCanBeStopped) {
  Reopen(1);
  engine_.block_until_cancelled = true;
  std::string running = Start("SELECT slow()");
  AwaitRunning();
  std::string queued = Start("SELECT slow()");
  auto qe = Ok("GetQueryExecution", {{"QueryExecutionId", queued}})["QueryExecution"].as_object();
  EXPECT_EQ(State(qe), "QUEUED");
  EXPECT_EQ(Err("GetQueryResults", {{"QueryExecutionId", queued}}).message,
            "Query has not yet finished. Current state: QUEUED");
  Ok("StopQueryExecution", {{"QueryExecutionId", queued}});
  qe = Ok("GetQueryExecution", {{"QueryExecutionId", queued}})["QueryExecution"].as_object();
  EXPECT_EQ(State(qe), "CANCELLED");
  Ok("StopQueryExecution", {{"QueryExecutionId", running}});
  EXPECT_EQ(State(*std::make_unique<json::object>(Wait(running))), "CANCELLED");
}

TEST_F(AthenaTest, RestartMarksInterruptedExecutionsFailed) {
  Reopen(1);
  engine_.block_until_cancelled = true;
  std::string running = Start("SELECT slow()");
  AwaitRunning();
  std::string queued = Start("SELECT 1");
  athena_->Shutdown();  // the queued one never runs: it stays QUEUED in the store, as after a crash
  engine_.block_until_cancelled = false;
  Reopen();
  auto qe = Ok("GetQueryExecution", {{"QueryExecutionId", queued}})["QueryExecution"].as_object();
  EXPECT_EQ(State(qe), "FAILED");
  EXPECT_EQ(Reason(qe), "Query was interrupted by a server restart");
  EXPECT_EQ(qe["Status"].as_object()["AthenaError"].as_object()["ErrorCategory"], 1);
  auto first = Ok("GetQueryExecution", {{"QueryExecutionId", running}})["QueryExecution"].as_object();
  EXPECT_NE(State(first), "RUNNING");
  EXPECT_NE(State(first), "QUEUED");
}

// ---------------------------------------------------------------- DDL

TEST_F(AthenaTest, CreateExternalTableStoresGlueTableAsAthenaDoes) {
  Rows("CREATE DATABASE sales COMMENT 'sales data'");
  EXPECT_EQ(Rows("CREATE DATABASE IF NOT EXISTS sales").size(), 0u);
  json::object dup = Failed("CREATE DATABASE sales");
  EXPECT_NE(Reason(dup).find("FAILED: AlreadyExistsException"), std::string::npos);

  std::string id = Start(
      "CREATE EXTERNAL TABLE orders (id int, item string COMMENT 'sku', price decimal(10,2)) "
      "PARTITIONED BY (dt string) ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' "
      "LOCATION 's3://data/orders/' TBLPROPERTIES ('skip.header.line.count'='1')",
      "sales");
  json::object qe = Wait(id);
  ASSERT_EQ(State(qe), "SUCCEEDED") << Reason(qe);
  EXPECT_EQ(qe["StatementType"], "DDL");
  EXPECT_EQ(qe["ResultConfiguration"].as_object()["OutputLocation"],
            ("s3://results/out/" + id + ".txt").c_str());
  EXPECT_TRUE(lake_->Get("results", "out/" + id + ".txt").has_value());

  auto t = catalog_->GetTable("sales", "orders");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->at("TableType"), "EXTERNAL_TABLE");
  EXPECT_EQ(t->at("Parameters").as_object().at("EXTERNAL"), "TRUE");
  EXPECT_EQ(t->at("Parameters").as_object().at("skip.header.line.count"), "1");
  auto& sd = t->at("StorageDescriptor").as_object();
  EXPECT_EQ(sd.at("Location"), "s3://data/orders/");
  EXPECT_EQ(sd.at("InputFormat"), "org.apache.hadoop.mapred.TextInputFormat");
  EXPECT_EQ(sd.at("OutputFormat"), "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat");
  auto& serde = sd.at("SerdeInfo").as_object();
  EXPECT_EQ(serde.at("SerializationLibrary"), "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe");
  EXPECT_EQ(serde.at("Parameters").as_object().at("field.delim"), ",");
  EXPECT_EQ(sd.at("Columns").as_array()[2].as_object().at("Type"), "decimal(10,2)");
  EXPECT_EQ(sd.at("Columns").as_array()[1].as_object().at("Comment"), "sku");
  EXPECT_EQ(t->at("PartitionKeys").as_array()[0].as_object().at("Name"), "dt");

  auto parquet =
      Rows("CREATE EXTERNAL TABLE p (a bigint) STORED AS PARQUET LOCATION 's3://data/p/'", "sales");
  auto pt = catalog_->GetTable("sales", "p");
  ASSERT_TRUE(pt.ok());
  EXPECT_EQ(pt->at("StorageDescriptor").as_object().at("SerdeInfo").as_object().at("SerializationLibrary"),
            "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe");

  json::object exists = Failed("CREATE EXTERNAL TABLE p (a int) LOCATION 's3://data/p/'", "sales");
  EXPECT_NE(Reason(exists).find("already exists"), std::string::npos);
  json::object nodb = Failed("CREATE EXTERNAL TABLE nodb.x (a int) LOCATION 's3://data/x/'");
  EXPECT_EQ(Reason(nodb), "FAILED: SemanticException [Error 10072]: Database does not exist: nodb");
}

TEST_F(AthenaTest, ShowDescribeAndPartitions) {
  Rows("CREATE DATABASE db");
  Rows(
      "CREATE EXTERNAL TABLE events (id int, msg string) PARTITIONED BY (year string, month string) "
      "STORED AS PARQUET LOCATION 's3://data/events'",
      "db");
  Rows("CREATE EXTERNAL TABLE other (x int) LOCATION 's3://data/other/'", "db");

  EXPECT_EQ(Rows("SHOW DATABASES"), (std::vector<std::vector<std::string>>{{"db"}, {"default"}}));
  EXPECT_EQ(Rows("SHOW TABLES", "db"), (std::vector<std::vector<std::string>>{{"events"}, {"other"}}));
  EXPECT_EQ(Rows("SHOW TABLES IN db 'ev*'"), (std::vector<std::vector<std::string>>{{"events"}}));
  EXPECT_EQ(Rows("SHOW COLUMNS IN db.events"),
            (std::vector<std::vector<std::string>>{{"id"}, {"msg"}, {"year"}, {"month"}}));

  std::string id = Start("SHOW TABLES", "db");
  Wait(id);
  auto res = Ok("GetQueryResults", {{"QueryExecutionId", id}});
  auto& cols = res["ResultSet"].as_object()["ResultSetMetadata"].as_object()["ColumnInfo"].as_array();
  ASSERT_EQ(cols.size(), 1u);
  EXPECT_EQ(cols[0].as_object().at("Name"), "tab_name");
  EXPECT_EQ(cols[0].as_object().at("Type"), "string");

  auto desc = Rows("DESCRIBE events", "db");
  ASSERT_GE(desc.size(), 4u);
  EXPECT_EQ(desc[0][0].substr(0, 21), "id                  \t");
  EXPECT_NE(desc[0][0].find("int"), std::string::npos);

  Rows("ALTER TABLE events ADD PARTITION (year='2024', month='01') PARTITION (month='02', year='2024')",
       "db");
  auto p = catalog_->GetPartition("db", "events", {"2024", "02"});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->at("StorageDescriptor").as_object().at("Location"), "s3://data/events/year=2024/month=02/");
  json::object dup = Failed("ALTER TABLE events ADD PARTITION (year='2024', month='01')", "db");
  EXPECT_NE(Reason(dup).find("AlreadyExistsException"), std::string::npos);
  Rows("ALTER TABLE events ADD IF NOT EXISTS PARTITION (year='2024', month='01')", "db");
  json::object partial = Failed("ALTER TABLE events ADD PARTITION (year='2024')", "db");
  EXPECT_NE(Reason(partial).find("partition columns"), std::string::npos);

  // MSCK REPAIR TABLE adds the folders that match the keys.
  lake_->Put("data", "events/year=2025/month=03/part-0.parquet", "x");
  lake_->Put("data", "events/year=2025/month=04/part-0.parquet", "x");
  lake_->Put("data", "events/year=2025/bad/part-0.parquet", "x");
  lake_->Put("data", "events/_temp/year=2026/month=01/x", "x");
  auto msck = Rows("MSCK REPAIR TABLE events", "db");
  ASSERT_EQ(msck.size(), 3u);
  EXPECT_EQ(msck[0][0], "Partitions not in metastore:\tevents:year=2025/month=03\tevents:year=2025/month=04");
  EXPECT_EQ(msck[1][0], "Repair: Added partition to metastore events:year=2025/month=03");
  EXPECT_EQ(
      Rows("SHOW PARTITIONS events", "db"),
      (std::vector<std::vector<std::string>>{
          {"year=2024/month=01"}, {"year=2024/month=02"}, {"year=2025/month=03"}, {"year=2025/month=04"}}));
  EXPECT_TRUE(Rows("MSCK REPAIR TABLE events", "db").empty());

  Rows("ALTER TABLE events DROP PARTITION (year='2024')", "db");
  EXPECT_EQ(Rows("SHOW PARTITIONS events", "db").size(), 2u);
  json::object nopart = Failed("ALTER TABLE events DROP PARTITION (year='1999')", "db");
  EXPECT_NE(Reason(nopart).find("Partition not found"), std::string::npos);
  Rows("ALTER TABLE events DROP IF EXISTS PARTITION (year='1999')", "db");

  json::object notpart = Failed("SHOW PARTITIONS other", "db");
  EXPECT_NE(Reason(notpart).find("is not a partitioned table"), std::string::npos);
  json::object missing = Failed("DESCRIBE nothere", "db");
  EXPECT_EQ(Reason(missing), "FAILED: SemanticException [Error 10001]: Table not found db.nothere");

  auto create = Rows("SHOW CREATE TABLE events", "db");
  ASSERT_FALSE(create.empty());
  EXPECT_EQ(create[0][0], "CREATE EXTERNAL TABLE `db`.`events`(");

  json::object notempty = Failed("DROP DATABASE db");
  EXPECT_NE(Reason(notempty).find("is not empty"), std::string::npos);
  Rows("DROP TABLE events", "db");
  Rows("DROP TABLE IF EXISTS events", "db");
  EXPECT_NE(
      Reason(*std::make_unique<json::object>(Failed("DROP TABLE events", "db"))).find("Table not found"),
      std::string::npos);
  Rows("DROP DATABASE db CASCADE");
  EXPECT_FALSE(catalog_->GetDatabase("db").ok());
}

TEST_F(AthenaTest, MalformedAndUnsupportedStatementsFail) {
  json::object bad = Failed("CREATE EXTERNAL TABLE t (a int");
  EXPECT_EQ(Reason(bad).rfind("FAILED: ParseException line 1:", 0), 0u) << Reason(bad);
  json::object upd = Failed("UPDATE t SET a = 1");
  EXPECT_EQ(Reason(upd).rfind("TABLE_NOT_FOUND: ", 0), 0u) << Reason(upd);
  json::object grant = Failed("GRANT SELECT ON t TO u");
  EXPECT_EQ(Reason(grant).rfind("NOT_SUPPORTED: ", 0), 0u) << Reason(grant);
  json::object managed = Failed("CREATE TABLE t (a int)");
  EXPECT_NE(Reason(managed).find("external"), std::string::npos);
}

// ---------------------------------------------------------------- CTAS, INSERT INTO, views

TEST_F(AthenaTest, CreateTableAsSelectWritesFilesAndCatalog) {
  Rows("CREATE DATABASE db");
  engine_.columns = {
      {"year", "varchar", 2147483647, 0}, {"amount", "decimal", 10, 2}, {"n", "integer", 10, 0}};
  engine_.rows = {{std::string("2024"), std::string("1.50"), std::string("1")},
                  {std::string("2025"), std::string("2.00"), std::string("2")},
                  {std::string("2024"), std::string("3.25"), std::string("3")}};
  std::string id = Start(
      "CREATE TABLE db.sums WITH (format='PARQUET', external_location='s3://data/sums/', "
      "partitioned_by=ARRAY['year']) AS SELECT year, amount, n FROM src",
      "db");
  json::object qe = Wait(id);
  ASSERT_EQ(State(qe), "SUCCEEDED") << Reason(qe);
  EXPECT_EQ(qe["StatementType"], "DML");
  EXPECT_EQ(qe["SubstatementType"], "CREATE_TABLE_AS_SELECT");
  auto res = Ok("GetQueryResults", {{"QueryExecutionId", id}});
  EXPECT_EQ(res["UpdateCount"], 3);
  EXPECT_TRUE(res["ResultSet"].as_object()["Rows"].as_array().empty());
  EXPECT_EQ(engine_.LastSql(), "SELECT year, amount, n FROM src");

  auto t = catalog_->GetTable("db", "sums");
  ASSERT_TRUE(t.ok());
  auto& sd = t->at("StorageDescriptor").as_object();
  EXPECT_EQ(sd.at("Location"), "s3://data/sums/");
  auto& cols = sd.at("Columns").as_array();
  ASSERT_EQ(cols.size(), 2u);
  EXPECT_EQ(cols[0].as_object().at("Name"), "amount");
  EXPECT_EQ(cols[0].as_object().at("Type"), "decimal(10,2)");
  EXPECT_EQ(cols[1].as_object().at("Type"), "int");
  EXPECT_EQ(t->at("PartitionKeys").as_array()[0].as_object().at("Name"), "year");
  EXPECT_EQ(t->at("PartitionKeys").as_array()[0].as_object().at("Type"), "string");
  auto p = catalog_->GetPartition("db", "sums", {"2024"});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->at("StorageDescriptor").as_object().at("Location"), "s3://data/sums/year=2024/");
  auto keys = lake_->Keys("data");
  EXPECT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].rfind("sums/year=2024/" + id, 0), 0u);

  json::object exists = Failed("CREATE TABLE db.sums AS SELECT 1", "db");
  EXPECT_EQ(Reason(exists), "TABLE_ALREADY_EXISTS: Table 'awsdatacatalog.db.sums' already exists");
  json::object path =
      Failed("CREATE TABLE db.sums2 WITH (external_location='s3://data/sums/') AS SELECT 1", "db");
  EXPECT_EQ(
      Reason(path),
      "HIVE_PATH_ALREADY_EXISTS: Target directory for table 'db.sums2' already exists: s3://data/sums/");
  json::object prop = Failed("CREATE TABLE db.sums3 WITH (colour='red') AS SELECT 1", "db");
  EXPECT_NE(Reason(prop).find("table property 'colour' does not exist"), std::string::npos);

  // Without external_location: <output>/tables/<query id>/.
  engine_.columns = {{"x", "integer", 10, 0}};
  engine_.rows = {{std::string("7")}};
  std::string id2 = Start("CREATE TABLE db.t2 AS SELECT 7 AS x", "db");
  ASSERT_EQ(State(*std::make_unique<json::object>(Wait(id2))), "SUCCEEDED");
  auto t2 = catalog_->GetTable("db", "t2");
  ASSERT_TRUE(t2.ok());
  EXPECT_EQ(t2->at("StorageDescriptor").as_object().at("Location"),
            ("s3://results/out/tables/" + id2 + "/").c_str());
}

TEST_F(AthenaTest, InsertIntoCastsToTableTypes) {
  Rows("CREATE DATABASE db");
  Rows(
      "CREATE EXTERNAL TABLE target (a int, b string) PARTITIONED BY (dt string) STORED AS PARQUET "
      "LOCATION 's3://data/target/'",
      "db");
  engine_.columns = {{"x", "integer", 10, 0}, {"y", "varchar", 0, 0}, {"dt", "varchar", 0, 0}};
  engine_.rows = {{std::string("1"), std::string("a"), std::string("d1")},
                  {std::string("2"), std::string("b"), std::string("d2")}};
  std::string id = Start("INSERT INTO target SELECT x, y, dt FROM src", "db");
  json::object qe = Wait(id);
  ASSERT_EQ(State(qe), "SUCCEEDED") << Reason(qe);
  EXPECT_EQ(Ok("GetQueryResults", {{"QueryExecutionId", id}})["UpdateCount"], 2);
  std::string sql = engine_.LastSql();
  EXPECT_NE(sql.find("CAST(\"_c0\" AS integer) AS \"a\""), std::string::npos) << sql;
  EXPECT_NE(sql.find("CAST(\"_c1\" AS varchar) AS \"b\""), std::string::npos) << sql;
  EXPECT_NE(sql.find("FROM (SELECT x, y, dt FROM src) AS \"_cenote_insert\"(\"_c0\", \"_c1\", \"_c2\")"),
            std::string::npos)
      << sql;
  auto p = catalog_->GetPartition("db", "target", {"d1"});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->at("StorageDescriptor").as_object().at("Location"), "s3://data/target/dt=d1/");
  EXPECT_EQ(lake_->Keys("data").size(), 2u);

  engine_.columns = {{"x", "integer", 10, 0}};
  json::object mismatch = Failed("INSERT INTO target SELECT 1", "db");
  EXPECT_EQ(Reason(mismatch).rfind("TYPE_MISMATCH: ", 0), 0u) << Reason(mismatch);
  json::object nocol = Failed("INSERT INTO target (zz) SELECT 1", "db");
  EXPECT_EQ(Reason(nocol).rfind("COLUMN_NOT_FOUND: ", 0), 0u) << Reason(nocol);
  json::object notable = Failed("INSERT INTO nope SELECT 1", "db");
  EXPECT_EQ(Reason(notable), "TABLE_NOT_FOUND: Table 'awsdatacatalog.db.nope' does not exist");
}

TEST_F(AthenaTest, ViewsAreStoredAsPrestoViews) {
  Rows("CREATE DATABASE db");
  engine_.columns = {{"a", "integer", 10, 0}, {"p", "decimal", 5, 1}};
  Rows("CREATE VIEW v AS SELECT a, p FROM t", "db");
  auto t = catalog_->GetTable("db", "v");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->at("TableType"), "VIRTUAL_VIEW");
  EXPECT_EQ(t->at("ViewExpandedText"), "/* Presto View */");
  EXPECT_EQ(t->at("Parameters").as_object().at("presto_view"), "true");
  auto view = DecodePrestoView(std::string(t->at("ViewOriginalText").as_string()));
  ASSERT_TRUE(view);
  EXPECT_EQ(view->at("originalSql"), "SELECT a, p FROM t");
  EXPECT_EQ(view->at("catalog"), "awsdatacatalog");
  EXPECT_EQ(view->at("schema"), "db");
  EXPECT_EQ(view->at("columns").as_array()[1].as_object().at("type"), "decimal(5,1)");
  EXPECT_EQ(Rows("SHOW VIEWS", "db"), (std::vector<std::vector<std::string>>{{"v"}}));

  json::object dup = Failed("CREATE VIEW v AS SELECT 1", "db");
  EXPECT_NE(Reason(dup).find("already exists"), std::string::npos);
  Rows("CREATE OR REPLACE VIEW v AS SELECT a FROM t", "db");
  json::object wrong = Failed("DROP TABLE v", "db");
  EXPECT_NE(Reason(wrong).find("Cannot drop a view"), std::string::npos);
  Rows("DROP VIEW v", "db");
  EXPECT_FALSE(catalog_->GetTable("db", "v").ok());
  Rows("DROP VIEW IF EXISTS v", "db");
}

// ---------------------------------------------------------------- named queries and catalogs

TEST_F(AthenaTest, NamedQueries) {
  auto created = Ok("CreateNamedQuery", {{"Name", "daily"},
                                         {"Description", "d"},
                                         {"Database", "db"},
                                         {"QueryString", "SELECT 1"},
                                         {"ClientRequestToken", "tok-0123456789abcdef0123456789abcdef"}});
  std::string id(created["NamedQueryId"].as_string());
  auto again = Ok("CreateNamedQuery", {{"Name", "daily"},
                                       {"Database", "db"},
                                       {"QueryString", "SELECT 1"},
                                       {"ClientRequestToken", "tok-0123456789abcdef0123456789abcdef"}});
  EXPECT_EQ(again["NamedQueryId"], id.c_str());
  auto nq = Ok("GetNamedQuery", {{"NamedQueryId", id}})["NamedQuery"].as_object();
  EXPECT_EQ(nq["Name"], "daily");
  EXPECT_EQ(nq["WorkGroup"], "primary");
  Ok("UpdateNamedQuery", {{"NamedQueryId", id}, {"Name", "daily2"}, {"QueryString", "SELECT 2"}});
  nq = Ok("GetNamedQuery", {{"NamedQueryId", id}})["NamedQuery"].as_object();
  EXPECT_EQ(nq["Name"], "daily2");
  EXPECT_EQ(nq["QueryString"], "SELECT 2");
  EXPECT_FALSE(nq.contains("Description"));
  EXPECT_EQ(Ok("ListNamedQueries", {})["NamedQueryIds"].as_array().size(), 1u);
  auto batch = Ok("BatchGetNamedQuery", {{"NamedQueryIds", json::array{id.c_str(), "nope"}}});
  EXPECT_EQ(batch["NamedQueries"].as_array().size(), 1u);
  EXPECT_EQ(batch["UnprocessedNamedQueryIds"].as_array().size(), 1u);
  Ok("DeleteNamedQuery", {{"NamedQueryId", id}});
  EXPECT_EQ(Err("GetNamedQuery", {{"NamedQueryId", id}}).code, "InvalidRequestException");
  EXPECT_EQ(
      Err("CreateNamedQuery", {{"Name", "x"}, {"Database", "d"}, {"QueryString", "q"}, {"WorkGroup", "nope"}})
          .code,
      "InvalidRequestException");
}

TEST_F(AthenaTest, DataCatalogDatabasesAndTableMetadata) {
  auto cats = Ok("ListDataCatalogs", {})["DataCatalogsSummary"].as_array();
  ASSERT_EQ(cats.size(), 1u);
  EXPECT_EQ(cats[0].as_object().at("CatalogName"), "AwsDataCatalog");
  EXPECT_EQ(cats[0].as_object().at("Type"), "GLUE");
  EXPECT_EQ(Ok("GetDataCatalog", {{"Name", "AwsDataCatalog"}})["DataCatalog"].as_object()["Type"], "GLUE");
  EXPECT_EQ(Err("GetDataCatalog", {{"Name", "other"}}).code, "InvalidRequestException");

  Rows("CREATE DATABASE db COMMENT 'c'");
  Rows("CREATE EXTERNAL TABLE t (a int) PARTITIONED BY (k string) LOCATION 's3://data/t/'", "db");
  auto dbs = Ok("ListDatabases", {{"CatalogName", "AwsDataCatalog"}})["DatabaseList"].as_array();
  ASSERT_EQ(dbs.size(), 2u);
  auto db =
      Ok("GetDatabase", {{"CatalogName", "AwsDataCatalog"}, {"DatabaseName", "db"}})["Database"].as_object();
  EXPECT_EQ(db["Description"], "c");
  EXPECT_EQ(Err("GetDatabase", {{"CatalogName", "AwsDataCatalog"}, {"DatabaseName", "zz"}}).code,
            "MetadataException");
  auto tm =
      Ok("GetTableMetadata",
         {{"CatalogName", "AwsDataCatalog"}, {"DatabaseName", "db"}, {"TableName", "t"}})["TableMetadata"]
          .as_object();
  EXPECT_EQ(tm["Name"], "t");
  EXPECT_EQ(tm["TableType"], "EXTERNAL_TABLE");
  EXPECT_EQ(tm["Columns"].as_array()[0].as_object().at("Type"), "int");
  EXPECT_EQ(tm["PartitionKeys"].as_array()[0].as_object().at("Name"), "k");
  EXPECT_EQ(tm["Parameters"].as_object()["location"], "s3://data/t/");
  auto list = Ok("ListTableMetadata", {{"CatalogName", "AwsDataCatalog"}, {"DatabaseName", "db"}});
  EXPECT_EQ(list["TableMetadataList"].as_array().size(), 1u);
}

// Member lengths, patterns, enums and ranges are the model's constraints: the parse stage answers them
// (InvalidRequestException, tests/e2e/glue_athena) before the provider runs, so these tests do not send them.

// The pipeline answers operations the provider does not implement (aws/pipeline/service_errors.hpp).
TEST_F(AthenaTest, UnknownOperationAndSupportedList) {
  EXPECT_FALSE(athena_->Implements("StartSession"));
  EXPECT_TRUE(athena_->Implements("StartQueryExecution"));
  const auto& ops = AthenaProvider::SupportedOperations();
  EXPECT_NE(std::find(ops.begin(), ops.end(), "StartQueryExecution"), ops.end());
  EXPECT_EQ(std::find(ops.begin(), ops.end(), "StartSession"), ops.end());
}

// docs/athena-coverage.md (generated by src/services/athena/gen_coverage.py) must match the provider: every
// supported operation marked supported, every other one not implemented (the pipeline answers it).
TEST_F(AthenaTest, CoverageDocMatchesProvider) {
  std::ifstream in(std::string(CENOTE_SOURCE_DIR) + "/docs/athena-coverage.md");
  ASSERT_TRUE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string doc = ss.str();
  for (auto op : AthenaProvider::SupportedOperations()) {
    EXPECT_NE(doc.find("| " + std::string(op) + " | supported |"), std::string::npos) << op;
  }
  std::size_t unsupported = 0;
  std::size_t pos = 0;
  while ((pos = doc.find(" | not implemented |", pos)) != std::string::npos) {
    std::size_t start = doc.rfind("| ", pos - 1);
    std::string op = doc.substr(start + 2, pos - start - 2);
    EXPECT_FALSE(athena_->Implements(op)) << op;
    ++unsupported;
    pos += 1;
  }
  EXPECT_EQ(unsupported + AthenaProvider::SupportedOperations().size(), 68u);
}

TEST_F(AthenaTest, EachRegionHasItsOwnWorkGroupsQueriesAndExecutions) {
  Ok("CreateWorkGroup", {{"Name", "wg"}, {"Description", "us"}});
  region_ = "eu-west-1";
  // "primary" exists in every region; the us-east-1 workgroup does not exist here.
  auto groups = Ok("ListWorkGroups", {})["WorkGroups"].as_array();
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].as_object().at("Name"), "primary");
  EXPECT_EQ(Err("GetWorkGroup", {{"WorkGroup", "wg"}}).code, "InvalidRequestException");
  // The same name is another workgroup here.
  Ok("CreateWorkGroup", {{"Name", "wg"}, {"Description", "eu"}});
  EXPECT_EQ(Ok("GetWorkGroup", {{"WorkGroup", "wg"}})["WorkGroup"].at("Description"), "eu");
  // Named queries and executions are seen in their own region only.
  const std::string named =
      std::string(Ok("CreateNamedQuery",
                     {{"Name", "q"}, {"Database", "default"}, {"QueryString", "SELECT 1"}})["NamedQueryId"]
                      .as_string());
  const std::string id = Start("SELECT 1");
  Wait(id);
  EXPECT_EQ(Ok("ListQueryExecutions", {})["QueryExecutionIds"].as_array().size(), 1u);
  region_ = "us-east-1";
  EXPECT_EQ(Ok("GetWorkGroup", {{"WorkGroup", "wg"}})["WorkGroup"].at("Description"), "us");
  EXPECT_EQ(Err("GetNamedQuery", {{"NamedQueryId", named}}).code, "InvalidRequestException");
  EXPECT_EQ(Err("GetQueryExecution", {{"QueryExecutionId", id}}).code, "InvalidRequestException");
  EXPECT_TRUE(Ok("ListQueryExecutions", {})["QueryExecutionIds"].as_array().empty());
  // The workgroup's ARN names its region.
  EXPECT_TRUE(
      Ok("ListTagsForResource", {{"ResourceARN", "arn:aws:athena:eu-west-1:123456789012:workgroup/wg"}})
          .contains("Tags"));
  // Regions survive a restart.
  Reopen();
  region_ = "eu-west-1";
  EXPECT_EQ(Ok("GetWorkGroup", {{"WorkGroup", "wg"}})["WorkGroup"].at("Description"), "eu");
  EXPECT_EQ(State(Ok("GetQueryExecution", {{"QueryExecutionId", id}})["QueryExecution"].as_object()),
            "SUCCEEDED");
}

TEST_F(AthenaTest, QueriesRunOnTheirRegionsCatalog) {
  region_ = "eu-west-1";
  // Athena users see the "default" database in every region.
  auto eu = glue_->ForRegion("123456789012", "eu-west-1");
  Ok("ListWorkGroups", {});
  EXPECT_TRUE(eu->GetDatabase("default").ok());
  json::object created = Wait(Start("CREATE DATABASE eu_db"));
  EXPECT_EQ(State(created), "SUCCEEDED");
  EXPECT_TRUE(eu->GetDatabase("eu_db").ok());
  EXPECT_FALSE(catalog_->GetDatabase("eu_db").ok());
  region_ = "us-east-1";
  json::object qe = Failed("SHOW TABLES IN eu_db");
  EXPECT_NE(Reason(qe).find("eu_db"), std::string::npos) << Reason(qe);
}

TEST_F(AthenaTest, QueriesReadAndWriteTheLakeAsTheirCaller) {
  region_ = "eu-west-1";
  principal_arn_ = "arn:aws:sts::123456789012:assumed-role/analyst/session";
  const std::string id = Start("SELECT 1");
  json::object qe = Wait(id);
  EXPECT_EQ(State(qe), "SUCCEEDED");
  Ok("GetQueryResults", {{"QueryExecutionId", id}});
  const auto callers = lakes_->callers();
  ASSERT_GE(callers.size(), 2u);  // the execution's and GetQueryResults'
  for (const auto& c : callers) {
    EXPECT_EQ(c.principal.arn, "arn:aws:sts::123456789012:assumed-role/analyst/session");
    EXPECT_EQ(c.region, "eu-west-1");
    EXPECT_EQ(c.invoked_by, "athena.amazonaws.com");
  }
}

// Through the real pipeline: the after-hooks see the query's S3 calls (table files, result objects) as
// in-process calls of Athena, made as the StartQueryExecution caller, in its region; GetQueryResults'
// reads as its own caller.
TEST_F(AthenaTest, TheQuerysS3CallsAreRecordedAsItsCallerInItsRegion) {
  cenote::testing::ProviderHarness harness("123456789012");
  std::unique_ptr<s3::Lake> invoked =
      std::make_unique<cenote::testing::LakeThroughPipeline>(harness.invoker(), *lake_);
  athena_->Shutdown();
  athena_.reset();
  AthenaOptions options;
  options.account_id = "123456789012";
  options.region = "us-east-1";
  options.scratch_dir = dir_ / "scratch";
  auto p = AthenaProvider::Open(*store_, *glue_, *invoked, engine_, options);
  ASSERT_TRUE(p.ok()) << p.error().message;
  athena_ = std::move(*p);
  region_ = "eu-west-1";
  principal_arn_ = "arn:aws:sts::123456789012:assumed-role/analyst/session";
  const std::string id = Start("SELECT 1");
  json::object qe = Wait(id);
  ASSERT_EQ(State(qe), "SUCCEEDED") << Reason(qe);
  principal_arn_ = "arn:aws:iam::123456789012:user/reader";
  Ok("GetQueryResults", {{"QueryExecutionId", id}});
  std::set<std::string> operations;
  for (const auto& call : harness.recorder().calls()) {
    EXPECT_EQ(call.service, "s3");
    EXPECT_EQ(call.region, "eu-west-1");
    EXPECT_EQ(call.invoked_by, "athena.amazonaws.com");
    EXPECT_EQ(call.error_code, "");
    if (call.operation == "PutObject") {
      EXPECT_EQ(call.principal_arn, "arn:aws:sts::123456789012:assumed-role/analyst/session");
    }
    if (call.operation == "GetObject") {
      EXPECT_EQ(call.principal_arn, "arn:aws:iam::123456789012:user/reader");
    }
    operations.insert(call.operation);
  }
  EXPECT_TRUE(operations.count("HeadBucket"));  // the output bucket, checked before the query runs
  EXPECT_TRUE(operations.count("PutObject"));   // the result objects
  EXPECT_TRUE(operations.count("GetObject"));   // read back by GetQueryResults
}

TEST_F(AthenaTest, RowsFromBeforeRegionsBelongToTheDefaultRegion) {
  // A data directory at athena schema v8: its workgroups move to the default account and region.
  auto md = store::MetadataStore::OpenSqlite(dir_ / "v8.db");
  ASSERT_TRUE(md.ok());
  ASSERT_TRUE(
      (*md)
          ->Migrate(
              "athena",
              {"CREATE TABLE athena_workgroups (name TEXT PRIMARY KEY, created_ms INTEGER NOT NULL,"
               " doc TEXT NOT NULL, tags TEXT NOT NULL)",
               "CREATE TABLE athena_named_queries (id TEXT PRIMARY KEY, seq INTEGER NOT NULL,"
               " workgroup TEXT NOT NULL, client_token TEXT NOT NULL, doc TEXT NOT NULL)",
               "CREATE INDEX athena_named_queries_by_workgroup ON athena_named_queries (workgroup, seq)",
               "CREATE TABLE athena_executions (id TEXT PRIMARY KEY, seq INTEGER NOT NULL,"
               " workgroup TEXT NOT NULL, client_token TEXT NOT NULL, state TEXT NOT NULL,"
               " doc TEXT NOT NULL)",
               "CREATE INDEX athena_executions_by_workgroup ON athena_executions (workgroup, seq)",
               "CREATE INDEX athena_executions_by_token ON athena_executions (client_token)",
               "CREATE INDEX athena_executions_by_state ON athena_executions (state)",
               "CREATE TABLE athena_prepared_statements (workgroup TEXT NOT NULL, name TEXT NOT NULL,"
               " doc TEXT NOT NULL, PRIMARY KEY (workgroup, name))"})
          .ok());
  {
    auto txn = (*md)->Begin(store::MetadataStore::Mode::kWrite);
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE((*txn)
                    ->Exec("INSERT INTO athena_workgroups VALUES ('old', 1, '{\"Name\":\"old\",\"State\":"
                           "\"ENABLED\",\"Description\":\"before\"}', '[]')")
                    .ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  Reopen(4, md->get(), [](AthenaOptions& o) { o.region = "eu-central-1"; });
  region_ = "eu-central-1";
  EXPECT_EQ(Ok("GetWorkGroup", {{"WorkGroup", "old"}})["WorkGroup"].at("Description"), "before");
  region_ = "us-east-1";
  EXPECT_EQ(Err("GetWorkGroup", {{"WorkGroup", "old"}}).code, "InvalidRequestException");
  Reopen();
}

}  // namespace
}  // namespace cenote::athena

// A new data directory creates the schema from fresh_schema.inc; it must be what the migrations build.
TEST(FreshSchema, Athena) {
  cenote::testing::CheckFreshSchema("athena", cenote::athena::Migrations("123456789012", "us-east-1"),
                                    cenote::athena::FreshSchema(), CENOTE_SOURCE_DIR,
                                    "src/services/athena/fresh_schema.inc");
}
