// Schedule groups and schedules: the handlers, their persistence, and schedule expressions (at(), rate(),
// cron() in a time zone, within StartDate/EndDate).
#include <ctime>

#include "common/aws_cron.hpp"
#include "common/strings.hpp"
#include "services/scheduler/internal.hpp"

namespace cenote::scheduler {

std::string GroupArn(const Where& w, std::string_view group) {
  return "arn:aws:scheduler:" + w.region + ":" + w.account + ":schedule-group/" + std::string(group);
}
std::string ScheduleArn(const Where& w, std::string_view group, std::string_view name) {
  return "arn:aws:scheduler:" + w.region + ":" + w.account + ":schedule/" + std::string(group) + "/" +
         std::string(name);
}
std::string ArnField(std::string_view arn, int n) {
  std::size_t at = 0;
  for (int field = 0; field < n; ++field) {
    at = arn.find(':', at);
    if (at == std::string_view::npos) return "";
    ++at;
  }
  if (n == 5) return std::string(arn.substr(at));
  auto end = arn.find(':', at);
  return end == std::string_view::npos ? "" : std::string(arn.substr(at, end - at));
}
std::string IsoMillis(std::int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof(out), "%s.%03dZ", buf, static_cast<int>(ms % 1000));
  return out;
}

namespace {

// ---- expressions ----

std::optional<std::int64_t> ParseAt(std::string_view e) {
  // at(yyyy-mm-ddThh:mm:ss)
  if (!e.starts_with("at(") || !e.ends_with(")") || e.size() != 23) return std::nullopt;
  std::string s(e.substr(3, 19));
  std::tm tm{};
  const char* end = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  return static_cast<std::int64_t>(timegm(&tm));
}

std::optional<std::int64_t> ParseRateMs(std::string_view e) {
  if (!e.starts_with("rate(") || !e.ends_with(")")) return std::nullopt;
  std::string_view inner = TrimAsciiSpace(e.substr(5, e.size() - 6));
  auto space = inner.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  std::string_view number = inner.substr(0, space), unit = TrimAsciiSpace(inner.substr(space + 1));
  if (number.empty() || number.size() > 9 || !std::all_of(number.begin(), number.end(), IsAsciiDigit)) {
    return std::nullopt;
  }
  const std::int64_t n = std::stoll(std::string(number));
  if (n <= 0) return std::nullopt;
  std::int64_t unit_ms = 0;
  if (unit == "minute" || unit == "minutes") unit_ms = 60'000;
  if (unit == "hour" || unit == "hours") unit_ms = 3'600'000;
  if (unit == "day" || unit == "days") unit_ms = 86'400'000;
  if (unit_ms == 0) return std::nullopt;
  return n * unit_ms;
}

std::shared_ptr<const TimeZone> ZoneOf(const json::object& doc) {
  return TimeZone::Find(GetString(doc, "ScheduleExpressionTimezone").value_or("UTC"));
}

}  // namespace

Status CheckExpression(const json::object& doc) {
  const std::string e = GetString(doc, "ScheduleExpression").value_or("");
  if (!ZoneOf(doc)) {
    return MakeError(errors::kValidation, {"Invalid time zone " +
                                           GetString(doc, "ScheduleExpressionTimezone").value_or("") + "."});
  }
  if (ParseAt(e) || ParseRateMs(e) || (e.starts_with("cron(") && CronSchedule::Parse(e).ok()))
    return Status::Ok();
  return MakeError(errors::kValidation, {"Invalid Schedule Expression " + e + "."});
}

std::int64_t NextFiring(const json::object& doc, std::int64_t created_ms, std::int64_t after_ms,
                        std::int64_t last_ms) {
  if (GetString(doc, "State").value_or("ENABLED") == "DISABLED") return -1;
  const std::string e = GetString(doc, "ScheduleExpression").value_or("");
  auto zone = ZoneOf(doc);
  if (!zone) return -1;
  if (auto at = ParseAt(e)) {
    // StartDate and EndDate do not apply to one-time schedules. A time that passed before it fired (downtime,
    // or a past time at creation) fires at once.
    if (last_ms > 0) return -1;
    return zone->ToUtc(*at) * 1000;
  }
  const std::int64_t start = GetInt(doc, "StartDate").value_or(0);
  const std::int64_t end = GetInt(doc, "EndDate").value_or(0);
  after_ms = std::max(after_ms, start - 1);
  std::int64_t next = -1;
  if (auto period = ParseRateMs(e)) {
    const std::int64_t base = start > 0 ? start : created_ms;
    const std::int64_t elapsed = after_ms - base;
    next = elapsed < 0 ? base : base + (elapsed / *period + 1) * *period;
  } else if (auto cron = CronSchedule::Parse(e)) {
    std::int64_t after_s = after_ms / 1000;
    for (int guard = 0; guard < 4 && next < 0; ++guard) {
      auto local = cron->NextAfter(after_s + zone->OffsetAt(after_s));
      if (!local) return -1;
      const std::int64_t utc = zone->ToUtc(*local);
      if (utc * 1000 > after_ms) {
        next = utc * 1000;
      } else {
        after_s = utc + 60;
      }
    }
  }
  if (next >= 0 && end > 0 && next > end) return -1;
  return next;
}

// ---- persistence ----

Status Env::SaveGroup(store::Transaction& txn, const Group& g) {
  json::object tags;
  for (const auto& [k, v] : g.tags) tags[k] = v;
  json::object doc{{"tags", std::move(tags)}, {"created", g.created_ms}, {"modified", g.modified_ms}};
  return Status::FromResult(
      txn.Exec("INSERT INTO scheduler_groups (account, region, name, doc) VALUES (?, ?, ?, ?) "
               "ON CONFLICT (account, region, name) DO UPDATE SET doc = excluded.doc",
               {g.where.account, g.where.region, g.name, json::serialize(doc)}));
}

Status Env::SaveSchedule(store::Transaction& txn, const Schedule& s) {
  json::object doc{{"schedule", s.doc}, {"next", s.next_ms}, {"last", s.last_ms}};
  return Status::FromResult(
      txn.Exec("INSERT INTO scheduler_schedules (account, region, name, doc) VALUES (?, ?, ?, ?) "
               "ON CONFLICT (account, region, name) DO UPDATE SET doc = excluded.doc",
               {s.where.account, s.where.region, s.group + "/" + s.name, json::serialize(doc)}));
}

Group* Env::FindGroup(const Where& w, const std::string& name) {
  auto it = groups.find({w, name});
  if (it != groups.end()) return &it->second;
  if (name != kDefaultGroup) return nullptr;
  Group g;
  g.where = w;
  g.name = std::string(kDefaultGroup);
  g.arn = GroupArn(w, g.name);
  return &groups.emplace(std::make_pair(w, g.name), std::move(g)).first->second;
}

void Env::Arm(const ScheduleKey& key, const Schedule& s) {
  for (auto it = timers.begin(); it != timers.end();)
    it = it->second == key ? timers.erase(it) : std::next(it);
  if (s.next_ms >= 0) timers.emplace(s.next_ms, key);
}

namespace {

template <typename Fn>
Status InWrite(Env& env, Fn&& fn) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_RETURN_IF_ERROR(fn(*txn));
  return txn->Commit();
}

struct PageBounds {
  std::size_t begin = 0, end = 0;
  std::optional<std::string> next_token;
};

Result<PageBounds> Page(const json::object& p, std::size_t total) {
  PageBounds b;
  if (auto token = GetString(p, "NextToken")) {
    if (token->empty() || token->size() > 9 || !std::all_of(token->begin(), token->end(), IsAsciiDigit)) {
      return MakeError(errors::kValidation, {"Invalid NextToken."});
    }
    b.begin = std::min<std::size_t>(std::stoul(*token), total);
  }
  std::size_t limit = 100;
  if (auto m = GetInt(p, "MaxResults"); m && *m > 0) limit = static_cast<std::size_t>(*m);
  b.end = std::min(total, b.begin + limit);
  if (b.end < total) b.next_token = std::to_string(b.end);
  return b;
}

const std::set<std::string>& TemplatedServices() {
  static const std::set<std::string> kServices = {"sqs",    "sns",    "kinesis", "firehose",
                                                  "events", "lambda", "states"};
  return kServices;
}

// The checks CreateSchedule and UpdateSchedule make beyond the model's.
Status CheckSchedule(const json::object& p) {
  CENOTE_RETURN_IF_ERROR(CheckExpression(p));
  const json::object* window = GetObject(p, "FlexibleTimeWindow");
  const std::string mode = window ? GetString(*window, "Mode").value_or("") : "";
  if (mode == "FLEXIBLE" && !GetInt(*window, "MaximumWindowInMinutes")) {
    return MakeError(errors::kValidation, {"MaximumWindowInMinutes is required when Mode is FLEXIBLE."});
  }
  if (mode == "OFF" && window->contains("MaximumWindowInMinutes")) {
    return MakeError(errors::kValidation, {"MaximumWindowInMinutes must not be set when Mode is OFF."});
  }
  const json::object* target = GetObject(p, "Target");
  const std::string arn = target ? GetString(*target, "Arn").value_or("") : "";
  const std::string service = ArnField(arn, 2);
  if (service == "scheduler") {
    // Universal target: arn:aws:scheduler:::aws-sdk:<service>:<apiAction>
    const std::string rest = ArnField(arn, 5);
    if (!rest.starts_with("aws-sdk:") || rest.find(':', 8) == std::string::npos) {
      return MakeError(errors::kValidation, {"Invalid target arn " + arn + "."});
    }
  } else if (!TemplatedServices().contains(service)) {
    return MakeError(errors::kValidation, {"Invalid target arn " + arn + "."});
  }
  if (service == "sqs" && arn.ends_with(".fifo") &&
      (!GetObject(*target, "SqsParameters") ||
       !GetString(*GetObject(*target, "SqsParameters"), "MessageGroupId"))) {
    return MakeError(errors::kValidation,
                     {"SqsParameters.MessageGroupId is required for a FIFO queue target."});
  }
  if (service == "kinesis" && !GetObject(*target, "KinesisParameters")) {
    return MakeError(errors::kValidation,
                     {"KinesisParameters.PartitionKey is required for a Kinesis target."});
  }
  if (service == "events" && !GetObject(*target, "EventBridgeParameters")) {
    return MakeError(errors::kValidation, {"EventBridgeParameters is required for an EventBridge target."});
  }
  if (auto start = GetInt(p, "StartDate"), end = GetInt(p, "EndDate"); start && end && *start >= *end) {
    return MakeError(errors::kValidation, {"The StartDate must be before the EndDate."});
  }
  return Status::Ok();
}

// The GetSchedule document of a request (CreateSchedule / UpdateSchedule input).
json::object ScheduleDocument(const json::object& p, const Schedule& s, std::int64_t created,
                              std::int64_t now) {
  json::object d{{"Arn", s.arn}, {"Name", s.name}, {"GroupName", s.group}};
  for (const char* m : {"ScheduleExpression", "ScheduleExpressionTimezone", "StartDate", "EndDate",
                        "Description", "FlexibleTimeWindow", "Target", "KmsKeyArn"}) {
    if (const json::value* v = p.if_contains(m)) d[m] = *v;
  }
  d["State"] = GetString(p, "State").value_or("ENABLED");
  d["ActionAfterCompletion"] = GetString(p, "ActionAfterCompletion").value_or("NONE");
  d["CreationDate"] = created;
  d["LastModificationDate"] = now;
  return d;
}

ScheduleKey KeyOf(const RequestContext& ctx, const json::object& p) {
  return {Where{ctx.account_id(), ctx.region}, GetString(p, "GroupName").value_or(std::string(kDefaultGroup)),
          GetString(p, "Name").value_or("")};
}

Result<OperationOutput> PutSchedule(Env& env, const RequestContext& ctx, OperationInput& in, bool create) {
  const json::object& p = in.params.as_object();
  CENOTE_RETURN_IF_ERROR(CheckSchedule(p));
  const ScheduleKey key = KeyOf(ctx, p);
  const Where& w = std::get<0>(key);
  const std::string& group = std::get<1>(key);
  const std::string& name = std::get<2>(key);
  const std::int64_t now = env.Now();
  MutexLock lock(env.mu);
  if (env.FindGroup(w, group) == nullptr) return MakeError(errors::kGroupNotFound, {group});
  auto it = env.schedules.find(key);
  if (create && it != env.schedules.end()) return MakeError(errors::kScheduleExists, {name});
  if (!create && it == env.schedules.end()) return MakeError(errors::kScheduleNotFound, {name});
  Schedule s;
  s.where = w;
  s.group = group;
  s.name = name;
  s.arn = ScheduleArn(w, group, name);
  const std::int64_t created = create ? now : GetInt(it->second.doc, "CreationDate").value_or(now);
  s.doc = ScheduleDocument(p, s, created, now);
  s.next_ms = NextFiring(s.doc, created, now - 1, 0);
  CENOTE_RETURN_IF_ERROR(InWrite(env, [&](store::Transaction& txn) { return env.SaveSchedule(txn, s); }));
  const std::string arn = s.arn;
  Schedule& stored = env.schedules[key] = std::move(s);
  env.Arm(key, stored);
  if (env.wake) env.wake();
  return json::object{{"ScheduleArn", arn}};
}

}  // namespace

Result<OperationOutput> CreateSchedule(Env& env, const RequestContext& ctx, OperationInput& in) {
  return PutSchedule(env, ctx, in, true);
}

Result<OperationOutput> UpdateSchedule(Env& env, const RequestContext& ctx, OperationInput& in) {
  return PutSchedule(env, ctx, in, false);
}

Result<OperationOutput> GetSchedule(Env& env, const RequestContext& ctx, OperationInput& in) {
  const ScheduleKey key = KeyOf(ctx, in.params.as_object());
  MutexLock lock(env.mu);
  if (env.FindGroup(std::get<0>(key), std::get<1>(key)) == nullptr) {
    return MakeError(errors::kGroupNotFound, {std::get<1>(key)});
  }
  auto it = env.schedules.find(key);
  if (it == env.schedules.end()) return MakeError(errors::kScheduleNotFound, {std::get<2>(key)});
  return it->second.doc;
}

Result<OperationOutput> DeleteSchedule(Env& env, const RequestContext& ctx, OperationInput& in) {
  const ScheduleKey key = KeyOf(ctx, in.params.as_object());
  const Where& w = std::get<0>(key);
  const std::string& group = std::get<1>(key);
  const std::string& name = std::get<2>(key);
  MutexLock lock(env.mu);
  auto it = env.schedules.find(key);
  if (it == env.schedules.end()) return MakeError(errors::kScheduleNotFound, {name});
  CENOTE_RETURN_IF_ERROR(InWrite(env, [&](store::Transaction& txn) {
    return Status::FromResult(
        txn.Exec("DELETE FROM scheduler_schedules WHERE account = ? AND region = ? AND name = ?",
                 {w.account, w.region, group + "/" + name}));
  }));
  it->second.next_ms = -1;
  env.Arm(key, it->second);
  env.schedules.erase(it);
  return json::object{};
}

Result<OperationOutput> ListSchedules(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  const Where w{ctx.account_id(), ctx.region};
  const auto group = GetString(p, "GroupName");
  const std::string prefix = GetString(p, "NamePrefix").value_or("");
  const std::string state = GetString(p, "State").value_or("");
  json::array all;
  {
    MutexLock lock(env.mu);
    if (group && env.FindGroup(w, *group) == nullptr) return MakeError(errors::kGroupNotFound, {*group});
    for (const auto& [key, s] : env.schedules) {
      if (std::get<0>(key) != w || (group && s.group != *group) || !s.name.starts_with(prefix)) continue;
      const std::string st = GetString(s.doc, "State").value_or("ENABLED");
      if (!state.empty() && st != state) continue;
      json::object target;
      if (const json::object* t = GetObject(s.doc, "Target"))
        target["Arn"] = GetString(*t, "Arn").value_or("");
      all.push_back(json::object{{"Arn", s.arn},
                                 {"Name", s.name},
                                 {"GroupName", s.group},
                                 {"State", st},
                                 {"CreationDate", s.doc.at("CreationDate")},
                                 {"LastModificationDate", s.doc.at("LastModificationDate")},
                                 {"Target", std::move(target)}});
    }
  }
  CENOTE_ASSIGN_OR_RETURN(PageBounds page, Page(p, all.size()));
  json::object out{{"Schedules", json::array(all.begin() + page.begin, all.begin() + page.end)}};
  if (page.next_token) out["NextToken"] = *page.next_token;
  return out;
}

namespace {

json::object GroupDocument(const Group& g) {
  return json::object{{"Arn", g.arn},
                      {"Name", g.name},
                      {"State", "ACTIVE"},
                      {"CreationDate", g.created_ms},
                      {"LastModificationDate", g.modified_ms}};
}

void ReadTags(const json::object& p, std::map<std::string, std::string>& tags) {
  if (const json::array* list = GetArray(p, "Tags")) {
    for (const auto& t : *list) {
      if (t.is_object())
        tags[GetString(t.as_object(), "Key").value_or("")] = GetString(t.as_object(), "Value").value_or("");
    }
  }
}

Result<Group*> GroupOfArn(Env& env, const RequestContext& ctx, const std::string& arn)
    EXCLUSIVE_LOCKS_REQUIRED(env.mu) {
  const std::string resource = ArnField(arn, 5);
  const Where w{ArnField(arn, 4), ArnField(arn, 3)};
  if (ArnField(arn, 2) != "scheduler" || !resource.starts_with("schedule-group/") ||
      w.account != ctx.account_id() || w.region != ctx.region) {
    return MakeError(errors::kResourceNotFound, {"Resource " + arn + " does not exist."});
  }
  Group* g = env.FindGroup(w, resource.substr(15));
  if (g == nullptr) return MakeError(errors::kGroupNotFound, {resource.substr(15)});
  return g;
}

}  // namespace

Result<OperationOutput> CreateScheduleGroup(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  const Where w{ctx.account_id(), ctx.region};
  const std::string name = GetString(p, "Name").value_or("");
  MutexLock lock(env.mu);
  if (env.FindGroup(w, name) != nullptr) return MakeError(errors::kGroupExists, {name});
  Group g;
  g.where = w;
  g.name = name;
  g.arn = GroupArn(w, name);
  g.created_ms = g.modified_ms = env.Now();
  ReadTags(p, g.tags);
  CENOTE_RETURN_IF_ERROR(InWrite(env, [&](store::Transaction& txn) { return env.SaveGroup(txn, g); }));
  const std::string arn = g.arn;
  env.groups.emplace(std::make_pair(w, name), std::move(g));
  return json::object{{"ScheduleGroupArn", arn}};
}

Result<OperationOutput> GetScheduleGroup(Env& env, const RequestContext& ctx, OperationInput& in) {
  const std::string name = GetString(in.params.as_object(), "Name").value_or("");
  MutexLock lock(env.mu);
  Group* g = env.FindGroup(Where{ctx.account_id(), ctx.region}, name);
  if (g == nullptr) return MakeError(errors::kGroupNotFound, {name});
  return GroupDocument(*g);
}

Result<OperationOutput> DeleteScheduleGroup(Env& env, const RequestContext& ctx, OperationInput& in) {
  const std::string name = GetString(in.params.as_object(), "Name").value_or("");
  if (name == kDefaultGroup) return MakeError(errors::kValidation, {"You cannot delete the default group."});
  const Where w{ctx.account_id(), ctx.region};
  MutexLock lock(env.mu);
  if (env.groups.find({w, name}) == env.groups.end()) return MakeError(errors::kGroupNotFound, {name});
  // The group's schedules go with it.
  CENOTE_RETURN_IF_ERROR(InWrite(env, [&](store::Transaction& txn) -> Status {
    CENOTE_RETURN_IF_ERROR(
        txn.Exec("DELETE FROM scheduler_groups WHERE account = ? AND region = ? AND name = ?",
                 {w.account, w.region, name}));
    return Status::FromResult(
        txn.Exec("DELETE FROM scheduler_schedules WHERE account = ? AND region = ? AND name LIKE ?",
                 {w.account, w.region, name + "/%"}));
  }));
  for (auto it = env.schedules.begin(); it != env.schedules.end();) {
    if (std::get<0>(it->first) == w && std::get<1>(it->first) == name) {
      it->second.next_ms = -1;
      env.Arm(it->first, it->second);
      it = env.schedules.erase(it);
    } else {
      ++it;
    }
  }
  env.groups.erase({w, name});
  return json::object{};
}

Result<OperationOutput> ListScheduleGroups(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  const Where w{ctx.account_id(), ctx.region};
  const std::string prefix = GetString(p, "NamePrefix").value_or("");
  json::array all;
  {
    MutexLock lock(env.mu);
    env.FindGroup(w, std::string(kDefaultGroup));
    for (const auto& [key, g] : env.groups) {
      if (key.first == w && g.name.starts_with(prefix)) all.push_back(GroupDocument(g));
    }
  }
  CENOTE_ASSIGN_OR_RETURN(PageBounds page, Page(p, all.size()));
  json::object out{{"ScheduleGroups", json::array(all.begin() + page.begin, all.begin() + page.end)}};
  if (page.next_token) out["NextToken"] = *page.next_token;
  return out;
}

Result<OperationOutput> TagResource(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Group * g, GroupOfArn(env, ctx, GetString(p, "ResourceArn").value_or("")));
  Group updated = *g;
  ReadTags(p, updated.tags);
  if (updated.tags.size() > 200) return MakeError(errors::kValidation, {"Too many tags."});
  CENOTE_RETURN_IF_ERROR(InWrite(env, [&](store::Transaction& txn) { return env.SaveGroup(txn, updated); }));
  *g = std::move(updated);
  return json::object{};
}

Result<OperationOutput> UntagResource(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Group * g, GroupOfArn(env, ctx, GetString(p, "ResourceArn").value_or("")));
  Group updated = *g;
  if (const json::array* keys = GetArray(p, "TagKeys")) {
    for (const auto& k : *keys) {
      if (k.is_string()) updated.tags.erase(std::string(k.get_string()));
    }
  }
  CENOTE_RETURN_IF_ERROR(InWrite(env, [&](store::Transaction& txn) { return env.SaveGroup(txn, updated); }));
  *g = std::move(updated);
  return json::object{};
}

Result<OperationOutput> ListTagsForResource(Env& env, const RequestContext& ctx, OperationInput& in) {
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Group * g,
                          GroupOfArn(env, ctx, GetString(in.params.as_object(), "ResourceArn").value_or("")));
  json::array tags;
  for (const auto& [k, v] : g->tags) tags.push_back(json::object{{"Key", k}, {"Value", v}});
  return json::object{{"Tags", std::move(tags)}};
}

}  // namespace cenote::scheduler
