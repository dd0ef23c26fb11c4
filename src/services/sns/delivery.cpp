// The outbox and its delivery: staging rows in the caller's transaction, handing them to the delivery tasks,
// one attempt per round (in-process SendMessage / Invoke / PutRecord, an HTTP POST, an email line), and the
// retry schedules of AWS's delivery policies:
//   - http/https: the subscription's (or topic's) healthyRetryPolicy: numRetries in four phases (immediate,
//     pre-backoff at minDelayTarget, backoff from min to max by backoffFunction, post-backoff at
//     maxDelayTarget); by default 3 retries 20 seconds apart;
//   - AWS-managed endpoints (sqs, lambda, firehose) and email: 3 immediate retries, 2 one second apart, 10
//     backing off exponentially from 1 to 20 seconds, then 100,000 twenty seconds apart.
// A client-side failure (the queue is gone or its policy refuses SNS, the service does not exist here, a 4xx
// other than 429) is not retried. A delivery that is not retried further goes to the subscription's
// dead-letter queue (RedrivePolicy) when it has one, else it is dropped (logged).
//
// Order of a delivery: attempt -> (success) delete the outbox row; (failure) update its attempt count and
// next time, or (given up) send to the DLQ, then delete the row. A crash between the attempt and the delete
// delivers the message again after the restart: at least once, as SNS promises.
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "aws/protocol/wire.hpp"
#include "common/encoding.hpp"
#include "common/random.hpp"
#include "common/strings.hpp"
#include "iam/directory.hpp"
#include "services/sns/http_client.hpp"
#include "services/sns/internal.hpp"

namespace cenote::sns {

namespace {

enum class Outcome { kDelivered, kRetry, kClientError };

struct Attempt {
  Outcome outcome = Outcome::kDelivered;
  std::string error_code;
  std::string error_message;
};

Attempt Failed(Outcome outcome, std::string code, std::string message) {
  return Attempt{outcome, std::move(code), std::move(message)};
}

// The errors of an in-process call that retrying cannot fix.
bool ClientSide(const Error& e) {
  static constexpr std::string_view kCodes[] = {"AccessDenied",
                                                "AccessDeniedException",
                                                "AWS.SimpleQueueService.NonExistentQueue",
                                                "QueueDoesNotExist",
                                                "ResourceNotFoundException",
                                                "InvalidAction",
                                                "UnknownOperationException",
                                                "UnknownService",
                                                "InvalidParameterValue",
                                                "InvalidMessageContents",
                                                "KMS.DisabledException",
                                                "InvalidArgumentException",
                                                "ValidationException",
                                                "InvalidParameterValueException"};
  for (std::string_view c : kCodes) {
    if (e.code == c) return true;
  }
  return e.http_status >= 400 && e.http_status < 500 && e.http_status != 429;
}

aws::Caller SnsCaller(const std::string& topic_arn, const std::string& region) {
  auto parts = ParseArn(topic_arn);
  const std::string account = parts ? parts->account : "";
  return aws::ServiceCaller(kServicePrincipal, account, region, topic_arn);
}

// The in-process QueueUrl of a queue ARN (SQS resolves a URL by its last two path segments).
std::string QueueUrlOf(const ArnParts& q) { return "http://localhost:4566/" + q.account + "/" + q.resource; }

// Sends `body` to the SQS queue `queue_arn` as SNS for `topic_arn`.
Attempt SendToQueue(Env& env, const std::string& queue_arn, const std::string& topic_arn,
                    const std::string& body, const json::object* attributes, const json::object& doc) {
  auto q = ParseArn(queue_arn, "sqs");
  if (!q) return Failed(Outcome::kClientError, "InvalidParameter", "not an SQS queue ARN");
  OperationInput in;
  json::object params{{"QueueUrl", QueueUrlOf(*q)}, {"MessageBody", body}};
  if (attributes != nullptr && !attributes->empty()) params["MessageAttributes"] = *attributes;
  if (!q->resource.ends_with(".fifo")) {
    // A standard topic's MessageGroupId goes to standard queues (fair queues); a FIFO topic's does not.
    if (auto g = GetString(doc, "MessageGroupId"); g && !doc.contains("SequenceNumber"))
      params["MessageGroupId"] = *g;
  } else {
    if (auto g = GetString(doc, "MessageGroupId")) params["MessageGroupId"] = *g;
    if (auto d = GetString(doc, "MessageDeduplicationId")) params["MessageDeduplicationId"] = *d;
    if (!params.contains("MessageGroupId")) params["MessageGroupId"] = "sns";
    if (!params.contains("MessageDeduplicationId"))
      params["MessageDeduplicationId"] = GetString(doc, "MessageId").value_or(NewUuidV4());
  }
  in.params = std::move(params);
  auto out = env.invoker.Call(SnsCaller(topic_arn, q->region), "sqs", "SendMessage", in);
  if (out) return Attempt{};
  return Failed(ClientSide(out.error()) ? Outcome::kClientError : Outcome::kRetry, out.error().code,
                out.error().message);
}

// SQS message attributes of a raw delivery: the published attributes with their types.
json::object SqsAttributes(const json::object& doc) {
  json::object out;
  if (const json::object* attrs = GetObject(doc, "MessageAttributes")) {
    for (const auto& [name, v] : *attrs) {
      if (!v.is_object()) continue;
      const std::string type = GetString(v.as_object(), "Type").value_or("String");
      const std::string value = GetString(v.as_object(), "Value").value_or("");
      json::object a{{"DataType", type}};
      if (type.starts_with("Binary")) {
        a["BinaryValue"] = Base64Decode(value).value_or("");
      } else {
        a["StringValue"] = value;
      }
      out[name] = std::move(a);
    }
  }
  return out;
}

// The healthyRetryPolicy of an http/https subscription; `holder` and `own` keep the parsed documents it
// points into.
const json::object* HealthyRetryPolicy(const Env& env, const Subscription& s, json::value& holder,
                                       json::value& own) EXCLUSIVE_LOCKS_REQUIRED(env.mu) {
  // The topic's http policy, unless the subscription has its own and the topic allows overriding it.
  const json::object* topic_policy = nullptr;
  bool overrides_allowed = true;
  if (auto t = env.topics.find(s.topic_arn); t != env.topics.end()) {
    if (auto d = t->second.attributes.find("DeliveryPolicy"); d != t->second.attributes.end()) {
      boost::system::error_code ec;
      holder = json::parse(d->second, ec);
      if (!ec && holder.is_object()) {
        if (const json::object* http = GetObject(holder.as_object(), "http")) {
          topic_policy = GetObject(*http, "defaultHealthyRetryPolicy");
          overrides_allowed = !GetBool(*http, "disableSubscriptionOverrides").value_or(false);
        }
      }
    }
  }
  if (!overrides_allowed) return topic_policy;
  if (auto d = s.attributes.find("DeliveryPolicy"); d != s.attributes.end()) {
    boost::system::error_code ec;
    own = json::parse(d->second, ec);
    if (!ec && own.is_object()) {
      if (const json::object* r = GetObject(own.as_object(), "healthyRetryPolicy")) return r;
    }
  }
  return topic_policy;
}

std::string ContentType(const Env& env, const Subscription& s) EXCLUSIVE_LOCKS_REQUIRED(env.mu) {
  auto from = [](const std::string& text, bool topic) -> std::optional<std::string> {
    boost::system::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec || !v.is_object()) return std::nullopt;
    const json::object* o = &v.as_object();
    if (topic) o = GetObject(*o, "http");
    if (o == nullptr) return std::nullopt;
    const json::object* r = GetObject(*o, topic ? "defaultRequestPolicy" : "requestPolicy");
    if (r == nullptr) return std::nullopt;
    return GetString(*r, "headerContentType");
  };
  if (auto d = s.attributes.find("DeliveryPolicy"); d != s.attributes.end()) {
    if (auto ct = from(d->second, false)) return *ct;
  }
  if (auto t = env.topics.find(s.topic_arn); t != env.topics.end()) {
    if (auto d = t->second.attributes.find("DeliveryPolicy"); d != t->second.attributes.end()) {
      if (auto ct = from(d->second, true)) return *ct;
    }
  }
  return "text/plain; charset=UTF-8";
}

Mutex email_mu;

// Appends one line to the email sink and makes it durable.
Status WriteEmail(const std::string& dir, const json::object& line) {
  MutexLock lock(email_mu);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  const std::string path = dir + "/messages.jsonl";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return InternalError("cannot open the SNS email sink " + path);
  std::string text = json::serialize(line) + "\n";
  bool ok =
      ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fdatasync(fd) == 0;
  ::close(fd);
  if (!ok) return InternalError("cannot write the SNS email sink " + path);
  return Status::Ok();
}

// The Lambda event of a notification ("Records" with one "aws:sns" record), as AWS invokes functions.
json::object LambdaEvent(const json::object& envelope, const std::string& subscription_arn) {
  json::object sns;
  for (const auto& [k, v] : envelope) {
    if (k == "SigningCertURL") {
      sns["SigningCertUrl"] = v;
    } else if (k == "UnsubscribeURL") {
      sns["UnsubscribeUrl"] = v;
    } else {
      sns[k] = v;
    }
  }
  if (!sns.contains("Subject")) sns["Subject"] = nullptr;
  if (!sns.contains("MessageAttributes")) sns["MessageAttributes"] = json::object();
  return json::object{{"Records", json::array{json::object{{"EventSource", "aws:sns"},
                                                           {"EventVersion", "1.0"},
                                                           {"EventSubscriptionArn", subscription_arn},
                                                           {"Sns", std::move(sns)}}}}};
}

}  // namespace

std::int64_t RetryDelay(std::int64_t unit, const std::string& protocol, const json::object* policy,
                        int attempt) {
  if (protocol == "http" || protocol == "https") {
    std::int64_t min_delay = 20, max_delay = 20, retries = 3, no_delay = 0, min_retries = 0, max_retries = 0;
    std::string backoff = "linear";
    if (policy != nullptr) {
      min_delay = GetInt(*policy, "minDelayTarget").value_or(min_delay);
      max_delay = GetInt(*policy, "maxDelayTarget").value_or(max_delay);
      retries = GetInt(*policy, "numRetries").value_or(retries);
      no_delay = GetInt(*policy, "numNoDelayRetries").value_or(0);
      min_retries = GetInt(*policy, "numMinDelayRetries").value_or(0);
      max_retries = GetInt(*policy, "numMaxDelayRetries").value_or(0);
      backoff = GetString(*policy, "backoffFunction").value_or(backoff);
    }
    if (attempt > retries) return -1;
    if (attempt <= no_delay) return 0;
    if (attempt <= no_delay + min_retries) return min_delay * unit;
    const std::int64_t backoff_retries =
        std::max<std::int64_t>(0, retries - no_delay - min_retries - max_retries);
    const std::int64_t k = attempt - no_delay - min_retries;
    if (k > backoff_retries) return max_delay * unit;
    // Position in the backoff phase, 0..1, shaped by the backoff function.
    double x =
        backoff_retries <= 1 ? 1.0 : static_cast<double>(k - 1) / static_cast<double>(backoff_retries - 1);
    double f = x;
    if (backoff == "arithmetic") f = x * x;
    if (backoff == "geometric") f = x * x * x;
    if (backoff == "exponential") f = (std::exp(4 * x) - 1) / (std::exp(4.0) - 1);
    return static_cast<std::int64_t>(
        (static_cast<double>(min_delay) + f * static_cast<double>(max_delay - min_delay)) *
        static_cast<double>(unit));
  }
  // AWS-managed endpoints: 100,015 attempts over about 23 days.
  if (attempt <= 3) return 0;
  if (attempt <= 5) return unit;
  if (attempt <= 15) {
    double x = static_cast<double>(attempt - 6) / 9.0;
    return static_cast<std::int64_t>(std::pow(20.0, x) * static_cast<double>(unit));
  }
  if (attempt <= 100'015) return 20 * unit;
  return -1;
}

std::string Env::SigningCertUrl(const std::string& base_url) const {
  return base_url + "/" + key->CertificateName();
}

Result<json::object> Env::Envelope(const json::object& doc, const std::string& base_url,
                                   int signature_version) {
  const std::string type = GetString(doc, "Type").value_or("Notification");
  json::object e;
  e["Type"] = type;
  e["MessageId"] = GetString(doc, "MessageId").value_or("");
  const std::string topic_arn = GetString(doc, "TopicArn").value_or("");
  if (type != "Notification") e["Token"] = GetString(doc, "Token").value_or("");
  e["TopicArn"] = topic_arn;
  if (auto subject = GetString(doc, "Subject")) e["Subject"] = *subject;
  e["Message"] = GetString(doc, "Message").value_or("");
  if (type != "Notification") {
    e["SubscribeURL"] = base_url + "/?Action=ConfirmSubscription&TopicArn=" + topic_arn +
                        "&Token=" + GetString(doc, "Token").value_or("");
  }
  e["Timestamp"] = aws::protocol::wire::FormatIso8601(GetInt(doc, "Timestamp").value_or(0));
  if (auto seq = GetString(doc, "SequenceNumber")) e["SequenceNumber"] = *seq;
  e["SignatureVersion"] = std::to_string(signature_version);
  CENOTE_ASSIGN_OR_RETURN(std::string signature, key->Sign(CanonicalString(e), signature_version));
  e["Signature"] = signature;
  e["SigningCertURL"] = SigningCertUrl(base_url);
  if (type == "Notification") {
    e["UnsubscribeURL"] =
        base_url + "/?Action=Unsubscribe&SubscriptionArn=" + GetString(doc, "SubscriptionArn").value_or("");
    if (const json::object* attrs = GetObject(doc, "MessageAttributes"); attrs != nullptr && !attrs->empty())
      e["MessageAttributes"] = *attrs;
  }
  return e;
}

Result<std::vector<Delivery>> Env::Stage(store::Transaction& txn, std::vector<json::object> docs,
                                         const std::vector<std::string>& order_keys) {
  std::vector<Delivery> out;
  out.reserve(docs.size());
  const std::int64_t now = Now();
  for (std::size_t i = 0; i < docs.size(); ++i) {
    Delivery d;
    d.doc = std::move(docs[i]);
    d.next_ms = now;
    d.order_key = i < order_keys.size() ? order_keys[i] : "";
    CENOTE_ASSIGN_OR_RETURN(auto row,
                            txn.QueryOne("INSERT INTO sns_outbox (doc, attempts, next_ms, order_key) "
                                         "VALUES (?, 0, ?, ?) RETURNING id",
                                         {json::serialize(d.doc), d.next_ms, d.order_key}));
    if (!row) return InternalError("sns outbox insert returned no id");
    d.id = store::AsInt((*row)[0]);
    out.push_back(std::move(d));
  }
  return out;
}

void Env::Delivered(std::int64_t id) {
  {
    MutexLock lock(outbox_mu);
    delivered.push_back(id);
    if (deleting) return;  // the running delete takes it in its next round
    deleting = true;
  }
  for (;;) {
    std::vector<std::int64_t> ids;
    {
      MutexLock lock(outbox_mu);
      ids.swap(delivered);
      if (ids.empty()) {
        deleting = false;
        return;
      }
    }
    std::string sql = "DELETE FROM sns_outbox WHERE id IN (";
    std::vector<store::Value> params;
    for (std::int64_t id : ids) {
      sql += params.empty() ? "?" : ", ?";
      params.emplace_back(id);
    }
    sql += ")";
    auto txn = metadata.Begin(store::MetadataStore::Mode::kWrite);
    Status st = txn ? Status::FromResult((*txn)->Exec(sql, params)) : Status(txn.error());
    if (st) st = (*txn)->Commit();
    if (!st)
      spdlog::warn("sns: removing {} delivered rows from the outbox failed: {}", ids.size(),
                   st.error().message);
  }
}

Result<std::vector<Delivery>> Env::StageCommitted(std::vector<json::object> docs,
                                                  std::vector<std::string> order_keys) {
  StageRequest request{.docs = std::move(docs), .order_keys = std::move(order_keys)};
  MutexLock lock(stage_mu);
  stage_queue.push_back(&request);
  while (!request.done) {
    if (staging) {
      staged.Wait(lock);
      continue;
    }
    // Lead a group commit of every request queued so far (this one included).
    staging = true;
    std::vector<StageRequest*> batch;
    batch.swap(stage_queue);
    lock.Unlock();
    Status st = Status::Ok();
    auto txn = metadata.Begin(store::MetadataStore::Mode::kWrite);
    if (!txn) st = txn.error();
    for (StageRequest* r : batch) {
      if (!st) break;
      r->result = Stage(**txn, std::move(r->docs), r->order_keys);
      if (!r->result) st = r->result.error();
    }
    if (st) st = (*txn)->Commit();
    lock.Lock();
    for (StageRequest* r : batch) {
      if (!st) r->result = st.error();
      r->done = true;
    }
    staging = false;
    staged.SignalAll();
  }
  return std::move(request.result);
}

void Env::Enqueue(std::vector<Delivery> deliveries) {
  if (deliveries.empty()) return;
  {
    MutexLock lock(outbox_mu);
    for (Delivery& d : deliveries) {
      const int lane = d.Lane();
      const std::int64_t id = d.id;
      const std::int64_t next = d.next_ms;
      bool ready = true;
      if (!d.order_key.empty()) {
        auto& q = ordered[d.order_key];
        ready = q.empty();
        q.push_back(id);
      }
      pending.emplace(id, std::move(d));
      if (ready) due[lane].emplace(next, id);
    }
  }
  if (wake_delivery) wake_delivery();
}

int Delivery::Lane() const {
  const std::string protocol = GetString(doc, "Protocol").value_or("");
  return protocol == "http" || protocol == "https" ? Env::kHttpLane : Env::kInProcessLane;
}

std::int64_t Env::DeliverRound(int lane) {
  const std::int64_t now = Now();
  Delivery d;
  {
    MutexLock lock(outbox_mu);
    auto& due = this->due[lane];
    if (due.empty()) return 0;
    auto first = due.begin();
    if (first->first > now) return first->first;
    const std::int64_t id = first->second;
    due.erase(first);
    auto it = pending.find(id);
    if (it == pending.end()) return now;
    d = it->second;
    in_flight.insert(id);
  }

  const json::object& doc = d.doc;
  const std::string type = GetString(doc, "Type").value_or("Notification");
  const std::string sub_arn = GetString(doc, "SubscriptionArn").value_or("");
  const std::string topic_arn = GetString(doc, "TopicArn").value_or("");
  Subscription s;
  bool gone = false;
  std::string content_type = "text/plain; charset=UTF-8";
  json::value policy_holder, own_policy_holder;
  json::object retry_policy;
  bool has_retry_policy = false;
  {
    MutexLock lock(mu);
    auto it = subscriptions.find(sub_arn);
    if (type == "Notification") {
      if (it == subscriptions.end()) {
        gone = true;
      } else {
        s = it->second;
      }
    } else {
      // Confirmations carry their subscription's snapshot: an unsubscribed endpoint still gets its
      // UnsubscribeConfirmation.
      s.arn = sub_arn;
      s.topic_arn = topic_arn;
      s.protocol = GetString(doc, "Protocol").value_or("");
      s.endpoint = GetString(doc, "Endpoint").value_or("");
      s.base_url = GetString(doc, "BaseUrl").value_or("");
      if (it != subscriptions.end()) s.attributes = it->second.attributes;
    }
    if (!gone && (s.protocol == "http" || s.protocol == "https")) {
      content_type = ContentType(*this, s);
      if (const json::object* r = HealthyRetryPolicy(*this, s, policy_holder, own_policy_holder)) {
        retry_policy = *r;
        has_retry_policy = true;
      }
    }
  }
  if (s.base_url.empty()) s.base_url = options.default_base_url;
  const int signature_version = static_cast<int>(GetInt(doc, "SignatureVersion").value_or(1));

  Attempt attempt;
  std::string delivered_body;  // what the endpoint got (or would have): for the dead-letter queue
  if (gone) {
    attempt = Attempt{};  // nothing to deliver to any more
  } else {
    auto envelope = Envelope(doc, s.base_url, signature_version);
    if (!envelope) {
      attempt = Failed(Outcome::kRetry, envelope.error().code, envelope.error().message);
    } else {
      const bool raw = type == "Notification" && s.Raw();
      const std::string message = GetString(doc, "Message").value_or("");
      delivered_body = raw ? message : json::serialize(*envelope);
      if (s.protocol == "sqs") {
        json::object attrs = raw ? SqsAttributes(doc) : json::object();
        attempt = SendToQueue(*this, s.endpoint, topic_arn, delivered_body, &attrs, doc);
      } else if (s.protocol == "http" || s.protocol == "https") {
        std::vector<std::pair<std::string, std::string>> headers = {
            {"Content-Type", content_type},
            {"User-Agent", "Amazon Simple Notification Service Agent"},
            {"x-amz-sns-message-type", type},
            {"x-amz-sns-message-id", GetString(doc, "MessageId").value_or("")},
            {"x-amz-sns-topic-arn", topic_arn}};
        if (type == "Notification") headers.emplace_back("x-amz-sns-subscription-arn", sub_arn);
        if (raw) headers.emplace_back("x-amz-sns-rawdelivery", "true");
        auto r = HttpPost(s.endpoint, headers, delivered_body, options.http_timeout_ms, options.verify_tls);
        if (!r) {
          attempt = Failed(Outcome::kRetry, r.error().code, r.error().message);
        } else if (r->status < 200 || r->status > 299) {
          const bool client = r->status >= 400 && r->status < 500 && r->status != 429;
          attempt = Failed(client ? Outcome::kClientError : Outcome::kRetry, "HttpError",
                           "the endpoint answered " + std::to_string(r->status));
        }
      } else if (s.protocol == "email" || s.protocol == "email-json") {
        std::string subject, body;
        if (type == "Notification") {
          subject = GetString(doc, "Subject").value_or("AWS Notification Message");
          body = s.protocol == "email-json" ? delivered_body
                                            : message +
                                                  "\n\n--\nIf you wish to stop receiving notifications from "
                                                  "this topic, please click or visit the link below to "
                                                  "unsubscribe:\n" +
                                                  GetString(*envelope, "UnsubscribeURL").value_or("") + "\n";
        } else {
          subject = type == "SubscriptionConfirmation" ? "AWS Notification - Subscription Confirmation"
                                                       : "AWS Notification - Unsubscribe Confirmation";
          body = s.protocol == "email-json"
                     ? delivered_body
                     : message + "\n\n" + GetString(*envelope, "SubscribeURL").value_or("") + "\n";
        }
        json::object line{{"protocol", s.protocol}, {"to", s.endpoint},
                          {"subject", subject},     {"body", body},
                          {"type", type},           {"messageId", GetString(doc, "MessageId").value_or("")},
                          {"topicArn", topic_arn},  {"subscriptionArn", sub_arn}};
        if (Status st = WriteEmail(options.email_dir, line); !st) {
          attempt = Failed(Outcome::kRetry, st.error().code, st.error().message);
        }
      } else if (s.protocol == "lambda") {
        auto fn = ParseArn(s.endpoint, "lambda");
        OperationInput in;
        in.params = json::object{{"FunctionName", s.endpoint},
                                 {"InvocationType", "Event"},
                                 {"Payload", json::serialize(LambdaEvent(*envelope, sub_arn))}};
        auto out = invoker.Call(SnsCaller(topic_arn, fn ? fn->region : ""), "lambda", "Invoke", in);
        if (!out) {
          attempt = Failed(ClientSide(out.error()) ? Outcome::kClientError : Outcome::kRetry,
                           out.error().code, out.error().message);
        }
      } else if (s.protocol == "firehose") {
        auto stream = ParseArn(s.endpoint, "firehose");
        const std::string role =
            s.attributes.contains("SubscriptionRoleArn") ? s.attributes.at("SubscriptionRoleArn") : "";
        auto owner = ParseArn(topic_arn);
        aws::Caller caller;
        caller.principal =
            iam::RoleSessionPrincipal(role, "SNSFirehoseDelivery", owner ? owner->account : "");
        caller.region = stream ? stream->region : "";
        caller.invoked_by = std::string(kServicePrincipal);
        OperationInput in;
        in.params =
            json::object{{"DeliveryStreamName",
                          stream ? stream->resource.substr(std::string("deliverystream/").size()) : ""},
                         {"Record", json::object{{"Data", delivered_body}}}};
        auto out = invoker.Call(caller, "firehose", "PutRecord", in);
        if (!out) {
          attempt = Failed(ClientSide(out.error()) ? Outcome::kClientError : Outcome::kRetry,
                           out.error().code, out.error().message);
        }
      } else {
        attempt = Failed(Outcome::kClientError, "InvalidParameter", "unsupported protocol " + s.protocol);
      }
    }
  }

  // Retry, or finish (delivered, or given up on: the dead-letter queue).
  std::int64_t delay = -1;
  if (attempt.outcome == Outcome::kRetry) {
    delay = RetryDelay(options.retry_ms_per_second, s.protocol, has_retry_policy ? &retry_policy : nullptr,
                       d.attempts + 1);
  }
  if (delay >= 0) {
    d.attempts++;
    d.next_ms = Now() + delay;
    if (auto txn = metadata.Begin(store::MetadataStore::Mode::kWrite); txn) {
      auto st = (*txn)->Exec("UPDATE sns_outbox SET attempts = ?, next_ms = ? WHERE id = ?",
                             {static_cast<std::int64_t>(d.attempts), d.next_ms, d.id});
      if (st) (void)(*txn)->Commit();
    }
    MutexLock lock(outbox_mu);
    in_flight.erase(d.id);
    if (auto it = pending.find(d.id); it != pending.end()) {
      it->second.attempts = d.attempts;
      it->second.next_ms = d.next_ms;
    }
    due[lane].emplace(d.next_ms, d.id);
    return std::min(d.next_ms, due[lane].begin()->first);
  }
  if (attempt.outcome != Outcome::kDelivered) {
    std::string dlq;
    if (auto r = s.attributes.find("RedrivePolicy"); r != s.attributes.end()) {
      boost::system::error_code ec;
      json::value v = json::parse(r->second, ec);
      if (!ec && v.is_object()) dlq = GetString(v.as_object(), "deadLetterTargetArn").value_or("");
    }
    if (!dlq.empty()) {
      json::object attrs = type == "Notification" && s.Raw() ? SqsAttributes(doc) : json::object();
      attrs["ErrorCode"] =
          json::object{{"DataType", "String"},
                       {"StringValue", attempt.error_code.empty() ? "Unknown" : attempt.error_code}};
      attrs["ErrorMessage"] =
          json::object{{"DataType", "String"},
                       {"StringValue", attempt.error_message.empty() ? "Unknown" : attempt.error_message}};
      attrs["RequestID"] = json::object{{"DataType", "String"}, {"StringValue", NewUuidV4()}};
      Attempt sent = SendToQueue(*this, dlq, topic_arn, delivered_body, &attrs, doc);
      if (sent.outcome != Outcome::kDelivered) {
        spdlog::warn("sns: message {} for {} could not be moved to its dead-letter queue {}: {} {}",
                     GetString(doc, "MessageId").value_or(""), sub_arn, dlq, sent.error_code,
                     sent.error_message);
      }
    } else {
      spdlog::info("sns: message {} for {} dropped after {} attempts: {} {}",
                   GetString(doc, "MessageId").value_or(""), sub_arn, d.attempts + 1, attempt.error_code,
                   attempt.error_message);
    }
  }
  Delivered(d.id);
  MutexLock lock(outbox_mu);
  in_flight.erase(d.id);
  pending.erase(d.id);
  if (!d.order_key.empty()) {
    auto q = ordered.find(d.order_key);
    if (q != ordered.end()) {
      if (!q->second.empty() && q->second.front() == d.id) q->second.pop_front();
      if (q->second.empty()) {
        ordered.erase(q);
      } else if (auto next = pending.find(q->second.front()); next != pending.end()) {
        due[next->second.Lane()].emplace(next->second.next_ms, next->first);
      }
    }
  }
  return due[lane].empty() ? 0 : due[lane].begin()->first;
}

}  // namespace cenote::sns
