// SubscribeToShard (enhanced fan-out): an HTTP/2 response of unknown length carrying binary event-stream
// messages (application/vnd.amazon.eventstream). First an "initial-response" event (what AWS sends and
// botocore / the JS SDK expect before the first SubscribeToShardEvent), then one SubscribeToShardEvent at
// once, then one whenever records arrive (polled every 50 ms) and a heartbeat every 5 s without records;
// the subscription ends after 5 minutes, when the shard is closed and drained (last event carries
// ChildShards), when another SubscribeToShard takes it over (ResourceInUseException event), or on a read
// error (exception event). Records come from GetRecords over an internal shard iterator, so retention,
// throttling and metrics are GetRecords'.
//
// Event payloads are JSON, or CBOR when the request was CBOR (application/x-amz-cbor-1.1): the Java SDK v2
// (KCL 2.x) parses event payloads with the protocol's own unmarshaller, so a CBOR client needs CBOR events
// (blobs as byte strings, timestamps as tag 1 + epoch milliseconds, like its responses).
//
// The body is pumped by the HTTP worker that ran the request (src/http/http2_session.hpp), so every Read
// returns within 5 s and stops when the provider shuts down. It reads in the subscriber's region, whose
// iterators it holds.
#include <chrono>
#include <thread>

#include "aws/model/model.hpp"
#include "aws/protocol/cbor.hpp"
#include "aws/protocol/event_stream.hpp"
#include "common/encoding.hpp"
#include "common/strings.hpp"
#include "services/kinesis/internal.hpp"

namespace cenote::kinesis {

namespace {

using aws::protocol::EventStreamMessage;

constexpr std::int64_t kSubscriptionLifetimeMs = 300'000;
constexpr std::int64_t kHeartbeatMs = 5'000;
constexpr std::int64_t kPollMs = 50;
constexpr std::int64_t kResubscribeMs = 5'000;

std::string PayloadContentType(bool cbor) {
  return cbor ? std::string(aws::protocol::cbor::kContentType) : std::string("application/json");
}

std::string EventMessage(std::string_view event_type, std::string_view payload, bool cbor) {
  return EventStreamMessage({{":event-type", std::string(event_type)},
                             {":content-type", PayloadContentType(cbor)},
                             {":message-type", "event"}},
                            payload);
}

std::string ExceptionMessage(const Error& e, bool cbor) {
  json::object body{{"message", e.message}};
  std::string payload;
  if (cbor)
    aws::protocol::cbor::EncodeJson(payload, body);
  else
    payload = json::serialize(body);
  return EventStreamMessage({{":exception-type", e.code},
                             {":content-type", PayloadContentType(cbor)},
                             {":message-type", "exception"}},
                            payload);
}

// The SubscribeToShardEvent member of the model's (overlay's) event-stream union, for CBOR encoding.
const aws::model::Member* SubscribeToShardEventMember() {
  static const aws::model::Member* member = []() -> const aws::model::Member* {
    const auto* service = aws::model::ModelRegistry::Embedded().ByEndpointPrefix("kinesis");
    const auto* op = service ? service->FindOperation("SubscribeToShard") : nullptr;
    if (!op || !op->output) return nullptr;
    const auto* stream = op->output->FindMember("EventStream");
    return stream ? stream->shape->FindMember("SubscribeToShardEvent") : nullptr;
  }();
  return member;
}

bool IsCborRequest(const RequestContext& ctx) {
  if (!ctx.headers) return false;
  auto ct = ctx.headers->Get("content-type");
  if (!ct) return false;
  return StartsWithIgnoreAsciiCase(*ct, aws::protocol::cbor::kContentType);
}

int ShardIndexOf(std::string_view shard_id) {
  auto dash = shard_id.rfind('-');
  if (dash == std::string_view::npos) return 0;
  int index = 0;
  for (char c : shard_id.substr(dash + 1)) {
    if (c < '0' || c > '9') return 0;
    index = index * 10 + (c - '0');
  }
  return index;
}

class SubscriptionBody final : public aws::protocol::EventStreamBody {
 public:
  SubscriptionBody(Env& env, RequestContext ctx, std::string key, std::uint64_t generation,
                   std::string iterator, std::string shard_id, std::string continuation, std::string account,
                   std::string stream, std::string consumer, bool cbor)
      : env_(env),
        ctx_(std::move(ctx)),
        key_(std::move(key)),
        generation_(generation),
        iterator_(std::move(iterator)),
        shard_id_(std::move(shard_id)),
        continuation_(std::move(continuation)),
        account_(std::move(account)),
        stream_(std::move(stream)),
        consumer_(std::move(consumer)),
        cbor_(cbor && SubscribeToShardEventMember() != nullptr),
        started_(std::chrono::steady_clock::now()) {
    ctx_.headers = nullptr;  // the request's headers die with the request
  }

  ~SubscriptionBody() override {
    MutexLock lock(env_.subscriptions_mu);
    auto it = env_.subscriptions.find(key_);
    if (it != env_.subscriptions.end() && it->second.generation == generation_) env_.subscriptions.erase(it);
  }

 private:
  std::int64_t ElapsedMs() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started_)
        .count();
  }

  bool Superseded() {
    MutexLock lock(env_.subscriptions_mu);
    auto it = env_.subscriptions.find(key_);
    return it == env_.subscriptions.end() || it->second.generation != generation_;
  }

  // Queues the next message, or ends the stream (possibly after a last message).
  void Refill() override {
    if (!sent_initial_) {
      sent_initial_ = true;
      Queue(EventMessage("initial-response", cbor_ ? std::string("\xa0", 1) : std::string("{}"), cbor_));
      return;
    }
    for (;;) {
      if (env_.ShuttingDown() || ElapsedMs() >= kSubscriptionLifetimeMs) {
        End();
        return;
      }
      if (Superseded()) {
        End();
        Queue(ExceptionMessage(
            services::MakeError(errors::kSubscriptionInUse, {account_, stream_, shard_id_, consumer_}),
            cbor_));
        return;
      }
      OperationInput in;
      in.params = json::object{{"ShardIterator", iterator_}};
      auto got = GetRecords(env_, ctx_, in);
      if (!got) {
        if (got.error().code == errors::kThroughputExceeded.code) {
          env_.SleepUnlessShutdown(kPollMs);
          continue;
        }
        End();
        Queue(ExceptionMessage(
            got.error().http_status >= 500 ? services::MakeError(errors::kInternalFailure) : got.error(),
            cbor_));
        return;
      }
      json::object& doc = got->result.as_object();
      json::array& records = doc["Records"].as_array();
      const bool closed = doc.contains("ChildShards");
      if (auto* next = doc.if_contains("NextShardIterator"); next && next->is_string()) {
        iterator_ = std::string(next->as_string());
        if (records.empty()) {
          // No record read: the continuation is "just before" the iterator's position.
          if (auto pos = DecodeIterator(env_, iterator_, &ctx_.region); pos && pos->next_sequence > 0)
            continuation_ = EncodeSequenceNumber(pos->next_sequence - 1, ShardIndexOf(shard_id_));
        }
      }
      if (!records.empty() || closed || !sent_event_ || ElapsedMs() - last_event_ms_ >= kHeartbeatMs) {
        for (auto& r : records) continuation_ = std::string(r.as_object()["SequenceNumber"].as_string());
        if (cbor_) {
          // GetRecords' records are already in Document form (raw Data, timestamps in ms).
          json::object event{{"Records", std::move(records)},
                             {"ContinuationSequenceNumber", continuation_},
                             {"MillisBehindLatest", doc["MillisBehindLatest"]}};
          if (closed) event["ChildShards"] = doc["ChildShards"];
          std::string payload;
          aws::protocol::cbor::EncodeMember(payload, *SubscribeToShardEventMember(), event, false);
          Queue(EventMessage("SubscribeToShardEvent", payload, true));
          sent_event_ = true;
          last_event_ms_ = ElapsedMs();
          if (closed) End();
          return;
        }
        json::array wire_records;
        for (auto& r : records) {
          json::object& o = r.as_object();
          json::object w{{"SequenceNumber", o["SequenceNumber"]},
                         {"ApproximateArrivalTimestamp",
                          static_cast<double>(o["ApproximateArrivalTimestamp"].as_int64()) / 1000.0},
                         {"Data", Base64Encode(o["Data"].as_string())},
                         {"PartitionKey", o["PartitionKey"]}};
          if (auto* e = o.if_contains("EncryptionType")) w["EncryptionType"] = *e;
          wire_records.push_back(std::move(w));
        }
        json::object event{{"Records", std::move(wire_records)},
                           {"ContinuationSequenceNumber", continuation_},
                           {"MillisBehindLatest", doc["MillisBehindLatest"]}};
        if (closed) event["ChildShards"] = doc["ChildShards"];
        Queue(EventMessage("SubscribeToShardEvent", json::serialize(event), false));
        sent_event_ = true;
        last_event_ms_ = ElapsedMs();
        if (closed) End();
        return;
      }
      env_.SleepUnlessShutdown(kPollMs);
    }
  }

  Env& env_;
  RequestContext ctx_;
  std::string key_;
  std::uint64_t generation_;
  std::string iterator_;
  std::string shard_id_;
  std::string continuation_;
  std::string account_;  // the stream's
  std::string stream_;
  std::string consumer_;
  bool cbor_;
  std::chrono::steady_clock::time_point started_;
  bool sent_initial_ = false;
  bool sent_event_ = false;
  std::int64_t last_event_ms_ = 0;
};

}  // namespace

Result<OperationOutput> SubscribeToShard(Env& env, const RequestContext& ctx, OperationInput& input) {
  const auto& p = input.params.as_object();
  auto consumer_arn = GetString(p, "ConsumerARN");
  if (!consumer_arn) return Validation("null", "consumerARN", "not be null");
  CENOTE_RETURN_IF_ERROR(CheckLength(p, "ConsumerARN", "consumerARN", 1, 2048, true));
  CENOTE_RETURN_IF_ERROR(CheckLength(p, "ShardId", "shardId", 1, 128, true));
  const json::object* start = services::GetObject(p, "StartingPosition");
  if (start == nullptr) return Validation("null", "startingPosition", "not be null");
  const json::object& sp = *start;
  auto type = GetString(sp, "Type");
  if (!type) return Validation("null", "startingPosition.type", "not be null");
  auto parts = SplitConsumerArn(*consumer_arn);
  if (!parts)
    return Validation(
        "'" + *consumer_arn + "'", "consumerARN",
        "satisfy regular expression pattern: ^(arn):aws.*:kinesis:.*:\\d{12}:.*stream\\/[a-zA-Z0-9_.-]+"
        "\\/consumer\\/[a-zA-Z0-9_.-]+:[0-9]+");
  CENOTE_ASSIGN_OR_RETURN(auto stream, env.FindStream(ctx, json::object{{"StreamARN", parts->first}}));
  StreamState& s = *stream;
  {
    ReaderLock lock(s.mu);
    const ConsumerState* consumer = nullptr;
    for (const auto& c : s.consumers) {
      if (c.arn == *consumer_arn && !env.EffectiveStatus(c).empty()) consumer = &c;
    }
    if (!consumer) return services::MakeError(errors::kConsumerNotFound, {parts->second, s.arn, s.account});
    if (env.EffectiveStatus(*consumer) != "ACTIVE")
      return services::MakeError(errors::kConsumerNotActive, {*consumer_arn, s.arn});
  }
  const std::string shard_id = *GetString(p, "ShardId");

  // The starting position is GetShardIterator's (same validation and errors), on the consumer's stream.
  OperationInput it_in;
  json::object it_params{{"StreamARN", s.arn}, {"ShardId", shard_id}, {"ShardIteratorType", *type}};
  if (auto seq = GetString(sp, "SequenceNumber")) it_params["StartingSequenceNumber"] = *seq;
  if (auto ts = GetInt(sp, "Timestamp")) it_params["Timestamp"] = *ts;
  it_in.params = it_params;
  auto iterator = GetShardIterator(env, ctx, it_in);
  if (!iterator && *type == "AFTER_SEQUENCE_NUMBER" &&
      iterator.error().code == errors::kInvalidArgument.code) {
    // A ContinuationSequenceNumber sent before any record was read points just before the shard's first
    // sequence, which GetShardIterator rejects for AFTER_SEQUENCE_NUMBER; AT the next one is the same place.
    if (auto d = DecodeSequenceNumber(GetString(sp, "SequenceNumber").value_or(""))) {
      OperationInput retry;
      json::object q = it_params;
      q["ShardIteratorType"] = "AT_SEQUENCE_NUMBER";
      q["StartingSequenceNumber"] = EncodeSequenceNumber(d->log_sequence + 1, d->shard_index);
      retry.params = q;
      if (auto second = GetShardIterator(env, ctx, retry)) iterator = std::move(second);
    }
  }
  if (!iterator) return std::move(iterator).error();
  std::string it = std::string(iterator->result.at("ShardIterator").as_string());
  CENOTE_ASSIGN_OR_RETURN(IteratorPosition pos, DecodeIterator(env, it, &ctx.region));
  std::string continuation =
      EncodeSequenceNumber(pos.next_sequence > 0 ? pos.next_sequence - 1 : 0, ShardIndexOf(shard_id));

  const std::string key = *consumer_arn + "|" + shard_id;
  std::uint64_t generation;
  {
    MutexLock lock(env.subscriptions_mu);
    const std::int64_t now = env.Now();
    auto existing = env.subscriptions.find(key);
    if (existing != env.subscriptions.end() && now - existing->second.started_ms < kResubscribeMs)
      return services::MakeError(errors::kSubscriptionInUse, {s.account, s.name, shard_id, parts->second});
    generation = ++env.next_subscription;
    env.subscriptions[key] = Env::Subscription{.started_ms = now, .generation = generation};
  }
  OperationOutput out;
  out.body = std::make_unique<SubscriptionBody>(env, ctx, key, generation, std::move(it), shard_id,
                                                std::move(continuation), s.account, s.name, parts->second,
                                                IsCborRequest(ctx));
  return out;
}

}  // namespace cenote::kinesis
