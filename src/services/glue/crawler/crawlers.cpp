#include "services/glue/crawler/crawlers.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <ctime>
#include <deque>
#include <exception>
#include <map>
#include <thread>
#include <tuple>

#include "common/aws_cron.hpp"
#include "common/clock.hpp"
#include "common/encoding.hpp"
#include "common/mutex.hpp"
#include "common/random.hpp"
#include "common/strings.hpp"
#include "iam/directory.hpp"
#include "services/common/params.hpp"
#include "services/glue/crawler/crawl.hpp"
#include "services/glue/crawler/crawler_documents.hpp"
#include "services/glue/crawler/crawler_errors.hpp"
#include "services/glue/crawler/crawler_store.hpp"

namespace cenote::glue {

namespace json = boost::json;
using crawler::CrawlerRecord;
using crawler::CrawlRecord;

namespace {

constexpr std::size_t kMaxCrawlers = 1000;  // Glue's default quota of crawlers per account
constexpr std::size_t kRuntimesKept = 20;   // for MedianRuntimeSeconds
constexpr const char* kLogGroup = "/aws-glue/crawlers";

// ---- input helpers over the shared readers (services/common/params.hpp). The parse stage checks the
// model's constraints of a request (types, lengths, ranges, list sizes) before a handler runs.

std::optional<std::string> OptString(const json::object& o, std::string_view key) {
  return services::GetString(o, key);
}

// A required name member: Glue's missing-member answer for callers that skip the parse stage.
Result<std::string> RequiredName(const json::object& o, std::string_view key, std::string_view path) {
  return services::RequireString(o, key, MissingMember(std::string(path)));
}

std::optional<std::int64_t> OptInt(const json::object& o, std::string_view key) {
  return services::GetInt(o, key);
}

std::vector<std::string> NameList(const json::object& o, std::string_view key) {
  std::vector<std::string> out;
  if (const json::array* arr = services::GetArray(o, key)) {
    for (const auto& v : *arr) {
      if (v.is_string()) out.emplace_back(v.get_string());
    }
  }
  return out;
}

// Pagination tokens: the last name of the previous page, base64 so clients treat it as opaque.
std::string MakeToken(const std::string& last) { return Base64Encode(last); }
Result<std::string> ReadToken(const json::object& o) {
  std::optional<std::string> t = OptString(o, "NextToken");
  if (!t || t->empty()) return std::string();
  auto decoded = Base64Decode(*t);
  if (!decoded) return InvalidInput("Invalid pagination token");
  return *decoded;
}

// A crawler's identity: its namespace (account, region) and name.
struct CrawlerKey {
  std::string account;
  std::string region;
  std::string name;
  bool operator<(const CrawlerKey& o) const {
    return std::tie(account, region, name) < std::tie(o.account, o.region, o.name);
  }
};

class CrawlersImpl final : public Crawlers {
 public:
  CrawlersImpl(crawler::CrawlerStore store, const Catalog& catalog, s3::Lake& lake,
               query::QueryEngine& engine, BackgroundTasks& tasks, CrawlerOptions options)
      : store_(std::move(store)),
        catalog_(catalog),
        lake_(lake),
        engine_(engine),
        options_(std::move(options)) {
    int threads = std::max(1, options_.threads);
    for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { WorkerLoop(); });
    {
      MutexLock lock(mu_);
      last_schedule_check_s_ = UnixNowMs() / 1000;
    }
    if (options_.run_schedules) {
      schedules_ = tasks.Start(
          "glue-crawler-schedules", [this] { return ScheduleRound(); }, std::chrono::milliseconds(0));
    }
  }
  ~CrawlersImpl() override { Shutdown(); }

  void Shutdown() override {
    {
      MutexLock lock(mu_);
      if (shut_down_) return;
      shutting_down_ = true;
      for (auto& [key, stop] : running_) *stop = true;
    }
    cv_.SignalAll();
    if (schedules_) schedules_->Stop();
    for (auto& t : workers_) {
      if (t.joinable()) t.join();
    }
    MutexLock lock(mu_);
    shut_down_ = true;
  }

  void RunDueSchedules(std::int64_t now_s) override {
    std::int64_t since = 0;
    {
      MutexLock lock(mu_);
      since = last_schedule_check_s_;
      if (now_s <= since) return;
      last_schedule_check_s_ = now_s;
    }
    for (const auto& [key, cron] : ActiveSchedules()) {
      auto next = cron.NextAfter(since);
      if (!next || *next > now_s) continue;
      // A crawler still running at its scheduled time skips that run, as Glue's scheduler does.
      crawler::CrawlerStore store = store_.ForRegion(key.account, key.region);
      auto started = Start(store, key.name, crawler::CrawlerNotFound);
      if (!started && started.error().code != "CrawlerRunningException") {
        spdlog::warn("glue crawler {} ({}): scheduled run not started: {}", key.name, key.region,
                     started.error().message);
      }
    }
  }

 private:
  // The crawlers of the request's account and region.
  crawler::CrawlerStore StoreOf(const aws::RequestContext& ctx) const {
    return store_.ForRegion(ctx.account_id(), ctx.region);
  }
  // Wakes the schedule task to re-read the schedules (a crawler or its schedule changed).
  void SchedulesChanged() {
    if (schedules_) schedules_->Wake();
  }

  // ---- definitions

  Output CreateCrawler(const aws::RequestContext& ctx, const Input& in) override {
    crawler::CrawlerStore store = StoreOf(ctx);
    CENOTE_ASSIGN_OR_RETURN(auto name, RequiredName(in, "Name", "name"));
    json::object def;
    CENOTE_RETURN_IF_ERROR(crawler::ApplyDefinition(in, /*create=*/true, &def));
    auto tags_it = in.find("Tags");
    json::object tags;
    if (tags_it != in.end() && !tags_it->value().is_null()) {
      if (!tags_it->value().is_object()) return crawler::ValidationError("tags", "Member must be a map");
      tags = tags_it->value().get_object();
    }
    CENOTE_ASSIGN_OR_RETURN(auto count, store.Count());
    if (static_cast<std::size_t>(count) >= kMaxCrawlers) {
      return GlueError(errors::kCrawlerQuota, {std::to_string(kMaxCrawlers)});
    }
    CrawlerRecord r;
    r.account = ctx.account_id();
    r.region = ctx.region;
    r.name = name;
    def["Name"] = name;
    r.definition = std::move(def);
    r.tags = std::move(tags);
    r.created_ms = r.updated_ms = UnixNowMs();
    MutexLock lock(mu_);
    CENOTE_ASSIGN_OR_RETURN(auto inserted, store.Insert(r));
    if (!inserted) return crawler::CrawlerAlreadyExists(name);
    SchedulesChanged();
    return json::object();
  }

  static Result<CrawlerRecord> Load(crawler::CrawlerStore& store, const std::string& name,
                                    Error (*not_found)(const std::string&)) {
    CENOTE_ASSIGN_OR_RETURN(auto r, store.Get(name));
    if (!r) return not_found(name);
    return std::move(*r);
  }

  Output GetCrawler(const aws::RequestContext& ctx, const Input& in) override {
    crawler::CrawlerStore store = StoreOf(ctx);
    CENOTE_ASSIGN_OR_RETURN(auto name, RequiredName(in, "Name", "name"));
    CENOTE_ASSIGN_OR_RETURN(auto r, Load(store, name, crawler::CrawlerEntryNotFound));
    return json::object{{"Crawler", crawler::CrawlerDocument(r, UnixNowMs())}};
  }

  Output GetCrawlers(const aws::RequestContext& ctx, const Input& in) override {
    crawler::CrawlerStore store = StoreOf(ctx);
    std::optional<std::int64_t> max = OptInt(in, "MaxResults");
    CENOTE_ASSIGN_OR_RETURN(auto after, ReadToken(in));
    std::size_t limit = static_cast<std::size_t>(max.value_or(100));
    CENOTE_ASSIGN_OR_RETURN(auto page, store.List(after, limit + 1));
    json::object out;
    json::array crawlers;
    std::int64_t now = UnixNowMs();
    for (std::size_t i = 0; i < page.size() && i < limit; ++i)
      crawlers.push_back(crawler::CrawlerDocument(page[i], now));
    out["Crawlers"] = std::move(crawlers);
    if (page.size() > limit) out["NextToken"] = MakeToken(page[limit - 1].name);
    return out;
  }

  Output ListCrawlers(const aws::RequestContext& ctx, const Input& in) override {
    crawler::CrawlerStore store = StoreOf(ctx);
    std::optional<std::int64_t> max = OptInt(in, "MaxResults");
    CENOTE_ASSIGN_OR_RETURN(auto after, ReadToken(in));
    json::object want;
    auto tags_it = in.find("Tags");
    if (tags_it != in.end() && tags_it->value().is_object()) want = tags_it->value().get_object();
    std::size_t limit = static_cast<std::size_t>(max.value_or(100));
    json::array names;
    std::string cursor = after;
    std::string last;
    bool more = false;
    // Pages through the store until `limit` matches (tag filters may skip rows); bounded by the quota.
    for (std::size_t round = 0; round <= kMaxCrawlers && !more; ++round) {
      CENOTE_ASSIGN_OR_RETURN(auto page, store.List(cursor, 200));
      if (page.empty()) break;
      for (const auto& r : page) {
        cursor = r.name;
        bool match = std::all_of(want.begin(), want.end(), [&](const json::key_value_pair& kv) {
          auto it = r.tags.find(kv.key());
          return it != r.tags.end() && it->value() == kv.value();
        });
        if (!match) continue;
        if (names.size() == limit) {
          more = true;
          break;
        }
        names.push_back(json::string(r.name));
        last = r.name;
      }
    }
    json::object out{{"CrawlerNames", std::move(names)}};
    if (more) out["NextToken"] = MakeToken(last);
    return out;
  }

  Output BatchGetCrawlers(const aws::RequestContext& ctx, const Input& in) override {
    crawler::CrawlerStore store = StoreOf(ctx);
    if (!in.contains("CrawlerNames")) return MissingMember("crawlerNames");
    std::vector<std::string> names = NameList(in, "CrawlerNames");
    json::array found, missing;
    std::int64_t now = UnixNowMs();
    for (const auto& n : names) {
      CENOTE_ASSIGN_OR_RETURN(auto r, store.Get(n));
      if (r) {
        found.push_back(crawler::CrawlerDocument(*r, now));
      } else {
        missing.push_back(json::string(n));
      }
    }
    return json::object{{"Crawlers", std::move(found)}, {"CrawlersNotFound", std::move(missing)}};
  }

  Output UpdateCrawler(const aws::RequestContext& ctx, const Input& in) override {
    crawler::CrawlerStore store = StoreOf(ctx);
    CENOTE_ASSIGN_OR_RETURN(auto name, RequiredName(in, "Name", "name"));
    MutexLock lock(mu_);
    CENOTE_ASSIGN_OR_RETURN(auto r, Load(store, name, crawler::CrawlerEntryNotFound));
    if (r.state != "READY") return crawler::CannotUpdateWhileRunning();
    json::object def = r.definition;
    CENOTE_RETURN_IF_ERROR(crawler::ApplyDefinition(in, /*create=*/false, &def));
    r.definition = std::move(def);
    r.version += 1;
    r.updated_ms = UnixNowMs();
    CENOTE_RETURN_IF_ERROR(store.Update(r));
    SchedulesChanged();
    return json::object();
  }

  Output DeleteCrawler(const aws::RequestContext& ctx, const Input& in) override {
    crawler::CrawlerStore store = StoreOf(ctx);
    CENOTE_ASSIGN_OR_RETURN(auto name, RequiredName(in, "Name", "name"));
    MutexLock lock(mu_);
    CENOTE_ASSIGN_OR_RETURN(auto r, Load(store, name, crawler::CrawlerEntryNotFound));
    if (r.state != "READY") return crawler::CrawlerRunning(name);
    CENOTE_RETURN_IF_ERROR(store.Delete(name));
    return json::object();
  }

  // ---- runs

  Output StartCrawler(const aws::RequestContext& ctx, const Input& in) override {
    crawler::CrawlerStore store = StoreOf(ctx);
    CENOTE_ASSIGN_OR_RETURN(auto name, RequiredName(in, "Name", "name"));
    CENOTE_RETURN_IF_ERROR(Start(store, name, crawler::CrawlerNotFound));
    return json::object();
  }

  // Queues a run of `name` (StartCrawler, or its schedule firing).
  Status Start(crawler::CrawlerStore& store, const std::string& name,
               Error (*not_found)(const std::string&)) {
    MutexLock lock(mu_);
    if (shutting_down_) return GlueError(errors::kShuttingDown);
    CENOTE_ASSIGN_OR_RETURN(auto r, Load(store, name, not_found));
    if (r.state != "READY") return crawler::CrawlerAlreadyStarted(name);
    r.state = "RUNNING";
    r.crawl_started_ms = UnixNowMs();
    r.crawl_id = NewUuidV4();
    CENOTE_RETURN_IF_ERROR(store.Update(r));
    CENOTE_RETURN_IF_ERROR(store.PutCrawl(CrawlRecord{.crawler = name,
                                                      .crawl_id = r.crawl_id,
                                                      .state = "RUNNING",
                                                      .start_ms = r.crawl_started_ms,
                                                      .end_ms = 0,
                                                      .summary = "",
                                                      .error = ""}));
    Announce(store.account(), store.region(),
             json::object{{"accountId", store.account()},
                          {"crawlerName", name},
                          {"startTime", IsoSeconds(r.crawl_started_ms)},
                          {"state", "Started"},
                          {"message", "Crawler Started"}});
    CrawlerKey key{.account = store.account(), .region = store.region(), .name = name};
    running_[key] = std::make_shared<std::atomic<bool>>(false);
    queue_.push_back(std::move(key));
    cv_.Signal();
    return Status::Ok();
  }

  // ---- schedules

  // StartCrawlerSchedule / StopCrawlerSchedule.
  Output SetScheduleState(const aws::RequestContext& ctx, const Input& in, bool scheduled) override {
    crawler::CrawlerStore store = StoreOf(ctx);
    CENOTE_ASSIGN_OR_RETURN(auto name, RequiredName(in, "CrawlerName", "crawlerName"));
    {
      MutexLock lock(mu_);
      CENOTE_ASSIGN_OR_RETURN(auto r, Load(store, name, crawler::CrawlerEntryNotFound));
      if (!r.definition.contains("Schedule")) {
        if (scheduled) return GlueError(errors::kNoSchedule, {name});
        return GlueError(errors::kSchedulerNotRunning, {name});
      }
      std::string state = crawler::ScheduleState(r.definition);
      if (scheduled && state == "SCHEDULED") return GlueError(errors::kSchedulerRunning, {name});
      if (!scheduled && state != "SCHEDULED") return GlueError(errors::kSchedulerNotRunning, {name});
      r.definition[crawler::kScheduleState] = scheduled ? "SCHEDULED" : "NOT_SCHEDULED";
      r.updated_ms = UnixNowMs();
      CENOTE_RETURN_IF_ERROR(store.Update(r));
    }
    SchedulesChanged();
    return json::object();
  }

  Output UpdateCrawlerSchedule(const aws::RequestContext& ctx, const Input& in) override {
    crawler::CrawlerStore store = StoreOf(ctx);
    CENOTE_ASSIGN_OR_RETURN(auto name, RequiredName(in, "CrawlerName", "crawlerName"));
    std::optional<std::string> schedule = OptString(in, "Schedule");
    {
      MutexLock lock(mu_);
      CENOTE_ASSIGN_OR_RETURN(auto r, Load(store, name, crawler::CrawlerEntryNotFound));
      CENOTE_RETURN_IF_ERROR(crawler::SetSchedule(schedule.value_or(""), &r.definition));
      r.updated_ms = UnixNowMs();
      CENOTE_RETURN_IF_ERROR(store.Update(r));
    }
    SchedulesChanged();
    return json::object();
  }

  // The crawlers of every account and region whose schedule is SCHEDULED, with their parsed expressions.
  std::vector<std::pair<CrawlerKey, CronSchedule>> ActiveSchedules() {
    std::vector<std::pair<CrawlerKey, CronSchedule>> out;
    auto scheduled = store_.ListScheduled();
    if (!scheduled) {
      spdlog::warn("glue crawler schedules not read: {}", scheduled.error().message);
      return out;
    }
    for (const auto& r : *scheduled) {
      if (crawler::ScheduleState(r.definition) != "SCHEDULED") continue;
      auto it = r.definition.find("Schedule");
      if (it == r.definition.end() || !it->value().is_string()) continue;
      auto cron = CronSchedule::Parse(std::string(it->value().get_string()));
      if (cron)
        out.emplace_back(CrawlerKey{.account = r.account, .region = r.region, .name = r.name},
                         std::move(*cron));
    }
    return out;
  }

  // One round of the schedule task: starts what is due, then sleeps until the next scheduled run of any
  // region (at most an hour: the schedules are re-read at least hourly) or a schedule change (Wake).
  BackgroundTask::Clock::duration ScheduleRound() {
    RunDueSchedules(UnixNowMs() / 1000);
    const std::int64_t now_ms = UnixNowMs();
    std::int64_t next_s = now_ms / 1000 + 3600;
    for (const auto& [key, cron] : ActiveSchedules()) {
      if (auto n = cron.NextAfter(now_ms / 1000)) next_s = std::min(next_s, *n);
    }
    // Just past the second the run is due, so that RunDueSchedules sees it as fired.
    return std::chrono::milliseconds(std::max<std::int64_t>(1, next_s * 1000 - now_ms + 5));
  }

  Output StopCrawler(const aws::RequestContext& ctx, const Input& in) override {
    crawler::CrawlerStore store = StoreOf(ctx);
    CENOTE_ASSIGN_OR_RETURN(auto name, RequiredName(in, "Name", "name"));
    MutexLock lock(mu_);
    CENOTE_ASSIGN_OR_RETURN(auto r, Load(store, name, crawler::CrawlerNotFound));
    if (r.state == "READY") return crawler::CrawlerNotRunning(name);
    if (r.state == "STOPPING") return crawler::CrawlerStopping(name);
    r.state = "STOPPING";
    CENOTE_RETURN_IF_ERROR(store.Update(r));
    auto it = running_.find(CrawlerKey{.account = ctx.account_id(), .region = ctx.region, .name = name});
    if (it != running_.end()) *it->second = true;
    return json::object();
  }

  Output GetCrawlerMetrics(const aws::RequestContext& ctx, const Input& in) override {
    crawler::CrawlerStore store = StoreOf(ctx);
    std::vector<std::string> names = NameList(in, "CrawlerNameList");
    std::optional<std::int64_t> max = OptInt(in, "MaxResults");
    CENOTE_ASSIGN_OR_RETURN(auto after, ReadToken(in));
    std::size_t limit = static_cast<std::size_t>(max.value_or(100));
    std::vector<CrawlerRecord> records;
    if (names.empty()) {
      CENOTE_ASSIGN_OR_RETURN(auto page, store.List(after, limit + 1));
      records = std::move(page);
    } else {
      std::sort(names.begin(), names.end());
      names.erase(std::unique(names.begin(), names.end()), names.end());
      for (const auto& n : names) {
        if (n <= after && !after.empty()) continue;
        CENOTE_ASSIGN_OR_RETURN(auto r, store.Get(n));
        if (r) records.push_back(std::move(*r));
      }
    }
    json::array list;
    std::int64_t now = UnixNowMs();
    for (std::size_t i = 0; i < records.size() && i < limit; ++i)
      list.push_back(crawler::MetricsDocument(records[i], now));
    json::object out{{"CrawlerMetricsList", std::move(list)}};
    if (records.size() > limit) out["NextToken"] = MakeToken(records[limit - 1].name);
    return out;
  }

  Output ListCrawls(const aws::RequestContext& ctx, const Input& in) override {
    crawler::CrawlerStore store = StoreOf(ctx);
    CENOTE_ASSIGN_OR_RETURN(auto name, RequiredName(in, "CrawlerName", "crawlerName"));
    std::optional<std::int64_t> max = OptInt(in, "MaxResults");
    CENOTE_ASSIGN_OR_RETURN(auto after, ReadToken(in));
    CENOTE_ASSIGN_OR_RETURN(auto filters, crawler::ParseCrawlFilters(in));
    CENOTE_RETURN_IF_ERROR(Load(store, name, crawler::CrawlerEntryNotFound));
    CENOTE_ASSIGN_OR_RETURN(auto crawls, store.ListCrawls(name));
    std::size_t limit = std::min<std::size_t>(static_cast<std::size_t>(max.value_or(20)), 100);
    json::array list;
    bool skipping = !after.empty();
    std::string last;
    bool more = false;
    for (const auto& c : crawls) {
      if (skipping) {
        if (c.crawl_id == after) skipping = false;
        continue;
      }
      if (!crawler::CrawlMatches(c, filters)) continue;
      if (list.size() == limit) {
        more = true;
        break;
      }
      list.push_back(crawler::CrawlDocument(c));
      last = c.crawl_id;
    }
    json::object out{{"Crawls", std::move(list)}};
    if (more) out["NextToken"] = MakeToken(last);
    return out;
  }

  // ---- the pool

  void WorkerLoop() {
    while (true) {
      CrawlerKey key;
      {
        MutexLock lock(mu_);
        while (!shutting_down_ && queue_.empty()) cv_.Wait(lock);
        if (queue_.empty()) return;  // shutting down with nothing left
        key = std::move(queue_.front());
        queue_.pop_front();
      }
      RunOne(key);
    }
  }

  // Runs one crawl of `key` in its region: the region's catalog, the lake as the crawler's role.
  void RunOne(const CrawlerKey& key) {
    const std::string& name = key.name;
    crawler::CrawlerStore store = store_.ForRegion(key.account, key.region);
    std::shared_ptr<std::atomic<bool>> stop;
    {
      MutexLock lock(mu_);
      stop = running_[key];
      if (!stop) stop = running_[key] = std::make_shared<std::atomic<bool>>(false);
      if (shutting_down_) *stop = true;
    }
    auto rec = store.Get(name);
    std::optional<Error> failure;
    crawler::CrawlResult result;
    if (!rec || !*rec) {
      failure = rec ? InternalError("crawler vanished") : rec.error();
    } else {
      try {
        crawler::CrawlDefinition def = crawler::ToCrawlDefinition(**rec);
        std::set<std::string> crawled;
        if (def.recrawl_behavior == "CRAWL_NEW_FOLDERS_ONLY") {
          auto folders = store.CrawledFolders(name);
          if (folders) crawled = std::move(*folders);
        }
        aws::Caller caller{.principal = CrawlerRolePrincipal(
                               services::GetString((*rec)->definition, "Role").value_or(""), key.account),
                           .region = key.region,
                           .invoked_by = "glue.amazonaws.com",
                           .parent_request_id = "",
                           .source_arn = "",
                           .source_account = "",
                           .forwarded = false};
        // The crawler's role also reads and writes an encrypted catalog (its KMS permissions decide).
        std::unique_ptr<RegionalCatalog> catalog = catalog_.ForRegion(key.account, key.region, caller);
        std::unique_ptr<s3::LakeAccess> lake = lake_.For(std::move(caller));
        crawler::CrawlDependencies deps{
            .catalog = *catalog, .lake = *lake, .engine = engine_, .max_files = options_.max_files};
        auto r = crawler::RunCrawl(def, deps, *stop, crawled);
        if (r) {
          result = std::move(*r);
        } else {
          failure = std::move(r).error();
        }
      } catch (const std::exception& e) {
        failure = InternalError(std::string("Internal Service Exception: ") + e.what());
      }
    }
    std::int64_t end = UnixNowMs();
    MutexLock lock(mu_);
    running_.erase(key);
    auto fresh = store.Get(name);
    if (!fresh || !*fresh) return;
    CrawlerRecord& r = **fresh;
    bool cancelled = !failure && (result.cancelled || *stop);
    std::string status = failure ? "FAILED" : cancelled ? "CANCELLED" : "SUCCEEDED";
    json::object last{{"Status", status},
                      {"LogGroup", kLogGroup},
                      {"LogStream", name},
                      {"MessagePrefix", r.crawl_id},
                      {"StartTime", r.crawl_started_ms}};
    if (failure) last["ErrorMessage"] = failure->message;
    r.last_crawl = std::move(last);
    if (!failure) {
      r.tables_created = result.tables_created;
      r.tables_updated = result.tables_updated;
      r.tables_deleted = result.tables_deleted;
      r.runtimes.push_back(static_cast<double>(end - r.crawl_started_ms) / 1000.0);
      if (r.runtimes.size() > kRuntimesKept) r.runtimes.erase(r.runtimes.begin());
    }
    CrawlRecord history{.crawler = name,
                        .crawl_id = r.crawl_id,
                        .state = failure     ? "FAILED"
                                 : cancelled ? "STOPPED"
                                             : "COMPLETED",
                        .start_ms = r.crawl_started_ms,
                        .end_ms = end,
                        .summary = crawler::CrawlSummary(result),
                        .error = failure ? failure->message : ""};
    r.state = "READY";
    r.crawl_started_ms = 0;
    for (const auto& m : result.messages) spdlog::info("glue crawler {}: {}", name, m);
    if (failure) spdlog::warn("glue crawler {} failed: {}", name, failure->message);
    // History and folders first: once the crawler reads READY, everything about the run is visible.
    if (auto s = store.PutCrawl(history); !s) spdlog::error("glue crawler {}: {}", name, s.error().message);
    if (!failure && !cancelled) {
      if (auto s = store.AddCrawledFolders(name, result.crawled_folders); !s) {
        spdlog::error("glue crawler {}: {}", name, s.error().message);
      }
    }
    if (auto s = store.Update(r); !s)
      spdlog::error("glue crawler {}: saving the run failed: {}", name, s.error().message);
    // AWS's "Glue Crawler State Change" events (a stopped crawl sends none).
    const std::string log_link = "https://console.aws.amazon.com/cloudwatch/home?region=" + key.region +
                                 "#logEventViewer:group=/aws-glue/crawlers;stream=" + name;
    if (failure) {
      Announce(key.account, key.region,
               json::object{{"crawlerName", name},
                            {"errorMessage", failure->message},
                            {"accountId", key.account},
                            {"cloudWatchLogLink", log_link},
                            {"state", "Failed"},
                            {"message", "Crawler Failed"}});
    } else if (!cancelled) {
      Announce(key.account, key.region,
               json::object{{"tablesCreated", std::to_string(result.tables_created)},
                            {"warningMessage", "N/A"},
                            {"partitionsUpdated", "0"},
                            {"tablesUpdated", std::to_string(result.tables_updated)},
                            {"message", "Crawler Succeeded"},
                            {"partitionsDeleted", "0"},
                            {"accountId", key.account},
                            {"runningTime (sec)", std::to_string((end - history.start_ms) / 1000)},
                            {"tablesDeleted", std::to_string(result.tables_deleted)},
                            {"crawlerName", name},
                            {"completionDate", IsoSeconds(end)},
                            {"state", "Succeeded"},
                            {"partitionsCreated", "0"},
                            {"cloudWatchLogLink", log_link}});
    }
  }

  void Announce(const std::string& account, const std::string& region, json::object detail) {
    if (options_.on_state_change) options_.on_state_change(account, region, std::move(detail));
  }

  static std::string IsoSeconds(std::int64_t ms) {
    std::time_t t = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
  }

  crawler::CrawlerStore store_;  // unbound: ForRegion per request or crawl, ListScheduled for the task
  const Catalog& catalog_;
  s3::Lake& lake_;
  query::QueryEngine& engine_;
  const CrawlerOptions options_;

  // Serializes the state transitions of crawlers (check-then-write in the store) and guards the pool.
  Mutex mu_;
  CondVar cv_{mu_};  // the pool: a crawl was queued, or shutdown
  std::deque<CrawlerKey> queue_ GUARDED_BY(mu_);
  std::map<CrawlerKey, std::shared_ptr<std::atomic<bool>>> running_ GUARDED_BY(mu_);
  bool shutting_down_ GUARDED_BY(mu_) = false;
  bool shut_down_ GUARDED_BY(mu_) = false;
  std::int64_t last_schedule_check_s_ GUARDED_BY(mu_) = 0;
  // Crawl threads: a pool of long runs that Shutdown stops by cancelling them first (a BackgroundTask would
  // be waited for before the service's shutdown action could cancel it).
  std::vector<std::thread> workers_;
  std::unique_ptr<BackgroundTask> schedules_;  // last: stopped before the state above goes
};

}  // namespace

Result<std::unique_ptr<Crawlers>> Crawlers::Open(store::MetadataStore& metadata, const Catalog& catalog,
                                                 s3::Lake& lake, query::QueryEngine& engine,
                                                 BackgroundTasks& tasks, CrawlerOptions options) {
  CENOTE_ASSIGN_OR_RETURN(
      auto store,
      crawler::CrawlerStore::Open(metadata, UnixNowMs(), options.default_account, options.default_region));
  return std::unique_ptr<Crawlers>(
      new CrawlersImpl(std::move(store), catalog, lake, engine, tasks, std::move(options)));
}

iam::Principal CrawlerRolePrincipal(const std::string& role, const std::string& crawler_account) {
  // Role: "name", "path/name" (the crawler's account) or "arn:aws:iam::<account>:role/<path/>name". The
  // session name is the one Glue uses when it assumes a crawler's role (as CloudTrail shows it).
  return iam::RoleSessionPrincipal(role, "AWS-Crawler", crawler_account);
}

}  // namespace cenote::glue
