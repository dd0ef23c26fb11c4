// Step Functions provider through the pipeline: state machines, versions and aliases, executions advanced on
// an injected clock, an SQS task as the machine's role, task tokens, restart during a Wait, history and the
// coverage doc.
#include "services/states/states_provider.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <fstream>
#include <sstream>

#include "../../store/temp_dir.hpp"
#include "../provider_harness.hpp"
#include "services/sqs/sqs_provider.hpp"
#include "services/states/errors.hpp"
#include "store/stream_log.hpp"

namespace cenote::states {
namespace {

namespace json = boost::json;
using store::testing::TempDir;

constexpr const char* kRole = "arn:aws:iam::000000000000:role/sfn";
constexpr const char* kSm = "arn:aws:states:us-east-1:000000000000:stateMachine:";

class StatesTest : public ::testing::Test {
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
    StatesOptions options;
    options.clock = [this] { return now_.load(); };
    options.poll_interval_ms = 0;
    options.status_events = false;
    auto p = StatesProvider::Open(*metadata_, &harness_->invoker(), tasks_, options);
    ASSERT_TRUE(p.ok()) << p.error().message;
    provider_ = p->get();
    harness_->Register(std::move(p).value());
  }
  json::object Ok(std::string_view service, std::string_view op, json::object params) {
    auto r = harness_->Call(service, op, std::move(params));
    EXPECT_TRUE(r.ok()) << op << ": " << (r.ok() ? "" : r.error().code + " " + r.error().message);
    return r.ok() && r->result.is_object() ? r->result.as_object() : json::object{};
  }
  Error Fails(std::string_view op, json::object params) {
    auto r = harness_->Call("states", op, std::move(params));
    EXPECT_FALSE(r.ok()) << op;
    return r.ok() ? Error{} : r.error();
  }
  std::string Create(const std::string& name, const std::string& definition,
                     const std::string& type = "STANDARD") {
    json::object r = Ok("states", "CreateStateMachine",
                        {{"name", name}, {"definition", definition}, {"roleArn", kRole}, {"type", type}});
    return r.contains("stateMachineArn") ? std::string(r["stateMachineArn"].as_string()) : "";
  }
  std::string Start(const std::string& sm, const std::string& input = "{}", const std::string& name = "") {
    json::object p{{"stateMachineArn", sm}, {"input", input}};
    if (!name.empty()) p["name"] = name;
    json::object r = Ok("states", "StartExecution", p);
    return r.contains("executionArn") ? std::string(r["executionArn"].as_string()) : "";
  }
  json::object Describe(const std::string& arn) {
    return Ok("states", "DescribeExecution", {{"executionArn", arn}});
  }
  std::vector<std::string> History(const std::string& arn) {
    std::vector<std::string> out;
    json::object h = Ok("states", "GetExecutionHistory", {{"executionArn", arn}, {"maxResults", 1000}});
    for (const auto& e : h["events"].as_array()) out.emplace_back(e.at("type").as_string());
    return out;
  }

  TempDir dir_;
  std::atomic<std::int64_t> now_{1'700'000'000'000};
  BackgroundTasks tasks_;
  std::unique_ptr<store::MetadataStore> metadata_;
  std::unique_ptr<store::StreamLog> log_;
  std::unique_ptr<testing::ProviderHarness> harness_;
  StatesProvider* provider_ = nullptr;
};

TEST_F(StatesTest, StateMachineLifecycleAndErrors) {
  const std::string def = R"j({"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}})j";
  const std::string arn = Create("sm1", def);
  EXPECT_EQ(arn, std::string(kSm) + "sm1");
  // Creating again with the same definition and role answers the same machine; another definition conflicts.
  EXPECT_EQ(Create("sm1", def), arn);
  EXPECT_EQ(
      Fails("CreateStateMachine", {{"name", "sm1"},
                                   {"definition", R"j({"StartAt":"B","States":{"B":{"Type":"Succeed"}}})j"},
                                   {"roleArn", kRole}})
          .code,
      "StateMachineAlreadyExists");
  Error bad =
      Fails("CreateStateMachine", {{"name", "sm2"},
                                   {"definition", R"j({"StartAt":"A","States":{"A":{"Type":"Pass"}}})j"},
                                   {"roleArn", kRole}});
  EXPECT_EQ(bad.code, "InvalidDefinition");
  EXPECT_EQ(Fails("CreateStateMachine", {{"name", "bad name"}, {"definition", def}, {"roleArn", kRole}}).code,
            "InvalidName");
  EXPECT_EQ(Fails("CreateStateMachine", {{"name", "sm3"}, {"definition", def}, {"roleArn", "role"}}).code,
            "InvalidArn");
  json::object d = Ok("states", "DescribeStateMachine", {{"stateMachineArn", arn}});
  EXPECT_EQ(d["status"], "ACTIVE");
  EXPECT_EQ(d["type"], "STANDARD");
  EXPECT_EQ(d["definition"].as_string(), def);
  EXPECT_EQ(d["loggingConfiguration"].at("level"), "OFF");
  EXPECT_EQ(Fails("DescribeStateMachine", {{"stateMachineArn", std::string(kSm) + "nope"}}).code,
            "StateMachineDoesNotExist");
  for (int i = 0; i < 3; ++i) Create("more" + std::to_string(i), def);
  json::object page = Ok("states", "ListStateMachines", {{"maxResults", 2}});
  EXPECT_EQ(page["stateMachines"].as_array().size(), 2u);
  ASSERT_TRUE(page.contains("nextToken"));
  page = Ok("states", "ListStateMachines", {{"maxResults", 2}, {"nextToken", page["nextToken"]}});
  EXPECT_EQ(page["stateMachines"].as_array().size(), 2u);
  EXPECT_FALSE(page.contains("nextToken"));
  Ok("states", "TagResource",
     {{"resourceArn", arn}, {"tags", json::array{json::object{{"key", "k"}, {"value", "v"}}}}});
  EXPECT_EQ(Ok("states", "ListTagsForResource", {{"resourceArn", arn}})["tags"].as_array().size(), 1u);
  Ok("states", "UntagResource", {{"resourceArn", arn}, {"tagKeys", json::array{"k"}}});
  EXPECT_EQ(Ok("states", "ListTagsForResource", {{"resourceArn", arn}})["tags"].as_array().size(), 0u);
  Ok("states", "DeleteStateMachine", {{"stateMachineArn", arn}});
  EXPECT_EQ(Fails("DescribeStateMachine", {{"stateMachineArn", arn}}).code, "StateMachineDoesNotExist");
  json::object v =
      Ok("states", "ValidateStateMachineDefinition", {{"definition", R"j({"StartAt":"X","States":{}})j"}});
  EXPECT_EQ(v["result"], "FAIL");
}

TEST_F(StatesTest, VersionsAndAliases) {
  const std::string arn =
      Create("v", R"j({"StartAt":"A","States":{"A":{"Type":"Pass","Result":1,"End":true}}})j");
  json::object v1 =
      Ok("states", "PublishStateMachineVersion", {{"stateMachineArn", arn}, {"description", "one"}});
  EXPECT_EQ(v1["stateMachineVersionArn"].as_string(), arn + ":1");
  // Publishing the same revision again answers the same version.
  EXPECT_EQ(Ok("states", "PublishStateMachineVersion", {{"stateMachineArn", arn}})["stateMachineVersionArn"],
            v1["stateMachineVersionArn"]);
  json::object upd =
      Ok("states", "UpdateStateMachine",
         {{"stateMachineArn", arn},
          {"definition", R"j({"StartAt":"A","States":{"A":{"Type":"Pass","Result":2,"End":true}}})j"},
          {"publish", true}});
  EXPECT_EQ(upd["stateMachineVersionArn"].as_string(), arn + ":2");
  EXPECT_EQ(Ok("states", "ListStateMachineVersions", {{"stateMachineArn", arn}})["stateMachineVersions"]
                .as_array()
                .size(),
            2u);
  json::object alias =
      Ok("states", "CreateStateMachineAlias",
         {{"name", "live"},
          {"routingConfiguration",
           json::array{json::object{{"stateMachineVersionArn", arn + ":1"}, {"weight", 100}}}}});
  EXPECT_EQ(alias["stateMachineAliasArn"].as_string(), arn + ":live");
  EXPECT_EQ(Fails("CreateStateMachineAlias",
                  {{"name", "half"},
                   {"routingConfiguration",
                    json::array{json::object{{"stateMachineVersionArn", arn + ":1"}, {"weight", 50}}}}})
                .code,
            "ValidationException");
  // The alias runs version 1; the machine itself runs its latest definition.
  const std::string e1 = Start(arn + ":live");
  const std::string e2 = Start(arn);
  provider_->Run();
  EXPECT_EQ(Describe(e1)["output"], "1");
  EXPECT_EQ(Describe(e1)["stateMachineAliasArn"].as_string(), arn + ":live");
  EXPECT_EQ(Describe(e1)["stateMachineVersionArn"].as_string(), arn + ":1");
  EXPECT_EQ(Describe(e2)["output"], "2");
  EXPECT_EQ(Fails("DeleteStateMachineVersion", {{"stateMachineVersionArn", arn + ":1"}}).code,
            "ConflictException");
  Ok("states", "DeleteStateMachineAlias", {{"stateMachineAliasArn", arn + ":live"}});
  Ok("states", "DeleteStateMachineVersion", {{"stateMachineVersionArn", arn + ":1"}});
}

TEST_F(StatesTest, ExecutionNamesAreIdempotentAndListed) {
  const std::string arn =
      Create("idem", R"j({"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":10,"End":true}}})j");
  const std::string e = Start(arn, R"j({"a":1})j", "run1");
  EXPECT_EQ(e, "arn:aws:states:us-east-1:000000000000:execution:idem:run1");
  EXPECT_EQ(Start(arn, R"j({"a":1})j", "run1"), e);
  EXPECT_EQ(
      Fails("StartExecution", {{"stateMachineArn", arn}, {"name", "run1"}, {"input", R"j({"a":2})j"}}).code,
      "ExecutionAlreadyExists");
  EXPECT_EQ(Fails("StartExecution", {{"stateMachineArn", arn}, {"input", "{nope"}}).code,
            "InvalidExecutionInput");
  provider_->Run();
  EXPECT_EQ(Describe(e)["status"], "RUNNING");
  now_ += 10'000;
  provider_->Run();
  EXPECT_EQ(Describe(e)["status"], "SUCCEEDED");
  Start(arn, "{}", "run2");
  provider_->Run();
  json::object running =
      Ok("states", "ListExecutions", {{"stateMachineArn", arn}, {"statusFilter", "RUNNING"}});
  ASSERT_EQ(running["executions"].as_array().size(), 1u);
  EXPECT_EQ(running["executions"].as_array()[0].at("name"), "run2");
  EXPECT_EQ(Ok("states", "ListExecutions", {{"stateMachineArn", arn}})["executions"].as_array().size(), 2u);
  json::object stop = Ok("states", "StopExecution",
                         {{"executionArn", "arn:aws:states:us-east-1:000000000000:execution:idem:run2"},
                          {"error", "Why"},
                          {"cause", "test"}});
  json::object d = Describe("arn:aws:states:us-east-1:000000000000:execution:idem:run2");
  EXPECT_EQ(d["status"], "ABORTED");
  EXPECT_EQ(d["error"], "Why");
  EXPECT_EQ(d["redriveStatus"], "REDRIVABLE");
  EXPECT_EQ(History("arn:aws:states:us-east-1:000000000000:execution:idem:run2").back(), "ExecutionAborted");
  EXPECT_EQ(Fails("DescribeExecution",
                  {{"executionArn", "arn:aws:states:us-east-1:000000000000:execution:idem:zz"}})
                .code,
            "ExecutionDoesNotExist");
}

TEST_F(StatesTest, WaitSurvivesRestartAndHistoryPages) {
  const std::string arn = Create("durable", R"j({"StartAt":"A","States":{
      "A":{"Type":"Pass","Next":"W"},"W":{"Type":"Wait","Seconds":3600,"Next":"B"},"B":{"Type":"Pass","End":true}}})j");
  const std::string e = Start(arn, R"j({"x":1})j");
  provider_->Run();
  EXPECT_EQ(Describe(e)["status"], "RUNNING");
  Open();  // a restart: the Wait's timer is rebuilt from the store
  now_ += 3'599'000;
  EXPECT_EQ(provider_->Run(), 1u);
  EXPECT_EQ(Describe(e)["status"], "RUNNING");
  now_ += 1'000;
  EXPECT_EQ(provider_->Run(), 0u);
  json::object d = Describe(e);
  EXPECT_EQ(d["status"], "SUCCEEDED");
  EXPECT_EQ(d["output"], R"j({"x":1})j");
  json::object meta =
      Ok("states", "DescribeExecution", {{"executionArn", e}, {"includedData", "METADATA_ONLY"}});
  EXPECT_FALSE(meta.contains("output"));
  EXPECT_EQ(meta["inputDetails"].at("included"), false);
  EXPECT_EQ(History(e), (std::vector<std::string>{"ExecutionStarted", "PassStateEntered", "PassStateExited",
                                                  "WaitStateEntered", "WaitStateExited", "PassStateEntered",
                                                  "PassStateExited", "ExecutionSucceeded"}));
  json::object page =
      Ok("states", "GetExecutionHistory", {{"executionArn", e}, {"maxResults", 3}, {"reverseOrder", true}});
  ASSERT_EQ(page["events"].as_array().size(), 3u);
  EXPECT_EQ(page["events"].as_array()[0].at("type"), "ExecutionSucceeded");
  EXPECT_EQ(page["events"].as_array()[0].at("id").as_int64(), 8);
  page =
      Ok("states", "GetExecutionHistory",
         {{"executionArn", e}, {"maxResults", 3}, {"reverseOrder", true}, {"nextToken", page["nextToken"]}});
  EXPECT_EQ(page["events"].as_array()[0].at("id").as_int64(), 5);
  json::object sm = Ok("states", "DescribeStateMachineForExecution", {{"executionArn", e}});
  EXPECT_EQ(sm["name"], "durable");
}

TEST_F(StatesTest, SqsTaskAndTaskTokenAsTheRole) {
  Ok("sqs", "CreateQueue", {{"QueueName", "work"}});
  const std::string arn = Create("tok", R"j({"StartAt":"Send","States":{
      "Send":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken",
              "Parameters":{"QueueUrl":"http://localhost/000000000000/work","MessageBody":{"token.$":"$$.Task.Token","n.$":"$.n"}},
              "ResultPath":"$.reply","Next":"Done"},
      "Done":{"Type":"Succeed"}}})j");
  const std::string e = Start(arn, R"j({"n":42})j");
  provider_->Run();
  EXPECT_EQ(Describe(e)["status"], "RUNNING");
  json::object got = Ok("sqs", "ReceiveMessage", {{"QueueUrl", "http://localhost/000000000000/work"}});
  ASSERT_EQ(got["Messages"].as_array().size(), 1u);
  json::value body = json::parse(got["Messages"].as_array()[0].at("Body").as_string());
  EXPECT_EQ(body.at("n"), 42);
  const std::string token(body.at("token").as_string());
  // The SQS call was made as a session of the machine's role, by states.amazonaws.com.
  bool seen = false;
  for (const auto& c : harness_->recorder().calls()) {
    if (c.service == "sqs" && c.operation == "SendMessage") {
      seen = true;
      EXPECT_EQ(c.invoked_by, "states.amazonaws.com");
      EXPECT_NE(c.principal_arn.find("assumed-role/sfn/"), std::string::npos) << c.principal_arn;
    }
  }
  EXPECT_TRUE(seen);
  EXPECT_EQ(Fails("SendTaskSuccess", {{"taskToken", "garbage"}, {"output", "{}"}}).code, "InvalidToken");
  EXPECT_EQ(Fails("SendTaskSuccess", {{"taskToken", token}, {"output", "{bad"}}).code, "InvalidOutput");
  Ok("states", "SendTaskHeartbeat", {{"taskToken", token}});
  Open();  // the awaited token survives a restart
  Ok("states", "SendTaskSuccess", {{"taskToken", token}, {"output", R"j({"ok":true})j"}});
  provider_->Run();
  json::object d = Describe(e);
  EXPECT_EQ(d["status"], "SUCCEEDED");
  EXPECT_EQ(d["output"], R"j({"n":42,"reply":{"ok":true}})j");
  EXPECT_EQ(Fails("SendTaskSuccess", {{"taskToken", token}, {"output", "{}"}}).code, "TaskTimedOut");
  std::vector<std::string> h = History(e);
  EXPECT_NE(std::find(h.begin(), h.end(), "TaskSucceeded"), h.end());
}

TEST_F(StatesTest, FailedTaskRedrives) {
  const std::string arn = Create("redrive", R"j({"StartAt":"Send","States":{
      "Send":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage",
              "Parameters":{"QueueUrl":"http://localhost/000000000000/later","MessageBody":"hi"},"End":true}}})j");
  const std::string e = Start(arn);
  provider_->Run();
  json::object d = Describe(e);
  EXPECT_EQ(d["status"], "FAILED");
  EXPECT_EQ(d["error"], "SQS.QueueDoesNotExistException") << d["cause"];
  Ok("sqs", "CreateQueue", {{"QueueName", "later"}});
  Ok("states", "RedriveExecution", {{"executionArn", e}});
  provider_->Run();
  d = Describe(e);
  EXPECT_EQ(d["status"], "SUCCEEDED");
  EXPECT_EQ(d["redriveCount"], 1);
  EXPECT_EQ(Fails("RedriveExecution", {{"executionArn", e}}).code, "ExecutionNotRedrivable");
}

// Advances until no execution or Map Run is due at the current time (a round only takes what was due at its
// start: a Map Run's children start in the round after the run).
void RunUntilIdle(StatesProvider* provider) {
  for (int i = 0; i < 50; ++i) provider->Run();
}

TEST_F(StatesTest, DistributedMapRunsChildExecutionsDurably) {
  const std::string arn = Create("dist", R"j({"StartAt":"Each","States":{"Each":{
      "Type":"Map","Label":"Nap","MaxConcurrency":2,"ItemsPath":"$.items",
      "ItemSelector":{"n.$":"$$.Map.Item.Value","i.$":"$$.Map.Item.Index"},
      "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"W",
        "States":{"W":{"Type":"Wait","Seconds":10,"Next":"P"},
                  "P":{"Type":"Pass","Parameters":{"sum.$":"States.MathAdd($.n, $.i)"},"End":true}}},
      "End":true}}})j");
  const std::string e = Start(arn, R"j({"items":[10,20,30,40,50]})j");
  RunUntilIdle(provider_);
  json::object runs = Ok("states", "ListMapRuns", {{"executionArn", e}});
  ASSERT_EQ(runs["mapRuns"].as_array().size(), 1u);
  const std::string run(runs["mapRuns"].as_array()[0].at("mapRunArn").as_string());
  EXPECT_TRUE(run.starts_with("arn:aws:states:us-east-1:000000000000:mapRun:dist/Nap:")) << run;
  json::object m = Ok("states", "DescribeMapRun", {{"mapRunArn", run}});
  EXPECT_EQ(m["status"], "RUNNING");
  EXPECT_EQ(m["executionCounts"].at("running"), 2);
  EXPECT_EQ(m["executionCounts"].at("pending"), 3);
  EXPECT_EQ(m["itemCounts"].at("total"), 5);
  json::object kids = Ok("states", "ListExecutions", {{"mapRunArn", run}});
  ASSERT_EQ(kids["executions"].as_array().size(), 2u);
  const std::string kid(kids["executions"].as_array()[0].at("executionArn").as_string());
  EXPECT_TRUE(kid.starts_with("arn:aws:states:us-east-1:000000000000:execution:dist/Nap:")) << kid;
  EXPECT_EQ(Describe(kid)["mapRunArn"], json::value(run));
  EXPECT_EQ(Describe(kid)["stateMachineArn"], "arn:aws:states:us-east-1:000000000000:stateMachine:dist/Nap");
  // A restart in the middle: the run and its children continue from the store.
  Open();
  now_ += 10'000;
  RunUntilIdle(provider_);
  m = Ok("states", "DescribeMapRun", {{"mapRunArn", run}});
  EXPECT_EQ(m["executionCounts"].at("succeeded"), 2);
  EXPECT_EQ(m["executionCounts"].at("running"), 2);
  now_ += 10'000;
  RunUntilIdle(provider_);
  now_ += 10'000;
  RunUntilIdle(provider_);
  json::object d = Describe(e);
  ASSERT_EQ(d["status"], "SUCCEEDED") << d["cause"];
  EXPECT_EQ(json::parse(d["output"].as_string()),
            json::parse(R"j([{"sum":10},{"sum":21},{"sum":32},{"sum":43},{"sum":54}])j"));
  m = Ok("states", "DescribeMapRun", {{"mapRunArn", run}});
  EXPECT_EQ(m["status"], "SUCCEEDED");
  EXPECT_EQ(m["itemCounts"].at("succeeded"), 5);
  std::vector<std::string> h = History(e);
  for (const char* t : {"MapStateStarted", "MapRunStarted", "MapRunSucceeded", "MapStateSucceeded"}) {
    EXPECT_NE(std::find(h.begin(), h.end(), t), h.end()) << t;
  }
  EXPECT_EQ(std::find(h.begin(), h.end(), "MapIterationStarted"), h.end());
  // The children are not executions of the parent's machine.
  EXPECT_EQ(Ok("states", "ListExecutions", {{"stateMachineArn", arn}})["executions"].as_array().size(), 1u);
  // UpdateMapRun: validation, then a change DescribeMapRun shows.
  EXPECT_EQ(Fails("UpdateMapRun", {{"mapRunArn", run}}).code, "ValidationException");
  EXPECT_EQ(Fails("UpdateMapRun", {{"mapRunArn", run}, {"toleratedFailurePercentage", 101}}).code,
            "ValidationException");
  Ok("states", "UpdateMapRun", {{"mapRunArn", run}, {"maxConcurrency", 7}});
  EXPECT_EQ(Ok("states", "DescribeMapRun", {{"mapRunArn", run}})["maxConcurrency"], 7);
  EXPECT_EQ(
      Fails("DescribeMapRun", {{"mapRunArn", "arn:aws:states:us-east-1:000000000000:mapRun:x/y:z"}}).code,
      "ResourceNotFound");
  EXPECT_EQ(Fails("DescribeMapRun", {{"mapRunArn", "nope"}}).code, "InvalidArn");
  EXPECT_EQ(Fails("ListExecutions", {}).code, "ValidationException");
}

TEST_F(StatesTest, MapRunToleratesFailuresAndRedrives) {
  // Items whose queue does not exist fail; one is tolerated, two are not.
  const std::string arn = Create("dist-fail", R"j({"StartAt":"Each","States":{"Each":{
      "Type":"Map","ToleratedFailureCount":1,
      "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"Send",
        "States":{"Send":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage",
          "Parameters":{"QueueUrl.$":"States.Format('http://localhost/000000000000/{}', $)","MessageBody":"hi"},
          "ResultSelector":{"ok":true},"End":true}}},
      "End":true}}})j");
  Ok("sqs", "CreateQueue", {{"QueueName", "a"}});
  const std::string one = Start(arn, R"j(["a","missing1","a"])j");
  RunUntilIdle(provider_);
  json::object d = Describe(one);
  EXPECT_EQ(d["status"], "SUCCEEDED") << d["cause"];
  EXPECT_EQ(json::parse(d["output"].as_string()), json::parse(R"j([{"ok":true},null,{"ok":true}])j"));
  const std::string two = Start(arn, R"j(["a","missing1","missing2"])j");
  RunUntilIdle(provider_);
  d = Describe(two);
  EXPECT_EQ(d["status"], "FAILED");
  EXPECT_EQ(d["error"], "States.ExceedToleratedFailureThreshold");
  std::vector<std::string> h = History(two);
  EXPECT_NE(std::find(h.begin(), h.end(), "MapRunFailed"), h.end());
  const std::string run(Ok("states", "ListMapRuns", {{"executionArn", two}})["mapRuns"]
                            .as_array()[0]
                            .at("mapRunArn")
                            .as_string());
  EXPECT_EQ(Ok("states", "DescribeMapRun", {{"mapRunArn", run}})["status"], "FAILED");
  // Redriving the parent redrives its Map Run: only the failed items run again.
  Ok("sqs", "CreateQueue", {{"QueueName", "missing1"}});
  Ok("sqs", "CreateQueue", {{"QueueName", "missing2"}});
  Ok("states", "RedriveExecution", {{"executionArn", two}});
  RunUntilIdle(provider_);
  d = Describe(two);
  EXPECT_EQ(d["status"], "SUCCEEDED") << d["cause"];
  h = History(two);
  EXPECT_NE(std::find(h.begin(), h.end(), "MapRunRedriven"), h.end());
  json::object m = Ok("states", "DescribeMapRun", {{"mapRunArn", run}});
  EXPECT_EQ(m["status"], "SUCCEEDED");
  EXPECT_EQ(m["redriveCount"], 1);
  EXPECT_EQ(Ok("states", "ListMapRuns", {{"executionArn", two}})["mapRuns"].as_array().size(), 1u);
  // The failed Standard children were redriven in place (the succeeded one was not run again).
  json::array kids = Ok("states", "ListExecutions", {{"mapRunArn", run}})["executions"].as_array();
  ASSERT_EQ(kids.size(), 3u);
  int redriven = 0;
  for (const auto& k : kids) {
    json::object kd = Describe(std::string(k.at("executionArn").as_string()));
    EXPECT_EQ(kd["status"], "SUCCEEDED");
    if (kd["redriveCount"] == 1) ++redriven;
  }
  EXPECT_EQ(redriven, 2);
}

TEST_F(StatesTest, ExpressSyncAndSdkIntegration) {
  Ok("sqs", "CreateQueue", {{"QueueName", "q1"}});
  const std::string arn = Create("express", R"j({"StartAt":"L","States":{
      "L":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:sqs:listQueues","Parameters":{},
           "ResultSelector":{"n.$":"States.ArrayLength($.QueueUrls)"},"Next":"Bad"},
      "Bad":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:sqs:getQueueUrl","Parameters":{"QueueName":"nope"},
             "Catch":[{"ErrorEquals":["Sqs.QueueDoesNotExistException"],"ResultPath":"$.caught","Next":"End"}],"End":true},
      "End":{"Type":"Pass","End":true}}})j",
                                 "EXPRESS");
  json::object r = Ok("states", "StartSyncExecution", {{"stateMachineArn", arn}, {"input", "{}"}});
  EXPECT_EQ(r["status"], "SUCCEEDED") << r["error"] << r["cause"];
  json::value out = json::parse(r["output"].as_string());
  EXPECT_EQ(out.at("n"), 1);
  EXPECT_EQ(out.at("caught").at("Error"), "Sqs.QueueDoesNotExistException");
  const std::string std_arn = Create("std", R"j({"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}})j");
  EXPECT_EQ(Fails("StartSyncExecution", {{"stateMachineArn", std_arn}}).code, "StateMachineTypeNotSupported");
}

TEST_F(StatesTest, ATaskStopsItsOwnExecutionWithoutDeadlock) {
  const std::string arn = Create("selfstop", R"j({"StartAt":"Stop","States":{
      "Stop":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:sfn:stopExecution",
              "Parameters":{"ExecutionArn.$":"$$.Execution.Id","Error":"Self","Cause":"stopped by itself"},"Next":"W"},
      "W":{"Type":"Wait","Seconds":100,"End":true}}})j");
  const std::string e = Start(arn);
  provider_->Run();  // the task's StopExecution is recorded, then applied by the next advance
  provider_->Run();
  json::object d = Describe(e);
  EXPECT_EQ(d["status"], "ABORTED");
  EXPECT_EQ(d["error"], "Self");
  EXPECT_EQ(History(e).back(), "ExecutionAborted");
}

TEST_F(StatesTest, TestStateRunsOneState) {
  json::object r =
      Ok("states", "TestState",
         {{"definition", R"j({"Type":"Pass","Parameters":{"v.$":"$.a"},"ResultPath":"$.r","Next":"Later"})j"},
          {"roleArn", kRole},
          {"input", R"j({"a":5})j"},
          {"inspectionLevel", "DEBUG"}});
  EXPECT_EQ(r["status"], "SUCCEEDED");
  EXPECT_EQ(r["nextState"], "Later");
  EXPECT_EQ(r["output"], R"j({"a":5,"r":{"v":5}})j");
  EXPECT_EQ(r["inspectionData"].at("afterParameters"), R"j({"v":5})j");
  r = Ok(
      "states", "TestState",
      {{"definition", R"j({"Type":"Fail","Error":"E","Cause":"C"})j"}, {"roleArn", kRole}, {"input", "{}"}});
  EXPECT_EQ(r["status"], "FAILED");
  EXPECT_EQ(r["error"], "E");
}

TEST(StatesCoverage, DocMatchesProvider) {
  std::ifstream in(std::string(CENOTE_SOURCE_DIR) + "/docs/states-coverage.md");
  ASSERT_TRUE(in.good()) << "run: python3 src/services/states/gen_coverage.py";
  std::stringstream ss;
  ss << in.rdbuf();
  for (auto op : StatesProvider::SupportedOperations()) {
    EXPECT_NE(ss.str().find("| " + std::string(op) + " | supported |"), std::string::npos) << op;
  }
  for (const auto& e : {errors::kExecutionDoesNotExist, errors::kInvalidDefinition, errors::kTaskTimedOut}) {
    EXPECT_NE(ss.str().find(e.code), std::string::npos) << e.code;
  }
}

}  // namespace
}  // namespace cenote::states
