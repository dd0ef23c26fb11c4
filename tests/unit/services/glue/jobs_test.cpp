// Glue jobs, runs, bookmarks, triggers and workflows over Jobs with a fake executor (no processes, no S3):
// validation in Glue's words, the run lifecycle (states, retries, concurrency, stop, timeout handed to the
// executor), bookmarks, conditional/scheduled triggers, workflow runs, and runs in flight at a restart.
#include "services/glue/jobs/jobs.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "../fresh_schema_check.hpp"
#include "common/clock.hpp"
#include "services/glue/jobs/executor.hpp"
#include "services/glue/jobs/job_store.hpp"
#include "store/temp_dir.hpp"

namespace cenote::glue {
namespace {

namespace json = boost::json;

// The executor's side: records every request; the outcome of a run is decided by `decide`.
struct FakeExecutor {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<jobs::RunRequest> requests;
  bool hold = false;  // runs wait (until stopped or released)
  std::function<jobs::RunOutcome(const jobs::RunRequest&)> decide = [](const jobs::RunRequest&) {
    return jobs::RunOutcome{.state = "SUCCEEDED", .error_message = "", .bookmark = {}};
  };

  jobs::RunOutcome Run(const jobs::RunRequest& r, const std::atomic<bool>& stop) {
    std::unique_lock<std::mutex> lock(mu);
    requests.push_back(r);
    while (hold && !stop.load()) cv.wait_for(lock, std::chrono::milliseconds(5));
    if (stop.load()) return jobs::RunOutcome{.state = "STOPPED", .error_message = "", .bookmark = {}};
    return decide(r);
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu);
    hold = false;
    cv.notify_all();
  }
};

class JobsTest : public ::testing::Test {
 protected:
  JobsTest() { Reopen(); }
  ~JobsTest() override {
    fake_.Release();
    if (jobs_) jobs_->Shutdown();
  }

  void Reopen() {
    if (jobs_) jobs_->Shutdown();
    jobs_.reset();
    JobsOptions o;
    o.executor = [this](const jobs::RunRequest& r, const std::atomic<bool>& stop) {
      return fake_.Run(r, stop);
    };
    o.run_schedules = false;
    o.on_event = [this](const std::string&, const std::string&, const std::string& type,
                        json::object detail) {
      std::lock_guard<std::mutex> lock(events_mu_);
      events_.push_back(type + " " + json::serialize(detail));
    };
    o.start_crawler = [this](const std::string&, const std::string&, const std::string& crawler) -> Status {
      std::lock_guard<std::mutex> lock(events_mu_);
      crawls_.push_back(crawler);
      return Status::Ok();
    };
    o.crawler_state = [](const std::string&, const std::string&, const std::string&) {
      return std::string();
    };
    auto j = Jobs::Open(*metadata_, tasks_, std::move(o));
    ASSERT_TRUE(j) << j.error().message;
    jobs_ = std::move(*j);
  }

  Result<json::object> Call(std::string_view op, std::string_view params) {
    aws::RequestContext ctx;
    ctx.region = "us-east-1";
    ctx.service = "glue";
    ctx.operation = std::string(op);
    ctx.principal.account_id = "123456789012";
    ctx.principal.arn = "arn:aws:iam::123456789012:root";
    ctx.principal.type = iam::PrincipalType::kRoot;
    auto out = jobs_->Handle(ctx, op, json::parse(params).as_object());
    if (!out) return std::move(out).error();
    return out->result.as_object();
  }
  json::object Ok(std::string_view op, std::string_view params) {
    auto r = Call(op, params);
    EXPECT_TRUE(r) << op << ": " << (r ? "" : r.error().code + " " + r.error().message);
    return r ? *r : json::object();
  }
  Error Err(std::string_view op, std::string_view params) {
    auto r = Call(op, params);
    EXPECT_FALSE(r) << op << " succeeded";
    return r ? Error{} : r.error();
  }
  void CreateJob(const std::string& name, const std::string& extra = "") {
    Ok("CreateJob",
       R"({"Name":")" + name +
           R"(","Role":"glue-role","Command":{"Name":"pythonshell","ScriptLocation":"s3://b/s.py"})" + extra +
           "}");
  }
  json::object Run(const std::string& job, const std::string& id) {
    return Ok("GetJobRun", R"({"JobName":")" + job + R"(","RunId":")" + id + R"("})")["JobRun"].as_object();
  }
  json::object WaitRun(const std::string& job, const std::string& id) {
    EXPECT_TRUE(jobs_->WaitIdle(10000));
    return Run(job, id);
  }
  std::string Start(const std::string& job, const std::string& extra = "") {
    return std::string(
        Ok("StartJobRun", R"({"JobName":")" + job + "\"" + extra + "}")["JobRunId"].as_string());
  }

  store::testing::TempDir dir_;
  std::unique_ptr<store::MetadataStore> metadata_ = [this] {
    auto md = store::MetadataStore::OpenSqlite(dir_ / "meta.db");
    if (!md) std::abort();
    return std::move(*md);
  }();
  BackgroundTasks tasks_;
  FakeExecutor fake_;
  std::mutex events_mu_;
  std::vector<std::string> events_;
  std::vector<std::string> crawls_;
  std::unique_ptr<Jobs> jobs_;
};

TEST_F(JobsTest, CreateGetUpdateDeleteWithGlueDefaults) {
  CreateJob("j1", R"(,"DefaultArguments":{"--a":"1"})");
  auto job = Ok("GetJob", R"({"JobName":"j1"})")["Job"].as_object();
  EXPECT_EQ(job["Name"], "j1");
  EXPECT_EQ(job["Role"], "glue-role");
  EXPECT_EQ(job["Timeout"], 2880);
  EXPECT_EQ(job["MaxRetries"], 0);
  EXPECT_EQ(job["MaxCapacity"], 0.0625);
  EXPECT_EQ(job["ExecutionProperty"].at("MaxConcurrentRuns"), 1);
  EXPECT_EQ(job["Command"].at("PythonVersion"), "3.9");
  EXPECT_GT(job["CreatedOn"].as_int64(), 1700000000000);
  // The same definition again is accepted; a different one is a mismatch.
  CreateJob("j1", R"(,"DefaultArguments":{"--a":"1"})");
  EXPECT_EQ(Err("CreateJob", R"({"Name":"j1","Role":"other","Command":{"Name":"pythonshell"}})").code,
            "IdempotentParameterMismatchException");
  Ok("UpdateJob",
     R"({"JobName":"j1","JobUpdate":{"Role":"r2","Command":{"Name":"pythonshell"},"Timeout":5}})");
  job = Ok("GetJob", R"({"JobName":"j1"})")["Job"].as_object();
  EXPECT_EQ(job["Role"], "r2");
  EXPECT_EQ(job["Timeout"], 5);
  EXPECT_FALSE(job.contains("DefaultArguments"));  // UpdateJob replaces the definition
  CreateJob("j2");
  EXPECT_EQ(Ok("ListJobs", "{}")["JobNames"], json::parse(R"(["j1","j2"])"));
  auto page = Ok("GetJobs", R"({"MaxResults":1})");
  EXPECT_EQ(page["Jobs"].as_array().size(), 1u);
  auto next = Ok("GetJobs", R"({"NextToken":")" + std::string(page["NextToken"].as_string()) + "\"}");
  EXPECT_EQ(next["Jobs"].at(0).at("Name"), "j2");
  auto batch = Ok("BatchGetJobs", R"({"JobNames":["j2","nope"]})");
  EXPECT_EQ(batch["Jobs"].as_array().size(), 1u);
  EXPECT_EQ(batch["JobsNotFound"], json::parse(R"(["nope"])"));
  EXPECT_EQ(Ok("DeleteJob", R"({"JobName":"j2"})")["JobName"], "j2");
  EXPECT_EQ(Err("GetJob", R"({"JobName":"j2"})").code, "EntityNotFoundException");
  EXPECT_EQ(Ok("DeleteJob", R"({"JobName":"j2"})")["JobName"], "j2");  // again: still answered
}

TEST_F(JobsTest, ValidationInGlueWords) {
  EXPECT_EQ(Err("CreateJob", R"({"Name":"x","Command":{"Name":"pythonshell"}})").code,
            "InvalidInputException");
  EXPECT_EQ(Err("CreateJob", R"({"Name":"x","Role":"r"})").code, "InvalidInputException");
  EXPECT_EQ(Err("CreateJob", R"({"Name":"x","Role":"r","Command":{"Name":"spark"}})").code,
            "InvalidInputException");
  EXPECT_EQ(
      Err("CreateJob", R"({"Name":"x","Role":"r","Command":{"Name":"pythonshell"},"MaxCapacity":2})").code,
      "InvalidInputException");
  EXPECT_EQ(
      Err("CreateJob", R"({"Name":"x","Role":"r","Command":{"Name":"glueetl"},"WorkerType":"G.1X"})").code,
      "InvalidInputException");
  EXPECT_EQ(
      Err("CreateJob",
          R"({"Name":"x","Role":"r","Command":{"Name":"glueetl"},"MaxCapacity":2,"AllocatedCapacity":2})")
          .message,
      "Please set only Allocated Capacity or Max Capacity.");
  EXPECT_EQ(Err("StartJobRun", R"({"JobName":"none"})").code, "EntityNotFoundException");
  EXPECT_EQ(Err("GetJobRun", R"({"JobName":"none","RunId":"jr_x"})").code, "EntityNotFoundException");
  // glueetl is stored and refused at StartJobRun, naming what runs.
  Ok("CreateJob", R"({"Name":"etl","Role":"r","Command":{"Name":"glueetl","ScriptLocation":"s3://b/e.py"},)"
                  R"("WorkerType":"G.1X","NumberOfWorkers":2,"GlueVersion":"4.0"})");
  const Error e = Err("StartJobRun", R"({"JobName":"etl"})");
  EXPECT_EQ(e.code, "InvalidInputException");
  EXPECT_NE(e.message.find("pythonshell"), std::string::npos);
  EXPECT_NE(e.message.find("athenasql"), std::string::npos);
}

TEST_F(JobsTest, RunSucceedsWithGlueArguments) {
  CreateJob(
      "j", R"(,"DefaultArguments":{"--a":"default","--b":"kept"},"NonOverridableArguments":{"--c":"fixed"})");
  const std::string id = Start("j", R"(,"Arguments":{"--a":"run","--c":"try"},"Timeout":3)");
  EXPECT_TRUE(id.starts_with("jr_"));
  auto run = WaitRun("j", id);
  EXPECT_EQ(run["JobRunState"], "SUCCEEDED");
  EXPECT_EQ(run["Attempt"], 0);
  EXPECT_EQ(run["Timeout"], 3);
  EXPECT_EQ(run["LogGroupName"], "/aws-glue/python-jobs");
  EXPECT_TRUE(run.contains("CompletedOn"));
  EXPECT_EQ(run["Arguments"].at("--a"), "run");
  ASSERT_EQ(fake_.requests.size(), 1u);
  const auto& req = fake_.requests[0];
  EXPECT_EQ(req.command, "pythonshell");
  EXPECT_EQ(req.timeout_ms, 3 * 60000);
  EXPECT_EQ(req.arguments[0], (std::pair<std::string, std::string>{"--JOB_NAME", "j"}));
  EXPECT_EQ(req.arguments[1].first, "--JOB_ID");
  EXPECT_EQ(req.arguments[2], (std::pair<std::string, std::string>{"--JOB_RUN_ID", id}));
  std::map<std::string, std::string> args(req.arguments.begin(), req.arguments.end());
  EXPECT_EQ(args["--a"], "run");
  EXPECT_EQ(args["--b"], "kept");
  EXPECT_EQ(args["--c"], "fixed");
  std::lock_guard<std::mutex> lock(events_mu_);
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_NE(events_[0].find("Glue Job State Change"), std::string::npos);
  EXPECT_NE(events_[0].find(R"("state":"SUCCEEDED")"), std::string::npos);
  EXPECT_NE(events_[0].find(R"("severity":"INFO")"), std::string::npos);
}

TEST_F(JobsTest, FailedRunIsRetriedUpToMaxRetries) {
  fake_.decide = [](const jobs::RunRequest&) {
    return jobs::RunOutcome{.state = "FAILED", .error_message = "ValueError: bad", .bookmark = {}};
  };
  CreateJob("f", R"(,"MaxRetries":2)");
  const std::string id = Start("f");
  ASSERT_TRUE(jobs_->WaitIdle(10000));
  auto runs = Ok("GetJobRuns", R"({"JobName":"f"})")["JobRuns"].as_array();
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[0].at("Id"), json::value(id + "_attempt_2"));
  EXPECT_EQ(runs[0].at("Attempt"), 2);
  EXPECT_EQ(runs[0].at("PreviousRunId"), json::value(id + "_attempt_1"));
  EXPECT_EQ(runs[2].at("Id"), json::value(id));
  for (const auto& r : runs) {
    EXPECT_EQ(r.at("JobRunState"), "FAILED");
    EXPECT_EQ(r.at("ErrorMessage"), "ValueError: bad");
  }
  std::lock_guard<std::mutex> lock(events_mu_);
  EXPECT_NE(events_[0].find(R"("severity":"ERROR")"), std::string::npos);
}

TEST_F(JobsTest, ConcurrencyAndStop) {
  fake_.hold = true;
  CreateJob("slow");
  const std::string id = Start("slow");
  EXPECT_EQ(Err("StartJobRun", R"({"JobName":"slow"})").code, "ConcurrentRunsExceededException");
  for (int i = 0; i < 200 && Run("slow", id)["JobRunState"] != "RUNNING"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(Run("slow", id)["JobRunState"], "RUNNING");
  auto stopped = Ok("BatchStopJobRun", R"({"JobName":"slow","JobRunIds":[")" + id + R"(","jr_none"]})");
  EXPECT_EQ(stopped["SuccessfulSubmissions"].as_array().size(), 1u);
  EXPECT_EQ(stopped["Errors"].at(0).at("JobRunId"), "jr_none");
  EXPECT_EQ(WaitRun("slow", id)["JobRunState"], "STOPPED");
  fake_.Release();
  EXPECT_EQ(WaitRun("slow", Start("slow"))["JobRunState"], "SUCCEEDED");  // the slot is free again
  // Deleting a job stops its runs in flight and removes its history.
  fake_.hold = true;
  const std::string last = Start("slow");
  Ok("DeleteJob", R"({"JobName":"slow"})");
  ASSERT_TRUE(jobs_->WaitIdle(10000));
  EXPECT_EQ(Err("GetJobRun", R"({"JobName":"slow","RunId":")" + last + R"("})").code,
            "EntityNotFoundException");
}

TEST_F(JobsTest, BookmarksEnabledPausedAndReset) {
  fake_.decide = [](const jobs::RunRequest& r) {
    const int n = r.bookmark ? std::atoi(r.bookmark->c_str()) : 0;
    return jobs::RunOutcome{.state = "SUCCEEDED", .error_message = "", .bookmark = std::to_string(n + 1)};
  };
  CreateJob("b", R"(,"DefaultArguments":{"--job-bookmark-option":"job-bookmark-enable"})");
  EXPECT_EQ(Err("GetJobBookmark", R"({"JobName":"b"})").code, "EntityNotFoundException");
  const std::string first = Start("b");
  WaitRun("b", first);
  auto entry = Ok("GetJobBookmark", R"({"JobName":"b"})")["JobBookmarkEntry"].as_object();
  EXPECT_EQ(entry["JobBookmark"], "1");
  EXPECT_EQ(entry["Run"], 1);
  EXPECT_EQ(entry["RunId"], json::value(first));
  const std::string second = Start("b");
  WaitRun("b", second);
  entry = Ok("GetJobBookmark", R"({"JobName":"b"})")["JobBookmarkEntry"].as_object();
  EXPECT_EQ(entry["JobBookmark"], "2");
  EXPECT_EQ(entry["PreviousRunId"], json::value(first));
  EXPECT_EQ(fake_.requests[1].bookmark, "1");
  WaitRun("b", Start("b", R"(,"Arguments":{"--job-bookmark-option":"job-bookmark-pause"})"));
  EXPECT_EQ(fake_.requests[2].bookmark, "2");
  EXPECT_EQ(Ok("GetJobBookmark", R"({"JobName":"b"})")["JobBookmarkEntry"].at("JobBookmark"), "2");
  WaitRun("b", Start("b", R"(,"Arguments":{"--job-bookmark-option":"job-bookmark-disable"})"));
  EXPECT_FALSE(fake_.requests[3].bookmark.has_value());
  Ok("ResetJobBookmark", R"({"JobName":"b"})");
  EXPECT_EQ(Err("GetJobBookmark", R"({"JobName":"b"})").code, "EntityNotFoundException");
}

TEST_F(JobsTest, ConditionalTriggerChainsJobsAndStartsCrawlers) {
  CreateJob("a");
  CreateJob("b");
  Ok("CreateTrigger", R"({"Name":"t","Type":"CONDITIONAL","StartOnCreation":true,
      "Predicate":{"Conditions":[{"LogicalOperator":"EQUALS","JobName":"a","State":"SUCCEEDED"}]},
      "Actions":[{"JobName":"b","Arguments":{"--x":"1"}},{"CrawlerName":"c1"}]})");
  auto t = Ok("GetTrigger", R"({"Name":"t"})")["Trigger"].as_object();
  EXPECT_EQ(t["State"], "ACTIVATED");
  EXPECT_EQ(t["Predicate"].at("Logical"), "AND");
  WaitRun("a", Start("a"));
  ASSERT_TRUE(jobs_->WaitIdle(10000));
  auto runs = Ok("GetJobRuns", R"({"JobName":"b"})")["JobRuns"].as_array();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].at("TriggerName"), "t");
  EXPECT_EQ(runs[0].at("Arguments").at("--x"), "1");
  EXPECT_EQ(runs[0].at("PredecessorRuns").at(0).at("JobName"), "a");
  EXPECT_EQ(crawls_, std::vector<std::string>{"c1"});
  // Deactivated: no more chaining.
  Ok("StopTrigger", R"({"Name":"t"})");
  WaitRun("a", Start("a"));
  ASSERT_TRUE(jobs_->WaitIdle(10000));
  EXPECT_EQ(Ok("GetJobRuns", R"({"JobName":"b"})")["JobRuns"].as_array().size(), 1u);
  EXPECT_EQ(Ok("ListTriggers", R"({"DependentJobName":"b"})")["TriggerNames"], json::parse(R"(["t"])"));
  EXPECT_EQ(Err("CreateTrigger", R"({"Name":"t","Type":"ON_DEMAND","Actions":[{"JobName":"a"}]})").code,
            "AlreadyExistsException");
  EXPECT_EQ(Err("CreateTrigger", R"({"Name":"u","Type":"ON_DEMAND","StartOnCreation":true,
      "Actions":[{"JobName":"a"}]})")
                .code,
            "InvalidInputException");
  EXPECT_EQ(Err("CreateTrigger",
                R"J({"Name":"u","Type":"SCHEDULED","Schedule":"cron(bad)","Actions":[{"JobName":"a"}]})J")
                .code,
            "InvalidInputException");
  EXPECT_EQ(Err("CreateTrigger", R"({"Name":"u","Type":"ON_DEMAND","Actions":[{"JobName":"nope"}]})").code,
            "EntityNotFoundException");
}

TEST_F(JobsTest, ConditionalTriggerOnCrawlerAndJobWithAny) {
  CreateJob("after");
  CreateJob("other");
  Ok("CreateTrigger", R"({"Name":"c","Type":"CONDITIONAL","StartOnCreation":true,
      "Predicate":{"Logical":"ANY","Conditions":[
        {"LogicalOperator":"EQUALS","CrawlerName":"cr","CrawlState":"SUCCEEDED"},
        {"LogicalOperator":"EQUALS","JobName":"other","State":"FAILED"}]},
      "Actions":[{"JobName":"after"}]})");
  jobs_->CrawlerEnded("123456789012", "us-east-1", "cr", "FAILED");  // not the state it waits for
  ASSERT_TRUE(jobs_->WaitIdle(10000));
  EXPECT_TRUE(Ok("GetJobRuns", R"({"JobName":"after"})")["JobRuns"].as_array().empty());
  jobs_->CrawlerEnded("999999999999", "us-east-1", "cr", "SUCCEEDED");  // another account's crawler
  ASSERT_TRUE(jobs_->WaitIdle(10000));
  EXPECT_TRUE(Ok("GetJobRuns", R"({"JobName":"after"})")["JobRuns"].as_array().empty());
  jobs_->CrawlerEnded("123456789012", "us-east-1", "cr", "SUCCEEDED");
  ASSERT_TRUE(jobs_->WaitIdle(10000));
  EXPECT_EQ(Ok("GetJobRuns", R"({"JobName":"after"})")["JobRuns"].as_array().size(), 1u);
  // ANY: the job condition alone fires it too.
  fake_.decide = [](const jobs::RunRequest& r) {
    return jobs::RunOutcome{
        .state = r.job_name == "other" ? "FAILED" : "SUCCEEDED", .error_message = "", .bookmark = {}};
  };
  WaitRun("other", Start("other"));
  ASSERT_TRUE(jobs_->WaitIdle(10000));
  EXPECT_EQ(Ok("GetJobRuns", R"({"JobName":"after"})")["JobRuns"].as_array().size(), 2u);
}

TEST_F(JobsTest, ScheduledTriggerFiresWhenDue) {
  CreateJob("s");
  Ok("CreateTrigger", R"J({"Name":"every5","Type":"SCHEDULED","Schedule":"cron(0/5 * * * ? *)",
      "StartOnCreation":true,"Actions":[{"JobName":"s"}]})J");
  const std::int64_t now = UnixNowMs() / 1000;
  jobs_->RunDueSchedules(now + 600);
  ASSERT_TRUE(jobs_->WaitIdle(10000));
  auto runs = Ok("GetJobRuns", R"({"JobName":"s"})")["JobRuns"].as_array();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].at("TriggerName"), "every5");
  jobs_->RunDueSchedules(now + 601);  // not due again yet
  ASSERT_TRUE(jobs_->WaitIdle(10000));
  EXPECT_EQ(Ok("GetJobRuns", R"({"JobName":"s"})")["JobRuns"].as_array().size(), 1u);
}

TEST_F(JobsTest, WorkflowRunCompletesWithStatistics) {
  CreateJob("w1");
  CreateJob("w2");
  Ok("CreateWorkflow", R"({"Name":"wf","DefaultRunProperties":{"p":"1"}})");
  Ok("CreateTrigger",
     R"({"Name":"start","WorkflowName":"wf","Type":"ON_DEMAND","Actions":[{"JobName":"w1"}]})");
  Ok("CreateTrigger", R"({"Name":"next","WorkflowName":"wf","Type":"CONDITIONAL","StartOnCreation":true,
      "Predicate":{"Logical":"ANY","Conditions":[{"LogicalOperator":"EQUALS","JobName":"w1","State":"SUCCEEDED"}]},
      "Actions":[{"JobName":"w2"}]})");
  const std::string run_id(
      Ok("StartWorkflowRun", R"({"Name":"wf","RunProperties":{"q":"2"}})")["RunId"].as_string());
  ASSERT_TRUE(jobs_->WaitIdle(10000));
  auto run = Ok("GetWorkflowRun", R"({"Name":"wf","RunId":")" + run_id + R"(","IncludeGraph":true})")["Run"]
                 .as_object();
  EXPECT_EQ(run["Status"], "COMPLETED");
  EXPECT_EQ(run["Statistics"].at("TotalActions"), 2);
  EXPECT_EQ(run["Statistics"].at("SucceededActions"), 2);
  EXPECT_EQ(run["WorkflowRunProperties"], json::parse(R"({"p":"1","q":"2"})"));
  EXPECT_EQ(run["Graph"].at("Nodes").as_array().size(), 4u);
  EXPECT_EQ(run["Graph"].at("Edges").as_array().size(), 3u);
  // The jobs got the workflow's name and run id.
  std::map<std::string, std::string> args(fake_.requests[1].arguments.begin(),
                                          fake_.requests[1].arguments.end());
  EXPECT_EQ(args["--WORKFLOW_NAME"], "wf");
  EXPECT_EQ(args["--WORKFLOW_RUN_ID"], run_id);
  EXPECT_EQ(Ok("GetWorkflow", R"({"Name":"wf"})")["Workflow"].at("LastRun").at("WorkflowRunId"),
            json::value(run_id));
  Ok("PutWorkflowRunProperties", R"({"Name":"wf","RunId":")" + run_id + R"(","RunProperties":{"r":"3"}})");
  EXPECT_EQ(
      Ok("GetWorkflowRunProperties", R"({"Name":"wf","RunId":")" + run_id + "\"}")["RunProperties"].at("r"),
      "3");
  EXPECT_EQ(Err("StopWorkflowRun", R"({"Name":"wf","RunId":")" + run_id + "\"}").code,
            "IllegalWorkflowStateException");
  // A failed job leaves the conditional trigger unfired; the run still completes, with the failure counted.
  fake_.decide = [](const jobs::RunRequest&) {
    return jobs::RunOutcome{.state = "FAILED", .error_message = "x", .bookmark = {}};
  };
  const std::string second(Ok("StartWorkflowRun", R"({"Name":"wf"})")["RunId"].as_string());
  ASSERT_TRUE(jobs_->WaitIdle(10000));
  run = Ok("GetWorkflowRun", R"({"Name":"wf","RunId":")" + second + "\"}")["Run"].as_object();
  EXPECT_EQ(run["Status"], "COMPLETED");
  EXPECT_EQ(run["Statistics"].at("FailedActions"), 1);
  EXPECT_EQ(run["Statistics"].at("TotalActions"), 1);
  EXPECT_EQ(Ok("GetWorkflowRuns", R"({"Name":"wf"})")["Runs"].as_array().size(), 2u);
  Ok("DeleteWorkflow", R"({"Name":"wf"})");
  EXPECT_EQ(Err("GetTrigger", R"({"Name":"next"})").code, "EntityNotFoundException");
}

// EVENT triggers: EventBridge's events (NotifyEvent) collect in the trigger's batch; BatchSize events start a
// run at once, a batch window expiring starts one with what came; the run says which, and lists the event
// ids.
TEST_F(JobsTest, EventTriggerBatchesStartWorkflowRuns) {
  CreateJob("ev");
  Ok("CreateWorkflow", R"({"Name":"evwf"})");
  Ok("CreateTrigger", R"({"Name":"on-event","WorkflowName":"evwf","Type":"EVENT",
      "EventBatchingCondition":{"BatchSize":2,"BatchWindow":5},"Actions":[{"JobName":"ev"}]})");
  // Not activated yet: the event has nowhere to go.
  EXPECT_EQ(Err("NotifyEvent", R"({"Name":"evwf","EventId":"e0"})").code, "EntityNotFoundException");
  Ok("StartTrigger", R"({"Name":"on-event"})");
  EXPECT_EQ(Err("NotifyEvent", R"({"Name":"nowf","EventId":"e0"})").code, "EntityNotFoundException");

  Ok("NotifyEvent", R"({"Name":"evwf","EventId":"e1"})");
  Ok("NotifyEvent", R"({"Name":"evwf","EventId":"e1"})");  // delivered twice: counted once
  EXPECT_EQ(Ok("GetWorkflowRuns", R"({"Name":"evwf"})")["Runs"].as_array().size(), 0u);
  // The batch is the trigger's own (not in its public document) and survives a restart.
  EXPECT_FALSE(Ok("GetTrigger", R"({"Name":"on-event"})")["Trigger"].as_object().contains("_batch"));
  Reopen();
  Ok("NotifyEvent", R"({"Name":"evwf","EventId":"e2"})");
  ASSERT_TRUE(jobs_->WaitIdle(10000));
  auto runs = Ok("GetWorkflowRuns", R"({"Name":"evwf"})")["Runs"].as_array();
  ASSERT_EQ(runs.size(), 1u);
  auto run = runs[0].as_object();
  EXPECT_EQ(run["StartingEventBatchCondition"], json::parse(R"({"BatchSize":2})"));
  EXPECT_EQ(json::parse(std::string(run["WorkflowRunProperties"].at("aws:eventIds").as_string())),
            json::parse(R"(["e1","e2"])"));
  EXPECT_EQ(run["Status"], "COMPLETED");
  EXPECT_EQ(run["Statistics"].at("SucceededActions"), 1);

  // One event, then the window: nothing before it expires, a run with BatchWindow after.
  Ok("NotifyEvent", R"({"Name":"evwf","EventId":"e3"})");
  const std::int64_t now = UnixNowMs();
  EXPECT_GT(jobs_->RunEventBatches(now), 3000);
  EXPECT_EQ(Ok("GetWorkflowRuns", R"({"Name":"evwf"})")["Runs"].as_array().size(), 1u);
  EXPECT_EQ(jobs_->RunEventBatches(now + 5001), -1);
  ASSERT_TRUE(jobs_->WaitIdle(10000));
  runs = Ok("GetWorkflowRuns", R"({"Name":"evwf"})")["Runs"].as_array();
  ASSERT_EQ(runs.size(), 2u);
  json::object latest;
  for (const auto& r : runs) {
    if (r.as_object().at("WorkflowRunProperties").at("aws:eventIds") == "[\"e3\"]") latest = r.as_object();
  }
  ASSERT_FALSE(latest.empty());
  EXPECT_EQ(latest["StartingEventBatchCondition"], json::parse(R"({"BatchWindow":5})"));
  EXPECT_EQ(jobs_->RunEventBatches(now + 10000), -1);
  EXPECT_EQ(Ok("GetWorkflowRuns", R"({"Name":"evwf"})")["Runs"].as_array().size(), 2u);
}

TEST_F(JobsTest, WorkflowWithACrawlerThenAJob) {
  CreateJob("load");
  Ok("CreateWorkflow", R"({"Name":"etl"})");
  Ok("CreateTrigger",
     R"({"Name":"go","WorkflowName":"etl","Type":"ON_DEMAND","Actions":[{"CrawlerName":"raw"}]})");
  Ok("CreateTrigger", R"({"Name":"crawled","WorkflowName":"etl","Type":"CONDITIONAL","StartOnCreation":true,
      "Predicate":{"Conditions":[{"LogicalOperator":"EQUALS","CrawlerName":"raw","CrawlState":"SUCCEEDED"}]},
      "Actions":[{"JobName":"load"}]})");
  const std::string run_id(Ok("StartWorkflowRun", R"({"Name":"etl"})")["RunId"].as_string());
  ASSERT_TRUE(jobs_->WaitIdle(10000));
  EXPECT_EQ(crawls_, std::vector<std::string>{"raw"});
  auto run = Ok("GetWorkflowRun", R"({"Name":"etl","RunId":")" + run_id + R"("})")["Run"].as_object();
  EXPECT_EQ(run["Status"], "RUNNING");  // the crawl has not ended
  EXPECT_EQ(run["Statistics"].at("RunningActions"), 1);
  jobs_->CrawlerEnded("123456789012", "us-east-1", "raw", "SUCCEEDED");
  ASSERT_TRUE(jobs_->WaitIdle(10000));
  run = Ok("GetWorkflowRun", R"({"Name":"etl","RunId":")" + run_id + R"("})")["Run"].as_object();
  EXPECT_EQ(run["Status"], "COMPLETED");
  EXPECT_EQ(run["Statistics"].at("SucceededActions"), 2);
  EXPECT_EQ(Ok("GetJobRuns", R"({"JobName":"load"})")["JobRuns"].as_array().size(), 1u);
}

TEST_F(JobsTest, ResumeWorkflowRunRestartsAFailedNode) {
  CreateJob("r1");
  CreateJob("r2");
  CreateJob("r3");
  Ok("CreateWorkflow", R"({"Name":"rw"})");
  Ok("CreateTrigger", R"({"Name":"rs","WorkflowName":"rw","Type":"ON_DEMAND","Actions":[{"JobName":"r1"}]})");
  Ok("CreateTrigger", R"({"Name":"rn","WorkflowName":"rw","Type":"CONDITIONAL","StartOnCreation":true,
      "Predicate":{"Conditions":[{"LogicalOperator":"EQUALS","JobName":"r1","State":"SUCCEEDED"}]},
      "Actions":[{"JobName":"r2"}]})");
  Ok("CreateTrigger", R"({"Name":"rl","WorkflowName":"rw","Type":"CONDITIONAL","StartOnCreation":true,
      "Predicate":{"Conditions":[{"LogicalOperator":"EQUALS","JobName":"r2","State":"SUCCEEDED"}]},
      "Actions":[{"JobName":"r3"}]})");
  bool fail_r2 = true;
  fake_.decide = [&fail_r2](const jobs::RunRequest& r) {
    const bool fail = r.job_name == "r2" && fail_r2;
    return jobs::RunOutcome{.state = fail ? "FAILED" : "SUCCEEDED", .error_message = "", .bookmark = {}};
  };
  const std::string first(Ok("StartWorkflowRun", R"({"Name":"rw"})")["RunId"].as_string());
  ASSERT_TRUE(jobs_->WaitIdle(10000));
  auto run = Ok("GetWorkflowRun", R"({"Name":"rw","RunId":")" + first + R"(","IncludeGraph":true})")["Run"]
                 .as_object();
  EXPECT_EQ(run["Status"], "COMPLETED");
  EXPECT_EQ(run["Statistics"].at("FailedActions"), 1);
  std::string r2_node;
  for (const auto& n : run["Graph"].at("Nodes").as_array()) {
    if (n.at("Name") == "r2") r2_node = std::string(n.at("UniqueId").as_string());
  }
  ASSERT_FALSE(r2_node.empty());
  EXPECT_EQ(
      Err("ResumeWorkflowRun", R"({"Name":"rw","RunId":")" + first + R"(","NodeIds":["wnode_none"]})").code,
      "InvalidInputException");
  fail_r2 = false;
  auto resumed =
      Ok("ResumeWorkflowRun", R"({"Name":"rw","RunId":")" + first + R"(","NodeIds":[")" + r2_node + R"("]})");
  const std::string second(resumed["RunId"].as_string());
  EXPECT_NE(second, first);
  ASSERT_TRUE(jobs_->WaitIdle(10000));
  run = Ok("GetWorkflowRun", R"({"Name":"rw","RunId":")" + second + R"("})")["Run"].as_object();
  EXPECT_EQ(run["Status"], "COMPLETED");
  EXPECT_EQ(run["PreviousRunId"], json::value(first));
  EXPECT_EQ(run["Statistics"].at("TotalActions"), 2);  // r2 again, then r3 downstream
  EXPECT_EQ(run["Statistics"].at("SucceededActions"), 2);
  EXPECT_EQ(Ok("GetJobRuns", R"({"JobName":"r3"})")["JobRuns"].as_array().size(), 1u);
  EXPECT_EQ(Ok("GetJobRuns", R"({"JobName":"r1"})")["JobRuns"].as_array().size(), 1u);
}

TEST_F(JobsTest, RunInFlightAtRestartEndsError) {
  CreateJob("r");
  {
    auto store = jobs::JobStore::Open(*metadata_);
    ASSERT_TRUE(store);
    jobs::RunRow row{.account = "123456789012",
                     .region = "us-east-1",
                     .parent = "r",
                     .id = "jr_inflight",
                     .state = "RUNNING",
                     .started_ms = UnixNowMs() - 5000,
                     .doc = json::object{{"Id", "jr_inflight"},
                                         {"JobName", "r"},
                                         {"JobRunState", "RUNNING"},
                                         {"StartedOn", UnixNowMs() - 5000}}};
    ASSERT_TRUE(store->PutRun("jobrun", row));
  }
  Reopen();
  auto run = Run("r", "jr_inflight");
  EXPECT_EQ(run["JobRunState"], "ERROR");
  EXPECT_NE(std::string(run["ErrorMessage"].as_string()).find("restart"), std::string::npos);
  EXPECT_GE(run["ExecutionTime"].as_int64(), 4);
  EXPECT_TRUE(run.contains("CompletedOn"));
}

TEST_F(JobsTest, RunInFlightAtRestartIsAnnouncedAndFiresTriggers) {
  CreateJob("r");
  CreateJob("after");
  Ok("CreateTrigger", R"({"Name":"on-error","Type":"CONDITIONAL","StartOnCreation":true,
      "Predicate":{"Conditions":[{"LogicalOperator":"EQUALS","JobName":"r","State":"ERROR"}]},
      "Actions":[{"JobName":"after"}]})");
  {
    auto store = jobs::JobStore::Open(*metadata_);
    ASSERT_TRUE(store);
    jobs::RunRow row{
        .account = "123456789012",
        .region = "us-east-1",
        .parent = "r",
        .id = "jr_inflight",
        .state = "RUNNING",
        .started_ms = UnixNowMs() - 1000,
        .doc = json::object{{"Id", "jr_inflight"}, {"JobName", "r"}, {"JobRunState", "RUNNING"}}};
    ASSERT_TRUE(store->PutRun("jobrun", row));
  }
  Reopen();
  ASSERT_TRUE(jobs_->WaitIdle(10000));
  {
    std::lock_guard<std::mutex> lock(events_mu_);
    ASSERT_EQ(events_.size(), 2u);  // r's ERROR, then the run of "after" the trigger started
    EXPECT_NE(events_[0].find("Glue Job State Change"), std::string::npos);
    EXPECT_NE(events_[0].find(R"("jobRunId":"jr_inflight")"), std::string::npos) << events_[0];
    EXPECT_NE(events_[0].find(R"("state":"ERROR")"), std::string::npos) << events_[0];
  }
  EXPECT_EQ(Ok("GetJobRuns", R"({"JobName":"after"})")["JobRuns"].as_array().size(), 1u);
  auto store = jobs::JobStore::Open(*metadata_);
  ASSERT_TRUE(store);
  auto outbox = store->ListAll("outbox");
  ASSERT_TRUE(outbox);
  EXPECT_TRUE(outbox->empty());
}

TEST_F(JobsTest, EndCommittedButNotDeliveredIsDeliveredAtStart) {
  // A crash after a run's end committed and before its event and triggers went: the outbox entry remains.
  CreateJob("a");
  CreateJob("b");
  Ok("CreateTrigger", R"({"Name":"t","Type":"CONDITIONAL","StartOnCreation":true,
      "Predicate":{"Conditions":[{"LogicalOperator":"EQUALS","JobName":"a","State":"SUCCEEDED"}]},
      "Actions":[{"JobName":"b"}]})");
  {
    auto store = jobs::JobStore::Open(*metadata_);
    ASSERT_TRUE(store);
    jobs::RunRow row{.account = "123456789012",
                     .region = "us-east-1",
                     .parent = "a",
                     .id = "jr_done",
                     .state = "SUCCEEDED",
                     .started_ms = UnixNowMs() - 1000,
                     .doc = json::object{{"Id", "jr_done"}, {"JobName", "a"}, {"JobRunState", "SUCCEEDED"}}};
    json::object entry{
        {"kind", "JOB"},
        {"name", "a"},
        {"state", "SUCCEEDED"},
        {"run_id", "jr_done"},
        {"workflow", ""},
        {"workflow_run_id", ""},
        {"detail_type", "Glue Job State Change"},
        {"detail", json::object{{"jobName", "a"}, {"state", "SUCCEEDED"}, {"jobRunId", "jr_done"}}}};
    ASSERT_TRUE(store->PutRun(
        "jobrun", row, {jobs::OutboxEntry{.id = "000000000000001-JOB-a-jr_done", .doc = std::move(entry)}}));
  }
  Reopen();
  ASSERT_TRUE(jobs_->WaitIdle(10000));
  auto runs = Ok("GetJobRuns", R"({"JobName":"b"})")["JobRuns"].as_array();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].at("TriggerName"), "t");
  {
    std::lock_guard<std::mutex> lock(events_mu_);
    ASSERT_GE(events_.size(), 1u);
    EXPECT_NE(events_[0].find(R"("jobRunId":"jr_done")"), std::string::npos) << events_[0];
  }
  // Delivered once: a second start has nothing left to deliver.
  Reopen();
  ASSERT_TRUE(jobs_->WaitIdle(10000));
  EXPECT_EQ(Ok("GetJobRuns", R"({"JobName":"b"})")["JobRuns"].as_array().size(), 1u);
}

TEST(GlueJobsOperations, EveryProviderOperationIsHandled) {
  const auto& ops = Jobs::Operations();
  EXPECT_EQ(ops.size(), 36u);
  for (std::string_view op :
       {"CreateJob", "StartJobRun", "GetJobBookmark", "CreateTrigger", "StartTrigger", "CreateWorkflow",
        "StartWorkflowRun", "ResumeWorkflowRun", "PutWorkflowRunProperties"}) {
    EXPECT_NE(std::find(ops.begin(), ops.end(), op), ops.end()) << op;
  }
}

TEST(GlueSqlScript, SplitsOnSemicolonsOutsideQuotesAndComments) {
  EXPECT_EQ(jobs::SplitStatements("SELECT 1; SELECT ';' -- a; comment\n; /* ; */ SELECT \"a;b\";;"),
            (std::vector<std::string>{"SELECT 1", "SELECT ';'", "SELECT \"a;b\""}));
  EXPECT_EQ(jobs::RoleArn("r", "123"), "arn:aws:iam::123:role/r");
  EXPECT_EQ(jobs::RoleArn("arn:aws:iam::9:role/x", "123"), "arn:aws:iam::9:role/x");
}

}  // namespace
}  // namespace cenote::glue

// A new data directory creates the schema from fresh_schema.inc; it must be what the migrations build.
TEST(FreshSchema, GlueJobs) {
  cenote::testing::CheckFreshSchema("glue_jobs", cenote::glue::jobs::Migrations(),
                                    cenote::glue::jobs::FreshSchema(), CENOTE_SOURCE_DIR,
                                    "src/services/glue/jobs/fresh_schema.inc");
}
