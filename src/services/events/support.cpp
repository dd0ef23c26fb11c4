// EventBridge support: ARNs, times, pagination, schedule expressions, JSONPath and target input
// (Input, InputPath, InputTransformer), persistence of the resource documents.
#include <ctime>

#include "common/strings.hpp"
#include "services/events/internal.hpp"

namespace cenote::events {

namespace {

std::string Prefix(const Where& w) { return "arn:aws:events:" + w.region + ":" + w.account + ":"; }

// The n-th ':'-separated field of an ARN (0: "arn").
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

}  // namespace

std::string BusArn(const Where& w, std::string_view bus) {
  return Prefix(w) + "event-bus/" + std::string(bus);
}
std::string RuleArn(const Where& w, std::string_view bus, std::string_view rule) {
  if (bus == kDefaultBus) return Prefix(w) + "rule/" + std::string(rule);
  return Prefix(w) + "rule/" + std::string(bus) + "/" + std::string(rule);
}
std::string ArchiveArn(const Where& w, std::string_view name) {
  return Prefix(w) + "archive/" + std::string(name);
}
std::string ReplayArn(const Where& w, std::string_view name) {
  return Prefix(w) + "replay/" + std::string(name);
}
std::string ArnService(std::string_view arn) { return ArnField(arn, 2); }
std::string ArnRegion(std::string_view arn) { return ArnField(arn, 3); }
std::string ArnAccount(std::string_view arn) { return ArnField(arn, 4); }
std::string ArnResource(std::string_view arn) { return ArnField(arn, 5); }

std::optional<std::pair<Where, std::string>> ParseBusArn(std::string_view arn) {
  if (!arn.starts_with("arn:") || ArnService(arn) != "events") return std::nullopt;
  std::string resource = ArnResource(arn);
  if (!resource.starts_with("event-bus/")) return std::nullopt;
  Where w{ArnAccount(arn), ArnRegion(arn)};
  if (w.account.empty() || w.region.empty()) return std::nullopt;
  return std::make_pair(w, resource.substr(std::string_view("event-bus/").size()));
}

std::pair<Where, std::string> ResolveBusName(const RequestContext& ctx, std::string_view name_or_arn) {
  if (name_or_arn.empty()) return {Where{ctx.account_id(), ctx.region}, std::string(kDefaultBus)};
  if (auto parsed = ParseBusArn(name_or_arn)) return *parsed;
  return {Where{ctx.account_id(), ctx.region}, std::string(name_or_arn)};
}

std::string IsoSeconds(std::int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Result<PageRange> Page(const json::object& p, std::size_t total) {
  PageRange r;
  if (auto token = GetString(p, "NextToken")) {
    if (token->empty() || token->size() > 9 || !std::all_of(token->begin(), token->end(), IsAsciiDigit)) {
      return MakeError(errors::kValidation, {"The NextToken provided is invalid."});
    }
    r.begin = std::min<std::size_t>(std::stoul(*token), total);
  }
  std::size_t limit = total;
  if (auto l = GetInt(p, "Limit"); l && *l > 0) limit = static_cast<std::size_t>(*l);
  r.end = std::min(total, r.begin + limit);
  if (r.end < total) r.next_token = std::to_string(r.end);
  return r;
}

// ---- schedules ----

namespace {

struct Rate {
  std::int64_t period_ms = 0;
};

std::optional<Rate> ParseRate(std::string_view e) {
  if (!e.starts_with("rate(") || !e.ends_with(")")) return std::nullopt;
  std::string_view inner = TrimAsciiSpace(e.substr(5, e.size() - 6));
  auto space = inner.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  std::string_view number = inner.substr(0, space);
  std::string_view unit = TrimAsciiSpace(inner.substr(space + 1));
  if (number.empty() || number.size() > 9 || !std::all_of(number.begin(), number.end(), IsAsciiDigit)) {
    return std::nullopt;
  }
  const std::int64_t n = std::stoll(std::string(number));
  if (n <= 0) return std::nullopt;
  // AWS requires the singular unit for 1 and the plural otherwise.
  std::int64_t unit_ms = 0;
  if (unit == (n == 1 ? "minute" : "minutes")) unit_ms = 60'000;
  if (unit == (n == 1 ? "hour" : "hours")) unit_ms = 3'600'000;
  if (unit == (n == 1 ? "day" : "days")) unit_ms = 86'400'000;
  if (unit_ms == 0) return std::nullopt;
  return Rate{n * unit_ms};
}

}  // namespace

Status CheckSchedule(std::string_view expression) {
  if (ParseRate(expression)) return Status::Ok();
  if (expression.starts_with("cron(") && CronSchedule::Parse(expression).ok()) return Status::Ok();
  return MakeError(errors::kValidation, {"Parameter ScheduleExpression is not valid."});
}

std::optional<std::int64_t> NextFire(std::string_view expression, std::int64_t created_ms,
                                     std::int64_t after_ms) {
  if (auto rate = ParseRate(expression)) {
    // Every period from the rule's creation.
    const std::int64_t elapsed = std::max<std::int64_t>(0, after_ms - created_ms);
    return created_ms + (elapsed / rate->period_ms + 1) * rate->period_ms;
  }
  auto cron = CronSchedule::Parse(expression);
  if (!cron) return std::nullopt;
  auto next_s = cron->NextAfter(after_ms / 1000);
  if (!next_s) return std::nullopt;
  return *next_s * 1000;
}

// ---- JSONPath ----

const json::value* JsonPath(const json::value& root, std::string_view path, bool* valid) {
  *valid = false;
  if (path.empty() || path[0] != '$') return nullptr;
  const json::value* v = &root;
  std::size_t i = 1;
  bool missing = false;
  auto step = [&](std::string_view name) {
    if (!missing && v->is_object()) {
      v = v->as_object().if_contains(name);
      if (v == nullptr) missing = true;
    } else {
      missing = true;
    }
  };
  while (i < path.size()) {
    if (path[i] == '.') {
      std::size_t j = i + 1;
      while (j < path.size() && path[j] != '.' && path[j] != '[') ++j;
      if (j == i + 1) return nullptr;
      step(path.substr(i + 1, j - i - 1));
      i = j;
    } else if (path[i] == '[') {
      std::size_t close = path.find(']', i);
      if (close == std::string_view::npos) return nullptr;
      std::string_view inner = path.substr(i + 1, close - i - 1);
      if (inner.size() >= 2 && (inner.front() == '\'' || inner.front() == '"') &&
          inner.back() == inner.front()) {
        step(inner.substr(1, inner.size() - 2));
      } else if (!inner.empty() && std::all_of(inner.begin(), inner.end(), IsAsciiDigit) &&
                 inner.size() < 9) {
        const std::size_t index = std::stoul(std::string(inner));
        if (!missing && v->is_array() && index < v->as_array().size()) {
          v = &v->as_array()[index];
        } else {
          missing = true;
        }
      } else {
        return nullptr;
      }
      i = close + 1;
    } else {
      return nullptr;
    }
  }
  *valid = true;
  return missing ? nullptr : v;
}

// ---- target input ----

namespace {

constexpr std::string_view kReservedPrefix = "aws.events";

void AppendEscaped(std::string& out, std::string_view s) {
  std::string quoted = json::serialize(json::value(json::string(s)));
  out.append(quoted, 1, quoted.size() - 2);
}

}  // namespace

Status CheckInputTransformer(const json::object& t) {
  if (const json::object* paths = GetObject(t, "InputPathsMap")) {
    if (paths->size() > 100) {
      return MakeError(errors::kValidation, {"InputPathsMap can have at most 100 entries."});
    }
    for (const auto& [k, v] : *paths) {
      if (std::string_view(k).starts_with(kReservedPrefix)) {
        return MakeError(errors::kValidation,
                         {"Input template variable names cannot start with reserved prefix aws.events."});
      }
      bool valid = false;
      if (!v.is_string()) return MakeError(errors::kValidation, {"InputPathsMap values must be strings."});
      JsonPath(json::value(json::object{}), v.get_string(), &valid);
      if (!valid) {
        return MakeError(errors::kValidation, {"Input path " + std::string(v.get_string()) + " is invalid."});
      }
    }
  }
  if (!GetString(t, "InputTemplate")) {
    return MakeError(errors::kValidation, {"InputTemplate is a required argument."});
  }
  return Status::Ok();
}

Result<std::string> TargetInput(const json::object& target, const std::string& event_text,
                                const json::value& event, const std::string& rule_arn,
                                const std::string& rule_name, std::int64_t ingestion_ms) {
  if (auto input = GetString(target, "Input")) return *input;
  if (auto path = GetString(target, "InputPath")) {
    bool valid = false;
    const json::value* v = JsonPath(event, *path, &valid);
    if (!valid) return MakeError(errors::kValidation, {"InputPath " + *path + " is invalid."});
    return v ? json::serialize(*v) : std::string("null");
  }
  const json::object* transformer = GetObject(target, "InputTransformer");
  if (transformer == nullptr) return event_text;
  std::map<std::string, const json::value*, std::less<>> vars;
  if (const json::object* paths = GetObject(*transformer, "InputPathsMap")) {
    for (const auto& [k, v] : *paths) {
      bool valid = false;
      vars[std::string(k)] = v.is_string() ? JsonPath(event, v.get_string(), &valid) : nullptr;
    }
  }
  const std::string tmpl = GetString(*transformer, "InputTemplate").value_or("");
  // AWS's quoting rules: a variable inside a JSON string takes the value's text (a string without its quotes,
  // escaped for the string it lands in); outside a string it takes the value as JSON. A path that matched
  // nothing is null outside strings and empty inside them.
  std::string out;
  bool in_string = false;
  const json::value ingestion(json::string(IsoSeconds(ingestion_ms)));
  for (std::size_t i = 0; i < tmpl.size(); ++i) {
    const char c = tmpl[i];
    if (c == '"') {
      // A quote escaped by an odd number of backslashes does not end a string.
      std::size_t slashes = 0;
      for (std::size_t j = i; j > 0 && tmpl[j - 1] == '\\'; --j) ++slashes;
      if (slashes % 2 == 0) in_string = !in_string;
      out.push_back(c);
      continue;
    }
    if (c != '<') {
      out.push_back(c);
      continue;
    }
    const std::size_t close = tmpl.find('>', i + 1);
    if (close == std::string::npos) {
      out.push_back(c);
      continue;
    }
    const std::string name = tmpl.substr(i + 1, close - i - 1);
    const json::value* value = nullptr;
    std::string literal;
    bool known = true;
    if (name == "aws.events.rule-arn") {
      literal = rule_arn;
    } else if (name == "aws.events.rule-name") {
      literal = rule_name;
    } else if (name == "aws.events.event.ingestion-time") {
      value = &ingestion;
    } else if (name == "aws.events.event" || name == "aws.events.event.json") {
      value = &event;
    } else if (auto it = vars.find(name); it != vars.end()) {
      value = it->second;
    } else {
      known = false;
    }
    if (!known) {
      out.push_back(c);
      continue;
    }
    if (!literal.empty() || (value == nullptr && name.starts_with(kReservedPrefix))) {
      if (in_string) {
        AppendEscaped(out, literal);
      } else {
        out += json::serialize(json::value(json::string(literal)));
      }
    } else if (value == nullptr) {
      if (!in_string) out += "null";
    } else if (in_string) {
      AppendEscaped(out, value->is_string() ? std::string(value->get_string()) : json::serialize(*value));
    } else {
      out += json::serialize(*value);
    }
    i = close;
  }
  return out;
}

// ---- persistence ----

namespace {

json::object TagsDoc(const std::map<std::string, std::string>& tags) {
  json::object o;
  for (const auto& [k, v] : tags) o[k] = v;
  return o;
}

Status Upsert(store::MetadataStore& metadata, std::string_view table, const Where& w, const std::string& key,
              const json::object& doc) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_RETURN_IF_ERROR(
      txn->Exec("INSERT INTO " + std::string(table) +
                    " (account, region, name, doc) VALUES (?, ?, ?, ?) ON CONFLICT (account, "
                    "region, name) DO UPDATE SET doc = excluded.doc",
                {w.account, w.region, key, json::serialize(doc)}));
  return txn->Commit();
}

}  // namespace

Status Env::SaveBus(const Bus& b) {
  json::object doc{{"description", b.description},
                   {"policy", b.policy_text},
                   {"tags", TagsDoc(b.tags)},
                   {"created", b.created_ms},
                   {"modified", b.modified_ms}};
  return Upsert(metadata, "events_buses", b.where, b.name, doc);
}

Status Env::SaveRule(const Rule& r) {
  json::array targets;
  for (const auto& t : r.targets) targets.push_back(t);
  json::object doc{{"bus", r.bus},
                   {"name", r.name},
                   {"pattern", r.event_pattern},
                   {"schedule", r.schedule},
                   {"state", r.state},
                   {"description", r.description},
                   {"role", r.role_arn},
                   {"managed_by", r.managed_by},
                   {"created_by", r.created_by},
                   {"targets", std::move(targets)},
                   {"tags", TagsDoc(r.tags)},
                   {"created", r.created_ms}};
  // Rules are keyed by "<bus>/<name>" (a rule name is unique per bus).
  return Upsert(metadata, "events_rules", r.where, r.bus + "/" + r.name, doc);
}

Status Env::SaveArchive(const Archive& a) {
  json::object doc{{"source", a.source_arn},     {"description", a.description},
                   {"pattern", a.event_pattern}, {"retention", a.retention_days},
                   {"state", a.state},           {"created", a.created_ms}};
  return Upsert(metadata, "events_archives", a.where, a.name, doc);
}

Status Env::SaveReplay(const Replay& r) {
  json::object doc{{"description", r.description},
                   {"source", r.source_arn},
                   {"destination", r.destination},
                   {"start", r.start_ms},
                   {"end", r.end_ms},
                   {"state", r.state},
                   {"reason", r.state_reason},
                   {"replay_start", r.replay_start_ms},
                   {"replay_end", r.replay_end_ms},
                   {"last", r.last_replayed_ms},
                   {"cursor", r.cursor}};
  return Upsert(metadata, "events_replays", r.where, r.name, doc);
}

Bus* Env::FindBus(const Where& w, const std::string& name) {
  auto it = buses.find({w, name});
  if (it != buses.end()) return &it->second;
  if (name != kDefaultBus) return nullptr;
  // The default bus exists in every account and region; it is kept in memory from its first use and stored
  // when something about it (a policy, tags) is set.
  Bus b;
  b.where = w;
  b.name = std::string(kDefaultBus);
  b.arn = BusArn(w, b.name);
  b.created_ms = b.modified_ms = Now();
  return &buses.emplace(std::make_pair(w, b.name), std::move(b)).first->second;
}

Rule* Env::FindRule(const Where& w, const std::string& bus, const std::string& name) {
  auto it = rules.find({w, bus, name});
  return it == rules.end() ? nullptr : &it->second;
}

void Env::ArmTimer(const Rule& r, std::int64_t after_ms) {
  const auto key = std::make_tuple(r.where, r.bus, r.name);
  for (auto it = timers.begin(); it != timers.end();) {
    it = std::get<0>(it->second) == r.where && std::get<1>(it->second) == r.bus &&
                 std::get<2>(it->second) == r.name
             ? timers.erase(it)
             : std::next(it);
  }
  if (r.schedule.empty() || !r.Enabled()) return;
  if (auto next = NextFire(r.schedule, r.created_ms, after_ms)) timers.emplace(*next, key);
}

}  // namespace cenote::events
