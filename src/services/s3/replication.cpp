#include "services/s3/replication.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include "common/clock.hpp"
#include "common/random.hpp"
#include "iam/directory.hpp"
#include "services/s3/env.hpp"
#include "services/s3/internal.hpp"

namespace cenote::s3 {

namespace json = boost::json;

namespace {

constexpr std::string_view kS3Principal = "s3.amazonaws.com";
constexpr std::string_view kBucketArnPrefix = "arn:aws:s3:::";
constexpr std::string_view kSessionName = "s3-replication";

const json::object& P(OperationInput& in) { return in.params.as_object(); }

// A rule's filter: the V1 rule-level Prefix, or Filter's Prefix, Tag or And {Prefix, Tags}.
struct RuleFilter {
  std::string prefix;
  std::vector<std::pair<std::string, std::string>> tags;
};

RuleFilter FilterOf(const json::object& rule) {
  RuleFilter f;
  f.prefix = GetString(rule, "Prefix").value_or("");
  const json::object* filter = services::GetObject(rule, "Filter");
  if (filter == nullptr) return f;
  const json::object* scope = services::GetObject(*filter, "And");
  if (scope == nullptr) scope = filter;
  f.prefix = GetString(*scope, "Prefix").value_or("");
  auto tag = [&](const json::value& t) {
    if (!t.is_object()) return;
    f.tags.emplace_back(GetString(t.as_object(), "Key").value_or(""),
                        GetString(t.as_object(), "Value").value_or(""));
  };
  if (const auto* t = services::GetObject(*filter, "Tag")) tag(*t);
  if (const json::array* tags = GetArray(*scope, "Tags")) {
    for (const auto& t : *tags) tag(t);
  }
  return f;
}

bool Matches(const RuleFilter& f, const VersionRow& v) {
  if (!v.key.starts_with(f.prefix)) return false;
  for (const auto& [key, value] : f.tags) {
    bool found = false;
    for (const auto& t : v.tags) {
      if (!t.is_object()) continue;
      found = found || (GetString(t.as_object(), "Key").value_or("") == key &&
                        GetString(t.as_object(), "Value").value_or("") == value);
    }
    if (!found) return false;
  }
  return true;
}

// The destination bucket's name from its ARN ("" when it is not an S3 bucket ARN).
std::string DestinationBucket(const json::object& rule) {
  const json::object* dest = services::GetObject(rule, "Destination");
  const std::string arn = dest ? GetString(*dest, "Bucket").value_or("") : "";
  if (!arn.starts_with(kBucketArnPrefix)) return "";
  std::string name = arn.substr(kBucketArnPrefix.size());
  if (name.empty() || name.find('/') != std::string::npos) return "";
  return name;
}

bool Enabled(const json::object* o) { return o && GetString(*o, "Status").value_or("") == "Enabled"; }

}  // namespace

struct Replication::Entry {
  std::int64_t id = 0;
  std::string bucket;
  std::string key;
  std::string version_id;
  std::string rule_id;
  std::string destination;
  std::string storage_class;
  std::string role;
  bool delete_marker = false;
  std::int64_t created_ms = 0;
  std::int64_t attempts = 0;
};

Result<json::object> ValidateReplication(store::Transaction& txn, const BucketRow& bucket,
                                         const json::object& config) {
  if (bucket.versioning != "Enabled") return MakeError(errors::kReplicationNeedsVersioning);
  if (GetString(config, "Role").value_or("").empty()) return MakeError(errors::kMalformedXML);
  const json::array* rules = GetArray(config, "Rules");
  if (rules == nullptr || rules->empty() || rules->size() > 1000) return MakeError(errors::kMalformedXML);
  std::set<std::string> ids;
  json::array stored;
  for (const auto& r : *rules) {
    if (!r.is_object()) return MakeError(errors::kMalformedXML);
    json::object rule = r.as_object();
    const std::string status = GetString(rule, "Status").value_or("");
    if (status != "Enabled" && status != "Disabled") return MakeError(errors::kMalformedXML);
    std::string id = GetString(rule, "ID").value_or("");
    if (id.size() > 255) return MakeError(errors::kMalformedXML);
    // S3 names a rule that has no ID.
    if (id.empty()) id = RandomHex(24);
    if (!ids.insert(id).second) return MakeError(errors::kReplicationDuplicateId);
    rule["ID"] = id;
    const json::object* filter = services::GetObject(rule, "Filter");
    if (filter != nullptr && rule.contains("Prefix")) return MakeError(errors::kMalformedXML);
    if (filter != nullptr) {
      // The current schema (V2): a filter needs a priority and says whether delete markers replicate.
      if (!rule.contains("Priority")) return MakeError(errors::kReplicationPriorityMissing);
      const json::object* markers = services::GetObject(rule, "DeleteMarkerReplication");
      if (markers == nullptr) return MakeError(errors::kReplicationDeleteMarkerMissing);
      if (Enabled(markers) && !FilterOf(rule).tags.empty())
        return MakeError(errors::kReplicationDeleteMarkerWithTags);
    }
    const std::string destination = DestinationBucket(rule);
    if (destination.empty()) return MakeError(errors::kReplicationInvalidDestination);
    CENOTE_ASSIGN_OR_RETURN(auto dest, LoadBucket(txn, destination));
    if (!dest) return MakeError(errors::kReplicationDestinationMissing);
    if (dest->versioning != "Enabled") return MakeError(errors::kReplicationDestinationUnversioned);
    const json::object* d = services::GetObject(rule, "Destination");
    if (auto sc = GetString(*d, "StorageClass"); sc && !ValidStorageClass(*sc))
      return MakeError(errors::kInvalidStorageClass);
    stored.push_back(std::move(rule));
  }
  json::object out = config;
  out["Rules"] = std::move(stored);
  return out;
}

Replication::~Replication() { task_.reset(); }

Result<std::vector<Replication::Target>> Replication::Match(store::Transaction& txn, const BucketRow& bucket,
                                                            const VersionRow& row) {
  std::vector<Target> out;
  if (!configured_.load(std::memory_order_relaxed) || bucket.versioning != "Enabled") return out;
  if (GetString(row.attrs, "ReplicationStatus").value_or("") == "REPLICA") return out;
  CENOTE_ASSIGN_OR_RETURN(auto cfg, LoadBucketConfig(txn, bucket.name, "replication", ""));
  const json::array* rules = cfg ? GetArray(*cfg, "Rules") : nullptr;
  if (rules == nullptr) return out;
  const std::string role = GetString(*cfg, "Role").value_or("");
  const json::object* sse = services::GetObject(row.attrs, "SSE");
  const bool kms = sse && GetString(*sse, "Type").value_or("") == "KMS";
  // The highest-priority matching rule per destination (a V1 rule, without priority, ranks by order).
  std::map<std::string, std::pair<std::int64_t, Target>> chosen;
  std::int64_t order = 0;
  for (const auto& r : *rules) {
    ++order;
    if (!r.is_object()) continue;
    const auto& rule = r.as_object();
    if (GetString(rule, "Status").value_or("") != "Enabled") continue;
    const bool v2 = rule.contains("Filter");
    if (row.delete_marker) {
      // Delete markers have no tags; the V1 schema replicates them, V2 when the rule says so.
      const RuleFilter f = FilterOf(rule);
      if (!f.tags.empty() || !row.key.starts_with(f.prefix)) continue;
      if (v2 && !Enabled(services::GetObject(rule, "DeleteMarkerReplication"))) continue;
    } else {
      if (!Matches(FilterOf(rule), row)) continue;
      if (kms) {
        // SSE-KMS objects replicate only where the rule selects them.
        const json::object* criteria = services::GetObject(rule, "SourceSelectionCriteria");
        if (!Enabled(criteria ? services::GetObject(*criteria, "SseKmsEncryptedObjects") : nullptr)) continue;
      }
    }
    Target t;
    t.rule_id = GetString(rule, "ID").value_or("");
    t.destination = DestinationBucket(rule);
    if (const json::object* d = services::GetObject(rule, "Destination"))
      t.storage_class = GetString(*d, "StorageClass").value_or("");
    t.role = role;
    const std::int64_t rank = v2 ? GetInt(rule, "Priority").value_or(0) : -order;
    auto it = chosen.find(t.destination);
    if (it == chosen.end() || rank > it->second.first) chosen[t.destination] = {rank, std::move(t)};
  }
  for (auto& [dest, ranked] : chosen) out.push_back(std::move(ranked.second));
  return out;
}

Status Replication::Enqueue(store::Transaction& txn, const VersionRow& row,
                            const std::vector<Target>& targets) {
  const std::int64_t now = UnixNowMs();
  for (const Target& t : targets) {
    CENOTE_RETURN_IF_ERROR(
        txn.Exec("INSERT INTO s3_replication_queue (bucket, key, version_id, rule_id, destination, "
                 "storage_class, role, "
                 "delete_marker, created_ms, attempts, next_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0)",
                 {row.bucket, row.key, row.version_id, t.rule_id, t.destination, t.storage_class, t.role,
                  static_cast<std::int64_t>(row.delete_marker ? 1 : 0), now}));
  }
  return Status::Ok();
}

void Replication::Committed() {
  if (task_) task_->Wake();
}

void Replication::Start(BackgroundTasks& tasks, aws::Invoker& invoker) {
  invoker_ = &invoker;
  task_ = tasks.Start(
      "s3.replication",
      [this]() -> BackgroundTask::Clock::duration {
        auto next = ReplicateDue(UnixNowMs());
        if (!next) {
          spdlog::warn("s3 replication: {}", next.error().message);
          return std::chrono::seconds(1);
        }
        // Idle: a delete marker queued inside a caller's transaction wakes nobody, so look again soon while
        // some bucket replicates.
        if (!*next) {
          return configured_.load() ? BackgroundTask::Clock::duration(std::chrono::seconds(1))
                                    : BackgroundTask::kUntilWoken;
        }
        return std::chrono::milliseconds(std::max<std::int64_t>(**next - UnixNowMs(), 0));
      },
      std::chrono::milliseconds(0));  // at once: what a previous run left queued
}

Status Replication::InsertReplica(const Entry& e, const VersionRow& source) {
  VersionRow replica;
  replica.key = source.key;
  replica.version_id = source.version_id;
  replica.seq = SeqOfVersionId(source.version_id).value_or(source.seq);
  replica.delete_marker = source.delete_marker;
  replica.size = source.size;
  replica.etag = source.etag;
  replica.last_modified_ms = source.last_modified_ms;
  replica.attrs = source.attrs;
  replica.attrs.erase("Restore");
  if (!source.delete_marker) replica.attrs["ReplicationStatus"] = "REPLICA";
  replica.tags = source.tags;
  replica.storage_class = e.storage_class.empty() ? source.storage_class : e.storage_class;
  // Hard links of the source's blobs, made before the transaction (deleted again if the replica is not
  // stored).
  CENOTE_ASSIGN_OR_RETURN(auto created, CloneManifest(env_, source.manifest, replica.manifest));
  auto stored = [&]() -> Status {
    CENOTE_ASSIGN_OR_RETURN(auto txn, env_.Write());
    CENOTE_ASSIGN_OR_RETURN(auto dest, LoadBucket(*txn, e.destination));
    if (!dest) return NoSuchBucketError(e.destination);
    CENOTE_ASSIGN_OR_RETURN(auto existing, LoadVersion(*txn, e.destination, e.key, e.version_id));
    if (existing) {  // replicated before (a retry after a crash): nothing to do
      env_.DeleteBlobs(created);
      created.clear();
      return Status::Ok();
    }
    CENOTE_RETURN_IF_ERROR(InsertReplicaVersion(*txn, *dest, replica));
    return txn->Commit();
  }();
  if (!stored) env_.DeleteBlobs(created);
  return stored;
}

Status Replication::Replicate(const Entry& e, bool& refused) {
  refused = false;
  std::optional<VersionRow> source;
  BucketRow bucket;
  {
    CENOTE_ASSIGN_OR_RETURN(auto txn, env_.Read());
    CENOTE_ASSIGN_OR_RETURN(auto b, LoadBucket(*txn, e.bucket));
    if (!b) return Status::Ok();  // the source bucket is gone: nothing to replicate
    bucket = std::move(*b);
    CENOTE_ASSIGN_OR_RETURN(source, LoadVersion(*txn, e.bucket, e.key, e.version_id));
    if (!source) return Status::Ok();  // the version was deleted before it replicated
    CENOTE_ASSIGN_OR_RETURN(auto dest, LoadBucket(*txn, e.destination));
    if (!dest || dest->versioning != "Enabled") {
      refused = true;  // S3's DstBucketNotFound / DstBucketUnversioned
      return dest ? MakeError(errors::kReplicationDestinationUnversioned) : NoSuchBucketError(e.destination);
    }
  }
  auto copy = [&]() -> Status { return InsertReplica(e, *source); };
  if (invoker_ == nullptr) return copy();  // no platform (unit tests): no IAM to ask

  // S3 assumes the configured role (its trust policy must let s3.amazonaws.com: S3's AssumeRoleNotPermitted).
  aws::OperationInput assume;
  assume.params = json::object{{"RoleArn", e.role}, {"RoleSessionName", std::string(kSessionName)}};
  auto assumed = invoker_->Call(aws::ServiceCaller(kS3Principal, bucket.owner_account, bucket.region,
                                                   std::string(kBucketArnPrefix) + e.bucket),
                                "sts", "AssumeRole", assume);
  if (!assumed) {
    refused = true;
    return std::move(assumed).error();
  }
  aws::Caller caller;
  caller.principal = iam::RoleSessionPrincipal(e.role, kSessionName, bucket.owner_account);
  caller.region = bucket.region;
  caller.invoked_by = std::string(kS3Principal);
  // The reads and writes of replication are authorized as AWS authorizes them (s3:GetObjectVersionFor-
  // Replication, s3:ReplicateObject, s3:ReplicateDelete): iam_actions.json maps GetObject, PutObject and
  // DeleteObject to them when the input carries CenoteReplication, a member no network request can carry
  // (the REST-XML parser only fills the model's members).
  Status read = invoker_->CallWith(
      caller, "s3", "GetObject",
      json::object{
          {"Bucket", e.bucket}, {"Key", e.key}, {"VersionId", e.version_id}, {"CenoteReplication", true}},
      [] { return Status::Ok(); });
  if (!read) {
    refused = read.error().code == "AccessDenied";
    return read;
  }
  CENOTE_ASSIGN_OR_RETURN(auto dest_region, [&]() -> Result<std::string> {
    CENOTE_ASSIGN_OR_RETURN(auto txn, env_.Read());
    CENOTE_ASSIGN_OR_RETURN(auto dest, LoadBucket(*txn, e.destination));
    return dest ? dest->region : bucket.region;
  }());
  caller.region = dest_region;
  Status written = invoker_->CallWith(
      caller, "s3", e.delete_marker ? "DeleteObject" : "PutObject",
      json::object{{"Bucket", e.destination}, {"Key", e.key}, {"CenoteReplication", true}}, copy);
  if (!written) refused = written.error().code == "AccessDenied" || written.error().code == "NoSuchBucket";
  return written;
}

Status Replication::SetStatus(const Entry& e, bool failed) {
  if (e.delete_marker) return Status::Ok();  // a delete marker has no replication status
  CENOTE_ASSIGN_OR_RETURN(auto txn, env_.Write());
  CENOTE_ASSIGN_OR_RETURN(auto v, LoadVersion(*txn, e.bucket, e.key, e.version_id));
  if (!v) return Status::Ok();
  std::string status = failed ? "FAILED" : "COMPLETED";
  if (!failed) {
    // COMPLETED once every destination has its replica; a destination that failed keeps it FAILED.
    if (GetString(v->attrs, "ReplicationStatus").value_or("") == "FAILED") status = "FAILED";
    CENOTE_ASSIGN_OR_RETURN(auto others,
                            txn->QueryOne("SELECT COUNT(*) FROM s3_replication_queue WHERE bucket = ? AND "
                                          "key = ? AND version_id = ? AND id != ?",
                                          {e.bucket, e.key, e.version_id, e.id}));
    if (others && store::AsInt((*others)[0]) > 0 && status != "FAILED") status = "PENDING";
  }
  v->attrs["ReplicationStatus"] = status;
  CENOTE_RETURN_IF_ERROR(
      txn->Exec("UPDATE s3_versions SET attrs = ? WHERE bucket = ? AND key = ? AND version_id = ?",
                {json::serialize(v->attrs), e.bucket, e.key, e.version_id}));
  CENOTE_RETURN_IF_ERROR(txn->Exec("DELETE FROM s3_replication_queue WHERE id = ?", {e.id}));
  return txn->Commit();
}

Result<std::optional<std::int64_t>> Replication::ReplicateDue(std::int64_t now_ms) {
  constexpr std::int64_t kBatch = 64;
  std::vector<Entry> entries;
  {
    CENOTE_ASSIGN_OR_RETURN(auto txn, env_.Read());
    CENOTE_ASSIGN_OR_RETURN(
        auto rows,
        txn->Query("SELECT id, bucket, key, version_id, rule_id, destination, storage_class, role, "
                   "delete_marker, created_ms, attempts FROM s3_replication_queue WHERE next_ms <= ? "
                   "ORDER BY id LIMIT ?",
                   {now_ms, kBatch}));
    for (const auto& r : rows) {
      Entry e;
      e.id = store::AsInt(r[0]);
      e.bucket = store::AsText(r[1]);
      e.key = store::AsText(r[2]);
      e.version_id = store::AsText(r[3]);
      e.rule_id = store::AsText(r[4]);
      e.destination = store::AsText(r[5]);
      e.storage_class = store::AsText(r[6]);
      e.role = store::AsText(r[7]);
      e.delete_marker = store::AsInt(r[8]) != 0;
      e.created_ms = store::AsInt(r[9]);
      e.attempts = store::AsInt(r[10]);
      entries.push_back(std::move(e));
    }
  }
  for (const Entry& e : entries) {
    bool refused = false;
    Status s = Replicate(e, refused);
    if (s) {
      CENOTE_RETURN_IF_ERROR(SetStatus(e, false));
      continue;
    }
    if (refused || now_ms - e.created_ms >= kGiveUpMs) {
      spdlog::warn("s3 replication: {}/{} ({}) to {} failed: {} {}", e.bucket, e.key, e.version_id,
                   e.destination, s.error().code, s.error().message);
      CENOTE_RETURN_IF_ERROR(SetStatus(e, true));
      continue;
    }
    const std::int64_t delay =
        std::min<std::int64_t>(kFirstRetryMs << std::min<std::int64_t>(e.attempts, 20), kMaxRetryMs);
    CENOTE_ASSIGN_OR_RETURN(auto txn, env_.Write());
    CENOTE_RETURN_IF_ERROR(
        txn->Exec("UPDATE s3_replication_queue SET attempts = attempts + 1, next_ms = ? WHERE id = ?",
                  {now_ms + delay, e.id}));
    CENOTE_RETURN_IF_ERROR(txn->Commit());
  }
  if (static_cast<std::int64_t>(entries.size()) == kBatch) return std::optional<std::int64_t>(now_ms);
  CENOTE_ASSIGN_OR_RETURN(auto txn, env_.Read());
  CENOTE_ASSIGN_OR_RETURN(auto soonest, txn->QueryOne("SELECT MIN(next_ms) FROM s3_replication_queue"));
  if (!soonest || store::IsNull((*soonest)[0])) return std::optional<std::int64_t>();
  return std::optional<std::int64_t>(store::AsInt((*soonest)[0]));
}

Result<std::int64_t> Replication::Pending() {
  CENOTE_ASSIGN_OR_RETURN(auto txn, env_.Read());
  CENOTE_ASSIGN_OR_RETURN(auto row, txn->QueryOne("SELECT COUNT(*) FROM s3_replication_queue"));
  return row ? store::AsInt((*row)[0]) : 0;
}

// ---- the operations ----

Result<OperationOutput> PutBucketReplication(Env& env, const RequestContext&, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto bucket, BucketParam(in));
  const json::object* given = services::GetObject(P(in), "ReplicationConfiguration");
  if (given == nullptr) return MakeError(errors::kMalformedXML);
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.Write());
  CENOTE_ASSIGN_OR_RETURN(auto b, RequireBucket(*txn, bucket));
  CENOTE_ASSIGN_OR_RETURN(auto doc, ValidateReplication(*txn, b, *given));
  CENOTE_RETURN_IF_ERROR(StoreBucketConfig(*txn, bucket, "replication", "", doc));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  if (env.replication) env.replication->SetConfigured(true);
  return OperationOutput{};
}

Result<OperationOutput> GetBucketReplication(Env& env, const RequestContext&, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto bucket, BucketParam(in));
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.Read());
  CENOTE_RETURN_IF_ERROR(RequireBucket(*txn, bucket));
  CENOTE_ASSIGN_OR_RETURN(auto doc, LoadBucketConfig(*txn, bucket, "replication", ""));
  if (!doc) return MakeError(errors::kReplicationConfigurationNotFound).With("BucketName", bucket);
  json::object out;
  out["ReplicationConfiguration"] = std::move(*doc);
  return OperationOutput(std::move(out));
}

Result<OperationOutput> DeleteBucketReplication(Env& env, const RequestContext&, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto bucket, BucketParam(in));
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.Write());
  CENOTE_RETURN_IF_ERROR(RequireBucket(*txn, bucket));
  CENOTE_RETURN_IF_ERROR(DropBucketConfig(*txn, bucket, "replication", ""));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  OperationOutput out;
  out.http_status = 204;
  return out;
}

}  // namespace cenote::s3
