// Stream-level operations: create/delete/describe/list, retention, tags, limits, enhanced monitoring,
// encryption settings, stream mode and resource policies. Every stream is looked up in the namespace of
// the request (its caller's account and region) or of the StreamARN it names.

#include <algorithm>

#include "common/encoding.hpp"
#include "common/random.hpp"
#include "common/strings.hpp"
#include "services/kinesis/internal.hpp"

namespace cenote::kinesis {

namespace {

bool ValidStreamName(std::string_view name) {
  if (name.empty() || name.size() > 128) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return IsAsciiAlnum(c) || c == '_' || c == '.' || c == '-'; });
}

std::string NewUid() { return RandomHex(8); }

json::object SummaryOf(const Env& env, const StreamState& s) SHARED_LOCKS_REQUIRED(s.mu) {
  json::object o;
  o["StreamName"] = s.name;
  o["StreamARN"] = s.arn;
  o["StreamStatus"] = env.EffectiveStatus(s);
  o["StreamModeDetails"] = StreamModeDocument(s);
  o["StreamCreationTimestamp"] = s.created_ms;
  return o;
}

// Shards still visible: open ones and closed ones within the retention period, by index.
std::vector<const ShardState*> VisibleShards(const Env& env, const StreamState& s)
    SHARED_LOCKS_REQUIRED(s.mu) {
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

Result<OperationOutput> ChangeRetention(Env& env, const RequestContext& ctx, OperationInput& input,
                                        bool increase) {
  const auto& p = input.params.as_object();
  auto hours = GetInt(p, "RetentionPeriodHours");
  if (!hours) return Validation("null", "retentionPeriodHours", "not be null");
  CENOTE_ASSIGN_OR_RETURN(auto stream, env.FindStream(ctx, p));
  StreamState& s = *stream;
  WriterLock lock(s.mu);
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

Result<OperationOutput> SetEnhancedMonitoring(Env& env, const RequestContext& ctx, OperationInput& input,
                                              bool enable) {
  const auto& p = input.params.as_object();
  const json::array* list = services::GetArray(p, "ShardLevelMetrics");
  if (list == nullptr || list->empty())
    return Validation("null", "shardLevelMetrics", "have length greater than or equal to 1");
  static const std::vector<std::string> kAll = {"IncomingBytes",
                                                "IncomingRecords",
                                                "OutgoingBytes",
                                                "OutgoingRecords",
                                                "WriteProvisionedThroughputExceeded",
                                                "ReadProvisionedThroughputExceeded",
                                                "IteratorAgeMilliseconds"};
  std::vector<std::string> requested;
  for (const auto& v : *list) {
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
  CENOTE_ASSIGN_OR_RETURN(auto stream, env.FindStream(ctx, p));
  StreamState& s = *stream;
  WriterLock lock(s.mu);
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
  return json::object{{"StreamName", s.name},
                      {"StreamARN", s.arn},
                      {"CurrentShardLevelMetrics", std::move(current)},
                      {"DesiredShardLevelMetrics", std::move(desired)}};
}

// Enters `stream` (locked exclusively by the caller until it is saved) under its key: a live stream of that
// name wins; a finished DELETING one is purged first. Checks the account's limits in the stream's region.
Status ReserveName(Env& env, const std::shared_ptr<StreamState>& stream, const std::string& mode,
                   int shard_count) {
  const StreamKey key = stream->key();
  std::shared_ptr<StreamState> existing;
  {
    MutexLock lock(env.mu);
    if (auto it = env.streams.find(key); it != env.streams.end()) existing = it->second;
  }
  if (existing) {
    bool gone = false;
    {
      StreamState& e = *existing;
      ReaderLock lock(e.mu);
      gone = env.EffectiveStatus(e).empty();
    }
    if (!gone) return services::MakeError(errors::kStreamExists, {key.name, key.account});
    CENOTE_RETURN_IF_ERROR(env.Purge(key));
  }
  if (mode == "ON_DEMAND" &&
      env.OnDemandStreamCount(key.account, key.region) >= env.options.on_demand_stream_limit)
    return services::MakeError(errors::kLimitExceeded,
                               {"This request would exceed the on-demand stream limit for the account " +
                                key.account + " in " + key.region + "."});
  CENOTE_RETURN_IF_ERROR(
      env.CheckShardLimit(key.account, key.region, shard_count,
                          ". Refer to the AWS Service Limits page "
                          "(https://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) "
                          "for current limits and how to request higher limits."));
  MutexLock lock(env.mu);
  if (env.streams.count(key)) return services::MakeError(errors::kStreamExists, {key.name, key.account});
  env.streams[key] = stream;
  return Status::Ok();
}

}  // namespace

Result<OperationOutput> CreateStream(Env& env, const RequestContext& ctx, OperationInput& input) {
  const auto& p = input.params.as_object();
  CENOTE_RETURN_IF_ERROR(CheckLength(p, "StreamName", "streamName", 1, 128, true));
  std::string name = *GetString(p, "StreamName");
  if (!ValidStreamName(name))
    return Validation("'" + name + "'", "streamName", "satisfy regular expression pattern: [a-zA-Z0-9_.-]+");
  CENOTE_RETURN_IF_ERROR(CheckRange(p, "ShardCount", "shardCount", 1, 100000));
  std::string mode = "PROVISIONED";
  if (const json::object* details = services::GetObject(p, "StreamModeDetails")) {
    mode = GetString(*details, "StreamMode").value_or("");
    if (mode != "PROVISIONED" && mode != "ON_DEMAND")
      return Validation("'" + mode + "'", "streamModeDetails.streamMode",
                        "satisfy enum value set: [PROVISIONED, ON_DEMAND]");
  } else if (!GetInt(p, "ShardCount")) {
    // Without ShardCount or StreamModeDetails AWS creates an on-demand stream.
    mode = "ON_DEMAND";
  }
  int shard_count = 0;
  if (mode == "PROVISIONED") {
    auto n = GetInt(p, "ShardCount");
    if (!n) return InvalidArgument("ShardCount is required for a PROVISIONED stream.");
    shard_count = static_cast<int>(*n);
  } else {
    shard_count = env.options.on_demand_shard_count;
  }

  // The stream lives in the caller's account, in the request's region.
  auto stream = std::make_shared<StreamState>();
  StreamState& s = *stream;
  s.account = ctx.account_id();
  s.region = ctx.region;
  s.name = name;
  s.uid = NewUid();
  s.arn = StreamArn(s.key());
  s.created_ms = env.Now();
  WriterLock lock(s.mu);
  s.status = "CREATING";
  s.status_ms = s.created_ms;
  s.mode = mode;
  CENOTE_RETURN_IF_ERROR(ReserveName(env, stream, mode, shard_count));
  // Undoes the reservation and the logs made so far.
  auto fail = [&](Error e) EXCLUSIVE_LOCKS_REQUIRED(s.mu) {
    {
      MutexLock map_lock(env.mu);
      env.streams.erase(s.key());
    }
    for (const auto& sh : s.shards) (void)env.log.DeleteLog(s.LogName(sh));
    return e;
  };
  for (int i = 0; i < shard_count; ++i) {
    auto [start, end] = UniformRange(i, shard_count);
    auto shard = env.NewShard(s, start, end, 0, "", "");
    if (!shard) return fail(std::move(shard).error());
    s.shards.push_back(std::move(shard).value());
  }
  // Logs first, then the row: a crash in between leaves orphan logs that Open removes.
  if (Status st = env.Save(s); !st) return fail(std::move(st).error());
  return OperationOutput{};
}

Result<OperationOutput> DeleteStream(Env& env, const RequestContext& ctx, OperationInput& input) {
  const auto& p = input.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto stream, env.FindStream(ctx, p));
  StreamState& s = *stream;
  {
    WriterLock lock(s.mu);
    if (env.EffectiveStatus(s) == "DELETING") return OperationOutput{};
    const bool enforce = services::GetBool(p, "EnforceConsumerDeletion").value_or(false);
    std::size_t live_consumers = 0;
    for (const auto& c : s.consumers) live_consumers += env.EffectiveStatus(c).empty() ? 0 : 1;
    if (live_consumers > 0 && !enforce)
      return services::MakeError(errors::kStreamHasConsumers, {s.name, s.account});
    s.status = "DELETING";
    s.status_ms = env.Now();
    CENOTE_RETURN_IF_ERROR(env.Save(s));
    if (env.options.transition_ms > 0) return OperationOutput{};
  }
  CENOTE_RETURN_IF_ERROR(env.Purge(s.key()));
  return OperationOutput{};
}

Result<OperationOutput> DescribeStream(Env& env, const RequestContext& ctx, OperationInput& input) {
  const auto& p = input.params.as_object();
  CENOTE_RETURN_IF_ERROR(CheckRange(p, "Limit", "limit", 1, 10000));
  CENOTE_RETURN_IF_ERROR(CheckLength(p, "ExclusiveStartShardId", "exclusiveStartShardId", 1, 128, false));
  CENOTE_ASSIGN_OR_RETURN(auto stream, env.FindStream(ctx, p));
  StreamState& s = *stream;
  ReaderLock lock(s.mu);
  const std::size_t limit = static_cast<std::size_t>(GetInt(p, "Limit").value_or(100));
  auto start_after = GetString(p, "ExclusiveStartShardId");
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
  return json::object{{"StreamDescription", std::move(d)}};
}

Result<OperationOutput> DescribeStreamSummary(Env& env, const RequestContext& ctx, OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto stream, env.FindStream(ctx, input.params.as_object()));
  StreamState& s = *stream;
  ReaderLock lock(s.mu);
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
  return json::object{{"StreamDescriptionSummary", std::move(d)}};
}

// The streams of the caller's account in the request's region only.
Result<OperationOutput> ListStreams(Env& env, const RequestContext& ctx, OperationInput& input) {
  const auto& p = input.params.as_object();
  CENOTE_RETURN_IF_ERROR(CheckRange(p, "Limit", "limit", 1, 10000));
  CENOTE_RETURN_IF_ERROR(
      CheckLength(p, "ExclusiveStartStreamName", "exclusiveStartStreamName", 1, 128, false));
  std::optional<std::string> start_after = GetString(p, "ExclusiveStartStreamName");
  if (auto token = GetString(p, "NextToken")) {
    CENOTE_ASSIGN_OR_RETURN(json::object t, ReadToken(env, *token));
    start_after = GetString(t, "after");
  }
  const std::size_t limit = static_cast<std::size_t>(GetInt(p, "Limit").value_or(100));
  const StreamKey first = Env::KeyOf(ctx, start_after.value_or(""));
  std::vector<std::shared_ptr<StreamState>> candidates;
  {
    MutexLock lock(env.mu);
    for (auto it = env.streams.upper_bound(first);
         it != env.streams.end() && it->first.account == first.account && it->first.region == first.region;
         ++it)
      candidates.push_back(it->second);
  }
  json::array names;
  json::array summaries;
  bool more = false;
  std::string last;
  for (const auto& stream : candidates) {
    StreamState& s = *stream;
    ReaderLock lock(s.mu);
    if (env.EffectiveStatus(s).empty()) continue;
    if (names.size() == limit) {
      more = true;
      break;
    }
    names.push_back(json::string(s.name));
    summaries.push_back(SummaryOf(env, s));
    last = s.name;
  }
  json::object r{
      {"StreamNames", std::move(names)}, {"HasMoreStreams", more}, {"StreamSummaries", std::move(summaries)}};
  if (more) r["NextToken"] = MakeToken(env, json::object{{"after", last}});
  return r;
}

Result<OperationOutput> IncreaseStreamRetentionPeriod(Env& env, const RequestContext& ctx,
                                                      OperationInput& input) {
  return ChangeRetention(env, ctx, input, true);
}

Result<OperationOutput> DecreaseStreamRetentionPeriod(Env& env, const RequestContext& ctx,
                                                      OperationInput& input) {
  return ChangeRetention(env, ctx, input, false);
}

Result<OperationOutput> AddTagsToStream(Env& env, const RequestContext& ctx, OperationInput& input) {
  const auto& p = input.params.as_object();
  const json::object* tags = services::GetObject(p, "Tags");
  if (tags == nullptr) return Validation("null", "tags", "not be null");
  if (tags->empty()) return Validation("'{}'", "tags", "have length greater than or equal to 1");
  if (tags->size() > 200) return Validation("'{...}'", "tags", "have length less than or equal to 200");
  for (const auto& [k, v] : *tags) {
    if (!v.is_string()) return InvalidArgument("Tag values must be strings.");
    CENOTE_RETURN_IF_ERROR(ValidateTag(std::string(k), std::string(v.as_string())));
  }
  CENOTE_ASSIGN_OR_RETURN(auto stream, env.FindStream(ctx, p));
  StreamState& s = *stream;
  WriterLock lock(s.mu);
  auto merged = s.tags;
  for (const auto& [k, v] : *tags) merged[std::string(k)] = std::string(v.as_string());
  if (merged.size() > kMaxTagsPerStream)
    return InvalidArgument("Failed to add tags to stream " + s.name + " under account " + s.account +
                           " because a given stream cannot have more than 50 tags.");
  s.tags = std::move(merged);
  CENOTE_RETURN_IF_ERROR(env.Save(s));
  return OperationOutput{};
}

Result<OperationOutput> RemoveTagsFromStream(Env& env, const RequestContext& ctx, OperationInput& input) {
  const auto& p = input.params.as_object();
  const json::array* keys = services::GetArray(p, "TagKeys");
  if (keys == nullptr) return Validation("null", "tagKeys", "not be null");
  if (keys->empty()) return Validation("'[]'", "tagKeys", "have length greater than or equal to 1");
  if (keys->size() > 50) return Validation("'[...]'", "tagKeys", "have length less than or equal to 50");
  CENOTE_ASSIGN_OR_RETURN(auto stream, env.FindStream(ctx, p));
  StreamState& s = *stream;
  WriterLock lock(s.mu);
  for (const auto& k : *keys)
    if (k.is_string()) s.tags.erase(std::string(k.as_string()));
  CENOTE_RETURN_IF_ERROR(env.Save(s));
  return OperationOutput{};
}

Result<OperationOutput> ListTagsForStream(Env& env, const RequestContext& ctx, OperationInput& input) {
  const auto& p = input.params.as_object();
  CENOTE_RETURN_IF_ERROR(CheckRange(p, "Limit", "limit", 1, 50));
  CENOTE_ASSIGN_OR_RETURN(auto stream, env.FindStream(ctx, p));
  StreamState& s = *stream;
  ReaderLock lock(s.mu);
  const std::size_t limit = static_cast<std::size_t>(GetInt(p, "Limit").value_or(50));
  auto start_after = GetString(p, "ExclusiveStartTagKey");
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
  return json::object{{"Tags", std::move(tags)}, {"HasMoreTags", more}};
}

// The account's limits and usage in the request's region.
Result<OperationOutput> DescribeLimits(Env& env, const RequestContext& ctx, OperationInput&) {
  return json::object{{"ShardLimit", env.options.shard_limit},
                      {"OpenShardCount", env.OpenShardCount(ctx.account_id(), ctx.region)},
                      {"OnDemandStreamCount", env.OnDemandStreamCount(ctx.account_id(), ctx.region)},
                      {"OnDemandStreamCountLimit", env.options.on_demand_stream_limit}};
}

Result<OperationOutput> EnableEnhancedMonitoring(Env& env, const RequestContext& ctx, OperationInput& input) {
  return SetEnhancedMonitoring(env, ctx, input, true);
}

Result<OperationOutput> DisableEnhancedMonitoring(Env& env, const RequestContext& ctx,
                                                  OperationInput& input) {
  return SetEnhancedMonitoring(env, ctx, input, false);
}

// Server-side encryption: records written from now on are sealed under data keys of the KMS key
// (encryption.cpp); those written before stay as they are, and every record reads back. The caller must be
// able to use the key (KMS is asked for a data key as the caller, so a missing, disabled or forbidden key is
// refused with KMS*Exception, as AWS does), and the stream's key and type survive restarts in its document.
Result<OperationOutput> StartStreamEncryption(Env& env, const RequestContext& ctx, OperationInput& input) {
  const auto& p = input.params.as_object();
  auto type = GetString(p, "EncryptionType");
  if (!type || (*type != "KMS" && *type != "NONE"))
    return Validation("'" + type.value_or("null") + "'", "encryptionType",
                      "satisfy enum value set: [NONE, KMS]");
  if (*type != "KMS") return InvalidArgument("EncryptionType must be KMS.");
  CENOTE_RETURN_IF_ERROR(CheckLength(p, "KeyId", "keyId", 1, 2048, true));
  CENOTE_ASSIGN_OR_RETURN(auto stream, env.FindStream(ctx, p));
  StreamState& s = *stream;
  const std::string key_id = *GetString(p, "KeyId");
  CENOTE_RETURN_IF_ERROR(Status::FromResult(SealerFor(env, ctx, s.arn, key_id)));
  WriterLock lock(s.mu);
  CENOTE_RETURN_IF_ERROR(env.RequireActive(s));
  s.encryption_type = "KMS";
  s.key_id = key_id;
  CENOTE_RETURN_IF_ERROR(env.Save(s));
  return OperationOutput{};
}

Result<OperationOutput> StopStreamEncryption(Env& env, const RequestContext& ctx, OperationInput& input) {
  const auto& p = input.params.as_object();
  CENOTE_RETURN_IF_ERROR(CheckLength(p, "KeyId", "keyId", 1, 2048, true));
  CENOTE_ASSIGN_OR_RETURN(auto stream, env.FindStream(ctx, p));
  StreamState& s = *stream;
  WriterLock lock(s.mu);
  CENOTE_RETURN_IF_ERROR(env.RequireActive(s));
  s.encryption_type = "NONE";
  s.key_id.clear();
  CENOTE_RETURN_IF_ERROR(env.Save(s));
  return OperationOutput{};
}

Result<OperationOutput> UpdateStreamMode(Env& env, const RequestContext& ctx, OperationInput& input) {
  const auto& p = input.params.as_object();
  if (!GetString(p, "StreamARN")) return Validation("null", "streamARN", "not be null");
  const json::object* details = services::GetObject(p, "StreamModeDetails");
  std::string mode = details ? GetString(*details, "StreamMode").value_or("") : "";
  if (mode != "PROVISIONED" && mode != "ON_DEMAND")
    return Validation("'" + mode + "'", "streamModeDetails.streamMode",
                      "satisfy enum value set: [PROVISIONED, ON_DEMAND]");
  CENOTE_ASSIGN_OR_RETURN(auto stream, env.FindStream(ctx, p));
  StreamState& s = *stream;
  WriterLock lock(s.mu);
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
Result<std::shared_ptr<StreamState>> PolicyStream(Env& env, const RequestContext& ctx,
                                                  const json::object& p) {
  auto arn = GetString(p, "ResourceARN");
  if (!arn) return Validation("null", "resourceARN", "not be null");
  return env.FindStream(ctx, json::object{{"StreamARN", *arn}});
}
}  // namespace

Result<OperationOutput> PutResourcePolicy(Env& env, const RequestContext& ctx, OperationInput& input) {
  const auto& p = input.params.as_object();
  auto policy = GetString(p, "Policy");
  if (!policy) return Validation("null", "policy", "not be null");
  boost::system::error_code ec;
  auto parsed = json::parse(*policy, ec);
  if (ec || !parsed.is_object()) return InvalidArgument("Policy is not valid JSON.");
  CENOTE_ASSIGN_OR_RETURN(auto stream, PolicyStream(env, ctx, p));
  StreamState& s = *stream;
  WriterLock lock(s.mu);
  s.policy = *policy;
  CENOTE_RETURN_IF_ERROR(env.Save(s));
  return OperationOutput{};
}

Result<OperationOutput> GetResourcePolicy(Env& env, const RequestContext& ctx, OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto stream, PolicyStream(env, ctx, input.params.as_object()));
  StreamState& s = *stream;
  ReaderLock lock(s.mu);
  return json::object{{"Policy", s.policy.value_or("{}")}};
}

Result<OperationOutput> DeleteResourcePolicy(Env& env, const RequestContext& ctx, OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto stream, PolicyStream(env, ctx, input.params.as_object()));
  StreamState& s = *stream;
  WriterLock lock(s.mu);
  if (!s.policy) return services::MakeError(errors::kPolicyNotFound, {s.arn});
  s.policy.reset();
  CENOTE_RETURN_IF_ERROR(env.Save(s));
  return OperationOutput{};
}

}  // namespace cenote::kinesis
