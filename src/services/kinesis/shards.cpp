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

std::string AccountSuffix(const Env& env) { return " under account " + env.Account(); }

// Lifetime check for ListShards' ShardFilter: was `shard` open at `ts`?
bool OpenAt(const ShardState& shard, std::int64_t ts, std::int64_t stream_created_ms) {
  std::int64_t created = shard.parent.empty() ? stream_created_ms : shard.created_ms;
  return created <= ts && (shard.open() || *shard.closed_ms > ts);
}

Status CheckShardLimit(Env& env, int additional) {
  int open = env.OpenShardCount();
  if (open + additional > env.options.shard_limit)
    return MakeKinesisError(errors::kLimitExceeded,
                            {"This request would exceed the shard limit for the account " + env.Account() +
                             " in " + env.options.region + ". Current shard count for the account: " +
                             std::to_string(open) + ". Limit: " + std::to_string(env.options.shard_limit) +
                             ". Number of additional shards that would have resulted from this request: " +
                             std::to_string(additional) + "."});
  return Status::Ok();
}

// The highest log sequence a child must start above.
Result<std::uint64_t> NextAfter(Env& env, const StreamState& s, const ShardState& parent) {
  auto b = env.log.Bounds(s.LogName(parent));
  if (!b) return std::move(b).error();
  return std::max(b->next_sequence, parent.starting_sequence + 1);
}

// Splits `parent_id` at `new_start` (caller holds the lock exclusively and checked the state).
Status DoSplit(Env& env, StreamState& s, std::string parent_id, U128 new_start) {
  ShardState* parent = s.FindShard(parent_id);
  auto floor = NextAfter(env, s, *parent);
  if (!floor) return std::move(floor).error();
  U128 start = parent->start_hash;
  U128 end = parent->end_hash;
  auto a = env.NewShard(s, start, new_start - 1, *floor, parent_id, "");
  if (!a) return std::move(a).error();
  auto b = env.NewShard(s, new_start, end, *floor, parent_id, "");
  if (!b) return std::move(b).error();
  parent = s.FindShard(parent_id);
  CENOTE_RETURN_IF_ERROR(env.CloseShard(s, *parent));
  s.shards.push_back(std::move(a).value());
  s.shards.push_back(std::move(b).value());
  return Status::Ok();
}

Status DoMerge(Env& env, StreamState& s, std::string first_id, std::string adjacent_id) {
  ShardState* first = s.FindShard(first_id);
  ShardState* adjacent = s.FindShard(adjacent_id);
  auto f1 = NextAfter(env, s, *first);
  if (!f1) return std::move(f1).error();
  auto f2 = NextAfter(env, s, *adjacent);
  if (!f2) return std::move(f2).error();
  U128 start = std::min(first->start_hash, adjacent->start_hash);
  U128 end = std::max(first->end_hash, adjacent->end_hash);
  auto child = env.NewShard(s, start, end, std::max(*f1, *f2), first_id, adjacent_id);
  if (!child) return std::move(child).error();
  CENOTE_RETURN_IF_ERROR(env.CloseShard(s, *s.FindShard(first_id)));
  CENOTE_RETURN_IF_ERROR(env.CloseShard(s, *s.FindShard(adjacent_id)));
  s.shards.push_back(std::move(child).value());
  return Status::Ok();
}

Result<ShardState*> OpenShardOrError(Env& env, StreamState& s, const std::string& id) {
  ShardState* shard = s.FindShard(id);
  if (!shard) return ShardNotFound(env, s.name, id);
  if (!shard->open())
    return MakeKinesisError(
        errors::kInvalidArgument,
        {"Shard " + id + " in stream " + s.name + AccountSuffix(env) +
         " has already been merged or split, and thus is not eligible for merging or splitting."});
  return shard;
}

}  // namespace

Result<OperationOutput> ListShards(Env& env, const RequestContext&, OperationInput& input) {
  const auto& p = input.params.as_object();
  CENOTE_RETURN_IF_ERROR(CheckRange(p, "MaxResults", "maxResults", 1, 10000));
  auto token = Str(p, "NextToken");
  json::object params = p;
  std::optional<std::string> start_after = Str(p, "ExclusiveStartShardId");
  json::object filter;
  if (auto it = p.find("ShardFilter"); it != p.end() && it->value().is_object())
    filter = it->value().as_object();
  if (token) {
    if (Str(p, "StreamName") || Str(p, "StreamARN"))
      return InvalidArgument("NextToken and StreamName cannot be provided together.");
    if (start_after)
      return InvalidArgument("NextToken and ExclusiveStartShardId cannot be provided together.");
    auto t = ReadToken(env, *token);
    if (!t) return std::move(t).error();
    params["StreamName"] = Str(*t, "stream").value_or("");
    start_after = Str(*t, "after");
    if (auto f = t->find("filter"); f != t->end() && f->value().is_object()) filter = f->value().as_object();
  }
  auto found = env.FindStream(params);
  if (!found) return std::move(found).error();
  StreamState& s = **found;
  std::shared_lock<std::shared_mutex> lk(s.mu);
  if (auto created = Int(p, "StreamCreationTimestamp"); created && *created != s.created_ms)
    return StreamNotFound(env, s.name);

  const std::int64_t now = env.Now();
  const std::int64_t retention_ms = static_cast<std::int64_t>(s.retention_hours) * 3600 * 1000;
  const std::int64_t horizon = now - retention_ms;
  std::string type = Str(filter, "Type").value_or("");
  if (!filter.empty()) {
    static const std::vector<std::string> kTypes = {"AFTER_SHARD_ID", "AT_TRIM_HORIZON", "FROM_TRIM_HORIZON",
                                                    "AT_LATEST",      "AT_TIMESTAMP",    "FROM_TIMESTAMP"};
    if (std::find(kTypes.begin(), kTypes.end(), type) == kTypes.end())
      return Validation(
          "'" + type + "'", "shardFilter.type",
          "satisfy enum value set: [AFTER_SHARD_ID, AT_TRIM_HORIZON, FROM_TRIM_HORIZON, AT_LATEST, "
          "AT_TIMESTAMP, FROM_TIMESTAMP]");
    if (type == "AFTER_SHARD_ID" && !Str(filter, "ShardId"))
      return InvalidArgument("ShardId must be provided for the AFTER_SHARD_ID ShardFilter type.");
    if ((type == "AT_TIMESTAMP" || type == "FROM_TIMESTAMP") && !Int(filter, "Timestamp"))
      return InvalidArgument("Timestamp must be provided for the " + type + " ShardFilter type.");
  }
  const std::size_t max = static_cast<std::size_t>(Int(p, "MaxResults").value_or(1000));
  json::array shards;
  std::string last;
  bool more = false;
  for (const auto& sh : s.shards) {
    if (!sh.open() && *sh.closed_ms < horizon) continue;  // expired
    if (start_after && sh.shard_id <= *start_after) continue;
    bool keep = true;
    if (type == "AFTER_SHARD_ID") {
      keep = sh.shard_id > *Str(filter, "ShardId");
    } else if (type == "AT_LATEST") {
      keep = sh.open();
    } else if (type == "AT_TRIM_HORIZON") {
      keep = OpenAt(sh, std::max(horizon, s.created_ms), s.created_ms);
    } else if (type == "FROM_TRIM_HORIZON") {
      keep = true;
    } else if (type == "AT_TIMESTAMP") {
      keep = OpenAt(sh, std::max(*Int(filter, "Timestamp"), s.created_ms), s.created_ms);
    } else if (type == "FROM_TIMESTAMP") {
      keep = sh.open() || *sh.closed_ms > std::max(*Int(filter, "Timestamp"), s.created_ms);
    }
    if (!keep) continue;
    if (shards.size() == max) {
      more = true;
      break;
    }
    shards.push_back(ShardDocument(sh));
    last = sh.shard_id;
  }
  OperationOutput out;
  json::object r{{"Shards", std::move(shards)}};
  if (more) {
    json::object t{{"stream", s.name}, {"after", last}};
    if (!filter.empty()) t["filter"] = filter;
    r["NextToken"] = MakeToken(env, std::move(t));
  }
  out.result = std::move(r);
  return out;
}

Result<OperationOutput> SplitShard(Env& env, const RequestContext&, OperationInput& input) {
  const auto& p = input.params.as_object();
  CENOTE_RETURN_IF_ERROR(CheckLength(p, "ShardToSplit", "shardToSplit", 1, 128, true));
  CENOTE_RETURN_IF_ERROR(CheckLength(p, "NewStartingHashKey", "newStartingHashKey", 1, 128, true));
  std::string shard_id = *Str(p, "ShardToSplit");
  std::string key_text = *Str(p, "NewStartingHashKey");
  auto key = ParseU128(key_text);
  if (!key)
    return Validation("'" + key_text + "'", "newStartingHashKey",
                      "satisfy regular expression pattern: 0|([1-9]\\d{0,38})");
  auto found = env.FindStream(p);
  if (!found) return std::move(found).error();
  StreamState& s = **found;
  std::unique_lock<std::shared_mutex> lk(s.mu);
  CENOTE_RETURN_IF_ERROR(env.RequireActive(s));
  auto shard = OpenShardOrError(env, s, shard_id);
  if (!shard) return std::move(shard).error();
  if (*key <= (*shard)->start_hash || *key > (*shard)->end_hash)
    return InvalidArgument("NewStartingHashKey " + key_text + " used in SplitShard() on shard " + shard_id +
                           " in stream " + s.name + AccountSuffix(env) +
                           " is not both greater than one plus the shard's StartingHashKey " +
                           U128ToString((*shard)->start_hash) + " and less than the shard's EndingHashKey " +
                           U128ToString((*shard)->end_hash) + ".");
  CENOTE_RETURN_IF_ERROR(CheckShardLimit(env, 1));
  CENOTE_RETURN_IF_ERROR(DoSplit(env, s, shard_id, *key));
  s.status = "UPDATING";
  s.status_ms = env.Now();
  CENOTE_RETURN_IF_ERROR(env.Save(s));
  return OperationOutput{};
}

Result<OperationOutput> MergeShards(Env& env, const RequestContext&, OperationInput& input) {
  const auto& p = input.params.as_object();
  CENOTE_RETURN_IF_ERROR(CheckLength(p, "ShardToMerge", "shardToMerge", 1, 128, true));
  CENOTE_RETURN_IF_ERROR(CheckLength(p, "AdjacentShardToMerge", "adjacentShardToMerge", 1, 128, true));
  std::string a_id = *Str(p, "ShardToMerge");
  std::string b_id = *Str(p, "AdjacentShardToMerge");
  auto found = env.FindStream(p);
  if (!found) return std::move(found).error();
  StreamState& s = **found;
  std::unique_lock<std::shared_mutex> lk(s.mu);
  CENOTE_RETURN_IF_ERROR(env.RequireActive(s));
  auto a = OpenShardOrError(env, s, a_id);
  if (!a) return std::move(a).error();
  auto b = OpenShardOrError(env, s, b_id);
  if (!b) return std::move(b).error();
  bool adjacent = ((*a)->end_hash != kMaxHashKey && (*a)->end_hash + 1 == (*b)->start_hash) ||
                  ((*b)->end_hash != kMaxHashKey && (*b)->end_hash + 1 == (*a)->start_hash);
  if (a_id == b_id || !adjacent)
    return InvalidArgument("Shards " + a_id + " and " + b_id + " in stream " + s.name + AccountSuffix(env) +
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
Result<OperationOutput> UpdateShardCount(Env& env, const RequestContext&, OperationInput& input) {
  const auto& p = input.params.as_object();
  auto target = Int(p, "TargetShardCount");
  if (!target) return Validation("null", "targetShardCount", "not be null");
  CENOTE_RETURN_IF_ERROR(CheckRange(p, "TargetShardCount", "targetShardCount", 1, 100000));
  auto scaling = Str(p, "ScalingType");
  if (!scaling || *scaling != "UNIFORM_SCALING")
    return Validation("'" + scaling.value_or("null") + "'", "scalingType",
                      "satisfy enum value set: [UNIFORM_SCALING]");
  auto found = env.FindStream(p);
  if (!found) return std::move(found).error();
  StreamState& s = **found;
  std::unique_lock<std::shared_mutex> lk(s.mu);
  CENOTE_RETURN_IF_ERROR(env.RequireActive(s));
  if (s.mode == "ON_DEMAND")
    return InvalidArgument("UpdateShardCount is not supported for stream " + s.name + AccountSuffix(env) +
                           " in ON_DEMAND capacity mode.");
  const int current = static_cast<int>(s.OpenShards().size());
  const int want = static_cast<int>(*target);
  if (want > 2 * current)
    return MakeKinesisError(
        errors::kLimitExceeded,
        {"UpdateShardCount cannot scale up over double your current open shard count. Current "
         "open shard count: " +
         std::to_string(current) + " Target shard count: " + std::to_string(want)});
  if (2 * want < current)
    return MakeKinesisError(
        errors::kLimitExceeded,
        {"UpdateShardCount cannot scale down below half your current open shard count. Current "
         "open shard count: " +
         std::to_string(current) + " Target shard count: " + std::to_string(want)});
  if (want > current) CENOTE_RETURN_IF_ERROR(CheckShardLimit(env, want - current));
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
  OperationOutput out;
  out.result = json::object{{"StreamName", s.name},
                            {"CurrentShardCount", current},
                            {"TargetShardCount", want},
                            {"StreamARN", s.arn}};
  return out;
}

}  // namespace cenote::kinesis
