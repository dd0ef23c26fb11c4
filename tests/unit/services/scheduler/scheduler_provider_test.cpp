// EventBridge Scheduler provider: expressions in time zones, firing on an injected clock into SQS through the
// pipeline, durability of fired invocations across a restart, and the coverage doc.
#include "services/scheduler/scheduler_provider.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <fstream>
#include <sstream>

#include "../../store/temp_dir.hpp"
#include "../provider_harness.hpp"
#include "services/scheduler/internal.hpp"
#include "services/sqs/sqs_provider.hpp"
#include "store/stream_log.hpp"

namespace cenote::scheduler {
namespace {

namespace json = boost::json;
using store::testing::TempDir;

// 2024-03-31T00:00:00Z: Europe/Paris moves from +01:00 to +02:00 at 01:00Z that day.
constexpr std::int64_t kMarch31 = 1'711'843'200'000;

TEST(SchedulerExpressions, AtRateCron) {
  json::object at{{"ScheduleExpression", "at(2024-03-31T12:00:00)"},
                  {"ScheduleExpressionTimezone", "Europe/Paris"}};
  EXPECT_EQ(NextFiring(at, 0, kMarch31, 0), kMarch31 + 10 * 3'600'000);
  EXPECT_EQ(NextFiring(at, 0, kMarch31 + 86'400'000, 0),
            kMarch31 + 10 * 3'600'000);                      // passed, not fired: now
  EXPECT_EQ(NextFiring(at, 0, kMarch31, kMarch31 + 1), -1);  // fired
  json::object rate{{"ScheduleExpression", "rate(10 minutes)"}};
  EXPECT_EQ(NextFiring(rate, kMarch31, kMarch31, 0), kMarch31 + 600'000);
  rate["StartDate"] = kMarch31 + 3'600'000;
  EXPECT_EQ(NextFiring(rate, kMarch31, kMarch31, 0), kMarch31 + 3'600'000);
  rate["EndDate"] = kMarch31 + 3'700'000;
  EXPECT_EQ(NextFiring(rate, kMarch31, kMarch31 + 3'650'000, 0), -1);
  json::object cron{{"ScheduleExpression", "cron(0 8 * * ? *)"},
                    {"ScheduleExpressionTimezone", "Europe/Paris"}};
  // 08:00 Paris on March 31 (after the switch) is 06:00Z.
  EXPECT_EQ(NextFiring(cron, 0, kMarch31, 0), kMarch31 + 6 * 3'600'000);
  json::object disabled{{"ScheduleExpression", "rate(1 minute)"}, {"State", "DISABLED"}};
  EXPECT_EQ(NextFiring(disabled, 0, kMarch31, 0), -1);
  EXPECT_FALSE(CheckExpression(json::object{{"ScheduleExpression", "rate(1 fortnight)"}}).ok());
  EXPECT_FALSE(CheckExpression(json::object{{"ScheduleExpression", "at(2024-13-01T00:00:00)"}}).ok());
  EXPECT_TRUE(CheckExpression(json::object{{"ScheduleExpression", "cron(0/5 * ? * MON-FRI *)"}}).ok());
}

class SchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void TearDown() override { Close(); }
  void Close() {
    harness_.reset();
    log_.reset();
    metadata_.reset();
  }
  void Open() {
    Close();
    metadata_ = std::move(store::MetadataStore::OpenSqlite(dir_.path() + "/metadata.db")).value();
    log_ = std::move(store::StreamLog::OpenLocal(dir_.path() + "/sqs", {})).value();
    harness_ = std::make_unique<testing::ProviderHarness>();
    sqs::SqsOptions sqs_options;
    sqs_options.clock = [this] { return now_.load(); };
    sqs_options.maintenance_interval_ms = 0;
    harness_->Register(std::move(sqs::SqsProvider::Open(*metadata_, *log_, tasks_, sqs_options)).value());
    SchedulerOptions options;
    options.clock = [this] { return now_.load(); };
    options.poll_interval_ms = 0;
    auto p = SchedulerProvider::Open(*metadata_, &harness_->invoker(), tasks_, options);
    ASSERT_TRUE(p.ok()) << p.error().message;
    provider_ = p->get();
    harness_->Register(std::move(p).value());
  }
  json::object Ok(std::string_view service, std::string_view op, json::object params) {
    auto r = harness_->Call(service, op, std::move(params));
    EXPECT_TRUE(r.ok()) << op << ": " << (r.ok() ? "" : r.error().code + " " + r.error().message);
    return r.ok() ? r->result.as_object() : json::object{};
  }
  std::size_t Received(const std::string& queue) {
    json::object r = Ok("sqs", "ReceiveMessage",
                        {{"QueueUrl", "http://localhost:4566/000000000000/" + queue},
                         {"MaxNumberOfMessages", 10},
                         {"VisibilityTimeout", 43'200}});
    const json::array* m = services::GetArray(r, "Messages");
    return m ? m->size() : 0;
  }

  TempDir dir_;
  std::atomic<std::int64_t> now_{kMarch31};
  BackgroundTasks tasks_;
  std::unique_ptr<store::MetadataStore> metadata_;
  std::unique_ptr<store::StreamLog> log_;
  std::unique_ptr<testing::ProviderHarness> harness_;
  SchedulerProvider* provider_ = nullptr;
};

TEST_F(SchedulerTest, RateScheduleFiresIntoSqsAndSurvivesRestart) {
  Ok("sqs", "CreateQueue", {{"QueueName", "q"}});
  // The harness's baseline authorizer lets the role session through; trust and permissions are e2e-tested.
  Ok("scheduler", "CreateSchedule",
     {{"Name", "every5"},
      {"ScheduleExpression", "rate(5 minutes)"},
      {"FlexibleTimeWindow", json::object{{"Mode", "OFF"}}},
      {"Target", json::object{{"Arn", "arn:aws:sqs:us-east-1:000000000000:q"},
                              {"RoleArn", "arn:aws:iam::000000000000:role/r"},
                              {"Input", "tick"}}}});
  // A rate schedule without a StartDate first fires when it is created, then every period.
  EXPECT_EQ(provider_->Run(), 0u);
  EXPECT_EQ(Received("q"), 1u);
  now_ += 299'999;
  EXPECT_EQ(provider_->Run(), 0u);
  EXPECT_EQ(Received("q"), 0u);
  now_ += 1;
  EXPECT_EQ(provider_->Run(), 0u);
  EXPECT_EQ(Received("q"), 1u);
  // A restart keeps the schedule; the next firing is 5 minutes later.
  Open();
  now_ += 300'000;
  provider_->Run();
  EXPECT_EQ(Received("q"), 1u);
  json::object got = Ok("scheduler", "GetSchedule", {{"Name", "every5"}});
  EXPECT_EQ(got.at("Arn").as_string(), "arn:aws:scheduler:us-east-1:000000000000:schedule/default/every5");
}

TEST_F(SchedulerTest, AtScheduleMissedDuringDowntimeFiresAtStart) {
  Ok("sqs", "CreateQueue", {{"QueueName", "late"}});
  Ok("scheduler", "CreateSchedule",
     {{"Name", "once"},
      {"ScheduleExpression", "at(2024-03-31T00:10:00)"},
      {"FlexibleTimeWindow", json::object{{"Mode", "OFF"}}},
      {"Target", json::object{{"Arn", "arn:aws:sqs:us-east-1:000000000000:late"},
                              {"RoleArn", "arn:aws:iam::000000000000:role/r"}}}});
  Close();
  now_ += 3'600'000;  // the server was down past the schedule's time
  Open();
  provider_->Run();
  EXPECT_EQ(Received("late"), 1u);
  provider_->Run();
  EXPECT_EQ(Received("late"), 0u);  // one-time: once
}

TEST(SchedulerCoverage, DocMatchesProvider) {
  std::ifstream in(std::string(CENOTE_SOURCE_DIR) + "/docs/scheduler-coverage.md");
  ASSERT_TRUE(in.good()) << "run: python3 src/services/scheduler/gen_coverage.py";
  std::stringstream ss;
  ss << in.rdbuf();
  for (auto op : SchedulerProvider::SupportedOperations()) {
    EXPECT_NE(ss.str().find("| " + std::string(op) + " | supported |"), std::string::npos) << op;
  }
  for (const auto& e : {errors::kScheduleNotFound, errors::kConflict, errors::kValidation}) {
    EXPECT_NE(ss.str().find(e.code), std::string::npos) << e.code;
  }
}

}  // namespace
}  // namespace cenote::scheduler
