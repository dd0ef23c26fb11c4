// ColumnStatisticsRuns: Glue's column statistics task runs (StartColumnStatisticsTaskRun,
// GetColumnStatisticsTaskRun(s), ListColumnStatisticsTaskRuns, StopColumnStatisticsTaskRun). A run computes
// the statistics of a table's columns (ColumnNameList, or every column of a type Glue keeps statistics for)
// with the query engine (StatisticsQueries, offered by Athena), reading the lake as the run's Role assumed by
// Glue, and stores them as UpdateColumnStatisticsForTable would. Runs are kept in the catalog's store
// (CatalogObjects kind "colstat_run"): STARTING when accepted, RUNNING, then SUCCEEDED, FAILED (ErrorMessage)
// or STOPPED. One run at a time per table (ColumnStatisticsTaskRunningException). A run that was in flight
// when the server stopped is FAILED after the restart.
//
// Thread safety: every method may be called from any thread; runs execute one at a time on a background task.
#pragma once

#include <boost/json/object.hpp>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "aws/provider.hpp"
#include "common/background_tasks.hpp"
#include "common/mutex.hpp"
#include "query/engine.hpp"
#include "services/glue/catalog.hpp"

namespace cenote::glue {

class ColumnStatisticsRuns {
 public:
  static Result<std::unique_ptr<ColumnStatisticsRuns>> Open(const Catalog& catalog, BackgroundTasks& tasks);
  ~ColumnStatisticsRuns();

  // The operations, on the request's catalog (inputs and outputs as the Glue model's).
  Result<boost::json::object> Start(const aws::RequestContext& ctx, const boost::json::object& in)
      LOCKS_EXCLUDED(mu_);
  Result<boost::json::object> Get(const aws::RequestContext& ctx, const boost::json::object& in);
  Result<boost::json::object> GetRuns(const aws::RequestContext& ctx, const boost::json::object& in);
  Result<boost::json::object> List(const aws::RequestContext& ctx, const boost::json::object& in);
  Result<boost::json::object> Stop(const aws::RequestContext& ctx, const boost::json::object& in)
      LOCKS_EXCLUDED(mu_);

  // Cancels the running run and stops the runner (the platform's shutdown).
  void Shutdown() LOCKS_EXCLUDED(mu_);

 private:
  ColumnStatisticsRuns(const Catalog& catalog) : catalog_(catalog) {}
  // The task body: runs the queued runs, one at a time.
  void RunQueued() LOCKS_EXCLUDED(mu_);
  void Execute(const ObjectKey& key) LOCKS_EXCLUDED(mu_);
  Status Update(const ObjectKey& key, const std::function<void(boost::json::object&)>& change);

  const Catalog& catalog_;
  Mutex mu_;
  std::deque<ObjectKey> queue_ GUARDED_BY(mu_);
  std::string running_ GUARDED_BY(mu_);  // the run id executing now ("" = none)
  std::shared_ptr<query::Cancellation> cancel_ GUARDED_BY(mu_);
  bool shut_down_ GUARDED_BY(mu_) = false;
  std::unique_ptr<BackgroundTask> runner_;  // last: stopped before the state above goes
};

}  // namespace cenote::glue
