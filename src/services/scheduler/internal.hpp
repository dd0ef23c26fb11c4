// Shared internals of the Scheduler provider. Not part of the public API.
#pragma once

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include <boost/json.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>

#include "aws/invoker.hpp"
#include "aws/provider.hpp"
#include "common/mutex.hpp"
#include "common/time_zone.hpp"
#include "services/common/params.hpp"
#include "services/scheduler/errors.hpp"
#include "services/scheduler/scheduler_provider.hpp"
#include "store/metadata_store.hpp"

namespace cenote::scheduler {

namespace json = boost::json;
using aws::OperationInput;
using aws::OperationOutput;
using aws::RequestContext;
using services::GetArray;
using services::GetBool;
using services::GetInt;
using services::GetObject;
using services::GetString;

inline constexpr std::string_view kServicePrincipal = "scheduler.amazonaws.com";
inline constexpr std::string_view kDefaultGroup = "default";

struct Where {
  std::string account;
  std::string region;
  auto operator<=>(const Where&) const = default;
};

struct Group {
  Where where;
  std::string name;
  std::string arn;
  std::map<std::string, std::string> tags;
  std::int64_t created_ms = 0, modified_ms = 0;
};

struct Schedule {
  Where where;
  std::string group;
  std::string name;
  std::string arn;
  json::object doc;           // the schedule as GetSchedule answers it (model member names)
  std::int64_t next_ms = -1;  // the next firing, -1 when none
  std::int64_t last_ms = 0;   // the last firing's time
};
using ScheduleKey = std::tuple<Where, std::string, std::string>;  // (where, group, name)

struct Invocation {
  std::int64_t id = 0;
  std::int64_t due_ms = 0;
  std::string doc;  // {"schedule_arn", "account", "region", "target", "scheduled_ms", "attempts", "first_ms"}
};

struct Env {
  store::MetadataStore& metadata;
  aws::Invoker* invoker;
  SchedulerOptions options;
  std::int64_t Now() const { return options.clock(); }

  mutable Mutex mu;
  std::map<std::pair<Where, std::string>, Group> groups GUARDED_BY(mu);
  std::map<ScheduleKey, Schedule> schedules GUARDED_BY(mu);
  std::set<std::pair<std::int64_t, ScheduleKey>> timers GUARDED_BY(mu);
  std::map<std::int64_t, Invocation> pending GUARDED_BY(mu);
  std::set<std::pair<std::int64_t, std::int64_t>> due GUARDED_BY(mu);
  std::int64_t next_id GUARDED_BY(mu) = 1;
  std::function<void()> wake;

  Env(store::MetadataStore& m, aws::Invoker* i, SchedulerOptions o)
      : metadata(m), invoker(i), options(std::move(o)) {}

  Group* FindGroup(const Where& w, const std::string& name) EXCLUSIVE_LOCKS_REQUIRED(mu);
  Status SaveGroup(store::Transaction& txn, const Group& g);
  Status SaveSchedule(store::Transaction& txn, const Schedule& s);
  // Re-arms the schedule's timer from its next_ms.
  void Arm(const ScheduleKey& key, const Schedule& s) EXCLUSIVE_LOCKS_REQUIRED(mu);
};

std::string GroupArn(const Where& w, std::string_view group);
std::string ScheduleArn(const Where& w, std::string_view group, std::string_view name);
std::string ArnField(std::string_view arn, int n);  // 0 "arn", 2 service, 3 region, 4 account, 5 resource
std::string IsoMillis(std::int64_t ms);             // 2024-01-02T03:04:05.678Z

// The first firing strictly after `after_ms` of a schedule document, within its StartDate/EndDate, or -1.
// at(): its time (also when it has passed, as long as it has not fired: `last_ms` == 0).
std::int64_t NextFiring(const json::object& doc, std::int64_t created_ms, std::int64_t after_ms,
                        std::int64_t last_ms);
// Checks ScheduleExpression and ScheduleExpressionTimezone as CreateSchedule does.
Status CheckExpression(const json::object& doc);

// Firing and invoking (firing.cpp).
std::int64_t RunRound(Env& env);
Status LoadPending(Env& env);

#define CENOTE_SCHEDULER_HANDLER(name) \
  Result<OperationOutput> name(Env& env, const RequestContext& ctx, OperationInput& in)
CENOTE_SCHEDULER_HANDLER(CreateSchedule);
CENOTE_SCHEDULER_HANDLER(UpdateSchedule);
CENOTE_SCHEDULER_HANDLER(GetSchedule);
CENOTE_SCHEDULER_HANDLER(DeleteSchedule);
CENOTE_SCHEDULER_HANDLER(ListSchedules);
CENOTE_SCHEDULER_HANDLER(CreateScheduleGroup);
CENOTE_SCHEDULER_HANDLER(GetScheduleGroup);
CENOTE_SCHEDULER_HANDLER(DeleteScheduleGroup);
CENOTE_SCHEDULER_HANDLER(ListScheduleGroups);
CENOTE_SCHEDULER_HANDLER(TagResource);
CENOTE_SCHEDULER_HANDLER(UntagResource);
CENOTE_SCHEDULER_HANDLER(ListTagsForResource);
#undef CENOTE_SCHEDULER_HANDLER

}  // namespace cenote::scheduler
