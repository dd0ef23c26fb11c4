// SQS provider: the contract as in-process calls see it (the same pipeline the server runs), with an
// injected clock for visibility timeouts, delays, retention and deduplication windows.
#include "services/sqs/sqs_provider.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "../../store/temp_dir.hpp"
#include "../provider_harness.hpp"
#include "iam/evaluate.hpp"
#include "services/sqs/internal.hpp"

namespace cenote::sqs {
namespace {

namespace json = boost::json;
using store::testing::TempDir;

constexpr const char* kUrl = "http://localhost:4566/000000000000/";

class SqsTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open() {
    harness_.reset();
    log_.reset();
    metadata_.reset();
    auto md = store::MetadataStore::OpenSqlite(dir_.path() + "/metadata.db");
    ASSERT_TRUE(md.ok());
    metadata_ = std::move(md).value();
    store::StreamLogOptions log_options;
    log_options.segment_bytes = segment_bytes_;
    auto log = store::StreamLog::OpenLocal(dir_.path() + "/sqs", log_options);
    ASSERT_TRUE(log.ok());
    log_ = std::move(log).value();
    SqsOptions options;
    options.clock = [this] { return now_.load(); };
    options.maintenance_interval_ms = 0;
    auto p = SqsProvider::Open(*metadata_, *log_, tasks_, options);
    ASSERT_TRUE(p.ok()) << p.error().message;
    provider_ = p->get();
    harness_ = std::make_unique<testing::ProviderHarness>();
    harness_->Register(std::move(p).value());
  }

  Result<aws::OperationOutput> Call(std::string_view op, json::object params) {
    return harness_->Call("sqs", op, std::move(params));
  }
  json::object Ok(std::string_view op, json::object params) {
    auto r = Call(op, std::move(params));
    EXPECT_TRUE(r.ok()) << op << ": " << (r.ok() ? "" : r.error().code + " " + r.error().message);
    if (!r.ok()) return {};
    return r->result.as_object();
  }
  Error Fails(std::string_view op, json::object params) {
    auto r = Call(op, std::move(params));
    EXPECT_FALSE(r.ok()) << op << " unexpectedly succeeded";
    if (r.ok()) return Error{};
    return r.error();
  }
  std::string Create(const std::string& name, json::object attributes = {}) {
    json::object p{{"QueueName", name}};
    if (!attributes.empty()) p["Attributes"] = attributes;
    auto r = Ok("CreateQueue", p);
    return r.contains("QueueUrl") ? std::string(r["QueueUrl"].as_string()) : "";
  }
  json::array Receive(const std::string& url, json::object extra = {}) {
    extra["QueueUrl"] = url;
    if (!extra.contains("MaxNumberOfMessages")) extra["MaxNumberOfMessages"] = 10;
    auto r = Ok("ReceiveMessage", extra);
    return r.contains("Messages") ? r["Messages"].as_array() : json::array();
  }
  std::string Attr(const std::string& url, const std::string& name) {
    auto r = Ok("GetQueueAttributes", {{"QueueUrl", url}, {"AttributeNames", json::array{"All"}}});
    auto& a = r["Attributes"].as_object();
    return a.contains(name) ? std::string(a[name].as_string()) : "";
  }
  static std::string Body(const json::value& m) { return std::string(m.at("Body").as_string()); }
  static std::string Handle(const json::value& m) { return std::string(m.at("ReceiptHandle").as_string()); }

  TempDir dir_;
  std::uint64_t segment_bytes_ = 64ull << 20;
  std::atomic<std::int64_t> now_{1'800'000'000'000};
  BackgroundTasks tasks_;
  std::unique_ptr<store::MetadataStore> metadata_;
  std::unique_ptr<store::StreamLog> log_;
  std::unique_ptr<testing::ProviderHarness> harness_;
  SqsProvider* provider_ = nullptr;
};

// ---- MD5s: the values AWS's SDKs compute (SDK test vectors) ----

TEST(SqsMd5, MessageAttributesAsTheSdksVerify) {
  MessageAttributes one{{"SellerName", {.data_type = "String", .binary = false, .value = "Example Store"}}};
  EXPECT_EQ(AttributesMd5(one), "cd28f3b68aeee4b2eac9c66f2f694b58");
  MessageAttributes two{{"ordinal", {.data_type = "Number", .binary = false, .value = "1"}},
                        {"category", {.data_type = "String", .binary = false, .value = "test"}}};
  EXPECT_EQ(AttributesMd5(two), "d21ae90c49061e927f57df5f5d72be1f");
  MessageAttributes bin{{"a", {.data_type = "String", .binary = false, .value = "x"}},
                        {"b", {.data_type = "Binary", .binary = true, .value = std::string("\x00\x01", 2)}}};
  EXPECT_EQ(AttributesMd5(bin), "fa20e2def088daf7b14bc51e836c5547");
  EXPECT_EQ(AttributesMd5({}), "");
  EXPECT_EQ(Md5Hex("hello"), "5d41402abc4b2a76b9719d911017c592");
}

TEST(SqsUrls, QueueUrlsAndArns) {
  auto p = ParseQueueUrl("http://127.0.0.1:4566/123456789012/orders.fifo");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->account, "123456789012");
  EXPECT_EQ(p->name, "orders.fifo");
  EXPECT_TRUE(ParseQueueUrl("https://sqs.us-east-1.amazonaws.com/123456789012/q"));
  EXPECT_FALSE(ParseQueueUrl("http://h/q"));
  EXPECT_FALSE(ParseQueueUrl("not a url"));
  auto k = ParseQueueArn("arn:aws:sqs:eu-west-1:123456789012:q");
  ASSERT_TRUE(k);
  EXPECT_EQ(QueueArn(*k), "arn:aws:sqs:eu-west-1:123456789012:q");
  auto h = ParseReceiptHandle(MakeReceiptHandle("abc", 42, 7));
  ASSERT_TRUE(h);
  EXPECT_EQ(h->seq, 42u);
  EXPECT_EQ(h->nonce, 7u);
  EXPECT_FALSE(ParseReceiptHandle("garbage"));
}

// ---- queues ----

TEST_F(SqsTest, CreateIsIdempotentWithTheSameAttributes) {
  std::string url = Create("q", {{"VisibilityTimeout", "60"}});
  EXPECT_EQ(url, std::string(kUrl) + "q");
  EXPECT_EQ(Create("q", {{"VisibilityTimeout", "60"}}), url);
  EXPECT_EQ(Create("q"), url);
  Error e = Fails("CreateQueue", {{"QueueName", "q"}, {"Attributes", {{"VisibilityTimeout", "61"}}}});
  EXPECT_EQ(e.code, "QueueAlreadyExists");
  EXPECT_NE(e.message.find("VisibilityTimeout"), std::string::npos);
}

TEST_F(SqsTest, CreateChecksNamesAndAttributes) {
  EXPECT_EQ(Fails("CreateQueue", {{"QueueName", "bad name"}}).code, "InvalidParameterValue");
  EXPECT_EQ(Fails("CreateQueue", {{"QueueName", std::string(81, 'a')}}).code, "InvalidParameterValue");
  EXPECT_EQ(Fails("CreateQueue", {{"QueueName", "x"}, {"Attributes", {{"Nope", "1"}}}}).code,
            "InvalidAttributeName");
  EXPECT_EQ(Fails("CreateQueue", {{"QueueName", "x"}, {"Attributes", {{"DelaySeconds", "901"}}}}).code,
            "InvalidAttributeValue");
  EXPECT_EQ(Fails("CreateQueue", {{"QueueName", "x"}, {"Attributes", {{"MaximumMessageSize", "1023"}}}}).code,
            "InvalidAttributeValue");
  EXPECT_EQ(
      Fails("CreateQueue", {{"QueueName", "x"}, {"Attributes", {{"ContentBasedDeduplication", "true"}}}})
          .code,
      "InvalidAttributeName");
  EXPECT_EQ(Fails("CreateQueue", {{"QueueName", "x"}, {"Attributes", {{"FifoQueue", "true"}}}}).code,
            "InvalidParameterValue");
  EXPECT_EQ(Fails("CreateQueue", {{"QueueName", "x"}, {"Attributes", {{"Policy", "{not json"}}}}).code,
            "InvalidAttributeValue");
  Error e = Fails("GetQueueUrl", {{"QueueName", "missing"}});
  EXPECT_EQ(e.code, "AWS.SimpleQueueService.NonExistentQueue");
  ASSERT_FALSE(e.headers.empty());
  EXPECT_EQ(e.headers[0].second, "com.amazonaws.sqs#QueueDoesNotExist");
}

TEST_F(SqsTest, ListQueuesWithPrefixAndPages) {
  for (const char* n : {"a1", "a2", "a3", "b1"}) Create(n);
  auto all = Ok("ListQueues", {});
  EXPECT_EQ(all["QueueUrls"].as_array().size(), 4u);
  EXPECT_FALSE(all.contains("NextToken"));
  auto page = Ok("ListQueues", {{"QueueNamePrefix", "a"}, {"MaxResults", 2}});
  EXPECT_EQ(page["QueueUrls"].as_array().size(), 2u);
  ASSERT_TRUE(page.contains("NextToken"));
  auto next =
      Ok("ListQueues", {{"QueueNamePrefix", "a"}, {"MaxResults", 2}, {"NextToken", page["NextToken"]}});
  ASSERT_EQ(next["QueueUrls"].as_array().size(), 1u);
  EXPECT_EQ(next["QueueUrls"].as_array()[0].as_string(), std::string(kUrl) + "a3");
  EXPECT_FALSE(next.contains("NextToken"));
}

TEST_F(SqsTest, DeleteQueueThenRecreateWaitsSixtySeconds) {
  std::string url = Create("gone");
  Ok("DeleteQueue", {{"QueueUrl", url}});
  EXPECT_EQ(Fails("SendMessage", {{"QueueUrl", url}, {"MessageBody", "x"}}).code,
            "AWS.SimpleQueueService.NonExistentQueue");
  EXPECT_EQ(Fails("CreateQueue", {{"QueueName", "gone"}}).code,
            "AWS.SimpleQueueService.QueueDeletedRecently");
  now_ += 61'000;
  EXPECT_EQ(Create("gone"), url);
}

TEST_F(SqsTest, AttributesReportCountsAndDefaults) {
  std::string url = Create("attrs");
  EXPECT_EQ(Attr(url, "VisibilityTimeout"), "30");
  EXPECT_EQ(Attr(url, "MessageRetentionPeriod"), "345600");
  EXPECT_EQ(Attr(url, "MaximumMessageSize"), "1048576");
  EXPECT_EQ(Attr(url, "SqsManagedSseEnabled"), "true");
  EXPECT_EQ(Attr(url, "QueueArn"), "arn:aws:sqs:us-east-1:000000000000:attrs");
  EXPECT_EQ(Attr(url, "FifoQueue"), "");
  Ok("SendMessage", {{"QueueUrl", url}, {"MessageBody", "a"}});
  Ok("SendMessage", {{"QueueUrl", url}, {"MessageBody", "b"}, {"DelaySeconds", 10}});
  EXPECT_EQ(Attr(url, "ApproximateNumberOfMessages"), "1");
  EXPECT_EQ(Attr(url, "ApproximateNumberOfMessagesDelayed"), "1");
  Receive(url, {{"MaxNumberOfMessages", 1}});
  EXPECT_EQ(Attr(url, "ApproximateNumberOfMessagesNotVisible"), "1");
  EXPECT_EQ(
      Fails("GetQueueAttributes", {{"QueueUrl", url}, {"AttributeNames", json::array{"FifoQueue"}}}).code,
      "InvalidAttributeName");
  Ok("SetQueueAttributes", {{"QueueUrl", url}, {"Attributes", {{"DelaySeconds", "5"}}}});
  EXPECT_EQ(Attr(url, "DelaySeconds"), "5");
}

// ---- messages ----

TEST_F(SqsTest, SendReceiveDeleteWithAttributesAndMd5s) {
  std::string url = Create("m");
  auto sent =
      Ok("SendMessage",
         {{"QueueUrl", url},
          {"MessageBody", "hello"},
          {"MessageAttributes", {{"SellerName", {{"DataType", "String"}, {"StringValue", "Example Store"}}}}},
          {"MessageSystemAttributes",
           {{"AWSTraceHeader",
             {{"DataType", "String"}, {"StringValue", "Root=1-5759e988-bd862e3fe1be46a994272793"}}}}}});
  EXPECT_EQ(sent["MD5OfMessageBody"], "5d41402abc4b2a76b9719d911017c592");
  EXPECT_EQ(sent["MD5OfMessageAttributes"], "cd28f3b68aeee4b2eac9c66f2f694b58");
  EXPECT_TRUE(sent.contains("MD5OfMessageSystemAttributes"));
  EXPECT_FALSE(sent.contains("SequenceNumber"));
  auto msgs = Receive(url, {{"MessageAttributeNames", json::array{"All"}},
                            {"MessageSystemAttributeNames", json::array{"All"}}});
  ASSERT_EQ(msgs.size(), 1u);
  const auto& m = msgs[0].as_object();
  EXPECT_EQ(m.at("MessageId"), sent["MessageId"]);
  EXPECT_EQ(m.at("MD5OfBody"), "5d41402abc4b2a76b9719d911017c592");
  EXPECT_EQ(m.at("MD5OfMessageAttributes"), "cd28f3b68aeee4b2eac9c66f2f694b58");
  const auto& a = m.at("Attributes").as_object();
  EXPECT_EQ(a.at("ApproximateReceiveCount"), "1");
  EXPECT_EQ(a.at("SenderId"), "000000000000");
  EXPECT_EQ(a.at("SentTimestamp").as_string(), std::to_string(now_.load()));
  EXPECT_EQ(a.at("AWSTraceHeader"), "Root=1-5759e988-bd862e3fe1be46a994272793");
  Ok("DeleteMessage", {{"QueueUrl", url}, {"ReceiptHandle", m.at("ReceiptHandle")}});
  now_ += 31'000;
  EXPECT_TRUE(Receive(url).empty());
  // Deleting again succeeds; a handle that is not one is refused.
  Ok("DeleteMessage", {{"QueueUrl", url}, {"ReceiptHandle", m.at("ReceiptHandle")}});
  EXPECT_EQ(Fails("DeleteMessage", {{"QueueUrl", url}, {"ReceiptHandle", "nope"}}).code,
            "ReceiptHandleIsInvalid");
}

TEST_F(SqsTest, MessageAttributeNameFilters) {
  std::string url = Create("filters");
  Ok("SendMessage", {{"QueueUrl", url},
                     {"MessageBody", "x"},
                     {"MessageAttributes",
                      {{"order.id", {{"DataType", "Number"}, {"StringValue", "7"}}},
                       {"order.kind", {{"DataType", "String.custom"}, {"StringValue", "k"}}},
                       {"other", {{"DataType", "Binary"}, {"BinaryValue", std::string("\x01\x02", 2)}}}}}});
  auto m = Receive(url, {{"MessageAttributeNames", json::array{"order.*"}}, {"VisibilityTimeout", 0}});
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].at("MessageAttributes").as_object().size(), 2u);
  MessageAttributes expect{{"order.id", {.data_type = "Number", .binary = false, .value = "7"}},
                           {"order.kind", {.data_type = "String.custom", .binary = false, .value = "k"}}};
  EXPECT_EQ(m[0].at("MD5OfMessageAttributes").as_string(), AttributesMd5(expect));
  m = Receive(url, {{"MessageAttributeNames", json::array{"other"}}, {"VisibilityTimeout", 0}});
  EXPECT_EQ(m[0].at("MessageAttributes").as_object().size(), 1u);
  m = Receive(url, {{"VisibilityTimeout", 0}});
  EXPECT_FALSE(m[0].as_object().contains("MessageAttributes"));
  EXPECT_FALSE(m[0].as_object().contains("MD5OfMessageAttributes"));
}

TEST_F(SqsTest, VisibilityTimeoutAndStaleReceiptHandles) {
  std::string url = Create("vis", {{"VisibilityTimeout", "10"}});
  Ok("SendMessage", {{"QueueUrl", url}, {"MessageBody", "v"}});
  auto first = Receive(url);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_TRUE(Receive(url).empty());
  now_ += 10'000;
  auto second = Receive(url, {{"AttributeNames", json::array{"ApproximateReceiveCount"}}});
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].at("Attributes").at("ApproximateReceiveCount"), "2");
  EXPECT_NE(Handle(first[0]), Handle(second[0]));
  // The first receipt is stale: its delete deletes nothing, its visibility change is refused.
  Ok("DeleteMessage", {{"QueueUrl", url}, {"ReceiptHandle", Handle(first[0])}});
  EXPECT_EQ(Fails("ChangeMessageVisibility",
                  {{"QueueUrl", url}, {"ReceiptHandle", Handle(first[0])}, {"VisibilityTimeout", 5}})
                .code,
            "InvalidParameterValue");
  // ChangeMessageVisibility(0) makes it visible at once.
  Ok("ChangeMessageVisibility",
     {{"QueueUrl", url}, {"ReceiptHandle", Handle(second[0])}, {"VisibilityTimeout", 0}});
  auto third = Receive(url);
  ASSERT_EQ(third.size(), 1u);
  Ok("DeleteMessage", {{"QueueUrl", url}, {"ReceiptHandle", Handle(third[0])}});
  EXPECT_EQ(Fails("ChangeMessageVisibility",
                  {{"QueueUrl", url}, {"ReceiptHandle", Handle(third[0])}, {"VisibilityTimeout", 5}})
                .code,
            "ReceiptHandleIsInvalid");
  EXPECT_EQ(Fails("ReceiveMessage", {{"QueueUrl", url}, {"MaxNumberOfMessages", 11}}).code,
            "InvalidParameterValue");
  EXPECT_EQ(Fails("ReceiveMessage", {{"QueueUrl", url}, {"WaitTimeSeconds", 21}}).code,
            "InvalidParameterValue");
}

TEST_F(SqsTest, MessageNotInflight) {
  std::string url = Create("nif");
  Ok("SendMessage", {{"QueueUrl", url}, {"MessageBody", "v"}});
  auto m = Receive(url, {{"VisibilityTimeout", 1}});
  now_ += 2'000;
  EXPECT_EQ(Fails("ChangeMessageVisibility",
                  {{"QueueUrl", url}, {"ReceiptHandle", Handle(m[0])}, {"VisibilityTimeout", 5}})
                .code,
            "AWS.SimpleQueueService.MessageNotInflight");
}

TEST_F(SqsTest, DelaysAndRetention) {
  std::string url = Create("delay", {{"DelaySeconds", "5"}, {"MessageRetentionPeriod", "60"}});
  Ok("SendMessage", {{"QueueUrl", url}, {"MessageBody", "queue delay"}});
  Ok("SendMessage", {{"QueueUrl", url}, {"MessageBody", "no delay"}, {"DelaySeconds", 0}});
  auto m = Receive(url, {{"VisibilityTimeout", 0}});
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(Body(m[0]), "no delay");
  now_ += 5'000;
  EXPECT_EQ(Receive(url, {{"VisibilityTimeout", 0}}).size(), 2u);
  now_ += 60'000;
  EXPECT_TRUE(Receive(url).empty());
  EXPECT_EQ(Attr(url, "ApproximateNumberOfMessages"), "0");
}

TEST_F(SqsTest, LimitsAndBatchErrors) {
  std::string url = Create("limits", {{"MaximumMessageSize", "1024"}});
  EXPECT_EQ(Fails("SendMessage", {{"QueueUrl", url}, {"MessageBody", std::string(1025, 'x')}}).code,
            "InvalidParameterValue");
  Ok("SendMessage", {{"QueueUrl", url}, {"MessageBody", std::string(1024, 'x')}});
  EXPECT_EQ(Fails("SendMessage", {{"QueueUrl", url}, {"MessageBody", std::string("bad\x01")}}).code,
            "InvalidMessageContents");
  EXPECT_EQ(Fails("SendMessage", {{"QueueUrl", url}, {"MessageBody", "x"}, {"DelaySeconds", 901}}).code,
            "InvalidParameterValue");
  EXPECT_EQ(
      Fails("SendMessage", {{"QueueUrl", url}, {"MessageBody", "x"}, {"MessageDeduplicationId", "d"}}).code,
      "InvalidParameterValue");
  json::object attrs;
  for (int i = 0; i < 11; ++i)
    attrs["a" + std::to_string(i)] = {{"DataType", "String"}, {"StringValue", "v"}};
  EXPECT_EQ(
      Fails("SendMessage", {{"QueueUrl", url}, {"MessageBody", "x"}, {"MessageAttributes", attrs}}).code,
      "InvalidParameterValue");
  EXPECT_EQ(Fails("SendMessage",
                  {{"QueueUrl", url},
                   {"MessageBody", "x"},
                   {"MessageAttributes", {{"AWS.x", {{"DataType", "String"}, {"StringValue", "v"}}}}}})
                .code,
            "InvalidParameterValue");
  EXPECT_EQ(
      Fails("SendMessage", {{"QueueUrl", url},
                            {"MessageBody", "x"},
                            {"MessageAttributes", {{"n", {{"DataType", "Number"}, {"StringValue", "abc"}}}}}})
          .code,
      "InvalidParameterValue");

  json::array eleven;
  for (int i = 0; i < 11; ++i) eleven.push_back({{"Id", std::to_string(i)}, {"MessageBody", "x"}});
  EXPECT_EQ(Fails("SendMessageBatch", {{"QueueUrl", url}, {"Entries", eleven}}).code,
            "AWS.SimpleQueueService.TooManyEntriesInBatchRequest");
  EXPECT_EQ(Fails("SendMessageBatch", {{"QueueUrl", url}, {"Entries", json::array{}}}).code,
            "AWS.SimpleQueueService.EmptyBatchRequest");
  EXPECT_EQ(Fails("SendMessageBatch", {{"QueueUrl", url},
                                       {"Entries", json::array{{{"Id", "a"}, {"MessageBody", "x"}},
                                                               {{"Id", "a"}, {"MessageBody", "y"}}}}})
                .code,
            "AWS.SimpleQueueService.BatchEntryIdsNotDistinct");
  EXPECT_EQ(Fails("SendMessageBatch",
                  {{"QueueUrl", url}, {"Entries", json::array{{{"Id", "a b"}, {"MessageBody", "x"}}}}})
                .code,
            "AWS.SimpleQueueService.InvalidBatchEntryId");
  std::string url2 = Create("limits2");
  json::array big;
  for (int i = 0; i < 2; ++i)
    big.push_back({{"Id", std::to_string(i)}, {"MessageBody", std::string(600 * 1024, 'x')}});
  EXPECT_EQ(Fails("SendMessageBatch", {{"QueueUrl", url2}, {"Entries", big}}).code,
            "AWS.SimpleQueueService.BatchRequestTooLong");
  // One bad entry fails alone.
  auto r = Ok("SendMessageBatch",
              {{"QueueUrl", url},
               {"Entries", json::array{{{"Id", "ok"}, {"MessageBody", "x"}},
                                       {{"Id", "bad"}, {"MessageBody", std::string(2000, 'x')}}}}});
  EXPECT_EQ(r["Successful"].as_array().size(), 1u);
  ASSERT_EQ(r["Failed"].as_array().size(), 1u);
  EXPECT_EQ(r["Failed"].as_array()[0].at("Id"), "bad");
  EXPECT_EQ(r["Failed"].as_array()[0].at("SenderFault"), true);
}

TEST_F(SqsTest, BatchDeleteAndVisibility) {
  std::string url = Create("batch");
  json::array entries;
  for (int i = 0; i < 9; ++i)
    entries.push_back({{"Id", "e" + std::to_string(i)}, {"MessageBody", std::to_string(i)}});
  auto sent = Ok("SendMessageBatch", {{"QueueUrl", url}, {"Entries", entries}});
  EXPECT_EQ(sent["Successful"].as_array().size(), 9u);
  auto msgs = Receive(url);
  ASSERT_EQ(msgs.size(), 9u);
  json::array vis, del;
  for (std::size_t i = 0; i < msgs.size(); ++i) {
    vis.push_back({{"Id", "v" + std::to_string(i)},
                   {"ReceiptHandle", msgs[i].at("ReceiptHandle")},
                   {"VisibilityTimeout", 100}});
    del.push_back({{"Id", "d" + std::to_string(i)}, {"ReceiptHandle", msgs[i].at("ReceiptHandle")}});
  }
  vis.push_back({{"Id", "bad"}, {"ReceiptHandle", "nope"}, {"VisibilityTimeout", 1}});
  auto v = Ok("ChangeMessageVisibilityBatch", {{"QueueUrl", url}, {"Entries", vis}});
  EXPECT_EQ(v["Successful"].as_array().size(), 9u);
  EXPECT_EQ(v["Failed"].as_array()[0].at("Code"), "ReceiptHandleIsInvalid");
  now_ += 50'000;
  EXPECT_TRUE(Receive(url).empty());
  auto d = Ok("DeleteMessageBatch", {{"QueueUrl", url}, {"Entries", del}});
  EXPECT_EQ(d["Successful"].as_array().size(), 9u);
  now_ += 100'000;
  EXPECT_TRUE(Receive(url).empty());
}

TEST_F(SqsTest, PurgeOncePerMinute) {
  std::string url = Create("purge");
  for (int i = 0; i < 3; ++i) Ok("SendMessage", {{"QueueUrl", url}, {"MessageBody", "x"}});
  Ok("PurgeQueue", {{"QueueUrl", url}});
  EXPECT_TRUE(Receive(url).empty());
  Error e = Fails("PurgeQueue", {{"QueueUrl", url}});
  EXPECT_EQ(e.code, "AWS.SimpleQueueService.PurgeQueueInProgress");
  EXPECT_EQ(e.http_status, 403);
  now_ += 60'000;
  Ok("PurgeQueue", {{"QueueUrl", url}});
}

TEST_F(SqsTest, LongPollsBeyondTheCapAnswerAtOnce) {
  std::string url = Create("cap");
  std::vector<std::thread> waiters;
  for (int i = 0; i < 32; ++i) {
    waiters.emplace_back([&] { Receive(url, {{"WaitTimeSeconds", 2}}); });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(Receive(url, {{"WaitTimeSeconds", 20}}).empty());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(1));
  for (auto& t : waiters) t.join();
}

TEST_F(SqsTest, LongPollWakesOnSend) {
  std::string url = Create("poll");
  std::thread sender([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    Ok("SendMessage", {{"QueueUrl", url}, {"MessageBody", "wake"}});
  });
  auto t0 = std::chrono::steady_clock::now();
  auto m = Receive(url, {{"WaitTimeSeconds", 10}});
  auto waited = std::chrono::steady_clock::now() - t0;
  sender.join();
  ASSERT_EQ(m.size(), 1u);
  EXPECT_LT(waited, std::chrono::seconds(2));
}

// ---- dead-letter queues ----

TEST_F(SqsTest, RedriveAfterMaxReceiveCountAndMoveBack) {
  std::string dlq = Create("dlq");
  std::string dlq_arn = "arn:aws:sqs:us-east-1:000000000000:dlq";
  std::string src = Create(
      "src", {{"RedrivePolicy",
               json::serialize(json::object{{"deadLetterTargetArn", dlq_arn}, {"maxReceiveCount", "2"}})}});
  EXPECT_EQ(Attr(src, "RedrivePolicy"),
            "{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:000000000000:dlq\",\"maxReceiveCount\":2}");
  auto sent = Ok("SendMessage", {{"QueueUrl", src}, {"MessageBody", "poison"}});
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(Receive(src, {{"VisibilityTimeout", 1}}).size(), 1u);
    now_ += 1'000;
  }
  EXPECT_TRUE(Receive(src).empty());
  auto dead = Receive(dlq, {{"AttributeNames", json::array{"All"}}, {"VisibilityTimeout", 0}});
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].at("MessageId"), sent["MessageId"]);
  EXPECT_EQ(dead[0].at("Attributes").at("DeadLetterQueueSourceArn"),
            "arn:aws:sqs:us-east-1:000000000000:src");
  auto sources = Ok("ListDeadLetterSourceQueues", {{"QueueUrl", dlq}});
  ASSERT_EQ(sources["queueUrls"].as_array().size(), 1u);
  EXPECT_EQ(sources["queueUrls"].as_array()[0].as_string(), src);

  auto task = Ok("StartMessageMoveTask", {{"SourceArn", dlq_arn}});
  ASSERT_TRUE(task.contains("TaskHandle"));
  provider_->Maintain();
  auto tasks = Ok("ListMessageMoveTasks", {{"SourceArn", dlq_arn}});
  ASSERT_EQ(tasks["Results"].as_array().size(), 1u);
  EXPECT_EQ(tasks["Results"].as_array()[0].at("Status"), "COMPLETED");
  EXPECT_EQ(tasks["Results"].as_array()[0].at("ApproximateNumberOfMessagesMoved"), 1);
  auto back = Receive(src);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(Body(back[0]), "poison");
  EXPECT_EQ(Fails("StartMessageMoveTask", {{"SourceArn", "arn:aws:sqs:us-east-1:000000000000:src"}}).code,
            "InvalidParameterValue");
}

TEST_F(SqsTest, MoveTasksSurviveARestart) {
  std::string dlq = Create("dlq");
  std::string dlq_arn = "arn:aws:sqs:us-east-1:000000000000:dlq";
  std::string dst = Create("dst");
  Create("src", {{"RedrivePolicy", json::serialize(json::object{{"deadLetterTargetArn", dlq_arn},
                                                                {"maxReceiveCount", "1"}})}});
  for (int i = 0; i < 5; ++i)
    Ok("SendMessage", {{"QueueUrl", dlq}, {"MessageBody", "m" + std::to_string(i)}});
  // Two messages a second: one round moves two, then a restart, and the task goes on where it was.
  auto task = Ok("StartMessageMoveTask", {{"SourceArn", dlq_arn},
                                          {"DestinationArn", "arn:aws:sqs:us-east-1:000000000000:dst"},
                                          {"MaxNumberOfMessagesPerSecond", 2}});
  provider_->Maintain();
  Open();
  auto tasks = Ok("ListMessageMoveTasks", {{"SourceArn", dlq_arn}});
  ASSERT_EQ(tasks["Results"].as_array().size(), 1u);
  EXPECT_EQ(tasks["Results"].as_array()[0].at("Status"), "RUNNING");
  EXPECT_EQ(tasks["Results"].as_array()[0].at("TaskHandle"), task["TaskHandle"]);
  EXPECT_EQ(tasks["Results"].as_array()[0].at("ApproximateNumberOfMessagesMoved"), 2);
  EXPECT_EQ(tasks["Results"].as_array()[0].at("ApproximateNumberOfMessagesToMove"), 5);
  for (int i = 0; i < 3; ++i) provider_->Maintain();
  Open();
  tasks = Ok("ListMessageMoveTasks", {{"SourceArn", dlq_arn}, {"MaxResults", 10}});
  ASSERT_EQ(tasks["Results"].as_array().size(), 1u);
  EXPECT_EQ(tasks["Results"].as_array()[0].at("Status"), "COMPLETED");
  EXPECT_EQ(tasks["Results"].as_array()[0].at("ApproximateNumberOfMessagesMoved"), 5);
  EXPECT_EQ(Attr(dst, "ApproximateNumberOfMessages"), "5");
  // The newest 10 tasks of a source are kept.
  for (int i = 0; i < 11; ++i) {
    auto t = Ok("StartMessageMoveTask", {{"SourceArn", dlq_arn}});
    Ok("CancelMessageMoveTask", {{"TaskHandle", t["TaskHandle"]}});
    provider_->Maintain();
  }
  Open();
  tasks = Ok("ListMessageMoveTasks", {{"SourceArn", dlq_arn}, {"MaxResults", 10}});
  ASSERT_EQ(tasks["Results"].as_array().size(), 10u);
  for (const auto& r : tasks["Results"].as_array()) EXPECT_EQ(r.at("Status"), "CANCELLED");
}

TEST_F(SqsTest, RedrivePolicyChecks) {
  std::string fifo = Create("d.fifo", {{"FifoQueue", "true"}});
  auto policy = [](const std::string& arn, const std::string& count) {
    return json::serialize(json::object{{"deadLetterTargetArn", arn}, {"maxReceiveCount", count}});
  };
  EXPECT_EQ(
      Fails("CreateQueue",
            {{"QueueName", "s"},
             {"Attributes", {{"RedrivePolicy", policy("arn:aws:sqs:us-east-1:000000000000:d.fifo", "3")}}}})
          .code,
      "InvalidParameterValue");
  EXPECT_EQ(
      Fails("CreateQueue",
            {{"QueueName", "s"},
             {"Attributes", {{"RedrivePolicy", policy("arn:aws:sqs:us-east-1:000000000000:none", "3")}}}})
          .code,
      "InvalidParameterValue");
  Create("deny", {{"RedriveAllowPolicy", "{\"redrivePermission\":\"denyAll\"}"}});
  EXPECT_EQ(
      Fails("CreateQueue",
            {{"QueueName", "s"},
             {"Attributes", {{"RedrivePolicy", policy("arn:aws:sqs:us-east-1:000000000000:deny", "3")}}}})
          .code,
      "InvalidParameterValue");
  Create("ok");
  EXPECT_EQ(Fails("CreateQueue",
                  {{"QueueName", "s"},
                   {"Attributes", {{"RedrivePolicy", policy("arn:aws:sqs:us-east-1:000000000000:ok", "0")}}}})
                .code,
            "InvalidParameterValue");
  EXPECT_EQ(
      Fails("CreateQueue", {{"QueueName", "s"},
                            {"Attributes", {{"RedriveAllowPolicy", "{\"redrivePermission\":\"byQueue\"}"}}}})
          .code,
      "InvalidParameterValue");
}

// ---- FIFO ----

TEST_F(SqsTest, FifoGroupOrderingAndInFlightBlocking) {
  std::string url = Create("o.fifo", {{"FifoQueue", "true"}, {"ContentBasedDeduplication", "true"}});
  EXPECT_EQ(Attr(url, "FifoQueue"), "true");
  EXPECT_EQ(Attr(url, "DeduplicationScope"), "queue");
  for (int i = 0; i < 3; ++i)
    Ok("SendMessage", {{"QueueUrl", url}, {"MessageBody", "a" + std::to_string(i)}, {"MessageGroupId", "A"}});
  for (int i = 0; i < 2; ++i)
    Ok("SendMessage", {{"QueueUrl", url}, {"MessageBody", "b" + std::to_string(i)}, {"MessageGroupId", "B"}});
  auto first = Receive(url, {{"MaxNumberOfMessages", 2}});
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(Body(first[0]), "a0");
  EXPECT_EQ(Body(first[1]), "a1");
  // Group A is in flight: only B is delivered.
  auto second = Receive(url);
  ASSERT_EQ(second.size(), 2u);
  EXPECT_EQ(Body(second[0]), "b0");
  EXPECT_EQ(Body(second[1]), "b1");
  EXPECT_TRUE(Receive(url).empty());
  Ok("DeleteMessage", {{"QueueUrl", url}, {"ReceiptHandle", first[0].at("ReceiptHandle")}});
  EXPECT_TRUE(Receive(url).empty());  // a1 still in flight
  Ok("DeleteMessage", {{"QueueUrl", url}, {"ReceiptHandle", first[1].at("ReceiptHandle")}});
  auto third = Receive(url, {{"AttributeNames", json::array{"All"}}});
  ASSERT_EQ(third.size(), 1u);
  EXPECT_EQ(Body(third[0]), "a2");
  EXPECT_EQ(third[0].at("Attributes").at("MessageGroupId"), "A");
  EXPECT_TRUE(third[0].at("Attributes").as_object().contains("SequenceNumber"));
}

TEST_F(SqsTest, FifoDeduplicationWindow) {
  std::string url = Create("d.fifo", {{"FifoQueue", "true"}});
  EXPECT_EQ(Fails("SendMessage", {{"QueueUrl", url}, {"MessageBody", "x"}, {"MessageGroupId", "g"}}).code,
            "InvalidParameterValue");
  EXPECT_EQ(
      Fails("SendMessage", {{"QueueUrl", url}, {"MessageBody", "x"}, {"MessageDeduplicationId", "d"}}).code,
      "MissingParameter");
  EXPECT_EQ(Fails("SendMessage", {{"QueueUrl", url},
                                  {"MessageBody", "x"},
                                  {"MessageGroupId", "g"},
                                  {"MessageDeduplicationId", "d"},
                                  {"DelaySeconds", 3}})
                .code,
            "InvalidParameterValue");
  auto a = Ok(
      "SendMessage",
      {{"QueueUrl", url}, {"MessageBody", "x"}, {"MessageGroupId", "g"}, {"MessageDeduplicationId", "d1"}});
  auto b = Ok(
      "SendMessage",
      {{"QueueUrl", url}, {"MessageBody", "y"}, {"MessageGroupId", "g"}, {"MessageDeduplicationId", "d1"}});
  EXPECT_EQ(a["MessageId"], b["MessageId"]);
  EXPECT_EQ(a["SequenceNumber"], b["SequenceNumber"]);
  auto batch =
      Ok("SendMessageBatch",
         {{"QueueUrl", url},
          {"Entries",
           json::array{
               {{"Id", "1"}, {"MessageBody", "z"}, {"MessageGroupId", "g"}, {"MessageDeduplicationId", "d2"}},
               {{"Id", "2"},
                {"MessageBody", "z"},
                {"MessageGroupId", "g"},
                {"MessageDeduplicationId", "d2"}}}}});
  ASSERT_EQ(batch["Successful"].as_array().size(), 2u);
  EXPECT_EQ(batch["Successful"].as_array()[0].at("MessageId"),
            batch["Successful"].as_array()[1].at("MessageId"));
  EXPECT_EQ(Attr(url, "ApproximateNumberOfMessages"), "2");
  now_ += 300'001;
  Ok("SendMessage",
     {{"QueueUrl", url}, {"MessageBody", "x"}, {"MessageGroupId", "g"}, {"MessageDeduplicationId", "d1"}});
  EXPECT_EQ(Attr(url, "ApproximateNumberOfMessages"), "3");
}

TEST_F(SqsTest, FifoReceiveRequestAttemptId) {
  std::string url = Create("r.fifo", {{"FifoQueue", "true"}, {"ContentBasedDeduplication", "true"}});
  for (int i = 0; i < 3; ++i)
    Ok("SendMessage", {{"QueueUrl", url}, {"MessageBody", "m" + std::to_string(i)}, {"MessageGroupId", "g"}});
  auto first = Receive(url, {{"ReceiveRequestAttemptId", "a1"}, {"MaxNumberOfMessages", 2}});
  ASSERT_EQ(first.size(), 2u);
  auto retry = Receive(url, {{"ReceiveRequestAttemptId", "a1"}, {"MaxNumberOfMessages", 2}});
  ASSERT_EQ(retry.size(), 2u);
  EXPECT_EQ(Handle(retry[0]), Handle(first[0]));
  EXPECT_EQ(Handle(retry[1]), Handle(first[1]));
  EXPECT_TRUE(Receive(url, {{"ReceiveRequestAttemptId", "a2"}}).empty());  // the group is in flight
  Ok("DeleteMessage", {{"QueueUrl", url}, {"ReceiptHandle", Handle(first[0])}});
  // Part of the first attempt's answer is gone: the retry is a new receive.
  now_ += 30'000;
  auto later = Receive(url, {{"ReceiveRequestAttemptId", "a1"}});
  ASSERT_EQ(later.size(), 2u);
  EXPECT_EQ(Body(later[0]), "m1");
  EXPECT_NE(Handle(later[0]), Handle(first[1]));
}

TEST_F(SqsTest, FifoMessageGroupScopedDeduplication) {
  std::string url = Create("h.fifo", {{"FifoQueue", "true"},
                                      {"DeduplicationScope", "messageGroup"},
                                      {"FifoThroughputLimit", "perMessageGroupId"}});
  Ok("SendMessage",
     {{"QueueUrl", url}, {"MessageBody", "x"}, {"MessageGroupId", "g1"}, {"MessageDeduplicationId", "d"}});
  Ok("SendMessage",
     {{"QueueUrl", url}, {"MessageBody", "x"}, {"MessageGroupId", "g2"}, {"MessageDeduplicationId", "d"}});
  EXPECT_EQ(Attr(url, "ApproximateNumberOfMessages"), "2");
}

// ---- durability: everything comes back from the journal ----

TEST_F(SqsTest, StateSurvivesReopen) {
  std::string url = Create("durable", {{"VisibilityTimeout", "20"}});
  std::string f = Create("durable.fifo", {{"FifoQueue", "true"}, {"ContentBasedDeduplication", "true"}});
  for (int i = 0; i < 5; ++i)
    Ok("SendMessage", {{"QueueUrl", url}, {"MessageBody", "m" + std::to_string(i)}});
  Ok("SendMessage", {{"QueueUrl", f}, {"MessageBody", "dup"}, {"MessageGroupId", "g"}});
  auto got = Receive(url, {{"MaxNumberOfMessages", 3}});
  ASSERT_EQ(got.size(), 3u);
  Ok("DeleteMessage", {{"QueueUrl", url}, {"ReceiptHandle", got[0].at("ReceiptHandle")}});
  Ok("TagQueue", {{"QueueUrl", url}, {"Tags", {{"team", "data"}}}});
  Open();
  EXPECT_EQ(Attr(url, "ApproximateNumberOfMessages"), "2");
  EXPECT_EQ(Attr(url, "ApproximateNumberOfMessagesNotVisible"), "2");
  EXPECT_EQ(Ok("ListQueueTags", {{"QueueUrl", url}})["Tags"].at("team"), "data");
  // The receipts handed out before the restart still delete.
  Ok("DeleteMessage", {{"QueueUrl", url}, {"ReceiptHandle", got[1].at("ReceiptHandle")}});
  now_ += 20'000;
  auto after = Receive(url, {{"AttributeNames", json::array{"ApproximateReceiveCount"}}});
  ASSERT_EQ(after.size(), 3u);
  int redelivered = 0;
  for (const auto& m : after) {
    EXPECT_NE(Body(m), Body(got[0]));
    EXPECT_NE(Body(m), Body(got[1]));
    if (m.at("Attributes").at("ApproximateReceiveCount") == "2") ++redelivered;
  }
  EXPECT_EQ(redelivered, 1);
  // FIFO deduplication survives too.
  Ok("SendMessage", {{"QueueUrl", f}, {"MessageBody", "dup"}, {"MessageGroupId", "g"}});
  EXPECT_EQ(Attr(f, "ApproximateNumberOfMessages"), "1");
}

TEST_F(SqsTest, JournalIsTrimmedBehindTheOldestLiveMessage) {
  segment_bytes_ = 4096;
  Open();
  std::string url = Create("trim");
  Ok("SendMessage", {{"QueueUrl", url}, {"MessageBody", "old and kept"}});
  auto bounds = [&] {
    std::uint64_t records = 0;
    auto names = log_->ListLogs();
    EXPECT_TRUE(names.ok());
    if (!names.ok()) return records;
    std::vector<std::string> list = std::move(names).value();
    for (const auto& name : list) {
      auto b = log_->Bounds(name);
      if (b.ok()) records += b->record_count;
    }
    return records;
  };
  auto churn = [&](int n) {
    for (int i = 0; i < n; ++i) {
      Ok("SendMessage", {{"QueueUrl", url}, {"MessageBody", std::string(500, 'x')}, {"DelaySeconds", 0}});
    }
    for (;;) {
      auto got = Receive(url, {{"VisibilityTimeout", 300}});
      if (got.empty()) break;
      for (const auto& m : got) {
        if (Body(m) != "old and kept")
          Ok("DeleteMessage", {{"QueueUrl", url}, {"ReceiptHandle", m.at("ReceiptHandle")}});
      }
    }
  };
  churn(100);
  now_ += 301'000;  // past the deduplication window
  provider_->Maintain();
  std::uint64_t kept_behind_live = bounds();
  EXPECT_GT(kept_behind_live, 200u);  // the first message pins the journal
  // Once it is deleted too, everything older than the last five minutes goes.
  now_ += 300'000;
  auto old = Receive(url);
  ASSERT_EQ(old.size(), 1u);
  Ok("DeleteMessage", {{"QueueUrl", url}, {"ReceiptHandle", old[0].at("ReceiptHandle")}});
  now_ += 301'000;
  provider_->Maintain();
  EXPECT_LT(bounds(), 40u);  // the segments of the last deletes (7 records of 500 bytes per 4 KiB segment)
  churn(5);
  Ok("SendMessage", {{"QueueUrl", url}, {"MessageBody", "after trim"}});
  Open();
  auto after = Receive(url);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(Body(after[0]), "after trim");
}

// ---- tags, permissions, policies ----

TEST_F(SqsTest, TagsAndPermissions) {
  std::string url = Create("tp");
  Ok("TagQueue", {{"QueueUrl", url}, {"Tags", {{"a", "1"}, {"b", "2"}}}});
  Ok("UntagQueue", {{"QueueUrl", url}, {"TagKeys", json::array{"a"}}});
  auto tags = Ok("ListQueueTags", {{"QueueUrl", url}});
  EXPECT_EQ(tags["Tags"].as_object().size(), 1u);
  Ok("AddPermission", {{"QueueUrl", url},
                       {"Label", "p1"},
                       {"AWSAccountIds", json::array{"111122223333"}},
                       {"Actions", json::array{"SendMessage"}}});
  std::string policy = Attr(url, "Policy");
  EXPECT_NE(policy.find("\"Sid\":\"p1\""), std::string::npos);
  EXPECT_NE(policy.find("arn:aws:iam::111122223333:root"), std::string::npos);
  EXPECT_NE(policy.find("SQS:SendMessage"), std::string::npos);
  EXPECT_EQ(Fails("AddPermission", {{"QueueUrl", url},
                                    {"Label", "p1"},
                                    {"AWSAccountIds", json::array{"111122223333"}},
                                    {"Actions", json::array{"SendMessage"}}})
                .code,
            "InvalidParameterValue");
  Ok("RemovePermission", {{"QueueUrl", url}, {"Label", "p1"}});
  EXPECT_EQ(Attr(url, "Policy"), "");
  EXPECT_EQ(Fails("RemovePermission", {{"QueueUrl", url}, {"Label", "p1"}}).code, "InvalidParameterValue");

  auto authority = provider_->MakeAuthority();
  Ok("SetQueueAttributes",
     {{"QueueUrl", url},
      {"Attributes",
       {{"Policy",
         R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"arn:aws:sqs:us-east-1:000000000000:tp","Condition":{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:000000000000:t"}}}]})"}}}});
  auto facts =
      authority->Facts(iam::RequestPrincipal{}, "sqs:SendMessage", "arn:aws:sqs:us-east-1:000000000000:tp");
  ASSERT_TRUE(facts.ok());
  EXPECT_EQ(facts->owner_account, "000000000000");
  EXPECT_TRUE(facts->policy.has_value());
  ASSERT_NE(facts->keys.Find("aws:ResourceTag/b"), nullptr);
  auto name = authority->Lookup("QueueUrlName", std::vector<std::string>{url});
  ASSERT_TRUE(name.ok());
  EXPECT_EQ(*name, "tp");
}

// Other services (SNS, S3 notifications, EventBridge) send through the invoker with a document input, as a
// service principal acting for their resource.
TEST_F(SqsTest, InProcessSendFromAServicePrincipal) {
  std::string url = Create("notify");
  aws::Caller caller;
  caller.principal.type = iam::PrincipalType::kService;
  caller.principal.account_id = "000000000000";
  caller.principal.arn = "sns.amazonaws.com";
  caller.principal.user_id = "sns.amazonaws.com";
  caller.region = "us-east-1";
  caller.invoked_by = "sns.amazonaws.com";
  caller.source_arn = "arn:aws:sns:us-east-1:000000000000:topic";
  caller.source_account = "000000000000";
  aws::OperationInput in;
  in.params =
      json::object{{"QueueUrl", url},
                   {"MessageBody", "{\"Type\":\"Notification\"}"},
                   {"MessageAttributes", {{"source", {{"DataType", "String"}, {"StringValue", "sns"}}}}}};
  auto r = harness_->invoker().Call(caller, "sqs", "SendMessage", in);
  ASSERT_TRUE(r.ok()) << r.error().code << " " << r.error().message;
  auto m = Receive(url, {{"MessageAttributeNames", json::array{"All"}}});
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(Body(m[0]), "{\"Type\":\"Notification\"}");
  EXPECT_EQ(m[0].at("MessageAttributes").at("source").at("StringValue"), "sns");
  bool recorded = false;
  for (const auto& c : harness_->recorder().calls())
    recorded = recorded || (c.operation == "SendMessage" && c.invoked_by == "sns.amazonaws.com");
  EXPECT_TRUE(recorded);
}

TEST(SqsCoverage, DocMatchesProvider) {
  std::ifstream in(std::string(CENOTE_SOURCE_DIR) + "/docs/sqs-coverage.md");
  ASSERT_TRUE(in.good()) << "run: python3 src/services/sqs/gen_coverage.py";
  std::stringstream ss;
  ss << in.rdbuf();
  std::string doc = ss.str();
  for (auto op : SqsProvider::SupportedOperations())
    EXPECT_NE(doc.find("| " + std::string(op) + " | supported |"), std::string::npos)
        << op << " missing or stale in docs/sqs-coverage.md; run python3 src/services/sqs/gen_coverage.py";
  for (const auto& e :
       {errors::kQueueDoesNotExist, errors::kQueueNameExists, errors::kPurgeQueueInProgress,
        errors::kReceiptHandleIsInvalid, errors::kMessageNotInflight, errors::kBatchRequestTooLong})
    EXPECT_NE(doc.find(e.code), std::string::npos) << e.code;
}

}  // namespace
}  // namespace cenote::sqs
