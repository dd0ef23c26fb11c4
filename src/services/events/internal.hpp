// Shared internals of the EventBridge provider: buses, rules, archives, replays, the durable outbox of
// deliveries, and the handlers each .cpp of this directory implements. Not part of the public API.
#pragma once

#if defined(__GNUC__) && !defined(__clang__)
// GCC 12 reports a false -Wrestrict on `"x" + std::string + ...` (GCC bug 105329).
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include <boost/json.hpp>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "aws/invoker.hpp"
#include "aws/provider.hpp"
#include "common/aws_cron.hpp"
#include "common/mutex.hpp"
#include "common/result.hpp"
#include "iam/policy.hpp"
#include "iam/principal.hpp"
#include "services/common/event_pattern.hpp"
#include "services/common/params.hpp"
#include "services/events/errors.hpp"
#include "services/events/events_provider.hpp"
#include "store/metadata_store.hpp"

namespace cenote::events {

namespace json = boost::json;
using aws::OperationInput;
using aws::OperationOutput;
using aws::RequestContext;
using services::GetArray;
using services::GetBool;
using services::GetInt;
using services::GetObject;
using services::GetString;

inline constexpr std::string_view kServicePrincipal = "events.amazonaws.com";
inline constexpr std::string_view kDefaultBus = "default";
inline constexpr std::size_t kMaxTargetsPerRule = 5;
inline constexpr std::size_t kMaxPutEventsBytes = 256 * 1024;
inline constexpr std::int64_t kDefaultMaxRetryAttempts = 185;
inline constexpr std::int64_t kDefaultMaxEventAgeSeconds = 86'400;

// ---- names and ARNs ----
struct Where {
  std::string account;
  std::string region;
  auto operator<=>(const Where&) const = default;
};
std::string BusArn(const Where& w, std::string_view bus);
// Rules of the default bus: .../rule/<name>; of a custom bus: .../rule/<bus>/<name>.
std::string RuleArn(const Where& w, std::string_view bus, std::string_view rule);
std::string ArchiveArn(const Where& w, std::string_view name);
std::string ReplayArn(const Where& w, std::string_view name);
// "arn:aws:events:<region>:<account>:event-bus/<name>" -> (where, name).
std::optional<std::pair<Where, std::string>> ParseBusArn(std::string_view arn);
// An EventBusName member: a name (in the caller's account and region) or a bus ARN.
std::pair<Where, std::string> ResolveBusName(const RequestContext& ctx, std::string_view name_or_arn);
std::string ArnRegion(std::string_view arn);
std::string ArnAccount(std::string_view arn);
std::string ArnResource(std::string_view arn);  // what follows the fifth ':'
std::string ArnService(std::string_view arn);
std::string IsoSeconds(std::int64_t ms);  // 2024-01-02T03:04:05Z

// ---- state ----
struct Bus {
  Where where;
  std::string name;
  std::string arn;
  std::string description;
  std::string policy_text;  // the resource policy ("" when none)
  std::shared_ptr<const iam::Policy> policy;
  std::map<std::string, std::string> tags;
  std::int64_t created_ms = 0;
  std::int64_t modified_ms = 0;
};

struct Rule {
  Where where;
  std::string bus;
  std::string name;
  std::string arn;
  std::string event_pattern;  // as given ("" when none)
  std::shared_ptr<const services::EventPattern> pattern;
  std::string schedule;  // ScheduleExpression ("" when none)
  std::string state = "ENABLED";
  std::string description;
  std::string role_arn;
  std::string managed_by;
  std::string created_by;
  std::vector<json::object> targets;  // the Target documents as PutTargets gave them, by Id
  std::map<std::string, std::string> tags;
  std::int64_t created_ms = 0;
  bool Enabled() const { return state != "DISABLED"; }
};

struct Archive {
  Where where;
  std::string name;
  std::string arn;
  std::string source_arn;  // the bus
  std::string description;
  std::string event_pattern;
  std::shared_ptr<const services::EventPattern> pattern;  // null: every event
  std::int64_t retention_days = 0;                        // 0: indefinitely
  std::string state = "ENABLED";
  std::int64_t created_ms = 0;
};

struct Replay {
  Where where;
  std::string name;
  std::string arn;
  std::string description;
  std::string source_arn;  // the archive
  json::object destination;
  std::int64_t start_ms = 0, end_ms = 0;
  std::string state = "STARTING";
  std::string state_reason;
  std::int64_t replay_start_ms = 0, replay_end_ms = 0, last_replayed_ms = 0;
  std::int64_t cursor = 0;  // the last archived event (seq) replayed
};

// One pending delivery of one event to one target of one rule (or a dead-letter message).
struct Delivery {
  std::int64_t id = 0;  // events_outbox.id
  std::int64_t due_ms = 0;
  std::string
      doc;  // {"event", "rule_arn", "rule_name", "account", "region", "target", "attempts", "first_ms"}
};

struct Env {
  store::MetadataStore& metadata;
  aws::Invoker* invoker;
  EventsOptions options;
  std::int64_t Now() const { return options.clock(); }

  mutable Mutex mu;
  // Buses by (where, name); the default bus of a (account, region) exists implicitly (created on first use).
  std::map<std::pair<Where, std::string>, Bus> buses GUARDED_BY(mu);
  // Rules by (where, bus, name).
  std::map<std::tuple<Where, std::string, std::string>, Rule> rules GUARDED_BY(mu);
  std::map<std::pair<Where, std::string>, Archive> archives GUARDED_BY(mu);
  std::map<std::pair<Where, std::string>, Replay> replays GUARDED_BY(mu);
  // Pending deliveries by id, mirrored from events_outbox; due: (due ms, id).
  std::map<std::int64_t, Delivery> outbox GUARDED_BY(mu);
  std::set<std::pair<std::int64_t, std::int64_t>> due GUARDED_BY(mu);
  // Row ids are allocated here (every insert runs under mu): the next outbox id and archived-event seq.
  std::int64_t next_outbox_id GUARDED_BY(mu) = 1;
  std::int64_t next_archived_seq GUARDED_BY(mu) = 1;
  std::int64_t last_retention_ms GUARDED_BY(mu) = 0;  // when archives were last trimmed to their retention
  // Scheduled rules: (next fire ms, rule key).
  std::set<std::pair<std::int64_t, std::tuple<Where, std::string, std::string>>> timers GUARDED_BY(mu);
  std::function<void()> wake;  // wakes the delivery task (set once by the provider)

  Env(store::MetadataStore& m, aws::Invoker* i, EventsOptions o)
      : metadata(m), invoker(i), options(std::move(o)) {}

  // The bus, creating the implicit default bus of (where) on first use. nullptr when it does not exist.
  Bus* FindBus(const Where& w, const std::string& name) EXCLUSIVE_LOCKS_REQUIRED(mu);
  Rule* FindRule(const Where& w, const std::string& bus, const std::string& name)
      EXCLUSIVE_LOCKS_REQUIRED(mu);

  Status SaveBus(const Bus& b);
  Status SaveRule(const Rule& r);
  Status SaveArchive(const Archive& a);
  Status SaveReplay(const Replay& r);

  // Schedules a scheduled rule's next firing after `after_ms` (or drops its timer when it has none).
  void ArmTimer(const Rule& r, std::int64_t after_ms) EXCLUSIVE_LOCKS_REQUIRED(mu);
};

// ---- matching and delivery (put_events.cpp, delivery.cpp) ----
// The event document AWS builds from a PutEvents entry.
json::object MakeEvent(const std::string& id, const std::string& detail_type, const std::string& source,
                       const Where& sender, const std::string& region, std::int64_t time_ms,
                       const json::array& resources, json::value detail);
// The rows that deliver `event` (JSON text, parsed `parsed`) to every enabled rule of the bus it matches,
// and the archive rows of the bus's archives, kept by the event's time `event_ms` (which replays select by);
// committed in `txn`. Returns the outbox rows added.
Result<std::vector<Delivery>> Route(Env& env, store::Transaction& txn, const Where& bus_where,
                                    const std::string& bus, const std::string& event_text,
                                    const json::value& parsed, std::int64_t now_ms,
                                    const std::vector<std::string>* only_rules, bool archive,
                                    std::int64_t event_ms) EXCLUSIVE_LOCKS_REQUIRED(env.mu);
// Rows for one rule's targets.
Result<std::vector<Delivery>> RouteToRule(Env& env, store::Transaction& txn, const Rule& rule,
                                          const std::string& event_text, std::int64_t now_ms)
    EXCLUSIVE_LOCKS_REQUIRED(env.mu);
// After commit: makes the rows visible to the delivery task.
void Publish(Env& env, std::vector<Delivery> rows);
// One round of the delivery task: fires due schedules, delivers due rows, advances replays. Returns the ms
// until the next thing is due (or -1 when nothing is).
std::int64_t DeliverRound(Env& env);
// Loads the outbox and arms scheduled rules at start.
Status LoadOutbox(Env& env);
// The target's input text for `event` (Input, InputPath, InputTransformer or the event itself).
Result<std::string> TargetInput(const json::object& target, const std::string& event_text,
                                const json::value& event, const std::string& rule_arn,
                                const std::string& rule_name, std::int64_t ingestion_ms);
// InputTransformer: checks InputPathsMap and InputTemplate as PutTargets does.
Status CheckInputTransformer(const json::object& transformer);
// A JSONPath ($.a.b[0]['c']) into `v`, or nullptr.
const json::value* JsonPath(const json::value& v, std::string_view path, bool* valid);
// The next time a ScheduleExpression (rate()/cron()) fires strictly after `after_ms`.
std::optional<std::int64_t> NextFire(std::string_view expression, std::int64_t created_ms,
                                     std::int64_t after_ms);
Status CheckSchedule(std::string_view expression);
// Replays advance a batch at a time (archives.cpp).
bool AdvanceReplays(Env& env);
// Drops archived events older than their archive's RetentionDays (at most once a minute).
void ExpireArchives(Env& env);

// ---- handlers ----
#define CENOTE_EVENTS_HANDLER(name) \
  Result<OperationOutput> name(Env& env, const RequestContext& ctx, OperationInput& in)
CENOTE_EVENTS_HANDLER(CreateEventBus);
CENOTE_EVENTS_HANDLER(DeleteEventBus);
CENOTE_EVENTS_HANDLER(DescribeEventBus);
CENOTE_EVENTS_HANDLER(UpdateEventBus);
CENOTE_EVENTS_HANDLER(ListEventBuses);
CENOTE_EVENTS_HANDLER(PutPermission);
CENOTE_EVENTS_HANDLER(RemovePermission);
CENOTE_EVENTS_HANDLER(TagResource);
CENOTE_EVENTS_HANDLER(UntagResource);
CENOTE_EVENTS_HANDLER(ListTagsForResource);
CENOTE_EVENTS_HANDLER(PutRule);
CENOTE_EVENTS_HANDLER(DeleteRule);
CENOTE_EVENTS_HANDLER(DescribeRule);
CENOTE_EVENTS_HANDLER(EnableRule);
CENOTE_EVENTS_HANDLER(DisableRule);
CENOTE_EVENTS_HANDLER(ListRules);
CENOTE_EVENTS_HANDLER(ListRuleNamesByTarget);
CENOTE_EVENTS_HANDLER(PutTargets);
CENOTE_EVENTS_HANDLER(RemoveTargets);
CENOTE_EVENTS_HANDLER(ListTargetsByRule);
CENOTE_EVENTS_HANDLER(TestEventPattern);
CENOTE_EVENTS_HANDLER(PutEvents);
CENOTE_EVENTS_HANDLER(CreateArchive);
CENOTE_EVENTS_HANDLER(DescribeArchive);
CENOTE_EVENTS_HANDLER(UpdateArchive);
CENOTE_EVENTS_HANDLER(DeleteArchive);
CENOTE_EVENTS_HANDLER(ListArchives);
CENOTE_EVENTS_HANDLER(StartReplay);
CENOTE_EVENTS_HANDLER(DescribeReplay);
CENOTE_EVENTS_HANDLER(CancelReplay);
CENOTE_EVENTS_HANDLER(ListReplays);
#undef CENOTE_EVENTS_HANDLER

// Pagination: the opaque NextToken is the index of the next item; Limit caps the page.
struct PageRange {
  std::size_t begin = 0, end = 0;
  std::optional<std::string> next_token;
};
Result<PageRange> Page(const json::object& p, std::size_t total);

}  // namespace cenote::events
