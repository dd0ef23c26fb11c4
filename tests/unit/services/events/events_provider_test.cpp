// EventBridge provider: PutEvents through the outbox into SQS (the same pipeline the server runs), with an
// injected clock for retries, schedules and replays; restarts between PutEvents and delivery.
#include "services/events/events_provider.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <fstream>
#include <sstream>

#include "../../store/temp_dir.hpp"
#include "../provider_harness.hpp"
#include "services/events/internal.hpp"
#include "services/sqs/sqs_provider.hpp"
#include "store/stream_log.hpp"

namespace cenote::events {
namespace {

namespace json = boost::json;
using store::testing::TempDir;

constexpr const char* kQueueUrl = "http://localhost:4566/000000000000/";

class EventsTest : public ::testing::Test {
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
    auto md = store::MetadataStore::OpenSqlite(dir_.path() + "/metadata.db");
    ASSERT_TRUE(md.ok());
    metadata_ = std::move(md).value();
    auto log = store::StreamLog::OpenLocal(dir_.path() + "/sqs", {});
    ASSERT_TRUE(log.ok());
    log_ = std::move(log).value();
    harness_ = std::make_unique<testing::ProviderHarness>();
    sqs::SqsOptions sqs_options;
    sqs_options.clock = [this] { return now_.load(); };
    sqs_options.maintenance_interval_ms = 0;
    auto q = sqs::SqsProvider::Open(*metadata_, *log_, tasks_, sqs_options);
    ASSERT_TRUE(q.ok()) << q.error().message;
    harness_->Register(std::move(q).value());
    EventsOptions options;
    options.clock = [this] { return now_.load(); };
    options.poll_interval_ms = 0;
    auto p = EventsProvider::Open(*metadata_, &harness_->invoker(), tasks_, options);
    ASSERT_TRUE(p.ok()) << p.error().message;
    provider_ = p->get();
    harness_->Register(std::move(p).value());
  }

  json::object Ok(std::string_view service, std::string_view op, json::object params) {
    auto r = harness_->Call(service, op, std::move(params));
    EXPECT_TRUE(r.ok()) << op << ": " << (r.ok() ? "" : r.error().code + " " + r.error().message);
    if (!r.ok()) return {};
    return r->result.as_object();
  }
  std::string ErrorCode(std::string_view service, std::string_view op, json::object params) {
    auto r = harness_->Call(service, op, std::move(params));
    return r.ok() ? "" : r.error().code;
  }

  std::string Queue(const std::string& name) {
    Ok("sqs", "CreateQueue", {{"QueueName", name}});
    return "arn:aws:sqs:us-east-1:000000000000:" + name;
  }
  std::vector<json::object> Receive(const std::string& name) {
    json::object r = Ok("sqs", "ReceiveMessage",
                        {{"QueueUrl", std::string(kQueueUrl) + name},
                         {"MaxNumberOfMessages", 10},
                         {"MessageAttributeNames", json::array{"All"}}});
    std::vector<json::object> out;
    if (const json::array* m = services::GetArray(r, "Messages")) {
      for (const auto& x : *m) out.push_back(x.as_object());
    }
    return out;
  }
  void Rule(const std::string& name, const std::string& pattern, json::array targets) {
    Ok("events", "PutRule", {{"Name", name}, {"EventPattern", pattern}});
    Ok("events", "PutTargets", {{"Rule", name}, {"Targets", std::move(targets)}});
  }
  json::object Put(const std::string& source, const std::string& detail) {
    return Ok("events", "PutEvents",
              {{"Entries",
                json::array{json::object{{"Source", source}, {"DetailType", "t"}, {"Detail", detail}}}}});
  }

  TempDir dir_;
  std::atomic<std::int64_t> now_{1'700'000'000'000};
  BackgroundTasks tasks_;
  std::unique_ptr<store::MetadataStore> metadata_;
  std::unique_ptr<store::StreamLog> log_;
  std::unique_ptr<testing::ProviderHarness> harness_;
  EventsProvider* provider_ = nullptr;
};

TEST_F(EventsTest, PutEventsDeliversMatchesToSqs) {
  const std::string q = Queue("orders");
  Rule("r", R"({"source": ["shop"], "detail": {"total": [{"numeric": [">=", 10]}]}})",
       json::array{json::object{{"Id", "q"}, {"Arn", q}}});
  json::object put = Put("shop", R"({"total": 12})");
  Put("shop", R"({"total": 2})");
  Put("other", R"({"total": 99})");
  EXPECT_EQ(provider_->Deliver(), 0u);
  auto got = Receive("orders");
  ASSERT_EQ(got.size(), 1u);
  json::value body = json::parse(services::GetString(got[0], "Body").value_or(""));
  EXPECT_EQ(body.at("id"), put.at("Entries").as_array()[0].at("EventId"));
  EXPECT_EQ(body.at("detail").at("total").as_int64(), 12);
  // The delivery was SQS SendMessage(Batch) as events.amazonaws.com for the rule.
  bool seen = false;
  for (const auto& c : harness_->recorder().calls()) {
    if (c.service == "sqs" && c.operation.starts_with("SendMessage")) {
      EXPECT_EQ(c.invoked_by, "events.amazonaws.com");
      seen = true;
    }
  }
  EXPECT_TRUE(seen);
}

TEST_F(EventsTest, AcceptedEventsSurviveARestartBeforeDelivery) {
  const std::string q = Queue("durable");
  Rule("r", R"({"source": ["s"]})", json::array{json::object{{"Id", "q"}, {"Arn", q}}});
  for (int i = 0; i < 5; ++i) Put("s", R"({"n": )" + std::to_string(i) + "}");
  Open();  // no delivery happened before the "crash"
  EXPECT_EQ(provider_->Deliver(), 0u);
  EXPECT_EQ(Receive("durable").size() + Receive("durable").size(), 5u);
  Open();
  EXPECT_EQ(provider_->Deliver(), 0u);  // delivered rows are gone
  EXPECT_EQ(Receive("durable").size(), 0u);
}

TEST_F(EventsTest, RetriesWithBackoffThenDeadLetters) {
  const std::string dlq = Queue("dlq");
  Rule("r", R"({"source": ["s"]})",
       json::array{json::object{{"Id", "fn"},
                                {"Arn", "arn:aws:lambda:us-east-1:000000000000:function:f"},
                                {"RetryPolicy", json::object{{"MaximumRetryAttempts", 2}}},
                                {"DeadLetterConfig", json::object{{"Arn", dlq}}}}});
  Put("s", "{}");
  EXPECT_EQ(provider_->Deliver(), 1u);  // first attempt failed: retried in 1 s
  EXPECT_EQ(Receive("dlq").size(), 0u);
  now_ += 1'000;
  EXPECT_EQ(provider_->Deliver(), 1u);  // second: retried in 2 s
  now_ += 1'000;
  EXPECT_EQ(provider_->Deliver(), 1u);  // not due yet
  now_ += 1'000;
  EXPECT_EQ(provider_->Deliver(), 0u);  // third attempt exhausted the policy
  auto got = Receive("dlq");
  ASSERT_EQ(got.size(), 1u);
  const json::object& attrs = got[0].at("MessageAttributes").as_object();
  EXPECT_EQ(attrs.at("RETRY_ATTEMPTS").at("StringValue").as_string(), "2");
  EXPECT_EQ(attrs.at("EXHAUSTED_RETRY_CONDITION").at("StringValue").as_string(),
            "MaximumRetryAttemptsExhausted");
  EXPECT_EQ(attrs.at("RULE_ARN").at("StringValue").as_string(),
            "arn:aws:events:us-east-1:000000000000:rule/r");
}

TEST_F(EventsTest, ScheduledRuleFiresOnTime) {
  const std::string q = Queue("ticks");
  Ok("events", "PutRule", {{"Name", "tick"}, {"ScheduleExpression", "rate(5 minutes)"}});
  Ok("events", "PutTargets",
     {{"Rule", "tick"}, {"Targets", json::array{json::object{{"Id", "q"}, {"Arn", q}}}}});
  now_ += 299'000;
  provider_->Deliver();
  EXPECT_EQ(Receive("ticks").size(), 0u);
  now_ += 1'000;
  provider_->Deliver();
  provider_->Deliver();
  auto got = Receive("ticks");
  ASSERT_EQ(got.size(), 1u);
  json::value body = json::parse(services::GetString(got[0], "Body").value_or(""));
  EXPECT_EQ(body.at("detail-type").as_string(), "Scheduled Event");
  EXPECT_EQ(body.at("source").as_string(), "aws.events");
}

TEST_F(EventsTest, Errors) {
  EXPECT_EQ(ErrorCode("events", "DescribeRule", {{"Name", "nope"}}), "ResourceNotFoundException");
  EXPECT_EQ(ErrorCode("events", "PutRule", {{"Name", "p"}, {"EventPattern", "{\"a\": 1}"}}),
            "InvalidEventPatternException");
  EXPECT_EQ(ErrorCode("events", "PutRule", {{"Name", "p"}}), "ValidationException");
  Ok("events", "CreateEventBus", {{"Name", "b"}});
  EXPECT_EQ(ErrorCode("events", "CreateEventBus", {{"Name", "b"}}), "ResourceAlreadyExistsException");
  EXPECT_EQ(ErrorCode("events", "DeleteEventBus", {{"Name", "default"}}), "ValidationException");
  EXPECT_EQ(ErrorCode("events", "PutRule",
                      {{"Name", "s"}, {"EventBusName", "b"}, {"ScheduleExpression", "rate(1 minute)"}}),
            "ValidationException");
  json::array six;
  for (int i = 0; i < 6; ++i)
    six.push_back(json::object{{"Id", std::to_string(i)}, {"Arn", "arn:aws:sqs:us-east-1:000000000000:q"}});
  Ok("events", "PutRule", {{"Name", "many"}, {"EventPattern", "{\"source\": [\"x\"]}"}});
  EXPECT_EQ(ErrorCode("events", "PutTargets", {{"Rule", "many"}, {"Targets", six}}),
            "LimitExceededException");
}

TEST(EventsInput, TransformerQuotingRules) {
  json::value event = json::parse(R"({"id": "e1", "detail": {"s": "a\"b", "n": 3, "o": {"k": [1]}}})");
  json::object target{
      {"InputTransformer",
       json::object{
           {"InputPathsMap",
            json::object{
                {"s", "$.detail.s"}, {"n", "$.detail.n"}, {"o", "$.detail.o"}, {"m", "$.detail.missing"}}},
           {"InputTemplate",
            R"({"q": "<s>/<n>", "raw": <s>, "n": <n>, "o": <o>, "m": <m>, "r": "<aws.events.rule-name>"})"}}}};
  auto out = TargetInput(target, json::serialize(event), event, "arn:r", "rule", 0);
  ASSERT_TRUE(out.ok());
  json::value parsed = json::parse(*out);
  EXPECT_EQ(parsed.at("q").as_string(), "a\"b/3");
  EXPECT_EQ(parsed.at("raw").as_string(), "a\"b");
  EXPECT_EQ(parsed.at("n").as_int64(), 3);
  EXPECT_EQ(parsed.at("o").at("k").as_array()[0].as_int64(), 1);
  EXPECT_TRUE(parsed.at("m").is_null());
  EXPECT_EQ(parsed.at("r").as_string(), "rule");
}

TEST(EventsCoverage, DocMatchesProvider) {
  std::ifstream in(std::string(CENOTE_SOURCE_DIR) + "/docs/events-coverage.md");
  ASSERT_TRUE(in.good()) << "run: python3 src/services/events/gen_coverage.py";
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string doc = ss.str();
  for (auto op : EventsProvider::SupportedOperations()) {
    EXPECT_NE(doc.find("| " + std::string(op) + " | supported |"), std::string::npos)
        << op
        << " missing or stale in docs/events-coverage.md; run python3 src/services/events/gen_coverage.py";
  }
  for (const auto& e : {errors::kBusNotFound, errors::kRuleNotFound, errors::kInvalidEventPattern,
                        errors::kIllegalStatus, errors::kManagedRule}) {
    EXPECT_NE(doc.find(e.code), std::string::npos) << e.code;
  }
}

}  // namespace
}  // namespace cenote::events
