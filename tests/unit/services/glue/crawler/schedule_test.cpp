// Crawler schedules (crawlers.cpp): Schedule.State, Start/Stop/UpdateCrawlerSchedule and their errors,
// and scheduled runs, driven by RunDueSchedules with a test clock (the scheduler thread is off).
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <thread>

#include "../../../common/utc_minutes.hpp"
#include "../../../store/temp_dir.hpp"
#include "../recording_lake.hpp"
#include "fakes.hpp"
#include "services/glue/crawler/crawlers.hpp"

namespace cenote::glue {
namespace {

namespace json = boost::json;
using store::testing::TempDir;

std::int64_t At(const std::string& text) { return testing::UtcMinute(text); }

class CrawlerScheduleTest : public ::testing::Test {
 protected:
  CrawlerScheduleTest() : lake_(dir_ / "objects") {
    std::filesystem::create_directories(dir_ / "objects/lake");
    lake_.Put("lake", "sales/a.csv", "id,amount\n1,2\n");
    CrawlerOptions options{"000000000000", "us-east-1", 2, 1000};
    options.run_schedules = false;
    auto c = Crawlers::Open(*metadata_, *catalog_.all, lakes_, *engine_, tasks_, options);
    EXPECT_TRUE(c) << c.error().message;
    if (c) crawlers_ = std::move(*c);
  }
  ~CrawlerScheduleTest() override {
    if (crawlers_) crawlers_->Shutdown();
  }

  Result<json::object> Call(std::string_view op, std::string_view params) {
    aws::RequestContext ctx = crawler::testing::RequestIn(region_);
    ctx.operation = std::string(op);
    auto out = crawler::testing::CallCrawlers(*crawlers_, ctx, op, json::parse(params).as_object());
    if (!out) return std::move(out).error();
    return out->result.as_object();
  }
  void Ok(std::string_view op, std::string_view params) {
    auto r = Call(op, params);
    EXPECT_TRUE(r) << op << ": " << (r ? "" : r.error().code + " " + r.error().message);
  }
  std::string Fails(std::string_view op, std::string_view params) {
    auto r = Call(op, params);
    EXPECT_FALSE(r) << op << " succeeded";
    return r ? "" : r.error().code;
  }
  json::object Crawler(const std::string& name) {
    auto r = Call("GetCrawler", R"({"Name":")" + name + R"("})");
    EXPECT_TRUE(r);
    return r ? (*r)["Crawler"].as_object() : json::object();
  }
  void Create(const std::string& name, const std::string& schedule) {
    Ok("CreateCrawler", R"({"Name":")" + name +
                            R"(","Role":"arn:aws:iam::000000000000:role/r","DatabaseName":"db",)"
                            R"("Targets":{"S3Targets":[{"Path":"s3://lake/sales/"}]})" +
                            (schedule.empty() ? "" : R"(,"Schedule":")" + schedule + R"(")") + "}");
  }
  int Crawls(const std::string& name) {
    auto r = Call("ListCrawls", R"({"CrawlerName":")" + name + R"("})");
    return r ? static_cast<int>((*r)["Crawls"].as_array().size()) : -1;
  }
  void WaitReady(const std::string& name) {
    for (int i = 0; i < 3000; ++i) {  // 30 s at most
      if (Crawler(name)["State"] == "READY") return;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ADD_FAILURE() << name << " did not finish";
  }

  TempDir dir_;
  crawler::testing::DirectoryLake lake_;
  cenote::testing::RecordingLake lakes_{lake_};  // crawls get the lake through For(role)
  BackgroundTasks tasks_;
  std::unique_ptr<store::MetadataStore> metadata_ = crawler::testing::OpenSqliteMetadata(dir_ / "meta.db");
  crawler::testing::TestCatalog catalog_ = crawler::testing::OpenCatalog(*metadata_);
  std::unique_ptr<query::QueryEngine> engine_ =
      crawler::testing::OpenEngine(dir_ / "objects", dir_ / "scratch");
  std::unique_ptr<Crawlers> crawlers_;
  std::string region_ = "us-east-1";  // the region of Call's requests
};

TEST_F(CrawlerScheduleTest, StatesAndErrors) {
  Create("plain", "");
  Create("daily", "cron(15 12 * * ? *)");
  EXPECT_FALSE(Crawler("plain").contains("Schedule"));
  json::object s = Crawler("daily")["Schedule"].as_object();
  EXPECT_EQ(s["ScheduleExpression"], "cron(15 12 * * ? *)");
  EXPECT_EQ(s["State"], "SCHEDULED");
  EXPECT_FALSE(Crawler("daily").contains("__ScheduleState"));

  EXPECT_EQ(Fails("StartCrawlerSchedule", R"({"CrawlerName":"daily"})"), "SchedulerRunningException");
  Ok("StopCrawlerSchedule", R"({"CrawlerName":"daily"})");
  EXPECT_EQ(Crawler("daily")["Schedule"].as_object()["State"], "NOT_SCHEDULED");
  EXPECT_EQ(Fails("StopCrawlerSchedule", R"({"CrawlerName":"daily"})"), "SchedulerNotRunningException");
  Ok("StartCrawlerSchedule", R"({"CrawlerName":"daily"})");
  EXPECT_EQ(Crawler("daily")["Schedule"].as_object()["State"], "SCHEDULED");

  EXPECT_EQ(Fails("StartCrawlerSchedule", R"({"CrawlerName":"plain"})"), "NoScheduleException");
  EXPECT_EQ(Fails("StopCrawlerSchedule", R"({"CrawlerName":"plain"})"), "SchedulerNotRunningException");
  EXPECT_EQ(Fails("StartCrawlerSchedule", R"({"CrawlerName":"nope"})"), "EntityNotFoundException");
  EXPECT_EQ(Fails("UpdateCrawlerSchedule", R"j({"CrawlerName":"nope","Schedule":"cron(0 1 * * ? *)"})j"),
            "EntityNotFoundException");

  // Invalid expressions, through UpdateCrawlerSchedule, UpdateCrawler and CreateCrawler; nothing changes.
  for (const char* bad : {"cron(0 1 * * * *)", "rate(1 day)", "cron(0/2 * * * ? *)", "cron(0 1 * *)"}) {
    EXPECT_EQ(
        Fails("UpdateCrawlerSchedule", std::string(R"({"CrawlerName":"daily","Schedule":")") + bad + R"("})"),
        "InvalidInputException")
        << bad;
    EXPECT_EQ(Fails("UpdateCrawler", std::string(R"({"Name":"daily","Schedule":")") + bad + R"("})"),
              "InvalidInputException")
        << bad;
  }
  EXPECT_EQ(Crawler("daily")["Schedule"].as_object()["ScheduleExpression"], "cron(15 12 * * ? *)");
  EXPECT_EQ(
      Fails("CreateCrawler", R"j({"Name":"bad","Role":"r","Targets":{"S3Targets":[{"Path":"s3://lake/"}]},)j"
                             R"j("Schedule":"cron(* * * * ? *)"})j"),
      "InvalidInputException");
  EXPECT_EQ(Fails("GetCrawler", R"({"Name":"bad"})"), "EntityNotFoundException");

  // A schedule given to a crawler without one starts SCHEDULED; a changed one keeps its state; ""
  // removes it.
  Ok("UpdateCrawlerSchedule", R"j({"CrawlerName":"plain","Schedule":"cron(0 1 * * ? *)"})j");
  EXPECT_EQ(Crawler("plain")["Schedule"].as_object()["State"], "SCHEDULED");
  Ok("StopCrawlerSchedule", R"({"CrawlerName":"plain"})");
  Ok("UpdateCrawler", R"j({"Name":"plain","Schedule":"cron(0 2 * * ? *)"})j");
  s = Crawler("plain")["Schedule"].as_object();
  EXPECT_EQ(s["ScheduleExpression"], "cron(0 2 * * ? *)");
  EXPECT_EQ(s["State"], "NOT_SCHEDULED");
  Ok("UpdateCrawlerSchedule", R"({"CrawlerName":"plain","Schedule":""})");
  EXPECT_FALSE(Crawler("plain").contains("Schedule"));
}

TEST_F(CrawlerScheduleTest, ScheduledCrawlersRunOnTime) {
  Create("hourly", "cron(30 * * * ? *)");
  Create("stopped", "cron(30 * * * ? *)");
  Ok("StopCrawlerSchedule", R"({"CrawlerName":"stopped"})");
  // The crawlers were created now; by 2030 many fire times have passed: they start one run.
  crawlers_->RunDueSchedules(At("2030-01-01 10:00"));
  EXPECT_EQ(Crawls("hourly"), 1);
  WaitReady("hourly");
  EXPECT_EQ(Crawler("hourly")["LastCrawl"].as_object()["Status"], "SUCCEEDED");
  EXPECT_TRUE(catalog_->GetTable("db", "sales"));
  crawlers_->RunDueSchedules(At("2030-01-01 10:29"));
  EXPECT_EQ(Crawls("hourly"), 1);
  crawlers_->RunDueSchedules(At("2030-01-01 10:30"));
  EXPECT_EQ(Crawls("hourly"), 2);
  WaitReady("hourly");
  crawlers_->RunDueSchedules(At("2030-01-01 10:45"));  // no fire time in (10:30, 10:45]
  EXPECT_EQ(Crawls("hourly"), 2);
  crawlers_->RunDueSchedules(At("2030-01-01 14:00"));  // three missed fire times: one run
  EXPECT_EQ(Crawls("hourly"), 3);
  WaitReady("hourly");
  crawlers_->RunDueSchedules(At("2030-01-01 11:30"));  // time going backwards starts nothing
  EXPECT_EQ(Crawls("hourly"), 3);
  EXPECT_EQ(Crawls("stopped"), 0);
}

TEST_F(CrawlerScheduleTest, ARunningCrawlerSkipsItsScheduledRun) {
  Create("busy", "cron(0 * * * ? *)");
  Ok("StartCrawler", R"({"Name":"busy"})");
  crawlers_->RunDueSchedules(At("2030-01-01 10:00"));  // still RUNNING or just finished
  WaitReady("busy");
  int runs = Crawls("busy");
  EXPECT_GE(runs, 1);
  EXPECT_LE(runs, 2);
  crawlers_->RunDueSchedules(At("2030-01-01 11:00"));
  EXPECT_EQ(Crawls("busy"), runs + 1);
  WaitReady("busy");
}

TEST_F(CrawlerScheduleTest, SchedulesOfEveryRegionRun) {
  region_ = "eu-west-1";
  Create("hourly", "cron(30 * * * ? *)");
  crawlers_->RunDueSchedules(At("2030-01-01 10:00"));
  EXPECT_EQ(Crawls("hourly"), 1);
  WaitReady("hourly");
  EXPECT_EQ(Crawler("hourly")["LastCrawl"].as_object()["Status"], "SUCCEEDED");
  // It crawled into its own region's catalog.
  EXPECT_TRUE(catalog_.all->ForRegion("000000000000", "eu-west-1")->GetTable("db", "sales"));
  EXPECT_FALSE(catalog_->GetTable("db", "sales"));
}

TEST(CrawlerScheduleTaskTest, SchedulesRunOnThePlatformsBackgroundTasks) {
  TempDir dir;
  std::filesystem::create_directories(dir / "objects");
  crawler::testing::DirectoryLake lake(dir / "objects");
  cenote::testing::RecordingLake lakes(lake);
  BackgroundTasks tasks;
  auto metadata = crawler::testing::OpenSqliteMetadata(dir / "meta.db");
  auto catalog = crawler::testing::OpenCatalog(*metadata);
  auto engine = crawler::testing::OpenEngine(dir / "objects", dir / "scratch");
  auto crawlers =
      Crawlers::Open(*metadata, *catalog.all, lakes, *engine, tasks,
                     CrawlerOptions{.default_account = "000000000000", .default_region = "us-east-1"});
  ASSERT_TRUE(crawlers);
  EXPECT_EQ(tasks.Running(), std::vector<std::string>{"glue-crawler-schedules"});
  (*crawlers)->Shutdown();
  EXPECT_TRUE(tasks.Running().empty());
}

}  // namespace
}  // namespace cenote::glue
