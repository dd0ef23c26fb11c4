// Bucket configurations kept as documents (table s3_bucket_configs: one row per bucket, kind and id):
// CORS, accelerate, request payment, notifications, ownership controls, public access block, and the
// analytics, metrics, inventory and intelligent-tiering configurations (several per bucket, by id). Each is
// validated as S3 validates it, stored as the model's JSON form of what the client sent, and returned in
// the shape of the matching Get operation; CORS rules also answer browsers (CorsHeaders), and logging
// configurations feed the access-log hook (access_logs.hpp). Lifecycle (lifecycle.cpp), Object Lock
// (object_lock.cpp) and ACLs (acls.cpp) live in their own files, in the same table. The configurations
// Replication is in replication.cpp.
#include <algorithm>
#include <set>

#include "common/random.hpp"
#include "services/s3/env.hpp"

namespace cenote::s3 {

namespace {

const json::object& P(OperationInput& in) { return in.params.as_object(); }

OperationOutput NoContent() {
  OperationOutput out;
  out.http_status = 204;
  return out;
}

// The configuration document a Put operation carries in `member` (its payload), or MalformedXML.
Result<json::object> Payload(OperationInput& in, const char* member) {
  const auto* doc = services::GetObject(P(in), member);
  if (doc == nullptr) return MakeError(errors::kMalformedXML);
  return *doc;
}

// Upper bound on the configurations of one kind a bucket may hold (AWS: 1,000 each for analytics, metrics,
// inventory and intelligent-tiering).
constexpr std::int64_t kMaxConfigurationsPerKind = 1000;
// Page size of the List*Configurations operations (AWS: 100).
constexpr std::size_t kListPageSize = 100;

}  // namespace

// ---- storage ----

Result<std::optional<json::object>> LoadBucketConfig(Transaction& txn, std::string_view bucket,
                                                     std::string_view kind, std::string_view id) {
  CENOTE_ASSIGN_OR_RETURN(auto row, txn.QueryOne("SELECT doc FROM s3_bucket_configs WHERE bucket = ? AND "
                                                 "kind = ? AND id = ?",
                                                 {std::string(bucket), std::string(kind), std::string(id)}));
  if (!row) return std::optional<json::object>();
  boost::system::error_code ec;
  auto doc = json::parse(store::AsText((*row)[0]), ec);
  if (ec || !doc.is_object())
    return InternalError("s3: unreadable bucket configuration " + std::string(kind));
  return std::optional<json::object>(std::move(doc).as_object());
}

Status StoreBucketConfig(Transaction& txn, std::string_view bucket, std::string_view kind,
                         std::string_view id, const json::object& doc) {
  CENOTE_RETURN_IF_ERROR(
      txn.Exec("INSERT INTO s3_bucket_configs (bucket, kind, id, doc) VALUES (?, ?, ?, ?) "
               "ON CONFLICT (bucket, kind, id) DO UPDATE SET doc = excluded.doc",
               {std::string(bucket), std::string(kind), std::string(id), json::serialize(doc)}));
  return Status::Ok();
}

Status DropBucketConfig(Transaction& txn, std::string_view bucket, std::string_view kind,
                        std::string_view id) {
  CENOTE_RETURN_IF_ERROR(txn.Exec("DELETE FROM s3_bucket_configs WHERE bucket = ? AND kind = ? AND id = ?",
                                  {std::string(bucket), std::string(kind), std::string(id)}));
  return Status::Ok();
}

namespace {

// Validates and stores one configuration of `bucket` (the bucket must exist).
Result<OperationOutput> Store(Env& env, const std::string& bucket, std::string_view kind, std::string_view id,
                              const json::object& doc) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.Write());
  CENOTE_RETURN_IF_ERROR(RequireBucket(*txn, bucket));
  CENOTE_RETURN_IF_ERROR(StoreBucketConfig(*txn, bucket, kind, id, doc));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return OperationOutput{};
}

Result<std::optional<json::object>> Load(Env& env, const std::string& bucket, std::string_view kind,
                                         std::string_view id = "") {
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.Read());
  CENOTE_RETURN_IF_ERROR(RequireBucket(*txn, bucket));
  return LoadBucketConfig(*txn, bucket, kind, id);
}

Result<OperationOutput> Drop(Env& env, const std::string& bucket, std::string_view kind,
                             std::string_view id = "") {
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.Write());
  CENOTE_RETURN_IF_ERROR(RequireBucket(*txn, bucket));
  CENOTE_RETURN_IF_ERROR(DropBucketConfig(*txn, bucket, kind, id));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return NoContent();
}

bool OneOf(std::string_view value, std::initializer_list<std::string_view> allowed) {
  return std::find(allowed.begin(), allowed.end(), value) != allowed.end();
}

// ---- CORS ----

Status ValidateCors(const json::object& cfg) {
  const json::array* rules = GetArray(cfg, "CORSRules");
  if (rules == nullptr || rules->empty()) return MakeError(errors::kMalformedXML);
  if (rules->size() > 100) return MakeError(errors::kTooManyCorsRules);
  for (const auto& r : *rules) {
    if (!r.is_object()) return MakeError(errors::kMalformedXML);
    const auto& rule = r.as_object();
    const json::array* methods = GetArray(rule, "AllowedMethods");
    const json::array* origins = GetArray(rule, "AllowedOrigins");
    if (methods == nullptr || methods->empty() || origins == nullptr || origins->empty()) {
      return MakeError(errors::kMalformedXML);
    }
    for (const auto& m : *methods) {
      std::string method = m.is_string() ? std::string(m.as_string()) : "";
      if (!OneOf(method, {"GET", "PUT", "HEAD", "POST", "DELETE"})) {
        return MakeError(errors::kUnsupportedCorsMethod, {method});
      }
    }
    for (const auto& o : *origins) {
      std::string origin = o.is_string() ? std::string(o.as_string()) : "";
      if (std::count(origin.begin(), origin.end(), '*') > 1) {
        return MakeError(errors::kCorsOriginWildcards, {origin});
      }
    }
    if (const json::array* headers = GetArray(rule, "AllowedHeaders")) {
      for (const auto& h : *headers) {
        std::string header = h.is_string() ? std::string(h.as_string()) : "";
        if (std::count(header.begin(), header.end(), '*') > 1) {
          return MakeError(errors::kCorsHeaderWildcards, {header});
        }
      }
    }
    if (auto id = GetString(rule, "ID"); id && id->size() > 255) return MakeError(errors::kMalformedXML);
  }
  return Status::Ok();
}

// ---- notifications ----

bool ValidNotificationEvent(std::string_view event) {
  static const std::set<std::string_view> kEvents = {
      "s3:ReducedRedundancyLostObject",
      "s3:ObjectCreated:*",
      "s3:ObjectCreated:Put",
      "s3:ObjectCreated:Post",
      "s3:ObjectCreated:Copy",
      "s3:ObjectCreated:CompleteMultipartUpload",
      "s3:ObjectRemoved:*",
      "s3:ObjectRemoved:Delete",
      "s3:ObjectRemoved:DeleteMarkerCreated",
      "s3:ObjectRestore:*",
      "s3:ObjectRestore:Post",
      "s3:ObjectRestore:Completed",
      "s3:ObjectRestore:Delete",
      "s3:Replication:*",
      "s3:Replication:OperationFailedReplication",
      "s3:Replication:OperationNotTracked",
      "s3:Replication:OperationMissedThreshold",
      "s3:Replication:OperationReplicatedAfterThreshold",
      "s3:LifecycleExpiration:*",
      "s3:LifecycleExpiration:Delete",
      "s3:LifecycleExpiration:DeleteMarkerCreated",
      "s3:LifecycleTransition",
      "s3:IntelligentTiering",
      "s3:ObjectTagging:*",
      "s3:ObjectTagging:Put",
      "s3:ObjectTagging:Delete",
      "s3:ObjectAcl:Put",
  };
  return kEvents.count(event) > 0;
}

// An ARN of `service` ("sqs", "sns", "lambda"): arn:<partition>:<service>:<region>:<account>:<resource>.
bool ValidDestinationArn(std::string_view arn, std::string_view service) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (int i = 0; i < 5; ++i) {
    std::size_t colon = arn.find(':', start);
    if (colon == std::string_view::npos) return false;
    parts.push_back(arn.substr(start, colon - start));
    start = colon + 1;
  }
  return parts[0] == "arn" && !parts[1].empty() && parts[2] == service && !parts[3].empty() &&
         parts[4].size() == 12 && start < arn.size();
}

// Validates the destination configurations of one kind and gives each an Id when it has none (S3 makes one
// up). Destinations are checked for form only: their existence is for the events issue's services.
Status ValidateNotifications(json::object& cfg, const char* list, const char* arn_member,
                             std::string_view service, std::set<std::string>& ids) {
  json::value* v = cfg.if_contains(list);
  if (v == nullptr) return Status::Ok();
  if (!v->is_array()) return MakeError(errors::kMalformedXML);
  for (auto& entry : v->as_array()) {
    if (!entry.is_object()) return MakeError(errors::kMalformedXML);
    auto& c = entry.as_object();
    auto arn = GetString(c, arn_member);
    const json::array* events = GetArray(c, "Events");
    if (!arn || events == nullptr || events->empty()) return MakeError(errors::kMalformedXML);
    if (!ValidDestinationArn(*arn, service)) return MakeError(errors::kInvalidNotificationArn, {*arn});
    for (const auto& e : *events) {
      std::string event = e.is_string() ? std::string(e.as_string()) : "";
      if (!ValidNotificationEvent(event)) return MakeError(errors::kUnsupportedNotificationEvent);
    }
    if (const auto* filter = services::GetObject(c, "Filter")) {
      const auto* key = services::GetObject(*filter, "Key");
      const json::array* rules = key ? GetArray(*key, "FilterRules") : nullptr;
      int prefixes = 0;
      int suffixes = 0;
      for (const auto& r : rules ? *rules : json::array()) {
        auto name = r.is_object() ? GetString(r.as_object(), "Name") : std::nullopt;
        std::string lowered = name ? AsciiLower(*name) : "";
        if (lowered == "prefix") {
          ++prefixes;
        } else if (lowered == "suffix") {
          ++suffixes;
        } else {
          return MakeError(errors::kInvalidFilterRuleName, {name.value_or("")});
        }
      }
      if (prefixes > 1) return MakeError(errors::kTooManyPrefixRules);
      if (suffixes > 1) return MakeError(errors::kTooManySuffixRules);
    }
    std::string id = GetString(c, "Id").value_or("");
    if (id.empty()) {
      id = RandomHex(16);
      c["Id"] = id;
    }
    if (!ids.insert(id).second) return MakeError(errors::kDuplicateNotificationId);
  }
  return Status::Ok();
}

// ---- configurations kept by id ----

struct IdKind {
  const char* kind;    // s3_bucket_configs.kind
  const char* member;  // the Put operation's payload member; the Get output member; the list's entries
  const char* list;    // the List operation's output member
};
constexpr IdKind kAnalytics{"analytics", "AnalyticsConfiguration", "AnalyticsConfigurationList"};
constexpr IdKind kMetrics{"metrics", "MetricsConfiguration", "MetricsConfigurationList"};
constexpr IdKind kInventory{"inventory", "InventoryConfiguration", "InventoryConfigurationList"};
constexpr IdKind kIntelligentTiering{"intelligent-tiering", "IntelligentTieringConfiguration",
                                     "IntelligentTieringConfigurationList"};

Result<std::string> IdParam(OperationInput& in) {
  auto id = GetString(P(in), "Id");
  if (!id || id->empty()) return MakeError(errors::kInvalidConfigurationId);
  if (id->size() > 64) return MakeError(errors::kInvalidConfigurationId);
  return *id;
}

Result<OperationOutput> PutById(Env& env, OperationInput& in, const IdKind& k) {
  CENOTE_ASSIGN_OR_RETURN(auto bucket, BucketParam(in));
  CENOTE_ASSIGN_OR_RETURN(auto id, IdParam(in));
  CENOTE_ASSIGN_OR_RETURN(auto doc, Payload(in, k.member));
  // The configuration names itself; it must be the one the request is for.
  if (GetString(doc, "Id").value_or("") != id) return MakeError(errors::kConfigurationIdMismatch);
  if (&k == &kInventory) {
    auto versions = GetString(doc, "IncludedObjectVersions").value_or("");
    if (!OneOf(versions, {"All", "Current"})) return MakeError(errors::kMalformedXML);
  }
  if (&k == &kIntelligentTiering) {
    const json::array* tierings = GetArray(doc, "Tierings");
    if (tierings == nullptr || tierings->empty()) return MakeError(errors::kMalformedXML);
    for (const auto& t : *tierings) {
      auto tier = t.is_object() ? GetString(t.as_object(), "AccessTier") : std::nullopt;
      auto days = t.is_object() ? GetInt(t.as_object(), "Days") : std::nullopt;
      if (!tier || !days) return MakeError(errors::kMalformedXML);
      // AWS: 90 to 730 days for ARCHIVE_ACCESS, 180 to 730 for DEEP_ARCHIVE_ACCESS.
      const std::int64_t min = *tier == "ARCHIVE_ACCESS" ? 90 : 180;
      if (*days < min || *days > 730) return MakeError(errors::kInvalidTieringDays, {*tier});
    }
  }
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.Write());
  CENOTE_RETURN_IF_ERROR(RequireBucket(*txn, bucket));
  CENOTE_ASSIGN_OR_RETURN(auto existing, LoadBucketConfig(*txn, bucket, k.kind, id));
  if (!existing) {
    CENOTE_ASSIGN_OR_RETURN(auto count,
                            txn->QueryOne("SELECT COUNT(*) FROM s3_bucket_configs WHERE bucket = ? "
                                          "AND kind = ?",
                                          {bucket, std::string(k.kind)}));
    if (count && store::AsInt((*count)[0]) >= kMaxConfigurationsPerKind) {
      return MakeError(errors::kTooManyConfigurations);
    }
  }
  CENOTE_RETURN_IF_ERROR(StoreBucketConfig(*txn, bucket, k.kind, id, doc));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return OperationOutput{};
}

Result<OperationOutput> GetById(Env& env, OperationInput& in, const IdKind& k) {
  CENOTE_ASSIGN_OR_RETURN(auto bucket, BucketParam(in));
  CENOTE_ASSIGN_OR_RETURN(auto id, IdParam(in));
  CENOTE_ASSIGN_OR_RETURN(auto doc, Load(env, bucket, k.kind, id));
  if (!doc) return MakeError(errors::kNoSuchConfiguration);
  OperationOutput out;
  out.result.as_object()[k.member] = std::move(*doc);
  return out;
}

Result<OperationOutput> DeleteById(Env& env, OperationInput& in, const IdKind& k) {
  CENOTE_ASSIGN_OR_RETURN(auto bucket, BucketParam(in));
  CENOTE_ASSIGN_OR_RETURN(auto id, IdParam(in));
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.Write());
  CENOTE_RETURN_IF_ERROR(RequireBucket(*txn, bucket));
  CENOTE_ASSIGN_OR_RETURN(auto existing, LoadBucketConfig(*txn, bucket, k.kind, id));
  if (!existing) return MakeError(errors::kNoSuchConfiguration);
  CENOTE_RETURN_IF_ERROR(DropBucketConfig(*txn, bucket, k.kind, id));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return NoContent();
}

Result<OperationOutput> ListById(Env& env, OperationInput& in, const IdKind& k) {
  CENOTE_ASSIGN_OR_RETURN(auto bucket, BucketParam(in));
  std::string after;
  auto token = GetString(P(in), "ContinuationToken");
  if (token) {
    auto decoded = Base64Decode(*token);
    if (!decoded)
      return InvalidArgumentError(errors::kInvalidContinuationToken, "continuation-token", *token);
    after = *decoded;
  }
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.Read());
  CENOTE_RETURN_IF_ERROR(RequireBucket(*txn, bucket));
  CENOTE_ASSIGN_OR_RETURN(auto rows, txn->Query("SELECT id, doc FROM s3_bucket_configs WHERE bucket = ? AND "
                                                "kind = ? AND id > ? ORDER BY id LIMIT ?",
                                                {bucket, std::string(k.kind), after,
                                                 static_cast<std::int64_t>(kListPageSize + 1)}));
  OperationOutput out;
  auto& r = out.result.as_object();
  json::array list;
  for (std::size_t i = 0; i < rows.size() && i < kListPageSize; ++i) {
    boost::system::error_code ec;
    auto doc = json::parse(store::AsText(rows[i][1]), ec);
    if (!ec) list.push_back(std::move(doc));
  }
  const bool truncated = rows.size() > kListPageSize;
  r["IsTruncated"] = truncated;
  if (token) r["ContinuationToken"] = *token;
  if (truncated) r["NextContinuationToken"] = Base64Encode(store::AsText(rows[kListPageSize - 1][0]));
  if (!list.empty()) r[k.list] = std::move(list);
  return out;
}

// ---- public access ----

// A grant to everyone or to every AWS account: what BlockPublicAcls refuses.
bool IsPublicGrantee(const json::object& grantee) {
  auto uri = GetString(grantee, "URI").value_or("");
  return uri == "http://acs.amazonaws.com/groups/global/AllUsers" ||
         uri == "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
}

}  // namespace

Result<PublicAccessBlock> LoadPublicAccessBlock(Transaction& txn, std::string_view bucket) {
  CENOTE_ASSIGN_OR_RETURN(auto doc, LoadBucketConfig(txn, bucket, "public-access-block", ""));
  PublicAccessBlock pab;
  if (!doc) return pab;
  pab.block_public_acls = GetBool(*doc, "BlockPublicAcls").value_or(false);
  pab.ignore_public_acls = GetBool(*doc, "IgnorePublicAcls").value_or(false);
  pab.block_public_policy = GetBool(*doc, "BlockPublicPolicy").value_or(false);
  pab.restrict_public_buckets = GetBool(*doc, "RestrictPublicBuckets").value_or(false);
  return pab;
}

bool AclIsPublic(const json::array& grants) {
  for (const auto& g : grants) {
    const auto* grantee = g.is_object() ? services::GetObject(g.as_object(), "Grantee") : nullptr;
    if (grantee != nullptr && IsPublicGrantee(*grantee)) return true;
  }
  return false;
}

bool PolicyIsPublic(std::string_view policy_text) {
  boost::system::error_code ec;
  auto policy = json::parse(policy_text, ec);
  if (ec || !policy.is_object()) return false;
  const json::value* statements = policy.as_object().if_contains("Statement");
  if (statements == nullptr) return false;
  json::array list = statements->is_array() ? statements->as_array() : json::array{*statements};
  // Condition keys that, with a fixed value, tie a statement to known principals or sources: such a
  // statement does not make the policy public (AWS, "The meaning of public").
  static const std::set<std::string> kLimitingKeys = {
      "aws:sourcearn",    "aws:sourcevpc",      "aws:sourcevpce",        "aws:sourceaccount",
      "aws:sourceowner",  "aws:principalorgid", "aws:principalaccount",  "aws:userid",
      "aws:principalarn", "aws:sourceip",       "s3:dataaccesspointarn", "s3:dataaccesspointaccount"};
  for (const auto& s : list) {
    if (!s.is_object()) continue;
    const auto& st = s.as_object();
    if (GetString(st, "Effect").value_or("") != "Allow") continue;
    const json::value* principal = st.if_contains("Principal");
    if (principal == nullptr) continue;
    bool everyone = false;
    if (principal->is_string()) {
      everyone = principal->as_string() == "*";
    } else if (principal->is_object()) {
      if (const json::value* aws = principal->as_object().if_contains("AWS")) {
        if (aws->is_string()) everyone = aws->as_string() == "*";
        if (aws->is_array()) {
          for (const auto& a : aws->as_array())
            everyone = everyone || (a.is_string() && a.as_string() == "*");
        }
      }
    }
    if (!everyone) continue;
    bool limited = false;
    if (const json::value* condition = st.if_contains("Condition"); condition && condition->is_object()) {
      for (const auto& [op, keys] : condition->as_object()) {
        if (!keys.is_object()) continue;
        for (const auto& [key, value] : keys.as_object()) {
          const bool wildcard = value.is_string() && value.as_string().find('*') != json::string::npos;
          if (kLimitingKeys.count(AsciiLower(key)) && !wildcard) limited = true;
        }
      }
    }
    if (!limited) return true;
  }
  return false;
}

// ---- CORS requests ----

namespace {

// An AllowedOrigin or AllowedHeader pattern: at most one '*', standing for any run of characters.
bool WildcardMatch(std::string_view pattern, std::string_view value) {
  std::size_t star = pattern.find('*');
  if (star == std::string_view::npos) return pattern == value;
  std::string_view head = pattern.substr(0, star);
  std::string_view tail = pattern.substr(star + 1);
  return value.size() >= head.size() + tail.size() && value.starts_with(head) && value.ends_with(tail);
}

std::vector<std::string> Strings(const json::object& rule, const char* member) {
  std::vector<std::string> out;
  if (const json::array* list = GetArray(rule, member)) {
    for (const auto& v : *list) {
      if (v.is_string()) out.emplace_back(v.as_string());
    }
  }
  return out;
}

std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ", ") + p;
  return out;
}

}  // namespace

Result<std::optional<http::Headers>> CorsHeaders(Env& env, const aws::CorsRequest& request) {
  std::optional<json::object> cfg;
  {
    CENOTE_ASSIGN_OR_RETURN(auto txn, env.Read());
    CENOTE_ASSIGN_OR_RETURN(auto b, LoadBucket(*txn, request.resource));
    if (!b) {
      if (!request.preflight) return std::optional<http::Headers>();
      return MakeError("AccessForbidden", "CORSResponse: Bucket not found", 403);
    }
    CENOTE_ASSIGN_OR_RETURN(cfg, LoadBucketConfig(*txn, request.resource, "cors", ""));
  }
  if (!cfg) {
    if (!request.preflight) return std::optional<http::Headers>();
    return MakeError("AccessForbidden", "CORSResponse: CORS is not enabled for this bucket.", 403);
  }
  const json::array* rules = GetArray(*cfg, "CORSRules");
  for (const auto& r : rules ? *rules : json::array()) {
    if (!r.is_object()) continue;
    const auto& rule = r.as_object();
    const auto origins = Strings(rule, "AllowedOrigins");
    auto origin = std::find_if(origins.begin(), origins.end(),
                               [&](const std::string& o) { return WildcardMatch(o, request.origin); });
    if (origin == origins.end()) continue;
    const auto methods = Strings(rule, "AllowedMethods");
    if (std::find(methods.begin(), methods.end(), request.method) == methods.end()) continue;
    const auto allowed_headers = Strings(rule, "AllowedHeaders");
    bool headers_ok = true;
    for (const auto& h : request.headers) {
      headers_ok =
          headers_ok && std::any_of(allowed_headers.begin(), allowed_headers.end(),
                                    [&](const std::string& a) { return WildcardMatch(AsciiLower(a), h); });
    }
    if (!headers_ok) continue;
    http::Headers out;
    const bool any_origin = *origin == "*";
    out.Set("Access-Control-Allow-Origin", any_origin ? "*" : request.origin);
    out.Set("Access-Control-Allow-Methods", Join(methods));
    if (!any_origin) out.Set("Access-Control-Allow-Credentials", "true");
    if (request.preflight && !request.headers.empty())
      out.Set("Access-Control-Allow-Headers", Join(request.headers));
    if (auto expose = Strings(rule, "ExposeHeaders"); !expose.empty()) {
      out.Set("Access-Control-Expose-Headers", Join(expose));
    }
    if (auto max_age = GetInt(rule, "MaxAgeSeconds"))
      out.Set("Access-Control-Max-Age", std::to_string(*max_age));
    out.Set("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method");
    return std::optional<http::Headers>(std::move(out));
  }
  return std::optional<http::Headers>();
}

// ---- operations ----

Result<OperationOutput> PutBucketCors(Env& env, const RequestContext&, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto bucket, BucketParam(in));
  CENOTE_ASSIGN_OR_RETURN(auto doc, Payload(in, "CORSConfiguration"));
  CENOTE_RETURN_IF_ERROR(ValidateCors(doc));
  return Store(env, bucket, "cors", "", doc);
}

Result<OperationOutput> GetBucketCors(Env& env, const RequestContext&, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto bucket, BucketParam(in));
  CENOTE_ASSIGN_OR_RETURN(auto doc, Load(env, bucket, "cors"));
  if (!doc) return MakeError(errors::kNoSuchCORSConfiguration).With("BucketName", bucket);
  return OperationOutput(std::move(*doc));
}

Result<OperationOutput> DeleteBucketCors(Env& env, const RequestContext&, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto bucket, BucketParam(in));
  return Drop(env, bucket, "cors");
}

Result<OperationOutput> PutBucketAccelerateConfiguration(Env& env, const RequestContext&,
                                                         OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto bucket, BucketParam(in));
  CENOTE_ASSIGN_OR_RETURN(auto doc, Payload(in, "AccelerateConfiguration"));
  if (!OneOf(GetString(doc, "Status").value_or(""), {"Enabled", "Suspended"})) {
    return MakeError(errors::kMalformedXML);
  }
  // Accelerated endpoints are virtual-hosted names under a TLS wildcard, which a dot would break.
  if (bucket.find('.') != std::string::npos) return MakeError(errors::kAccelerateBucketWithPeriods);
  return Store(env, bucket, "accelerate", "", doc);
}

Result<OperationOutput> GetBucketAccelerateConfiguration(Env& env, const RequestContext&,
                                                         OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto bucket, BucketParam(in));
  CENOTE_ASSIGN_OR_RETURN(auto doc, Load(env, bucket, "accelerate"));
  // Never configured: no Status at all, as on AWS.
  return OperationOutput(doc.value_or(json::object()));
}

Result<OperationOutput> PutBucketRequestPayment(Env& env, const RequestContext&, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto bucket, BucketParam(in));
  CENOTE_ASSIGN_OR_RETURN(auto doc, Payload(in, "RequestPaymentConfiguration"));
  if (!OneOf(GetString(doc, "Payer").value_or(""), {"BucketOwner", "Requester"})) {
    return MakeError(errors::kMalformedXML);
  }
  return Store(env, bucket, "request-payment", "", doc);
}

Result<OperationOutput> GetBucketRequestPayment(Env& env, const RequestContext&, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto bucket, BucketParam(in));
  CENOTE_ASSIGN_OR_RETURN(auto doc, Load(env, bucket, "request-payment"));
  if (doc) return OperationOutput(std::move(*doc));
  json::object payer;
  payer["Payer"] = "BucketOwner";
  return OperationOutput(std::move(payer));
}

Result<OperationOutput> PutBucketNotificationConfiguration(Env& env, const RequestContext& ctx,
                                                           OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto bucket, BucketParam(in));
  CENOTE_ASSIGN_OR_RETURN(auto doc, Payload(in, "NotificationConfiguration"));
  std::set<std::string> ids;
  CENOTE_RETURN_IF_ERROR(ValidateNotifications(doc, "TopicConfigurations", "TopicArn", "sns", ids));
  CENOTE_RETURN_IF_ERROR(ValidateNotifications(doc, "QueueConfigurations", "QueueArn", "sqs", ids));
  CENOTE_RETURN_IF_ERROR(
      ValidateNotifications(doc, "LambdaFunctionConfigurations", "LambdaFunctionArn", "lambda", ids));
  // An empty configuration turns notifications off.
  if (doc.empty()) {
    CENOTE_ASSIGN_OR_RETURN(auto txn, env.Write());
    CENOTE_RETURN_IF_ERROR(RequireBucket(*txn, bucket));
    CENOTE_RETURN_IF_ERROR(DropBucketConfig(*txn, bucket, "notification", ""));
    CENOTE_RETURN_IF_ERROR(txn->Commit());
    env.notifications->SetConfig(bucket, nullptr);
    return OperationOutput{};
  }
  // As S3: an s3:TestEvent to every destination first; one that cannot be reached refuses the whole
  // configuration (unless the request skips the check).
  if (!GetBool(P(in), "SkipDestinationValidation").value_or(false)) {
    BucketRow b;
    {
      CENOTE_ASSIGN_OR_RETURN(auto txn, env.Read());
      CENOTE_ASSIGN_OR_RETURN(b, RequireBucket(*txn, bucket));
    }
    auto failed = env.notifications->TestDestinations(doc, b, ctx);
    if (!failed.empty()) {
      return InvalidArgumentError(errors::kUnableToValidateDestinations, failed.front(),
                                  "Permissions on the destination do not allow S3 to publish notifications "
                                  "from this bucket, or the destination does not exist");
    }
  }
  CENOTE_ASSIGN_OR_RETURN(auto out, Store(env, bucket, "notification", "", doc));
  env.notifications->SetConfig(bucket, &doc);
  return out;
}

Result<OperationOutput> GetBucketNotificationConfiguration(Env& env, const RequestContext&,
                                                           OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto bucket, BucketParam(in));
  CENOTE_ASSIGN_OR_RETURN(auto doc, Load(env, bucket, "notification"));
  return OperationOutput(doc.value_or(json::object()));
}

Result<OperationOutput> PutBucketOwnershipControls(Env& env, const RequestContext&, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto bucket, BucketParam(in));
  CENOTE_ASSIGN_OR_RETURN(auto doc, Payload(in, "OwnershipControls"));
  const json::array* rules = GetArray(doc, "Rules");
  if (rules == nullptr || rules->size() != 1 || !(*rules)[0].is_object())
    return MakeError(errors::kMalformedXML);
  auto ownership = GetString((*rules)[0].as_object(), "ObjectOwnership").value_or("");
  if (!OneOf(ownership, {"BucketOwnerPreferred", "ObjectWriter", "BucketOwnerEnforced"})) {
    return MakeError(errors::kMalformedXML);
  }
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.Write());
  CENOTE_ASSIGN_OR_RETURN(auto b, RequireBucket(*txn, bucket));
  if (ownership == "BucketOwnerEnforced") {
    // ACLs stop counting; S3 refuses while the bucket's ACL grants anything beyond its owner's full control.
    CENOTE_ASSIGN_OR_RETURN(auto acl, LoadBucketAcl(*txn, b));
    if (!AclIsOwnerOnly(acl, b.owner_id)) return MakeError(errors::kInvalidBucketAclWithObjectOwnership);
  }
  CENOTE_RETURN_IF_ERROR(StoreBucketConfig(*txn, bucket, "ownership", "", doc));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return OperationOutput{};
}

Result<OperationOutput> GetBucketOwnershipControls(Env& env, const RequestContext&, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto bucket, BucketParam(in));
  CENOTE_ASSIGN_OR_RETURN(auto doc, Load(env, bucket, "ownership"));
  if (!doc) return MakeError(errors::kOwnershipControlsNotFound).With("BucketName", bucket);
  OperationOutput out;
  out.result.as_object()["OwnershipControls"] = std::move(*doc);
  return out;
}

Result<OperationOutput> DeleteBucketOwnershipControls(Env& env, const RequestContext&, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto bucket, BucketParam(in));
  return Drop(env, bucket, "ownership");
}

Result<OperationOutput> PutPublicAccessBlock(Env& env, const RequestContext&, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto bucket, BucketParam(in));
  CENOTE_ASSIGN_OR_RETURN(auto given, Payload(in, "PublicAccessBlockConfiguration"));
  // Stored with all four settings; an omitted one is false.
  json::object doc;
  for (const char* name :
       {"BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"}) {
    doc[name] = GetBool(given, name).value_or(false);
  }
  return Store(env, bucket, "public-access-block", "", doc);
}

Result<OperationOutput> GetPublicAccessBlock(Env& env, const RequestContext&, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto bucket, BucketParam(in));
  CENOTE_ASSIGN_OR_RETURN(auto doc, Load(env, bucket, "public-access-block"));
  if (!doc) return MakeError(errors::kNoSuchPublicAccessBlockConfiguration).With("BucketName", bucket);
  OperationOutput out;
  out.result.as_object()["PublicAccessBlockConfiguration"] = std::move(*doc);
  return out;
}

Result<OperationOutput> DeletePublicAccessBlock(Env& env, const RequestContext&, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto bucket, BucketParam(in));
  return Drop(env, bucket, "public-access-block");
}

Result<OperationOutput> GetBucketPolicyStatus(Env& env, const RequestContext&, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto bucket, BucketParam(in));
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.Read());
  CENOTE_ASSIGN_OR_RETURN(auto b, RequireBucket(*txn, bucket));
  if (!b.policy) return MakeError(errors::kNoSuchBucketPolicy).With("BucketName", bucket);
  json::object status;
  status["IsPublic"] = PolicyIsPublic(*b.policy);
  OperationOutput out;
  out.result.as_object()["PolicyStatus"] = std::move(status);
  return out;
}

Result<OperationOutput> PutBucketAnalyticsConfiguration(Env& env, const RequestContext&, OperationInput& in) {
  return PutById(env, in, kAnalytics);
}
Result<OperationOutput> GetBucketAnalyticsConfiguration(Env& env, const RequestContext&, OperationInput& in) {
  return GetById(env, in, kAnalytics);
}
Result<OperationOutput> DeleteBucketAnalyticsConfiguration(Env& env, const RequestContext&,
                                                           OperationInput& in) {
  return DeleteById(env, in, kAnalytics);
}
Result<OperationOutput> ListBucketAnalyticsConfigurations(Env& env, const RequestContext&,
                                                          OperationInput& in) {
  return ListById(env, in, kAnalytics);
}
Result<OperationOutput> PutBucketMetricsConfiguration(Env& env, const RequestContext&, OperationInput& in) {
  return PutById(env, in, kMetrics);
}
Result<OperationOutput> GetBucketMetricsConfiguration(Env& env, const RequestContext&, OperationInput& in) {
  return GetById(env, in, kMetrics);
}
Result<OperationOutput> DeleteBucketMetricsConfiguration(Env& env, const RequestContext&,
                                                         OperationInput& in) {
  return DeleteById(env, in, kMetrics);
}
Result<OperationOutput> ListBucketMetricsConfigurations(Env& env, const RequestContext&, OperationInput& in) {
  return ListById(env, in, kMetrics);
}
Result<OperationOutput> PutBucketInventoryConfiguration(Env& env, const RequestContext&, OperationInput& in) {
  return PutById(env, in, kInventory);
}
Result<OperationOutput> GetBucketInventoryConfiguration(Env& env, const RequestContext&, OperationInput& in) {
  return GetById(env, in, kInventory);
}
Result<OperationOutput> DeleteBucketInventoryConfiguration(Env& env, const RequestContext&,
                                                           OperationInput& in) {
  return DeleteById(env, in, kInventory);
}
Result<OperationOutput> ListBucketInventoryConfigurations(Env& env, const RequestContext&,
                                                          OperationInput& in) {
  return ListById(env, in, kInventory);
}
Result<OperationOutput> PutBucketIntelligentTieringConfiguration(Env& env, const RequestContext&,
                                                                 OperationInput& in) {
  return PutById(env, in, kIntelligentTiering);
}
Result<OperationOutput> GetBucketIntelligentTieringConfiguration(Env& env, const RequestContext&,
                                                                 OperationInput& in) {
  return GetById(env, in, kIntelligentTiering);
}
Result<OperationOutput> DeleteBucketIntelligentTieringConfiguration(Env& env, const RequestContext&,
                                                                    OperationInput& in) {
  return DeleteById(env, in, kIntelligentTiering);
}
Result<OperationOutput> ListBucketIntelligentTieringConfigurations(Env& env, const RequestContext&,
                                                                   OperationInput& in) {
  return ListById(env, in, kIntelligentTiering);
}

// Delete of lifecycle, website and encryption succeeds with nothing to delete. (Replication:
// replication.cpp.)

Result<OperationOutput> DeleteBucketLifecycle(Env& env, const RequestContext&, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto bucket, BucketParam(in));
  return Drop(env, bucket, "lifecycle");
}

namespace {

// A website configuration as S3 validates it: RedirectAllRequestsTo alone, or an IndexDocument (a suffix
// without '/') with an optional ErrorDocument and up to 50 routing rules, each with a Redirect.
Status ValidateWebsite(const json::object& doc) {
  auto invalid = [](const services::ErrorSpec& spec) { return MakeError(spec); };
  const json::object* redirect_all = services::GetObject(doc, "RedirectAllRequestsTo");
  if (redirect_all) {
    if (doc.contains("IndexDocument") || doc.contains("ErrorDocument") || doc.contains("RoutingRules")) {
      return invalid(errors::kWebsiteRedirectAllWithOthers);
    }
    if (GetString(*redirect_all, "HostName").value_or("").empty()) return invalid(errors::kMalformedXML);
    auto protocol = GetString(*redirect_all, "Protocol");
    if (protocol && *protocol != "http" && *protocol != "https") return invalid(errors::kWebsiteBadProtocol);
    return Status::Ok();
  }
  const json::object* index = services::GetObject(doc, "IndexDocument");
  if (!index) return invalid(errors::kWebsiteIndexMissing);
  const std::string suffix = GetString(*index, "Suffix").value_or("");
  if (suffix.empty() || suffix.find('/') != std::string::npos) return invalid(errors::kWebsiteIndexMalformed);
  if (const json::object* error_doc = services::GetObject(doc, "ErrorDocument")) {
    if (GetString(*error_doc, "Key").value_or("").empty()) return invalid(errors::kMalformedXML);
  }
  if (const json::array* rules = GetArray(doc, "RoutingRules")) {
    if (rules->size() > 50) return invalid(errors::kWebsiteTooManyRoutingRules);
    for (const auto& r : *rules) {
      if (!r.is_object()) return invalid(errors::kMalformedXML);
      const json::object* redirect = services::GetObject(r.as_object(), "Redirect");
      if (!redirect) return invalid(errors::kMalformedXML);
      if (redirect->contains("ReplaceKeyPrefixWith") && redirect->contains("ReplaceKeyWith")) {
        return invalid(errors::kWebsiteReplaceKeyBoth);
      }
      auto protocol = GetString(*redirect, "Protocol");
      if (protocol && *protocol != "http" && *protocol != "https")
        return invalid(errors::kWebsiteBadProtocol);
      if (auto code = GetString(*redirect, "HttpRedirectCode")) {
        if (code->size() != 3 || (*code)[0] != '3') return invalid(errors::kWebsiteBadRedirectCode);
      }
    }
  }
  return Status::Ok();
}

}  // namespace

// Stored, validated and returned. The website endpoint itself serves anonymous readers, so it waits for the
// identity issue's authorizer (docs/s3-coverage.md).
Result<OperationOutput> PutBucketWebsite(Env& env, const RequestContext&, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto bucket, BucketParam(in));
  CENOTE_ASSIGN_OR_RETURN(auto doc, Payload(in, "WebsiteConfiguration"));
  CENOTE_RETURN_IF_ERROR(ValidateWebsite(doc));
  return Store(env, bucket, "website", "", doc);
}

Result<OperationOutput> GetBucketWebsite(Env& env, const RequestContext&, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto bucket, BucketParam(in));
  CENOTE_ASSIGN_OR_RETURN(auto doc, Load(env, bucket, "website"));
  if (!doc) return MakeError(errors::kNoSuchWebsiteConfiguration).With("BucketName", bucket);
  return OperationOutput(std::move(*doc));
}

Result<OperationOutput> DeleteBucketWebsite(Env& env, const RequestContext&, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto bucket, BucketParam(in));
  return Drop(env, bucket, "website");
}

Result<std::optional<ServerAccessLogs::Target>> LoggingTarget(Transaction& txn, std::string_view bucket) {
  CENOTE_ASSIGN_OR_RETURN(auto doc, LoadBucketConfig(txn, bucket, "logging", ""));
  const auto* enabled = doc ? services::GetObject(*doc, "LoggingEnabled") : nullptr;
  if (enabled == nullptr) return std::optional<ServerAccessLogs::Target>();
  CENOTE_ASSIGN_OR_RETURN(auto b, LoadBucket(txn, bucket));
  if (!b) return std::optional<ServerAccessLogs::Target>();
  ServerAccessLogs::Target target;
  target.bucket = GetString(*enabled, "TargetBucket").value_or("");
  target.prefix = GetString(*enabled, "TargetPrefix").value_or("");
  target.owner_id = b->owner_id;
  target.owner_account = b->owner_account;
  target.region = b->region;
  return std::optional<ServerAccessLogs::Target>(std::move(target));
}

Result<OperationOutput> PutBucketLogging(Env& env, const RequestContext&, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto bucket, BucketParam(in));
  CENOTE_ASSIGN_OR_RETURN(auto status, Payload(in, "BucketLoggingStatus"));
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.Write());
  CENOTE_ASSIGN_OR_RETURN(auto b, RequireBucket(*txn, bucket));
  const auto* enabled = services::GetObject(status, "LoggingEnabled");
  if (enabled == nullptr) {
    // An empty BucketLoggingStatus turns logging off.
    CENOTE_RETURN_IF_ERROR(DropBucketConfig(*txn, bucket, "logging", ""));
  } else {
    auto target_name = GetString(*enabled, "TargetBucket");
    if (!target_name || !enabled->contains("TargetPrefix")) return MakeError(errors::kMalformedXML);
    CENOTE_ASSIGN_OR_RETURN(auto target, LoadBucket(*txn, *target_name));
    if (!target) return MakeError(errors::kLoggingTargetMissing).With("TargetBucket", *target_name);
    if (target->owner_account != b.owner_account) {
      return MakeError(errors::kLoggingTargetOtherOwner).With("TargetBucket", *target_name);
    }
    if (target->region != b.region)
      return MakeError(errors::kLoggingTargetOtherRegion).With("TargetBucket", *target_name);
    // Grants on the target need its ACLs; a BucketOwnerEnforced target has none.
    if (enabled->contains("TargetGrants")) {
      CENOTE_ASSIGN_OR_RETURN(auto ownership, BucketOwnership(*txn, *target_name));
      if (ownership == "BucketOwnerEnforced") return MakeError(errors::kAccessControlListNotSupported);
    }
    CENOTE_RETURN_IF_ERROR(StoreBucketConfig(*txn, bucket, "logging", "", status));
  }
  CENOTE_ASSIGN_OR_RETURN(auto target, LoggingTarget(*txn, bucket));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  if (env.access_logs != nullptr) env.access_logs->SetTarget(bucket, std::move(target));
  return OperationOutput{};
}

Result<OperationOutput> GetBucketLogging(Env& env, const RequestContext&, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto bucket, BucketParam(in));
  CENOTE_ASSIGN_OR_RETURN(auto doc, Load(env, bucket, "logging"));
  return OperationOutput(doc.value_or(json::object()));  // {} : logging disabled
}

// Default encryption: one rule, SSE-S3 (AES256), SSE-KMS (aws:kms, with KMSMasterKeyID or the AWS managed key
// aws/s3) or DSSE-KMS (aws:kms:dsse), optionally with a bucket key. The key is not checked here, as on AWS:
// writes that use it are.
Result<OperationOutput> PutBucketEncryption(Env& env, const RequestContext&, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto bucket, BucketParam(in));
  CENOTE_ASSIGN_OR_RETURN(auto doc, Payload(in, "ServerSideEncryptionConfiguration"));
  const json::array* rules = GetArray(doc, "Rules");
  if (!rules || rules->size() != 1 || !rules->front().is_object()) return MakeError(errors::kMalformedXML);
  const json::object& rule = rules->front().as_object();
  const json::object* by_default = services::GetObject(rule, "ApplyServerSideEncryptionByDefault");
  if (!by_default) return MakeError(errors::kMalformedXML);
  const std::string algorithm = GetString(*by_default, "SSEAlgorithm").value_or("");
  const bool kms = algorithm == "aws:kms" || algorithm == "aws:kms:dsse";
  if (kms && env.invoker == nullptr) return MakeError(errors::kSseKmsNotImplemented);
  if (algorithm != "AES256" && !kms) return MakeError(errors::kMalformedXML);
  if (!kms && by_default->contains("KMSMasterKeyID")) {
    return InvalidArgumentError(errors::kKmsKeyIdWithoutKms, "ApplyServerSideEncryptionByDefault",
                                "KMSMasterKeyID");
  }
  json::object stored_default;
  stored_default["SSEAlgorithm"] = algorithm;
  if (auto key = GetString(*by_default, "KMSMasterKeyID"); kms && key && !key->empty()) {
    stored_default["KMSMasterKeyID"] = *key;
  }
  json::object stored_rule;
  stored_rule["ApplyServerSideEncryptionByDefault"] = std::move(stored_default);
  stored_rule["BucketKeyEnabled"] = GetBool(rule, "BucketKeyEnabled").value_or(false);
  json::object stored;
  stored["Rules"] = json::array{std::move(stored_rule)};
  return Store(env, bucket, "encryption", "", stored);
}

Result<OperationOutput> GetBucketEncryption(Env& env, const RequestContext&, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto bucket, BucketParam(in));
  CENOTE_ASSIGN_OR_RETURN(auto doc, Load(env, bucket, "encryption"));
  if (!doc) return MakeError(errors::kServerSideEncryptionConfigurationNotFound).With("BucketName", bucket);
  json::object out;
  out["ServerSideEncryptionConfiguration"] = std::move(*doc);
  return OperationOutput(std::move(out));
}

Result<OperationOutput> DeleteBucketEncryption(Env& env, const RequestContext&, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto bucket, BucketParam(in));
  return Drop(env, bucket, "encryption");
}

}  // namespace cenote::s3
