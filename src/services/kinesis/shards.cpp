// Shard operations: ListShards and resharding (SplitShard, MergeShards, UpdateShardCount).
//
// Resharding runs with the stream's lock held exclusively, so no PutRecords is appending while a parent is
// closed: parent closed at its log's current end (EndingSequenceNumber) -> children's logs created with
// sequences above the parent's -> one metadata write -> status UPDATING (ACTIVE after transition_ms).
// Records written before the call are in the parent, records after it in a child: each exactly once.
#include <algorithm>

#include "services/kinesis/internal.hpp"

namespace cenote::kinesis {

namespace {

std::string AccountSuffix(const StreamState& s) { return " under account " + s.account; }

// Lifetime check for ListShards' ShardFilter: was `shard` open at `ts`?
bool OpenAt(const ShardState& shard, std::int64_t ts, std::int64_t stream_created_ms) {
  std::int64_t created = shard.parent.empty() ? stream_created_ms : shard.created_ms;
  return created <= ts && (shard.open() || *shard.closed_ms > ts);
}

// The highest log sequence a child must start above.
Result<std::uint64_t> NextAfter(Env& env, const StreamState& s, const ShardState& parent) {
  CENOTE_ASSIGN_OR_RETURN(auto bounds, env.log.Bounds(s.LogName(parent)));
  return std::max(bounds.next_sequence, parent.starting_sequence + 1);
}

// Splits `parent_id` at `new_start` (the caller checked the state).
Status DoSplit(Env& env, StreamState& s, std::string parent_id, U128 new_start)
    EXCLUSIVE_LOCKS_REQUIRED(s.mu) {
  ShardState* parent = s.FindShard(parent_id);
  CENOTE_ASSIGN_OR_RETURN(std::uint64_t floor, NextAfter(env, s, *parent));
  U128 start = parent->start_hash;
  U128 end = parent->end_hash;
  CENOTE_ASSIGN_OR_RETURN(ShardState a, env.NewShard(s, start, new_start - 1, floor, parent_id, ""));
  CENOTE_ASSIGN_OR_RETURN(ShardState b, env.NewShard(s, new_start, end, floor, parent_id, ""));
  parent = s.FindShard(parent_id);
  CENOTE_RETURN_IF_ERROR(env.CloseShard(s, *parent));
  s.shards.push_back(std::move(a));
  s.shards.push_back(std::move(b));
  return Status::Ok();
}

Status DoMerge(Env& env, StreamState& s, std::string first_id, std::string adjacent_id)
    EXCLUSIVE_LOCKS_REQUIRED(s.mu) {
  ShardState* first = s.FindShard(first_id);
  ShardState* adjacent = s.FindShard(adjacent_id);
  CENOTE_ASSIGN_OR_RETURN(std::uint64_t f1, NextAfter(env, s, *first));
  CENOTE_ASSIGN_OR_RETURN(std::uint64_t f2, NextAfter(env, s, *adjacent));
  U128 start = std::min(first->start_hash, adjacent->start_hash);
  U128 end = std::max(first->end_hash, adjacent->end_hash);
  CENOTE_ASSIGN_OR_RETURN(ShardState child,
                          env.NewShard(s, start, end, std::max(f1, f2), first_id, adjacent_id));
  CENOTE_RETURN_IF_ERROR(env.CloseShard(s, *s.FindShard(first_id)));
  CENOTE_RETURN_IF_ERROR(env.CloseShard(s, *s.FindShard(adjacent_id)));
  s.shards.push_back(std::move(child));
  return Status::Ok();
}

Result<ShardState*> OpenShardOrError(StreamState& s, const std::string& id) SHARED_LOCKS_REQUIRED(s.mu) {
  ShardState* shard = s.FindShard(id);
  if (!shard) return ShardNotFound(s, id);
  if (!shard->open())
    return InvalidArgument(
        "Shard " + id + " in stream " + s.name + AccountSuffix(s) +
        " has already been merged or split, and thus is not eligible for merging or splitting.");
  return shard;
}

}  // namespace

Result<OperationOutput> ListShards(Env& env, const RequestContext& ctx, OperationInput& input) {
  const auto& p = input.params.as_object();
  CENOTE_RETURN_IF_ERROR(CheckRange(p, "MaxResults", "maxResults", 1, 10000));
  auto token = GetString(p, "NextToken");
  std::optional<std::string> start_after = GetString(p, "ExclusiveStartShardId");
  json::object filter;
  if (const json::object* f = services::GetObject(p, "ShardFilter")) filter = *f;
  std::shared_ptr<StreamState> stream;
  if (token) {
    if (GetString(p, "StreamName") || GetString(p, "StreamARN"))
      return InvalidArgument("NextToken and StreamName cannot be provided together.");
    if (start_after)
      return InvalidArgument("NextToken and ExclusiveStartShardId cannot be provided together.");
    CENOTE_ASSIGN_OR_RETURN(json::object t, ReadToken(env, *token));
    // The token names its stream's namespace (tokens issued before streams were regional: the default one);
    // another region's token names no stream here.
    StreamKey key{GetString(t, "account").value_or(env.options.default_account),
                  GetString(t, "region").value_or(env.options.default_region),
                  GetString(t, "stream").value_or("")};
    if (key.region != ctx.region) return services::MakeError(errors::kInvalidNextToken);
    start_after = GetString(t, "after");
    if (const json::object* f = services::GetObject(t, "filter")) filter = *f;
    CENOTE_ASSIGN_OR_RETURN(stream, env.FindStream(key));
  } else {
    CENOTE_ASSIGN_OR_RETURN(stream, env.FindStream(ctx, p));
  }
  StreamState& s = *stream;
  ReaderLock lock(s.mu);
  if (auto created = GetInt(p, "StreamCreationTimestamp"); created && *created != s.created_ms)
    return StreamNotFound(s.key());

  const std::int64_t now = env.Now();
  const std::int64_t retention_ms = static_cast<std::int64_t>(s.retention_hours) * 3600 * 1000;
  const std::int64_t horizon = now - retention_ms;
  std::string type = GetString(filter, "Type").value_or("");
  if (!filter.empty()) {
    static const std::vector<std::string> kTypes = {"AFTER_SHARD_ID", "AT_TRIM_HORIZON", "FROM_TRIM_HORIZON",
                                                    "AT_LATEST",      "AT_TIMESTAMP",    "FROM_TIMESTAMP"};
    if (std::find(kTypes.begin(), kTypes.end(), type) == kTypes.end())
      return Validation(
          "'" + type + "'", "shardFilter.type",
          "satisfy enum value set: [AFTER_SHARD_ID, AT_TRIM_HORIZON, FROM_TRIM_HORIZON, AT_LATEST, "
          "AT_TIMESTAMP, FROM_TIMESTAMP]");
    if (type == "AFTER_SHARD_ID" && !GetString(filter, "ShardId"))
      return InvalidArgument("ShardId must be provided for the AFTER_SHARD_ID ShardFilter type.");
    if ((type == "AT_TIMESTAMP" || type == "FROM_TIMESTAMP") && !GetInt(filter, "Timestamp"))
      return InvalidArgument("Timestamp must be provided for the " + type + " ShardFilter type.");
  }
  const std::size_t max = static_cast<std::size_t>(GetInt(p, "MaxResults").value_or(1000));
  json::array shards;
  std::string last;
  bool more = false;
  for (const auto& sh : s.shards) {
    if (!sh.open() && *sh.closed_ms < horizon) continue;  // expired
    if (start_after && sh.shard_id <= *start_after) continue;
    bool keep = true;
    if (type == "AFTER_SHARD_ID") {
      keep = sh.shard_id > *GetString(filter, "ShardId");
    } else if (type == "AT_LATEST") {
      keep = sh.open();
    } else if (type == "AT_TRIM_HORIZON") {
      keep = OpenAt(sh, std::max(horizon, s.created_ms), s.created_ms);
    } else if (type == "FROM_TRIM_HORIZON") {
      keep = true;
    } else if (type == "AT_TIMESTAMP") {
      keep = OpenAt(sh, std::max(*GetInt(filter, "Timestamp"), s.created_ms), s.created_ms);
    } else if (type == "FROM_TIMESTAMP") {
      keep = sh.open() || *sh.closed_ms > std::max(*GetInt(filter, "Timestamp"), s.created_ms);
    }
    if (!keep) continue;
    if (shards.size() == max) {
      more = true;
      break;
    }
    shards.push_back(ShardDocument(sh));
    last = sh.shard_id;
  }
  json::object r{{"Shards", std::move(shards)}};
  if (more) {
    json::object t{{"account", s.account}, {"region", s.region}, {"stream", s.name}, {"after", last}};
    if (!filter.empty()) t["filter"] = filter;
    r["NextToken"] = MakeToken(env, std::move(t));
  }
  return r;
}

Result<OperationOutput> SplitShard(Env& env, const RequestContext& ctx, OperationInput& input) {
  const auto& p = input.params.as_object();
  CENOTE_RETURN_IF_ERROR(CheckLength(p, "ShardToSplit", "shardToSplit", 1, 128, true));
  CENOTE_RETURN_IF_ERROR(CheckLength(p, "NewStartingHashKey", "newStartingHashKey", 1, 128, true));
  std::string shard_id = *GetString(p, "ShardToSplit");
  std::string key_text = *GetString(p, "NewStartingHashKey");
  auto key = ParseU128(key_text);
  if (!key)
    return Validation("'" + key_text + "'", "newStartingHashKey",
                      "satisfy regular expression pattern: 0|([1-9]\\d{0,38})");
  CENOTE_ASSIGN_OR_RETURN(auto stream, env.FindStream(ctx, p));
  StreamState& s = *stream;
  WriterLock lock(s.mu);
  CENOTE_RETURN_IF_ERROR(env.RequireActive(s));
  CENOTE_ASSIGN_OR_RETURN(ShardState * shard, OpenShardOrError(s, shard_id));
  if (*key <= shard->start_hash || *key > shard->end_hash)
    return InvalidArgument("NewStartingHashKey " + key_text + " used in SplitShard() on shard " + shard_id +
                           " in stream " + s.name + AccountSuffix(s) +
                           " is not both greater than one plus the shard's StartingHashKey " +
                           U128ToString(shard->start_hash) + " and less than the shard's EndingHashKey " +
                           U128ToString(shard->end_hash) + ".");
  CENOTE_RETURN_IF_ERROR(env.CheckShardLimit(s.account, s.region, 1));
  CENOTE_RETURN_IF_ERROR(DoSplit(env, s, shard_id, *key));
  s.status = "UPDATING";
  s.status_ms = env.Now();
  CENOTE_RETURN_IF_ERROR(env.Save(s));
  return OperationOutput{};
}

Result<OperationOutput> MergeShards(Env& env, const RequestContext& ctx, OperationInput& input) {
  const auto& p = input.params.as_object();
  CENOTE_RETURN_IF_ERROR(CheckLength(p, "ShardToMerge", "shardToMerge", 1, 128, true));
  CENOTE_RETURN_IF_ERROR(CheckLength(p, "AdjacentShardToMerge", "adjacentShardToMerge", 1, 128, true));
  std::string a_id = *GetString(p, "ShardToMerge");
  std::string b_id = *GetString(p, "AdjacentShardToMerge");
  CENOTE_ASSIGN_OR_RETURN(auto stream, env.FindStream(ctx, p));
  StreamState& s = *stream;
  WriterLock lock(s.mu);
  CENOTE_RETURN_IF_ERROR(env.RequireActive(s));
  CENOTE_ASSIGN_OR_RETURN(ShardState * a, OpenShardOrError(s, a_id));
  CENOTE_ASSIGN_OR_RETURN(ShardState * b, OpenShardOrError(s, b_id));
  bool adjacent = (a->end_hash != kMaxHashKey && a->end_hash + 1 == b->start_hash) ||
                  (b->end_hash != kMaxHashKey && b->end_hash + 1 == a->start_hash);
  if (a_id == b_id || !adjacent)
    return InvalidArgument("Shards " + a_id + " and " + b_id + " in stream " + s.name + AccountSuffix(s) +
                           " are not an adjacent pair of shards eligible for merging");
  CENOTE_RETURN_IF_ERROR(DoMerge(env, s, a_id, b_id));
  s.status = "UPDATING";
  s.status_ms = env.Now();
  CENOTE_RETURN_IF_ERROR(env.Save(s));
  return OperationOutput{};
}

// UNIFORM_SCALING between half and double the open shard count (AWS's per-call bounds): growing splits the
// widest shards in half, shrinking merges the narrowest adjacent pairs, so lineage stays a chain of
// ordinary splits and merges that consumers (KCL) already understand.
Result<OperationOutput> UpdateShardCount(Env& env, const RequestContext& ctx, OperationInput& input) {
  const auto& p = input.params.as_object();
  auto target = GetInt(p, "TargetShardCount");
  if (!target) return Validation("null", "targetShardCount", "not be null");
  CENOTE_RETURN_IF_ERROR(CheckRange(p, "TargetShardCount", "targetShardCount", 1, 100000));
  auto scaling = GetString(p, "ScalingType");
  if (!scaling || *scaling != "UNIFORM_SCALING")
    return Validation("'" + scaling.value_or("null") + "'", "scalingType",
                      "satisfy enum value set: [UNIFORM_SCALING]");
  CENOTE_ASSIGN_OR_RETURN(auto stream, env.FindStream(ctx, p));
  StreamState& s = *stream;
  WriterLock lock(s.mu);
  CENOTE_RETURN_IF_ERROR(env.RequireActive(s));
  if (s.mode == "ON_DEMAND")
    return InvalidArgument("UpdateShardCount is not supported for stream " + s.name + AccountSuffix(s) +
                           " in ON_DEMAND capacity mode.");
  const int current = static_cast<int>(s.OpenShards().size());
  const int want = static_cast<int>(*target);
  if (want > 2 * current)
    return services::MakeError(
        errors::kLimitExceeded,
        {"UpdateShardCount cannot scale up over double your current open shard count. Current "
         "open shard count: " +
         std::to_string(current) + " Target shard count: " + std::to_string(want)});
  if (2 * want < current)
    return services::MakeError(
        errors::kLimitExceeded,
        {"UpdateShardCount cannot scale down below half your current open shard count. Current "
         "open shard count: " +
         std::to_string(current) + " Target shard count: " + std::to_string(want)});
  if (want > current) CENOTE_RETURN_IF_ERROR(env.CheckShardLimit(s.account, s.region, want - current));
  for (int n = current; n < want; ++n) {
    auto open = s.OpenShards();
    const ShardState* widest = *std::max_element(open.begin(), open.end(), [](auto* x, auto* y) {
      return x->end_hash - x->start_hash < y->end_hash - y->start_hash;
    });
    U128 mid = widest->start_hash + (widest->end_hash - widest->start_hash) / 2 + 1;
    CENOTE_RETURN_IF_ERROR(DoSplit(env, s, widest->shard_id, mid));
  }
  for (int n = current; n > want; --n) {
    auto open = s.OpenShards();
    std::size_t best = 0;
    U128 best_width = kMaxHashKey;
    for (std::size_t i = 0; i + 1 < open.size(); ++i) {
      U128 width = open[i + 1]->end_hash - open[i]->start_hash;
      if (width < best_width) {
        best_width = width;
        best = i;
      }
    }
    CENOTE_RETURN_IF_ERROR(DoMerge(env, s, open[best]->shard_id, open[best + 1]->shard_id));
  }
  if (want != current) {
    s.status = "UPDATING";
    s.status_ms = env.Now();
  }
  CENOTE_RETURN_IF_ERROR(env.Save(s));
  return json::object{{"StreamName", s.name},
                      {"CurrentShardCount", current},
                      {"TargetShardCount", want},
                      {"StreamARN", s.arn}};
}

}  // namespace cenote::kinesis
