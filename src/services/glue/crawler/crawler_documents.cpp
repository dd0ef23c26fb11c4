#include "services/glue/crawler/crawler_documents.hpp"

#include "common/aws_cron.hpp"

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cstdlib>

#include "services/glue/crawler/crawler_errors.hpp"
#include "services/glue/crawler/layout.hpp"

namespace cenote::glue::crawler {

namespace json = boost::json;

namespace {

// Target kinds of the model that Cenote's crawlers do not crawl.
constexpr const char* kOtherTargets[] = {"JdbcTargets",    "MongoDBTargets", "DynamoDBTargets",
                                         "CatalogTargets", "DeltaTargets",   "IcebergTargets",
                                         "HudiTargets"};

bool OneOf(const std::string& v, std::initializer_list<const char*> allowed) {
  return std::any_of(allowed.begin(), allowed.end(), [&](const char* a) { return v == a; });
}

std::string EnumList(std::initializer_list<const char*> allowed) {
  std::string out = "[";
  for (const char* a : allowed) out += std::string(out.size() > 1 ? ", " : "") + a;
  return out + "]";
}

Status CheckEnum(const json::object& o, const char* key, const std::string& path,
                 std::initializer_list<const char*> allowed) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return Status::Ok();
  if (!it->value().is_string() || !OneOf(std::string(it->value().get_string()), allowed)) {
    std::string v =
        it->value().is_string() ? std::string(it->value().get_string()) : json::serialize(it->value());
    return ValidationError(path, "Member must satisfy enum value set: " + EnumList(allowed), v);
  }
  return Status::Ok();
}

Status CheckString(const json::object& o, const char* key, const std::string& path, std::size_t max_len) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return Status::Ok();
  if (!it->value().is_string()) return ValidationError(path, "Member must be a string");
  if (it->value().get_string().size() > max_len) {
    return ValidationError(path, "Member must have length less than or equal to " + std::to_string(max_len),
                           std::string(it->value().get_string()));
  }
  return Status::Ok();
}

std::string Str(const json::object& o, std::string_view key, std::string fallback = "") {
  auto it = o.find(key);
  return it != o.end() && it->value().is_string() ? std::string(it->value().get_string()) : fallback;
}

const json::object& Obj(const json::object& o, std::string_view key) {
  static const json::object kEmpty;
  auto it = o.find(key);
  return it != o.end() && it->value().is_object() ? it->value().get_object() : kEmpty;
}

Status CheckTargets(const json::value& v, json::object* normalized) {
  if (!v.is_object()) return ValidationError("targets", "Member must be a structure");
  const auto& t = v.get_object();
  json::object out;
  for (const char* kind : kOtherTargets) {
    auto it = t.find(kind);
    if (it != t.end() && it->value().is_array() && !it->value().get_array().empty()) {
      return InvalidInput(std::string(kind) + " are not supported: Cenote crawlers crawl S3 targets only");
    }
    out[kind] = json::array();
  }
  json::array s3;
  auto it = t.find("S3Targets");
  if (it != t.end() && !it->value().is_null()) {
    if (!it->value().is_array()) return ValidationError("targets.s3Targets", "Member must be a list");
    for (const auto& target : it->value().get_array()) {
      if (!target.is_object())
        return ValidationError("targets.s3Targets", "Member must be a list of structures");
      const auto& o = target.get_object();
      std::string path = Str(o, "Path");
      if (!ParseS3Path(path)) {
        return InvalidInput("Invalid S3 path: '" + path +
                            "'. S3 target paths must look like s3://bucket/prefix");
      }
      auto ex = o.find("Exclusions");
      if (ex != o.end() && !ex->value().is_null()) {
        if (!ex->value().is_array())
          return ValidationError("targets.s3Targets.exclusions", "Member must be a list");
        for (const auto& e : ex->value().get_array()) {
          if (!e.is_string())
            return ValidationError("targets.s3Targets.exclusions", "Member must be a list of strings");
        }
      }
      auto ss = o.find("SampleSize");
      if (ss != o.end() && !ss->value().is_null()) {
        if (!ss->value().is_int64() || ss->value().get_int64() < 1 || ss->value().get_int64() > 249) {
          return InvalidInput("SampleSize must be an integer between 1 and 249");
        }
      }
      if (o.contains("EventQueueArn")) {
        return InvalidInput("EventQueueArn is not supported: Cenote crawlers do not run in event mode");
      }
      json::object kept;
      kept["Path"] = path;
      kept["Exclusions"] = ex != o.end() && ex->value().is_array() ? ex->value() : json::value(json::array());
      for (const char* m : {"ConnectionName", "SampleSize", "DlqEventQueueArn"}) {
        auto m_it = o.find(m);
        if (m_it != o.end() && !m_it->value().is_null()) kept[m] = m_it->value();
      }
      s3.push_back(std::move(kept));
    }
  }
  if (s3.empty()) return InvalidInput("At least one S3 target must be specified: Targets.S3Targets is empty");
  out["S3Targets"] = std::move(s3);
  *normalized = std::move(out);
  return Status::Ok();
}

Status CheckConfiguration(const std::string& text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return InvalidInput("Crawler configuration not valid: not a JSON object");
  const auto& o = v.get_object();
  auto ver = o.find("Version");
  if (ver == o.end() || !ver->value().is_number() || ver->value().to_number<double>() != 1.0) {
    return InvalidInput("Crawler configuration not valid: Version must be 1.0");
  }
  for (const auto& kv : o) {
    if (!OneOf(std::string(kv.key()), {"Version", "Grouping", "CrawlerOutput", "CreatePartitionIndex"})) {
      return InvalidInput("Crawler configuration not valid: unknown field " + std::string(kv.key()));
    }
  }
  const auto& grouping = Obj(o, "Grouping");
  auto policy = Str(grouping, "TableGroupingPolicy");
  if (!policy.empty() && policy != "CombineCompatibleSchemas") {
    return InvalidInput(
        "Crawler configuration not valid: TableGroupingPolicy must be CombineCompatibleSchemas");
  }
  auto level = grouping.find("TableLevelConfiguration");
  if (level != grouping.end() && (!level->value().is_int64() || level->value().get_int64() < 1)) {
    return InvalidInput(
        "Crawler configuration not valid: TableLevelConfiguration must be a positive integer");
  }
  return Status::Ok();
}

}  // namespace

Status SetSchedule(const std::string& expression, json::object* def) {
  if (expression.empty()) {
    def->erase("Schedule");
    def->erase(kScheduleState);
    return Status::Ok();
  }
  auto cron = CronSchedule::Parse(expression, kMinScheduleMinutes);
  if (!cron) return InvalidInput("Invalid schedule expression: " + expression + ". " + cron.error().message);
  // A new schedule is active at once; a changed one keeps its state (Start/StopCrawlerSchedule).
  if (!def->contains("Schedule") || !def->contains(kScheduleState)) (*def)[kScheduleState] = "SCHEDULED";
  (*def)["Schedule"] = expression;
  return Status::Ok();
}

Status ApplyDefinition(const json::object& in, bool create, json::object* def) {
  if (create) {
    if (!in.contains("Role")) return MissingMember("role");
    if (!in.contains("Targets")) return MissingMember("targets");
  }
  CENOTE_RETURN_IF_ERROR(CheckString(in, "Role", "role", 2048));
  CENOTE_RETURN_IF_ERROR(CheckString(in, "DatabaseName", "databaseName", 255));
  CENOTE_RETURN_IF_ERROR(CheckString(in, "Description", "description", 2048));
  CENOTE_RETURN_IF_ERROR(CheckString(in, "TablePrefix", "tablePrefix", 128));
  CENOTE_RETURN_IF_ERROR(CheckString(in, "Schedule", "schedule", 2048));
  CENOTE_RETURN_IF_ERROR(CheckString(in, "Configuration", "configuration", 65536));
  CENOTE_RETURN_IF_ERROR(
      CheckString(in, "CrawlerSecurityConfiguration", "crawlerSecurityConfiguration", 128));
  for (const char* m :
       {"Role", "DatabaseName", "Description", "TablePrefix", "CrawlerSecurityConfiguration"}) {
    auto it = in.find(m);
    if (it != in.end() && !it->value().is_null()) (*def)[m] = it->value();
  }
  if (auto it = in.find("Role");
      it != in.end() && it->value().is_string() && it->value().get_string().empty()) {
    return ValidationError("role", "Member must not be empty");
  }
  if (auto it = in.find("Targets"); it != in.end() && !it->value().is_null()) {
    json::object targets;
    CENOTE_RETURN_IF_ERROR(CheckTargets(it->value(), &targets));
    (*def)["Targets"] = std::move(targets);
  }
  if (auto it = in.find("Schedule"); it != in.end() && it->value().is_string()) {
    CENOTE_RETURN_IF_ERROR(SetSchedule(std::string(it->value().get_string()), def));
  }
  if (auto it = in.find("Classifiers"); it != in.end() && !it->value().is_null()) {
    if (!it->value().is_array()) return ValidationError("classifiers", "Member must be a list");
    for (const auto& c : it->value().get_array()) {
      return InvalidInput("Classifier " + (c.is_string() ? std::string(c.get_string()) : json::serialize(c)) +
                          " does not exist: Cenote crawlers use the built-in classifiers only");
    }
    (*def)["Classifiers"] = json::array();
  }
  if (auto it = in.find("SchemaChangePolicy"); it != in.end() && !it->value().is_null()) {
    if (!it->value().is_object()) return ValidationError("schemaChangePolicy", "Member must be a structure");
    const auto& p = it->value().get_object();
    CENOTE_RETURN_IF_ERROR(
        CheckEnum(p, "UpdateBehavior", "schemaChangePolicy.updateBehavior", {"LOG", "UPDATE_IN_DATABASE"}));
    CENOTE_RETURN_IF_ERROR(CheckEnum(p, "DeleteBehavior", "schemaChangePolicy.deleteBehavior",
                                     {"LOG", "DELETE_FROM_DATABASE", "DEPRECATE_IN_DATABASE"}));
    (*def)["SchemaChangePolicy"] =
        json::object{{"UpdateBehavior", Str(p, "UpdateBehavior", "UPDATE_IN_DATABASE")},
                     {"DeleteBehavior", Str(p, "DeleteBehavior", "DEPRECATE_IN_DATABASE")}};
  }
  if (auto it = in.find("RecrawlPolicy"); it != in.end() && !it->value().is_null()) {
    if (!it->value().is_object()) return ValidationError("recrawlPolicy", "Member must be a structure");
    const auto& p = it->value().get_object();
    CENOTE_RETURN_IF_ERROR(CheckEnum(p, "RecrawlBehavior", "recrawlPolicy.recrawlBehavior",
                                     {"CRAWL_EVERYTHING", "CRAWL_NEW_FOLDERS_ONLY", "CRAWL_EVENT_MODE"}));
    std::string b = Str(p, "RecrawlBehavior", "CRAWL_EVERYTHING");
    if (b == "CRAWL_EVENT_MODE") {
      return InvalidInput(
          "RecrawlBehavior CRAWL_EVENT_MODE is not supported: Cenote crawlers do not run in event mode");
    }
    (*def)["RecrawlPolicy"] = json::object{{"RecrawlBehavior", b}};
  }
  if (auto it = in.find("LineageConfiguration"); it != in.end() && !it->value().is_null()) {
    if (!it->value().is_object())
      return ValidationError("lineageConfiguration", "Member must be a structure");
    const auto& p = it->value().get_object();
    CENOTE_RETURN_IF_ERROR(CheckEnum(p, "CrawlerLineageSettings",
                                     "lineageConfiguration.crawlerLineageSettings", {"ENABLE", "DISABLE"}));
    (*def)["LineageConfiguration"] =
        json::object{{"CrawlerLineageSettings", Str(p, "CrawlerLineageSettings", "DISABLE")}};
  }
  if (auto it = in.find("LakeFormationConfiguration"); it != in.end() && !it->value().is_null()) {
    if (!it->value().is_object())
      return ValidationError("lakeFormationConfiguration", "Member must be a structure");
    const auto& p = it->value().get_object();
    auto use = p.find("UseLakeFormationCredentials");
    (*def)["LakeFormationConfiguration"] = json::object{
        {"UseLakeFormationCredentials", use != p.end() && use->value().is_bool() && use->value().get_bool()},
        {"AccountId", Str(p, "AccountId")}};
  }
  if (auto it = in.find("Configuration"); it != in.end() && it->value().is_string()) {
    std::string text(it->value().get_string());
    if (text.empty()) {
      def->erase("Configuration");
    } else {
      CENOTE_RETURN_IF_ERROR(CheckConfiguration(text));
      (*def)["Configuration"] = text;
    }
  }
  if (create) {
    if (!def->contains("SchemaChangePolicy")) {
      (*def)["SchemaChangePolicy"] =
          json::object{{"UpdateBehavior", "UPDATE_IN_DATABASE"}, {"DeleteBehavior", "DEPRECATE_IN_DATABASE"}};
    }
    if (!def->contains("RecrawlPolicy"))
      (*def)["RecrawlPolicy"] = json::object{{"RecrawlBehavior", "CRAWL_EVERYTHING"}};
    if (!def->contains("LineageConfiguration")) {
      (*def)["LineageConfiguration"] = json::object{{"CrawlerLineageSettings", "DISABLE"}};
    }
    if (!def->contains("LakeFormationConfiguration")) {
      (*def)["LakeFormationConfiguration"] =
          json::object{{"UseLakeFormationCredentials", false}, {"AccountId", ""}};
    }
    if (!def->contains("Classifiers")) (*def)["Classifiers"] = json::array();
  }
  // AWS: crawling new folders only needs a schema change policy that logs.
  if (Str(Obj(*def, "RecrawlPolicy"), "RecrawlBehavior") == "CRAWL_NEW_FOLDERS_ONLY") {
    const auto& p = Obj(*def, "SchemaChangePolicy");
    if (Str(p, "UpdateBehavior") != "LOG" || Str(p, "DeleteBehavior") != "LOG") {
      return InvalidInput(
          "The SchemaChangePolicy for \"Crawl new folders only\" Amazon S3 target can have only LOG "
          "DeleteBehavior "
          "value and LOG UpdateBehavior value.");
    }
  }
  return Status::Ok();
}

std::string ScheduleState(const json::object& def) {
  if (!def.contains("Schedule")) return "NOT_SCHEDULED";
  auto it = def.find(kScheduleState);
  return it != def.end() && it->value().is_string() ? std::string(it->value().get_string()) : "NOT_SCHEDULED";
}

json::object CrawlerDocument(const CrawlerRecord& r, std::int64_t now_ms) {
  json::object doc = r.definition;
  doc["Name"] = r.name;
  auto schedule = doc.find("Schedule");
  if (schedule != doc.end()) {
    std::string expr = schedule->value().is_string() ? std::string(schedule->value().get_string()) : "";
    doc["Schedule"] = json::object{{"ScheduleExpression", expr}, {"State", ScheduleState(r.definition)}};
  }
  doc.erase(kScheduleState);
  doc["State"] = r.state;
  doc["CrawlElapsedTime"] =
      r.state == "READY" ? std::int64_t{0} : std::max<std::int64_t>(0, now_ms - r.crawl_started_ms);
  doc["CreationTime"] = r.created_ms;
  doc["LastUpdated"] = r.updated_ms;
  if (r.last_crawl) doc["LastCrawl"] = *r.last_crawl;
  doc["Version"] = r.version;
  return doc;
}

json::object MetricsDocument(const CrawlerRecord& r, std::int64_t now_ms) {
  std::vector<double> sorted = r.runtimes;
  std::sort(sorted.begin(), sorted.end());
  double median = 0;
  if (!sorted.empty()) {
    std::size_t n = sorted.size();
    median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }
  bool running = r.state != "READY";
  double elapsed = running ? static_cast<double>(now_ms - r.crawl_started_ms) / 1000.0 : 0;
  json::object m;
  m["CrawlerName"] = r.name;
  m["TimeLeftSeconds"] = running ? std::max(0.0, median - elapsed) : 0.0;
  m["StillEstimating"] = running && sorted.empty();
  m["LastRuntimeSeconds"] = r.runtimes.empty() ? 0.0 : r.runtimes.back();
  m["MedianRuntimeSeconds"] = median;
  m["TablesCreated"] = r.tables_created;
  m["TablesUpdated"] = r.tables_updated;
  m["TablesDeleted"] = r.tables_deleted;
  return m;
}

CrawlDefinition ToCrawlDefinition(const CrawlerRecord& r) {
  CrawlDefinition d;
  d.name = r.name;
  d.database = Str(r.definition, "DatabaseName", "default");
  d.table_prefix = Str(r.definition, "TablePrefix");
  const auto& targets = Obj(r.definition, "Targets");
  auto s3 = targets.find("S3Targets");
  if (s3 != targets.end() && s3->value().is_array()) {
    for (const auto& t : s3->value().get_array()) {
      if (!t.is_object()) continue;
      S3TargetDefinition target;
      target.path = Str(t.get_object(), "Path");
      auto ex = t.get_object().find("Exclusions");
      if (ex != t.get_object().end() && ex->value().is_array()) {
        for (const auto& e : ex->value().get_array()) {
          if (e.is_string()) target.exclusions.emplace_back(e.get_string());
        }
      }
      auto ss = t.get_object().find("SampleSize");
      if (ss != t.get_object().end() && ss->value().is_int64())
        target.sample_size = static_cast<int>(ss->value().get_int64());
      d.targets.push_back(std::move(target));
    }
  }
  const auto& scp = Obj(r.definition, "SchemaChangePolicy");
  d.update_behavior = Str(scp, "UpdateBehavior", "UPDATE_IN_DATABASE");
  d.delete_behavior = Str(scp, "DeleteBehavior", "DEPRECATE_IN_DATABASE");
  d.recrawl_behavior = Str(Obj(r.definition, "RecrawlPolicy"), "RecrawlBehavior", "CRAWL_EVERYTHING");
  std::string config = Str(r.definition, "Configuration");
  if (!config.empty()) {
    boost::system::error_code ec;
    json::value v = json::parse(config, ec);
    if (!ec && v.is_object()) {
      const auto& grouping = Obj(v.get_object(), "Grouping");
      d.grouping.combine_compatible_schemas =
          Str(grouping, "TableGroupingPolicy") == "CombineCompatibleSchemas";
      auto level = grouping.find("TableLevelConfiguration");
      if (level != grouping.end() && level->value().is_int64()) {
        d.grouping.table_level = static_cast<int>(level->value().get_int64());
      }
      const auto& output = Obj(v.get_object(), "CrawlerOutput");
      d.merge_new_columns = Str(Obj(output, "Tables"), "AddOrUpdateBehavior") == "MergeNewColumns";
      d.inherit_from_table = Str(Obj(output, "Partitions"), "AddOrUpdateBehavior") == "InheritFromTable";
    }
  }
  return d;
}

Result<std::vector<CrawlFilter>> ParseCrawlFilters(const json::object& in) {
  std::vector<CrawlFilter> out;
  auto it = in.find("Filters");
  if (it == in.end() || it->value().is_null()) return out;
  if (!it->value().is_array()) return ValidationError("filters", "Member must be a list");
  for (const auto& f : it->value().get_array()) {
    if (!f.is_object()) return ValidationError("filters", "Member must be a list of structures");
    const auto& o = f.get_object();
    CENOTE_RETURN_IF_ERROR(CheckEnum(o, "FieldName", "filters.member.fieldName",
                                     {"CRAWL_ID", "STATE", "START_TIME", "END_TIME", "DPU_HOUR"}));
    CENOTE_RETURN_IF_ERROR(CheckEnum(o, "FilterOperator", "filters.member.filterOperator",
                                     {"GT", "GE", "LT", "LE", "EQ", "NE"}));
    CrawlFilter cf{Str(o, "FieldName"), Str(o, "FilterOperator", "EQ"), Str(o, "FieldValue")};
    if (cf.field.empty()) return InvalidInput("Filter FieldName must be specified");
    out.push_back(std::move(cf));
  }
  return out;
}

bool CrawlMatches(const CrawlRecord& c, const std::vector<CrawlFilter>& filters) {
  for (const auto& f : filters) {
    int cmp = 0;
    if (f.field == "CRAWL_ID" || f.field == "STATE") {
      const std::string& v = f.field == "CRAWL_ID" ? c.crawl_id : c.state;
      cmp = v.compare(f.value);
    } else {
      double v = f.field == "START_TIME" ? static_cast<double>(c.start_ms)
                 : f.field == "END_TIME" ? static_cast<double>(c.end_ms)
                                         : 0.0;
      double want = std::strtod(f.value.c_str(), nullptr);
      cmp = v < want ? -1 : v > want ? 1 : 0;
    }
    bool ok = f.op == "EQ"   ? cmp == 0
              : f.op == "NE" ? cmp != 0
              : f.op == "GT" ? cmp > 0
              : f.op == "GE" ? cmp >= 0
              : f.op == "LT" ? cmp < 0
                             : cmp <= 0;
    if (!ok) return false;
  }
  return true;
}

json::object CrawlDocument(const CrawlRecord& c) {
  json::object d;
  d["CrawlId"] = c.crawl_id;
  d["State"] = c.state;
  d["StartTime"] = c.start_ms;
  if (c.end_ms > 0) d["EndTime"] = c.end_ms;
  if (!c.summary.empty()) d["Summary"] = c.summary;
  if (!c.error.empty()) d["ErrorMessage"] = c.error;
  d["LogGroup"] = "/aws-glue/crawlers";
  d["LogStream"] = c.crawler;
  d["MessagePrefix"] = c.crawl_id;
  d["DPUHour"] = 0.0;
  return d;
}

std::string CrawlSummary(const CrawlResult& r) {
  json::object table, partition;
  auto put = [](json::object& o, const char* action, int n) {
    if (n > 0) o[action] = json::object{{"Count", n}};
  };
  put(table, "ADD", r.tables_created);
  put(table, "UPDATE", r.tables_updated);
  put(table, "DELETE", r.tables_deleted);
  put(partition, "ADD", r.partitions_created);
  put(partition, "DELETE", r.partitions_deleted);
  json::object s;
  if (!table.empty()) s["TABLE"] = std::move(table);
  if (!partition.empty()) s["PARTITION"] = std::move(partition);
  return json::serialize(s);
}

}  // namespace cenote::glue::crawler
