// Crawlers: Glue crawlers with S3 targets. A run walks the target prefixes (minus exclusions),
// classifies each file (CSV with delimiter and header detection, TSV, JSON lines, Parquet; gzip/zstd
// compressed), infers and merges schemas, groups files into tables by folder layout, detects Hive-style
// (`year=2024/`) and unnamed (`partition_0`, ...) partition folders, and creates or updates the tables
// and partitions in the Catalog following AWS's naming rules (TablePrefix + the folder name, lower-cased,
// characters outside [a-z0-9_] replaced by '_'). Run state, last crawl info and metrics
// (TablesCreated/TablesUpdated/TablesDeleted, LastRuntimeSeconds, ...) are kept as Glue reports them.
//
// Crawler definitions and run history are stored in the MetadataStore (component "glue_crawler"). Runs
// execute on a background thread pool; a crawler that was RUNNING when the server died is reported
// as having failed its last crawl after a restart.
//
// Thread safety: Invoke may be called concurrently from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "aws/provider.hpp"
#include "common/result.hpp"
#include "query/engine.hpp"
#include "services/glue/catalog.hpp"
#include "services/s3/lake_access.hpp"
#include "store/metadata_store.hpp"

namespace cenote::glue {

struct CrawlerOptions {
  std::string account_id;
  std::string region;
  int threads = 2;                  // crawls that run at once
  std::size_t max_files = 1000000;  // per crawl; more is a failed crawl with the reason
  bool run_schedules = true;        // a thread starts SCHEDULED crawlers on time (tests: RunDueSchedules)
};

class Crawlers {
 public:
  static Result<std::unique_ptr<Crawlers>> Open(store::MetadataStore& metadata, Catalog& catalog,
                                                s3::LakeAccess& lake, query::QueryEngine& engine,
                                                CrawlerOptions options);
  virtual ~Crawlers() = default;

  // The Glue operations handled here (CreateCrawler, GetCrawler, GetCrawlers, ListCrawlers,
  // BatchGetCrawlers, UpdateCrawler, DeleteCrawler, StartCrawler, StopCrawler, GetCrawlerMetrics, ...).
  static const std::vector<std::string_view>& Operations();
  virtual Result<aws::OperationOutput> Invoke(const aws::RequestContext& ctx, std::string_view operation,
                                              aws::OperationInput& input) = 0;

  // Starts every SCHEDULED crawler whose schedule fired after the previous check and at or before
  // `now_s` (seconds since the epoch, UTC); a crawler still running skips that run. The scheduler
  // thread calls it on time; tests call it with their own clock (run_schedules = false).
  virtual void RunDueSchedules(std::int64_t now_s) = 0;

  // Stops running crawls and waits for the pool (server shutdown).
  virtual void Shutdown() = 0;
};

}  // namespace cenote::glue
