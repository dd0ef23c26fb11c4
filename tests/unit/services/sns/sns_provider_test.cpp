// SNS provider: the contract as in-process calls see it (the same pipeline the server runs), with SQS as the
// delivery target, an injected clock, and deliveries run on the test's thread (DeliverNow).
#include "services/sns/sns_provider.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <fstream>
#include <set>
#include <sstream>

#include "../../store/temp_dir.hpp"
#include "../provider_harness.hpp"
#include "aws/pipeline/service_registry.hpp"
#include "services/sns/internal.hpp"
#include "services/sns/signing.hpp"
#include "services/sqs/sqs_provider.hpp"
#include "store/stream_log.hpp"

namespace cenote::sns {
namespace {

namespace json = boost::json;
using store::testing::TempDir;

constexpr const char* kAccount = "000000000000";

class SnsTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open() {
    harness_.reset();
    log_.reset();
    metadata_.reset();
    auto md = store::MetadataStore::OpenSqlite(dir_.path() + "/metadata.db");
    ASSERT_TRUE(md.ok());
    metadata_ = std::move(md).value();
    auto log = store::StreamLog::OpenLocal(dir_.path() + "/sqs", {});
    ASSERT_TRUE(log.ok());
    log_ = std::move(log).value();
    harness_ = std::make_unique<testing::ProviderHarness>(kAccount);
    sqs::SqsOptions sqs_options;
    sqs_options.clock = [this] { return now_.load(); };
    sqs_options.maintenance_interval_ms = 0;
    auto q = sqs::SqsProvider::Open(*metadata_, *log_, tasks_, sqs_options);
    ASSERT_TRUE(q.ok()) << q.error().message;
    harness_->Register(std::move(q).value());
    SnsOptions options;
    options.clock = [this] { return now_.load(); };
    options.delivery_tasks = 0;
    options.http_delivery_tasks = 0;
    options.email_dir = dir_.path() + "/email";
    options.retry_ms_per_second = 1;
    auto p = SnsProvider::Open(*metadata_, harness_->invoker(), tasks_, options);
    ASSERT_TRUE(p.ok()) << p.error().message;
    provider_ = p->get();
    harness_->Register(std::move(p).value());
  }

  Result<aws::OperationOutput> Call(std::string_view service, std::string_view op, json::object params) {
    return harness_->Call(service, op, std::move(params));
  }
  json::object Ok(std::string_view op, json::object params, std::string_view service = "sns") {
    auto r = Call(service, op, std::move(params));
    EXPECT_TRUE(r.ok()) << op << ": " << (r.ok() ? "" : r.error().code + " " + r.error().message);
    if (!r.ok()) return {};
    return r->result.as_object();
  }
  Error Fails(std::string_view op, json::object params) {
    auto r = Call("sns", op, std::move(params));
    EXPECT_FALSE(r.ok()) << op << " unexpectedly succeeded";
    if (r.ok()) return Error{};
    return r.error();
  }
  std::string Topic(const std::string& name, json::object attributes = {}) {
    json::object p{{"Name", name}};
    if (!attributes.empty()) p["Attributes"] = attributes;
    return std::string(Ok("CreateTopic", p)["TopicArn"].as_string());
  }
  // A queue and its ARN.
  std::pair<std::string, std::string> Queue(const std::string& name) {
    json::object attrs;
    if (name.ends_with(".fifo")) attrs["FifoQueue"] = "true";
    json::object p{{"QueueName", name}};
    if (!attrs.empty()) p["Attributes"] = attrs;
    std::string url(Ok("CreateQueue", p, "sqs")["QueueUrl"].as_string());
    return {url, "arn:aws:sqs:us-east-1:" + std::string(kAccount) + ":" + name};
  }
  std::string Subscribe(const std::string& topic, const std::string& protocol, const std::string& endpoint,
                        json::object attributes = {}) {
    json::object p{
        {"TopicArn", topic}, {"Protocol", protocol}, {"Endpoint", endpoint}, {"ReturnSubscriptionArn", true}};
    if (!attributes.empty()) p["Attributes"] = attributes;
    return std::string(Ok("Subscribe", p)["SubscriptionArn"].as_string());
  }
  json::array Receive(const std::string& url) {
    auto r = Ok("ReceiveMessage",
                {{"QueueUrl", url},
                 {"MaxNumberOfMessages", 10},
                 {"MessageAttributeNames", json::array{"All"}},
                 {"MessageSystemAttributeNames", json::array{"All"}}},
                "sqs");
    return r.contains("Messages") ? r["Messages"].as_array() : json::array();
  }
  std::vector<std::string> Bodies(const std::string& url) {
    std::vector<std::string> out;
    for (const auto& m : Receive(url)) out.emplace_back(m.as_object().at("Body").as_string());
    return out;
  }

  TempDir dir_;
  std::atomic<std::int64_t> now_{1'700'000'000'000};
  BackgroundTasks tasks_;
  std::unique_ptr<store::MetadataStore> metadata_;
  std::unique_ptr<store::StreamLog> log_;
  std::unique_ptr<testing::ProviderHarness> harness_;
  SnsProvider* provider_ = nullptr;
};

// The links SNS messages carry, which endpoints follow unsigned (SubscribeURL, UnsubscribeURL,
// SigningCertURL): SNS's unsigned API routes, as the pipeline's registry matches them.
TEST(SnsRoutes, MessageLinksAreSnssUnsignedRoutes) {
  class Links final : public aws::Provider {
   public:
    std::string_view service() const override { return "sns"; }
    bool Implements(std::string_view) const override { return false; }
    Result<aws::OperationOutput> Invoke(const aws::RequestContext&, std::string_view,
                                        aws::OperationInput&) override {
      return aws::OperationOutput{};
    }
    std::vector<aws::UnsignedRoute> UnsignedRoutes() override { return MessageLinkRoutes(); }
  };
  aws::pipeline::ServiceRegistry services;
  services.Register(std::make_unique<Links>());
  auto get = [](std::string target) {
    http::HttpRequest r;
    r.method = "GET";
    r.target = std::move(target);
    r.headers.Add("host", "localhost:4566");
    r.body = std::make_unique<http::StringReader>("");
    return r;
  };
  auto confirm = get("/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-east-1:1:t&Token=abc");
  auto match = services.MatchRoute(confirm, true);
  ASSERT_TRUE(match.has_value());
  EXPECT_FALSE(match->route->handler);  // an API route: SNS's own stages take it
  EXPECT_FALSE(match->route->rewrite);
  auto unsubscribe = get("/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-east-1:1:t:x");
  EXPECT_TRUE(services.MatchRoute(unsubscribe, true).has_value());
  auto cert = get("/SimpleNotificationService-0123abcd.pem");
  match = services.MatchRoute(cert, true);
  ASSERT_TRUE(match.has_value());
  match->route->rewrite(cert);
  EXPECT_EQ(cert.target,
            "/?Action=GetSigningCertificate&CertificateName=SimpleNotificationService-0123abcd.pem");
  // Anything else stays S3's (a bucket cannot be named SimpleNotificationService-...), and signed requests
  // are their API's.
  auto list = get("/?Action=ListTopics");
  EXPECT_FALSE(services.MatchRoute(list, true).has_value());
  auto object = get("/bucket/SimpleNotificationService-0123abcd.pem");
  EXPECT_FALSE(services.MatchRoute(object, true).has_value());
  auto post = get("/?Action=Unsubscribe");
  post.method = "POST";
  EXPECT_FALSE(services.MatchRoute(post, true).has_value());
  EXPECT_FALSE(services.MatchRoute(unsubscribe, false).has_value());
}

TEST_F(SnsTest, TopicsAttributesAndDefaultPolicy) {
  const std::string arn = Topic("orders");
  EXPECT_EQ(arn, "arn:aws:sns:us-east-1:000000000000:orders");
  EXPECT_EQ(Topic("orders"), arn);  // idempotent
  auto a = Ok("GetTopicAttributes", {{"TopicArn", arn}})["Attributes"].as_object();
  EXPECT_EQ(a["Owner"], "000000000000");
  EXPECT_EQ(a["SubscriptionsConfirmed"], "0");
  auto policy = json::parse(a["Policy"].as_string());
  EXPECT_EQ(policy.at("Id"), "__default_policy_ID");
  EXPECT_NE(std::string(a["EffectiveDeliveryPolicy"].as_string()).find("\"numRetries\":3"),
            std::string::npos);
  EXPECT_FALSE(a.contains("FifoTopic"));
  Ok("SetTopicAttributes",
     {{"TopicArn", arn}, {"AttributeName", "DisplayName"}, {"AttributeValue", "Orders"}});
  EXPECT_EQ(Ok("GetTopicAttributes", {{"TopicArn", arn}})["Attributes"].as_object()["DisplayName"], "Orders");
  EXPECT_EQ(
      Fails("CreateTopic", {{"Name", "orders"}, {"Attributes", json::object{{"DisplayName", "x"}}}}).code,
      "InvalidParameter");
  EXPECT_EQ(
      Fails("SetTopicAttributes", {{"TopicArn", arn}, {"AttributeName", "Bogus"}, {"AttributeValue", "1"}})
          .message,
      "Invalid parameter: AttributeName");
  EXPECT_EQ(Fails("GetTopicAttributes", {{"TopicArn", arn + "x"}}).code, "NotFound");
  EXPECT_EQ(Fails("CreateTopic", {{"Name", "bad name"}}).message, "Invalid parameter: Topic Name");
  EXPECT_EQ(Fails("CreateTopic", {{"Name", "f.fifo"}}).code, "InvalidParameter");
  const std::string fifo = Topic("f.fifo", {{"FifoTopic", "true"}});
  auto fa = Ok("GetTopicAttributes", {{"TopicArn", fifo}})["Attributes"].as_object();
  EXPECT_EQ(fa["FifoTopic"], "true");
  EXPECT_EQ(fa["ContentBasedDeduplication"], "false");
  EXPECT_EQ(Ok("ListTopics", {})["Topics"].as_array().size(), 2u);
  Ok("DeleteTopic", {{"TopicArn", fifo}});
  Ok("DeleteTopic", {{"TopicArn", fifo}});  // idempotent
  EXPECT_EQ(Ok("ListTopics", {})["Topics"].as_array().size(), 1u);
}

TEST_F(SnsTest, ListsPageBy100) {
  std::set<std::string> topics;
  for (int i = 0; i < 105; ++i) topics.insert(Topic("t" + std::to_string(i)));
  auto first = Ok("ListTopics", {});
  EXPECT_EQ(first["Topics"].as_array().size(), 100u);
  ASSERT_TRUE(first.contains("NextToken"));
  auto second = Ok("ListTopics", {{"NextToken", first["NextToken"]}});
  EXPECT_EQ(second["Topics"].as_array().size(), 5u);
  EXPECT_FALSE(second.contains("NextToken"));
  std::set<std::string> listed;
  for (const auto* page : {&first, &second}) {
    for (const auto& t : page->at("Topics").as_array())
      listed.insert(std::string(t.at("TopicArn").as_string()));
  }
  EXPECT_EQ(listed, topics);
  // Another region's topics are not listed.
  EXPECT_TRUE(harness_->Call("sns", "ListTopics", {}, "eu-west-1")->result.at("Topics").as_array().empty());

  const std::string topic = *topics.begin();
  auto [url, qarn] = Queue("q");
  for (int i = 0; i < 101; ++i) Subscribe(topic, "sqs", qarn + std::to_string(i));
  auto page = Ok("ListSubscriptionsByTopic", {{"TopicArn", topic}});
  EXPECT_EQ(page["Subscriptions"].as_array().size(), 100u);
  auto rest = Ok("ListSubscriptionsByTopic", {{"TopicArn", topic}, {"NextToken", page["NextToken"]}});
  EXPECT_EQ(rest["Subscriptions"].as_array().size(), 1u);
  page = Ok("ListSubscriptions", {});
  EXPECT_EQ(page["Subscriptions"].as_array().size(), 100u);
  rest = Ok("ListSubscriptions", {{"NextToken", page["NextToken"]}});
  EXPECT_EQ(rest["Subscriptions"].as_array().size(), 1u);
  EXPECT_FALSE(rest.contains("NextToken"));
}

TEST_F(SnsTest, TagsAndPermissions) {
  const std::string arn = Topic("t");
  Ok("TagResource",
     {{"ResourceArn", arn}, {"Tags", json::array{json::object{{"Key", "team"}, {"Value", "data"}}}}});
  auto tags = Ok("ListTagsForResource", {{"ResourceArn", arn}})["Tags"].as_array();
  ASSERT_EQ(tags.size(), 1u);
  Ok("UntagResource", {{"ResourceArn", arn}, {"TagKeys", json::array{"team"}}});
  EXPECT_TRUE(Ok("ListTagsForResource", {{"ResourceArn", arn}})["Tags"].as_array().empty());
  EXPECT_EQ(Fails("ListTagsForResource", {{"ResourceArn", arn + "nope"}}).code, "ResourceNotFound");
  Ok("AddPermission", {{"TopicArn", arn},
                       {"Label", "pub"},
                       {"AWSAccountId", json::array{"111122223333"}},
                       {"ActionName", json::array{"Publish"}}});
  auto policy = json::parse(
      Ok("GetTopicAttributes", {{"TopicArn", arn}})["Attributes"].as_object()["Policy"].as_string());
  auto statements = policy.at("Statement").as_array();
  ASSERT_EQ(statements.size(), 2u);
  EXPECT_EQ(statements[1].at("Principal").at("AWS"), "arn:aws:iam::111122223333:root");
  EXPECT_EQ(statements[1].at("Action"), "SNS:Publish");
  EXPECT_EQ(Fails("AddPermission", {{"TopicArn", arn},
                                    {"Label", "pub"},
                                    {"AWSAccountId", json::array{"111122223333"}},
                                    {"ActionName", json::array{"Publish"}}})
                .code,
            "InvalidParameter");
  Ok("RemovePermission", {{"TopicArn", arn}, {"Label", "pub"}});
  policy = json::parse(
      Ok("GetTopicAttributes", {{"TopicArn", arn}})["Attributes"].as_object()["Policy"].as_string());
  EXPECT_EQ(policy.at("Statement").as_array().size(), 1u);
}

TEST_F(SnsTest, SqsDeliveryEnvelopeSignedAndRaw) {
  const std::string topic = Topic("t");
  auto [url, qarn] = Queue("q");
  auto [raw_url, raw_arn] = Queue("raw");
  const std::string sub = Subscribe(topic, "sqs", qarn);
  Subscribe(topic, "sqs", raw_arn, {{"RawMessageDelivery", "true"}});
  auto subs = Ok("ListSubscriptionsByTopic", {{"TopicArn", topic}})["Subscriptions"].as_array();
  EXPECT_EQ(subs.size(), 2u);
  auto out = Ok("Publish",
                {{"TopicArn", topic},
                 {"Message", "hello"},
                 {"Subject", "greeting"},
                 {"MessageAttributes",
                  json::object{{"color", json::object{{"DataType", "String"}, {"StringValue", "blue"}}}}}});
  const std::string id(out["MessageId"].as_string());
  EXPECT_EQ(provider_->PendingDeliveries(), 2u);
  provider_->DeliverNow();
  EXPECT_EQ(provider_->PendingDeliveries(), 0u);
  auto bodies = Bodies(url);
  ASSERT_EQ(bodies.size(), 1u);
  json::object env = json::parse(bodies[0]).as_object();
  EXPECT_EQ(env["Type"], "Notification");
  EXPECT_EQ(env["MessageId"].as_string(), id);
  EXPECT_EQ(env["TopicArn"].as_string(), topic);
  EXPECT_EQ(env["Subject"], "greeting");
  EXPECT_EQ(env["Message"], "hello");
  EXPECT_EQ(env["SignatureVersion"], "1");
  EXPECT_EQ(env["MessageAttributes"].at("color").at("Type"), "String");
  EXPECT_EQ(env["MessageAttributes"].at("color").at("Value"), "blue");
  EXPECT_EQ(env["UnsubscribeURL"].as_string(),
            "http://localhost:4566/?Action=Unsubscribe&SubscriptionArn=" + sub);
  // The signature verifies with the certificate served at SigningCertURL.
  const std::string cert_url(env["SigningCertURL"].as_string());
  const std::string name = cert_url.substr(cert_url.rfind('/') + 1);
  auto cert = Call("sns", "GetSigningCertificate", {{"CertificateName", name}});
  ASSERT_TRUE(cert.ok());
  ASSERT_TRUE(cert->body != nullptr);
  std::string pem(*cert->body->Size(), '\0');
  ASSERT_TRUE(cert->body->Read(pem.data(), pem.size()).ok());
  EXPECT_TRUE(pem.starts_with("-----BEGIN CERTIFICATE-----"));
  EXPECT_TRUE(VerifySignature(pem, CanonicalString(env), std::string(env["Signature"].as_string()), 1));
  env["Message"] = "tampered";
  EXPECT_FALSE(VerifySignature(pem, CanonicalString(env), std::string(env["Signature"].as_string()), 1));
  EXPECT_EQ(Call("sns", "GetSigningCertificate", {{"CertificateName", "SimpleNotificationService-x.pem"}})
                .error()
                .code,
            "ResourceNotFound");
  // Raw: the message itself, the attributes as SQS attributes.
  auto raw = Receive(raw_url);
  ASSERT_EQ(raw.size(), 1u);
  EXPECT_EQ(raw[0].at("Body"), "hello");
  EXPECT_EQ(raw[0].at("MessageAttributes").at("color").at("StringValue"), "blue");
}

TEST_F(SnsTest, SignatureVersion2) {
  const std::string topic = Topic("t", {{"SignatureVersion", "2"}});
  auto [url, qarn] = Queue("q");
  Subscribe(topic, "sqs", qarn);
  Ok("Publish", {{"TopicArn", topic}, {"Message", "m"}});
  provider_->DeliverNow();
  auto bodies = Bodies(url);
  ASSERT_EQ(bodies.size(), 1u);
  json::object env = json::parse(bodies[0]).as_object();
  EXPECT_EQ(env["SignatureVersion"], "2");
  EXPECT_FALSE(env.contains("Subject"));
  auto cert = SigningKey::Generate();  // another key does not verify it
  ASSERT_TRUE(cert.ok());
  EXPECT_FALSE(VerifySignature(cert->CertificatePem(), CanonicalString(env),
                               std::string(env["Signature"].as_string()), 2));
}

TEST_F(SnsTest, MessageStructureJsonPicksTheProtocolsMessage) {
  const std::string topic = Topic("t");
  auto [url, qarn] = Queue("q");
  Subscribe(topic, "sqs", qarn, {{"RawMessageDelivery", "true"}});
  Subscribe(topic, "email-json", "ops@example.com");
  Ok("Publish",
     {{"TopicArn", topic}, {"MessageStructure", "json"}, {"Message", R"({"default":"d","sqs":"for sqs"})"}});
  provider_->DeliverNow();
  EXPECT_EQ(Bodies(url), std::vector<std::string>{"for sqs"});
  EXPECT_EQ(
      Fails("Publish", {{"TopicArn", topic}, {"MessageStructure", "json"}, {"Message", R"({"sqs":"x"})"}})
          .message,
      "Invalid parameter: Message Structure - No default entry in JSON message body");
  EXPECT_EQ(
      Fails("Publish", {{"TopicArn", topic}, {"MessageStructure", "json"}, {"Message", "nope"}}).message,
      "Invalid parameter: Message Structure - JSON message body failed to parse");
}

TEST_F(SnsTest, EmailSubscriptionConfirmsWithTheToken) {
  const std::string topic = Topic("t");
  auto r =
      Ok("Subscribe", {{"TopicArn", topic}, {"Protocol", "email-json"}, {"Endpoint", "ops@example.com"}});
  EXPECT_EQ(r["SubscriptionArn"], "pending confirmation");
  auto attrs = Ok("GetTopicAttributes", {{"TopicArn", topic}})["Attributes"].as_object();
  EXPECT_EQ(attrs["SubscriptionsPending"], "1");
  provider_->DeliverNow();
  std::ifstream in(dir_.path() + "/email/messages.jsonl");
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  json::object mail = json::parse(line).as_object();
  EXPECT_EQ(mail["type"], "SubscriptionConfirmation");
  EXPECT_EQ(mail["to"], "ops@example.com");
  json::object body = json::parse(mail["body"].as_string()).as_object();
  const std::string token(body["Token"].as_string());
  EXPECT_NE(std::string(body["SubscribeURL"].as_string()).find("Action=ConfirmSubscription"),
            std::string::npos);
  // Subscribing the pending endpoint again sends the confirmation again.
  Ok("Subscribe", {{"TopicArn", topic}, {"Protocol", "email-json"}, {"Endpoint", "ops@example.com"}});
  provider_->DeliverNow();
  std::string again;
  ASSERT_TRUE(std::getline(in, again));
  EXPECT_EQ(json::parse(json::parse(again).at("body").as_string()).at("Token").as_string(), token);
  EXPECT_EQ(Fails("ConfirmSubscription", {{"TopicArn", topic}, {"Token", "nope"}}).message, "Invalid token");
  auto confirmed = Ok("ConfirmSubscription", {{"TopicArn", topic}, {"Token", token}});
  const std::string sub(confirmed["SubscriptionArn"].as_string());
  EXPECT_TRUE(sub.starts_with(topic + ":"));
  auto sa = Ok("GetSubscriptionAttributes", {{"SubscriptionArn", sub}})["Attributes"].as_object();
  EXPECT_EQ(sa["PendingConfirmation"], "false");
  Ok("Publish", {{"TopicArn", topic}, {"Message", "news"}});
  provider_->DeliverNow();
  ASSERT_TRUE(std::getline(in, line));
  mail = json::parse(line).as_object();
  EXPECT_EQ(mail["type"], "Notification");
  EXPECT_EQ(json::parse(mail["body"].as_string()).at("Message"), "news");
}

TEST_F(SnsTest, UnconfirmedSubscriptionsAreDeletedAfter48Hours) {
  const std::string topic = Topic("t");
  auto [url, queue] = Queue("q");
  Subscribe(topic, "sqs", queue);
  const std::string pending = Subscribe(topic, "email-json", "ops@example.com");
  now_ += 47 * 3'600'000LL;
  ASSERT_TRUE(provider_->DeleteUnconfirmedNow().ok());
  const std::string later = Subscribe(topic, "email-json", "later@example.com");
  auto attrs = Ok("GetTopicAttributes", {{"TopicArn", topic}})["Attributes"].as_object();
  EXPECT_EQ(attrs["SubscriptionsPending"], "2");
  now_ += 3'600'000LL;  // 48 hours after the first Subscribe
  ASSERT_TRUE(provider_->DeleteUnconfirmedNow().ok());
  EXPECT_EQ(Fails("GetSubscriptionAttributes", {{"SubscriptionArn", pending}}).code, "NotFound");
  Ok("GetSubscriptionAttributes", {{"SubscriptionArn", later}});
  attrs = Ok("GetTopicAttributes", {{"TopicArn", topic}})["Attributes"].as_object();
  EXPECT_EQ(attrs["SubscriptionsPending"], "1");
  EXPECT_EQ(attrs["SubscriptionsConfirmed"], "1");
  // Gone for good: a restart does not bring it back.
  Open();
  EXPECT_EQ(Fails("GetSubscriptionAttributes", {{"SubscriptionArn", pending}}).code, "NotFound");
  EXPECT_EQ(Ok("ListSubscriptionsByTopic", {{"TopicArn", topic}})["Subscriptions"].as_array().size(), 2u);
}

TEST_F(SnsTest, FilterPoliciesOnAttributesAndBody) {
  const std::string topic = Topic("t");
  auto [a_url, a_arn] = Queue("a");
  auto [b_url, b_arn] = Queue("b");
  const std::string a = Subscribe(
      topic, "sqs", a_arn,
      {{"RawMessageDelivery", "true"},
       {"FilterPolicy", R"({"color": ["blue", {"prefix": "gr"}], "size": [{"numeric": [">", 10]}]})"}});
  Subscribe(topic, "sqs", b_arn,
            {{"RawMessageDelivery", "true"},
             {"FilterPolicyScope", "MessageBody"},
             {"FilterPolicy", R"({"order": {"kind": [{"anything-but": "test"}]}})"}});
  auto attr = [](const char* type, const char* value) {
    return json::object{{"DataType", type}, {"StringValue", value}};
  };
  Ok("Publish", {{"TopicArn", topic},
                 {"Message", "1"},
                 {"MessageAttributes",
                  json::object{{"color", attr("String", "green")}, {"size", attr("Number", "11")}}}});
  Ok("Publish",
     {{"TopicArn", topic},
      {"Message", "2"},
      {"MessageAttributes", json::object{{"color", attr("String", "red")}, {"size", attr("Number", "11")}}}});
  Ok("Publish", {{"TopicArn", topic}, {"Message", R"({"order": {"kind": "real"}})"}});
  Ok("Publish", {{"TopicArn", topic}, {"Message", R"({"order": {"kind": "test"}})"}});
  provider_->DeliverNow();
  EXPECT_EQ(Bodies(a_url), std::vector<std::string>{"1"});
  EXPECT_EQ(Bodies(b_url), std::vector<std::string>{R"({"order": {"kind": "real"}})"});
  auto sa = Ok("GetSubscriptionAttributes", {{"SubscriptionArn", a}})["Attributes"].as_object();
  EXPECT_EQ(sa["FilterPolicyScope"], "MessageAttributes");
  // SNS's validation, from the shared matcher's SNS dialect.
  auto e = Fails("SetSubscriptionAttributes",
                 {{"SubscriptionArn", a},
                  {"AttributeName", "FilterPolicy"},
                  {"AttributeValue", R"({"a":["1"],"b":["1"],"c":["1"],"d":["1"],"e":["1"],"f":["1"]})"}});
  EXPECT_EQ(e.code, "InvalidParameter");
  EXPECT_TRUE(e.message.starts_with("Invalid parameter: FilterPolicy")) << e.message;
  // Removing the policy delivers everything again.
  Ok("SetSubscriptionAttributes",
     {{"SubscriptionArn", a}, {"AttributeName", "FilterPolicy"}, {"AttributeValue", ""}});
  Ok("Publish", {{"TopicArn", topic}, {"Message", "3"}});
  provider_->DeliverNow();
  EXPECT_EQ(Bodies(a_url), std::vector<std::string>{"3"});
}

TEST_F(SnsTest, FifoOrderDedupAndSequenceNumbers) {
  const std::string topic = Topic("t.fifo", {{"FifoTopic", "true"}});
  auto [url, qarn] = Queue("q.fifo");
  Subscribe(topic, "sqs", qarn, {{"RawMessageDelivery", "true"}});
  EXPECT_EQ(Fails("Publish", {{"TopicArn", topic}, {"Message", "m"}}).message,
            "Invalid parameter: The MessageGroupId parameter is required for FIFO topics");
  EXPECT_EQ(Fails("Publish", {{"TopicArn", topic}, {"Message", "m"}, {"MessageGroupId", "g"}}).code,
            "InvalidParameter");
  auto first =
      Ok("Publish",
         {{"TopicArn", topic}, {"Message", "m1"}, {"MessageGroupId", "g"}, {"MessageDeduplicationId", "d1"}});
  auto again =
      Ok("Publish",
         {{"TopicArn", topic}, {"Message", "m1"}, {"MessageGroupId", "g"}, {"MessageDeduplicationId", "d1"}});
  EXPECT_EQ(first["MessageId"], again["MessageId"]);
  EXPECT_EQ(first["SequenceNumber"], again["SequenceNumber"]);
  auto second =
      Ok("Publish",
         {{"TopicArn", topic}, {"Message", "m2"}, {"MessageGroupId", "g"}, {"MessageDeduplicationId", "d2"}});
  EXPECT_LT(std::string(first["SequenceNumber"].as_string()),
            std::string(second["SequenceNumber"].as_string()));
  auto batch =
      Ok("PublishBatch",
         {{"TopicArn", topic},
          {"PublishBatchRequestEntries",
           json::array{
               json::object{
                   {"Id", "a"}, {"Message", "m3"}, {"MessageGroupId", "g"}, {"MessageDeduplicationId", "d3"}},
               json::object{
                   {"Id", "b"}, {"Message", "m4"}, {"MessageGroupId", "g"}, {"MessageDeduplicationId", "d4"}},
               json::object{{"Id", "c"}, {"Message", "bad"}}}}});
  EXPECT_EQ(batch["Successful"].as_array().size(), 2u);
  ASSERT_EQ(batch["Failed"].as_array().size(), 1u);
  EXPECT_EQ(batch["Failed"].as_array()[0].at("Id"), "c");
  EXPECT_EQ(batch["Failed"].as_array()[0].at("SenderFault"), true);
  provider_->DeliverNow();
  // In publish order (SQS hands a group's messages out together, in order).
  std::vector<std::string> got = Bodies(url);
  EXPECT_EQ(got, (std::vector<std::string>{"m1", "m2", "m3", "m4"}));
  // Content-based deduplication.
  Ok("SetTopicAttributes",
     {{"TopicArn", topic}, {"AttributeName", "ContentBasedDeduplication"}, {"AttributeValue", "true"}});
  auto c1 = Ok("Publish", {{"TopicArn", topic}, {"Message", "same"}, {"MessageGroupId", "g"}});
  auto c2 = Ok("Publish", {{"TopicArn", topic}, {"Message", "same"}, {"MessageGroupId", "h"}});
  EXPECT_EQ(c1["MessageId"], c2["MessageId"]);
  // After the 5-minute window the same id is a new message.
  now_ += 300'001;
  auto c3 = Ok("Publish", {{"TopicArn", topic}, {"Message", "same"}, {"MessageGroupId", "g"}});
  EXPECT_NE(c1["MessageId"], c3["MessageId"]);
}

TEST_F(SnsTest, PublishValidation) {
  const std::string topic = Topic("t");
  EXPECT_EQ(Fails("Publish", {{"TopicArn", topic}, {"Message", ""}}).message,
            "Invalid parameter: Empty message");
  EXPECT_EQ(Fails("Publish", {{"TopicArn", topic}, {"Message", std::string(256 * 1024 + 1, 'x')}}).message,
            "Invalid parameter: Message too long");
  EXPECT_EQ(Fails("Publish", {{"TopicArn", topic}, {"Message", "m"}, {"Subject", "a\nb"}}).message,
            "Invalid parameter: Subject");
  EXPECT_EQ(Fails("Publish", {{"TopicArn", topic}, {"Message", "m"}, {"MessageDeduplicationId", "d"}}).code,
            "InvalidParameter");
  EXPECT_EQ(Fails("Publish", {{"TopicArn", topic + "x"}, {"Message", "m"}}).code, "NotFound");
  EXPECT_EQ(Fails("Publish", {{"PhoneNumber", "+15555550100"}, {"Message", "m"}}).code, "InvalidParameter");
  auto attrs = [](const char* type, const char* value) {
    return json::object{{"a", json::object{{"DataType", type}, {"StringValue", value}}}};
  };
  EXPECT_EQ(
      Fails("Publish", {{"TopicArn", topic}, {"Message", "m"}, {"MessageAttributes", attrs("Number", "abc")}})
          .code,
      "ParameterValueInvalid");
  EXPECT_EQ(
      Fails("Publish", {{"TopicArn", topic}, {"Message", "m"}, {"MessageAttributes", attrs("Foo", "abc")}})
          .code,
      "ParameterValueInvalid");
  EXPECT_EQ(
      Fails("Publish",
            {{"TopicArn", topic}, {"Message", "m"}, {"MessageAttributes", attrs("String.Array", "[1,")}})
          .code,
      "ParameterValueInvalid");
  Ok("Publish", {{"TopicArn", topic},
                 {"Message", "m"},
                 {"MessageAttributes", attrs("String.Array", R"(["a", 1, true])")}});
  Ok("Publish", {{"TopicArn", topic}, {"Message", "m"}, {"MessageGroupId", "tenant-1"}});  // fair queues
  // PublishBatch's request-level errors.
  json::array eleven;
  for (int i = 0; i < 11; ++i)
    eleven.push_back(json::object{{"Id", "e" + std::to_string(i)}, {"Message", "m"}});
  EXPECT_EQ(Fails("PublishBatch", {{"TopicArn", topic}, {"PublishBatchRequestEntries", eleven}}).code,
            "TooManyEntriesInBatchRequest");
  EXPECT_EQ(Fails("PublishBatch",
                  {{"TopicArn", topic},
                   {"PublishBatchRequestEntries", json::array{json::object{{"Id", "a"}, {"Message", "m"}},
                                                              json::object{{"Id", "a"}, {"Message", "m"}}}}})
                .code,
            "BatchEntryIdsNotDistinct");
  EXPECT_EQ(Fails("PublishBatch",
                  {{"TopicArn", topic},
                   {"PublishBatchRequestEntries",
                    json::array{json::object{{"Id", "a"}, {"Message", std::string(200 * 1024, 'x')}},
                                json::object{{"Id", "b"}, {"Message", std::string(100 * 1024, 'x')}}}}})
                .code,
            "BatchRequestTooLong");
}

TEST_F(SnsTest, SubscribeValidation) {
  const std::string topic = Topic("t");
  const std::string fifo = Topic("t.fifo", {{"FifoTopic", "true"}});
  auto bad = [&](const std::string& t, const std::string& protocol, const std::string& endpoint) {
    return Fails("Subscribe", {{"TopicArn", t}, {"Protocol", protocol}, {"Endpoint", endpoint}}).message;
  };
  EXPECT_EQ(bad(topic, "carrier-pigeon", "x"),
            "Invalid parameter: Amazon SNS does not support this protocol string: carrier-pigeon");
  EXPECT_EQ(bad(topic, "http", "https://x"), "Invalid parameter: Endpoint must match the specified protocol");
  EXPECT_EQ(bad(topic, "sqs", "not-an-arn"), "Invalid parameter: SQS endpoint ARN");
  EXPECT_NE(bad(topic, "sqs", "arn:aws:sqs:us-east-1:000000000000:q.fifo"), "");
  EXPECT_NE(bad(fifo, "http", "http://x"), "");
  EXPECT_NE(bad(topic, "firehose", "arn:aws:firehose:us-east-1:000000000000:deliverystream/s"), "");
  EXPECT_NE(bad(topic, "sms", "+15555550100"), "");
  auto [url, qarn] = Queue("std");
  Subscribe(fifo, "sqs", qarn);  // FIFO topics deliver to standard queues too
  const std::string sub = Subscribe(topic, "sqs", qarn);
  EXPECT_EQ(Subscribe(topic, "sqs", qarn), sub);  // the same endpoint again
  EXPECT_EQ(Fails("SetSubscriptionAttributes",
                  {{"SubscriptionArn", sub}, {"AttributeName", "Nope"}, {"AttributeValue", "1"}})
                .message,
            "Invalid parameter: AttributeName");
  EXPECT_EQ(Fails("GetSubscriptionAttributes",
                  {{"SubscriptionArn", topic + ":00000000-0000-0000-0000-000000000000"}})
                .code,
            "NotFound");
  Ok("Unsubscribe", {{"SubscriptionArn", sub}});
  EXPECT_EQ(Ok("GetTopicAttributes", {{"TopicArn", topic}})["Attributes"].as_object()["SubscriptionsDeleted"],
            "1");
  EXPECT_EQ(Fails("Unsubscribe", {{"SubscriptionArn", sub}}).code, "NotFound");
}

TEST_F(SnsTest, FailedDeliveriesGoToTheDeadLetterQueue) {
  const std::string topic = Topic("t");
  auto [dlq_url, dlq_arn] = Queue("dlq");
  // A queue that does not exist: a client-side error, not retried.
  Subscribe(topic, "sqs", "arn:aws:sqs:us-east-1:000000000000:missing",
            {{"RedrivePolicy", json::serialize(json::object{{"deadLetterTargetArn", dlq_arn}})}});
  Ok("Publish", {{"TopicArn", topic}, {"Message", "lost?"}});
  provider_->DeliverNow();
  EXPECT_EQ(provider_->PendingDeliveries(), 0u);
  auto ms = Receive(dlq_url);
  ASSERT_EQ(ms.size(), 1u);
  EXPECT_EQ(json::parse(ms[0].at("Body").as_string()).at("Message"), "lost?");
  EXPECT_TRUE(ms[0].at("MessageAttributes").as_object().contains("ErrorCode"));
}

TEST_F(SnsTest, LambdaDeliveriesFailUntilLambdaExists) {
  const std::string topic = Topic("t");
  auto [dlq_url, dlq_arn] = Queue("dlq");
  Subscribe(topic, "lambda", "arn:aws:lambda:us-east-1:000000000000:function:f",
            {{"RedrivePolicy", json::serialize(json::object{{"deadLetterTargetArn", dlq_arn}})}});
  Ok("Publish", {{"TopicArn", topic}, {"Message", "to lambda"}});
  provider_->DeliverNow();
  auto ms = Receive(dlq_url);
  ASSERT_EQ(ms.size(), 1u);
  bool invoked = false;
  for (const auto& c : harness_->recorder().calls())
    invoked = invoked || (c.service == "lambda" && c.operation == "Invoke");
  EXPECT_TRUE(invoked);
}

TEST_F(SnsTest, OutboxSurvivesARestart) {
  const std::string topic = Topic("t");
  auto [url, qarn] = Queue("q");
  Subscribe(topic, "sqs", qarn, {{"RawMessageDelivery", "true"}});
  Ok("Publish", {{"TopicArn", topic}, {"Message", "durable"}});
  EXPECT_EQ(provider_->PendingDeliveries(), 1u);
  Open();  // as after kill -9: nothing was delivered
  EXPECT_EQ(provider_->PendingDeliveries(), 1u);
  provider_->DeliverNow();
  EXPECT_EQ(Bodies(url), std::vector<std::string>{"durable"});
  // Topics, subscriptions and the signing key came back too.
  EXPECT_EQ(Ok("ListSubscriptions", {})["Subscriptions"].as_array().size(), 1u);
}

TEST(SnsRetries, DeliveryPolicyPhases) {
  // SNS's default http policy: 3 retries, 20 s apart.
  EXPECT_EQ(RetryDelay(1000, "http", nullptr, 1), 20'000);
  EXPECT_EQ(RetryDelay(1000, "https", nullptr, 3), 20'000);
  EXPECT_EQ(RetryDelay(1000, "http", nullptr, 4), -1);
  // The four phases: 2 immediate, 2 at the minimum, 4 backing off (linear), 2 at the maximum.
  json::object policy{{"minDelayTarget", 1},        {"maxDelayTarget", 10},    {"numRetries", 10},
                      {"numNoDelayRetries", 2},     {"numMinDelayRetries", 2}, {"numMaxDelayRetries", 2},
                      {"backoffFunction", "linear"}};
  std::vector<std::int64_t> delays;
  for (int attempt = 1; attempt <= 11; ++attempt)
    delays.push_back(RetryDelay(1000, "http", &policy, attempt));
  EXPECT_EQ(delays,
            (std::vector<std::int64_t>{0, 0, 1000, 1000, 1000, 4000, 7000, 10'000, 10'000, 10'000, -1}));
  policy["backoffFunction"] = "exponential";
  EXPECT_LT(RetryDelay(1000, "http", &policy, 6), 4000);  // slower start than linear
  // AWS-managed endpoints: 3 immediate, 2 at 1 s, 10 backing off to 20 s, then 20 s, 100,015 in all.
  EXPECT_EQ(RetryDelay(1000, "sqs", nullptr, 3), 0);
  EXPECT_EQ(RetryDelay(1000, "sqs", nullptr, 4), 1000);
  EXPECT_EQ(RetryDelay(1000, "lambda", nullptr, 6), 1000);
  EXPECT_EQ(RetryDelay(1000, "lambda", nullptr, 15), 20'000);
  EXPECT_EQ(RetryDelay(1000, "firehose", nullptr, 100'015), 20'000);
  EXPECT_EQ(RetryDelay(1000, "firehose", nullptr, 100'016), -1);
}

TEST(SnsCoverage, DocMatchesProvider) {
  std::ifstream in(std::string(CENOTE_SOURCE_DIR) + "/docs/sns-coverage.md");
  ASSERT_TRUE(in.good()) << "run: python3 src/services/sns/gen_coverage.py";
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string doc = ss.str();
  for (auto op : SnsProvider::SupportedOperations())
    EXPECT_NE(doc.find("| " + std::string(op) + " | supported |"), std::string::npos)
        << op << " missing or stale in docs/sns-coverage.md; run python3 src/services/sns/gen_coverage.py";
  for (const auto& e : {errors::kTopicNotFound, errors::kInvalidParameter, errors::kBatchRequestTooLong,
                        errors::kTooManyEntriesInBatchRequest, errors::kResourceNotFound})
    EXPECT_NE(doc.find(e.code), std::string::npos) << e.code;
}

}  // namespace
}  // namespace cenote::sns
