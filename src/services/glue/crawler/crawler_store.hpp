// Durable crawler state in the MetadataStore (component "glue_crawler"): definitions, run state, last
// crawl, metrics, run history (ListCrawls) and the folders already crawled (CRAWL_NEW_FOLDERS_ONLY).
//
// Thread safety: each function is one transaction on the shared store; callers serialize the
// check-then-write sequences that need it.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "store/metadata_store.hpp"

namespace cenote::glue::crawler {

struct CrawlerRecord {
  std::string account;  // the crawler's namespace: its account and region
  std::string region;
  std::string name;
  boost::json::object definition;  // the Crawler members a client sets (Name, Role, Targets, ...)
  boost::json::object tags;
  std::string state = "READY";  // READY | RUNNING | STOPPING
  std::int64_t version = 1;
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
  std::optional<boost::json::object> last_crawl;  // LastCrawl
  std::int64_t crawl_started_ms = 0;              // while RUNNING/STOPPING
  std::string crawl_id;                           // the run in progress
  // Metrics of the last finished crawl and recent run times (seconds, newest last).
  std::int64_t tables_created = 0;
  std::int64_t tables_updated = 0;
  std::int64_t tables_deleted = 0;
  std::vector<double> runtimes;
};

struct CrawlRecord {
  std::string crawler;
  std::string crawl_id;
  std::string state;  // RUNNING | COMPLETED | FAILED | STOPPED
  std::int64_t start_ms = 0;
  std::int64_t end_ms = 0;
  std::string summary;
  std::string error;
};

// The crawlers of every account and region; the methods below but Open and ListScheduled work in the
// namespace of the store ForRegion returned (an unbound store answers them for no namespace).
class CrawlerStore {
 public:
  // Runs the migrations (rows from before crawlers were regional belong to `default_account` in
  // `default_region`), then marks crawls that were running when the server stopped as failed.
  static Result<CrawlerStore> Open(store::MetadataStore& metadata, std::int64_t now_ms,
                                   const std::string& default_account, const std::string& default_region);

  // The same store, bound to the crawlers of `account` in `region`. Cheap.
  CrawlerStore ForRegion(std::string account, std::string region) const {
    return CrawlerStore(*metadata_, std::move(account), std::move(region));
  }
  const std::string& account() const { return account_; }
  const std::string& region() const { return region_; }
  // Every crawler with a schedule, in every account and region (the scheduler's view).
  Result<std::vector<CrawlerRecord>> ListScheduled();

  Result<std::optional<CrawlerRecord>> Get(const std::string& name);
  // In name order, names > `after`, at most `limit`.
  Result<std::vector<CrawlerRecord>> List(const std::string& after, std::size_t limit);
  Result<std::int64_t> Count();
  // Insert: AlreadyExists when the name is taken (returns false). Update: replaces the row.
  Result<bool> Insert(const CrawlerRecord& record);
  Status Update(const CrawlerRecord& record);
  // Removes the crawler, its history and its crawled folders.
  Status Delete(const std::string& name);

  Status PutCrawl(const CrawlRecord& crawl);
  // Newest first.
  Result<std::vector<CrawlRecord>> ListCrawls(const std::string& crawler);

  Result<std::set<std::string>> CrawledFolders(const std::string& crawler);
  Status AddCrawledFolders(const std::string& crawler, const std::set<std::string>& folders);

 private:
  CrawlerStore(store::MetadataStore& metadata, std::string account, std::string region)
      : metadata_(&metadata), account_(std::move(account)), region_(std::move(region)) {}
  Status RecoverInterrupted(std::int64_t now_ms);

  store::MetadataStore* metadata_;
  std::string account_;
  std::string region_;
};

// Schema of component "glue_crawler": its migrations (one entry per schema version) and the FreshSchema
// generated from them (fresh_schema.inc; the FreshSchema unit test checks and regenerates it).
std::vector<std::string> Migrations(const std::string& default_account, const std::string& default_region);
store::FreshSchema FreshSchema();

}  // namespace cenote::glue::crawler
