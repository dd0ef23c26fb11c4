// Trails: CreateTrail, UpdateTrail, DeleteTrail, GetTrail, DescribeTrails, ListTrails, StartLogging,
// StopLogging, GetTrailStatus, Put/GetEventSelectors and the tag operations, with the trail documents they
// keep (internal.hpp) and the S3 checks CreateTrail makes as CloudTrail.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/strings.hpp"
#include "http/message.hpp"
#include "iam/directory.hpp"
#include "services/cloudtrail/event_record.hpp"
#include "services/cloudtrail/internal.hpp"

namespace cenote::cloudtrail {

using services::MakeError;

namespace {

json::array TagsToJson(const std::vector<std::pair<std::string, std::string>>& tags) {
  json::array out;
  for (const auto& [k, v] : tags) out.push_back(json::object{{"Key", k}, {"Value", v}});
  return out;
}

Status ValidateTrailName(const std::string& name) {
  auto invalid = [](std::string message) { return MakeError(errors::kInvalidTrailName, {message}); };
  if (name.size() < 3) {
    return invalid("Trail name too short. Minimum allowed length: 3 characters. Specified name length: " +
                   std::to_string(name.size()) + " characters.");
  }
  if (name.size() > 128) {
    return invalid("Trail name too long. Maximum allowed length: 128 characters. Specified name length: " +
                   std::to_string(name.size()) + " characters.");
  }
  for (char c : name) {
    if (!IsAsciiAlnum(c) && c != '.' && c != '_' && c != '-') {
      return invalid(
          "Trail name or ARN can only contain uppercase letters, lowercase letters, numbers, periods (.), "
          "hyphens "
          "(-), and underscores (_).");
    }
  }
  if (!IsAsciiAlnum(name.front()) || !IsAsciiAlnum(name.back())) {
    return invalid("Trail name must starts with a letter or number.");
  }
  for (std::size_t i = 1; i < name.size(); ++i) {
    if (!IsAsciiAlnum(name[i]) && !IsAsciiAlnum(name[i - 1])) {
      return invalid("Trail name cannot contain consecutive characters of ., _ or -.");
    }
  }
  bool ip = std::count(name.begin(), name.end(), '.') == 3;
  for (char c : name) ip = ip && (IsAsciiDigit(c) || c == '.');
  if (ip) return invalid("Trail name must not be formatted as an IP address.");
  return Status::Ok();
}

// CreateTrail/UpdateTrail members Cenote cannot honour yet.
Status RejectUnsupported(const json::object& p) {
  if (GetString(p, "SnsTopicName")) {
    return MakeError(errors::kUnsupported, {"Cenote does not support SNS notifications for trails yet."});
  }
  if (GetString(p, "CloudWatchLogsLogGroupArn") || GetString(p, "CloudWatchLogsRoleArn")) {
    return MakeError(errors::kUnsupported,
                     {"Cenote does not support CloudWatch Logs delivery for trails yet."});
  }
  return Status::Ok();
}

Status ValidatePrefix(const std::string& prefix) {
  if (prefix.size() > 200) {
    return MakeError(errors::kInvalidPrefix, {"Prefix too long. Maximum allowed length: 200 characters."});
  }
  return Status::Ok();
}

// The trail ARN parts: (region, account, name), or nullopt.
std::optional<TrailKey> ParseTrailArn(std::string_view arn) {
  auto parts = SplitString(arn, ':');
  if (parts.size() != 6 || parts[0] != "arn" || parts[2] != "cloudtrail" || !parts[5].starts_with("trail/")) {
    return std::nullopt;
  }
  return TrailKey{std::string(parts[4]), std::string(parts[3]), std::string(parts[5].substr(6))};
}

json::object CreateOutput(const Trail& t) {
  json::object o = t.Describe();
  o.erase("HomeRegion");
  o.erase("HasCustomEventSelectors");
  o.erase("HasInsightSelectors");
  return o;
}

Result<OperationOutput> SetLogging(Env& env, const RequestContext& ctx, OperationInput& in, bool on) {
  const std::string name = GetString(in.params.as_object(), "Name").value_or("");
  std::optional<std::uint64_t> next;
  if (on) {
    CENOTE_ASSIGN_OR_RETURN(next, env.events->NextSequence());
  }
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Trail * trail, env.FindHome(ctx, name));
  Trail updated = *trail;
  const std::int64_t now = env.Now();
  if (on && !updated.logging) {
    updated.logging = true;
    updated.start_logging_ms = now;
    // Events from now on: the trail delivers what happens while it logs.
    updated.cursor = std::max(updated.cursor, *next);
    if (updated.validation) {
      for (auto& [region, chain] : updated.chains) chain.last_end_ms = std::max(chain.last_end_ms, now);
      updated.chains.try_emplace(updated.home_region, ChainFrom(now));
    }
  } else if (!on && updated.logging) {
    updated.logging = false;
    updated.stop_logging_ms = now;
  }
  CENOTE_RETURN_IF_ERROR(env.Save(updated));
  *trail = std::move(updated);
  return OperationOutput(json::object());
}

}  // namespace

std::string TrailArn(const std::string& region, const std::string& account, const std::string& name) {
  return "arn:aws:cloudtrail:" + region + ":" + account + ":trail/" + name;
}

// ---- Trail documents

json::object Trail::ToDoc() const {
  json::object d;
  d["account"] = account;
  d["home_region"] = home_region;
  d["name"] = name;
  d["bucket"] = bucket;
  d["prefix"] = prefix;
  d["include_global"] = include_global;
  d["multi_region"] = multi_region;
  d["validation"] = validation;
  d["organization"] = organization;
  d["organization_id"] = organization_id;
  d["advanced"] = selectors.advanced;
  d["selectors"] = selectors.advanced ? selectors.advanced_selectors : selectors.basic;
  d["custom_selectors"] = custom_selectors;
  d["tags"] = TagsToJson(tags);
  d["kms_key_id"] = kms_key_id;
  d["created_ms"] = created_ms;
  d["logging"] = logging;
  d["start_logging_ms"] = start_logging_ms;
  d["stop_logging_ms"] = stop_logging_ms;
  d["cursor"] = cursor;
  d["latest_delivery_ms"] = latest_delivery_ms;
  d["latest_delivery_attempt_ms"] = latest_delivery_attempt_ms;
  d["latest_delivery_ok"] = latest_delivery_ok;
  d["latest_delivery_error"] = latest_delivery_error;
  d["latest_digest_ms"] = latest_digest_ms;
  d["latest_digest_error"] = latest_digest_error;
  json::object chains_doc;
  for (const auto& [region, c] : chains) {
    chains_doc[region] = json::object{{"last_end_ms", c.last_end_ms},
                                      {"previous_bucket", c.previous_bucket},
                                      {"previous_key", c.previous_key},
                                      {"previous_hash", c.previous_hash},
                                      {"previous_signature", c.previous_signature},
                                      {"pending_logs", c.pending_logs}};
  }
  d["chains"] = std::move(chains_doc);
  return d;
}

Trail Trail::FromDoc(const json::object& d) {
  auto str = [&](std::string_view n) { return GetString(d, n).value_or(""); };
  auto boolean = [&](std::string_view n) { return GetBool(d, n).value_or(false); };
  auto num = [&](std::string_view n) { return GetInt(d, n).value_or(0); };
  Trail t;
  t.account = str("account");
  t.home_region = str("home_region");
  t.name = str("name");
  t.arn = TrailArn(t.home_region, t.account, t.name);
  t.bucket = str("bucket");
  t.prefix = str("prefix");
  t.include_global = boolean("include_global");
  t.multi_region = boolean("multi_region");
  t.validation = boolean("validation");
  t.organization = boolean("organization");
  t.organization_id = str("organization_id");
  t.selectors.advanced = boolean("advanced");
  if (const json::array* s = GetArray(d, "selectors")) {
    (t.selectors.advanced ? t.selectors.advanced_selectors : t.selectors.basic) = *s;
  }
  t.custom_selectors = boolean("custom_selectors");
  if (const json::array* tags = GetArray(d, "tags")) {
    for (const auto& tag : *tags) {
      t.tags.emplace_back(GetString(tag.as_object(), "Key").value_or(""),
                          GetString(tag.as_object(), "Value").value_or(""));
    }
  }
  t.kms_key_id = str("kms_key_id");
  t.created_ms = num("created_ms");
  t.logging = boolean("logging");
  t.start_logging_ms = num("start_logging_ms");
  t.stop_logging_ms = num("stop_logging_ms");
  t.cursor = static_cast<std::uint64_t>(num("cursor"));
  t.latest_delivery_ms = num("latest_delivery_ms");
  t.latest_delivery_attempt_ms = num("latest_delivery_attempt_ms");
  t.latest_delivery_ok = GetBool(d, "latest_delivery_ok").value_or(true);
  t.latest_delivery_error = str("latest_delivery_error");
  t.latest_digest_ms = num("latest_digest_ms");
  t.latest_digest_error = str("latest_digest_error");
  if (const json::object* chains = GetObject(d, "chains")) {
    for (const auto& [region, v] : *chains) {
      const json::object& c = v.as_object();
      DigestChain chain;
      chain.last_end_ms = GetInt(c, "last_end_ms").value_or(0);
      chain.previous_bucket = GetString(c, "previous_bucket").value_or("");
      chain.previous_key = GetString(c, "previous_key").value_or("");
      chain.previous_hash = GetString(c, "previous_hash").value_or("");
      chain.previous_signature = GetString(c, "previous_signature").value_or("");
      if (const json::array* p = GetArray(c, "pending_logs")) chain.pending_logs = *p;
      t.chains.emplace(std::string(region), std::move(chain));
    }
  }
  return t;
}

json::object Trail::Describe() const {
  json::object o;
  o["Name"] = name;
  o["S3BucketName"] = bucket;
  if (!prefix.empty()) o["S3KeyPrefix"] = prefix;
  o["IncludeGlobalServiceEvents"] = include_global;
  o["IsMultiRegionTrail"] = multi_region;
  o["HomeRegion"] = home_region;
  o["TrailARN"] = arn;
  o["LogFileValidationEnabled"] = validation;
  o["HasCustomEventSelectors"] = custom_selectors;
  o["HasInsightSelectors"] = false;
  o["IsOrganizationTrail"] = organization;
  if (!kms_key_id.empty()) o["KmsKeyId"] = kms_key_id;
  return o;
}

// ---- Env

Status Env::Save(const Trail& trail) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_RETURN_IF_ERROR(
      txn->Exec("INSERT INTO cloudtrail_trails (account, region, name, doc) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (account, region, name) DO UPDATE SET doc = excluded.doc",
                {trail.account, trail.home_region, trail.name, json::serialize(trail.ToDoc())}));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  trails[TrailKey{trail.account, trail.home_region, trail.name}] = trail;
  RefreshLoggingTrails();
  return Status::Ok();
}

Status Env::Erase(const Trail& trail) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_RETURN_IF_ERROR(
      txn->Exec("DELETE FROM cloudtrail_trails WHERE account = ? AND region = ? AND name = ?",
                {trail.account, trail.home_region, trail.name}));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  trails.erase(TrailKey{trail.account, trail.home_region, trail.name});
  RefreshLoggingTrails();
  return Status::Ok();
}

void Env::RefreshLoggingTrails() {
  auto snapshot = std::make_shared<std::vector<LoggingTrail>>();
  bool any = false;
  for (const auto& [key, t] : trails) {
    if (!t.logging) continue;
    any = any || t.selectors.SelectsData();
    snapshot->push_back(LoggingTrail{.arn = t.arn,
                                     .account = t.account,
                                     .home_region = t.home_region,
                                     .multi_region = t.multi_region,
                                     .organization_id = t.organization ? t.organization_id : std::string(),
                                     .selectors = t.selectors});
  }
  MutexLock lock(data_mu);
  logging_trails = std::move(snapshot);
  any_data_trail.store(any, std::memory_order_release);
}

Result<Trail*> Env::Find(const RequestContext& ctx, const std::string& name_or_arn) {
  const std::string account = ctx.account_id();
  if (name_or_arn.starts_with("arn:")) {
    auto key = ParseTrailArn(name_or_arn);
    if (!key) return MakeError(errors::kInvalidTrailArn, {name_or_arn});
    auto [arn_account, region, name] = *key;
    auto it = trails.find(TrailKey{arn_account, region, name});
    if (it == trails.end() || arn_account != account || (region != ctx.region && !it->second.multi_region)) {
      return MakeError(errors::kTrailNotFound, {name_or_arn, account});
    }
    return &it->second;
  }
  if (auto it = trails.find(TrailKey{account, ctx.region, name_or_arn}); it != trails.end())
    return &it->second;
  for (auto& [key, t] : trails) {
    if (t.account == account && t.name == name_or_arn && t.multi_region) return &t;
  }
  return MakeError(errors::kTrailNotFound, {TrailArn(ctx.region, account, name_or_arn), account});
}

Result<Trail*> Env::FindHome(const RequestContext& ctx, const std::string& name_or_arn) {
  CENOTE_ASSIGN_OR_RETURN(Trail * trail, Find(ctx, name_or_arn));
  if (trail->home_region != ctx.region) return MakeError(errors::kHomeRegion, {trail->home_region});
  return trail;
}

aws::Caller ServiceCaller(const std::string& account, const std::string& region,
                          const std::string& trail_arn) {
  return aws::ServiceCaller(kServicePrincipal, account, region, trail_arn);
}

Status CheckBucket(Env& env, const RequestContext& ctx, const std::string& trail_arn,
                   const std::string& bucket, const std::string& prefix) {
  const std::string& account = ctx.account_id();
  // Whether the bucket exists, asked with the caller's own credentials (CloudTrail's service principal is
  // refused on a bucket whose policy does not name it, whether or not the bucket exists).
  aws::Caller as_caller;
  as_caller.principal = ctx.principal;
  as_caller.region = ctx.region;
  as_caller.invoked_by = std::string(kServicePrincipal);
  as_caller.parent_request_id = ctx.request_id;
  as_caller.forwarded = true;
  OperationInput head;
  head.params = json::object{{"Bucket", bucket}};
  auto exists = env.invoker.Call(as_caller, "s3", "HeadBucket", head);
  if (!exists && (exists.error().code == "NoSuchBucket" || exists.error().code == "NotFound" ||
                  exists.error().http_status == 404)) {
    return MakeError(errors::kBucketDoesNotExist, {bucket});
  }
  const aws::Caller caller = ServiceCaller(account, ctx.region, trail_arn);
  OperationInput acl;
  acl.params = json::object{{"Bucket", bucket}};
  auto got = env.invoker.Call(caller, "s3", "GetBucketAcl", acl);
  if (!got) {
    spdlog::debug("cloudtrail: GetBucketAcl on {} as CloudTrail for {}: {} {}", bucket, trail_arn,
                  got.error().code, got.error().message);
    return MakeError(errors::kInsufficientBucketPolicy, {bucket});
  }
  // The write permission, checked as the delivery's PutObject would be authorized, without writing.
  const std::string key = (prefix.empty() ? "" : prefix + "/") + "AWSLogs/" + account + "/";
  Status put = env.invoker.CallWith(
      caller, "s3", "PutObject",
      json::object{{"Bucket", bucket}, {"Key", key}, {"ACL", "bucket-owner-full-control"}},
      [] { return Status::Ok(); });
  if (!put) {
    spdlog::debug("cloudtrail: PutObject on {}/{} as CloudTrail for {}: {} {}", bucket, key, trail_arn,
                  put.error().code, put.error().message);
    return MakeError(errors::kInsufficientBucketPolicy, {bucket});
  }
  return Status::Ok();
}

// The ARN of the KMS key `key_id` names, checked as CloudTrail will use it: a data key asked of KMS as
// CloudTrail's service principal for this trail (aws:SourceArn, and {"aws:cloudtrail:arn": <trail ARN>} as
// encryption context, which AWS's CloudTrail key policies condition on). A key whose policy does not allow
// it is InsufficientEncryptionPolicyException, as AWS answers; a missing key KmsKeyNotFoundException.
Result<std::string> CheckKmsKey(Env& env, const std::string& account, const std::string& region,
                                const std::string& trail_arn, const std::string& bucket,
                                const std::string& key_id) {
  OperationInput in;
  in.params = json::object{{"KeyId", key_id},
                           {"KeySpec", "AES_256"},
                           {"EncryptionContext", json::object{{"aws:cloudtrail:arn", trail_arn}}}};
  auto out = env.invoker.Call(ServiceCaller(account, region, trail_arn), "kms", "GenerateDataKey", in);
  if (!out) {
    const Error& e = out.error();
    if (e.http_status >= 500) return e;
    if (e.code == "NotFoundException") return MakeError(errors::kKmsKeyNotFound, {key_id});
    if (e.code == "AccessDeniedException" || e.code == "AccessDenied")
      return MakeError(errors::kInsufficientEncryptionPolicy, {bucket, key_id});
    return MakeError(errors::kKms, {e.code + ": " + e.message});
  }
  const json::object* doc = out->result.if_object();
  auto arn = doc ? GetString(*doc, "KeyId") : std::nullopt;
  return arn.value_or(key_id);
}

// ---- handlers

Result<OperationOutput> CreateTrail(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  const std::string name = GetString(p, "Name").value_or("");
  CENOTE_RETURN_IF_ERROR(ValidateTrailName(name));
  CENOTE_RETURN_IF_ERROR(RejectUnsupported(p));
  Trail t;
  t.account = ctx.account_id();
  t.home_region = ctx.region;
  t.name = name;
  t.arn = TrailArn(t.home_region, t.account, name);
  t.bucket = GetString(p, "S3BucketName").value_or("");
  t.prefix = GetString(p, "S3KeyPrefix").value_or("");
  CENOTE_RETURN_IF_ERROR(ValidatePrefix(t.prefix));
  t.include_global = GetBool(p, "IncludeGlobalServiceEvents").value_or(true);
  t.multi_region = GetBool(p, "IsMultiRegionTrail").value_or(false);
  if (t.multi_region && !t.include_global) {
    return MakeError(errors::kInvalidCombination, {"Multi-Region trail must include global service events."});
  }
  t.validation = GetBool(p, "EnableLogFileValidation").value_or(false);
  t.organization = GetBool(p, "IsOrganizationTrail").value_or(false);
  if (t.organization) {
    t.organization_id = env.orgs != nullptr ? env.orgs->OrganizationId(t.account) : std::string();
    if (t.organization_id.empty()) return MakeError(errors::kOrganizationsNotInUse);
  }
  if (const json::array* tags = GetArray(p, "TagsList")) {
    if (tags->size() > kMaxTags) return MakeError(errors::kTagsLimit);
    for (const auto& tag : *tags) {
      t.tags.emplace_back(GetString(tag.as_object(), "Key").value_or(""),
                          GetString(tag.as_object(), "Value").value_or(""));
    }
  }
  t.created_ms = env.Now();
  {
    MutexLock lock(env.mu);
    if (env.trails.contains(TrailKey{t.account, t.home_region, name})) {
      return MakeError(errors::kTrailExists, {name, t.account});
    }
    std::size_t in_region = 0;
    for (const auto& [key, other] : env.trails) {
      if (other.account == t.account && (other.home_region == t.home_region || other.multi_region))
        ++in_region;
    }
    if (in_region >= kMaxTrailsPerRegion) return MakeError(errors::kMaxTrails, {t.account, t.home_region});
  }
  // The bucket checks call S3 through the pipeline: never with the trails' lock held.
  CENOTE_RETURN_IF_ERROR(CheckBucket(env, ctx, t.arn, t.bucket, t.prefix));
  if (auto key = GetString(p, "KmsKeyId"); key && !key->empty()) {
    CENOTE_ASSIGN_OR_RETURN(t.kms_key_id, CheckKmsKey(env, t.account, t.home_region, t.arn, t.bucket, *key));
  }
  MutexLock lock(env.mu);
  if (env.trails.contains(TrailKey{t.account, t.home_region, name})) {
    return MakeError(errors::kTrailExists, {name, t.account});
  }
  CENOTE_RETURN_IF_ERROR(env.Save(t));
  return OperationOutput(CreateOutput(t));
}

Result<OperationOutput> UpdateTrail(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_RETURN_IF_ERROR(RejectUnsupported(p));
  const std::string name = GetString(p, "Name").value_or("");
  Trail updated;
  {
    MutexLock lock(env.mu);
    CENOTE_ASSIGN_OR_RETURN(Trail * trail, env.FindHome(ctx, name));
    updated = *trail;
  }
  bool check_bucket = false;
  if (auto b = GetString(p, "S3BucketName")) {
    check_bucket = *b != updated.bucket;
    updated.bucket = *b;
  }
  if (auto prefix = GetString(p, "S3KeyPrefix")) {
    CENOTE_RETURN_IF_ERROR(ValidatePrefix(*prefix));
    check_bucket = check_bucket || *prefix != updated.prefix;
    updated.prefix = *prefix;
  }
  if (auto v = GetBool(p, "IncludeGlobalServiceEvents")) updated.include_global = *v;
  if (auto v = GetBool(p, "IsMultiRegionTrail")) updated.multi_region = *v;
  if (updated.multi_region && !updated.include_global) {
    return MakeError(errors::kInvalidCombination, {"Multi-Region trail must include global service events."});
  }
  if (auto v = GetBool(p, "EnableLogFileValidation")) {
    if (*v && !updated.validation) {
      updated.chains.try_emplace(updated.home_region, ChainFrom(env.Now()));
    }
    updated.validation = *v;
  }
  if (auto v = GetBool(p, "IsOrganizationTrail")) {
    updated.organization = *v;
    updated.organization_id.clear();
    if (*v) {
      updated.organization_id =
          env.orgs != nullptr ? env.orgs->OrganizationId(updated.account) : std::string();
      if (updated.organization_id.empty()) return MakeError(errors::kOrganizationsNotInUse);
    }
  }
  if (check_bucket) {
    CENOTE_RETURN_IF_ERROR(CheckBucket(env, ctx, updated.arn, updated.bucket, updated.prefix));
  }
  // KmsKeyId "" turns SSE-KMS off again.
  if (auto key = GetString(p, "KmsKeyId")) {
    updated.kms_key_id.clear();
    if (!key->empty()) {
      CENOTE_ASSIGN_OR_RETURN(updated.kms_key_id, CheckKmsKey(env, updated.account, updated.home_region,
                                                              updated.arn, updated.bucket, *key));
    }
  }
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Trail * trail, env.FindHome(ctx, name));
  // Keep the delivery state the background task may have moved meanwhile.
  updated.cursor = trail->cursor;
  updated.latest_delivery_ms = trail->latest_delivery_ms;
  updated.latest_delivery_attempt_ms = trail->latest_delivery_attempt_ms;
  updated.latest_delivery_ok = trail->latest_delivery_ok;
  updated.latest_delivery_error = trail->latest_delivery_error;
  updated.latest_digest_ms = trail->latest_digest_ms;
  for (auto& [region, chain] : trail->chains) updated.chains[region] = chain;
  updated.logging = trail->logging;
  CENOTE_RETURN_IF_ERROR(env.Save(updated));
  return OperationOutput(CreateOutput(updated));
}

Result<OperationOutput> DeleteTrail(Env& env, const RequestContext& ctx, OperationInput& in) {
  const std::string name = GetString(in.params.as_object(), "Name").value_or("");
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Trail * trail, env.FindHome(ctx, name));
  Trail copy = *trail;
  CENOTE_RETURN_IF_ERROR(env.Erase(copy));
  return OperationOutput(json::object());
}

Result<OperationOutput> GetTrail(Env& env, const RequestContext& ctx, OperationInput& in) {
  const std::string name = GetString(in.params.as_object(), "Name").value_or("");
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Trail * trail, env.Find(ctx, name));
  return OperationOutput(json::object{{"Trail", trail->Describe()}});
}

Result<OperationOutput> DescribeTrails(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  const bool shadows = GetBool(p, "includeShadowTrails").value_or(true);
  const json::array* names = GetArray(p, "trailNameList");
  json::array list;
  MutexLock lock(env.mu);
  for (const auto& [key, t] : env.trails) {
    if (t.account != ctx.account_id()) continue;
    if (t.home_region != ctx.region && !(shadows && t.multi_region)) continue;
    if (names != nullptr && !names->empty()) {
      bool named = false;
      for (const auto& n : *names) {
        if (n.is_string() && (n.as_string() == t.name || n.as_string() == t.arn)) named = true;
      }
      if (!named) continue;
    }
    list.push_back(t.Describe());
  }
  return OperationOutput(json::object{{"trailList", std::move(list)}});
}

Result<OperationOutput> ListTrails(Env& env, const RequestContext& ctx, OperationInput&) {
  json::array list;
  MutexLock lock(env.mu);
  for (const auto& [key, t] : env.trails) {
    if (t.account != ctx.account_id()) continue;
    list.push_back(json::object{{"TrailARN", t.arn}, {"Name", t.name}, {"HomeRegion", t.home_region}});
  }
  return OperationOutput(json::object{{"Trails", std::move(list)}});
}

Result<OperationOutput> StartLogging(Env& env, const RequestContext& ctx, OperationInput& in) {
  return SetLogging(env, ctx, in, true);
}

Result<OperationOutput> StopLogging(Env& env, const RequestContext& ctx, OperationInput& in) {
  return SetLogging(env, ctx, in, false);
}

Result<OperationOutput> GetTrailStatus(Env& env, const RequestContext& ctx, OperationInput& in) {
  const std::string name = GetString(in.params.as_object(), "Name").value_or("");
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Trail * t, env.Find(ctx, name));
  json::object o;
  o["IsLogging"] = t->logging;
  if (t->latest_delivery_ms > 0) o["LatestDeliveryTime"] = t->latest_delivery_ms;
  if (!t->latest_delivery_error.empty()) o["LatestDeliveryError"] = t->latest_delivery_error;
  if (t->start_logging_ms > 0) {
    o["StartLoggingTime"] = t->start_logging_ms;
    o["TimeLoggingStarted"] = EventTime(t->start_logging_ms);
  }
  if (t->stop_logging_ms > 0) {
    o["StopLoggingTime"] = t->stop_logging_ms;
    o["TimeLoggingStopped"] = EventTime(t->stop_logging_ms);
  }
  if (t->latest_digest_ms > 0) o["LatestDigestDeliveryTime"] = t->latest_digest_ms;
  if (!t->latest_digest_error.empty()) o["LatestDigestDeliveryError"] = t->latest_digest_error;
  o["LatestDeliveryAttemptTime"] =
      t->latest_delivery_attempt_ms > 0 ? EventTime(t->latest_delivery_attempt_ms) : "";
  o["LatestDeliveryAttemptSucceeded"] =
      t->latest_delivery_attempt_ms > 0 ? EventTime(t->latest_delivery_ok ? t->latest_delivery_ms : 0) : "";
  o["LatestNotificationAttemptTime"] = "";
  o["LatestNotificationAttemptSucceeded"] = "";
  return OperationOutput(std::move(o));
}

Result<OperationOutput> PutEventSelectors(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(Selectors selectors, ParseSelectors(p));
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Trail * trail, env.FindHome(ctx, GetString(p, "TrailName").value_or("")));
  Trail updated = *trail;
  updated.selectors = std::move(selectors);
  updated.custom_selectors = true;
  CENOTE_RETURN_IF_ERROR(env.Save(updated));
  json::object out{{"TrailARN", updated.arn}};
  if (updated.selectors.advanced) {
    out["AdvancedEventSelectors"] = updated.selectors.advanced_selectors;
  } else {
    out["EventSelectors"] = updated.selectors.basic;
  }
  return OperationOutput(std::move(out));
}

Result<OperationOutput> GetEventSelectors(Env& env, const RequestContext& ctx, OperationInput& in) {
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Trail * trail,
                          env.Find(ctx, GetString(in.params.as_object(), "TrailName").value_or("")));
  json::object out{{"TrailARN", trail->arn}};
  if (trail->selectors.advanced) {
    out["AdvancedEventSelectors"] = trail->selectors.advanced_selectors;
  } else {
    out["EventSelectors"] = trail->selectors.basic;
  }
  return OperationOutput(std::move(out));
}

namespace {

// The trail a tag operation's ResourceId names (a trail ARN).
Result<Trail*> TaggedTrail(Env& env, const RequestContext& ctx, const std::string& id)
    EXCLUSIVE_LOCKS_REQUIRED(env.mu) {
  auto key = ParseTrailArn(id);
  if (!key) return MakeError(errors::kInvalidTrailArn, {id});
  auto it = env.trails.find(*key);
  if (it == env.trails.end() || std::get<0>(*key) != ctx.account_id()) {
    return MakeError(errors::kResourceNotFound, {"Resource not found: " + id});
  }
  return &it->second;
}

}  // namespace

Result<OperationOutput> AddTags(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Trail * trail, TaggedTrail(env, ctx, GetString(p, "ResourceId").value_or("")));
  Trail updated = *trail;
  if (const json::array* tags = GetArray(p, "TagsList")) {
    for (const auto& tag : *tags) {
      std::string k = GetString(tag.as_object(), "Key").value_or("");
      std::string v = GetString(tag.as_object(), "Value").value_or("");
      if (k.starts_with("aws:")) {
        return MakeError(errors::kInvalidTagParameter, {"Tag keys beginning with aws: are reserved."});
      }
      auto it =
          std::find_if(updated.tags.begin(), updated.tags.end(), [&](const auto& t) { return t.first == k; });
      if (it != updated.tags.end()) {
        it->second = v;
      } else {
        updated.tags.emplace_back(k, v);
      }
    }
  }
  if (updated.tags.size() > kMaxTags) return MakeError(errors::kTagsLimit);
  CENOTE_RETURN_IF_ERROR(env.Save(updated));
  return OperationOutput(json::object());
}

Result<OperationOutput> RemoveTags(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Trail * trail, TaggedTrail(env, ctx, GetString(p, "ResourceId").value_or("")));
  Trail updated = *trail;
  if (const json::array* tags = GetArray(p, "TagsList")) {
    for (const auto& tag : *tags) {
      std::string k = GetString(tag.as_object(), "Key").value_or("");
      std::erase_if(updated.tags, [&](const auto& t) { return t.first == k; });
    }
  }
  CENOTE_RETURN_IF_ERROR(env.Save(updated));
  return OperationOutput(json::object());
}

Result<OperationOutput> ListTags(Env& env, const RequestContext& ctx, OperationInput& in) {
  json::array list;
  MutexLock lock(env.mu);
  if (const json::array* ids = GetArray(in.params.as_object(), "ResourceIdList")) {
    for (const auto& id : *ids) {
      if (!id.is_string()) continue;
      CENOTE_ASSIGN_OR_RETURN(Trail * trail, TaggedTrail(env, ctx, std::string(id.as_string())));
      list.push_back(json::object{{"ResourceId", trail->arn}, {"TagsList", TagsToJson(trail->tags)}});
    }
  }
  return OperationOutput(json::object{{"ResourceTagList", std::move(list)}});
}

}  // namespace cenote::cloudtrail
