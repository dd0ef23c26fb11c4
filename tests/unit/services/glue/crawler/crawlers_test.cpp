#include "services/glue/crawler/crawlers.hpp"

#include "services/glue/glue_provider.hpp"

#include <gtest/gtest.h>

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <filesystem>
#include <thread>

#include "../../../store/temp_dir.hpp"
#include "../../lake_through_pipeline.hpp"
#include "../../provider_harness.hpp"
#include "../recording_lake.hpp"
#include "fakes.hpp"
#include "services/glue/crawler/crawler_store.hpp"

namespace cenote::glue {
namespace {

namespace json = boost::json;
using crawler::testing::DirectoryLake;
using crawler::testing::Gate;
using store::testing::TempDir;

class CrawlersApiTest : public ::testing::Test {
 protected:
  CrawlersApiTest() : lake_(dir_ / "objects") {
    std::filesystem::create_directories(dir_ / "objects/lake");
    Reopen();
  }
  ~CrawlersApiTest() override {
    gate_.Open();
    if (crawlers_) crawlers_->Shutdown();
  }

  void Reopen() {
    if (crawlers_) crawlers_->Shutdown();
    crawlers_.reset();
    auto c = Crawlers::Open(*metadata_, *catalog_.all, lakes_, *engine_, tasks_,
                            CrawlerOptions{.default_account = "000000000000",
                                           .default_region = "us-east-1",
                                           .threads = 2,
                                           .max_files = 1000});
    ASSERT_TRUE(c) << c.error().message;
    crawlers_ = std::move(*c);
  }

  Result<json::object> Call(std::string_view op, json::value params) {
    aws::RequestContext ctx = crawler::testing::RequestIn(region_);
    ctx.operation = std::string(op);
    auto out = crawler::testing::CallCrawlers(*crawlers_, ctx, op, params.as_object());
    if (!out) return std::move(out).error();
    return out->result.as_object();
  }

  json::object Ok(std::string_view op, std::string_view params) {
    auto r = Call(op, json::parse(params));
    EXPECT_TRUE(r) << op << ": " << (r ? "" : r.error().code + " " + r.error().message);
    return r ? *r : json::object();
  }

  Error Fails(std::string_view op, std::string_view params) {
    auto r = Call(op, json::parse(params));
    EXPECT_FALSE(r) << op << " succeeded";
    return r ? Error{} : r.error();
  }

  void Create(const std::string& name, const std::string& extra = "") {
    Ok("CreateCrawler", R"({"Name":")" + name +
                            R"(","Role":"arn:aws:iam::000000000000:role/r","DatabaseName":"db",)"
                            R"("Targets":{"S3Targets":[{"Path":"s3://lake/sales/"}]})" +
                            extra + "}");
  }

  json::object Crawler(const std::string& name) {
    return Ok("GetCrawler", R"({"Name":")" + name + R"("})")["Crawler"].as_object();
  }

  // Waits (bounded) until the crawler is READY again.
  json::object WaitReady(const std::string& name) {
    for (int i = 0; i < 3000; ++i) {  // 30 s at most
      auto c = Crawler(name);
      if (c["State"] == "READY") return c;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ADD_FAILURE() << name << " did not finish";
    return json::object();
  }

  TempDir dir_;
  DirectoryLake lake_;
  cenote::testing::RecordingLake lakes_{lake_};  // crawls get the lake through For(role)
  BackgroundTasks tasks_;
  // The crawlers and the catalog share one MetadataStore, as in the server.
  std::unique_ptr<store::MetadataStore> metadata_ = crawler::testing::OpenSqliteMetadata(dir_ / "meta.db");
  crawler::testing::TestCatalog catalog_ = crawler::testing::OpenCatalog(*metadata_);
  std::unique_ptr<query::QueryEngine> engine_ =
      crawler::testing::OpenEngine(dir_ / "objects", dir_ / "scratch");
  std::unique_ptr<Crawlers> crawlers_;
  Gate gate_;
  std::string region_ = "us-east-1";  // the region of Call's requests
};

TEST_F(CrawlersApiTest, OperationsListIsComplete) {
  const auto& ops = GlueProvider::SupportedOperations();
  for (const char* op :
       {"CreateCrawler", "GetCrawler", "GetCrawlers", "ListCrawlers", "BatchGetCrawlers", "UpdateCrawler",
        "DeleteCrawler", "StartCrawler", "StopCrawler", "GetCrawlerMetrics", "ListCrawls"}) {
    EXPECT_NE(std::find(ops.begin(), ops.end(), op), ops.end()) << op;
  }
}

TEST_F(CrawlersApiTest, CreateAndGetFillGlueDefaults) {
  Create("c1", R"(,"TablePrefix":"raw_","Tags":{"team":"data"})");
  auto c = Crawler("c1");
  EXPECT_EQ(c["Name"], "c1");
  EXPECT_EQ(c["State"], "READY");
  EXPECT_EQ(c["Version"], 1);
  EXPECT_EQ(c["DatabaseName"], "db");
  EXPECT_EQ(c["TablePrefix"], "raw_");
  EXPECT_EQ(c["CrawlElapsedTime"], 0);
  EXPECT_GT(c["CreationTime"].as_int64(), 1700000000000);
  EXPECT_EQ(c["SchemaChangePolicy"].at("UpdateBehavior"), "UPDATE_IN_DATABASE");
  EXPECT_EQ(c["SchemaChangePolicy"].at("DeleteBehavior"), "DEPRECATE_IN_DATABASE");
  EXPECT_EQ(c["RecrawlPolicy"].at("RecrawlBehavior"), "CRAWL_EVERYTHING");
  EXPECT_EQ(c["LineageConfiguration"].at("CrawlerLineageSettings"), "DISABLE");
  EXPECT_EQ(c["Targets"].at("S3Targets").at(0).at("Path"), "s3://lake/sales/");
  EXPECT_TRUE(c["Targets"].at("S3Targets").at(0).at("Exclusions").as_array().empty());
  EXPECT_TRUE(c["Targets"].at("JdbcTargets").as_array().empty());
  EXPECT_FALSE(c.contains("LastCrawl"));
  EXPECT_FALSE(c.contains("Tags"));
}

TEST_F(CrawlersApiTest, GlueErrors) {
  Create("c1");
  auto dup =
      Fails("CreateCrawler", R"({"Name":"c1","Role":"r","Targets":{"S3Targets":[{"Path":"s3://lake/x"}]}})");
  EXPECT_EQ(dup.code, "AlreadyExistsException");
  EXPECT_EQ(dup.message, "Crawler with name c1 has already been created");

  auto missing = Fails("GetCrawler", R"({"Name":"nope"})");
  EXPECT_EQ(missing.code, "EntityNotFoundException");
  EXPECT_EQ(missing.message, "Crawler entry with name nope does not exist");
  EXPECT_EQ(missing.http_status, 400);
  EXPECT_EQ(Fails("StartCrawler", R"({"Name":"nope"})").message, "Crawler with name nope does not exist");
  EXPECT_EQ(Fails("DeleteCrawler", R"({"Name":"nope"})").code, "EntityNotFoundException");
  EXPECT_EQ(Fails("UpdateCrawler", R"({"Name":"nope","Role":"r"})").code, "EntityNotFoundException");
  EXPECT_EQ(Fails("ListCrawls", R"({"CrawlerName":"nope"})").code, "EntityNotFoundException");

  auto stop = Fails("StopCrawler", R"({"Name":"c1"})");
  EXPECT_EQ(stop.code, "CrawlerNotRunningException");
  EXPECT_EQ(stop.message, "Crawler with name c1 isn't running");

  auto no_role = Fails("CreateCrawler", R"({"Name":"c2","Targets":{"S3Targets":[{"Path":"s3://lake/x"}]}})");
  EXPECT_EQ(no_role.code, "InvalidInputException");
  EXPECT_NE(no_role.message.find("'role'"), std::string::npos);
  EXPECT_EQ(Fails("CreateCrawler", R"({"Role":"r","Targets":{}})").code, "InvalidInputException");
  EXPECT_EQ(Fails("CreateCrawler", R"({"Name":"c2","Role":"r","Targets":{"S3Targets":[]}})").code,
            "InvalidInputException");
  EXPECT_EQ(
      Fails("CreateCrawler", R"({"Name":"c2","Role":"r","Targets":{"S3Targets":[{"Path":"lake/x"}]}})").code,
      "InvalidInputException");
  EXPECT_EQ(
      Fails("CreateCrawler",
            R"({"Name":"c2","Role":"r","Targets":{"JdbcTargets":[{"ConnectionName":"x","Path":"d/%"}]}})")
          .code,
      "InvalidInputException");
  auto bad_enum =
      Fails("CreateCrawler", R"({"Name":"c2","Role":"r","Targets":{"S3Targets":[{"Path":"s3://l/x"}]},
                                            "SchemaChangePolicy":{"UpdateBehavior":"NOPE"}})");
  EXPECT_EQ(bad_enum.code, "InvalidInputException");
  EXPECT_NE(bad_enum.message.find("enum value set"), std::string::npos);
  auto new_only =
      Fails("CreateCrawler", R"({"Name":"c2","Role":"r","Targets":{"S3Targets":[{"Path":"s3://l/x"}]},
                                            "RecrawlPolicy":{"RecrawlBehavior":"CRAWL_NEW_FOLDERS_ONLY"}})");
  EXPECT_EQ(new_only.code, "InvalidInputException");
  EXPECT_NE(new_only.message.find("LOG"), std::string::npos);
  EXPECT_EQ(Fails("CreateCrawler", R"({"Name":"c2","Role":"r","Targets":{"S3Targets":[{"Path":"s3://l/x"}]},
                                      "Configuration":"{not json"})")
                .code,
            "InvalidInputException");
  EXPECT_EQ(Fails("CreateCrawler", R"({"Name":"c2","Role":"r","Targets":{"S3Targets":[{"Path":"s3://l/x"}]},
                                      "Schedule":"every day"})")
                .code,
            "InvalidInputException");
  // A 256-character name or MaxResults 0 are outside the model's constraints: the parse stage answers them
  // (ValidationException) before a request reaches the crawlers.
  EXPECT_EQ(Fails("GetCrawler", R"({})").code, "InvalidInputException");
  EXPECT_EQ(Fails("GetCrawler", R"({"Name":7})").code, "InvalidInputException");
}

TEST_F(CrawlersApiTest, StartRunsTheCrawlAndRecordsLastCrawlMetricsAndHistory) {
  lake_.Put("lake", "sales/year=2024/a.csv", "id,amount\n1,2.5\n");
  Create("c1");
  Ok("StartCrawler", R"({"Name":"c1"})");
  auto c = WaitReady("c1");
  ASSERT_TRUE(c.contains("LastCrawl")) << json::serialize(c);
  const auto& last = c["LastCrawl"].as_object();
  EXPECT_EQ(last.at("Status"), "SUCCEEDED");
  EXPECT_EQ(last.at("LogGroup"), "/aws-glue/crawlers");
  EXPECT_EQ(last.at("LogStream"), "c1");
  EXPECT_GT(last.at("StartTime").as_int64(), 0);
  EXPECT_FALSE(last.contains("ErrorMessage"));
  EXPECT_TRUE(catalog_->GetTable("db", "sales"));

  auto metrics = Ok("GetCrawlerMetrics", R"({"CrawlerNameList":["c1"]})")["CrawlerMetricsList"].as_array();
  ASSERT_EQ(metrics.size(), 1u);
  EXPECT_EQ(metrics[0].at("CrawlerName"), "c1");
  EXPECT_EQ(metrics[0].at("TablesCreated"), 1);
  EXPECT_EQ(metrics[0].at("TablesUpdated"), 0);
  EXPECT_EQ(metrics[0].at("StillEstimating"), false);
  EXPECT_GE(metrics[0].at("LastRuntimeSeconds").as_double(), 0.0);

  auto crawls = Ok("ListCrawls", R"({"CrawlerName":"c1"})")["Crawls"].as_array();
  ASSERT_EQ(crawls.size(), 1u);
  EXPECT_EQ(crawls[0].at("State"), "COMPLETED");
  EXPECT_EQ(crawls[0].at("CrawlId"), last.at("MessagePrefix"));
  EXPECT_NE(std::string(crawls[0].at("Summary").as_string()).find("\"TABLE\""), std::string::npos);
  auto filtered = Ok(
      "ListCrawls",
      R"({"CrawlerName":"c1","Filters":[{"FieldName":"STATE","FilterOperator":"EQ","FieldValue":"FAILED"}]})");
  EXPECT_TRUE(filtered["Crawls"].as_array().empty());

  // A second run sees nothing new.
  Ok("StartCrawler", R"({"Name":"c1"})");
  WaitReady("c1");
  metrics = Ok("GetCrawlerMetrics", R"({})")["CrawlerMetricsList"].as_array();
  EXPECT_EQ(metrics[0].at("TablesCreated"), 0);
  EXPECT_EQ(Ok("ListCrawls", R"({"CrawlerName":"c1"})")["Crawls"].as_array().size(), 2u);
}

TEST_F(CrawlersApiTest, FailedCrawlReportsTheReason) {
  Ok("CreateCrawler",
     R"({"Name":"c1","Role":"r","DatabaseName":"db","Targets":{"S3Targets":[{"Path":"s3://missing/x"}]}})");
  Ok("StartCrawler", R"({"Name":"c1"})");
  auto c = WaitReady("c1");
  const auto& last = c["LastCrawl"].as_object();
  EXPECT_EQ(last.at("Status"), "FAILED");
  EXPECT_NE(std::string(last.at("ErrorMessage").as_string()).find("missing"), std::string::npos);
  auto crawls = Ok("ListCrawls", R"({"CrawlerName":"c1"})")["Crawls"].as_array();
  ASSERT_EQ(crawls.size(), 1u);
  EXPECT_EQ(crawls[0].at("State"), "FAILED");
}

TEST_F(CrawlersApiTest, RunningCrawlerRefusesChangesAndStops) {
  lake_.Put("lake", "sales/a.csv", "id,amount\n1,2\n");
  lake_.on_list = [this] { gate_.Wait(30000); };
  Create("c1");
  Ok("StartCrawler", R"({"Name":"c1"})");
  ASSERT_TRUE(gate_.WaitForArrival(20000));
  auto c = Crawler("c1");
  EXPECT_EQ(c["State"], "RUNNING");
  EXPECT_GE(c["CrawlElapsedTime"].as_int64(), 0);

  auto again = Fails("StartCrawler", R"({"Name":"c1"})");
  EXPECT_EQ(again.code, "CrawlerRunningException");
  EXPECT_EQ(again.message, "Crawler with name c1 has already started");
  auto update = Fails("UpdateCrawler", R"({"Name":"c1","TablePrefix":"x"})");
  EXPECT_EQ(update.code, "InvalidInputException");
  EXPECT_EQ(update.message,
            "Cannot update Crawler while running. Please stop crawl or wait until it completes to update.");
  EXPECT_EQ(Fails("DeleteCrawler", R"({"Name":"c1"})").code, "CrawlerRunningException");
  auto metrics = Ok("GetCrawlerMetrics", R"({})")["CrawlerMetricsList"].as_array();
  EXPECT_EQ(metrics[0].at("StillEstimating"), true);
  EXPECT_EQ(Ok("ListCrawls", R"({"CrawlerName":"c1"})")["Crawls"].at(0).at("State"), "RUNNING");

  Ok("StopCrawler", R"({"Name":"c1"})");
  EXPECT_EQ(Crawler("c1")["State"], "STOPPING");
  auto stopping = Fails("StopCrawler", R"({"Name":"c1"})");
  EXPECT_EQ(stopping.code, "CrawlerStoppingException");
  gate_.Open();
  auto done = WaitReady("c1");
  EXPECT_EQ(done["LastCrawl"].at("Status"), "CANCELLED");
  EXPECT_EQ(Ok("ListCrawls", R"({"CrawlerName":"c1"})")["Crawls"].at(0).at("State"), "STOPPED");
  EXPECT_FALSE(catalog_->GetTable("db", "sales"));
}

TEST_F(CrawlersApiTest, UpdateAndDelete) {
  Create("c1");
  Ok("UpdateCrawler", R"J({"Name":"c1","TablePrefix":"p_","Description":"d",
                          "SchemaChangePolicy":{"UpdateBehavior":"LOG","DeleteBehavior":"LOG"},
                          "RecrawlPolicy":{"RecrawlBehavior":"CRAWL_NEW_FOLDERS_ONLY"},
                          "Configuration":"{\"Version\":1.0,\"Grouping\":{\"TableLevelConfiguration\":2}}",
                          "Schedule":"cron(0 12 * * ? *)"})J");
  auto c = Crawler("c1");
  EXPECT_EQ(c["Version"], 2);
  EXPECT_EQ(c["TablePrefix"], "p_");
  EXPECT_EQ(c["Description"], "d");
  EXPECT_EQ(c["Role"], "arn:aws:iam::000000000000:role/r");
  EXPECT_EQ(c["RecrawlPolicy"].at("RecrawlBehavior"), "CRAWL_NEW_FOLDERS_ONLY");
  EXPECT_EQ(c["Schedule"].at("ScheduleExpression"), "cron(0 12 * * ? *)");
  EXPECT_GE(c["LastUpdated"].as_int64(), c["CreationTime"].as_int64());
  Ok("DeleteCrawler", R"({"Name":"c1"})");
  EXPECT_EQ(Fails("GetCrawler", R"({"Name":"c1"})").code, "EntityNotFoundException");
}

TEST_F(CrawlersApiTest, ListingsPaginateAndFilterByTags) {
  for (int i = 0; i < 5; ++i) {
    Create("c" + std::to_string(i), i % 2 == 0 ? R"(,"Tags":{"team":"a"})" : R"(,"Tags":{"team":"b"})");
  }
  auto page1 = Ok("GetCrawlers", R"({"MaxResults":2})");
  ASSERT_EQ(page1["Crawlers"].as_array().size(), 2u);
  EXPECT_EQ(page1["Crawlers"].at(0).at("Name"), "c0");
  ASSERT_TRUE(page1.contains("NextToken"));
  std::vector<std::string> names;
  json::object req{{"MaxResults", 2}};
  for (int round = 0; round < 10; ++round) {
    auto page = Call("ListCrawlers", req);
    ASSERT_TRUE(page);
    for (const auto& n : page->at("CrawlerNames").as_array()) names.emplace_back(n.as_string());
    if (!page->contains("NextToken")) break;
    req["NextToken"] = page->at("NextToken");
  }
  EXPECT_EQ(names, (std::vector<std::string>{"c0", "c1", "c2", "c3", "c4"}));
  auto tagged = Ok("ListCrawlers", R"({"Tags":{"team":"a"}})")["CrawlerNames"].as_array();
  EXPECT_EQ(json::serialize(tagged), R"(["c0","c2","c4"])");
  auto batch = Ok("BatchGetCrawlers", R"({"CrawlerNames":["c1","zz","c3"]})");
  EXPECT_EQ(batch["Crawlers"].as_array().size(), 2u);
  EXPECT_EQ(json::serialize(batch["CrawlersNotFound"]), R"(["zz"])");
  EXPECT_EQ(Fails("BatchGetCrawlers", R"({})").code, "InvalidInputException");
  EXPECT_EQ(Fails("GetCrawlers", R"({"NextToken":"!!!"})").code, "InvalidInputException");
}

TEST_F(CrawlersApiTest, DefinitionsSurviveARestartAndInterruptedCrawlsAreFailed) {
  Create("c1");
  Create("c2");
  crawlers_->Shutdown();
  crawlers_.reset();
  // A crash while c2 was running: its row still says RUNNING.
  {
    auto all = crawler::CrawlerStore::Open(*metadata_, 0, "000000000000", "us-east-1");
    ASSERT_TRUE(all);
    auto store = all->ForRegion("000000000000", "us-east-1");
    auto rec = store.Get("c2");
    ASSERT_TRUE(rec && *rec);
    (*rec)->state = "RUNNING";
    (*rec)->crawl_started_ms = 1234;
    (*rec)->crawl_id = "id-1";
    ASSERT_TRUE(store.Update(**rec));
    ASSERT_TRUE(store.PutCrawl(crawler::CrawlRecord{.crawler = "c2",
                                                    .crawl_id = "id-1",
                                                    .state = "RUNNING",
                                                    .start_ms = 1234,
                                                    .end_ms = 0,
                                                    .summary = "",
                                                    .error = ""}));
  }
  Reopen();
  EXPECT_EQ(Crawler("c1")["State"], "READY");
  auto c2 = Crawler("c2");
  EXPECT_EQ(c2["State"], "READY");
  EXPECT_EQ(c2["LastCrawl"].at("Status"), "FAILED");
  EXPECT_EQ(c2["LastCrawl"].at("StartTime"), 1234);
  EXPECT_EQ(c2["LastCrawl"].at("MessagePrefix"), "id-1");
  EXPECT_EQ(Ok("ListCrawls", R"({"CrawlerName":"c2"})")["Crawls"].at(0).at("State"), "FAILED");
}

TEST_F(CrawlersApiTest, EachRegionHasItsOwnCrawlers) {
  Create("c1");
  region_ = "eu-west-1";
  EXPECT_EQ(Fails("GetCrawler", R"({"Name":"c1"})").code, "EntityNotFoundException");
  EXPECT_TRUE(Ok("ListCrawlers", "{}")["CrawlerNames"].as_array().empty());
  Create("c1");  // the same name in another region is another crawler
  EXPECT_EQ(Ok("ListCrawlers", "{}")["CrawlerNames"].as_array().size(), 1u);
  Ok("DeleteCrawler", R"({"Name":"c1"})");
  region_ = "us-east-1";
  EXPECT_EQ(Crawler("c1")["Name"], "c1");
  // Regions survive a restart.
  region_ = "eu-west-1";
  Create("c2");
  Reopen();
  EXPECT_EQ(Crawler("c2")["Name"], "c2");
  region_ = "us-east-1";
  EXPECT_EQ(Fails("GetCrawler", R"({"Name":"c2"})").code, "EntityNotFoundException");
}

TEST_F(CrawlersApiTest, CrawlsReadTheLakeAsTheCrawlersRoleInItsRegion) {
  lake_.Put("lake", "sales/a.csv", "id,amount\n1,2\n");
  region_ = "eu-west-1";
  Ok("CreateCrawler", R"({"Name":"c1","Role":"service-role/AWSGlueServiceRole-lake","DatabaseName":"db",
                          "Targets":{"S3Targets":[{"Path":"s3://lake/sales/"}]}})");
  Ok("StartCrawler", R"({"Name":"c1"})");
  EXPECT_EQ(WaitReady("c1")["LastCrawl"].at("Status"), "SUCCEEDED");
  const auto callers = lakes_.callers();
  ASSERT_EQ(callers.size(), 1u);
  EXPECT_EQ(callers[0].principal.arn,
            "arn:aws:sts::000000000000:assumed-role/AWSGlueServiceRole-lake/AWS-Crawler");
  EXPECT_EQ(callers[0].principal.account_id, "000000000000");
  EXPECT_FALSE(callers[0].principal.is_root);
  EXPECT_EQ(callers[0].region, "eu-west-1");
  EXPECT_EQ(callers[0].invoked_by, "glue.amazonaws.com");
  // The tables went to the crawler's region's catalog.
  EXPECT_TRUE(catalog_.all->ForRegion("000000000000", "eu-west-1")->GetTable("db", "sales").ok());
  EXPECT_FALSE(catalog_->GetTable("db", "sales").ok());
}

// Through the real pipeline: the after-hooks see the crawl's S3 calls as in-process calls of Glue, made
// as the crawler's role, in the crawler's region.
TEST_F(CrawlersApiTest, TheCrawlsS3CallsAreRecordedAsTheRolesInTheCrawlersRegion) {
  lake_.Put("lake", "sales/a.csv", "id,amount\n1,2\n");
  cenote::testing::ProviderHarness harness("000000000000");
  std::unique_ptr<s3::Lake> invoked =
      std::make_unique<cenote::testing::LakeThroughPipeline>(harness.invoker(), lake_);
  crawlers_->Shutdown();
  crawlers_.reset();
  auto c = Crawlers::Open(*metadata_, *catalog_.all, *invoked, *engine_, tasks_,
                          CrawlerOptions{.default_account = "000000000000", .default_region = "us-east-1"});
  ASSERT_TRUE(c) << c.error().message;
  crawlers_ = std::move(*c);
  region_ = "eu-west-1";
  Ok("CreateCrawler", R"({"Name":"c1","Role":"arn:aws:iam::000000000000:role/crawl-sales","DatabaseName":"db",
                          "Targets":{"S3Targets":[{"Path":"s3://lake/sales/"}]}})");
  Ok("StartCrawler", R"({"Name":"c1"})");
  EXPECT_EQ(WaitReady("c1")["LastCrawl"].at("Status"), "SUCCEEDED");
  const auto calls = harness.recorder().calls();
  ASSERT_FALSE(calls.empty());
  bool listed = false;
  for (const auto& call : calls) {
    EXPECT_EQ(call.service, "s3");
    EXPECT_EQ(call.principal_arn, "arn:aws:sts::000000000000:assumed-role/crawl-sales/AWS-Crawler");
    EXPECT_EQ(call.region, "eu-west-1");
    EXPECT_EQ(call.invoked_by, "glue.amazonaws.com");
    EXPECT_EQ(call.error_code, "");
    listed = listed || call.operation == "ListObjectsV2";
  }
  EXPECT_TRUE(listed);
}

TEST(CrawlerRolePrincipalTest, RoleNamesAndArns) {
  EXPECT_EQ(CrawlerRolePrincipal("r", "111111111111").arn,
            "arn:aws:sts::111111111111:assumed-role/r/AWS-Crawler");
  const iam::Principal p = CrawlerRolePrincipal("arn:aws:iam::222222222222:role/path/to/r2", "111111111111");
  EXPECT_EQ(p.arn, "arn:aws:sts::222222222222:assumed-role/r2/AWS-Crawler");
  EXPECT_EQ(p.account_id, "222222222222");
}

}  // namespace
}  // namespace cenote::glue
