// One crawl: lists a crawler's S3 targets through LakeAccess, samples and classifies files (text heads
// read directly, schemas from DuckDB through QueryEngine::ExecuteTrusted), groups them into tables
// (layout.hpp) and creates, updates, deprecates or deletes tables and partitions in the Catalog as the
// crawler's SchemaChangePolicy and RecrawlPolicy say.
//
// RunCrawl is called on a crawler pool thread; it blocks for the whole crawl and checks `stop` between
// files and tables. Catalog changes made before a stop stay (as in AWS, a stopped crawl keeps what it
// wrote).
#pragma once

#include <atomic>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "query/engine.hpp"
#include "services/glue/catalog.hpp"
#include "services/glue/crawler/layout.hpp"
#include "services/s3/lake_access.hpp"

namespace cenote::glue::crawler {

struct S3TargetDefinition {
  std::string path;
  std::vector<std::string> exclusions;
  int sample_size = 0;  // files per leaf folder; 0 = the default
};

// What a crawl needs from a Crawler document.
struct CrawlDefinition {
  std::string name;
  std::string database;
  std::string table_prefix;
  std::vector<S3TargetDefinition> targets;
  std::string update_behavior = "UPDATE_IN_DATABASE";     // | LOG
  std::string delete_behavior = "DEPRECATE_IN_DATABASE";  // | LOG | DELETE_FROM_DATABASE
  std::string recrawl_behavior = "CRAWL_EVERYTHING";      // | CRAWL_NEW_FOLDERS_ONLY
  GroupingOptions grouping;                               // Configuration.Grouping
  bool merge_new_columns = false;   // Configuration.CrawlerOutput.Tables.AddOrUpdateBehavior
  bool inherit_from_table = false;  // Configuration.CrawlerOutput.Partitions.AddOrUpdateBehavior
};

struct CrawlDependencies {
  RegionalCatalog& catalog;  // the crawler's region's
  // The lake as the crawler's role sees it.
  s3::LakeAccess& lake;
  query::QueryEngine& engine;
  std::size_t max_files = 1000000;
  std::size_t default_sample_files = 10;  // per folder when the target has no SampleSize
};

struct CrawlResult {
  int tables_created = 0;
  int tables_updated = 0;
  int tables_deleted = 0;  // deleted or marked deprecated
  int partitions_created = 0;
  int partitions_deleted = 0;
  bool cancelled = false;
  std::vector<std::string> messages;  // what the crawl did or skipped, for logs
  // Folders (s3://bucket/prefix/) holding files this crawl read: CRAWL_NEW_FOLDERS_ONLY skips them next time.
  std::set<std::string> crawled_folders;
};

// Errors (the crawl FAILED, with the message as LastCrawl.ErrorMessage): a target that is not an S3 path
// or whose bucket does not exist, more than max_files objects, catalog failures.
Result<CrawlResult> RunCrawl(const CrawlDefinition& definition, CrawlDependencies& deps,
                             const std::atomic<bool>& stop, const std::set<std::string>& crawled_before);

// The schema of one file as the built-in classifiers see it, or nullopt when none recognizes it
// (UNKNOWN). `records` / `record_bytes` estimate the row count and average row size.
struct ClassifiedFile {
  FileSchema schema;
  std::uint64_t records = 0;
  std::uint64_t average_record_size = 0;
};
Result<std::optional<ClassifiedFile>> ClassifyFile(query::QueryEngine& engine, const std::string& local_path,
                                                   std::uint64_t size);

// A SQL string literal: single quotes doubled.
std::string SqlQuote(std::string_view text);

}  // namespace cenote::glue::crawler
