// Event source mappings: Lambda polling an SQS queue or a Kinesis stream as the function's execution role and
// invoking the function with batches, as AWS documents for each source:
//   - SQS (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html): BatchSize (1-10000) gathered within
//     MaximumBatchingWindowInSeconds; a successful batch is deleted; with ReportBatchItemFailures only the
//     messages not named in batchItemFailures are; a failed batch is left to become visible again (the
//     queue's redrive policy moves it to its dead-letter queue).
//   - Kinesis (https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html): each shard read in order from
//     StartingPosition (TRIM_HORIZON, LATEST, AT_TIMESTAMP), BatchSize records a batch; a failed batch is
//     retried (MaximumRetryAttempts, -1 = until the records expire), split in two first with
//     BisectBatchOnFunctionError, then skipped (its OnFailure destination gets the shard range); the last
//     processed sequence number of each shard is checkpointed in the MetadataStore.
#include <spdlog/spdlog.h>

#include <chrono>
#include <set>
#include <thread>

#include "common/encoding.hpp"
#include "common/random.hpp"
#include "iam/directory.hpp"
#include "services/lambda/internal.hpp"

namespace cenote::lambda {

namespace {

std::vector<std::string> SplitArn(const std::string& arn) {
  std::vector<std::string> parts;
  std::size_t at = 0;
  while (true) {
    std::size_t c = arn.find(':', at);
    parts.push_back(arn.substr(at, c == std::string::npos ? std::string::npos : c - at));
    if (c == std::string::npos) break;
    at = c + 1;
  }
  return parts;
}

std::string SourceService(const std::string& arn) {
  auto parts = SplitArn(arn);
  return parts.size() >= 6 ? parts[2] : "";
}

std::string QueueUrl(const std::string& arn) {
  auto p = SplitArn(arn);
  return "https://sqs." + p[3] + ".amazonaws.com/" + p[4] + "/" + p[5];
}

Error Invalid(const std::string& m) { return services::MakeError(errors::kInvalidParameter, {m}); }

json::object MappingDoc(const Mapping& m) {
  json::object checkpoints;
  for (const auto& [k, v] : m.checkpoints) checkpoints[k] = v;
  return json::object{{"config", m.config},        {"account", m.account},     {"region", m.region},
                      {"function", m.function},    {"qualifier", m.qualifier}, {"checkpoints", checkpoints},
                      {"created_ms", m.created_ms}};
}

Error MappingNotFound(const std::string& uuid) {
  return MakeError("ResourceNotFoundException",
                   "The resource you requested does not exist. (Service: Lambda, "
                   "Status Code: 404, Request ID: " +
                       uuid + ")",
                   404);
}

const std::set<std::string>& UpdatableMembers() {
  static const std::set<std::string> k = {"BatchSize",
                                          "MaximumBatchingWindowInSeconds",
                                          "DestinationConfig",
                                          "MaximumRecordAgeInSeconds",
                                          "BisectBatchOnFunctionError",
                                          "MaximumRetryAttempts",
                                          "FunctionResponseTypes",
                                          "FilterCriteria",
                                          "ScalingConfig"};
  return k;
}

Status CheckBatching(const json::object& c, const std::string& service) {
  const std::int64_t batch = GetInt(c, "BatchSize").value_or(0);
  const std::int64_t window = GetInt(c, "MaximumBatchingWindowInSeconds").value_or(0);
  if (service == "sqs" && batch > 10 && window == 0) {
    return Invalid(
        "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10");
  }
  if (service == "sqs" && batch > 10000) return Invalid("BatchSize must be less than or equal to 10000.");
  if (service == "kinesis" && batch > 10000) return Invalid("BatchSize must be less than or equal to 10000.");
  return Status::Ok();
}

}  // namespace

Status SaveMapping(Env& env, const Mapping& m) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_RETURN_IF_ERROR(
      txn->Exec("INSERT INTO lambda_mappings (uuid, doc) VALUES (?, ?) ON CONFLICT (uuid) DO UPDATE SET doc "
                "= excluded.doc",
                {GetString(m.config, "UUID").value_or(""), json::serialize(MappingDoc(m))}));
  return txn->Commit();
}

Status LoadMappings(Env& env) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kRead));
  CENOTE_ASSIGN_OR_RETURN(auto rows, txn->Query("SELECT uuid, doc FROM lambda_mappings"));
  MutexLock lock(env.mu);
  for (const auto& r : rows) {
    boost::system::error_code ec;
    json::value v = json::parse(store::AsText(r[1]), ec);
    if (ec || !v.is_object()) continue;
    const json::object& d = v.as_object();
    Mapping m;
    if (const json::object* c = GetObject(d, "config")) m.config = *c;
    m.account = GetString(d, "account").value_or("");
    m.region = GetString(d, "region").value_or("");
    m.function = GetString(d, "function").value_or("");
    m.qualifier = GetString(d, "qualifier").value_or("");
    m.created_ms = GetInt(d, "created_ms").value_or(0);
    if (const json::object* c = GetObject(d, "checkpoints")) {
      for (const auto& [k, s] : *c) {
        if (s.is_string()) m.checkpoints[std::string(k)] = std::string(s.as_string());
      }
    }
    env.mappings[store::AsText(r[0])] = std::move(m);
  }
  return Status::Ok();
}

Result<OperationOutput> CreateEventSourceMapping(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& params = in.params.as_object();
  const std::string source = GetString(params, "EventSourceArn").value_or("");
  const std::string service = SourceService(source);
  if (service != "sqs" && service != "kinesis") {
    return Invalid(
        "Unrecognized event source, must be kinesis, dynamodb stream, sqs, msk or mq; Cenote supports sqs "
        "and kinesis.");
  }
  CENOTE_ASSIGN_OR_RETURN(ParsedName name, ParseFunctionName(GetString(params, "FunctionName").value_or(""),
                                                             ctx.account_id(), ctx.region));
  Mapping m;
  m.account = name.account;
  m.region = name.region;
  m.function = name.name;
  m.qualifier = name.qualifier;
  m.created_ms = env.Now();
  const std::string uuid = NewUuidV4();
  json::object& c = m.config;
  c["UUID"] = uuid;
  c["EventSourceArn"] = source;
  c["BatchSize"] = GetInt(params, "BatchSize").value_or(service == "sqs" ? 10 : 100);
  c["MaximumBatchingWindowInSeconds"] = GetInt(params, "MaximumBatchingWindowInSeconds").value_or(0);
  for (const auto& k : UpdatableMembers()) {
    if (const auto* v = params.if_contains(k);
        v && k != "BatchSize" && k != "MaximumBatchingWindowInSeconds") {
      c[k] = *v;
    }
  }
  if (service == "kinesis") {
    auto start = GetString(params, "StartingPosition");
    if (!start)
      return Invalid(
          "1 validation error detected: Value null at 'startingPosition' failed to satisfy "
          "constraint: Member must not be null.");
    c["StartingPosition"] = *start;
    if (auto ts = GetInt(params, "StartingPositionTimestamp")) c["StartingPositionTimestamp"] = *ts;
    if (*start == "AT_TIMESTAMP" && !c.contains("StartingPositionTimestamp")) {
      return Invalid("StartingPositionTimestamp must be specified when StartingPosition is AT_TIMESTAMP.");
    }
    if (!c.contains("MaximumRetryAttempts")) c["MaximumRetryAttempts"] = -1;
    if (!c.contains("BisectBatchOnFunctionError")) c["BisectBatchOnFunctionError"] = false;
    if (!c.contains("MaximumRecordAgeInSeconds")) c["MaximumRecordAgeInSeconds"] = -1;
    c["ParallelizationFactor"] = 1;
  }
  if (!c.contains("FunctionResponseTypes")) c["FunctionResponseTypes"] = json::array{};
  CENOTE_RETURN_IF_ERROR(CheckBatching(c, service));
  c["State"] = GetBool(params, "Enabled").value_or(true) ? "Enabled" : "Disabled";
  c["StateTransitionReason"] = "USER_INITIATED";
  c["LastModified"] = env.Now();
  c["LastProcessingResult"] = "No records processed";
  {
    MutexLock lock(env.mu);
    CENOTE_ASSIGN_OR_RETURN(Target t, Resolve(env, name, false));
    c["FunctionArn"] = t.invoked_arn;
    for (const auto& [id, other] : env.mappings) {
      if (GetString(other.config, "EventSourceArn") == source &&
          GetString(other.config, "FunctionArn") == t.invoked_arn) {
        return services::MakeError(errors::kConflict,
                                   {"An event source mapping with " + service + " arn (\" " + source +
                                    " \") and function (\" " + name.name +
                                    " \") already exists. Please update or "
                                    "delete the existing mapping with UUID " +
                                    id});
      }
    }
  }
  CENOTE_RETURN_IF_ERROR(SaveMapping(env, m));
  json::object answer = c;
  answer["State"] = "Creating";
  MutexLock lock(env.mu);
  env.mappings[uuid] = std::move(m);
  OperationOutput out(answer);
  out.http_status = 202;
  return out;
}

Result<OperationOutput> GetEventSourceMapping(Env& env, const RequestContext&, OperationInput& in) {
  const std::string uuid = GetString(in.params.as_object(), "UUID").value_or("");
  MutexLock lock(env.mu);
  auto it = env.mappings.find(uuid);
  if (it == env.mappings.end()) return MappingNotFound(uuid);
  return OperationOutput(it->second.config);
}

Result<OperationOutput> UpdateEventSourceMapping(Env& env, const RequestContext&, OperationInput& in) {
  const json::object& params = in.params.as_object();
  const std::string uuid = GetString(params, "UUID").value_or("");
  Mapping copy;
  {
    MutexLock lock(env.mu);
    auto it = env.mappings.find(uuid);
    if (it == env.mappings.end()) return MappingNotFound(uuid);
    copy = it->second;
  }
  json::object& c = copy.config;
  for (const auto& k : UpdatableMembers()) {
    if (const auto* v = params.if_contains(k)) c[k] = *v;
  }
  if (auto enabled = GetBool(params, "Enabled")) c["State"] = *enabled ? "Enabled" : "Disabled";
  CENOTE_RETURN_IF_ERROR(CheckBatching(c, SourceService(GetString(c, "EventSourceArn").value_or(""))));
  c["LastModified"] = env.Now();
  CENOTE_RETURN_IF_ERROR(SaveMapping(env, copy));
  MutexLock lock(env.mu);
  auto it = env.mappings.find(uuid);
  if (it == env.mappings.end()) return MappingNotFound(uuid);
  it->second.config = c;
  json::object answer = c;
  answer["State"] = "Updating";
  OperationOutput out(answer);
  out.http_status = 202;
  return out;
}

Result<OperationOutput> DeleteEventSourceMapping(Env& env, const RequestContext&, OperationInput& in) {
  const std::string uuid = GetString(in.params.as_object(), "UUID").value_or("");
  json::object answer;
  {
    MutexLock lock(env.mu);
    auto it = env.mappings.find(uuid);
    if (it == env.mappings.end()) return MappingNotFound(uuid);
    answer = it->second.config;
  }
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_RETURN_IF_ERROR(txn->Exec("DELETE FROM lambda_mappings WHERE uuid = ?", {uuid}));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  MutexLock lock(env.mu);
  env.mappings.erase(uuid);
  answer["State"] = "Deleting";
  OperationOutput out(answer);
  out.http_status = 202;
  return out;
}

Result<OperationOutput> ListEventSourceMappings(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& params = in.params.as_object();
  auto source = GetString(params, "EventSourceArn");
  std::optional<std::string> function_arn;
  if (auto fn = GetString(params, "FunctionName")) {
    CENOTE_ASSIGN_OR_RETURN(ParsedName p, ParseFunctionName(*fn, ctx.account_id(), ctx.region));
    function_arn = FunctionArn(FunctionKey{p.account, p.region, p.name});
  }
  MutexLock lock(env.mu);
  json::array out;
  for (const auto& [id, m] : env.mappings) {
    if (m.account != ctx.account_id() || m.region != ctx.region) continue;
    if (source && GetString(m.config, "EventSourceArn") != *source) continue;
    if (function_arn && FunctionArn(FunctionKey{m.account, m.region, m.function}) != *function_arn) continue;
    out.push_back(m.config);
  }
  return OperationOutput(json::object{{"EventSourceMappings", out}});
}

// ---- polling

namespace {

aws::Caller RoleCaller(Env& env, const Mapping& m) {
  std::string role;
  {
    MutexLock lock(env.mu);
    auto it = env.functions.find(FunctionKey{m.account, m.region, m.function});
    if (it != env.functions.end()) role = GetString(it->second.latest.config, "Role").value_or("");
  }
  aws::Caller caller;
  caller.principal = iam::RoleSessionPrincipal(role, "awslambda_esm", m.account);
  auto parts = SplitArn(GetString(m.config, "EventSourceArn").value_or(""));
  caller.region = parts.size() > 3 ? parts[3] : m.region;
  caller.invoked_by = std::string(kServicePrincipal);
  return caller;
}

Result<InvokeOutcome> InvokeBatch(Env& env, const Mapping& m, const json::object& event) {
  Target t;
  {
    MutexLock lock(env.mu);
    CENOTE_ASSIGN_OR_RETURN(t, Resolve(env, ParsedName{m.account, m.region, m.function, m.qualifier}, true));
  }
  return InvokeTarget(env, t, json::serialize(event), "", false, NewUuidV4());
}

void SetResult(Env& env, const std::string& uuid, const std::string& result) {
  MutexLock lock(env.mu);
  auto it = env.mappings.find(uuid);
  if (it != env.mappings.end()) it->second.config["LastProcessingResult"] = result;
}

json::object SqsAttribute(const json::object& a) {
  json::object out;
  out["stringValue"] =
      GetString(a, "StringValue") ? json::value(*GetString(a, "StringValue")) : json::value(nullptr);
  out["binaryValue"] = GetString(a, "BinaryValue") ? json::value(Base64Encode(*GetString(a, "BinaryValue")))
                                                   : json::value(nullptr);
  out["stringListValues"] = json::array{};
  out["binaryListValues"] = json::array{};
  out["dataType"] = GetString(a, "DataType").value_or("String");
  return out;
}

void PollSqs(Env& env, const std::string& uuid, const Mapping& m) {
  const std::string arn = GetString(m.config, "EventSourceArn").value_or("");
  const std::int64_t batch = std::max<std::int64_t>(1, GetInt(m.config, "BatchSize").value_or(10));
  const std::int64_t window_ms = GetInt(m.config, "MaximumBatchingWindowInSeconds").value_or(0) * 1000;
  aws::Caller caller = RoleCaller(env, m);
  const std::string url = QueueUrl(arn);
  json::array messages;
  const std::int64_t start = env.Now();
  // Gather up to BatchSize messages within the batching window (none: what one receive gives).
  while (static_cast<std::int64_t>(messages.size()) < batch && !env.stopping) {
    OperationInput in;
    in.params =
        json::object{{"QueueUrl", url},
                     {"MaxNumberOfMessages", std::min<std::int64_t>(10, batch - messages.size())},
                     {"AttributeNames", json::array{"All"}},
                     {"MessageAttributeNames", json::array{"All"}},
                     // Long polling while nothing is gathered yet: one receive a second on an idle queue.
                     {"WaitTimeSeconds", messages.empty() && window_ms == 0 ? 1 : 0}};
    auto out = env.invoker->Call(caller, "sqs", "ReceiveMessage", in);
    if (!out) {
      SetResult(env, uuid, "PROBLEM: " + out.error().code + " " + out.error().message);
      return;
    }
    const json::array* got =
        out->result.is_object() ? GetArray(out->result.as_object(), "Messages") : nullptr;
    if (got != nullptr) {
      for (const auto& msg : *got) messages.push_back(msg);
    }
    if (env.Now() - start >= window_ms) break;
    if (got == nullptr || got->empty()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (messages.empty()) return;
  json::array records;
  for (const auto& v : messages) {
    const json::object& msg = v.as_object();
    json::object attrs;
    if (const json::object* a = GetObject(msg, "Attributes")) attrs = *a;
    json::object mattrs;
    if (const json::object* a = GetObject(msg, "MessageAttributes")) {
      for (const auto& [k, av] : *a) {
        if (av.is_object()) mattrs[k] = SqsAttribute(av.as_object());
      }
    }
    auto parts = SplitArn(arn);
    records.push_back(json::object{{"messageId", GetString(msg, "MessageId").value_or("")},
                                   {"receiptHandle", GetString(msg, "ReceiptHandle").value_or("")},
                                   {"body", GetString(msg, "Body").value_or("")},
                                   {"attributes", attrs},
                                   {"messageAttributes", mattrs},
                                   {"md5OfBody", GetString(msg, "MD5OfBody").value_or("")},
                                   {"eventSource", "aws:sqs"},
                                   {"eventSourceARN", arn},
                                   {"awsRegion", parts.size() > 3 ? parts[3] : m.region}});
  }
  auto r = InvokeBatch(env, m, json::object{{"Records", records}});
  std::set<std::string> failed_ids;
  bool delete_any = false;
  if (r && r->function_error.empty()) {
    delete_any = true;
    bool partial = false;
    if (const json::array* types = GetArray(m.config, "FunctionResponseTypes")) {
      for (const auto& t : *types) partial |= t.is_string() && t.as_string() == "ReportBatchItemFailures";
    }
    if (partial) {
      boost::system::error_code ec;
      json::value resp = json::parse(r->payload, ec);
      if (!ec && resp.is_object()) {
        if (const json::array* f = GetArray(resp.as_object(), "batchItemFailures")) {
          for (const auto& item : *f) {
            if (!item.is_object()) continue;
            auto id = GetString(item.as_object(), "itemIdentifier");
            // AWS: an empty or unknown identifier fails the whole batch.
            if (!id || id->empty()) {
              delete_any = false;
              break;
            }
            failed_ids.insert(*id);
          }
        }
      }
    }
    SetResult(env, uuid, "OK");
  } else {
    SetResult(env, uuid, r ? "OK" : "PROBLEM: " + r.error().code);
  }
  if (!delete_any) return;  // the batch becomes visible again after the queue's visibility timeout
  json::array entries;
  for (const auto& rec : records) {
    const json::object& o = rec.as_object();
    if (failed_ids.contains(GetString(o, "messageId").value_or(""))) continue;
    entries.push_back(json::object{{"Id", std::to_string(entries.size())},
                                   {"ReceiptHandle", GetString(o, "receiptHandle").value_or("")}});
    if (entries.size() == 10) {
      OperationInput in;
      in.params = json::object{{"QueueUrl", url}, {"Entries", entries}};
      (void)env.invoker->Call(caller, "sqs", "DeleteMessageBatch", in);
      entries.clear();
    }
  }
  if (!entries.empty()) {
    OperationInput in;
    in.params = json::object{{"QueueUrl", url}, {"Entries", entries}};
    (void)env.invoker->Call(caller, "sqs", "DeleteMessageBatch", in);
  }
}

// A skipped Kinesis batch's OnFailure record (AWS's "KinesisBatchInfo": the shard range, not the records).
void SendSkipped(Env& env, const Mapping& m, const aws::Caller& caller, const std::string& shard,
                 const json::array& part, std::int64_t attempts) {
  const json::object* dc = GetObject(m.config, "DestinationConfig");
  const json::object* on_failure = dc ? GetObject(*dc, "OnFailure") : nullptr;
  const std::string destination = on_failure ? GetString(*on_failure, "Destination").value_or("") : "";
  if (destination.empty() || part.empty()) return;
  auto record_of = [](const json::value& v) { return v.as_object().at("kinesis").as_object(); };
  const json::object first = record_of(part.front()), last = record_of(part.back());
  auto arrival = [](const json::object& k) {
    const json::value* v = k.if_contains("approximateArrivalTimestamp");
    const double s = v != nullptr && v->is_double() ? v->as_double() : 0;
    return IsoTimeZ(static_cast<std::int64_t>(s * 1000));
  };
  const std::string function_arn = FunctionArn(FunctionKey{m.account, m.region, m.function}) +
                                   (m.qualifier.empty() ? "" : ":" + m.qualifier);
  json::object record{
      {"requestContext", json::object{{"requestId", NewUuidV4()},
                                      {"functionArn", function_arn},
                                      {"condition", "RetryAttemptsExhausted"},
                                      {"approximateInvokeCount", attempts}}},
      {"responseContext",
       json::object{{"statusCode", 200}, {"executedVersion", "$LATEST"}, {"functionError", "Unhandled"}}},
      {"version", "1.0"},
      {"timestamp", IsoTimeZ(env.Now())},
      {"KinesisBatchInfo", json::object{{"shardId", shard},
                                        {"startSequenceNumber", first.at("sequenceNumber")},
                                        {"endSequenceNumber", last.at("sequenceNumber")},
                                        {"approximateArrivalOfFirstRecord", arrival(first)},
                                        {"approximateArrivalOfLastRecord", arrival(last)},
                                        {"batchSize", static_cast<std::int64_t>(part.size())},
                                        {"streamArn", GetString(m.config, "EventSourceArn").value_or("")}}}};
  json::object doc{{"account", m.account}, {"region", m.region}, {"name", m.function}};
  SendToDestination(env, doc, destination, caller.principal.entity_arn, record, false);
}

// One batch per shard per round; checkpoints after each processed (or skipped) batch.
void PollKinesis(Env& env, const std::string& uuid, Mapping m) {
  const std::string arn = GetString(m.config, "EventSourceArn").value_or("");
  aws::Caller caller = RoleCaller(env, m);
  OperationInput ls;
  ls.params = json::object{{"StreamARN", arn}};
  auto shards = env.invoker->Call(caller, "kinesis", "ListShards", ls);
  if (!shards) {
    SetResult(env, uuid, "PROBLEM: " + shards.error().code + " " + shards.error().message);
    return;
  }
  const json::array* list = GetArray(shards->result.as_object(), "Shards");
  if (list == nullptr) return;
  const std::int64_t batch = std::max<std::int64_t>(1, GetInt(m.config, "BatchSize").value_or(100));
  const std::int64_t max_retries = GetInt(m.config, "MaximumRetryAttempts").value_or(-1);
  const bool bisect = GetBool(m.config, "BisectBatchOnFunctionError").value_or(false);
  bool changed = false;
  bool changed_any = false;
  for (const auto& sv : *list) {
    const std::string shard = GetString(sv.as_object(), "ShardId").value_or("");
    std::string iterator = m.iterators[shard];
    if (iterator.empty()) {
      json::object p{{"StreamARN", arn}, {"ShardId", shard}};
      auto cp = m.checkpoints.find(shard);
      const std::string start = GetString(m.config, "StartingPosition").value_or("LATEST");
      if (cp != m.checkpoints.end()) {
        p["ShardIteratorType"] = "AFTER_SEQUENCE_NUMBER";
        p["StartingSequenceNumber"] = cp->second;
      } else if (start == "TRIM_HORIZON") {
        p["ShardIteratorType"] = "TRIM_HORIZON";
      } else {
        // LATEST is the stream's tip when the mapping was created: records put since are not missed.
        p["ShardIteratorType"] = "AT_TIMESTAMP";
        p["Timestamp"] = start == "AT_TIMESTAMP"
                             ? GetInt(m.config, "StartingPositionTimestamp").value_or(0) * 1000
                             : m.created_ms;
      }
      OperationInput in;
      in.params = p;
      auto it = env.invoker->Call(caller, "kinesis", "GetShardIterator", in);
      if (!it) continue;
      iterator = GetString(it->result.as_object(), "ShardIterator").value_or("");
    }
    OperationInput gr;
    gr.params = json::object{{"ShardIterator", iterator}, {"Limit", batch}, {"StreamARN", arn}};
    auto got = env.invoker->Call(caller, "kinesis", "GetRecords", gr);
    if (!got) {
      m.iterators.erase(shard);
      continue;
    }
    const json::object& res = got->result.as_object();
    const json::array* recs = GetArray(res, "Records");
    std::string next = GetString(res, "NextShardIterator").value_or("");
    if (recs == nullptr || recs->empty()) {
      m.iterators[shard] = next;
      continue;
    }
    changed_any = true;
    json::array records;
    for (const auto& rv : *recs) {
      const json::object& r = rv.as_object();
      const std::string seq = GetString(r, "SequenceNumber").value_or("");
      records.push_back(json::object{
          {"kinesis",
           json::object{
               {"kinesisSchemaVersion", "1.0"},
               {"partitionKey", GetString(r, "PartitionKey").value_or("")},
               {"sequenceNumber", seq},
               {"data", Base64Encode(GetString(r, "Data").value_or(""))},
               {"approximateArrivalTimestamp",
                static_cast<double>(GetInt(r, "ApproximateArrivalTimestamp").value_or(0)) / 1000.0}}},
          {"eventSource", "aws:kinesis"},
          {"eventVersion", "1.0"},
          {"eventID", shard + ":" + seq},
          {"eventName", "aws:kinesis:record"},
          {"invokeIdentityArn", caller.principal.entity_arn},
          {"awsRegion", caller.region},
          {"eventSourceARN", arn}});
    }
    // Invoke, retrying and bisecting as configured; every record ends processed or skipped.
    std::vector<std::pair<std::size_t, std::size_t>> pending{{0, records.size()}};
    while (!pending.empty()) {
      auto [from, to] = pending.back();
      pending.pop_back();
      json::array part(records.begin() + static_cast<std::ptrdiff_t>(from),
                       records.begin() + static_cast<std::ptrdiff_t>(to));
      bool ok = false;
      std::int64_t attempts_made = 0;
      for (std::int64_t attempt = 0; max_retries < 0 || attempt <= max_retries; ++attempt) {
        ++attempts_made;
        auto r = InvokeBatch(env, m, json::object{{"Records", part}});
        ok = r && r->function_error.empty();
        if (ok || (bisect && to - from > 1)) break;
        if (max_retries < 0 && attempt >= 10000) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(
            std::min<std::int64_t>(1000, 50 << std::min<std::int64_t>(attempt, 4))));
        if (env.stopping) return;
        MutexLock lock(env.mu);
        if (!env.mappings.contains(uuid)) return;
      }
      if (!ok && bisect && to - from > 1) {
        const std::size_t mid = from + (to - from) / 2;
        pending.push_back({mid, to});
        pending.push_back({from, mid});
        continue;
      }
      if (!ok) {
        spdlog::warn("lambda: event source mapping {} skipped {} records of {}", uuid, to - from, shard);
        SendSkipped(env, m, caller, shard, part, attempts_made);
      }
    }
    m.checkpoints[shard] = std::string(GetString(recs->back().as_object(), "SequenceNumber").value_or(""));
    m.iterators[shard] = next;
    changed = true;
    SetResult(env, uuid, "OK");
  }
  // An idle stream is read about once a second per shard, as Lambda does.
  if (!changed_any) std::this_thread::sleep_for(std::chrono::milliseconds(500));
  // The iterators and checkpoints go back (the mapping may have been updated meanwhile: keep its config).
  MutexLock lock(env.mu);
  auto it = env.mappings.find(uuid);
  if (it == env.mappings.end()) return;
  it->second.iterators = m.iterators;
  it->second.checkpoints = m.checkpoints;
  if (changed) {
    Mapping saved = it->second;
    lock.Unlock();
    if (Status s = SaveMapping(env, saved); !s)
      spdlog::warn("lambda: checkpoint of {} failed: {}", uuid, s.error().message);
  }
}

}  // namespace

void RunMappingsRound(Env& env) {
  if (env.stopping) return;
  std::vector<std::pair<std::string, Mapping>> due;
  {
    MutexLock lock(env.mu);
    for (const auto& [uuid, m] : env.mappings) {
      if (GetString(m.config, "State").value_or("") != "Enabled" || env.polling.contains(uuid)) continue;
      env.polling.insert(uuid);
      due.push_back({uuid, m});
    }
  }
  for (auto& entry : due) {
    std::thread([&env, uuid = entry.first, m = std::move(entry.second)]() {
      try {
        if (SourceService(GetString(m.config, "EventSourceArn").value_or("")) == "sqs") {
          PollSqs(env, uuid, m);
        } else {
          PollKinesis(env, uuid, m);
        }
      } catch (const std::exception& e) {
        spdlog::error("lambda: event source mapping {} failed: {}", uuid, e.what());
      }
      MutexLock lock(env.mu);
      env.polling.erase(uuid);
    }).detach();
  }
}

}  // namespace cenote::lambda
