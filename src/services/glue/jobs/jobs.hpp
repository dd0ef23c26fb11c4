// Jobs: Glue jobs, job runs, job bookmarks, triggers and workflows, in the namespace of the request's account
// and region. Definitions and runs are durable in the MetadataStore (component "glue_jobs"); a run executes
// on its own thread through an Executor (executor.hpp: `pythonshell` scripts as sandboxed python3 processes,
// Cenote's `athenasql` scripts as Athena queries); `glueetl`, `gluestreaming` and `glueray` jobs are stored
// but refused by StartJobRun. Runs end in Glue's states with ExecutionTime, ErrorMessage, retries
// (MaxRetries) and Timeout; a run in flight when the server stopped is ended ERROR at the next start.
// Terminal states are announced as AWS's "Glue Job State Change" events. Triggers (ON_DEMAND, SCHEDULED on
// AWS cron, CONDITIONAL over job and crawler states) start jobs and crawlers; workflows group triggers into a
// graph whose runs carry run properties and statistics.
//
// Thread safety: every method may be called concurrently from any thread.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "aws/provider.hpp"
#include "common/background_tasks.hpp"
#include "common/result.hpp"
#include "services/glue/jobs/executor.hpp"
#include "store/metadata_store.hpp"

namespace cenote::glue {

struct JobsOptions {
  jobs::Executor executor;             // runs a job run (jobs::MakeExecutor in the server)
  std::int64_t ms_per_minute = 60000;  // Timeout is in minutes (tests shorten them)
  bool run_schedules = true;           // a background task fires SCHEDULED triggers
  // An event to EventBridge's default bus of `account` in `region`: source aws.glue, `detail_type`.
  std::function<void(const std::string& account, const std::string& region, const std::string& detail_type,
                     boost::json::object detail)>
      on_event = nullptr;
  // Trigger actions and predicates over crawlers: start a crawler (errors as StartCrawler answers them);
  // the state of its last crawl (RUNNING, SUCCEEDED, FAILED, CANCELLED, or "" when none).
  std::function<Status(const std::string& account, const std::string& region, const std::string& crawler)>
      start_crawler = nullptr;
  std::function<std::string(const std::string& account, const std::string& region,
                            const std::string& crawler)>
      crawler_state = nullptr;
};

class Jobs {
 public:
  static Result<std::unique_ptr<Jobs>> Open(store::MetadataStore& metadata, BackgroundTasks& tasks,
                                            JobsOptions options);
  virtual ~Jobs() = default;

  using Output = Result<aws::OperationOutput>;
  // The operation `op` (one of Operations()) in the request's namespace.
  virtual Output Handle(const aws::RequestContext& ctx, std::string_view op,
                        const boost::json::object& in) = 0;
  static const std::vector<std::string_view>& Operations();

  // A crawler of `account`/`region` ended (state SUCCEEDED, FAILED or CANCELLED): conditional triggers and
  // workflow runs watching it move on. Queued; safe to call with the crawlers' lock held.
  virtual void CrawlerEnded(const std::string& account, const std::string& region, const std::string& crawler,
                            const std::string& state) = 0;
  // Fires every ACTIVATED SCHEDULED trigger due after the previous check and at or before `now_s`.
  virtual void RunDueSchedules(std::int64_t now_s) = 0;
  // Starts the workflow runs of EVENT triggers whose batch window has expired by `now_ms` (the background
  // task calls it; tests may too). Answers in how many milliseconds the next window expires (-1: none open).
  virtual std::int64_t RunEventBatches(std::int64_t now_ms) = 0;
  // Waits until no run is in flight and no trigger work is queued (tests), at most `timeout_ms`.
  virtual bool WaitIdle(std::int64_t timeout_ms) = 0;
  // Where scripts reach this server when the server's own address is not configured: the scheme and Host of
  // the last network request Glue answered ("" before any).
  virtual std::string LastEndpoint() = 0;
  // Stops the runs in flight (they end ERROR at the next start) and waits for their threads.
  virtual void Shutdown() = 0;
};

}  // namespace cenote::glue
