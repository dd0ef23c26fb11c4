// LogsProvider called through a real request pipeline (ProviderHarness) over a real SQLite store in a temp
// dir, with an injectable clock and a stand-in Kinesis that records what subscriptions deliver.
#include "services/logs/logs_provider.hpp"
#include "test_engine.hpp"

#include <gtest/gtest.h>

#if defined(__GNUC__) && !defined(__clang__)
// GCC 12 reports a false -Wrestrict on `"x" + std::string + ...` (GCC bug 105329).
#pragma GCC diagnostic ignored "-Wrestrict"
#endif
#include <zlib.h>

#include <boost/json.hpp>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "../../store/temp_dir.hpp"
#include "../fresh_schema_check.hpp"
#include "../provider_harness.hpp"
#include "common/encoding.hpp"
#include "common/mutex.hpp"
#include "services/logs/errors.hpp"

namespace cenote::logs {
namespace {

namespace json = boost::json;
using store::testing::TempDir;

constexpr std::int64_t kNow = 1'700'000'000'000;

// Records PutRecord calls; refuses them while `refuse` is set.
class FakeKinesis final : public aws::Provider {
 public:
  std::string_view service() const override { return "kinesis"; }
  bool Implements(std::string_view op) const override { return op == "PutRecord"; }
  Result<aws::OperationOutput> Invoke(const aws::RequestContext& ctx, std::string_view,
                                      aws::OperationInput& in) override {
    MutexLock lock(mu_);
    if (refuse_) return MakeError("ResourceNotFoundException", "Stream not found.", 400);
    records_.push_back(std::string(in.params.as_object().at("Data").as_string()));
    principals_.push_back(ctx.principal.arn);
    return json::object{{"ShardId", "shardId-000000000000"}, {"SequenceNumber", "1"}};
  }
  std::vector<std::string> records() const {
    MutexLock lock(mu_);
    return records_;
  }
  std::vector<std::string> principals() const {
    MutexLock lock(mu_);
    return principals_;
  }
  void set_refuse(bool refuse) {
    MutexLock lock(mu_);
    refuse_ = refuse;
  }

 private:
  mutable Mutex mu_;
  std::vector<std::string> records_ GUARDED_BY(mu_);
  std::vector<std::string> principals_ GUARDED_BY(mu_);
  bool refuse_ GUARDED_BY(mu_) = false;
};

// Records Invoke calls (Lambda does not exist in Cenote yet; deliveries must plug into it when it does).
class FakeLambda final : public aws::Provider {
 public:
  std::string_view service() const override { return "lambda"; }
  bool Implements(std::string_view op) const override { return op == "Invoke"; }
  Result<aws::OperationOutput> Invoke(const aws::RequestContext& ctx, std::string_view,
                                      aws::OperationInput& in) override {
    MutexLock lock(mu_);
    calls_.push_back(in.params.as_object());
    principals_.push_back(ctx.principal.arn + " " + ctx.source_arn);
    return json::object{{"StatusCode", 202}};
  }
  std::vector<json::object> calls() const {
    MutexLock lock(mu_);
    return calls_;
  }
  std::vector<std::string> principals() const {
    MutexLock lock(mu_);
    return principals_;
  }

 private:
  mutable Mutex mu_;
  std::vector<json::object> calls_ GUARDED_BY(mu_);
  std::vector<std::string> principals_ GUARDED_BY(mu_);
};

std::string Gunzip(const std::string& gz) {
  z_stream zs{};
  inflateInit2(&zs, 15 + 16);
  std::string out(1 << 20, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  zs.avail_in = static_cast<uInt>(gz.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  inflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  inflateEnd(&zs);
  return out;
}

class LogsTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open() {
    harness_.reset();
    provider_ = nullptr;
    store_.reset();
    auto md = store::MetadataStore::OpenSqlite(dir_ / "logs.db");
    ASSERT_TRUE(md.ok());
    store_ = std::move(md).value();
    harness_ = std::make_unique<testing::ProviderHarness>();
    LogsOptions options;
    options.clock = [this] { return now_.load(); };
    options.day_ms = day_ms_;
    options.maintenance_interval_ms = 0;
    options.invoker = &harness_->invoker();
    options.engine = []() -> Result<query::QueryEngine*> { return TestEngine::Get().engine.get(); };
    options.scratch_dir = TestEngine::Get().scratch();
    auto p = LogsProvider::Open(*store_, tasks_, options);
    ASSERT_TRUE(p.ok()) << p.error().message;
    provider_ = p->get();
    harness_->Register(std::move(p).value());
    auto kinesis = std::make_unique<FakeKinesis>();
    kinesis_ = kinesis.get();
    harness_->Register(std::move(kinesis));
    auto lambda = std::make_unique<FakeLambda>();
    lambda_ = lambda.get();
    harness_->Register(std::move(lambda));
  }

  Result<aws::OperationOutput> Call(std::string_view op, json::object params) {
    return harness_->Call("logs", op, std::move(params));
  }
  json::object Ok(std::string_view op, json::object params) {
    auto out = Call(op, std::move(params));
    EXPECT_TRUE(out.ok()) << op << ": " << (out.ok() ? "" : out.error().code + " " + out.error().message);
    return out.ok() ? out->result.as_object() : json::object{};
  }
  std::string ErrorCode(std::string_view op, json::object params) {
    auto out = Call(op, std::move(params));
    return out.ok() ? "" : out.error().code;
  }
  void Group(const std::string& name) { Ok("CreateLogGroup", {{"logGroupName", name}}); }
  void Stream(const std::string& group, const std::string& name) {
    Ok("CreateLogStream", {{"logGroupName", group}, {"logStreamName", name}});
  }
  json::object Put(const std::string& group, const std::string& stream,
                   std::vector<std::pair<std::int64_t, std::string>> events) {
    json::array list;
    for (auto& [ts, m] : events) list.push_back(json::object{{"timestamp", ts}, {"message", m}});
    return Ok("PutLogEvents", {{"logGroupName", group}, {"logStreamName", stream}, {"logEvents", list}});
  }

  TempDir dir_;
  std::atomic<std::int64_t> now_{kNow};
  std::int64_t day_ms_ = 86'400'000;
  BackgroundTasks tasks_;
  std::unique_ptr<store::MetadataStore> store_;
  std::unique_ptr<testing::ProviderHarness> harness_;
  LogsProvider* provider_ = nullptr;
  FakeKinesis* kinesis_ = nullptr;
  FakeLambda* lambda_ = nullptr;
};

TEST_F(LogsTest, LogGroups) {
  Ok("CreateLogGroup", {{"logGroupName", "/app/web"},
                        {"tags", json::object{{"team", "a"}}},
                        {"kmsKeyId", "arn:aws:kms:us-east-1:000000000000:key/k"},
                        {"logGroupClass", "INFREQUENT_ACCESS"}});
  Group("/app/worker");
  Group("/other");
  EXPECT_EQ(ErrorCode("CreateLogGroup", {{"logGroupName", "/other"}}), "ResourceAlreadyExistsException");
  auto all = Ok("DescribeLogGroups", {});
  ASSERT_EQ(all["logGroups"].as_array().size(), 3u);
  const auto& web = all["logGroups"].as_array()[0].as_object();
  EXPECT_EQ(web.at("logGroupName"), "/app/web");
  EXPECT_EQ(web.at("arn"), "arn:aws:logs:us-east-1:000000000000:log-group:/app/web:*");
  EXPECT_EQ(web.at("logGroupArn"), "arn:aws:logs:us-east-1:000000000000:log-group:/app/web");
  EXPECT_EQ(web.at("kmsKeyId"), "arn:aws:kms:us-east-1:000000000000:key/k");
  EXPECT_EQ(web.at("logGroupClass"), "INFREQUENT_ACCESS");
  EXPECT_EQ(web.at("creationTime"), kNow);
  EXPECT_EQ(Ok("DescribeLogGroups", {{"logGroupNamePrefix", "/app/"}})["logGroups"].as_array().size(), 2u);
  EXPECT_EQ(Ok("DescribeLogGroups", {{"logGroupNamePattern", "WORK"}})["logGroups"].as_array().size(), 1u);
  // Paging.
  auto page1 = Ok("DescribeLogGroups", {{"limit", 2}});
  ASSERT_EQ(page1["logGroups"].as_array().size(), 2u);
  ASSERT_TRUE(page1.contains("nextToken"));
  auto page2 = Ok("DescribeLogGroups", {{"limit", 2}, {"nextToken", page1["nextToken"]}});
  ASSERT_EQ(page2["logGroups"].as_array().size(), 1u);
  EXPECT_EQ(page2["logGroups"].as_array()[0].as_object().at("logGroupName"), "/other");
  EXPECT_FALSE(page2.contains("nextToken"));
  // Retention: AWS's values only.
  EXPECT_EQ(ErrorCode("PutRetentionPolicy", {{"logGroupName", "/other"}, {"retentionInDays", 2}}),
            "InvalidParameterException");
  Ok("PutRetentionPolicy", {{"logGroupName", "/other"}, {"retentionInDays", 14}});
  auto other = Ok("DescribeLogGroups", {{"logGroupNamePrefix", "/other"}});
  EXPECT_EQ(other["logGroups"].as_array()[0].as_object().at("retentionInDays"), 14);
  Ok("DeleteRetentionPolicy", {{"logGroupName", "/other"}});
  other = Ok("DescribeLogGroups", {{"logGroupNamePrefix", "/other"}});
  EXPECT_FALSE(other["logGroups"].as_array()[0].as_object().contains("retentionInDays"));
  // Tags, both APIs.
  const std::string arn = "arn:aws:logs:us-east-1:000000000000:log-group:/app/web";
  Ok("TagResource", {{"resourceArn", arn}, {"tags", json::object{{"env", "prod"}}}});
  EXPECT_EQ(Ok("ListTagsForResource", {{"resourceArn", arn}})["tags"],
            (json::object{{"env", "prod"}, {"team", "a"}}));
  Ok("UntagResource", {{"resourceArn", arn}, {"tagKeys", json::array{"team"}}});
  EXPECT_EQ(Ok("ListTagsLogGroup", {{"logGroupName", "/app/web"}})["tags"], (json::object{{"env", "prod"}}));
  Ok("TagLogGroup", {{"logGroupName", "/app/web"}, {"tags", json::object{{"x", "1"}}}});
  Ok("UntagLogGroup", {{"logGroupName", "/app/web"}, {"tags", json::array{"env"}}});
  EXPECT_EQ(Ok("ListTagsLogGroup", {{"logGroupName", "/app/web"}})["tags"], (json::object{{"x", "1"}}));
  json::object many;
  for (int i = 0; i < 51; ++i) many["k" + std::to_string(i)] = "v";
  // More than 50 in one call: the model's constraint (the pipeline's ValidationException); more than 50 on
  // the group after the call: TooManyTagsException.
  EXPECT_EQ(ErrorCode("TagResource", {{"resourceArn", arn}, {"tags", many}}), "ValidationException");
  many.erase("k50");
  EXPECT_EQ(ErrorCode("TagResource", {{"resourceArn", arn}, {"tags", many}}), "TooManyTagsException");
  Ok("DeleteLogGroup", {{"logGroupName", "/app/web"}});
  EXPECT_EQ(ErrorCode("DeleteLogGroup", {{"logGroupName", "/app/web"}}), "ResourceNotFoundException");
  // A group in another region is another group.
  auto elsewhere = harness_->Call("logs", "DescribeLogGroups", {}, "eu-west-1");
  ASSERT_TRUE(elsewhere.ok());
  EXPECT_TRUE(elsewhere->result.as_object().at("logGroups").as_array().empty());
}

TEST_F(LogsTest, LogStreams) {
  Group("g");
  Stream("g", "b");
  Stream("g", "a");
  Stream("g", "c");
  EXPECT_EQ(ErrorCode("CreateLogStream", {{"logGroupName", "g"}, {"logStreamName", "a"}}),
            "ResourceAlreadyExistsException");
  EXPECT_EQ(ErrorCode("CreateLogStream", {{"logGroupName", "nope"}, {"logStreamName", "a"}}),
            "ResourceNotFoundException");
  Put("g", "c", {{kNow - 3000, "one"}});
  Put("g", "a", {{kNow - 1000, "two"}, {kNow - 500, "three"}});
  auto by_name = Ok("DescribeLogStreams", {{"logGroupName", "g"}});
  const auto& s = by_name["logStreams"].as_array();
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].as_object().at("logStreamName"), "a");
  EXPECT_EQ(s[0].as_object().at("firstEventTimestamp"), kNow - 1000);
  EXPECT_EQ(s[0].as_object().at("lastEventTimestamp"), kNow - 500);
  EXPECT_EQ(s[0].as_object().at("lastIngestionTime"), kNow);
  EXPECT_EQ(s[0].as_object().at("storedBytes"), 8);
  EXPECT_EQ(s[0].as_object().at("arn"), "arn:aws:logs:us-east-1:000000000000:log-group:g:log-stream:a");
  EXPECT_FALSE(s[1].as_object().contains("firstEventTimestamp"));
  auto by_time =
      Ok("DescribeLogStreams", {{"logGroupName", "g"}, {"orderBy", "LastEventTime"}, {"descending", true}});
  EXPECT_EQ(by_time["logStreams"].as_array()[0].as_object().at("logStreamName"), "a");
  EXPECT_EQ(by_time["logStreams"].as_array()[1].as_object().at("logStreamName"), "c");
  auto prefixed =
      Ok("DescribeLogStreams", {{"logGroupIdentifier", "arn:aws:logs:us-east-1:000000000000:log-group:g"},
                                {"logStreamNamePrefix", "b"}});
  EXPECT_EQ(prefixed["logStreams"].as_array().size(), 1u);
  auto page = Ok("DescribeLogStreams", {{"logGroupName", "g"}, {"limit", 2}});
  ASSERT_TRUE(page.contains("nextToken"));
  auto rest =
      Ok("DescribeLogStreams", {{"logGroupName", "g"}, {"limit", 2}, {"nextToken", page["nextToken"]}});
  EXPECT_EQ(rest["logStreams"].as_array().size(), 1u);
  Ok("DeleteLogStream", {{"logGroupName", "g"}, {"logStreamName", "a"}});
  EXPECT_EQ(ErrorCode("GetLogEvents", {{"logGroupName", "g"}, {"logStreamName", "a"}}),
            "ResourceNotFoundException");
}

TEST_F(LogsTest, PutLogEventsRules) {
  Group("g");
  Stream("g", "s");
  json::array unordered{json::object{{"timestamp", kNow}, {"message", "b"}},
                        json::object{{"timestamp", kNow - 1}, {"message", "a"}}};
  auto out = Call("PutLogEvents", {{"logGroupName", "g"}, {"logStreamName", "s"}, {"logEvents", unordered}});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code, "InvalidParameterException");
  EXPECT_EQ(out.error().message,
            "Log events in a single PutLogEvents request must be in chronological order.");
  // 1,048,576 bytes counting 26 per event.
  json::array big;
  const std::string chunk(100'000, 'x');
  for (int i = 0; i < 10; ++i) big.push_back(json::object{{"timestamp", kNow}, {"message", chunk}});
  EXPECT_TRUE(Call("PutLogEvents", {{"logGroupName", "g"}, {"logStreamName", "s"}, {"logEvents", big}}).ok());
  big.push_back(json::object{{"timestamp", kNow}, {"message", std::string(48'576 - 11 * 26 + 1, 'y')}});
  EXPECT_EQ(ErrorCode("PutLogEvents", {{"logGroupName", "g"}, {"logStreamName", "s"}, {"logEvents", big}}),
            "InvalidParameterException");
  // A span over 24 hours.
  EXPECT_EQ(ErrorCode("PutLogEvents",
                      {{"logGroupName", "g"},
                       {"logStreamName", "s"},
                       {"logEvents",
                        json::array{json::object{{"timestamp", kNow - 25 * 3'600'000ll}, {"message", "a"}},
                                    json::object{{"timestamp", kNow}, {"message", "b"}}}}}),
            "InvalidParameterException");
  // Too old, expired and too new events are rejected by index; the rest stored.
  Ok("PutRetentionPolicy", {{"logGroupName", "g"}, {"retentionInDays", 7}});
  auto mixed = Put("g", "s",
                   {{kNow - 15 * 86'400'000ll, "too old"},
                    {kNow - 8 * 86'400'000ll, "expired"},
                    {kNow - 2 * 86'400'000ll, "ok 1"},
                    {kNow - 86'400'000ll - 1000, "ok 2"},
                    {kNow + 3 * 3'600'000ll, "too new"}});
  // (The two stored events are within 24 hours of each other.)
  ASSERT_TRUE(mixed.contains("rejectedLogEventsInfo"));
  const auto& info = mixed["rejectedLogEventsInfo"].as_object();
  EXPECT_EQ(info.at("tooOldLogEventEndIndex"), 0);
  EXPECT_EQ(info.at("expiredLogEventEndIndex"), 1);
  EXPECT_EQ(info.at("tooNewLogEventStartIndex"), 4);
  EXPECT_TRUE(mixed.contains("nextSequenceToken"));
  auto filtered = Ok("FilterLogEvents", {{"logGroupName", "g"}, {"filterPattern", "ok"}});
  EXPECT_EQ(filtered["events"].as_array().size(), 2u);
  // Sequence tokens are accepted and ignored.
  json::array one{json::object{{"timestamp", kNow}, {"message", "z"}}};
  EXPECT_TRUE(
      Call("PutLogEvents",
           {{"logGroupName", "g"}, {"logStreamName", "s"}, {"logEvents", one}, {"sequenceToken", "bogus"}})
          .ok());
  EXPECT_EQ(ErrorCode("PutLogEvents", {{"logGroupName", "g"}, {"logStreamName", "none"}, {"logEvents", one}}),
            "ResourceNotFoundException");
}

TEST_F(LogsTest, GetLogEventsPaging) {
  Group("g");
  Stream("g", "s");
  std::vector<std::pair<std::int64_t, std::string>> events;
  for (int i = 0; i < 25; ++i) events.emplace_back(kNow - 100'000 + i * 1000, "e" + std::to_string(i));
  Put("g", "s", events);
  // Default: the newest page, oldest first within it.
  auto last = Ok("GetLogEvents", {{"logGroupName", "g"}, {"logStreamName", "s"}, {"limit", 10}});
  ASSERT_EQ(last["events"].as_array().size(), 10u);
  EXPECT_EQ(last["events"].as_array()[0].as_object().at("message"), "e15");
  EXPECT_EQ(last["events"].as_array()[9].as_object().at("message"), "e24");
  EXPECT_TRUE(last["nextForwardToken"].as_string().starts_with("f/"));
  EXPECT_TRUE(last["nextBackwardToken"].as_string().starts_with("b/"));
  EXPECT_EQ(last["nextForwardToken"].as_string().size(), 58u);
  // Backward pages until the start, where the token comes back unchanged.
  json::string back = last["nextBackwardToken"].as_string();
  auto b1 =
      Ok("GetLogEvents", {{"logGroupName", "g"}, {"logStreamName", "s"}, {"limit", 10}, {"nextToken", back}});
  EXPECT_EQ(b1["events"].as_array()[0].as_object().at("message"), "e5");
  auto b2 = Ok(
      "GetLogEvents",
      {{"logGroupName", "g"}, {"logStreamName", "s"}, {"limit", 10}, {"nextToken", b1["nextBackwardToken"]}});
  ASSERT_EQ(b2["events"].as_array().size(), 5u);
  auto b3 = Ok(
      "GetLogEvents",
      {{"logGroupName", "g"}, {"logStreamName", "s"}, {"limit", 10}, {"nextToken", b2["nextBackwardToken"]}});
  EXPECT_TRUE(b3["events"].as_array().empty());
  EXPECT_EQ(b3["nextBackwardToken"], b2["nextBackwardToken"]);
  // Forward from the head, to the end: the same token at the end (the CLI's stop rule).
  std::vector<std::string> seen;
  json::value token;
  for (int round = 0; round < 10; ++round) {
    json::object p{{"logGroupName", "g"}, {"logStreamName", "s"}, {"limit", 7}, {"startFromHead", true}};
    if (!token.is_null()) p["nextToken"] = token;
    auto page = Ok("GetLogEvents", p);
    for (const auto& e : page["events"].as_array())
      seen.emplace_back(e.as_object().at("message").as_string());
    if (!token.is_null() && page["nextForwardToken"] == token) break;
    token = page["nextForwardToken"];
  }
  ASSERT_EQ(seen.size(), 25u);
  EXPECT_EQ(seen.front(), "e0");
  EXPECT_EQ(seen.back(), "e24");
  // New events appear after the end token.
  Put("g", "s", {{kNow, "late"}});
  auto more = Ok("GetLogEvents", {{"logGroupName", "g"}, {"logStreamName", "s"}, {"nextToken", token}});
  ASSERT_EQ(more["events"].as_array().size(), 1u);
  EXPECT_EQ(more["events"].as_array()[0].as_object().at("message"), "late");
  // Time range: start inclusive, end exclusive.
  auto range = Ok("GetLogEvents", {{"logGroupName", "g"},
                                   {"logStreamName", "s"},
                                   {"startTime", kNow - 100'000},
                                   {"endTime", kNow - 97'000},
                                   {"startFromHead", true}});
  EXPECT_EQ(range["events"].as_array().size(), 3u);
  EXPECT_EQ(ErrorCode("GetLogEvents", {{"logGroupName", "g"}, {"logStreamName", "s"}, {"nextToken", "junk"}}),
            "InvalidParameterException");
}

TEST_F(LogsTest, FilterLogEvents) {
  Group("g");
  Stream("g", "web-1");
  Stream("g", "web-2");
  Stream("g", "db");
  Put("g", "web-1",
      {{kNow - 5000, R"({"status":200,"path":"/a"})"}, {kNow - 3000, R"({"status":500,"path":"/b"})"}});
  Put("g", "web-2", {{kNow - 4000, R"({"status":404,"path":"/c"})"}});
  Put("g", "db", {{kNow - 2000, "ERROR deadlock"}, {kNow - 1000, "INFO ok"}});
  auto all = Ok("FilterLogEvents", {{"logGroupName", "g"}});
  const auto& events = all["events"].as_array();
  ASSERT_EQ(events.size(), 5u);
  // Interleaved in time order across streams.
  EXPECT_EQ(events[0].as_object().at("logStreamName"), "web-1");
  EXPECT_EQ(events[1].as_object().at("logStreamName"), "web-2");
  EXPECT_EQ(events[0].as_object().at("eventId").as_string().size(), 56u);
  EXPECT_FALSE(all.contains("nextToken"));
  EXPECT_EQ(Ok("FilterLogEvents", {{"logGroupName", "g"}, {"filterPattern", "{ $.status >= 400 }"}})["events"]
                .as_array()
                .size(),
            2u);
  EXPECT_EQ(
      Ok("FilterLogEvents", {{"logGroupName", "g"}, {"filterPattern", "ERROR"}})["events"].as_array().size(),
      1u);
  EXPECT_EQ(Ok("FilterLogEvents", {{"logGroupName", "g"}, {"logStreamNamePrefix", "web"}})["events"]
                .as_array()
                .size(),
            3u);
  EXPECT_EQ(
      Ok("FilterLogEvents", {{"logGroupName", "g"}, {"logStreamNames", json::array{"db", "web-2"}}})["events"]
          .as_array()
          .size(),
      3u);
  EXPECT_EQ(Ok("FilterLogEvents",
               {{"logGroupName", "g"}, {"startTime", kNow - 4000}, {"endTime", kNow - 2000}})["events"]
                .as_array()
                .size(),
            2u);
  EXPECT_EQ(ErrorCode("FilterLogEvents", {{"logGroupName", "g"}, {"filterPattern", "{ $.status = }"}}),
            "InvalidParameterException");
  EXPECT_EQ(
      ErrorCode("FilterLogEvents",
                {{"logGroupName", "g"}, {"logStreamNames", json::array{"db"}}, {"logStreamNamePrefix", "w"}}),
      "InvalidParameterException");
  // Paging: a token while more remain, none on the last page.
  std::vector<std::string> messages;
  json::value token;
  for (int round = 0; round < 10; ++round) {
    json::object p{{"logGroupName", "g"}, {"limit", 2}};
    if (!token.is_null()) p["nextToken"] = token;
    auto page = Ok("FilterLogEvents", p);
    for (const auto& e : page["events"].as_array())
      messages.emplace_back(e.as_object().at("message").as_string());
    if (!page.contains("nextToken")) break;
    token = page["nextToken"];
  }
  EXPECT_EQ(messages.size(), 5u);
  EXPECT_EQ(messages.back(), "INFO ok");
}

TEST_F(LogsTest, RetentionDeletesOldEvents) {
  day_ms_ = 1000;  // a "day" of one second, as --lifecycle-day-seconds 1
  Open();
  Group("g");
  Stream("g", "s");
  Put("g", "s", {{kNow - 500, "old"}, {kNow, "new"}});
  Ok("PutRetentionPolicy", {{"logGroupName", "g"}, {"retentionInDays", 1}});
  now_ += 700;  // the cutoff is now kNow - 300
  provider_->Maintain();
  auto left = Ok("GetLogEvents", {{"logGroupName", "g"}, {"logStreamName", "s"}, {"startFromHead", true}});
  ASSERT_EQ(left["events"].as_array().size(), 1u);
  EXPECT_EQ(left["events"].as_array()[0].as_object().at("message"), "new");
  auto streams = Ok("DescribeLogStreams", {{"logGroupName", "g"}});
  EXPECT_EQ(streams["logStreams"].as_array()[0].as_object().at("storedBytes"), 3);
  EXPECT_EQ(streams["logStreams"].as_array()[0].as_object().at("firstEventTimestamp"), kNow);
}

TEST_F(LogsTest, EventsSurviveReopen) {
  Group("g");
  Stream("g", "s");
  Put("g", "s", {{kNow, "durable"}});
  Open();
  auto out = Ok("GetLogEvents", {{"logGroupName", "g"}, {"logStreamName", "s"}});
  ASSERT_EQ(out["events"].as_array().size(), 1u);
  EXPECT_EQ(out["events"].as_array()[0].as_object().at("message"), "durable");
}

TEST_F(LogsTest, MetricFilters) {
  Group("g");
  EXPECT_EQ(
      ErrorCode(
          "PutMetricFilter",
          {{"logGroupName", "g"},
           {"filterName", "bad"},
           {"filterPattern", "{ $.x = "},
           {"metricTransformations",
            json::array{json::object{{"metricName", "m"}, {"metricNamespace", "n"}, {"metricValue", "1"}}}}}),
      "InvalidParameterException");
  Ok("PutMetricFilter", {{"logGroupName", "g"},
                         {"filterName", "errors"},
                         {"filterPattern", "ERROR"},
                         {"metricTransformations",
                          json::array{json::object{
                              {"metricName", "Errors"}, {"metricNamespace", "App"}, {"metricValue", "1"}}}}});
  auto d = Ok("DescribeMetricFilters", {{"logGroupName", "g"}});
  ASSERT_EQ(d["metricFilters"].as_array().size(), 1u);
  EXPECT_EQ(d["metricFilters"].as_array()[0].as_object().at("filterPattern"), "ERROR");
  EXPECT_EQ(
      Ok("DescribeMetricFilters", {{"metricName", "Errors"}, {"metricNamespace", "App"}})["metricFilters"]
          .as_array()
          .size(),
      1u);
  EXPECT_EQ(Ok("DescribeLogGroups", {})["logGroups"].as_array()[0].as_object().at("metricFilterCount"), 1);
  auto test =
      Ok("TestMetricFilter", {{"filterPattern", "[ip, user, status = 5*]"},
                              {"logEventMessages", json::array{"1.2.3.4 ann 500", "1.2.3.4 bob 200"}}});
  ASSERT_EQ(test["matches"].as_array().size(), 1u);
  const auto& m = test["matches"].as_array()[0].as_object();
  EXPECT_EQ(m.at("eventNumber"), 1);
  EXPECT_EQ(m.at("extractedValues").as_object().at("$user"), "ann");
  Ok("DeleteMetricFilter", {{"logGroupName", "g"}, {"filterName", "errors"}});
  EXPECT_EQ(ErrorCode("DeleteMetricFilter", {{"logGroupName", "g"}, {"filterName", "errors"}}),
            "ResourceNotFoundException");
}

TEST_F(LogsTest, SubscriptionFilterDeliversToKinesis) {
  Group("g");
  Stream("g", "s");
  const std::string stream_arn = "arn:aws:kinesis:us-east-1:000000000000:stream/logs";
  const std::string role = "arn:aws:iam::000000000000:role/CWLtoKinesis";
  // The destination refusing the test message fails the call.
  kinesis_->set_refuse(true);
  auto refused = Call("PutSubscriptionFilter", {{"logGroupName", "g"},
                                                {"filterName", "f"},
                                                {"filterPattern", ""},
                                                {"destinationArn", stream_arn},
                                                {"roleArn", role}});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "InvalidParameterException");
  kinesis_->set_refuse(false);
  EXPECT_EQ(ErrorCode("PutSubscriptionFilter", {{"logGroupName", "g"},
                                                {"filterName", "f"},
                                                {"filterPattern", ""},
                                                {"destinationArn", stream_arn}}),
            "InvalidParameterException");  // no role
  Ok("PutSubscriptionFilter", {{"logGroupName", "g"},
                               {"filterName", "f"},
                               {"filterPattern", "ERROR"},
                               {"destinationArn", stream_arn},
                               {"roleArn", role}});
  ASSERT_EQ(kinesis_->records().size(), 1u);
  const std::string control = Gunzip(kinesis_->records()[0]);
  EXPECT_NE(control.find("\"messageType\":\"CONTROL_MESSAGE\""), std::string::npos) << control;
  EXPECT_EQ(kinesis_->principals()[0],
            "arn:aws:sts::000000000000:assumed-role/CWLtoKinesis/CWLtoKinesisSession");
  Ok("PutSubscriptionFilter", {{"logGroupName", "g"},
                               {"filterName", "f2"},
                               {"filterPattern", ""},
                               {"destinationArn", stream_arn},
                               {"roleArn", role}});
  EXPECT_EQ(ErrorCode("PutSubscriptionFilter", {{"logGroupName", "g"},
                                                {"filterName", "f3"},
                                                {"filterPattern", ""},
                                                {"destinationArn", stream_arn},
                                                {"roleArn", role}}),
            "LimitExceededException");
  Ok("DeleteSubscriptionFilter", {{"logGroupName", "g"}, {"filterName", "f2"}});
  auto described = Ok("DescribeSubscriptionFilters", {{"logGroupName", "g"}});
  ASSERT_EQ(described["subscriptionFilters"].as_array().size(), 1u);
  EXPECT_EQ(described["subscriptionFilters"].as_array()[0].as_object().at("destinationArn").as_string(),
            stream_arn);

  ASSERT_EQ(kinesis_->records().size(), 2u);  // f2's test message
  Put("g", "s", {{kNow - 10, "ERROR one"}, {kNow - 5, "INFO two"}, {kNow, "ERROR three"}});
  EXPECT_EQ(kinesis_->records().size(), 2u);  // delivered by the background round, not the call
  // A refused delivery stays in the outbox and is retried.
  kinesis_->set_refuse(true);
  EXPECT_EQ(provider_->Maintain(), 1);
  kinesis_->set_refuse(false);
  now_ += 5000;
  EXPECT_EQ(provider_->Maintain(), 0);
  ASSERT_EQ(kinesis_->records().size(), 3u);
  auto data = json::parse(Gunzip(kinesis_->records()[2])).as_object();
  EXPECT_EQ(data["messageType"], "DATA_MESSAGE");
  EXPECT_EQ(data["owner"], "000000000000");
  EXPECT_EQ(data["logGroup"], "g");
  EXPECT_EQ(data["logStream"], "s");
  EXPECT_EQ(data["subscriptionFilters"], (json::array{"f"}));
  ASSERT_EQ(data["logEvents"].as_array().size(), 2u);
  EXPECT_EQ(data["logEvents"].as_array()[0].as_object().at("message"), "ERROR one");
  EXPECT_EQ(data["logEvents"].as_array()[1].as_object().at("timestamp"), kNow);
}

TEST_F(LogsTest, SubscriptionFilterInvokesLambda) {
  Group("g");
  Stream("g", "s");
  const std::string fn = "arn:aws:lambda:us-east-1:000000000000:function:handler";
  Ok("PutSubscriptionFilter",
     {{"logGroupName", "g"}, {"filterName", "to-lambda"}, {"filterPattern", ""}, {"destinationArn", fn}});
  Put("g", "s", {{kNow, "hello lambda"}});
  EXPECT_EQ(provider_->Maintain(), 0);
  auto calls = lambda_->calls();
  ASSERT_EQ(calls.size(), 2u);  // the DryRun permission check, then the data
  EXPECT_EQ(calls[0].at("InvocationType"), "DryRun");
  EXPECT_EQ(calls[1].at("FunctionName").as_string(), fn);
  EXPECT_EQ(calls[1].at("InvocationType"), "Event");
  auto payload = json::parse(calls[1].at("Payload").as_string()).as_object();
  auto gz = Base64Decode(payload.at("awslogs").as_object().at("data").as_string());
  ASSERT_TRUE(gz.has_value());
  auto data = json::parse(Gunzip(*gz)).as_object();
  EXPECT_EQ(data["messageType"], "DATA_MESSAGE");
  EXPECT_EQ(data["logEvents"].as_array()[0].as_object().at("message"), "hello lambda");
  EXPECT_EQ(json::value(lambda_->principals()[0]),
            json::value("logs.amazonaws.com arn:aws:logs:us-east-1:000000000000:log-group:g:*"));
  EXPECT_EQ(json::value(lambda_->principals()[1]),
            json::value("logs.amazonaws.com arn:aws:logs:us-east-1:000000000000:log-group:g:*"));
}

TEST_F(LogsTest, InsightsQueries) {
  Group("g");
  Stream("g", "s");
  Put("g", "s",
      {{kNow - 120'000, R"({"level":"ERROR","ms":5})"},
       {kNow - 60'000, R"({"level":"INFO","ms":7})"},
       {kNow - 59'000, R"({"level":"ERROR","ms":9})"}});
  EXPECT_EQ(ErrorCode("StartQuery", {{"logGroupName", "g"},
                                     {"startTime", kNow / 1000 - 3600},
                                     {"endTime", kNow / 1000},
                                     {"queryString", "stats bogus("}}),
            "MalformedQueryException");
  EXPECT_EQ(ErrorCode("StartQuery", {{"logGroupName", "nope"},
                                     {"startTime", 0},
                                     {"endTime", kNow / 1000},
                                     {"queryString", "fields @message"}}),
            "ResourceNotFoundException");
  auto started =
      Ok("StartQuery", {{"logGroupNames", json::array{"g"}},
                        {"startTime", kNow / 1000 - 3600},
                        {"endTime", kNow / 1000},
                        {"queryString", "filter level = 'ERROR' | stats count(*) as n, sum(ms) as total"}});
  const std::string id(started["queryId"].as_string());
  json::object results;
  for (int i = 0; i < 200; ++i) {
    results = Ok("GetQueryResults", {{"queryId", id}});
    if (results["status"] == "Complete") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(results["status"], "Complete");
  ASSERT_EQ(results["results"].as_array().size(), 1u);
  const auto& row = results["results"].as_array()[0].as_array();
  EXPECT_EQ(row[0].as_object().at("field"), "n");
  EXPECT_EQ(row[0].as_object().at("value"), "2");
  EXPECT_EQ(row[1].as_object().at("value"), "14");
  EXPECT_EQ(results["statistics"].as_object().at("recordsScanned"), 3.0);
  EXPECT_EQ(results["statistics"].as_object().at("recordsMatched"), 2.0);
  auto described = Ok("DescribeQueries", {{"logGroupName", "g"}});
  ASSERT_EQ(described["queries"].as_array().size(), 1u);
  EXPECT_EQ(described["queries"].as_array()[0].as_object().at("status"), "Complete");
  EXPECT_EQ(Ok("StopQuery", {{"queryId", id}})["success"], false);
  EXPECT_EQ(ErrorCode("GetQueryResults", {{"queryId", "nope"}}), "ResourceNotFoundException");
  // @ptr leads to the record.
  auto fields =
      Ok("StartQuery", {{"logGroupName", "g"},
                        {"startTime", 0},
                        {"endTime", kNow / 1000},
                        {"queryString", "fields @timestamp, level | sort @timestamp desc | limit 1"}});
  for (int i = 0; i < 200; ++i) {
    results = Ok("GetQueryResults", {{"queryId", fields["queryId"]}});
    if (results["status"] == "Complete") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(results["results"].as_array().size(), 1u);
  std::string ptr;
  for (const auto& f : results["results"].as_array()[0].as_array()) {
    if (f.as_object().at("field") == "@ptr") ptr = f.as_object().at("value").as_string();
  }
  ASSERT_FALSE(ptr.empty());
  auto record = Ok("GetLogRecord", {{"logRecordPointer", ptr}});
  EXPECT_EQ(record["logRecord"].as_object().at("level"), "ERROR");
  EXPECT_EQ(record["logRecord"].as_object().at("@logStream"), "s");
  EXPECT_EQ(record["logRecord"].as_object().at("@log"), "000000000000:g");
}

TEST_F(LogsTest, ResourcePolicies) {
  const std::string doc = R"({"Version":"2012-10-17","Statement":[]})";
  auto put = Ok("PutResourcePolicy", {{"policyName", "p"}, {"policyDocument", doc}});
  EXPECT_EQ(put["resourcePolicy"].as_object().at("policyName"), "p");
  EXPECT_EQ(ErrorCode("PutResourcePolicy", {{"policyName", "q"}, {"policyDocument", "not json"}}),
            "InvalidParameterException");
  auto d = Ok("DescribeResourcePolicies", {});
  ASSERT_EQ(d["resourcePolicies"].as_array().size(), 1u);
  EXPECT_EQ(d["resourcePolicies"].as_array()[0].as_object().at("policyDocument").as_string(), doc);
  Ok("DeleteResourcePolicy", {{"policyName", "p"}});
  EXPECT_EQ(ErrorCode("DeleteResourcePolicy", {{"policyName", "p"}}), "ResourceNotFoundException");
}

TEST(LogsCoverage, DocMatchesProvider) {
  std::ifstream in(std::string(CENOTE_SOURCE_DIR) + "/docs/logs-coverage.md");
  ASSERT_TRUE(in.good()) << "run: python3 src/services/logs/gen_coverage.py";
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string doc = ss.str();
  for (auto op : LogsProvider::SupportedOperations())
    EXPECT_NE(doc.find("| " + std::string(op) + " | supported |"), std::string::npos)
        << op << " missing or stale in docs/logs-coverage.md; run python3 src/services/logs/gen_coverage.py";
  for (const auto& e : ErrorTable()) EXPECT_NE(doc.find(e.code), std::string::npos) << e.code;
}

TEST(FreshSchema, Logs) {
  cenote::testing::CheckFreshSchema("logs", Migrations(), FreshSchema(), CENOTE_SOURCE_DIR,
                                    "src/services/logs/fresh_schema.inc");
}

}  // namespace
}  // namespace cenote::logs
