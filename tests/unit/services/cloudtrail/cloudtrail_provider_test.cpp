// The CloudTrail provider through a real pipeline (tests/unit/services/provider_harness.hpp): the recorder
// hook, LookupEvents filters and pagination, trail errors, the event journal's recovery, the coverage doc.
#include "services/cloudtrail/cloudtrail_provider.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <sys/resource.h>

#include "common/clock.hpp"

#include "../../store/temp_dir.hpp"
#include "../fresh_schema_check.hpp"
#include "../provider_harness.hpp"
#include "services/cloudtrail/errors.hpp"
#include "services/cloudtrail/event_store.hpp"
#include "services/cloudtrail/internal.hpp"

namespace cenote::cloudtrail {
namespace {

namespace json = boost::json;
using store::testing::TempDir;

class CloudTrailTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void TearDown() override { Close(); }

  void Open() {
    metadata_ = std::move(store::MetadataStore::OpenSqlite(dir_ / "meta.db")).value();
    harness_ = std::make_unique<testing::ProviderHarness>("123456789012");
    CloudTrailOptions options;
    options.default_account = "123456789012";
    options.event_dir = dir_ / "events";
    options.start_delivery_task = false;
    options.clock = [this] { return now_.load(); };
    auto provider = CloudTrailProvider::Open(*metadata_, harness_->invoker(), tasks_, nullptr, options);
    ASSERT_TRUE(provider.ok()) << provider.error().message;
    provider_ = provider->get();
    harness_->pipeline().AddHook(&provider_->recorder());
    harness_->Register(std::move(provider).value());
  }
  void Close() {
    harness_.reset();
    metadata_.reset();
  }

  Result<aws::OperationOutput> Call(std::string_view op, json::object params,
                                    const std::string& region = "us-east-1") {
    return harness_->Call("cloudtrail", op, std::move(params), region);
  }
  json::object Ok(std::string_view op, json::object params = {}, const std::string& region = "us-east-1") {
    auto r = Call(op, std::move(params), region);
    EXPECT_TRUE(r.ok()) << op << ": " << (r.ok() ? "" : r.error().code + " " + r.error().message);
    return r.ok() ? r->result.as_object() : json::object();
  }
  std::string Err(std::string_view op, json::object params = {}, const std::string& region = "us-east-1") {
    auto r = Call(op, std::move(params), region);
    return r.ok() ? "ok" : r.error().code;
  }

  TempDir dir_;
  std::atomic<std::int64_t> now_{1'765'000'000'000};
  BackgroundTasks tasks_;
  std::unique_ptr<store::MetadataStore> metadata_;
  std::unique_ptr<testing::ProviderHarness> harness_;
  CloudTrailProvider* provider_ = nullptr;
};

TEST_F(CloudTrailTest, CallsBecomeEventsInTheHistory) {
  Ok("DescribeTrails");
  EXPECT_EQ(Err("GetTrail", {{"Name", "nope"}}), "TrailNotFoundException");
  auto out = Ok("LookupEvents");
  const json::array& events = out["Events"].as_array();
  ASSERT_EQ(events.size(), 2u);  // newest first; LookupEvents itself is recorded after it answers
  EXPECT_EQ(events[0].at("EventName"), "GetTrail");
  EXPECT_EQ(events[1].at("EventName"), "DescribeTrails");
  EXPECT_EQ(events[0].at("Username"), "root");
  EXPECT_EQ(events[0].at("ReadOnly"), "true");
  EXPECT_EQ(events[0].at("EventSource"), "cloudtrail.amazonaws.com");
  json::object record = json::parse(events[0].at("CloudTrailEvent").as_string()).as_object();
  EXPECT_EQ(record["errorCode"], "TrailNotFoundException");
  EXPECT_EQ(record["requestParameters"], (json::object{{"name", "nope"}}));
  EXPECT_EQ(record["recipientAccountId"], "123456789012");
  EXPECT_EQ(record["resources"].as_array()[0].at("ARN"),
            "arn:aws:cloudtrail:us-east-1:123456789012:trail/nope");
  EXPECT_EQ(events[0].at("Resources").as_array()[0].at("ResourceType"), "AWS::CloudTrail::Trail");
  // Another region has its own history.
  EXPECT_TRUE(Ok("LookupEvents", {}, "eu-west-1")["Events"].as_array().empty());
}

TEST_F(CloudTrailTest, LookupAttributesTimeRangeAndPages) {
  for (int i = 0; i < 12; ++i) {
    now_ += 1000;
    Ok(i % 2 ? "ListTrails" : "DescribeTrails");
  }
  auto by = [&](std::string key, std::string value) {
    json::object params{
        {"LookupAttributes", json::array{json::object{{"AttributeKey", key}, {"AttributeValue", value}}}}};
    return Ok("LookupEvents", params)["Events"].as_array();
  };
  EXPECT_EQ(by("EventName", "ListTrails").size(), 6u);
  EXPECT_EQ(by("ReadOnly", "false").size(), 0u);
  EXPECT_EQ(by("Username", "root").size(), 12u + 2u);  // and the two lookups before
  auto first = by("EventName", "DescribeTrails");
  ASSERT_EQ(first.size(), 6u);
  std::string id(first[3].at("EventId").as_string());
  auto one = by("EventId", id);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].at("EventId").as_string(), id);
  // Pages of 5, newest first, none lost or repeated.
  std::vector<std::int64_t> times;
  std::string token;
  int pages = 0;
  do {
    json::object params{
        {"MaxResults", 5},
        {"LookupAttributes", json::array{json::object{{"AttributeKey", "EventSource"},
                                                      {"AttributeValue", "cloudtrail.amazonaws.com"}}}}};
    if (!token.empty()) params["NextToken"] = token;
    auto out = Ok("LookupEvents", params);
    for (const auto& e : out["Events"].as_array()) times.push_back(e.at("EventTime").as_int64());
    token = out.contains("NextToken") ? std::string(out["NextToken"].as_string()) : "";
    ++pages;
  } while (!token.empty() && pages < 20);
  EXPECT_GE(times.size(), 12u);
  EXPECT_TRUE(std::is_sorted(times.rbegin(), times.rend()));
  // The time window.
  json::object window{{"StartTime", now_.load() - 3500}, {"EndTime", now_.load() - 1500}};
  EXPECT_EQ(Ok("LookupEvents", window)["Events"].as_array().size(), 2u);
  EXPECT_EQ(Err("LookupEvents", {{"StartTime", 10}, {"EndTime", 5}}), "InvalidTimeRangeException");
  EXPECT_EQ(Err("LookupEvents", {{"NextToken", "garbage"}}), "InvalidNextTokenException");
  EXPECT_EQ(Err("LookupEvents",
                {{"LookupAttributes",
                  json::array{json::object{{"AttributeKey", "EventName"}, {"AttributeValue", "a"}},
                              json::object{{"AttributeKey", "Username"}, {"AttributeValue", "b"}}}}}),
            "InvalidLookupAttributesException");
  // 90 days later the events have left the history.
  now_ += EventStore::kRetentionMs + 60'000;
  EXPECT_EQ(by("EventName", "ListTrails").size(), 0u);
}

TEST_F(CloudTrailTest, TrailErrorsAsAws) {
  EXPECT_EQ(Err("CreateTrail", {{"Name", "ab"}, {"S3BucketName", "b"}}), "InvalidTrailNameException");
  EXPECT_EQ(Err("CreateTrail", {{"Name", "a--b"}, {"S3BucketName", "b"}}), "InvalidTrailNameException");
  EXPECT_EQ(Err("CreateTrail", {{"Name", "10.0.0.1"}, {"S3BucketName", "b"}}), "InvalidTrailNameException");
  EXPECT_EQ(Err("CreateTrail", {{"Name", "good"}, {"S3BucketName", "b"}, {"SnsTopicName", "t"}}),
            "UnsupportedOperationException");
  EXPECT_EQ(Err("CreateTrail", {{"Name", "org"}, {"S3BucketName", "b"}, {"IsOrganizationTrail", true}}),
            "OrganizationsNotInUseException");
  EXPECT_EQ(Err("StartLogging", {{"Name", "missing"}}), "TrailNotFoundException");
  EXPECT_EQ(Err("GetTrailStatus", {{"Name", "arn:aws:s3:::x"}}), "CloudTrailARNInvalidException");
  EXPECT_EQ(
      Err("ListTags", {{"ResourceIdList", json::array{"arn:aws:cloudtrail:us-east-1:123456789012:trail/x"}}}),
      "ResourceNotFoundException");
  auto selectors = Ok("ListPublicKeys");
  EXPECT_TRUE(selectors["PublicKeyList"].as_array().empty());
}

TEST_F(CloudTrailTest, EventsSurviveReopenAndATornTailIsCut) {
  for (int i = 0; i < 5; ++i) Ok("ListTrails");
  Close();
  // A kill in the middle of an append leaves a partial frame after the last complete one: cut at reopening.
  std::string segment;
  for (const auto& e : std::filesystem::directory_iterator(dir_ / "events")) segment = e.path().string();
  std::size_t end = 0;
  {
    std::ifstream in(segment, std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    while (end + 8 <= data.size()) {
      std::uint32_t n = 0;
      std::memcpy(&n, data.data() + end, 4);
      if (n == 0) break;
      end += 8 + n;
    }
  }
  {
    std::fstream f(segment, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(static_cast<std::streamoff>(end));
    const char torn[] = "\x40\x00\x00\x00garbage";
    f.write(torn, sizeof torn - 1);
  }
  Open();
  json::object params{{"LookupAttributes", json::array{json::object{{"AttributeKey", "EventName"},
                                                                    {"AttributeValue", "ListTrails"}}}}};
  EXPECT_EQ(Ok("LookupEvents", params)["Events"].as_array().size(), 5u);
  Ok("ListTrails");  // appends go on after the cut
  EXPECT_EQ(Ok("LookupEvents", params)["Events"].as_array().size(), 6u);
  Close();
  Open();
  EXPECT_EQ(Ok("LookupEvents", params)["Events"].as_array().size(), 6u);
}

// What recording costs a call on the request's thread (printed; never a failure).
TEST_F(CloudTrailTest, RecordingCostPerCall) {
  constexpr int kCalls = 2000;
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < kCalls; ++i) Ok("ListTrails");
  auto t1 = std::chrono::steady_clock::now();
  std::printf("recorded ListTrails through the pipeline: %.1f us per call\n",
              std::chrono::duration<double, std::micro>(t1 - t0).count() / kCalls);
}

TEST(CloudTrailCoverage, DocMatchesProvider) {
  std::ifstream in(std::string(CENOTE_SOURCE_DIR) + "/docs/cloudtrail-coverage.md");
  ASSERT_TRUE(in.good()) << "run: python3 src/services/cloudtrail/gen_coverage.py";
  std::stringstream ss;
  ss << in.rdbuf();
  std::string doc = ss.str();
  for (auto op : CloudTrailProvider::SupportedOperations())
    EXPECT_NE(doc.find("| " + std::string(op) + " | supported |"), std::string::npos)
        << op
        << " missing or stale in docs/cloudtrail-coverage.md; run python3 "
           "src/services/cloudtrail/gen_coverage.py";
  for (const auto& e : ErrorTable()) EXPECT_NE(doc.find(e.code), std::string::npos) << e.code;
}

TEST(FreshSchema, CloudTrail) {
  cenote::testing::CheckFreshSchema("cloudtrail", Migrations(), FreshSchema(), CENOTE_SOURCE_DIR,
                                    "src/services/cloudtrail/fresh_schema.inc");
}

}  // namespace
}  // namespace cenote::cloudtrail

namespace cenote::cloudtrail {
namespace {
// CPU per recorded event in the event store (journal copy, queue, group commit into the log), with 8 threads
// appending: printed, never a failure.
TEST(CloudTrailEventStore, AppendCost) {
  TempDir dir;
  auto store = EventStore::Open(
      dir / "events", [] { return UnixNowMs(); }, SyncMode::kBatched);
  ASSERT_TRUE(store.ok());
  json::object event =
      json::parse(R"({"eventVersion":"1.11","userIdentity":{"type":"IAMUser","principalId":"AIDA",
      "arn":"arn:aws:iam::123456789012:user/alice","accountId":"123456789012","accessKeyId":"AKIA","userName":"alice"},
      "eventTime":"2026-12-06T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject",
      "awsRegion":"us-east-1","sourceIPAddress":"127.0.0.1","userAgent":"Boto3/1.26",
      "requestParameters":{"bucketName":"b","key":"data/object-4k","Host":"127.0.0.1:4566"},
      "responseElements":null,"requestID":"0123456789ABCDEF","eventID":"11111111-2222-4333-8444-555555555555",
      "readOnly":true,"resources":[{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::b/data/object-4k"}],
      "eventType":"AwsApiCall","managementEvent":false,"recipientAccountId":"123456789012","eventCategory":"Data"})")
          .as_object();
  constexpr int kThreads = 8, kEach = 5000;
  struct rusage r0 {};
  getrusage(RUSAGE_SELF, &r0);
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) ASSERT_TRUE((*store)->Append(event, false).ok());
    });
  }
  for (auto& t : threads) t.join();
  (*store)->Flush();
  auto t1 = std::chrono::steady_clock::now();
  struct rusage r1 {};
  getrusage(RUSAGE_SELF, &r1);
  auto cpu = [](const struct rusage& r) {
    return r.ru_utime.tv_sec * 1e6 + r.ru_utime.tv_usec + r.ru_stime.tv_sec * 1e6 + r.ru_stime.tv_usec;
  };
  std::printf("event store: %.2f us wall, %.2f us CPU per appended event (%d threads)\n",
              std::chrono::duration<double, std::micro>(t1 - t0).count() / (kThreads * kEach),
              (cpu(r1) - cpu(r0)) / (kThreads * kEach), kThreads);
}
}  // namespace
}  // namespace cenote::cloudtrail
