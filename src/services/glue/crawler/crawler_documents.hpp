// Crawler documents: validating CreateCrawler/UpdateCrawler input into a stored definition (with Glue's
// defaults), and the Crawler, CrawlerMetrics and CrawlerHistory output documents.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "services/glue/crawler/crawl.hpp"
#include "services/glue/crawler/crawler_store.hpp"

namespace cenote::glue::crawler {

// Validates the definition members present in `in` and writes them into `definition`. With `create`,
// Role and Targets are required and absent members get Glue's defaults (SchemaChangePolicy
// UPDATE_IN_DATABASE / DEPRECATE_IN_DATABASE, RecrawlPolicy CRAWL_EVERYTHING, LineageConfiguration
// DISABLE, ...). Only S3 targets are supported; other target kinds are InvalidInputException.
Status ApplyDefinition(const boost::json::object& in, bool create, boost::json::object* definition);

// Schedules (cron(...), at most every kMinScheduleMinutes, as Glue allows). The definition keeps the
// expression as "Schedule" and its state (SCHEDULED | NOT_SCHEDULED) as kScheduleState, an internal
// member CrawlerDocument reports as Schedule.State. "" removes the schedule; a new one starts SCHEDULED.
inline constexpr const char* kScheduleState = "__ScheduleState";
inline constexpr int kMinScheduleMinutes = 5;
Status SetSchedule(const std::string& expression, boost::json::object* definition);
std::string ScheduleState(const boost::json::object& definition);

boost::json::object CrawlerDocument(const CrawlerRecord& record, std::int64_t now_ms);
boost::json::object MetricsDocument(const CrawlerRecord& record, std::int64_t now_ms);
CrawlDefinition ToCrawlDefinition(const CrawlerRecord& record);

struct CrawlFilter {
  std::string field;  // CRAWL_ID | STATE | START_TIME | END_TIME | DPU_HOUR
  std::string op;     // GT | GE | LT | LE | EQ | NE
  std::string value;
};
Result<std::vector<CrawlFilter>> ParseCrawlFilters(const boost::json::object& in);
bool CrawlMatches(const CrawlRecord& crawl, const std::vector<CrawlFilter>& filters);
boost::json::object CrawlDocument(const CrawlRecord& crawl);
// CrawlerHistory.Summary: what the crawl added, updated and deleted, as JSON text.
std::string CrawlSummary(const CrawlResult& result);

}  // namespace cenote::glue::crawler
