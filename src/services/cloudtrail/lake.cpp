// CloudTrail Lake: event data stores and SQL queries over their events, run by the query engine.
//
// An event data store selects, with its advanced event selectors (default: every management event), the
// events of its account (and of every region, unless MultiRegionEnabled is false) recorded while it ingests:
// from its creation (or StartEventDataStoreIngestion) until StopEventDataStoreIngestion. Its events are not
// copied when recorded: the store is a view over the event log (event_store.hpp) by sequence windows. For a
// query, the events the store has not exported yet are appended, as JSON lines in Lake's column layout, to
// files under <lake_dir>/<store id>/ (rebuilt from the event log after a restart), and the engine reads those
// files as the table named by the store's id.
//
// StartQuery's statement is Lake's SQL (Trino's dialect): `SELECT ... FROM <event data store id>`. Store ids
// (or ARNs) outside quotes become quoted identifiers, and the engine resolves them in a catalog of the
// caller's stores only; the statement goes through the engine's sandbox like any user SQL. Queries run on
// their own thread (at most 10 at once per account, as AWS's limit), and their rows stay in a CSV file under
// <lake_dir>/results/ for GetQueryResults; query records live in the metadata store, so results survive a
// restart (a query a restart interrupted is FAILED).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>

#include "common/encoding.hpp"
#include "common/random.hpp"
#include "query/engine.hpp"
#include "query/result_files.hpp"
#include "services/cloudtrail/event_record.hpp"
#include "services/cloudtrail/internal.hpp"

namespace cenote::cloudtrail {

namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxStoresPerRegion = 10;
constexpr std::size_t kMaxConcurrentQueries = 10;
constexpr std::int64_t kDeletionWaitMs = 7LL * 24 * 3600 * 1000;
constexpr int kMaxQueryResults = 1000;

std::string StoreArn(const std::string& region, const std::string& account, const std::string& id) {
  return "arn:aws:cloudtrail:" + region + ":" + account + ":eventdatastore/" + id;
}

bool IsUuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

// The store id an EventDataStore parameter names (an ARN or the bare id), or "".
std::string StoreIdOf(std::string_view name_or_arn) {
  if (auto slash = name_or_arn.rfind("eventdatastore/"); slash != std::string_view::npos)
    name_or_arn = name_or_arn.substr(slash + std::string_view("eventdatastore/").size());
  return IsUuid(name_or_arn) ? std::string(name_or_arn) : std::string();
}

// ---- Lake's column layout

// The table's columns (CloudTrail Lake's schema for CloudTrail events), as Glue types.
const std::vector<query::ColumnDef>& LakeColumns() {
  static const std::vector<query::ColumnDef> kColumns = {
      {"eventversion", "string"},
      {"useridentity",
       "struct<type:string,principalid:string,arn:string,accountid:string,accesskeyid:string,username:string,"
       "sessioncontext:struct<attributes:struct<creationdate:string,mfaauthenticated:string>,sessionissuer:"
       "struct<type:string,principalid:string,arn:string,accountid:string,username:string>,sourceidentity:"
       "string>,invokedby:string,identityprovider:string>"},
      {"eventtime", "timestamp"},
      {"eventsource", "string"},
      {"eventname", "string"},
      {"awsregion", "string"},
      {"sourceipaddress", "string"},
      {"useragent", "string"},
      {"errorcode", "string"},
      {"errormessage", "string"},
      {"requestparameters", "map<string,string>"},
      {"responseelements", "map<string,string>"},
      {"additionaleventdata", "map<string,string>"},
      {"requestid", "string"},
      {"eventid", "string"},
      {"readonly", "boolean"},
      {"resources", "array<struct<type:string,arn:string,accountid:string>>"},
      {"eventtype", "string"},
      {"apiversion", "string"},
      {"managementevent", "boolean"},
      {"recipientaccountid", "string"},
      {"sharedeventid", "string"},
      {"vpcendpointid", "string"},
      {"eventcategory", "string"},
      {"sessioncredentialfromconsole", "string"},
      {"tlsdetails", "struct<tlsversion:string,ciphersuite:string,clientprovidedhostheader:string>"},
  };
  return kColumns;
}

// A result column's name: the engine lower-cases identifiers; Lake's own columns keep the event record's
// spelling (eventName, sourceIPAddress), as CloudTrail Lake prints them.
std::string ResultName(const std::string& name) {
  static const char* const kNames[] = {"eventVersion",
                                       "userIdentity",
                                       "eventTime",
                                       "eventSource",
                                       "eventName",
                                       "awsRegion",
                                       "sourceIPAddress",
                                       "userAgent",
                                       "errorCode",
                                       "errorMessage",
                                       "requestParameters",
                                       "responseElements",
                                       "additionalEventData",
                                       "requestID",
                                       "eventID",
                                       "readOnly",
                                       "resources",
                                       "eventType",
                                       "apiVersion",
                                       "managementEvent",
                                       "recipientAccountId",
                                       "sharedEventID",
                                       "vpcEndpointId",
                                       "eventCategory",
                                       "sessionCredentialFromConsole",
                                       "tlsDetails"};
  for (const char* n : kNames) {
    std::string lower(n);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == name) return n;
  }
  return name;
}

// Keys lower-cased at every level (struct fields), for the engine's column names.
json::value LowerKeys(const json::value& v) {
  if (v.is_object()) {
    json::object out;
    for (const auto& [k, x] : v.as_object()) {
      std::string key(k);
      for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out[key] = LowerKeys(x);
    }
    return out;
  }
  if (v.is_array()) {
    json::array out;
    for (const auto& x : v.as_array()) out.push_back(LowerKeys(x));
    return out;
  }
  return v;
}

// A map<string,string> column: strings as they are, anything else as its JSON text.
json::value StringMap(const json::value* v) {
  if (v == nullptr || !v->is_object()) return nullptr;
  json::object out;
  for (const auto& [k, x] : v->as_object()) {
    if (x.is_string()) {
      out[k] = x;
    } else if (!x.is_null()) {
      out[k] = json::serialize(x);
    }
  }
  return out;
}

// One event record as a line of the store's table.
std::string LakeLine(const json::object& event) {
  json::object row;
  for (const auto& [k, v] : event) {
    std::string key(k);
    for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (key == "requestparameters" || key == "responseelements" || key == "additionaleventdata" ||
        key == "serviceeventdetails") {
      row[key] = StringMap(&v);
    } else if (key == "sessioncredentialfromconsole") {
      row[key] = v.is_string() ? v : json::value(json::serialize(v));
    } else {
      row[key] = LowerKeys(v);
    }
  }
  std::string line = json::serialize(row);
  line += '\n';
  return line;
}

// ---- stores

json::array DefaultSelectors() {
  return json::array{json::object{
      {"Name", "Default management events"},
      {"FieldSelectors",
       json::array{json::object{{"Field", "eventCategory"}, {"Equals", json::array{"Management"}}}}}}};
}

json::object Describe(const EventDataStore& s) {
  json::object o{{"EventDataStoreArn", s.arn},
                 {"Name", s.name},
                 {"Status", s.status},
                 {"AdvancedEventSelectors", s.selectors.advanced_selectors},
                 {"MultiRegionEnabled", s.multi_region},
                 {"OrganizationEnabled", false},
                 {"RetentionPeriod", s.retention_days},
                 {"TerminationProtectionEnabled", s.termination_protection},
                 {"CreatedTimestamp", static_cast<double>(s.created_ms) / 1000.0},
                 {"UpdatedTimestamp", static_cast<double>(s.updated_ms) / 1000.0},
                 {"BillingMode", s.billing_mode}};
  if (!s.kms_key_id.empty()) o["KmsKeyId"] = s.kms_key_id;
  return o;
}

Status CheckRetention(std::int64_t days, const std::string& billing) {
  const std::int64_t max = billing == "FIXED_RETENTION_PRICING" ? 2557 : 3653;
  if (days < 7 || days > max) {
    return services::MakeError(errors::kInvalidParameter,
                               {"RetentionPeriod must be between 7 and " + std::to_string(max) +
                                " days for billing mode " + billing + "."});
  }
  return Status::Ok();
}

Status CheckStoreName(const std::string& name) {
  bool ok = name.size() >= 3 && name.size() <= 128;
  for (char c : name)
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-');
  if (!ok) {
    return services::MakeError(
        errors::kInvalidParameter,
        {"Event data store name must be 3-128 characters of letters, numbers, periods, "
         "underscores and dashes."});
  }
  return Status::Ok();
}

// The store `name_or_arn` names in the caller's account and region.
Result<EventDataStore*> FindStore(Env& env, const RequestContext& ctx, const std::string& name_or_arn)
    EXCLUSIVE_LOCKS_REQUIRED(env.lake_mu) {
  const std::string id = StoreIdOf(name_or_arn);
  for (auto& [arn, s] : env.stores) {
    if (s.account != ctx.account_id() || s.region != ctx.region) continue;
    if ((!id.empty() && s.id == id) || s.name == name_or_arn || s.arn == name_or_arn) return &s;
  }
  return services::MakeError(errors::kEventDataStoreNotFound, {name_or_arn});
}

// Drops stores whose deletion wait is over.
void Purge(Env& env) EXCLUSIVE_LOCKS_REQUIRED(env.lake_mu) {
  const std::int64_t now = env.Now();
  for (auto it = env.stores.begin(); it != env.stores.end();) {
    if (it->second.status != "PENDING_DELETION" || it->second.deleted_ms + kDeletionWaitMs > now) {
      ++it;
      continue;
    }
    if (Status st = env.EraseStore(it->second); !st) {
      spdlog::warn("cloudtrail: removing event data store {} failed: {}", it->first, st.error().message);
      ++it;
      continue;
    }
    std::error_code ec;
    fs::remove_all(env.options.lake_dir + "/" + it->second.id, ec);
    env.exports.erase(it->second.id);
    it = env.stores.erase(it);
  }
}

// Brings the store's export up to the newest recorded event (see the header comment).
Status Export(Env& env, const EventDataStore& s, LakeExport& x) {
  env.events->Flush();
  CENOTE_ASSIGN_OR_RETURN(std::uint64_t end, env.events->NextSequence());
  if (x.next == 0) {
    x.next = s.windows.empty() ? end : s.windows.front().first;
    std::error_code ec;
    fs::remove_all(env.options.lake_dir + "/" + s.id, ec);
  }
  if (x.next >= end) return Status::Ok();
  const std::string dir = env.options.lake_dir + "/" + s.id;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return InternalError("cannot create the event data store's directory: " + ec.message());
  const std::string path = dir + "/events-" + std::to_string(x.next) + ".json";
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return InternalError("cannot write the event data store's export");
  auto in_window = [&](std::uint64_t seq) {
    return std::any_of(s.windows.begin(), s.windows.end(),
                       [&](const auto& w) { return seq >= w.first && seq < w.second; });
  };
  std::uint64_t from = x.next;
  std::uint64_t bytes = 0;
  while (from < end) {
    CENOTE_ASSIGN_OR_RETURN(auto batch, env.events->ReadFrom(from, 4096, 8u << 20));
    if (batch.empty()) break;
    for (const StoredEvent& e : batch) {
      from = e.sequence + 1;
      if (e.sequence >= end) break;
      if (!in_window(e.sequence)) continue;
      boost::system::error_code pec;
      json::value v = json::parse(e.json, pec);
      if (pec || !v.is_object()) continue;
      const json::object& event = v.as_object();
      if (GetString(event, "recipientAccountId").value_or("") != s.account) continue;
      if (!s.multi_region && GetString(event, "awsRegion").value_or("") != s.region) continue;
      if (!SelectorsMatch(s.selectors, event)) continue;
      std::string line = LakeLine(event);
      bytes += line.size();
      out << line;
    }
  }
  out.close();
  if (!out) return InternalError("cannot write the event data store's export");
  if (bytes == 0) {
    fs::remove(path, ec);
  } else {
    x.files.push_back(query::TableFile{.path = path, .size = bytes, .key = {}});
  }
  x.next = std::max(from, end);
  return Status::Ok();
}

// ---- queries

// The statement with every store id or ARN outside quotes made a quoted identifier, and the ids it names.
std::string QuoteStoreIds(const std::string& sql, std::vector<std::string>& ids) {
  std::string out;
  out.reserve(sql.size() + 16);
  for (std::size_t i = 0; i < sql.size();) {
    const char c = sql[i];
    if (c == '\'' || c == '"') {
      std::size_t j = i + 1;
      while (j < sql.size()) {
        if (sql[j] == c) {
          if (j + 1 < sql.size() && sql[j + 1] == c) {
            j += 2;
            continue;
          }
          break;
        }
        ++j;
      }
      const std::size_t end = std::min(j + 1, sql.size());
      if (c == '"') {
        std::string inner = sql.substr(i + 1, end - i - 2);
        if (std::string id = StoreIdOf(inner); !id.empty()) {
          ids.push_back(id);
          out += '"' + id + '"';
          i = end;
          continue;
        }
      }
      out.append(sql, i, end - i);
      i = end;
      continue;
    }
    // A word: letters, digits, '-', ':', '/' (an ARN), '_'.
    if (std::isalnum(static_cast<unsigned char>(c))) {
      std::size_t j = i;
      while (j < sql.size() && (std::isalnum(static_cast<unsigned char>(sql[j])) || sql[j] == '-' ||
                                sql[j] == ':' || sql[j] == '/' || sql[j] == '_')) {
        ++j;
      }
      std::string word = sql.substr(i, j - i);
      std::string id = StoreIdOf(word);
      if (!id.empty() && (IsUuid(word) || word.starts_with("arn:"))) {
        ids.push_back(id);
        out += '"' + id + '"';
      } else {
        out += word;
      }
      i = j;
      continue;
    }
    out += c;
    ++i;
  }
  return out;
}

// The catalog the engine sees: the caller's stores, by id.
class LakeResolver final : public query::TableResolver {
 public:
  explicit LakeResolver(std::map<std::string, std::vector<query::TableFile>> files)
      : files_(std::move(files)) {}
  Result<query::TableBinding> Describe(const std::string& database, const std::string& table) override {
    std::string id = table;
    std::transform(id.begin(), id.end(), id.begin(), [](unsigned char c) { return std::tolower(c); });
    if (database != kLakeDatabase || !files_.contains(id))
      return services::MakeError(errors::kEventDataStoreNotFound, {table});
    query::TableBinding b;
    b.database = database;
    b.name = id;
    b.columns = LakeColumns();
    b.format = query::FileFormat::kJson;
    return b;
  }
  Result<std::vector<query::PartitionBinding>> Partitions(const query::TableBinding& t) override {
    return std::vector<query::PartitionBinding>{query::PartitionBinding{.values = {}, .location = t.name}};
  }
  Result<std::vector<query::TableFile>> Files(const query::TableBinding& t,
                                              const query::PartitionBinding&) override {
    return files_.at(t.name);
  }

 private:
  std::map<std::string, std::vector<query::TableFile>> files_;
};

json::object DescribeQueryDoc(const LakeQuery& q) {
  json::object o{
      {"QueryId", q.id},
      {"QueryString", q.statement},
      {"QueryStatus", q.status},
      {"QueryStatistics", json::object{{"EventsMatched", q.events_matched},
                                       {"EventsScanned", q.events_scanned},
                                       {"BytesScanned", q.bytes_scanned},
                                       {"ExecutionTimeInMillis", q.execution_ms},
                                       {"CreationTime", static_cast<double>(q.created_ms) / 1000.0}}}};
  if (!q.error.empty()) o["ErrorMessage"] = q.error;
  if (!q.delivery_uri.empty()) {
    o["DeliveryS3Uri"] = q.delivery_uri;
    o["DeliveryStatus"] = q.delivery_status;
  }
  if (!q.alias.empty()) o["Prompt"] = q.alias;
  return o;
}

// Runs one query (its own thread) and records the outcome.
void RunQuery(Env& env, std::string query_id, std::string sql,
              std::map<std::string, std::vector<query::TableFile>> files,
              std::shared_ptr<query::Cancellation> cancel) {
  const std::int64_t started = env.Now();
  {
    MutexLock lock(env.lake_mu);
    if (auto it = env.queries.find(query_id); it != env.queries.end() && it->second.status == "QUEUED") {
      it->second.status = "RUNNING";
      (void)env.SaveQuery(it->second);
    }
  }
  std::uint64_t bytes = 0;
  for (const auto& [id, list] : files)
    for (const auto& f : list) bytes += f.size;
  std::string error;
  std::vector<query::ResultColumn> columns;
  std::int64_t rows = 0;
  const std::string csv_path = env.options.lake_dir + "/results/" + query_id + ".csv";
  Result<query::QueryEngine*> engine = env.options.engine
                                           ? env.options.engine()
                                           : Result<query::QueryEngine*>(InternalError("no query engine"));
  if (!engine) {
    error = engine.error().message;
  } else {
    LakeResolver resolver(std::move(files));
    query::QueryContext qctx;
    qctx.database = kLakeDatabase;
    qctx.timeout = std::chrono::hours(1);
    qctx.check_operand_types =
        false;  // eventTime > '2024-01-01 00:00:00', as CloudTrail Lake's examples write
    auto out = (*engine)->RunSelect(sql, qctx, resolver, csv_path, *cancel);
    if (!out) {
      error = out.error().message;
    } else {
      columns = out->columns;
      rows = out->stats.rows;
    }
  }
  MutexLock lock(env.lake_mu);
  auto it = env.queries.find(query_id);
  if (it == env.queries.end()) return;
  LakeQuery& q = it->second;
  q.execution_ms = env.Now() - started;
  q.bytes_scanned = static_cast<std::int64_t>(bytes);
  q.running.reset();
  if (cancel->cancelled()) {
    q.status = "CANCELLED";
  } else if (!error.empty()) {
    q.status = error.find("TIMEOUT") != std::string::npos ? "TIMED_OUT" : "FAILED";
    q.error = error;
  } else {
    q.status = "FINISHED";
    q.events_matched = rows;
    q.results_count = rows;
    for (const auto& c : columns) q.columns.push_back(ResultName(c.name));
    q.results_path = csv_path;
  }
  if (Status st = env.SaveQuery(q); !st)
    spdlog::warn("cloudtrail: saving lake query {} failed: {}", q.id, st.error().message);
}

}  // namespace

std::optional<Result<std::string>> LakeLookup(std::string_view name, std::span<const std::string> args) {
  if (name == "EventDataStoreARN" && args.size() == 3) {
    if (args[0].starts_with("arn:")) return Result<std::string>(args[0]);
    const std::string id = StoreIdOf(args[0]);
    if (id.empty())
      return Result<std::string>(services::MakeError(errors::kEventDataStoreNotFound, {args[0]}));
    return Result<std::string>(StoreArn(args[1], args[2], id));
  }
  if (name == "QueryStoreARN" && args.size() == 3) {
    std::vector<std::string> ids;
    QuoteStoreIds(args[0], ids);
    if (ids.empty()) {
      return Result<std::string>(
          services::MakeError(errors::kInvalidQueryStatement,
                              {"The query statement must name an event data store in its FROM clause."}));
    }
    return Result<std::string>(StoreArn(args[1], args[2], ids.front()));
  }
  return std::nullopt;
}

std::string QueryStoreOf(Env& env, const std::string& query_id) {
  MutexLock lock(env.lake_mu);
  auto it = env.queries.find(query_id);
  return it == env.queries.end() || it->second.stores.empty() ? std::string() : it->second.stores.front();
}

// ---- records

json::object EventDataStore::ToDoc() const {
  json::array w;
  for (const auto& [from, to] : windows) w.push_back(json::array{from, to});
  return json::object{{"id", id},
                      {"arn", arn},
                      {"name", name},
                      {"account", account},
                      {"region", region},
                      {"status", status},
                      {"selectors", selectors.advanced_selectors},
                      {"multiRegion", multi_region},
                      {"retentionDays", retention_days},
                      {"terminationProtection", termination_protection},
                      {"billingMode", billing_mode},
                      {"kmsKeyId", kms_key_id},
                      {"createdMs", created_ms},
                      {"updatedMs", updated_ms},
                      {"deletedMs", deleted_ms},
                      {"windows", std::move(w)},
                      {"tags", json::value_from(tags)}};
}

EventDataStore EventDataStore::FromDoc(const json::object& d) {
  EventDataStore s;
  s.id = GetString(d, "id").value_or("");
  s.arn = GetString(d, "arn").value_or("");
  s.name = GetString(d, "name").value_or("");
  s.account = GetString(d, "account").value_or("");
  s.region = GetString(d, "region").value_or("");
  s.status = GetString(d, "status").value_or("ENABLED");
  s.selectors.advanced = true;
  if (const json::array* a = GetArray(d, "selectors")) s.selectors.advanced_selectors = *a;
  s.multi_region = GetBool(d, "multiRegion").value_or(true);
  s.retention_days = GetInt(d, "retentionDays").value_or(2557);
  s.termination_protection = GetBool(d, "terminationProtection").value_or(true);
  s.billing_mode = GetString(d, "billingMode").value_or("EXTENDABLE_RETENTION_PRICING");
  s.kms_key_id = GetString(d, "kmsKeyId").value_or("");
  s.created_ms = GetInt(d, "createdMs").value_or(0);
  s.updated_ms = GetInt(d, "updatedMs").value_or(0);
  s.deleted_ms = GetInt(d, "deletedMs").value_or(0);
  if (const json::array* w = GetArray(d, "windows")) {
    for (const auto& x : *w) {
      if (!x.is_array() || x.as_array().size() != 2) continue;
      s.windows.emplace_back(json::value_to<std::uint64_t>(x.as_array()[0]),
                             json::value_to<std::uint64_t>(x.as_array()[1]));
    }
  }
  if (const json::value* t = d.if_contains("tags"); t != nullptr && t->is_array())
    s.tags = json::value_to<std::vector<std::pair<std::string, std::string>>>(*t);
  return s;
}

json::object LakeQuery::ToDoc() const {
  return json::object{{"id", id},
                      {"account", account},
                      {"region", region},
                      {"statement", statement},
                      {"status", status},
                      {"error", error},
                      {"alias", alias},
                      {"deliveryUri", delivery_uri},
                      {"deliveryStatus", delivery_status},
                      {"createdMs", created_ms},
                      {"executionMs", execution_ms},
                      {"bytesScanned", bytes_scanned},
                      {"eventsMatched", events_matched},
                      {"eventsScanned", events_scanned},
                      {"resultsCount", results_count},
                      {"resultsPath", results_path},
                      {"columns", json::value_from(columns)},
                      {"stores", json::value_from(stores)}};
}

LakeQuery LakeQuery::FromDoc(const json::object& d) {
  LakeQuery q;
  q.id = GetString(d, "id").value_or("");
  q.account = GetString(d, "account").value_or("");
  q.region = GetString(d, "region").value_or("");
  q.statement = GetString(d, "statement").value_or("");
  q.status = GetString(d, "status").value_or("FAILED");
  q.error = GetString(d, "error").value_or("");
  q.alias = GetString(d, "alias").value_or("");
  q.delivery_uri = GetString(d, "deliveryUri").value_or("");
  q.delivery_status = GetString(d, "deliveryStatus").value_or("");
  q.created_ms = GetInt(d, "createdMs").value_or(0);
  q.execution_ms = GetInt(d, "executionMs").value_or(0);
  q.bytes_scanned = GetInt(d, "bytesScanned").value_or(0);
  q.events_matched = GetInt(d, "eventsMatched").value_or(0);
  q.events_scanned = GetInt(d, "eventsScanned").value_or(0);
  q.results_count = GetInt(d, "resultsCount").value_or(0);
  q.results_path = GetString(d, "resultsPath").value_or("");
  if (const json::value* c = d.if_contains("columns"); c != nullptr && c->is_array())
    q.columns = json::value_to<std::vector<std::string>>(*c);
  if (const json::value* s = d.if_contains("stores"); s != nullptr && s->is_array())
    q.stores = json::value_to<std::vector<std::string>>(*s);
  return q;
}

Status Env::SaveStore(const EventDataStore& s) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_RETURN_IF_ERROR(
      txn->Exec("INSERT INTO cloudtrail_event_data_stores (arn, doc) VALUES (?, ?) "
                "ON CONFLICT (arn) DO UPDATE SET doc = excluded.doc",
                {s.arn, json::serialize(s.ToDoc())}));
  return txn->Commit();
}

Status Env::EraseStore(const EventDataStore& s) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_RETURN_IF_ERROR(txn->Exec("DELETE FROM cloudtrail_event_data_stores WHERE arn = ?", {s.arn}));
  return txn->Commit();
}

Status Env::SaveQuery(const LakeQuery& q) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_RETURN_IF_ERROR(
      txn->Exec("INSERT INTO cloudtrail_lake_queries (id, created_ms, doc) VALUES (?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET doc = excluded.doc",
                {q.id, q.created_ms, json::serialize(q.ToDoc())}));
  return txn->Commit();
}

Status LoadLake(Env& env) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_ASSIGN_OR_RETURN(auto stores, txn->Query("SELECT doc FROM cloudtrail_event_data_stores"));
  CENOTE_ASSIGN_OR_RETURN(auto queries,
                          txn->Query("SELECT doc FROM cloudtrail_lake_queries ORDER BY created_ms"));
  MutexLock lock(env.lake_mu);
  for (const auto& row : stores) {
    boost::system::error_code ec;
    json::value v = json::parse(store::AsText(row[0]), ec);
    if (ec || !v.is_object()) return InternalError("corrupt event data store document");
    EventDataStore s = EventDataStore::FromDoc(v.as_object());
    std::string arn = s.arn;
    env.stores.emplace(std::move(arn), std::move(s));
  }
  for (const auto& row : queries) {
    boost::system::error_code ec;
    json::value v = json::parse(store::AsText(row[0]), ec);
    if (ec || !v.is_object()) return InternalError("corrupt lake query document");
    LakeQuery q = LakeQuery::FromDoc(v.as_object());
    if (q.status == "QUEUED" || q.status == "RUNNING") {
      // The restart ended it.
      q.status = "FAILED";
      q.error = "The query was interrupted by a restart of the server.";
      CENOTE_RETURN_IF_ERROR(txn->Exec("UPDATE cloudtrail_lake_queries SET doc = ? WHERE id = ?",
                                       {json::serialize(q.ToDoc()), q.id}));
    }
    std::string id = q.id;
    env.queries.emplace(std::move(id), std::move(q));
  }
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  // Exports are rebuilt from the event log on first use.
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(env.options.lake_dir, ec)) {
    if (entry.path().filename() != "results") fs::remove_all(entry.path(), ec);
  }
  fs::create_directories(env.options.lake_dir + "/results", ec);
  return Status::Ok();
}

void StopLakeQueries(Env& env) {
  std::vector<std::thread> threads;
  {
    MutexLock lock(env.lake_mu);
    for (auto& [id, q] : env.queries)
      if (q.running) q.running->Cancel();
    threads.swap(env.query_threads);
  }
  for (auto& t : threads)
    if (t.joinable()) t.join();
}

// ---- handlers

Result<OperationOutput> CreateEventDataStore(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  const std::string name = GetString(p, "Name").value_or("");
  CENOTE_RETURN_IF_ERROR(CheckStoreName(name));
  EventDataStore s;
  s.id = NewUuidV4();
  s.name = name;
  s.account = ctx.account_id();
  s.region = ctx.region;
  s.arn = StoreArn(s.region, s.account, s.id);
  s.billing_mode = GetString(p, "BillingMode").value_or("EXTENDABLE_RETENTION_PRICING");
  if (s.billing_mode != "EXTENDABLE_RETENTION_PRICING" && s.billing_mode != "FIXED_RETENTION_PRICING")
    return services::MakeError(errors::kInvalidParameter, {"BillingMode is invalid."});
  s.retention_days =
      GetInt(p, "RetentionPeriod").value_or(s.billing_mode == "FIXED_RETENTION_PRICING" ? 2557 : 366);
  CENOTE_RETURN_IF_ERROR(CheckRetention(s.retention_days, s.billing_mode));
  s.multi_region = GetBool(p, "MultiRegionEnabled").value_or(true);
  if (GetBool(p, "OrganizationEnabled").value_or(false)) {
    return services::MakeError(errors::kUnsupported,
                               {"Organization event data stores are not supported by this server."});
  }
  s.termination_protection = GetBool(p, "TerminationProtectionEnabled").value_or(true);
  s.kms_key_id = GetString(p, "KmsKeyId").value_or("");
  if (!s.kms_key_id.empty()) {
    return services::MakeError(errors::kUnsupported,
                               {"KMS encryption of event data stores is not supported by this server."});
  }
  s.selectors.advanced = true;
  if (GetArray(p, "AdvancedEventSelectors") != nullptr) {
    json::object sel{{"AdvancedEventSelectors", *GetArray(p, "AdvancedEventSelectors")}};
    CENOTE_ASSIGN_OR_RETURN(s.selectors, ParseSelectors(sel));
  } else {
    s.selectors.advanced_selectors = DefaultSelectors();
  }
  if (const json::array* tags = GetArray(p, "TagsList")) {
    for (const auto& t : *tags) {
      std::string k = GetString(t.as_object(), "Key").value_or("");
      if (k.starts_with("aws:"))
        return services::MakeError(errors::kInvalidTagParameter,
                                   {"Tag keys beginning with aws: are reserved."});
      s.tags.emplace_back(k, GetString(t.as_object(), "Value").value_or(""));
    }
    if (s.tags.size() > kMaxTags) return services::MakeError(errors::kTagsLimit);
  }
  s.created_ms = s.updated_ms = env.Now();
  s.status = "ENABLED";
  // Ingestion starts with the next event recorded.
  env.events->Flush();
  CENOTE_ASSIGN_OR_RETURN(std::uint64_t next, env.events->NextSequence());
  const bool ingest = GetBool(p, "StartIngestion").value_or(true);
  if (ingest) s.windows.emplace_back(next, std::numeric_limits<std::uint64_t>::max());
  if (!ingest) s.status = "STOPPED_INGESTION";
  MutexLock lock(env.lake_mu);
  Purge(env);
  std::size_t in_region = 0;
  for (const auto& [arn, other] : env.stores) {
    if (other.account != s.account || other.region != s.region) continue;
    ++in_region;
    if (other.name == s.name) return services::MakeError(errors::kEventDataStoreExists, {s.name});
  }
  if (in_region >= kMaxStoresPerRegion) return services::MakeError(errors::kEventDataStoreMax);
  CENOTE_RETURN_IF_ERROR(env.SaveStore(s));
  json::object out = Describe(s);
  out["Status"] = "CREATED";
  if (!s.tags.empty()) {
    json::array tags;
    for (const auto& [k, v] : s.tags) tags.push_back(json::object{{"Key", k}, {"Value", v}});
    out["TagsList"] = std::move(tags);
  }
  std::string arn = s.arn;
  env.stores.emplace(std::move(arn), std::move(s));
  return OperationOutput(std::move(out));
}

Result<OperationOutput> GetEventDataStore(Env& env, const RequestContext& ctx, OperationInput& in) {
  MutexLock lock(env.lake_mu);
  Purge(env);
  CENOTE_ASSIGN_OR_RETURN(
      EventDataStore * s,
      FindStore(env, ctx, GetString(in.params.as_object(), "EventDataStore").value_or("")));
  return OperationOutput(Describe(*s));
}

Result<OperationOutput> ListEventDataStores(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  const std::int64_t max = GetInt(p, "MaxResults").value_or(1000);
  if (max < 1 || max > 1000)
    return services::MakeError(errors::kInvalidMaxResults, {"MaxResults must be between 1 and 1000."});
  const std::string token = GetString(p, "NextToken").value_or("");
  MutexLock lock(env.lake_mu);
  Purge(env);
  json::array list;
  std::string next;
  for (const auto& [arn, s] : env.stores) {
    if (s.account != ctx.account_id() || s.region != ctx.region) continue;
    if (!token.empty() && arn <= token) continue;
    if (static_cast<std::int64_t>(list.size()) >= max) {
      next = list.back().as_object().at("EventDataStoreArn").as_string();
      break;
    }
    list.push_back(Describe(s));
  }
  json::object out{{"EventDataStores", std::move(list)}};
  if (!next.empty()) out["NextToken"] = next;
  return OperationOutput(std::move(out));
}

Result<OperationOutput> UpdateEventDataStore(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  MutexLock lock(env.lake_mu);
  CENOTE_ASSIGN_OR_RETURN(EventDataStore * found,
                          FindStore(env, ctx, GetString(p, "EventDataStore").value_or("")));
  if (found->status == "PENDING_DELETION")
    return services::MakeError(errors::kInactiveEventDataStore, {found->arn});
  EventDataStore s = *found;
  if (auto name = GetString(p, "Name")) {
    CENOTE_RETURN_IF_ERROR(CheckStoreName(*name));
    s.name = *name;
  }
  if (auto billing = GetString(p, "BillingMode")) {
    if (s.billing_mode == "EXTENDABLE_RETENTION_PRICING" && *billing == "FIXED_RETENTION_PRICING")
      return services::MakeError(
          errors::kInvalidParameter,
          {"You cannot change the billing mode from extendable to fixed retention pricing."});
    s.billing_mode = *billing;
  }
  if (auto days = GetInt(p, "RetentionPeriod")) s.retention_days = *days;
  CENOTE_RETURN_IF_ERROR(CheckRetention(s.retention_days, s.billing_mode));
  if (auto multi = GetBool(p, "MultiRegionEnabled")) s.multi_region = *multi;
  if (auto protect = GetBool(p, "TerminationProtectionEnabled")) s.termination_protection = *protect;
  if (GetBool(p, "OrganizationEnabled").value_or(false))
    return services::MakeError(errors::kUnsupported,
                               {"Organization event data stores are not supported by this server."});
  if (GetString(p, "KmsKeyId"))
    return services::MakeError(errors::kUnsupported,
                               {"KMS encryption of event data stores is not supported by this server."});
  if (const json::array* a = GetArray(p, "AdvancedEventSelectors")) {
    json::object sel{{"AdvancedEventSelectors", *a}};
    CENOTE_ASSIGN_OR_RETURN(s.selectors, ParseSelectors(sel));
  }
  s.updated_ms = env.Now();
  CENOTE_RETURN_IF_ERROR(env.SaveStore(s));
  // Selection and regions apply to every query from now on: the export starts over.
  env.exports.erase(s.id);
  *found = s;
  return OperationOutput(Describe(s));
}

Result<OperationOutput> DeleteEventDataStore(Env& env, const RequestContext& ctx, OperationInput& in) {
  MutexLock lock(env.lake_mu);
  CENOTE_ASSIGN_OR_RETURN(
      EventDataStore * s,
      FindStore(env, ctx, GetString(in.params.as_object(), "EventDataStore").value_or("")));
  if (s->termination_protection)
    return services::MakeError(errors::kEventDataStoreTerminationProtected, {s->arn});
  if (s->status == "PENDING_DELETION") return services::MakeError(errors::kInactiveEventDataStore, {s->arn});
  EventDataStore updated = *s;
  updated.status = "PENDING_DELETION";
  updated.deleted_ms = updated.updated_ms = env.Now();
  CENOTE_RETURN_IF_ERROR(env.SaveStore(updated));
  *s = std::move(updated);
  return OperationOutput(json::object());
}

Result<OperationOutput> RestoreEventDataStore(Env& env, const RequestContext& ctx, OperationInput& in) {
  MutexLock lock(env.lake_mu);
  Purge(env);
  CENOTE_ASSIGN_OR_RETURN(
      EventDataStore * s,
      FindStore(env, ctx, GetString(in.params.as_object(), "EventDataStore").value_or("")));
  if (s->status != "PENDING_DELETION")
    return services::MakeError(errors::kInvalidEventDataStoreStatus,
                               {"The event data store is not pending deletion."});
  EventDataStore updated = *s;
  const bool ingesting =
      !updated.windows.empty() && updated.windows.back().second == std::numeric_limits<std::uint64_t>::max();
  updated.status = ingesting ? "ENABLED" : "STOPPED_INGESTION";
  updated.deleted_ms = 0;
  updated.updated_ms = env.Now();
  CENOTE_RETURN_IF_ERROR(env.SaveStore(updated));
  *s = std::move(updated);
  return OperationOutput(Describe(*s));
}

Result<OperationOutput> StartEventDataStoreIngestion(Env& env, const RequestContext& ctx,
                                                     OperationInput& in) {
  MutexLock lock(env.lake_mu);
  CENOTE_ASSIGN_OR_RETURN(
      EventDataStore * s,
      FindStore(env, ctx, GetString(in.params.as_object(), "EventDataStore").value_or("")));
  if (s->status != "STOPPED_INGESTION")
    return services::MakeError(errors::kInvalidEventDataStoreStatus,
                               {"The event data store status is " + s->status + "."});
  EventDataStore updated = *s;
  env.events->Flush();
  CENOTE_ASSIGN_OR_RETURN(std::uint64_t next, env.events->NextSequence());
  updated.windows.emplace_back(next, std::numeric_limits<std::uint64_t>::max());
  updated.status = "ENABLED";
  updated.updated_ms = env.Now();
  CENOTE_RETURN_IF_ERROR(env.SaveStore(updated));
  *s = std::move(updated);
  return OperationOutput(json::object());
}

Result<OperationOutput> StopEventDataStoreIngestion(Env& env, const RequestContext& ctx, OperationInput& in) {
  MutexLock lock(env.lake_mu);
  CENOTE_ASSIGN_OR_RETURN(
      EventDataStore * s,
      FindStore(env, ctx, GetString(in.params.as_object(), "EventDataStore").value_or("")));
  if (s->status != "ENABLED")
    return services::MakeError(errors::kInvalidEventDataStoreStatus,
                               {"The event data store status is " + s->status + "."});
  EventDataStore updated = *s;
  env.events->Flush();
  CENOTE_ASSIGN_OR_RETURN(std::uint64_t next, env.events->NextSequence());
  if (!updated.windows.empty()) updated.windows.back().second = next;
  updated.status = "STOPPED_INGESTION";
  updated.updated_ms = env.Now();
  CENOTE_RETURN_IF_ERROR(env.SaveStore(updated));
  *s = std::move(updated);
  return OperationOutput(json::object());
}

Result<OperationOutput> StartQuery(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  std::string statement = GetString(p, "QueryStatement").value_or("");
  if (const json::array* params = GetArray(p, "QueryParameters"); params != nullptr && !params->empty()) {
    // Positional parameters (?) of a saved query alias are substituted as quoted literals.
    std::string bound;
    std::size_t k = 0;
    for (char c : statement) {
      if (c == '?' && k < params->size() && (*params)[k].is_string()) {
        std::string v((*params)[k++].as_string());
        bound += '\'';
        for (char x : v) {
          if (x == '\'') bound += '\'';
          bound += x;
        }
        bound += '\'';
      } else {
        bound += c;
      }
    }
    statement = bound;
  }
  if (statement.empty() || statement.size() > 10000)
    return services::MakeError(errors::kInvalidQueryStatement,
                               {"The query statement must be 1 to 10000 characters."});
  std::vector<std::string> ids;
  std::string sql = QuoteStoreIds(statement, ids);
  if (ids.empty()) {
    return services::MakeError(errors::kInvalidQueryStatement,
                               {"The query statement must name an event data store in its FROM clause."});
  }
  LakeQuery q;
  q.id = NewUuidV4();
  q.account = ctx.account_id();
  q.region = ctx.region;
  q.statement = statement;
  q.status = "QUEUED";
  q.created_ms = env.Now();
  q.delivery_uri = GetString(p, "DeliveryS3Uri").value_or("");
  if (!q.delivery_uri.empty()) {
    return services::MakeError(
        errors::kUnsupported,
        {"DeliveryS3Uri is not supported by this server: read results with GetQueryResults."});
  }
  std::map<std::string, std::vector<query::TableFile>> files;
  {
    MutexLock lock(env.lake_mu);
    Purge(env);
    std::size_t running = 0;
    for (const auto& [id, other] : env.queries)
      if (other.account == q.account && (other.status == "QUEUED" || other.status == "RUNNING")) ++running;
    if (running >= kMaxConcurrentQueries) return services::MakeError(errors::kMaxConcurrentQueries);
    for (const std::string& id : ids) {
      CENOTE_ASSIGN_OR_RETURN(EventDataStore * s, FindStore(env, ctx, id));
      if (s->status == "PENDING_DELETION")
        return services::MakeError(errors::kInactiveEventDataStore, {s->arn});
      LakeExport& x = env.exports[s->id];
      CENOTE_RETURN_IF_ERROR(Export(env, *s, x));
      files[s->id] = x.files;
      q.stores.push_back(s->arn);
    }
    q.running = std::make_shared<query::Cancellation>();
    CENOTE_RETURN_IF_ERROR(env.SaveQuery(q));
    env.queries[q.id] = q;
    env.query_threads.erase(std::remove_if(env.query_threads.begin(), env.query_threads.end(),
                                           [](std::thread& t) { return !t.joinable(); }),
                            env.query_threads.end());
    env.query_threads.emplace_back(RunQuery, std::ref(env), q.id, sql, std::move(files), q.running);
  }
  return OperationOutput(json::object{{"QueryId", q.id}});
}

Result<OperationOutput> DescribeQuery(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  const std::string id = GetString(p, "QueryId").value_or("");
  MutexLock lock(env.lake_mu);
  auto it = env.queries.find(id);
  if (it == env.queries.end() || it->second.account != ctx.account_id())
    return services::MakeError(errors::kQueryIdNotFound, {id});
  return OperationOutput(DescribeQueryDoc(it->second));
}

Result<OperationOutput> CancelQuery(Env& env, const RequestContext& ctx, OperationInput& in) {
  const std::string id = GetString(in.params.as_object(), "QueryId").value_or("");
  MutexLock lock(env.lake_mu);
  auto it = env.queries.find(id);
  if (it == env.queries.end() || it->second.account != ctx.account_id())
    return services::MakeError(errors::kQueryIdNotFound, {id});
  LakeQuery& q = it->second;
  if (q.status != "QUEUED" && q.status != "RUNNING")
    return services::MakeError(errors::kInactiveQuery, {"The query " + id + " is " + q.status + "."});
  if (q.running) q.running->Cancel();
  q.status = "CANCELLED";
  CENOTE_RETURN_IF_ERROR(env.SaveQuery(q));
  return OperationOutput(json::object{{"QueryId", id}, {"QueryStatus", "CANCELLED"}});
}

Result<OperationOutput> ListQueries(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  const std::string store = GetString(p, "EventDataStore").value_or("");
  const std::string status = GetString(p, "QueryStatus").value_or("");
  const std::int64_t max = GetInt(p, "MaxResults").value_or(1000);
  MutexLock lock(env.lake_mu);
  CENOTE_ASSIGN_OR_RETURN(EventDataStore * s, FindStore(env, ctx, store));
  json::array list;
  for (auto it = env.queries.rbegin(); it != env.queries.rend(); ++it) {
    const LakeQuery& q = it->second;
    if (q.account != ctx.account_id()) continue;
    if (std::find(q.stores.begin(), q.stores.end(), s->arn) == q.stores.end()) continue;
    if (!status.empty() && q.status != status) continue;
    if (static_cast<std::int64_t>(list.size()) >= max) break;
    list.push_back(json::object{{"QueryId", q.id},
                                {"QueryStatus", q.status},
                                {"CreationTime", static_cast<double>(q.created_ms) / 1000.0}});
  }
  return OperationOutput(json::object{{"Queries", std::move(list)}});
}

Result<OperationOutput> GetQueryResults(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  const std::string id = GetString(p, "QueryId").value_or("");
  const std::int64_t max = GetInt(p, "MaxQueryResults").value_or(kMaxQueryResults);
  if (max < 1 || max > kMaxQueryResults)
    return services::MakeError(errors::kInvalidMaxResults, {"MaxQueryResults must be between 1 and 1000."});
  LakeQuery q;
  {
    MutexLock lock(env.lake_mu);
    auto it = env.queries.find(id);
    if (it == env.queries.end() || it->second.account != ctx.account_id())
      return services::MakeError(errors::kQueryIdNotFound, {id});
    q = it->second;
  }
  json::object out{{"QueryStatus", q.status},
                   {"QueryStatistics", json::object{{"ResultsCount", 0},
                                                    {"TotalResultsCount", q.results_count},
                                                    {"BytesScanned", q.bytes_scanned}}}};
  if (!q.error.empty()) out["ErrorMessage"] = q.error;
  if (q.status != "FINISHED") {
    out["QueryResultRows"] = json::array();
    return OperationOutput(std::move(out));
  }
  std::uint64_t offset = 0;
  if (auto token = GetString(p, "NextToken")) {
    auto decoded = query::DecodeResultToken(q.id, *token);
    if (!decoded) return services::MakeError(errors::kInvalidNextToken, {*token});
    offset = *decoded;
  }
  // The file starts with the header row (the column names, as q.columns has them).
  CENOTE_ASSIGN_OR_RETURN(query::ResultPage header, query::ReadResultRows(q.results_path, "csv", 0, 0, 1));
  if (offset == 0) offset = header.next_offset;
  CENOTE_ASSIGN_OR_RETURN(query::ResultPage page,
                          query::ReadResultRows(q.results_path, "csv", 0, offset, static_cast<int>(max)));
  json::array rows;
  for (const query::ResultRow& r : page.rows) {
    json::array row;
    for (std::size_t i = 0; i < r.size() && i < q.columns.size(); ++i) {
      row.push_back(json::object{{q.columns[i], r[i] ? json::value(*r[i]) : json::value(nullptr)}});
    }
    rows.push_back(std::move(row));
  }
  out["QueryStatistics"].as_object()["ResultsCount"] = static_cast<std::int64_t>(rows.size());
  out["QueryResultRows"] = std::move(rows);
  if (!page.at_end) out["NextToken"] = query::EncodeResultToken(q.id, page.next_offset);
  return OperationOutput(std::move(out));
}

}  // namespace cenote::cloudtrail
