#include "services/glue/crawler/crawlers.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "common/aws_cron.hpp"
#include "common/encoding.hpp"
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

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string NewCrawlId() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string bytes(16, '\0');
  for (auto& b : bytes) b = static_cast<char>(rng() & 0xff);
  bytes[6] = static_cast<char>((bytes[6] & 0x0f) | 0x40);
  bytes[8] = static_cast<char>((bytes[8] & 0x3f) | 0x80);
  std::string hex = HexEncode(bytes);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" +
         hex.substr(20);
}

// ---- input helpers: absent members are absent; wrong JSON types are InvalidInput.

const json::object& Params(const aws::OperationInput& input) {
  static const json::object kEmpty;
  return input.params.is_object() ? input.params.get_object() : kEmpty;
}

Result<std::optional<std::string>> OptString(const json::object& o, std::string_view key,
                                             std::string_view path) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return std::optional<std::string>();
  if (!it->value().is_string()) return crawler::ValidationError(std::string(path), "Member must be a string");
  return std::optional<std::string>(std::string(it->value().get_string()));
}

Result<std::string> RequiredName(const json::object& o, std::string_view key, std::string_view path) {
  CENOTE_ASSIGN_OR_RETURN(auto v, OptString(o, key, path));
  if (!v) return MissingMember(std::string(path));
  CENOTE_RETURN_IF_ERROR(crawler::CheckNameString(*v, path));
  return *v;
}

Result<std::optional<std::int64_t>> OptInt(const json::object& o, std::string_view key, std::string_view path,
                                           std::int64_t min, std::int64_t max) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return std::optional<std::int64_t>();
  if (!it->value().is_int64() && !it->value().is_uint64()) {
    return crawler::ValidationError(std::string(path), "Member must be an integer");
  }
  std::int64_t v =
      it->value().is_int64() ? it->value().get_int64() : static_cast<std::int64_t>(it->value().get_uint64());
  if (v < min) {
    return crawler::ValidationError(std::string(path),
                                    "Member must have value greater than or equal to " + std::to_string(min),
                                    std::to_string(v));
  }
  if (v > max) {
    return crawler::ValidationError(std::string(path),
                                    "Member must have value less than or equal to " + std::to_string(max),
                                    std::to_string(v));
  }
  return std::optional<std::int64_t>(v);
}

Result<std::vector<std::string>> NameList(const json::object& o, std::string_view key, std::string_view path,
                                          std::size_t max) {
  std::vector<std::string> out;
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return out;
  if (!it->value().is_array()) return crawler::ValidationError(std::string(path), "Member must be a list");
  const auto& arr = it->value().get_array();
  if (arr.size() > max) {
    return crawler::ValidationError(std::string(path),
                                    "Member must have length less than or equal to " + std::to_string(max));
  }
  for (const auto& v : arr) {
    if (!v.is_string())
      return crawler::ValidationError(std::string(path), "Member must be a list of strings");
    out.emplace_back(v.get_string());
  }
  return out;
}

// Pagination tokens: the last name of the previous page, base64 so clients treat it as opaque.
std::string MakeToken(const std::string& last) { return Base64Encode(last); }
Result<std::string> ReadToken(const json::object& o) {
  CENOTE_ASSIGN_OR_RETURN(auto t, OptString(o, "NextToken", "nextToken"));
  if (!t || t->empty()) return std::string();
  auto decoded = Base64Decode(*t);
  if (!decoded) return InvalidInput("Invalid pagination token");
  return *decoded;
}

class CrawlersImpl final : public Crawlers {
 public:
  CrawlersImpl(crawler::CrawlerStore store, Catalog& catalog, s3::LakeAccess& lake,
               query::QueryEngine& engine, CrawlerOptions options)
      : store_(std::move(store)),
        catalog_(catalog),
        lake_(lake),
        engine_(engine),
        options_(std::move(options)) {
    int threads = std::max(1, options_.threads);
    for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { WorkerLoop(); });
    last_schedule_check_s_ = NowMs() / 1000;
    if (options_.run_schedules) scheduler_ = std::thread([this] { SchedulerLoop(); });
  }
  ~CrawlersImpl() override { Shutdown(); }

  Result<aws::OperationOutput> Invoke(const aws::RequestContext& /*ctx*/, std::string_view operation,
                                      aws::OperationInput& input) override {
    try {
      CENOTE_ASSIGN_OR_RETURN(auto r, Dispatch(operation, Params(input)));
      aws::OperationOutput out;
      out.result = std::move(r);
      return out;
    } catch (const std::exception& e) {
      spdlog::error("glue crawler {} failed: {}", operation, e.what());
      return InternalError();
    } catch (...) {
      spdlog::error("glue crawler {} failed with an unknown exception", operation);
      return InternalError();
    }
  }

  void Shutdown() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (shut_down_) return;
      shutting_down_ = true;
      for (auto& [name, stop] : running_) *stop = true;
    }
    cv_.notify_all();
    schedule_cv_.notify_all();
    if (scheduler_.joinable()) scheduler_.join();
    for (auto& t : workers_) {
      if (t.joinable()) t.join();
    }
    std::lock_guard<std::mutex> lock(mu_);
    shut_down_ = true;
  }

  void RunDueSchedules(std::int64_t now_s) override {
    std::int64_t since = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      since = last_schedule_check_s_;
      if (now_s <= since) return;
      last_schedule_check_s_ = now_s;
    }
    for (const auto& [name, cron] : ActiveSchedules()) {
      auto next = cron.NextAfter(since);
      if (!next || *next > now_s) continue;
      // A crawler still running at its scheduled time skips that run, as Glue's scheduler does.
      auto started = Start(name, crawler::CrawlerNotFound);
      if (!started && started.error().code != "CrawlerRunningException") {
        spdlog::warn("glue crawler {}: scheduled run not started: {}", name, started.error().message);
      }
    }
  }

 private:
  Result<json::object> Dispatch(std::string_view op, const json::object& in) {
    if (op == "CreateCrawler") return CreateCrawler(in);
    if (op == "GetCrawler") return GetCrawler(in);
    if (op == "GetCrawlers") return GetCrawlers(in);
    if (op == "ListCrawlers") return ListCrawlers(in);
    if (op == "BatchGetCrawlers") return BatchGetCrawlers(in);
    if (op == "UpdateCrawler") return UpdateCrawler(in);
    if (op == "DeleteCrawler") return DeleteCrawler(in);
    if (op == "StartCrawler") return StartCrawler(in);
    if (op == "StopCrawler") return StopCrawler(in);
    if (op == "GetCrawlerMetrics") return GetCrawlerMetrics(in);
    if (op == "ListCrawls") return ListCrawls(in);
    if (op == "StartCrawlerSchedule") return SetScheduleState(in, true);
    if (op == "StopCrawlerSchedule") return SetScheduleState(in, false);
    if (op == "UpdateCrawlerSchedule") return UpdateCrawlerSchedule(in);
    return InvalidInput("Operation " + std::string(op) + " is not a crawler operation");
  }

  // ---- definitions

  Result<json::object> CreateCrawler(const json::object& in) {
    CENOTE_ASSIGN_OR_RETURN(auto name, RequiredName(in, "Name", "name"));
    json::object def;
    CENOTE_RETURN_IF_ERROR(crawler::ApplyDefinition(in, /*create=*/true, &def));
    auto tags_it = in.find("Tags");
    json::object tags;
    if (tags_it != in.end() && !tags_it->value().is_null()) {
      if (!tags_it->value().is_object()) return crawler::ValidationError("tags", "Member must be a map");
      tags = tags_it->value().get_object();
    }
    CENOTE_ASSIGN_OR_RETURN(auto count, store_.Count());
    if (static_cast<std::size_t>(count) >= kMaxCrawlers) {
      return GlueError(
          "ResourceNumberLimitExceededException",
          "The number of crawlers in the account has reached its quota of " + std::to_string(kMaxCrawlers));
    }
    CrawlerRecord r;
    r.name = name;
    def["Name"] = name;
    r.definition = std::move(def);
    r.tags = std::move(tags);
    r.created_ms = r.updated_ms = NowMs();
    std::lock_guard<std::mutex> lock(mu_);
    CENOTE_ASSIGN_OR_RETURN(auto inserted, store_.Insert(r));
    if (!inserted) return crawler::CrawlerAlreadyExists(name);
    schedule_cv_.notify_all();
    return json::object();
  }

  Result<CrawlerRecord> Load(const std::string& name, Error (*not_found)(const std::string&)) {
    CENOTE_ASSIGN_OR_RETURN(auto r, store_.Get(name));
    if (!r) return not_found(name);
    return std::move(*r);
  }

  Result<json::object> GetCrawler(const json::object& in) {
    CENOTE_ASSIGN_OR_RETURN(auto name, RequiredName(in, "Name", "name"));
    CENOTE_ASSIGN_OR_RETURN(auto r, Load(name, crawler::CrawlerEntryNotFound));
    return json::object{{"Crawler", crawler::CrawlerDocument(r, NowMs())}};
  }

  Result<json::object> GetCrawlers(const json::object& in) {
    CENOTE_ASSIGN_OR_RETURN(auto max, OptInt(in, "MaxResults", "maxResults", 1, 1000));
    CENOTE_ASSIGN_OR_RETURN(auto after, ReadToken(in));
    std::size_t limit = static_cast<std::size_t>(max.value_or(100));
    CENOTE_ASSIGN_OR_RETURN(auto page, store_.List(after, limit + 1));
    json::object out;
    json::array crawlers;
    std::int64_t now = NowMs();
    for (std::size_t i = 0; i < page.size() && i < limit; ++i)
      crawlers.push_back(crawler::CrawlerDocument(page[i], now));
    out["Crawlers"] = std::move(crawlers);
    if (page.size() > limit) out["NextToken"] = MakeToken(page[limit - 1].name);
    return out;
  }

  Result<json::object> ListCrawlers(const json::object& in) {
    CENOTE_ASSIGN_OR_RETURN(auto max, OptInt(in, "MaxResults", "maxResults", 1, 1000));
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
      CENOTE_ASSIGN_OR_RETURN(auto page, store_.List(cursor, 200));
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

  Result<json::object> BatchGetCrawlers(const json::object& in) {
    if (!in.contains("CrawlerNames")) return MissingMember("crawlerNames");
    CENOTE_ASSIGN_OR_RETURN(auto names, NameList(in, "CrawlerNames", "crawlerNames", 100));
    json::array found, missing;
    std::int64_t now = NowMs();
    for (const auto& n : names) {
      CENOTE_ASSIGN_OR_RETURN(auto r, store_.Get(n));
      if (r) {
        found.push_back(crawler::CrawlerDocument(*r, now));
      } else {
        missing.push_back(json::string(n));
      }
    }
    return json::object{{"Crawlers", std::move(found)}, {"CrawlersNotFound", std::move(missing)}};
  }

  Result<json::object> UpdateCrawler(const json::object& in) {
    CENOTE_ASSIGN_OR_RETURN(auto name, RequiredName(in, "Name", "name"));
    std::lock_guard<std::mutex> lock(mu_);
    CENOTE_ASSIGN_OR_RETURN(auto r, Load(name, crawler::CrawlerEntryNotFound));
    if (r.state != "READY") return crawler::CannotUpdateWhileRunning();
    json::object def = r.definition;
    CENOTE_RETURN_IF_ERROR(crawler::ApplyDefinition(in, /*create=*/false, &def));
    r.definition = std::move(def);
    r.version += 1;
    r.updated_ms = NowMs();
    CENOTE_RETURN_IF_ERROR(store_.Update(r));
    schedule_cv_.notify_all();
    return json::object();
  }

  Result<json::object> DeleteCrawler(const json::object& in) {
    CENOTE_ASSIGN_OR_RETURN(auto name, RequiredName(in, "Name", "name"));
    std::lock_guard<std::mutex> lock(mu_);
    CENOTE_ASSIGN_OR_RETURN(auto r, Load(name, crawler::CrawlerEntryNotFound));
    if (r.state != "READY") return crawler::CrawlerRunning(name);
    CENOTE_RETURN_IF_ERROR(store_.Delete(name));
    return json::object();
  }

  // ---- runs

  Result<json::object> StartCrawler(const json::object& in) {
    CENOTE_ASSIGN_OR_RETURN(auto name, RequiredName(in, "Name", "name"));
    CENOTE_RETURN_IF_ERROR(Start(name, crawler::CrawlerNotFound));
    return json::object();
  }

  // Queues a run of `name` (StartCrawler, or its schedule firing).
  Status Start(const std::string& name, Error (*not_found)(const std::string&)) {
    std::lock_guard<std::mutex> lock(mu_);
    if (shutting_down_) return GlueError("OperationTimeoutException", "The service is shutting down", 400);
    CENOTE_ASSIGN_OR_RETURN(auto r, Load(name, not_found));
    if (r.state != "READY") return crawler::CrawlerAlreadyStarted(name);
    r.state = "RUNNING";
    r.crawl_started_ms = NowMs();
    r.crawl_id = NewCrawlId();
    CENOTE_RETURN_IF_ERROR(store_.Update(r));
    CENOTE_RETURN_IF_ERROR(
        store_.PutCrawl(CrawlRecord{name, r.crawl_id, "RUNNING", r.crawl_started_ms, 0, "", ""}));
    running_[name] = std::make_shared<std::atomic<bool>>(false);
    queue_.push_back(name);
    cv_.notify_one();
    return Status::Ok();
  }

  // ---- schedules

  // StartCrawlerSchedule / StopCrawlerSchedule.
  Result<json::object> SetScheduleState(const json::object& in, bool scheduled) {
    CENOTE_ASSIGN_OR_RETURN(auto name, RequiredName(in, "CrawlerName", "crawlerName"));
    {
      std::lock_guard<std::mutex> lock(mu_);
      CENOTE_ASSIGN_OR_RETURN(auto r, Load(name, crawler::CrawlerEntryNotFound));
      if (!r.definition.contains("Schedule")) {
        if (scheduled)
          return GlueError("NoScheduleException", "Crawler with name " + name + " does not have a schedule");
        return GlueError("SchedulerNotRunningException",
                         "Schedule of crawler with name " + name + " is not running");
      }
      std::string state = crawler::ScheduleState(r.definition);
      if (scheduled && state == "SCHEDULED")
        return GlueError("SchedulerRunningException",
                         "Schedule of crawler with name " + name + " is running");
      if (!scheduled && state != "SCHEDULED")
        return GlueError("SchedulerNotRunningException",
                         "Schedule of crawler with name " + name + " is not running");
      r.definition[crawler::kScheduleState] = scheduled ? "SCHEDULED" : "NOT_SCHEDULED";
      r.updated_ms = NowMs();
      CENOTE_RETURN_IF_ERROR(store_.Update(r));
    }
    schedule_cv_.notify_all();
    return json::object();
  }

  Result<json::object> UpdateCrawlerSchedule(const json::object& in) {
    CENOTE_ASSIGN_OR_RETURN(auto name, RequiredName(in, "CrawlerName", "crawlerName"));
    CENOTE_ASSIGN_OR_RETURN(auto schedule, OptString(in, "Schedule", "schedule"));
    {
      std::lock_guard<std::mutex> lock(mu_);
      CENOTE_ASSIGN_OR_RETURN(auto r, Load(name, crawler::CrawlerEntryNotFound));
      CENOTE_RETURN_IF_ERROR(crawler::SetSchedule(schedule.value_or(""), &r.definition));
      r.updated_ms = NowMs();
      CENOTE_RETURN_IF_ERROR(store_.Update(r));
    }
    schedule_cv_.notify_all();
    return json::object();
  }

  // The crawlers whose schedule is SCHEDULED, with their parsed expressions.
  std::vector<std::pair<std::string, CronSchedule>> ActiveSchedules() {
    std::vector<std::pair<std::string, CronSchedule>> out;
    std::string after;
    for (std::size_t round = 0; round <= kMaxCrawlers; ++round) {
      auto page = store_.List(after, 200);
      if (!page || page->empty()) break;
      for (const auto& r : *page) {
        after = r.name;
        if (crawler::ScheduleState(r.definition) != "SCHEDULED") continue;
        auto it = r.definition.find("Schedule");
        if (it == r.definition.end() || !it->value().is_string()) continue;
        auto cron = CronSchedule::Parse(std::string(it->value().get_string()));
        if (cron) out.emplace_back(r.name, std::move(*cron));
      }
    }
    return out;
  }

  // Sleeps until the next scheduled run (or a schedule change), then starts what is due.
  void SchedulerLoop() {
    while (true) {
      std::int64_t now_s = NowMs() / 1000;
      std::int64_t next_s = now_s + 3600;  // re-read the schedules at least hourly
      for (const auto& [name, cron] : ActiveSchedules()) {
        if (auto n = cron.NextAfter(now_s)) next_s = std::min(next_s, *n);
      }
      {
        std::unique_lock<std::mutex> lock(mu_);
        if (shutting_down_) return;
        auto wake = std::chrono::system_clock::time_point(std::chrono::seconds(next_s));
        schedule_cv_.wait_until(lock, wake);
        if (shutting_down_) return;
      }
      RunDueSchedules(NowMs() / 1000);
    }
  }

  Result<json::object> StopCrawler(const json::object& in) {
    CENOTE_ASSIGN_OR_RETURN(auto name, RequiredName(in, "Name", "name"));
    std::lock_guard<std::mutex> lock(mu_);
    CENOTE_ASSIGN_OR_RETURN(auto r, Load(name, crawler::CrawlerNotFound));
    if (r.state == "READY") return crawler::CrawlerNotRunning(name);
    if (r.state == "STOPPING") return crawler::CrawlerStopping(name);
    r.state = "STOPPING";
    CENOTE_RETURN_IF_ERROR(store_.Update(r));
    auto it = running_.find(name);
    if (it != running_.end()) *it->second = true;
    return json::object();
  }

  Result<json::object> GetCrawlerMetrics(const json::object& in) {
    CENOTE_ASSIGN_OR_RETURN(auto names, NameList(in, "CrawlerNameList", "crawlerNameList", 100));
    CENOTE_ASSIGN_OR_RETURN(auto max, OptInt(in, "MaxResults", "maxResults", 1, 1000));
    CENOTE_ASSIGN_OR_RETURN(auto after, ReadToken(in));
    std::size_t limit = static_cast<std::size_t>(max.value_or(100));
    std::vector<CrawlerRecord> records;
    if (names.empty()) {
      CENOTE_ASSIGN_OR_RETURN(auto page, store_.List(after, limit + 1));
      records = std::move(page);
    } else {
      std::sort(names.begin(), names.end());
      names.erase(std::unique(names.begin(), names.end()), names.end());
      for (const auto& n : names) {
        if (n <= after && !after.empty()) continue;
        CENOTE_ASSIGN_OR_RETURN(auto r, store_.Get(n));
        if (r) records.push_back(std::move(*r));
      }
    }
    json::array list;
    std::int64_t now = NowMs();
    for (std::size_t i = 0; i < records.size() && i < limit; ++i)
      list.push_back(crawler::MetricsDocument(records[i], now));
    json::object out{{"CrawlerMetricsList", std::move(list)}};
    if (records.size() > limit) out["NextToken"] = MakeToken(records[limit - 1].name);
    return out;
  }

  Result<json::object> ListCrawls(const json::object& in) {
    CENOTE_ASSIGN_OR_RETURN(auto name, RequiredName(in, "CrawlerName", "crawlerName"));
    CENOTE_ASSIGN_OR_RETURN(auto max, OptInt(in, "MaxResults", "maxResults", 1, 1000));
    CENOTE_ASSIGN_OR_RETURN(auto after, ReadToken(in));
    CENOTE_ASSIGN_OR_RETURN(auto filters, crawler::ParseCrawlFilters(in));
    CENOTE_RETURN_IF_ERROR(Load(name, crawler::CrawlerEntryNotFound));
    CENOTE_ASSIGN_OR_RETURN(auto crawls, store_.ListCrawls(name));
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
      std::string name;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return shutting_down_ || !queue_.empty(); });
        if (queue_.empty()) return;  // shutting down with nothing left
        name = std::move(queue_.front());
        queue_.pop_front();
      }
      RunOne(name);
    }
  }

  void RunOne(const std::string& name) {
    std::shared_ptr<std::atomic<bool>> stop;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop = running_[name];
      if (!stop) stop = running_[name] = std::make_shared<std::atomic<bool>>(false);
      if (shutting_down_) *stop = true;
    }
    auto rec = store_.Get(name);
    std::optional<Error> failure;
    crawler::CrawlResult result;
    if (!rec || !*rec) {
      failure = rec ? InternalError("crawler vanished") : rec.error();
    } else {
      try {
        crawler::CrawlDefinition def = crawler::ToCrawlDefinition(**rec);
        std::set<std::string> crawled;
        if (def.recrawl_behavior == "CRAWL_NEW_FOLDERS_ONLY") {
          auto folders = store_.CrawledFolders(name);
          if (folders) crawled = std::move(*folders);
        }
        crawler::CrawlDependencies deps{catalog_, lake_, engine_, options_.max_files};
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
    std::int64_t end = NowMs();
    std::lock_guard<std::mutex> lock(mu_);
    running_.erase(name);
    auto fresh = store_.Get(name);
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
    CrawlRecord history{name,
                        r.crawl_id,
                        failure     ? "FAILED"
                        : cancelled ? "STOPPED"
                                    : "COMPLETED",
                        r.crawl_started_ms,
                        end,
                        crawler::CrawlSummary(result),
                        failure ? failure->message : ""};
    r.state = "READY";
    r.crawl_started_ms = 0;
    for (const auto& m : result.messages) spdlog::info("glue crawler {}: {}", name, m);
    if (failure) spdlog::warn("glue crawler {} failed: {}", name, failure->message);
    // History and folders first: once the crawler reads READY, everything about the run is visible.
    if (auto s = store_.PutCrawl(history); !s) spdlog::error("glue crawler {}: {}", name, s.error().message);
    if (!failure && !cancelled) {
      if (auto s = store_.AddCrawledFolders(name, result.crawled_folders); !s) {
        spdlog::error("glue crawler {}: {}", name, s.error().message);
      }
    }
    if (auto s = store_.Update(r); !s)
      spdlog::error("glue crawler {}: saving the run failed: {}", name, s.error().message);
  }

  crawler::CrawlerStore store_;
  Catalog& catalog_;
  s3::LakeAccess& lake_;
  query::QueryEngine& engine_;
  CrawlerOptions options_;

  std::mutex mu_;  // guards the fields below and serializes state transitions
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  std::map<std::string, std::shared_ptr<std::atomic<bool>>> running_;
  bool shutting_down_ = false;
  bool shut_down_ = false;
  std::vector<std::thread> workers_;
  std::condition_variable schedule_cv_;  // schedule changes and shutdown wake the scheduler
  std::int64_t last_schedule_check_s_ = 0;
  std::thread scheduler_;
};

}  // namespace

Result<std::unique_ptr<Crawlers>> Crawlers::Open(store::MetadataStore& metadata, Catalog& catalog,
                                                 s3::LakeAccess& lake, query::QueryEngine& engine,
                                                 CrawlerOptions options) {
  CENOTE_ASSIGN_OR_RETURN(auto store, crawler::CrawlerStore::Open(metadata, NowMs()));
  return std::unique_ptr<Crawlers>(
      new CrawlersImpl(std::move(store), catalog, lake, engine, std::move(options)));
}

const std::vector<std::string_view>& Crawlers::Operations() {
  static const std::vector<std::string_view> kOps = {
      "BatchGetCrawlers",    "CreateCrawler",        "DeleteCrawler", "GetCrawler",
      "GetCrawlerMetrics",   "GetCrawlers",          "ListCrawlers",  "ListCrawls",
      "StartCrawler",        "StopCrawler",          "UpdateCrawler", "StartCrawlerSchedule",
      "StopCrawlerSchedule", "UpdateCrawlerSchedule"};
  return kOps;
}

}  // namespace cenote::glue
