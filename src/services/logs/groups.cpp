// Log groups, log streams, retention, tags and resource policies.
#include <algorithm>

#include "common/encoding.hpp"
#include "common/java_regex.hpp"
#include "common/strings.hpp"
#include "services/logs/internal.hpp"

namespace cenote::logs {

using services::MakeError;
using store::AsInt;
using store::AsText;
using store::IsNull;
using store::Value;

const std::vector<int>& RetentionDays() {
  static const std::vector<int> kDays = {1,   3,   5,   7,   14,   30,   60,   90,   120,  150,  180,
                                         365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653};
  return kDays;
}

std::string GroupArn(const std::string& region, const std::string& account, const std::string& name) {
  return "arn:aws:logs:" + region + ":" + account + ":log-group:" + name;
}

std::string StreamArn(const GroupRow& g, const std::string& stream) {
  return GroupArn(g.region, g.account, g.name) + ":log-stream:" + stream;
}

std::optional<GroupKey> ParseGroupArn(std::string_view arn) {
  // arn:<partition>:logs:<region>:<account>:log-group:<name>[:*]
  std::vector<std::string_view> parts = SplitString(arn, ':');
  if (parts.size() < 7 || parts[0] != "arn" || parts[2] != "logs" || parts[5] != "log-group")
    return std::nullopt;
  if (parts.size() > 8 || (parts.size() == 8 && parts[7] != "*")) return std::nullopt;
  return GroupKey{
      .account = std::string(parts[4]), .region = std::string(parts[3]), .name = std::string(parts[6])};
}

Result<GroupKey> RequestGroup(const RequestContext& ctx, const json::object& params) {
  auto name = GetString(params, "logGroupName");
  auto identifier = GetString(params, "logGroupIdentifier");
  if (name && identifier) {
    return MakeError(errors::kInvalidParameter,
                     {"LogGroup name and LogGroup ARN are mutually exclusive parameters."});
  }
  if (!name && !identifier) {
    return MakeError(errors::kInvalidParameter, {"Should provide either name or ARN of LogGroup."});
  }
  if (identifier && identifier->starts_with("arn:")) {
    auto key = ParseGroupArn(*identifier);
    if (!key) return MakeError(errors::kInvalidParameter, {"Invalid log group ARN: " + *identifier});
    return *key;
  }
  return GroupKey{.account = ctx.account_id(), .region = ctx.region, .name = name ? *name : *identifier};
}

namespace {

constexpr std::string_view kGroupColumns =
    "id, account, region, name, created, retention_days, kms_key_id, class, tags";

GroupRow GroupFromRow(const store::Row& r) {
  GroupRow g;
  g.id = AsInt(r[0]);
  g.account = AsText(r[1]);
  g.region = AsText(r[2]);
  g.name = AsText(r[3]);
  g.created = AsInt(r[4]);
  if (!IsNull(r[5])) g.retention_days = AsInt(r[5]);
  g.kms_key_id = AsText(r[6]);
  g.log_group_class = AsText(r[7]);
  boost::system::error_code ec;
  json::value tags = json::parse(AsText(r[8]), ec);
  if (!ec && tags.is_object()) g.tags = tags.get_object();
  return g;
}

constexpr std::string_view kStreamColumns =
    "id, group_id, name, created, first_event, last_event, last_ingestion, stored_bytes";

StreamRow StreamFromRow(const store::Row& r) {
  StreamRow s;
  s.id = AsInt(r[0]);
  s.group_id = AsInt(r[1]);
  s.name = AsText(r[2]);
  s.created = AsInt(r[3]);
  if (!IsNull(r[4])) s.first_event = AsInt(r[4]);
  if (!IsNull(r[5])) s.last_event = AsInt(r[5]);
  if (!IsNull(r[6])) s.last_ingestion = AsInt(r[6]);
  s.stored_bytes = AsInt(r[7]);
  return s;
}

json::object GroupDocument(const GroupRow& g, std::int64_t stored_bytes, std::int64_t metric_filters) {
  const std::string arn = GroupArn(g.region, g.account, g.name);
  json::object o{{"logGroupName", g.name},
                 {"creationTime", g.created},
                 {"metricFilterCount", metric_filters},
                 {"arn", arn + ":*"},
                 {"logGroupArn", arn},
                 {"storedBytes", stored_bytes},
                 {"logGroupClass", g.log_group_class}};
  if (g.retention_days) o["retentionInDays"] = *g.retention_days;
  if (!g.kms_key_id.empty()) o["kmsKeyId"] = g.kms_key_id;
  return o;
}

// Tags as AWS checks them on every tagging call: at most 50 on the resource after the change.
Status CheckTagCount(const json::object& tags, const std::string& resource) {
  if (tags.size() > kMaxTags) return MakeError(errors::kTooManyTags, {resource});
  return Status::Ok();
}

Result<GroupKey> GroupOfResourceArn(const std::string& arn) {
  auto key = ParseGroupArn(arn);
  if (!key) {
    return MakeError(errors::kInvalidParameter,
                     {"Invalid resource ARN: only log group ARNs are taggable here: " + arn});
  }
  return *key;
}

Status WriteTags(store::Transaction& txn, std::int64_t group_id, const json::object& tags) {
  return Status::FromResult(
      txn.Exec("UPDATE logs_groups SET tags = ? WHERE id = ?", {json::serialize(tags), group_id}));
}

Result<OperationOutput> ApplyTags(Env& env, const GroupKey& key, const json::object* add,
                                  const json::array* remove) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.store.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_ASSIGN_OR_RETURN(GroupRow g, RequireGroup(*txn, key));
  json::object tags = g.tags;
  if (add) {
    for (const auto& [k, v] : *add) tags[k] = v;
  }
  if (remove) {
    for (const auto& k : *remove) {
      if (k.is_string()) tags.erase(k.get_string());
    }
  }
  CENOTE_RETURN_IF_ERROR(CheckTagCount(tags, GroupArn(g.region, g.account, g.name)));
  CENOTE_RETURN_IF_ERROR(WriteTags(*txn, g.id, tags));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return json::object{};
}

Result<OperationOutput> ReadTags(Env& env, const GroupKey& key) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.store.Begin(store::MetadataStore::Mode::kRead));
  CENOTE_ASSIGN_OR_RETURN(GroupRow g, RequireGroup(*txn, key));
  return json::object{{"tags", g.tags}};
}

std::int64_t Limit(const json::object& params, std::string_view member, std::int64_t def) {
  return std::clamp<std::int64_t>(GetInt(params, member).value_or(def), 1, def);
}

}  // namespace

Result<std::optional<GroupRow>> FindGroup(store::Transaction& txn, const GroupKey& key) {
  CENOTE_ASSIGN_OR_RETURN(auto row,
                          txn.QueryOne("SELECT " + std::string(kGroupColumns) +
                                           " FROM logs_groups WHERE account = ? AND region = ? AND name = ?",
                                       {key.account, key.region, key.name}));
  if (!row) return std::optional<GroupRow>();
  return std::optional<GroupRow>(GroupFromRow(*row));
}

Result<std::optional<GroupRow>> FindGroupById(store::Transaction& txn, std::int64_t id) {
  CENOTE_ASSIGN_OR_RETURN(
      auto row,
      txn.QueryOne("SELECT " + std::string(kGroupColumns) + " FROM logs_groups WHERE id = ?", {id}));
  if (!row) return std::optional<GroupRow>();
  return std::optional<GroupRow>(GroupFromRow(*row));
}

Result<GroupRow> RequireGroup(store::Transaction& txn, const GroupKey& key) {
  CENOTE_ASSIGN_OR_RETURN(auto g, FindGroup(txn, key));
  if (!g) return MakeError(errors::kGroupNotFound);
  return std::move(*g);
}

Result<std::optional<StreamRow>> FindStream(store::Transaction& txn, std::int64_t group_id,
                                            const std::string& name) {
  CENOTE_ASSIGN_OR_RETURN(auto row, txn.QueryOne("SELECT " + std::string(kStreamColumns) +
                                                     " FROM logs_streams WHERE group_id = ? AND name = ?",
                                                 {group_id, name}));
  if (!row) return std::optional<StreamRow>();
  return std::optional<StreamRow>(StreamFromRow(*row));
}

Result<std::vector<StreamRow>> ListStreams(store::Transaction& txn, std::int64_t group_id) {
  CENOTE_ASSIGN_OR_RETURN(auto rows, txn.Query("SELECT " + std::string(kStreamColumns) +
                                                   " FROM logs_streams WHERE group_id = ? ORDER BY name",
                                               {group_id}));
  std::vector<StreamRow> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(StreamFromRow(r));
  return out;
}

std::string NameToken(std::string_view name) {
  return Base64Encode(std::string("n:") + std::string(name), Base64Alphabet::kUrlSafe);
}

std::optional<std::string> TokenName(std::string_view token) {
  Base64DecodeOptions options;
  options.standard = false;
  options.url_safe = true;
  auto raw = Base64Decode(token, options);
  if (!raw || !raw->starts_with("n:")) return std::nullopt;
  return raw->substr(2);
}

// ---- groups

Result<OperationOutput> CreateLogGroup(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  const std::string name = GetString(p, "logGroupName").value_or("");
  json::object tags;
  if (const json::object* t = GetObject(p, "tags")) tags = *t;
  const GroupKey key{.account = ctx.account_id(), .region = ctx.region, .name = name};
  CENOTE_RETURN_IF_ERROR(CheckTagCount(tags, GroupArn(key.region, key.account, name)));
  const std::string klass = GetString(p, "logGroupClass").value_or("STANDARD");
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.store.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_ASSIGN_OR_RETURN(auto existing, FindGroup(*txn, key));
  if (existing) return MakeError(errors::kGroupExists);
  CENOTE_RETURN_IF_ERROR(txn->Exec(
      "INSERT INTO logs_groups (account, region, name, created, retention_days, kms_key_id, class, tags) "
      "VALUES (?, ?, ?, ?, NULL, ?, ?, ?)",
      {key.account, key.region, name, env.now(), GetString(p, "kmsKeyId").value_or(""), klass,
       json::serialize(tags)}));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return json::object{};
}

Result<OperationOutput> DeleteLogGroup(Env& env, const RequestContext& ctx, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(GroupKey key, RequestGroup(ctx, in.params.as_object()));
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.store.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_ASSIGN_OR_RETURN(GroupRow g, RequireGroup(*txn, key));
  for (const char* sql :
       {"DELETE FROM logs_events WHERE group_id = ?", "DELETE FROM logs_streams WHERE group_id = ?",
        "DELETE FROM logs_metric_filters WHERE group_id = ?",
        "DELETE FROM logs_subscription_filters WHERE group_id = ?", "DELETE FROM logs_groups WHERE id = ?"}) {
    CENOTE_RETURN_IF_ERROR(txn->Exec(sql, {g.id}));
  }
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return json::object{};
}

Result<OperationOutput> DescribeLogGroups(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  auto prefix = GetString(p, "logGroupNamePrefix");
  auto pattern = GetString(p, "logGroupNamePattern");
  if (prefix && pattern) {
    return MakeError(errors::kInvalidParameter,
                     {"LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters."});
  }
  const std::int64_t limit = Limit(p, "limit", 50);
  std::string after;
  if (auto token = GetString(p, "nextToken")) {
    auto name = TokenName(*token);
    if (!name) return MakeError(errors::kInvalidParameter, {"The specified nextToken is invalid."});
    after = *name;
  }
  const std::string klass = GetString(p, "logGroupClass").value_or("");
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.store.Begin(store::MetadataStore::Mode::kRead));
  CENOTE_ASSIGN_OR_RETURN(
      auto rows,
      txn->Query("SELECT " + std::string(kGroupColumns) +
                     ", (SELECT COALESCE(SUM(stored_bytes), 0) FROM logs_streams s WHERE s.group_id = g.id), "
                     "(SELECT COUNT(*) FROM logs_metric_filters m WHERE m.group_id = g.id) "
                     "FROM logs_groups g WHERE account = ? AND region = ? AND name > ? ORDER BY name",
                 {ctx.account_id(), ctx.region, after}));
  // logGroupNamePattern: a case-insensitive substring match.
  const std::string needle = pattern ? AsciiLower(*pattern) : "";
  json::array groups;
  std::optional<std::string> next;
  for (const auto& r : rows) {
    GroupRow g = GroupFromRow(r);
    if (prefix && !g.name.starts_with(*prefix)) continue;
    if (pattern && AsciiLower(g.name).find(needle) == std::string::npos) continue;
    if (!klass.empty() && g.log_group_class != klass) continue;
    if (static_cast<std::int64_t>(groups.size()) == limit) {
      next = NameToken(groups.back().as_object().at("logGroupName").as_string());
      break;
    }
    groups.push_back(GroupDocument(g, AsInt(r[9]), AsInt(r[10])));
  }
  json::object out{{"logGroups", std::move(groups)}};
  if (next) out["nextToken"] = *next;
  return out;
}

Result<OperationOutput> PutRetentionPolicy(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  const std::int64_t days = GetInt(p, "retentionInDays").value_or(0);
  const auto& allowed = RetentionDays();
  if (std::find(allowed.begin(), allowed.end(), days) == allowed.end()) {
    std::string set;
    for (int d : allowed) set += (set.empty() ? "" : ", ") + std::to_string(d);
    return MakeError(
        errors::kInvalidParameter,
        {"1 validation error detected: Value '" + std::to_string(days) +
         "' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [" + set +
         "]"});
  }
  CENOTE_ASSIGN_OR_RETURN(GroupKey key, RequestGroup(ctx, p));
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.store.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_ASSIGN_OR_RETURN(GroupRow g, RequireGroup(*txn, key));
  CENOTE_RETURN_IF_ERROR(txn->Exec("UPDATE logs_groups SET retention_days = ? WHERE id = ?", {days, g.id}));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return json::object{};
}

Result<OperationOutput> DeleteRetentionPolicy(Env& env, const RequestContext& ctx, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(GroupKey key, RequestGroup(ctx, in.params.as_object()));
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.store.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_ASSIGN_OR_RETURN(GroupRow g, RequireGroup(*txn, key));
  CENOTE_RETURN_IF_ERROR(txn->Exec("UPDATE logs_groups SET retention_days = NULL WHERE id = ?", {g.id}));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return json::object{};
}

Status ApplyRetention(Env& env) {
  const std::int64_t now = env.now();
  std::vector<std::pair<std::int64_t, std::int64_t>> cutoffs;  // (group, cutoff)
  {
    CENOTE_ASSIGN_OR_RETURN(auto txn, env.store.Begin(store::MetadataStore::Mode::kRead));
    CENOTE_ASSIGN_OR_RETURN(
        auto rows, txn->Query("SELECT id, retention_days FROM logs_groups WHERE retention_days IS NOT NULL"));
    for (const auto& r : rows) cutoffs.emplace_back(AsInt(r[0]), now - AsInt(r[1]) * env.day_ms());
  }
  for (const auto& [group_id, cutoff] : cutoffs) {
    CENOTE_ASSIGN_OR_RETURN(auto txn, env.store.Begin(store::MetadataStore::Mode::kWrite));
    CENOTE_ASSIGN_OR_RETURN(
        std::int64_t removed,
        txn->Exec("DELETE FROM logs_events WHERE group_id = ? AND ts < ?", {group_id, cutoff}));
    if (removed == 0) continue;
    // The streams' counters follow what is left.
    CENOTE_RETURN_IF_ERROR(
        txn->Exec("UPDATE logs_streams SET "
                  "first_event = (SELECT MIN(ts) FROM logs_events e WHERE e.stream_id = logs_streams.id), "
                  "stored_bytes = (SELECT COALESCE(SUM(LENGTH(CAST(message AS BLOB))), 0) FROM logs_events e "
                  "WHERE e.stream_id = logs_streams.id) WHERE group_id = ?",
                  {group_id}));
    CENOTE_RETURN_IF_ERROR(txn->Commit());
  }
  return Status::Ok();
}

// ---- streams

Result<OperationOutput> CreateLogStream(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(GroupKey key, RequestGroup(ctx, p));
  const std::string name = GetString(p, "logStreamName").value_or("");
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.store.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_ASSIGN_OR_RETURN(GroupRow g, RequireGroup(*txn, key));
  CENOTE_ASSIGN_OR_RETURN(auto existing, FindStream(*txn, g.id, name));
  if (existing) return MakeError(errors::kStreamExists);
  CENOTE_RETURN_IF_ERROR(
      txn->Exec("INSERT INTO logs_streams (group_id, name, created, stored_bytes) VALUES (?, ?, ?, 0)",
                {g.id, name, env.now()}));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return json::object{};
}

Result<OperationOutput> DeleteLogStream(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(GroupKey key, RequestGroup(ctx, p));
  const std::string name = GetString(p, "logStreamName").value_or("");
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.store.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_ASSIGN_OR_RETURN(GroupRow g, RequireGroup(*txn, key));
  CENOTE_ASSIGN_OR_RETURN(auto s, FindStream(*txn, g.id, name));
  if (!s) return MakeError(errors::kStreamNotFound);
  CENOTE_RETURN_IF_ERROR(txn->Exec("DELETE FROM logs_events WHERE stream_id = ?", {s->id}));
  CENOTE_RETURN_IF_ERROR(txn->Exec("DELETE FROM logs_streams WHERE id = ?", {s->id}));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return json::object{};
}

Result<OperationOutput> DescribeLogStreams(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(GroupKey key, RequestGroup(ctx, p));
  const std::string order_by = GetString(p, "orderBy").value_or("LogStreamName");
  const bool descending = GetBool(p, "descending").value_or(false);
  auto prefix = GetString(p, "logStreamNamePrefix");
  if (prefix && order_by == "LastEventTime") {
    return MakeError(errors::kInvalidParameter,
                     {"Cannot order by LastEventTime with a logStreamNamePrefix."});
  }
  const std::int64_t limit = Limit(p, "limit", 50);
  std::int64_t offset = 0;
  if (auto token = GetString(p, "nextToken")) {
    auto pos = TokenName(*token);
    if (!pos || pos->empty() || !std::all_of(pos->begin(), pos->end(), IsAsciiDigit))
      return MakeError(errors::kInvalidParameter, {"The specified nextToken is invalid."});
    offset = std::stoll(*pos);
  }
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.store.Begin(store::MetadataStore::Mode::kRead));
  CENOTE_ASSIGN_OR_RETURN(GroupRow g, RequireGroup(*txn, key));
  CENOTE_ASSIGN_OR_RETURN(std::vector<StreamRow> streams, ListStreams(*txn, g.id));
  if (prefix) {
    std::erase_if(streams, [&](const StreamRow& s) { return !s.name.starts_with(*prefix); });
  }
  if (order_by == "LastEventTime") {
    std::stable_sort(streams.begin(), streams.end(), [](const StreamRow& a, const StreamRow& b) {
      return a.last_event.value_or(0) < b.last_event.value_or(0);
    });
  }
  if (descending) std::reverse(streams.begin(), streams.end());
  json::array out_streams;
  std::int64_t i = offset;
  for (; i < static_cast<std::int64_t>(streams.size()) && i < offset + limit; ++i) {
    const StreamRow& s = streams[static_cast<std::size_t>(i)];
    json::object o{{"logStreamName", s.name},
                   {"creationTime", s.created},
                   {"arn", StreamArn(g, s.name)},
                   {"storedBytes", s.stored_bytes}};
    if (s.first_event) o["firstEventTimestamp"] = *s.first_event;
    if (s.last_event) o["lastEventTimestamp"] = *s.last_event;
    if (s.last_ingestion) o["lastIngestionTime"] = *s.last_ingestion;
    out_streams.push_back(std::move(o));
  }
  json::object out{{"logStreams", std::move(out_streams)}};
  if (i < static_cast<std::int64_t>(streams.size())) out["nextToken"] = NameToken(std::to_string(i));
  return out;
}

// ---- tags

Result<OperationOutput> TagResource(Env& env, const RequestContext&, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(GroupKey key, GroupOfResourceArn(GetString(p, "resourceArn").value_or("")));
  return ApplyTags(env, key, GetObject(p, "tags"), nullptr);
}

Result<OperationOutput> UntagResource(Env& env, const RequestContext&, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(GroupKey key, GroupOfResourceArn(GetString(p, "resourceArn").value_or("")));
  return ApplyTags(env, key, nullptr, GetArray(p, "tagKeys"));
}

Result<OperationOutput> ListTagsForResource(Env& env, const RequestContext&, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(GroupKey key,
                          GroupOfResourceArn(GetString(in.params.as_object(), "resourceArn").value_or("")));
  return ReadTags(env, key);
}

Result<OperationOutput> TagLogGroup(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(GroupKey key, RequestGroup(ctx, p));
  return ApplyTags(env, key, GetObject(p, "tags"), nullptr);
}

Result<OperationOutput> UntagLogGroup(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(GroupKey key, RequestGroup(ctx, p));
  return ApplyTags(env, key, nullptr, GetArray(p, "tags"));
}

Result<OperationOutput> ListTagsLogGroup(Env& env, const RequestContext& ctx, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(GroupKey key, RequestGroup(ctx, in.params.as_object()));
  return ReadTags(env, key);
}

// ---- resource policies (per account and region; stored, not yet enforced)

Result<OperationOutput> PutResourcePolicy(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  const std::string name = GetString(p, "policyName").value_or("");
  const std::string document = GetString(p, "policyDocument").value_or("");
  if (name.empty()) return MakeError(errors::kInvalidParameter, {"policyName is required."});
  boost::system::error_code ec;
  json::value parsed = json::parse(document, ec);
  if (ec || !parsed.is_object()) {
    return MakeError(errors::kInvalidParameter, {"Policy document is not valid JSON."});
  }
  const std::int64_t now = env.now();
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.store.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_ASSIGN_OR_RETURN(auto count,
                          txn->QueryOne("SELECT COUNT(*), SUM(name = ?) FROM logs_resource_policies "
                                        "WHERE account = ? AND region = ?",
                                        {name, ctx.account_id(), ctx.region}));
  if (count && AsInt((*count)[0]) >= static_cast<std::int64_t>(kMaxResourcePolicies) &&
      AsInt((*count)[1]) == 0) {
    return MakeError(errors::kLimitExceeded, {"Resource limit exceeded."});
  }
  CENOTE_RETURN_IF_ERROR(txn->Exec(
      "INSERT INTO logs_resource_policies (account, region, name, document, updated) VALUES (?, ?, ?, ?, ?) "
      "ON CONFLICT (account, region, name) DO UPDATE SET document = excluded.document, updated = "
      "excluded.updated",
      {ctx.account_id(), ctx.region, name, document, now}));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return json::object{
      {"resourcePolicy",
       json::object{{"policyName", name}, {"policyDocument", document}, {"lastUpdatedTime", now}}}};
}

Result<OperationOutput> DescribeResourcePolicies(Env& env, const RequestContext& ctx, OperationInput&) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.store.Begin(store::MetadataStore::Mode::kRead));
  CENOTE_ASSIGN_OR_RETURN(auto rows, txn->Query("SELECT name, document, updated FROM logs_resource_policies "
                                                "WHERE account = ? AND region = ? ORDER BY name",
                                                {ctx.account_id(), ctx.region}));
  json::array out;
  for (const auto& r : rows) {
    out.push_back(json::object{
        {"policyName", AsText(r[0])}, {"policyDocument", AsText(r[1])}, {"lastUpdatedTime", AsInt(r[2])}});
  }
  return json::object{{"resourcePolicies", std::move(out)}};
}

Result<OperationOutput> DeleteResourcePolicy(Env& env, const RequestContext& ctx, OperationInput& in) {
  const std::string name = GetString(in.params.as_object(), "policyName").value_or("");
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.store.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_ASSIGN_OR_RETURN(
      std::int64_t n,
      txn->Exec("DELETE FROM logs_resource_policies WHERE account = ? AND region = ? AND name = ?",
                {ctx.account_id(), ctx.region, name}));
  if (n == 0) return MakeError(errors::kPolicyNotFound, {name});
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return json::object{};
}

}  // namespace cenote::logs
