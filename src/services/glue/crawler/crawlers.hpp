// Crawlers: Glue crawlers with S3 targets. A run walks the target prefixes (minus exclusions),
// classifies each file (CSV with delimiter and header detection, TSV, JSON lines, Parquet; gzip/zstd
// compressed), infers and merges schemas, groups files into tables by folder layout, detects Hive-style
// (`year=2024/`) and unnamed (`partition_0`, ...) partition folders, and creates or updates the tables
// and partitions in the Catalog following AWS's naming rules (TablePrefix + the folder name, lower-cased,
// characters outside [a-z0-9_] replaced by '_'). Run state, last crawl info and metrics
// (TablesCreated/TablesUpdated/TablesDeleted, LastRuntimeSeconds, ...) are kept as Glue reports them.
//
// As on AWS a crawler lives in the namespace of its account and region (the request's), writes to that
// region's catalog, and reads the lake as its Role: an assumed-role principal
// (arn:aws:sts::<account>:assumed-role/<role>/AWS-Crawler) calling S3 on behalf of glue.amazonaws.com,
// in the crawler's region.
//
// Crawler definitions and run history are stored in the MetadataStore (component "glue_crawler"). Runs
// execute on a pool of crawl threads; the schedules of every region are kept by one background task. A
// crawler that was RUNNING when the server died is reported as having failed its last crawl after a
// restart.
//
// Thread safety: every method may be called concurrently from any thread.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "aws/provider.hpp"
#include "common/background_tasks.hpp"
#include "common/result.hpp"
#include "iam/principal.hpp"
#include "query/engine.hpp"
#include "services/glue/catalog.hpp"
#include "services/s3/lake_access.hpp"
#include "store/metadata_store.hpp"

namespace cenote::glue {

struct CrawlerOptions {
  // Crawlers stored before they were regional belong to this account and region.
  std::string default_account;
  std::string default_region;
  int threads = 2;                  // crawls that run at once
  std::size_t max_files = 1000000;  // per crawl; more is a failed crawl with the reason
  bool run_schedules = true;  // a background task starts SCHEDULED crawlers on time (tests: RunDueSchedules)
  // Called with the account, region and the detail of AWS's "Glue Crawler State Change" event (state Started,
  // Succeeded or Failed) once the transition is stored; Glue's registration puts it on EventBridge's default
  // bus. Runs on the thread that made the transition, with the crawlers' lock held: it must not call Glue's
  // crawler operations. Unset: no events.
  std::function<void(const std::string& account, const std::string& region, boost::json::object detail)>
      on_state_change;
};

class Crawlers {
 public:
  // `tasks` runs the schedule task (when options.run_schedules); the catalog, lake, engine and tasks must
  // outlive the crawlers.
  static Result<std::unique_ptr<Crawlers>> Open(store::MetadataStore& metadata, const Catalog& catalog,
                                                s3::Lake& lake, query::QueryEngine& engine,
                                                BackgroundTasks& tasks, CrawlerOptions options);
  virtual ~Crawlers() = default;

  // The Glue crawler operations, in the namespace of the request's account and region. `in` is the
  // operation's input document; the result is its output document.
  using Output = Result<aws::OperationOutput>;
  using Input = boost::json::object;
  virtual Output CreateCrawler(const aws::RequestContext& ctx, const Input& in) = 0;
  virtual Output GetCrawler(const aws::RequestContext& ctx, const Input& in) = 0;
  virtual Output GetCrawlers(const aws::RequestContext& ctx, const Input& in) = 0;
  virtual Output ListCrawlers(const aws::RequestContext& ctx, const Input& in) = 0;
  virtual Output BatchGetCrawlers(const aws::RequestContext& ctx, const Input& in) = 0;
  virtual Output UpdateCrawler(const aws::RequestContext& ctx, const Input& in) = 0;
  virtual Output DeleteCrawler(const aws::RequestContext& ctx, const Input& in) = 0;
  virtual Output StartCrawler(const aws::RequestContext& ctx, const Input& in) = 0;
  virtual Output StopCrawler(const aws::RequestContext& ctx, const Input& in) = 0;
  virtual Output GetCrawlerMetrics(const aws::RequestContext& ctx, const Input& in) = 0;
  virtual Output ListCrawls(const aws::RequestContext& ctx, const Input& in) = 0;
  // StartCrawlerSchedule (`scheduled`) / StopCrawlerSchedule.
  virtual Output SetScheduleState(const aws::RequestContext& ctx, const Input& in, bool scheduled) = 0;
  virtual Output UpdateCrawlerSchedule(const aws::RequestContext& ctx, const Input& in) = 0;

  // Starts every SCHEDULED crawler of any account and region whose schedule fired after the previous
  // check and at or before `now_s` (seconds since the epoch, UTC); a crawler still running skips that
  // run. The schedule task calls it on time; tests call it with their own clock (run_schedules = false).
  virtual void RunDueSchedules(std::int64_t now_s) = 0;

  // Stops running crawls and waits for the pool (server shutdown).
  virtual void Shutdown() = 0;
};

// The principal a crawler reads the lake as: its Role (a role name, with or without a path, in the
// crawler's account, or a role ARN) assumed by Glue, session "AWS-Crawler".
iam::Principal CrawlerRolePrincipal(const std::string& role, const std::string& crawler_account);

}  // namespace cenote::glue
