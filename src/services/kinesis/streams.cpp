// Stream-level operations: create/delete/describe/list, retention, tags, limits, enhanced monitoring,
// encryption settings, stream mode and resource policies.
#include <openssl/rand.h>

#include <algorithm>
#include <cctype>

#include "common/encoding.hpp"
#include "services/kinesis/internal.hpp"

namespace cenote::kinesis {

namespace {

bool ValidStreamName(std::string_view name) {
  if (name.empty() || name.size() > 128) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
}

std::string NewUid() {
  unsigned char b[8];
  if (RAND_bytes(b, sizeof(b)) != 1) return "uid" + std::to_string(std::rand());
  return HexEncode(std::string_view(reinterpret_cast<const char*>(b), sizeof(b)));
}

json::object SummaryOf(const Env& env, const StreamState& s) {
  json::object o;
  o["StreamName"] = s.name;
  o["StreamARN"] = s.arn;
  o["StreamStatus"] = env.EffectiveStatus(s);
  o["StreamModeDetails"] = StreamModeDocument(s);
  o["StreamCreationTimestamp"] = s.created_ms;
  return o;
}

// Shards still visible: open ones and closed ones within the retention period, by index.
std::vector<const ShardState*> VisibleShards(const Env& env, const StreamState& s) {
  std::vector<const ShardState*> out;
  const std::int64_t retention_ms = static_cast<std::int64_t>(s.retention_hours) * 3600 * 1000;
  for (const auto& sh : s.shards) {
    if (!sh.open() && *sh.closed_ms + retention_ms < env.Now()) continue;
    out.push_back(&sh);
  }
  return out;
}

Status CheckRetention(std::int64_t hours) {
  if (hours < kMinRetentionHours)
    return InvalidArgument("Minimum allowed retention period is 24 hours. Requested retention period (" +
                           std::to_string(hours) + " hours) is too short.");
  if (hours > kMaxRetentionHours)
    return InvalidArgument("Maximum allowed retention period is 8760 hours. Requested retention period (" +
                           std::to_string(hours) + " hours) is too long.");
  return Status::Ok();
}

Result<OperationOutput> ChangeRetention(Env& env, OperationInput& input, bool increase) {
  const auto& p = input.params.as_object();
  auto hours = Int(p, "RetentionPeriodHours");
  if (!hours) return Validation("null", "retentionPeriodHours", "not be null");
  auto found = env.FindStream(p);
  if (!found) return std::move(found).error();
  StreamState& s = **found;
  std::unique_lock<std::shared_mutex> lk(s.mu);
  CENOTE_RETURN_IF_ERROR(env.RequireActive(s));
  CENOTE_RETURN_IF_ERROR(CheckRetention(*hours));
  if (increase && *hours < s.retention_hours)
    return InvalidArgument("Requested retention period (" + std::to_string(*hours) + " hours) for stream " +
                           s.name + " can not be shorter than existing retention period (" +
                           std::to_string(s.retention_hours) + " hours). Use DecreaseRetentionPeriod API.");
  if (!increase && *hours > s.retention_hours)
    return InvalidArgument("Requested retention period (" + std::to_string(*hours) + " hours) for stream " +
                           s.name + " can not be longer than existing retention period (" +
                           std::to_string(s.retention_hours) + " hours). Use IncreaseRetentionPeriod API.");
  s.retention_hours = static_cast<int>(*hours);
  CENOTE_RETURN_IF_ERROR(env.Save(s));
  if (!increase) {
    // Records past the new retention period become unreadable now, not at the next maintenance pass.
    const std::int64_t cutoff = env.Now() - *hours * 3600 * 1000;
    for (const auto& sh : s.shards) (void)env.log.Trim(s.LogName(sh), cutoff);
  }
  return OperationOutput{};
}

Status ValidateTag(const std::string& key, const std::string& value) {
  if (key.empty() || key.size() > 128)
    return InvalidArgument("Tag key must be between 1 and 128 characters long: " + key);
  if (value.size() > 256) return InvalidArgument("Tag value must be at most 256 characters long.");
  return Status::Ok();
}

Result<OperationOutput> SetEnhancedMonitoring(Env& env, OperationInput& input, bool enable) {
  const auto& p = input.params.as_object();
  auto it = p.find("ShardLevelMetrics");
  if (it == p.end() || !it->value().is_array() || it->value().as_array().empty())
    return Validation("null", "shardLevelMetrics", "have length greater than or equal to 1");
  static const std::vector<std::string> kAll = {"IncomingBytes",
                                                "IncomingRecords",
                                                "OutgoingBytes",
                                                "OutgoingRecords",
                                                "WriteProvisionedThroughputExceeded",
                                                "ReadProvisionedThroughputExceeded",
                                                "IteratorAgeMilliseconds"};
  std::vector<std::string> requested;
  for (const auto& v : it->value().as_array()) {
    if (!v.is_string()) return Validation("null", "shardLevelMetrics", "not be null");
    std::string m(v.as_string());
    if (m == "ALL") {
      requested.insert(requested.end(), kAll.begin(), kAll.end());
    } else if (std::find(kAll.begin(), kAll.end(), m) != kAll.end()) {
      requested.push_back(m);
    } else {
      return Validation(
          "'[" + m + "]'", "shardLevelMetrics",
          "satisfy enum value set: [IncomingBytes, IncomingRecords, OutgoingBytes, OutgoingRecords, "
          "WriteProvisionedThroughputExceeded, ReadProvisionedThroughputExceeded, "
          "IteratorAgeMilliseconds, ALL]");
    }
  }
  auto found = env.FindStream(p);
  if (!found) return std::move(found).error();
  StreamState& s = **found;
  std::unique_lock<std::shared_mutex> lk(s.mu);
  CENOTE_RETURN_IF_ERROR(env.RequireActive(s));
  json::array current;
  for (const auto& m : s.shard_level_metrics) current.push_back(json::string(m));
  for (const auto& m : requested) {
    auto pos = std::find(s.shard_level_metrics.begin(), s.shard_level_metrics.end(), m);
    if (enable && pos == s.shard_level_metrics.end()) s.shard_level_metrics.push_back(m);
    if (!enable && pos != s.shard_level_metrics.end()) s.shard_level_metrics.erase(pos);
  }
  std::sort(s.shard_level_metrics.begin(), s.shard_level_metrics.end());
  CENOTE_RETURN_IF_ERROR(env.Save(s));
  json::array desired;
  for (const auto& m : s.shard_level_metrics) desired.push_back(json::string(m));
  OperationOutput out;
  out.result = json::object{{"StreamName", s.name},
                            {"StreamARN", s.arn},
                            {"CurrentShardLevelMetrics", std::move(current)},
                            {"DesiredShardLevelMetrics", std::move(desired)}};
  return out;
}

}  // namespace

Result<OperationOutput> CreateStream(Env& env, const RequestContext&, OperationInput& input) {
  const auto& p = input.params.as_object();
  CENOTE_RETURN_IF_ERROR(CheckLength(p, "StreamName", "streamName", 1, 128, true));
  std::string name = *Str(p, "StreamName");
  if (!ValidStreamName(name))
    return Validation("'" + name + "'", "streamName", "satisfy regular expression pattern: [a-zA-Z0-9_.-]+");
  CENOTE_RETURN_IF_ERROR(CheckRange(p, "ShardCount", "shardCount", 1, 100000));
  std::string mode = "PROVISIONED";
  if (auto it = p.find("StreamModeDetails"); it != p.end() && it->value().is_object()) {
    mode = Str(it->value().as_object(), "StreamMode").value_or("");
    if (mode != "PROVISIONED" && mode != "ON_DEMAND")
      return Validation("'" + mode + "'", "streamModeDetails.streamMode",
                        "satisfy enum value set: [PROVISIONED, ON_DEMAND]");
  } else if (!Int(p, "ShardCount")) {
    // Without ShardCount or StreamModeDetails AWS creates an on-demand stream.
    mode = "ON_DEMAND";
  }
  int shard_count = 0;
  if (mode == "PROVISIONED") {
    auto n = Int(p, "ShardCount");
    if (!n) return InvalidArgument("ShardCount is required for a PROVISIONED stream.");
    shard_count = static_cast<int>(*n);
  } else {
    shard_count = env.options.on_demand_shard_count;
  }

  auto stream = std::make_shared<StreamState>();
  stream->name = name;
  stream->uid = NewUid();
  stream->arn = env.StreamArn(name);
  stream->status = "CREATING";
  stream->status_ms = env.Now();
  stream->mode = mode;
  stream->created_ms = env.Now();
  std::unique_lock<std::shared_mutex> lk(stream->mu);
  {
    // Reserve the name: a live stream of that name wins; a finished DELETING one is purged first.
    std::shared_ptr<StreamState> existing;
    {
      std::lock_guard<std::mutex> g(env.mu);
      if (auto it = env.streams.find(name); it != env.streams.end()) existing = it->second;
    }
    if (existing) {
      bool gone = false;
      {
        std::shared_lock<std::shared_mutex> g(existing->mu);
        gone = env.EffectiveStatus(*existing).empty();
      }
      if (!gone) return MakeKinesisError(errors::kStreamExists, {name, env.Account()});
      CENOTE_RETURN_IF_ERROR(env.Purge(name));
    }
    if (mode == "ON_DEMAND") {
      int on_demand = 0;
      std::lock_guard<std::mutex> g(env.mu);
      for (const auto& [_, s] : env.streams) on_demand += s->mode == "ON_DEMAND" ? 1 : 0;
      if (on_demand >= env.options.on_demand_stream_limit)
        return MakeKinesisError(errors::kLimitExceeded,
                                {"This request would exceed the on-demand stream limit for the account " +
                                 env.Account() + " in " + env.options.region + "."});
    }
    int open = env.OpenShardCount();
    if (open + shard_count > env.options.shard_limit)
      return MakeKinesisError(errors::kLimitExceeded,
                              {"This request would exceed the shard limit for the account " + env.Account() +
                               " in " + env.options.region + ". Current shard count for the account: " +
                               std::to_string(open) + ". Limit: " + std::to_string(env.options.shard_limit) +
                               ". Number of additional shards that would have resulted from this request: " +
                               std::to_string(shard_count) +
                               ". Refer to the AWS Service Limits page "
                               "(https://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) "
                               "for current limits and how to request higher limits."});
    std::lock_guard<std::mutex> g(env.mu);
    if (env.streams.count(name)) return MakeKinesisError(errors::kStreamExists, {name, env.Account()});
    env.streams[name] = stream;
  }
  auto fail = [&](Error e) {
    std::lock_guard<std::mutex> g(env.mu);
    env.streams.erase(name);
    for (const auto& sh : stream->shards) (void)env.log.DeleteLog(stream->LogName(sh));
    return e;
  };
  for (int i = 0; i < shard_count; ++i) {
    auto [start, end] = UniformRange(i, shard_count);
    auto shard = env.NewShard(*stream, start, end, 0, "", "");
    if (!shard) return fail(std::move(shard).error());
    stream->shards.push_back(std::move(shard).value());
  }
  // Logs first, then the row: a crash in between leaves orphan logs that Open removes.
  Status st = env.Save(*stream);
  if (!st) return fail(std::move(st).error());
  return OperationOutput{};
}

Result<OperationOutput> DeleteStream(Env& env, const RequestContext&, OperationInput& input) {
  const auto& p = input.params.as_object();
  auto found = env.FindStream(p);
  if (!found) return std::move(found).error();
  StreamState& s = **found;
  {
    std::unique_lock<std::shared_mutex> lk(s.mu);
    std::string status = env.EffectiveStatus(s);
    if (status == "DELETING") return OperationOutput{};
    bool enforce = false;
    if (auto it = p.find("EnforceConsumerDeletion"); it != p.end() && it->value().is_bool())
      enforce = it->value().as_bool();
    std::size_t live_consumers = 0;
    for (const auto& c : s.consumers) live_consumers += env.EffectiveStatus(c).empty() ? 0 : 1;
    if (live_consumers > 0 && !enforce)
      return MakeError(
          "ResourceInUseException",
          "Stream " + s.name + " under account " + env.Account() +
              " has registered consumers. Set EnforceConsumerDeletion to delete them with the stream.",
          400);
    s.status = "DELETING";
    s.status_ms = env.Now();
    CENOTE_RETURN_IF_ERROR(env.Save(s));
    if (env.options.transition_ms > 0) return OperationOutput{};
  }
  CENOTE_RETURN_IF_ERROR(env.Purge(s.name));
  return OperationOutput{};
}

Result<OperationOutput> DescribeStream(Env& env, const RequestContext&, OperationInput& input) {
  const auto& p = input.params.as_object();
  CENOTE_RETURN_IF_ERROR(CheckRange(p, "Limit", "limit", 1, 10000));
  CENOTE_RETURN_IF_ERROR(CheckLength(p, "ExclusiveStartShardId", "exclusiveStartShardId", 1, 128, false));
  auto found = env.FindStream(p);
  if (!found) return std::move(found).error();
  StreamState& s = **found;
  std::shared_lock<std::shared_mutex> lk(s.mu);
  const std::size_t limit = static_cast<std::size_t>(Int(p, "Limit").value_or(100));
  auto start_after = Str(p, "ExclusiveStartShardId");
  json::array shards;
  bool more = false;
  for (const ShardState* sh : VisibleShards(env, s)) {
    if (start_after && sh->shard_id <= *start_after) continue;
    if (shards.size() == limit) {
      more = true;
      break;
    }
    shards.push_back(ShardDocument(*sh));
  }
  json::object d = SummaryOf(env, s);
  d["Shards"] = std::move(shards);
  d["HasMoreShards"] = more;
  d["RetentionPeriodHours"] = s.retention_hours;
  d["EnhancedMonitoring"] = EnhancedMonitoringDocument(s);
  d["EncryptionType"] = s.encryption_type;
  if (!s.key_id.empty()) d["KeyId"] = s.key_id;
  OperationOutput out;
  out.result = json::object{{"StreamDescription", std::move(d)}};
  return out;
}

Result<OperationOutput> DescribeStreamSummary(Env& env, const RequestContext&, OperationInput& input) {
  auto found = env.FindStream(input.params.as_object());
  if (!found) return std::move(found).error();
  StreamState& s = **found;
  std::shared_lock<std::shared_mutex> lk(s.mu);
  json::object d = SummaryOf(env, s);
  d["RetentionPeriodHours"] = s.retention_hours;
  d["EnhancedMonitoring"] = EnhancedMonitoringDocument(s);
  d["EncryptionType"] = s.encryption_type;
  if (!s.key_id.empty()) d["KeyId"] = s.key_id;
  int open = 0;
  for (const auto& sh : s.shards) open += sh.open() ? 1 : 0;
  d["OpenShardCount"] = open;
  int consumers = 0;
  for (const auto& c : s.consumers) consumers += env.EffectiveStatus(c).empty() ? 0 : 1;
  d["ConsumerCount"] = consumers;
  OperationOutput out;
  out.result = json::object{{"StreamDescriptionSummary", std::move(d)}};
  return out;
}

Result<OperationOutput> ListStreams(Env& env, const RequestContext&, OperationInput& input) {
  const auto& p = input.params.as_object();
  CENOTE_RETURN_IF_ERROR(CheckRange(p, "Limit", "limit", 1, 10000));
  CENOTE_RETURN_IF_ERROR(
      CheckLength(p, "ExclusiveStartStreamName", "exclusiveStartStreamName", 1, 128, false));
  std::optional<std::string> start_after = Str(p, "ExclusiveStartStreamName");
  if (auto token = Str(p, "NextToken")) {
    auto t = ReadToken(env, *token);
    if (!t) return std::move(t).error();
    start_after = Str(*t, "after");
  }
  const std::size_t limit = static_cast<std::size_t>(Int(p, "Limit").value_or(100));
  std::vector<std::shared_ptr<StreamState>> all;
  {
    std::lock_guard<std::mutex> g(env.mu);
    for (const auto& [name, s] : env.streams)
      if (!start_after || name > *start_after) all.push_back(s);
  }
  json::array names;
  json::array summaries;
  bool more = false;
  std::string last;
  for (const auto& s : all) {
    std::shared_lock<std::shared_mutex> lk(s->mu);
    if (env.EffectiveStatus(*s).empty()) continue;
    if (names.size() == limit) {
      more = true;
      break;
    }
    names.push_back(json::string(s->name));
    summaries.push_back(SummaryOf(env, *s));
    last = s->name;
  }
  OperationOutput out;
  json::object r{
      {"StreamNames", std::move(names)}, {"HasMoreStreams", more}, {"StreamSummaries", std::move(summaries)}};
  if (more) r["NextToken"] = MakeToken(env, json::object{{"after", last}});
  out.result = std::move(r);
  return out;
}

Result<OperationOutput> IncreaseStreamRetentionPeriod(Env& env, const RequestContext&,
                                                      OperationInput& input) {
  return ChangeRetention(env, input, true);
}

Result<OperationOutput> DecreaseStreamRetentionPeriod(Env& env, const RequestContext&,
                                                      OperationInput& input) {
  return ChangeRetention(env, input, false);
}

Result<OperationOutput> AddTagsToStream(Env& env, const RequestContext&, OperationInput& input) {
  const auto& p = input.params.as_object();
  auto it = p.find("Tags");
  if (it == p.end() || !it->value().is_object()) return Validation("null", "tags", "not be null");
  const auto& tags = it->value().as_object();
  if (tags.empty()) return Validation("'{}'", "tags", "have length greater than or equal to 1");
  if (tags.size() > 200) return Validation("'{...}'", "tags", "have length less than or equal to 200");
  for (const auto& [k, v] : tags) {
    if (!v.is_string()) return InvalidArgument("Tag values must be strings.");
    CENOTE_RETURN_IF_ERROR(ValidateTag(std::string(k), std::string(v.as_string())));
  }
  auto found = env.FindStream(p);
  if (!found) return std::move(found).error();
  StreamState& s = **found;
  std::unique_lock<std::shared_mutex> lk(s.mu);
  auto merged = s.tags;
  for (const auto& [k, v] : tags) merged[std::string(k)] = std::string(v.as_string());
  if (merged.size() > kMaxTagsPerStream)
    return InvalidArgument("Failed to add tags to stream " + s.name + " under account " + env.Account() +
                           " because a given stream cannot have more than 50 tags.");
  s.tags = std::move(merged);
  CENOTE_RETURN_IF_ERROR(env.Save(s));
  return OperationOutput{};
}

Result<OperationOutput> RemoveTagsFromStream(Env& env, const RequestContext&, OperationInput& input) {
  const auto& p = input.params.as_object();
  auto it = p.find("TagKeys");
  if (it == p.end() || !it->value().is_array()) return Validation("null", "tagKeys", "not be null");
  const auto& keys = it->value().as_array();
  if (keys.empty()) return Validation("'[]'", "tagKeys", "have length greater than or equal to 1");
  if (keys.size() > 50) return Validation("'[...]'", "tagKeys", "have length less than or equal to 50");
  auto found = env.FindStream(p);
  if (!found) return std::move(found).error();
  StreamState& s = **found;
  std::unique_lock<std::shared_mutex> lk(s.mu);
  for (const auto& k : keys)
    if (k.is_string()) s.tags.erase(std::string(k.as_string()));
  CENOTE_RETURN_IF_ERROR(env.Save(s));
  return OperationOutput{};
}

Result<OperationOutput> ListTagsForStream(Env& env, const RequestContext&, OperationInput& input) {
  const auto& p = input.params.as_object();
  CENOTE_RETURN_IF_ERROR(CheckRange(p, "Limit", "limit", 1, 50));
  auto found = env.FindStream(p);
  if (!found) return std::move(found).error();
  StreamState& s = **found;
  std::shared_lock<std::shared_mutex> lk(s.mu);
  const std::size_t limit = static_cast<std::size_t>(Int(p, "Limit").value_or(50));
  auto start_after = Str(p, "ExclusiveStartTagKey");
  json::array tags;
  bool more = false;
  for (const auto& [k, v] : s.tags) {
    if (start_after && k <= *start_after) continue;
    if (tags.size() == limit) {
      more = true;
      break;
    }
    tags.push_back(json::object{{"Key", k}, {"Value", v}});
  }
  OperationOutput out;
  out.result = json::object{{"Tags", std::move(tags)}, {"HasMoreTags", more}};
  return out;
}

Result<OperationOutput> DescribeLimits(Env& env, const RequestContext&, OperationInput&) {
  int on_demand = 0;
  {
    std::lock_guard<std::mutex> g(env.mu);
    for (const auto& [_, s] : env.streams) on_demand += s->mode == "ON_DEMAND" ? 1 : 0;
  }
  OperationOutput out;
  out.result = json::object{{"ShardLimit", env.options.shard_limit},
                            {"OpenShardCount", env.OpenShardCount()},
                            {"OnDemandStreamCount", on_demand},
                            {"OnDemandStreamCountLimit", env.options.on_demand_stream_limit}};
  return out;
}

Result<OperationOutput> EnableEnhancedMonitoring(Env& env, const RequestContext&, OperationInput& input) {
  return SetEnhancedMonitoring(env, input, true);
}

Result<OperationOutput> DisableEnhancedMonitoring(Env& env, const RequestContext&, OperationInput& input) {
  return SetEnhancedMonitoring(env, input, false);
}

// Server-side encryption is recorded and reported (EncryptionType, KeyId); records are not encrypted at
// rest yet (that arrives with KMS).
Result<OperationOutput> StartStreamEncryption(Env& env, const RequestContext&, OperationInput& input) {
  const auto& p = input.params.as_object();
  auto type = Str(p, "EncryptionType");
  if (!type || (*type != "KMS" && *type != "NONE"))
    return Validation("'" + type.value_or("null") + "'", "encryptionType",
                      "satisfy enum value set: [NONE, KMS]");
  if (*type != "KMS") return InvalidArgument("EncryptionType must be KMS.");
  CENOTE_RETURN_IF_ERROR(CheckLength(p, "KeyId", "keyId", 1, 2048, true));
  auto found = env.FindStream(p);
  if (!found) return std::move(found).error();
  StreamState& s = **found;
  std::unique_lock<std::shared_mutex> lk(s.mu);
  CENOTE_RETURN_IF_ERROR(env.RequireActive(s));
  s.encryption_type = "KMS";
  s.key_id = *Str(p, "KeyId");
  CENOTE_RETURN_IF_ERROR(env.Save(s));
  return OperationOutput{};
}

Result<OperationOutput> StopStreamEncryption(Env& env, const RequestContext&, OperationInput& input) {
  const auto& p = input.params.as_object();
  CENOTE_RETURN_IF_ERROR(CheckLength(p, "KeyId", "keyId", 1, 2048, true));
  auto found = env.FindStream(p);
  if (!found) return std::move(found).error();
  StreamState& s = **found;
  std::unique_lock<std::shared_mutex> lk(s.mu);
  CENOTE_RETURN_IF_ERROR(env.RequireActive(s));
  s.encryption_type = "NONE";
  s.key_id.clear();
  CENOTE_RETURN_IF_ERROR(env.Save(s));
  return OperationOutput{};
}

Result<OperationOutput> UpdateStreamMode(Env& env, const RequestContext&, OperationInput& input) {
  const auto& p = input.params.as_object();
  if (!Str(p, "StreamARN")) return Validation("null", "streamARN", "not be null");
  auto it = p.find("StreamModeDetails");
  std::string mode =
      it != p.end() && it->value().is_object() ? Str(it->value().as_object(), "StreamMode").value_or("") : "";
  if (mode != "PROVISIONED" && mode != "ON_DEMAND")
    return Validation("'" + mode + "'", "streamModeDetails.streamMode",
                      "satisfy enum value set: [PROVISIONED, ON_DEMAND]");
  auto found = env.FindStream(p);
  if (!found) return std::move(found).error();
  StreamState& s = **found;
  std::unique_lock<std::shared_mutex> lk(s.mu);
  CENOTE_RETURN_IF_ERROR(env.RequireActive(s));
  if (s.mode == mode) return InvalidArgument("Stream " + s.name + " is already in " + mode + " mode.");
  s.mode = mode;
  s.status = "UPDATING";
  s.status_ms = env.Now();
  CENOTE_RETURN_IF_ERROR(env.Save(s));
  return OperationOutput{};
}

// Resource policies are stored and returned (not yet enforced: IAM evaluation arrives with the IAM issue).
// Only stream ARNs are accepted as ResourceARN for now.
namespace {
Result<std::shared_ptr<StreamState>> PolicyStream(Env& env, const json::object& p) {
  auto arn = Str(p, "ResourceARN");
  if (!arn) return Validation("null", "resourceARN", "not be null");
  json::object q{{"StreamARN", *arn}};
  return env.FindStream(q);
}
}  // namespace

Result<OperationOutput> PutResourcePolicy(Env& env, const RequestContext&, OperationInput& input) {
  const auto& p = input.params.as_object();
  auto policy = Str(p, "Policy");
  if (!policy) return Validation("null", "policy", "not be null");
  boost::system::error_code ec;
  auto parsed = json::parse(*policy, ec);
  if (ec || !parsed.is_object()) return InvalidArgument("Policy is not valid JSON.");
  auto found = PolicyStream(env, p);
  if (!found) return std::move(found).error();
  StreamState& s = **found;
  std::unique_lock<std::shared_mutex> lk(s.mu);
  s.policy = *policy;
  CENOTE_RETURN_IF_ERROR(env.Save(s));
  return OperationOutput{};
}

Result<OperationOutput> GetResourcePolicy(Env& env, const RequestContext&, OperationInput& input) {
  auto found = PolicyStream(env, input.params.as_object());
  if (!found) return std::move(found).error();
  StreamState& s = **found;
  std::shared_lock<std::shared_mutex> lk(s.mu);
  OperationOutput out;
  out.result = json::object{{"Policy", s.policy.value_or("{}")}};
  return out;
}

Result<OperationOutput> DeleteResourcePolicy(Env& env, const RequestContext&, OperationInput& input) {
  auto found = PolicyStream(env, input.params.as_object());
  if (!found) return std::move(found).error();
  StreamState& s = **found;
  std::unique_lock<std::shared_mutex> lk(s.mu);
  if (!s.policy) return MakeKinesisError(errors::kPolicyNotFound, {s.arn});
  s.policy.reset();
  CENOTE_RETURN_IF_ERROR(env.Save(s));
  return OperationOutput{};
}

}  // namespace cenote::kinesis
